"""User accounts for administrators (用户管理): ``/admin/users`` lists them, and a button
disables the account of someone who left (or enables it again). Everyone else gets 403."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.services import users as user_service

from .auth import login_required, page_user
from .i18n import gettext as _

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")


@bp.get("/")
@login_required
def user_list() -> Any:
    with page_user() as (uow, user):
        users = user_service.list_users(uow, user)
    return render_template("audit/users.html", users=users)


@bp.post("/<username>/active")
@login_required
def set_active(username: str) -> Any:
    """``active=0`` disables (every session and token of the user ends), ``active=1`` enables."""
    active = request.form.get("active") == "1"
    with page_user(write=True) as (uow, user):
        user_service.set_active(uow, user, username, active)
    if active:
        flash(_("已启用用户 %(name)s", name=username), "success")
    else:
        flash(_("已停用用户 %(name)s，其登录会话和令牌已全部失效", name=username), "success")
    return redirect(url_for("users_admin.user_list"))
