"""The administrators' audit page (安全审计): ``/admin/audit``, newest first, filtered by user or
action. Everyone else gets 403; the rows come from engine/services/audit.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request

from engine import models
from engine.errors import BadRequest
from engine.services import audit as audit_service

from .auth import login_required, page_user
from .i18n import gettext as _

bp = Blueprint("audit", __name__, url_prefix="/admin")

PER_PAGE = 50
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
REASONS = {"unknown_user": "用户不存在", "wrong_password": "密码错误", "disabled": "用户已停用"}


def _page_number(text: str | None) -> int:
    try:
        page = int(text or 1)
    except ValueError as error:
        raise BadRequest("page 应为正整数", {"field": "page"}) from error
    if not 1 <= page <= 10**6:
        raise BadRequest("page 应为正整数", {"field": "page"})
    return page


def _row(event: dict[str, Any]) -> dict[str, Any]:
    """One event for the table: local time, the action and any reason in the page's language."""
    reason = event["detail"].get("reason")
    at = models.as_utc(datetime.fromisoformat(event["at"])).astimezone(LOCAL_TZ)
    return {
        **event,
        "local_time": at.strftime("%Y-%m-%d %H:%M:%S"),
        "action_name": _(event["action_name"]),
        "reason": _(REASONS[reason]) if reason in REASONS else reason,
    }


@bp.get("/audit")
@login_required
def audit_page() -> Any:
    actor = (request.args.get("actor") or "").strip()[:64]
    action = request.args.get("action") or ""
    if action and action not in audit_service.ACTIONS:
        action = ""
    page = _page_number(request.args.get("page"))
    with page_user() as (uow, user):
        events, total = audit_service.events(
            uow, user, actor=actor, action=action, page=page, per_page=PER_PAGE
        )
    rows = [_row(event) for event in events]
    actions = [(code, _(label)) for code, label in audit_service.ACTIONS.items()]
    return render_template(
        "audit/audit.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        actions=actions,
        filters={"actor": actor, "action": action},
    )
