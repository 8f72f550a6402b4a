"""Pages for the public, no account needed: the 办事指南 catalogue and the progress lookup."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from engine.errors import NotFound
from engine.services import public as public_service

from .database import unit_of_work
from .i18n import gettext as _
from .ratings import rate_on_track, track_rating

bp = Blueprint("public", __name__, url_prefix="/public")


def client_key() -> str:
    """The client's address as the server sees it (ProxyFix, if deployed, sets it)."""
    return request.remote_addr or "unknown"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index() -> Any:
    q = (request.args.get("q") or "").strip()
    with unit_of_work(write=False) as uow:
        items = public_service.list_items(uow, q)
    return render_template("public/index.html", items=items, q=q)


@bp.get("/items/<code>")
def item_guide(code: str) -> Any:
    with unit_of_work(write=False) as uow:
        item = public_service.guide(uow, code)
    return render_template("public/guide.html", item=item)


@bp.get("/items/<code>/diagram.bpmn")
def item_diagram(code: str) -> Any:
    with unit_of_work(write=False) as uow:
        xml = public_service.diagram_xml(uow, code)
    return Response(xml, mimetype="application/xml")


@bp.route("/track", methods=["GET", "POST"])
def track() -> Any:
    """进度查询: POST (CSRF-protected) so the 查询密码 never appears in a URL or a log."""
    result = None
    rating = None  # 好差评: what the result offers to rate, and a rating just sent
    error = None
    status = 200
    retry_after = None
    form = {"case_no": "", "errors": {}}
    if request.method == "POST":
        case_no = (request.form.get("case_no") or "").strip()
        password = (request.form.get("password") or "").strip()
        form["case_no"] = case_no
        if not case_no:
            form["errors"]["case_no"] = _("请输入办件编号")
        if not password:
            form["errors"]["password"] = _("请输入查询密码")
        if form["errors"]:
            status = 400
        else:
            try:
                sent: tuple[str | None, str | None, int] = (None, None, status)
                if request.form.get("stage"):  # the result's rating form
                    sent = rate_on_track(case_no, password)
                with unit_of_work() as uow:
                    result = public_service.track_case(uow, case_no, password, client_key())
                rating = track_rating(case_no, password)
                rating.update(message=sent[0], error=sent[1], form=request.form)
                status = sent[2] if sent[1] else status
            except NotFound:
                error, status = _("办件编号或查询密码不正确，请核对后重试"), 404
            except public_service.TooManyAttempts as limited:
                retry_after = limited.retry_after
                minutes = max(1, (retry_after + 59) // 60)
                error = _("查询失败次数过多，请 %(minutes)s 分钟后再试", minutes=minutes)
                status = 429
    response = Response(
        render_template("public/track.html", result=result, rating=rating, error=error, form=form),
        status=status,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return _no_store(response)
