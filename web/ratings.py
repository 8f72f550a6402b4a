"""好差评 pages: the applicant's rating pad (``/pad/<token>``, no login), the rating on the
progress page, the QR codes printed on notices, and the center's ratings pages for staff.

Only the applicant rates: a request that carries a staff session or token is refused (403)
by the engine, whichever page or endpoint it reaches.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, Response, render_template, request, session, url_for
from markupsafe import Markup

from engine import models
from engine.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized, ValidationFailed
from engine.services import auth as auth_service
from engine.services import cases as case_service
from engine.services import ratings as rating_service
from engine.services.ratings import RatingFilter, RatingInput
from engine.uow import UnitOfWork

from .auth import login_required, page_user
from .database import unit_of_work
from .i18n import gettext as _

bp = Blueprint("ratings", __name__)

# Which notice prints a QR code for which stage: the 受理通知书 and the 办结 decision. The
# notice's text is the official Chinese whatever the interface language.
NOTICE_STAGES = {"acceptance": "acceptance", "decision": "finish"}
RATING_QR_TEXT = "请用手机扫描二维码，对本次服务作出评价（好差评）；每个二维码限评价一次。"


# A handling's history as the rating page tells it; a step's completion shows the step's name.
HISTORY_ACTIONS = {"start": "收到差评，开始处理", "finish": "处理完毕", "claim": "认领"}


def staff_behind_request(uow: UnitOfWork) -> models.User | None:
    """The staff member a request comes from — by bearer token or a page session — so that
    the engine refuses them: no one rates on an applicant's behalf."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            return auth_service.user_for_token(uow, token.strip())
        except Unauthorized:
            pass
    user_id = session.get("user_id")
    return auth_service.user_by_id(uow, user_id) if isinstance(user_id, int) else None


def client_address() -> str:
    """The rating client's address as the server sees it (kept with the rating)."""
    return request.remote_addr or ""


def pad_url(token: str) -> str:
    return url_for("ratings.pad", token=token, _external=True)


def qr_svg(url: str, title: str) -> Markup:
    """An inline SVG QR code (segno: no image files, scales for print)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, title=title, border=2, omitsize=True)
    return Markup(svg)  # segno's own SVG of our URL; segno escapes the title


def _choice(form: Any) -> RatingInput:
    level = form.get("level", "")
    return RatingInput(
        int(level) if level.isdigit() else level or None,
        form.getlist("reasons"),
        form.get("comment", ""),
    )


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak onwards
    return response


# ---- the applicant: the pad (one-time link) ------------------------------------------------------


@bp.route("/pad/<token>", methods=["GET", "POST"])
def pad(token: str) -> Any:
    """The hall's rating pad and the QR code's page: five large buttons, the reasons of the
    chosen level, a comment box; no login, and the link rates once."""
    error, status, done = None, 200, None
    try:
        with unit_of_work(write=False) as uow:
            target = rating_service.link_target(uow, token)
    except NotFound:
        return _no_store(Response(render_template("ratings/pad_gone.html"), status=404))
    except Conflict:
        return _no_store(Response(render_template("ratings/pad_gone.html", used=True), status=409))
    if request.method == "POST":
        try:
            with unit_of_work() as uow:
                done = rating_service.rate_with_link(
                    uow,
                    staff_behind_request(uow),
                    token,
                    _choice(request.form),
                    client_address(),
                )
        except Forbidden as refused:
            error, status = _(refused.message), 403
        except (ValidationFailed, Conflict) as refused:
            error, status = _(refused.message), refused.status
    page = render_template(
        "ratings/pad.html", target=target, done=done, error=error, form=request.form
    )
    return _no_store(Response(page, status=status))


# ---- the applicant: the progress page ------------------------------------------------------------


def track_rating(case_no: str, password: str) -> dict[str, Any]:
    """What the progress page offers to rate after a successful lookup (the same case, so no
    new password check): each stage, open or rated, and the reasons per level."""
    with unit_of_work(write=False) as uow:
        return {
            "options": rating_service.rating_options(uow, case_no),
            "levels": rating_service.LEVELS,
            "reasons": rating_service.reasons_for(uow),
            "password": password,
        }


def rate_on_track(case_no: str, password: str) -> tuple[str | None, str | None, int]:
    """The rating form of the progress page: (message, error, status)."""
    try:
        with unit_of_work() as uow:
            rated = rating_service.rate_with_password(
                uow,
                staff_behind_request(uow),
                case_no,
                password,
                request.form.get("stage"),
                _choice(request.form),
                "web",
                client_address(),
            )
    except (Forbidden, ValidationFailed, Conflict) as refused:
        return None, _(refused.message), refused.status
    stage = _(rating_service.STAGES[rated["stage"]])
    return _("感谢您对%(stage)s服务的评价！", stage=stage), None, 201


# ---- notices: the QR code ------------------------------------------------------------------------


def notice_qr(case_no: str, kind: str) -> dict[str, Any] | None:
    """A one-time rating link for the notice being printed, as a QR code; None when the
    notice rates nothing or the stage is not open (or already rated)."""
    stage = NOTICE_STAGES.get(kind)
    if stage is None:
        return None
    try:
        with page_user(write=True) as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            link = rating_service.issue_link(uow, user, case, stage, "qr")
    except DomainError:
        return None
    url = pad_url(link.token)
    code = segno.make(url, error="m")
    return {"url": url, "svg": qr_svg(url, "扫码评价"), "code": code}


# ---- the center: lists, one rating, the link for the pad ----------------------------------------


def _filters() -> RatingFilter:
    args = request.args
    level = args.get("level") or None
    bad = {"1": True, "true": True, "0": False, "false": False}.get(args.get("bad") or "")
    return RatingFilter(
        level=int(level) if level and level.isdigit() else None,
        bad=bad,
        department=args.get("department") or None,
        clerk=args.get("clerk") or None,
        service_item=args.get("service_item") or None,
        date_from=args.get("from") or None,
        date_to=args.get("to") or None,
    )


@bp.get("/ratings/")
@login_required
def rating_list() -> Any:
    """The center's ratings list; a clerk sees their own, a department head the department's."""
    filters = _filters()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with page_user() as (uow, user):
        items, total = rating_service.list_ratings(uow, user, filters, page, 50)
        names = case_service.department_names(uow)
        headed = rating_service.headed_departments(uow, user)
        may_report = bool(user.role_codes & {"admin", "supervisor"})
    return render_template(
        "ratings/list.html",
        items=items,
        total=total,
        page=page,
        filters=filters,
        levels=rating_service.LEVELS,
        departments=names,
        headed=headed,
        may_report=may_report,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/ratings/<int:rating_id>")
@login_required
def rating_page(rating_id: int) -> Any:
    with page_user() as (uow, user):
        rating = rating_service.get_rating(uow, user, rating_id)
    return render_template("ratings/rating.html", rating=rating, actions=HISTORY_ACTIONS)


@bp.get("/ratings/addresses")
@login_required
def address_report() -> Any:
    """Addresses that rated many cases (刷评 check): supervisors and administrators."""
    min_cases = max(1, request.args.get("min_cases", 3, type=int) or 3)
    with page_user() as (uow, user):
        rows = rating_service.frequent_addresses(
            uow, user, min_cases, request.args.get("from"), request.args.get("to")
        )
    return render_template("ratings/addresses.html", rows=rows, min_cases=min_cases)


@bp.route("/ratings/pad-link", methods=["GET", "POST"])
@login_required
def pad_link() -> Any:
    """The window opens the hall's pad for a case it served: a one-time link and its QR."""
    issued, error, status = None, None, 200
    case_no = (request.values.get("case_no") or "").strip()
    stage = request.values.get("stage") or "acceptance"
    if request.method == "POST":
        try:
            with page_user(write=True) as (uow, user):
                link = rating_service.create_link(uow, user, case_no, stage, "pad")
            url = pad_url(link.token)
            issued = {"url": url, "svg": qr_svg(url, _("扫码评价")), "expires_at": link.expires_at}
        except DomainError as refused:
            error, status = _(refused.message), refused.status
    page = render_template(
        "ratings/pad_link.html",
        issued=issued,
        error=error,
        case_no=case_no,
        stage=stage,
        stages=rating_service.STAGES,
    )
    return _no_store(Response(page, status=status))
