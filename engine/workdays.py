"""The working-day calendar as the database keeps it (``holiday_calendar``, ``calendar_year``).

Seeded from chinese-calendar; administrators add local holidays, closures and next year's
State Council notice. Every process builds a ``WorkCalendar`` once and rebuilds it only when the
table changed (a cheap ``max(updated_at)``/count probe), so app servers agree without sharing
memory.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from . import models
from .clock import WorkCalendar, seed_from_chinese_calendar, step_due
from .errors import BadRequest
from .uow import UnitOfWork

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
TTL = 30.0  # seconds another app server may go on with a calendar an administrator changed
SEED_SOURCE = "国务院办公厅关于部分节假日安排的通知（chinese-calendar 数据）"
DAY_KINDS = ("holiday", "workday")


def today() -> date:
    """The service center's date: deadlines are counted in its days, not the server's."""
    return datetime.now(LOCAL_TZ).date()


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_TZ).date()


def seed(uow: UnitOfWork) -> int:
    """Load chinese-calendar's schedule where the table has no entry yet (idempotent)."""
    overrides, years = seed_from_chinese_calendar()
    session = uow.session
    existing = set(session.scalars(select(models.CalendarDay.day)))
    added = 0
    for day, kind in sorted(overrides.items()):
        if day not in existing:
            session.add(models.CalendarDay(day=day, kind=kind, source=SEED_SOURCE))
            added += 1
    known_years = set(session.scalars(select(models.CalendarYear.year)))
    for year in sorted(years - known_years):
        session.add(models.CalendarYear(year=year, source=SEED_SOURCE))
    return added


def set_day(
    uow: UnitOfWork, day: date, kind: str, name: str, source: str, actor: str
) -> models.CalendarDay:
    """Add or override one day; the source notice is required (who decided it, where)."""
    if kind not in DAY_KINDS:
        raise BadRequest("类型应为 holiday（放假）或 workday（调休上班）", {"field": "kind"})
    if not source.strip():
        raise BadRequest("请填写依据（通知文号或来源）", {"field": "source"})
    row = uow.session.get(models.CalendarDay, day) or models.CalendarDay(day=day)
    row.kind, row.name, row.source = kind, name, source
    row.updated_by, row.updated_at = actor, models.utcnow()
    uow.session.add(row)
    if uow.session.get(models.CalendarYear, day.year) is None:
        uow.session.add(models.CalendarYear(year=day.year, source=source))
    uow.on_commit(_CACHE.forget)
    return row


class _CalendarCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._calendar: WorkCalendar | None = None
        self._checked_at = 0.0

    def get(self, uow: UnitOfWork) -> WorkCalendar:
        """The shared calendar; the table is probed for changes at most every ``TTL`` s."""
        now = time.monotonic()
        with self._lock:
            if self._calendar is not None and now - self._checked_at < TTL:
                return self._calendar
        stamp = tuple(
            uow.session.execute(
                select(
                    select(func.count()).select_from(models.CalendarDay).scalar_subquery(),
                    select(func.max(models.CalendarDay.updated_at)).scalar_subquery(),
                    select(func.count()).select_from(models.CalendarYear).scalar_subquery(),
                )
            ).one()
        )
        with self._lock:
            if stamp == self._stamp and self._calendar is not None:
                self._checked_at = now
                return self._calendar
        overrides = dict(
            uow.session.execute(select(models.CalendarDay.day, models.CalendarDay.kind)).all()
        )
        years = frozenset(uow.session.scalars(select(models.CalendarYear.year)))
        calendar = WorkCalendar(overrides, years)
        with self._lock:
            self._stamp, self._calendar, self._checked_at = stamp, calendar, now
        return calendar

    def forget(self) -> None:
        with self._lock:
            self._calendar = None


_CACHE = _CalendarCache()


def calendar(uow: UnitOfWork) -> WorkCalendar:
    return _CACHE.get(uow)


def step_due_date(uow: UnitOfWork, due_working_days: int | None) -> date | None:
    """A step started today with a ``dueWorkingDays`` limit is due on this day."""
    if not due_working_days:
        return None
    return step_due(calendar(uow), today(), due_working_days)[0]
