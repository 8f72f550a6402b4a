"""Printing a case's notices (办件文书): an A4 print page and the same content as a PDF.

``GET /cases/<case_no>/notices/<kind>`` and ``…/<kind>.pdf``; ``?ref=`` picks the supplement
round or the extension, ``?password=`` prints the 查询密码 on the acceptance notice right after
the case was created (checked against the stored hash, never stored, never cached; failed
guesses are limited per user and per case like the public lookup).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

import segno
from flask import Blueprint, Response, render_template, request
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from engine import notices as notice_service
from engine.errors import DomainError
from engine.services import cases as case_service
from engine.services import public as public_service

from .auth import login_required, now, page_user
from .ratings import RATING_QR_TEXT, notice_qr

bp = Blueprint("notices", __name__, url_prefix="/cases")

PDF_FONT = "STSong-Light"  # a built-in CID font: no font file to ship
RED = "#c00000"
CENTRED = {"no", "originals", "copies"}  # table columns centred in the PDF


def _load(case_no: str, kind: str) -> notice_service.Notice:
    password = request.args.get("password") or None
    if password:  # guesses are counted: a wrong one is not printed, too many answer 429
        with page_user(write=True) as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            if not public_service.check_notice_password(uow, user.username, case, password, now()):
                password = None
    with page_user() as (uow, user):
        case = case_service.visible_case(uow, user, case_no)
        return notice_service.build_notice(
            uow, case, kind, request.args.get("ref") or None, query_password=password
        )


def _private(response: Response) -> Response:
    """Personal data and perhaps a password: keep it out of caches and referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/<case_no>/notices/<kind>.pdf")
@login_required
def notice_pdf(case_no: str, kind: str) -> Any:
    notice = _load(case_no, kind)
    qr = notice_qr(case_no, notice.kind)
    response = Response(render_pdf(notice, qr and qr["code"]), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{kind}-{notice.case_no}.pdf"'
    return _private(response)


@bp.get("/<case_no>/notices/<kind>")
@login_required
def notice_page(case_no: str, kind: str) -> Any:
    notice = _load(case_no, kind)
    qr = notice_qr(case_no, notice.kind)  # 好差评: a one-time rating link for the applicant
    page = render_template(
        "notices/notice.html", notice=notice, qr=qr, rating_qr_text=RATING_QR_TEXT
    )
    return _private(Response(page))


def case_notices(case_no: str) -> list[notice_service.NoticeRef]:
    """For the case page: the notices the logged-in user may print for this case."""
    try:
        with page_user() as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            return notice_service.available_notices(uow, case)
    except DomainError:
        return []


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"case_notices": case_notices}


# ---- PDF -----------------------------------------------------------------------------------------


def render_pdf(notice: notice_service.Notice, qr: segno.QRCode | None = None) -> bytes:
    """The notice on A4 with reportlab, in the same order as the print page; ``qr`` is the
    rating QR code (好差评) printed after the footers."""
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))

    def style(name: str, **kw: Any) -> ParagraphStyle:
        kw.setdefault("fontName", PDF_FONT)
        kw.setdefault("fontSize", 12)
        kw.setdefault("leading", kw["fontSize"] * 1.7)
        return ParagraphStyle(name, wordWrap="CJK", **kw)

    title = style("title", fontSize=22, alignment=TA_CENTER, textColor=colors.HexColor(RED))
    number = style("number", fontSize=11, alignment=TA_CENTER)
    body = style("body", firstLineIndent=24, spaceAfter=2)
    plain = style("plain")
    small = style("small", fontSize=10)
    right = style("right", alignment=TA_RIGHT)
    cell = style("cell", fontSize=10, leading=15)
    centred = style("centred", fontSize=10, leading=15, alignment=TA_CENTER)

    def p(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), st)

    story: list[Any] = [
        p(notice.title, title),
        Spacer(1, 3 * mm),
        p(notice.doc_no, number),
        HRFlowable(width="100%", thickness=1.5, color=colors.HexColor(RED), spaceBefore=2 * mm),
        Spacer(1, 5 * mm),
        p(f"{notice.recipient}：", plain),
    ]
    story += [p(text, body) for text in notice.paragraphs]
    width = A4[0] - 50 * mm
    for table in notice.tables:
        styles = [centred if key in CENTRED else cell for key in table.keys]
        styles += [cell] * (len(table.columns) - len(styles))
        data = [[p(c, centred) for c in table.columns]]
        data += [[p(c, st) for c, st in zip(row, styles, strict=False)] for row in table.rows]
        ratios = [0.07, 0.27, 0.11, 0.12, 0.43] if len(table.columns) == 5 else None
        widths = [width * r for r in ratios] if ratios else None
        grid = Table(data, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story += [Spacer(1, 2 * mm), p(table.caption, small), grid, Spacer(1, 3 * mm)]
    story += [p(text, body) for text in notice.closing]
    if notice.facts:
        facts = Table(
            [[p(k, cell), p(v, cell)] for k, v in notice.facts],
            colWidths=[width * 0.25, width * 0.75],
        )
        facts.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story += [Spacer(1, 3 * mm), facts]
    story += [Spacer(1, 3 * mm)] + [p(text, body) for text in notice.footers]
    if qr is not None:
        story += [Spacer(1, 3 * mm), _qr_drawing(qr, 30 * mm), p(RATING_QR_TEXT, small)]
    story.append(
        KeepTogether(
            [
                Spacer(1, 12 * mm),
                p(f"{notice.issuer}（印章）", right),
                p(notice.issue_date, right),
            ]
        )
    )
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        title=notice.title,
        author=notice.issuer,
        subject=notice.doc_no,
    )
    doc.build(story)
    return buffer.getvalue()


def _qr_drawing(code: segno.QRCode, size: float) -> Drawing:
    """The QR code as vector squares: sharp at any print size, no image library."""
    matrix = code.matrix
    cell = size / (len(matrix) + 4)  # a quiet zone of two modules around it
    drawing = Drawing(size, size)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                top = size - (y + 3) * cell
                drawing.add(
                    Rect((x + 2) * cell, top, cell, cell, fillColor=colors.black, strokeColor=None)
                )
    return drawing
