"""User accounts (用户) as administrators keep them: disabling the account of someone who left.

A disabled user cannot log in, and every session and token they hold stops working at once;
their name stays on the cases and history they took part in. Enabling restores the log-in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import access, models
from ..errors import Conflict, NotFound
from ..uow import UnitOfWork
from . import audit, auth


def user_view(user: models.User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "department": user.department_code,
        "department_name": user.department.name,
        "roles": sorted(user.role_codes),
        "active": user.active,
    }


def list_users(uow: UnitOfWork, actor: models.User) -> list[dict[str, Any]]:
    access.require_role(actor, "admin")
    rows = uow.session.scalars(select(models.User).order_by(models.User.username))
    return [user_view(user) for user in rows]


def set_active(uow: UnitOfWork, actor: models.User, username: str, active: bool) -> dict[str, Any]:
    """Disable (or enable again) an account; administrators only, never their own."""
    access.require_role(actor, "admin")
    user = uow.session.scalars(
        select(models.User).where(models.User.username == username).with_for_update(of=models.User)
    ).one_or_none()
    if user is None:
        raise NotFound(f"用户 {username} 不存在", code="user_not_found")
    if user.id == actor.id and not active:
        raise Conflict("不能停用自己的账号", code="cannot_disable_self")
    if user.active != active:
        user.active = active
        now = models.utcnow()
        if not active:
            auth.end_user_sessions(uow, user, now, "disabled")
        action = "user_enabled" if active else "user_disabled"
        audit.record(uow, actor.username, action, username, at=now)
    return user_view(user)
