"""Log-in for the pages (a signed cookie naming a server-side session) and the request's user."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from engine import models
from engine.errors import Unauthorized
from engine.ratelimit import TooManyAttempts
from engine.services import auth as auth_service
from engine.uow import UnitOfWork

from .database import unit_of_work
from .i18n import gettext as _

bp = Blueprint("auth", __name__)


def now() -> datetime:
    """The app's clock (``CLOCK``): tests move it instead of sleeping."""
    return current_app.config["CLOCK"]()


def session_policy() -> auth_service.SessionPolicy:
    return auth_service.SessionPolicy(
        idle=timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(hours=current_app.config["SESSION_MAX_HOURS"]),
    )


def client_address() -> str:
    """The client's address as the server sees it (behind a proxy: ``TRUSTED_PROXIES``)."""
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status, retry_after = None, 200, None
    if request.method == "POST":
        try:
            with unit_of_work() as uow:
                user = auth_service.authenticate(
                    uow,
                    request.form.get("username", ""),
                    request.form.get("password", ""),
                    address=client_address(),
                    now=now(),
                )
                sid = auth_service.start_session(uow, user, client_address(), now())
                user_id = user.id
        except Unauthorized as failure:
            error, status = _(failure.message), 401
        except TooManyAttempts as limited:
            minutes = max(1, (limited.retry_after + 59) // 60)
            error = _("登录失败次数过多，请 %(minutes)s 分钟后再试", minutes=minutes)
            status, retry_after = 429, limited.retry_after
        else:
            session.clear()
            session.permanent = True  # the cookie ends with the session's absolute timeout
            session["user_id"] = user_id
            session["sid"] = sid
            return redirect(local_target(request.args.get("next", "")) or url_for("clerk.inbox"))
    response = make_response(render_template("auth/login.html", error=error), status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def local_target(target: str) -> str | None:
    """Only a path on this site (no open redirect after log-in).

    ``//host/x`` and ``/\\host`` leave the site, and so does ``/%09/host``: browsers drop tabs
    and line breaks from URLs, which also must never reach a ``Location`` header.
    """
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.post("/logout")
def logout() -> Any:
    login_session = g.get("login_session")
    if login_session is not None:
        with unit_of_work() as uow:
            auth_service.end_session(uow, login_session.session_id, now(), "logout")
    session.clear()
    return redirect(url_for("auth.login"))


@bp.before_app_request
def resume_session() -> None:
    """Whether the session cookie still counts: the server holds the answer, not the cookie.

    An unknown, ended or timed-out session logs the browser out; a live one has its last
    request written (at most once a minute, so most page views only read).
    """
    g.login_session = None
    if "user_id" not in session or request.path.startswith(("/api/", "/static/", "/vendor/")):
        return
    sid, moment = session.get("sid"), now()
    check = None
    if isinstance(sid, str):
        with unit_of_work(write=False) as uow:
            check = auth_service.check_session(uow, sid, moment, session_policy())
    if check is None or check.over or check.user_id != session.get("user_id"):
        if check is not None and check.over:
            with unit_of_work() as uow:
                auth_service.end_session(uow, check.session_id, moment, check.over)
        session.pop("user_id", None)
        session.pop("sid", None)
        return
    if check.stale:
        with unit_of_work() as uow:
            auth_service.touch_session(uow, check.session_id, moment)
    g.login_session = check


def page_token(uow: UnitOfWork, user: models.User) -> str:
    """An API token for a page's scripts; it dies with this login session (logout, timeout)."""
    login_session = g.get("login_session")
    if login_session is None:
        raise Unauthorized("请先登录")
    return auth_service.issue_token(
        uow, user, session_id=login_session.session_id, not_after=login_session.expires_at
    )


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
