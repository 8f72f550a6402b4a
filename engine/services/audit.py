"""The security audit log (安全审计): who logged in or failed to, which tokens were made and
revoked, which users, service items and settings changed — and the administrators' view of it.

``record`` writes inside the caller's unit of work, so an audit row exists exactly when the
change it describes was committed. The client address comes from the request through
``client_address`` (a context variable the web layer sets), so services need no extra argument.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import access, models
from ..uow import UnitOfWork

client_address: ContextVar[str] = ContextVar("client_address", default="")

# action → the Chinese label the audit page shows (English in web/i18n.py)
ACTIONS = {
    "login": "登录成功",
    "login_failed": "登录失败",
    "login_throttled": "登录被限制",
    "logout": "退出登录",
    "session_ended": "会话过期",
    "token_issued": "签发令牌",
    "token_revoked": "吊销令牌",
    "user_disabled": "停用用户",
    "user_enabled": "启用用户",
    "service_item_saved": "修改事项",
    "approval_chain_saved": "修改审批链",
    "calendar_day_set": "修改工作日历",
}
ANONYMOUS = "-"


def record(
    uow: UnitOfWork,
    actor: str | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    uow.session.add(
        models.AuditEvent(
            at=at or models.utcnow(),
            actor=_plain(actor or ANONYMOUS)[:64],
            action=action,
            target=_plain(target)[:128],
            address=client_address.get()[:64],
            detail=detail or {},
        )
    )


def _plain(text: str) -> str:
    """Typed names (a failed log-in's) without NUL or lone surrogates, which a database's
    text cannot hold: escaped, so the audit shows what was sent."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def event_view(event: models.AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "action_name": ACTIONS.get(event.action, event.action),
        "target": event.target,
        "address": event.address,
        "detail": event.detail or {},
    }


def events(
    uow: UnitOfWork,
    user: models.User,
    *,
    actor: str = "",
    action: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """The newest events first, optionally of one actor or action (administrators only)."""
    access.require_role(user, "admin")
    query = select(models.AuditEvent)
    if actor:
        query = query.where(models.AuditEvent.actor == actor)
    if action:
        query = query.where(models.AuditEvent.action == action)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(models.AuditEvent.at.desc(), models.AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [event_view(row) for row in rows], total
