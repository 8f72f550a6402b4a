"""网上申报 pages, no account: the apply page of an item (applicant, the intake step's own
fields, one upload per listed material), the case number and 查询密码 shown at once, and the
upload of 补正 items from the progress page. The rules are engine/services/online.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from engine.errors import DomainError
from engine.services import intake as intake_service
from engine.services import online as online_service
from engine.services import public as public_service

from .database import unit_of_work
from .i18n import gettext as _
from .notices import render_pdf
from .public import client_key

bp = Blueprint("online", __name__, url_prefix="/public/apply")
APPLICANT_FIELDS = ("kind", "name", "id_type", "id_number", "phone")
ID_TYPES = ("居民身份证", "统一社会信用代码")


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _page(code: str, error: str | None = None, status: int = 200) -> Response:
    with unit_of_work(write=False) as uow:
        guide = public_service.guide(uow, code)
        extra = intake_service.extra_fields(
            intake_service.intake_form(uow, code).get("schema") or {}
        )
    page = render_template(
        "online/apply.html",
        guide=guide,
        extra=extra,
        id_types=ID_TYPES,
        error=error,
        form=request.form,
    )
    return Response(page, status=status)


@bp.get("/<code>")
def apply_page(code: str) -> Any:
    return _page(code)


@bp.post("/<code>")
def apply(code: str) -> Any:
    """File the case, then each chosen file; the number and password are shown once."""
    form = request.form
    body = {
        "service_item": code,
        "applicant": {k: form.get(f"applicant-{k}", "").strip() for k in APPLICANT_FIELDS},
        "data": {k[5:]: v for k, v in form.items() if k.startswith("data-") and v.strip()},
    }
    files = [
        (form.get(f"material-name-{n}", ""), f)
        for n, f in (
            (key[len("material-") :], value)
            for key, value in request.files.items()
            if key.startswith("material-")
        )
        if f.filename
    ]
    try:
        with unit_of_work() as uow:
            filed = online_service.apply(uow, body, client_key())
            for name, upload in files:
                online_service.upload(
                    uow,
                    filed["case_no"],
                    filed["query_password"],
                    name,
                    upload.filename or "",
                    upload.read(),
                    _upload_dir(),
                    client_key(),
                )
    except DomainError as failure:
        return _page(code, _(failure.message), failure.status)
    return render_template("online/applied.html", filed=filed)


@bp.post("/cases/<case_no>/materials")
def supplement(case_no: str) -> Any:
    """A 补正 answered from the progress page: the listed items, one file each."""
    password = request.form.get("password", "")
    uploads = [
        (key[len("missing-") :], f)
        for key, f in request.files.items()
        if key.startswith("missing-") and f.filename
    ]
    names = {k[len("name-") :]: v for k, v in request.form.items() if k.startswith("name-")}
    try:
        with unit_of_work() as uow:
            for n, upload in uploads:
                online_service.upload(
                    uow,
                    case_no,
                    password,
                    names.get(n, ""),
                    upload.filename or "",
                    upload.read(),
                    _upload_dir(),
                    client_key(),
                )
    except DomainError as failure:
        return render_template("online/uploaded.html", case_no=case_no, error=_(failure.message))
    return render_template("online/uploaded.html", case_no=case_no, count=len(uploads))


@bp.post("/cases/<case_no>/e-licence.pdf")
def e_licence(case_no: str) -> Any:
    """The e-licence as a PDF; the password comes in the form, never in the URL."""
    try:
        with unit_of_work() as uow:
            notice = online_service.e_licence(
                uow, case_no, request.form.get("password", ""), client_key()
            )
    except DomainError as failure:
        return render_template("online/uploaded.html", case_no=case_no, error=_(failure.message))
    response = Response(render_pdf(notice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="e-licence.pdf"'
    return response


@bp.get("/")
def index() -> Any:
    return redirect(url_for("public.index"))
