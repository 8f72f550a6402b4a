"""Log-in (throttled, audited), the server side of login sessions, and API tokens.

A failed log-in costs the same whatever the reason (unknown user, wrong password, disabled
user: one scrypt each) and says the same, so neither the answer nor its time tells usernames
apart. Failures are counted per address, per account from one address, and per account; see
``LoginLimits`` for why a clerk cannot be locked out for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from .. import models, ratelimit
from ..errors import Unauthorized
from ..ratelimit import TooManyAttempts
from ..security import (
    dummy_password_hash,
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from ..uow import UnitOfWork
from . import audit

TOKEN_LIFETIME = timedelta(hours=12)
LOGIN_PREFIX = "login:"
FAILED_MESSAGE = "用户名或密码错误"
THROTTLED_MESSAGE = "登录失败次数过多，请稍后再试"


@dataclass(frozen=True)
class LoginLimits:
    """Failed log-ins allowed per window (a setting in production; these are the defaults).

    One address gets ``per_account_address`` tries at one account and ``per_address`` in all.
    The account-wide limit sits above what one address may send, so locking a clerk out takes
    several addresses, and then only for ``account_window``; the clerk's own address keeps its
    own count and is cleared by a successful log-in.
    """

    per_address: int = 30
    per_account_address: int = 5
    address_window: timedelta = timedelta(minutes=15)
    per_account: int = 20
    account_window: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a login session lives: ``idle`` since its last request, ``absolute`` in all."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


DEFAULT_LOGIN_LIMITS = LoginLimits()
# A session's last request is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(minutes=1)


def _limits(username: str, address: str, limits: LoginLimits) -> list[ratelimit.Limit]:
    key = ratelimit.key
    return [
        ratelimit.Limit(
            key(LOGIN_PREFIX, "ip", address), limits.per_address, limits.address_window
        ),
        ratelimit.Limit(
            key(LOGIN_PREFIX, "pair", f"{address}|{username}"),
            limits.per_account_address,
            limits.address_window,
        ),
        ratelimit.Limit(
            key(LOGIN_PREFIX, "account", username), limits.per_account, limits.account_window
        ),
    ]


def authenticate(
    uow: UnitOfWork,
    username: str,
    password: str,
    *,
    address: str = "",
    now: datetime | None = None,
    limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
) -> models.User:
    """The user whose credentials these are, or ``Unauthorized`` / ``TooManyAttempts``.

    Failures (and refusals) are committed here before the error is raised: the caller's unit
    of work rolls back on it, and the count and the audit row must stay.
    """
    now = now or models.utcnow()
    address = address or "unknown"
    keys = _limits(username, address, limits)
    try:
        ratelimit.check(uow, keys, now, THROTTLED_MESSAGE)
    except TooManyAttempts:
        audit.record(uow, username, "login_throttled", username, at=now)
        uow.commit()
        raise
    user = None
    if username.isprintable():  # no username holds NUL or a lone surrogate (nor can a query)
        user = uow.session.scalars(
            select(models.User).where(models.User.username == username)
        ).one_or_none()
    matches = verify_password(password, user.password_hash if user else dummy_password_hash())
    if user is None or not matches or not user.active:
        wait = ratelimit.count_failure(uow, keys, now)
        reason = "unknown_user" if user is None else "disabled" if matches else "wrong_password"
        audit.record(uow, username, "login_failed", username, {"reason": reason}, at=now)
        ratelimit.forget_expired(uow, LOGIN_PREFIX, now, limits.address_window)
        uow.commit()
        if wait:
            raise TooManyAttempts(wait, THROTTLED_MESSAGE)
        raise Unauthorized(FAILED_MESSAGE, code="invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    ratelimit.forget(uow, [keys[1].key])
    audit.record(uow, user.username, "login", user.username, at=now)
    return user


# ---- login sessions (登录会话) ------------------------------------------------------------


@dataclass(frozen=True)
class SessionCheck:
    """What a request's session cookie is worth right now."""

    session_id: int
    user_id: int
    expires_at: datetime  # the absolute end; a page-minted token never outlives it
    over: str | None  # "idle" or "expired": the session must be ended now
    stale: bool  # its last request is older than TOUCH_EVERY: write the new one


def start_session(uow: UnitOfWork, user: models.User, address: str, now: datetime) -> str:
    """A new session; the returned id goes into the cookie, only its SHA-256 into the table."""
    sid = new_token()
    uow.session.add(
        models.UserSession(
            sid_hash=token_digest(sid),
            user_id=user.id,
            address=address[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    return sid


def check_session(
    uow: UnitOfWork, sid: str, now: datetime, policy: SessionPolicy
) -> SessionCheck | None:
    """None when the cookie's session is unknown, ended, or its user disabled (a read only)."""
    row = uow.session.execute(
        select(models.UserSession, models.User.active)
        .join(models.User, models.User.id == models.UserSession.user_id)
        .where(models.UserSession.sid_hash == token_digest(sid))
    ).one_or_none()
    if row is None or row[0].ended_at is not None or not row[1]:
        return None
    found = row[0]
    created, seen = models.as_utc(found.created_at), models.as_utc(found.last_seen_at)
    over = (
        "expired"
        if now >= created + policy.absolute
        else "idle"
        if now >= seen + policy.idle
        else None
    )
    return SessionCheck(
        found.id, found.user_id, created + policy.absolute, over, now - seen >= TOUCH_EVERY
    )


def touch_session(uow: UnitOfWork, session_id: int, now: datetime) -> None:
    uow.session.execute(
        update(models.UserSession)
        .where(models.UserSession.id == session_id, models.UserSession.ended_at.is_(None))
        .values(last_seen_at=now)
    )


def end_session(uow: UnitOfWork, session_id: int, now: datetime, reason: str) -> None:
    """Logout or a timeout: the cookie stops working, and so do the tokens its pages minted."""
    row = uow.session.get(models.UserSession, session_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at, row.end_reason = now, reason
    _revoke_tokens(uow, models.ApiToken.session_id == session_id, now)
    user = uow.session.get(models.User, row.user_id)
    action = "logout" if reason == "logout" else "session_ended"
    audit.record(
        uow,
        user.username if user else None,
        action,
        f"session:{row.id}",
        at=now,
        detail={"reason": reason},
    )


def end_user_sessions(uow: UnitOfWork, user: models.User, now: datetime, reason: str) -> None:
    """Every session and token of ``user`` stops working (a user who left is disabled)."""
    uow.session.execute(
        update(models.UserSession)
        .where(models.UserSession.user_id == user.id, models.UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    _revoke_tokens(uow, models.ApiToken.user_id == user.id, now)


def _revoke_tokens(uow: UnitOfWork, which, now: datetime) -> None:
    uow.session.execute(
        update(models.ApiToken)
        .where(which, models.ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# ---- API tokens ---------------------------------------------------------------------------------


def issue_token(
    uow: UnitOfWork,
    user: models.User,
    *,
    session_id: int | None = None,
    not_after: datetime | None = None,
) -> str:
    """A bearer token; one minted by a page (``session_id``) dies with that login session."""
    token = new_token()
    now = models.utcnow()
    expires_at = now + TOKEN_LIFETIME
    if not_after is not None:
        expires_at = min(expires_at, not_after)
    row = models.ApiToken(
        token_hash=token_digest(token),
        user_id=user.id,
        expires_at=expires_at,
        session_id=session_id,
    )
    uow.session.add(row)
    uow.session.flush()
    detail = {"expires_at": expires_at.isoformat(), "page": session_id is not None}
    audit.record(uow, user.username, "token_issued", f"token:{row.id}", detail, at=now)
    return token


# Every API request runs it: built once (building it per request cost some 0.2 ms CPU), the
# user with department and roles in one round trip, and of the token only what decides whether
# it counts.
_USER_FOR_TOKEN = (
    select(models.User, models.ApiToken.revoked_at, models.ApiToken.expires_at)
    .join(models.ApiToken, models.ApiToken.user_id == models.User.id)
    .where(models.ApiToken.token_hash == bindparam("token_hash"))
    .options(joinedload(models.User.roles))
)


def user_for_token(uow: UnitOfWork, token: str) -> models.User:
    """Read from the table on every request, so a revoked token is refused at once."""
    found = (
        uow.session.execute(_USER_FOR_TOKEN, {"token_hash": token_digest(token)})
        .unique()
        .one_or_none()
    )
    if found is None or found.revoked_at is not None or _expired(found.expires_at):
        raise Unauthorized("令牌无效或已过期", code="invalid_token")
    user = found[0]
    if not user.active:
        raise Unauthorized("用户已停用", code="invalid_token")
    return user


def revoke_token(uow: UnitOfWork, token: str) -> None:
    row = uow.session.scalars(
        select(models.ApiToken).where(models.ApiToken.token_hash == token_digest(token))
    ).one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = models.utcnow()
        audit.record(uow, row.user.username, "token_revoked", f"token:{row.id}")


def user_by_id(uow: UnitOfWork, user_id: int) -> models.User | None:
    user = uow.session.get(models.User, user_id)
    return user if user is not None and user.active else None


def _expired(expires_at: datetime) -> bool:
    return models.as_utc(expires_at) <= models.utcnow()
