"""The working-day calendar as the database keeps it (``holiday_calendar``, ``calendar_year``).

Seeded from chinese-calendar; administrators add local holidays, closures and next year's
State Council notice, and mark a year announced once its schedule is entered (until then its
statutory holidays are assumed, provisionally: engine/clock.py). Every process builds a
``WorkCalendar`` once and rebuilds it only when the table changed (a cheap
``max(updated_at)``/count probe), so app servers agree without sharing memory.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import models
from .clock import WorkCalendar, seed_from_chinese_calendar, step_due
from .errors import BadRequest, ValidationFailed
from .services import audit
from .uow import UnitOfWork

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
TTL = 30.0  # seconds another app server may go on with a calendar an administrator changed
SEED_SOURCE = "国务院办公厅关于部分节假日安排的通知（chinese-calendar 数据）"
DAY_KINDS = ("holiday", "workday")
NAME_MAX, SOURCE_MAX = 64, 256
FIRST_YEAR, LAST_YEAR = 1900, 2099  # the years whose lunar holidays can be computed


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
    if len(name) > NAME_MAX or len(source) > SOURCE_MAX:
        raise BadRequest(
            f"名称不超过 {NAME_MAX} 字，依据不超过 {SOURCE_MAX} 字",
            {"field": "name" if len(name) > NAME_MAX else "source"},
        )
    row = uow.session.get(models.CalendarDay, day) or models.CalendarDay(day=day)
    row.kind, row.name, row.source = kind, name, source
    row.updated_by, row.updated_at = actor, models.utcnow()
    uow.session.add(row)
    uow.on_commit(forget)
    audit.record(uow, actor, "calendar_day_set", day.isoformat(), {"kind": kind, "name": name})
    return row


def clear_day(uow: UnitOfWork, day: date) -> bool:
    """Remove a wrong entry; the day falls back to the default rules."""
    return _delete(uow, uow.session.get(models.CalendarDay, day))


def _delete(uow: UnitOfWork, row: models.CalendarDay | models.CalendarYear | None) -> bool:
    if row is None:
        return False
    uow.session.delete(row)
    uow.on_commit(forget)
    return True


def announce_year(uow: UnitOfWork, year: int, source: str) -> None:
    """The State Council notice for ``year`` is entered: its deadlines stop being provisional.

    A local holiday entered early does not announce its year; only this does. From then on
    the year counts only the days entered, so a year with no holiday entered yet is refused:
    announcing it would drop the assumed statutory holidays and count weekends only.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadRequest(f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间", {"field": "year"})
    if not source.strip():
        raise BadRequest("请填写依据（通知文号或来源）", {"field": "source"})
    if len(source) > SOURCE_MAX:
        raise BadRequest(f"依据不超过 {SOURCE_MAX} 字", {"field": "source"})
    entered = uow.session.scalar(
        select(func.count())
        .select_from(models.CalendarDay)
        .where(
            models.CalendarDay.kind == "holiday",
            models.CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)),
        )
    )
    if not entered:
        raise ValidationFailed(
            f"{year} 年尚未录入任何放假日期，"
            "请先按国务院办公厅通知录入放假和调休安排，再标记为已公布",
            {"fields": {"year": "尚未录入放假安排"}, "year": year},
            code="calendar_year_empty",
        )
    row = uow.session.get(models.CalendarYear, year) or models.CalendarYear(year=year)
    row.source, row.updated_at = source, models.utcnow()
    uow.session.add(row)
    uow.on_commit(forget)


def withdraw_year(uow: UnitOfWork, year: int) -> bool:
    """Undo a mistaken announcement: the year's holidays are assumed again, provisionally."""
    return _delete(uow, uow.session.get(models.CalendarYear, year))


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar exactly as this session sees the table, uncommitted changes included."""
    session.flush()
    overrides = dict(session.execute(select(models.CalendarDay.day, models.CalendarDay.kind)).all())
    return WorkCalendar(overrides, frozenset(session.scalars(select(models.CalendarYear.year))))


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
        calendar = load_calendar(uow.session)
        with self._lock:
            self._stamp, self._calendar, self._checked_at = stamp, calendar, now
        return calendar

    def forget(self) -> None:
        with self._lock:
            self._calendar = None


_caches: dict[str, _CalendarCache] = {}


def calendar(uow: UnitOfWork) -> WorkCalendar:
    """The calendar of the unit of work's database (one cache per database)."""
    key = str(uow.session.get_bind().url)
    cache = _caches.get(key)
    if cache is None:
        cache = _caches.setdefault(key, _CalendarCache())
    return cache.get(uow)


def forget() -> None:
    """Drop every cached calendar: the next reader rebuilds it from the table."""
    for cache in list(_caches.values()):
        cache.forget()


def step_due_date(uow: UnitOfWork, due_working_days: int | None) -> date | None:
    """A step started today with a ``dueWorkingDays`` limit is due on this day."""
    if not due_working_days:
        return None
    return step_due(calendar(uow), today(), due_working_days)[0]
