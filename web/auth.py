"""Log-in for the pages (a signed session cookie) and the user of the current request."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from engine import models
from engine.errors import Unauthorized
from engine.services import auth as auth_service
from engine.uow import UnitOfWork

from .database import unit_of_work

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            with unit_of_work() as uow:
                user = auth_service.authenticate(
                    uow, request.form.get("username", ""), request.form.get("password", "")
                )
                user_id = user.id
        except Unauthorized as failure:
            error = failure.message
        else:
            session.clear()
            session["user_id"] = user_id
            return redirect(_local(request.args.get("next", "")) or url_for("clerk.inbox"))
    return render_template("auth/login.html", error=error), 401 if error else 200


def _local(target: str) -> str | None:
    """Only a path on this site; ``//host/x`` and ``/\\host`` would leave it (open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


@dataclass(frozen=True)
class PageUser:
    """What templates need of the logged-in user, readable after the transaction is gone."""

    username: str
    display_name: str
    department_code: str
    role_codes: frozenset[str]


@contextmanager
def page_user(*, write: bool = False) -> Iterator[tuple[UnitOfWork, models.User]]:
    """A unit of work and the logged-in user loaded in it (one transaction per request)."""
    with unit_of_work(write=write) as uow:
        user = auth_service.user_by_id(uow, session.get("user_id", 0))
        if user is None:
            raise Unauthorized("请先登录")
        g.user = PageUser(
            user.username, user.display_name, user.department_code, frozenset(user.role_codes)
        )
        yield uow, user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the login page (pages only; the API answers 401)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not session.get("user_id"):
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
