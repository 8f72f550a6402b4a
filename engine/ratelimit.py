"""Counting failed attempts (log-ins, 查询密码 guesses) in the shared ``rate_limit`` table.

Each ``Limit`` is a key (``login:account:window1``), how many failures it may collect and the
window they are counted in. The rows live in the database, so every app server shares them, and
every write is one atomic upsert, so concurrent attempts are counted exactly. The caller passes
``now``: tests move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, select
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import models
from .errors import DomainError
from .uow import UnitOfWork


@dataclass(frozen=True)
class Limit:
    key: str
    failures: int
    window: timedelta


class TooManyAttempts(DomainError):
    """Too many failures for this client, account or case: try again after ``retry_after`` s."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int, message: str = "尝试次数过多，请稍后再试"):
        super().__init__(message, {"retry_after": retry_after}, code=self.code)
        self.retry_after = retry_after


def key(prefix: str, kind: str, value: str) -> str:
    """The row key; a long or odd value (anything can be typed) is replaced by its digest."""
    if len(value) > 96 or not value.isprintable():
        value = "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}{kind}:{value}"


def _retry_after(start: datetime, now: datetime, window: timedelta) -> int:
    return max(1, int((models.as_utc(start) + window - now).total_seconds() + 0.999))


def check(uow: UnitOfWork, limits: Sequence[Limit], now: datetime, message: str) -> None:
    """``TooManyAttempts`` if any key already used up its failures in its current window."""
    table: Table = models.RateLimit.__table__
    by_key = {limit.key: limit for limit in limits}
    rows = uow.session.execute(
        select(table.c.key, table.c.count, table.c.window_start).where(
            table.c.key.in_(sorted(by_key))
        )
    ).all()
    waits = [
        _retry_after(start, now, by_key[name].window)
        for name, count, start in rows
        if models.as_utc(start) > now - by_key[name].window and count >= by_key[name].failures
    ]
    if waits:
        raise TooManyAttempts(max(waits), message)


def count_failure(uow: UnitOfWork, limits: Sequence[Limit], now: datetime) -> int | None:
    """One more failure on every key, atomically (a new window once the old one is over).

    Returns the seconds to wait when a concurrent attempt got past ``check`` first and this one
    went over a limit: the caller commits the count, then refuses.
    """
    table: Table = models.RateLimit.__table__
    dialect = uow.session.get_bind().dialect.name
    waits = []
    for limit in sorted(limits, key=lambda lim: lim.key):  # one order always: no lock cycles
        insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
        stmt = insert.values(key=limit.key, window_start=now, count=1)
        expired = table.c.window_start <= now - limit.window
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": sql_case((expired, 1), else_=table.c.count + 1),
                "window_start": sql_case(
                    (expired, stmt.excluded.window_start), else_=table.c.window_start
                ),
            },
        ).returning(table.c.count, table.c.window_start)
        count, start = uow.session.execute(stmt).one()
        if count > limit.failures:
            waits.append(_retry_after(start, now, limit.window))
    return max(waits) if waits else None


def forget(uow: UnitOfWork, keys: Sequence[str]) -> None:
    """Clear keys after a success (the same client and account start afresh)."""
    table: Table = models.RateLimit.__table__
    uow.session.execute(delete(table).where(table.c.key.in_(sorted(keys))))


def forget_expired(uow: UnitOfWork, prefix: str, now: datetime, window: timedelta) -> None:
    """Drop finished windows; rows another attempt holds are skipped, so this never waits."""
    table: Table = models.RateLimit.__table__
    expired = (
        select(table.c.key)
        .where(table.c.key.like(f"{prefix}%"), table.c.window_start <= now - window)
        .with_for_update(skip_locked=True)
    )
    uow.session.execute(delete(table).where(table.c.key.in_(expired)))
