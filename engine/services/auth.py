"""Log-in and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import models
from ..errors import Unauthorized
from ..security import new_token, token_digest, verify_password
from ..uow import UnitOfWork

TOKEN_LIFETIME = timedelta(hours=12)


def authenticate(uow: UnitOfWork, username: str, password: str) -> models.User:
    user = uow.session.scalars(
        select(models.User).where(models.User.username == username)
    ).one_or_none()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise Unauthorized("用户名或密码错误", code="invalid_credentials")
    return user


def issue_token(uow: UnitOfWork, user: models.User) -> str:
    token = new_token()
    uow.session.add(
        models.ApiToken(
            token_hash=token_digest(token),
            user_id=user.id,
            expires_at=datetime.now(UTC) + TOKEN_LIFETIME,
        )
    )
    return token


def user_for_token(uow: UnitOfWork, token: str) -> models.User:
    row = (
        uow.session.scalars(
            select(models.ApiToken)
            .where(models.ApiToken.token_hash == token_digest(token))
            .options(joinedload(models.ApiToken.user).joinedload(models.User.roles))
        )
        .unique()
        .one_or_none()
    )
    if row is None or row.revoked_at is not None or _expired(row.expires_at):
        raise Unauthorized("令牌无效或已过期", code="invalid_token")
    if not row.user.active:
        raise Unauthorized("用户已停用", code="invalid_token")
    return row.user


def revoke_token(uow: UnitOfWork, token: str) -> None:
    row = uow.session.scalars(
        select(models.ApiToken).where(models.ApiToken.token_hash == token_digest(token))
    ).one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)


def user_by_id(uow: UnitOfWork, user_id: int) -> models.User | None:
    user = uow.session.get(models.User, user_id)
    return user if user is not None and user.active else None


def _expired(expires_at: datetime) -> bool:
    if expires_at.tzinfo is None:  # SQLite hands back naive UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at <= datetime.now(UTC)
