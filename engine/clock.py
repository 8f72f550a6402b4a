"""The working-day clock (工作日计时): deadlines, used and paused days, and SLA lights (亮灯).

Pure arithmetic over a :class:`WorkCalendar`; no database and no wall clock, so the service
layer decides where the calendar comes from (the calendar table) and what "today" is.

Conventions, from DOMAIN.md "Working-day clock" and gov-domain.md §3:

- A limit of N working days ends on the N-th working day *after* acceptance (受理当日不计,
  民法典 art. 201). The same "day after" rule holds for every span: ``(start, end]``.
- A year whose holiday schedule is not announced yet assumes the statutory holidays the law
  fixes (《全国年节及纪念日放假办法》: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆, each with
  its 补假 when it falls on a weekend), and whatever is computed through it is marked
  provisional (暂定) instead of failing, until an administrator enters and announces the State
  Council's schedule.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType
from typing import Literal

import chinese_calendar
from lunardate import LunarDate

DayKind = Literal["holiday", "workday"]
"""An override of the Monday–Friday rule: a statutory holiday (法定节假日) on a weekday, or a
make-up working day (调休上班日) on a weekend."""

LimitUnit = Literal["working_day", "calendar_day"]
ClockState = Literal["not_started", "running", "paused", "stopped"]
Light = Literal["none", "green", "yellow", "red"]

_DAY = timedelta(days=1)


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """Which days are working days, built once (from the calendar table) and shared.

    ``overrides`` wins over the weekday rule in every year, announced or not, so an
    administrator can enter a local holiday (民族节日, emergency closure) before the State
    Council notice arrives. Instances compare by identity: a calendar is a shared, immutable
    snapshot, and identity keeps it usable as a cache key.
    """

    overrides: Mapping[date, DayKind]
    announced_years: frozenset[int]
    # Sorted working-day ordinals per year, filled lazily: this is what makes adding 30 working
    # days a bisect instead of a day-by-day walk. Racing threads at worst build a year twice.
    _ordinals: dict[int, tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Copied and frozen so that a caller mutating its dict cannot desynchronise the cache.
        bad = {kind for kind in self.overrides.values() if kind not in ("holiday", "workday")}
        if bad:
            raise ValueError(f"unknown day kinds: {sorted(bad)}")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "announced_years", frozenset(self.announced_years))

    def is_workday(self, day: date) -> bool:
        """An override if there is one; in an unannounced year, not an assumed statutory
        holiday; else Monday–Friday."""
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == "workday"
        if self.assumed_holiday(day) is not None:
            return False
        return day.weekday() < 5

    def assumed_holiday(self, day: date) -> str | None:
        """The statutory holiday assumed on ``day`` while its year is unannounced, or None."""
        if day.year in self.announced_years:
            return None
        return statutory_holidays(day.year).get(day)

    def is_provisional(self, day: date) -> bool:
        """True when ``day``'s year has no announced schedule (its holidays are assumed)."""
        return day.year not in self.announced_years

    def _workday_ordinals(self, year: int) -> tuple[int, ...]:
        ordinals = self._ordinals.get(year)
        if ordinals is None:
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            ordinals = tuple(
                o for o in range(first, last + 1) if self.is_workday(date.fromordinal(o))
            )
            self._ordinals[year] = ordinals
        return ordinals


# 《全国年节及纪念日放假办法》 art. 2 as revised in 2024 (in force 2025-01-01): 13 days off.
# Before 2025 (the 2013 revision): 春节 without 除夕 and one day for 劳动节, 11 days.
REVISED_HOLIDAYS_FROM = 2025
_FIXED_HOLIDAYS = (
    ((1, 1), "元旦"),
    ((5, 1), "劳动节"),
    ((10, 1), "国庆节"),
    ((10, 2), "国庆节"),
    ((10, 3), "国庆节"),
)
_LUNAR_HOLIDAYS = (  # (lunar month, day)
    ((1, 1), "春节"),
    ((1, 2), "春节"),
    ((1, 3), "春节"),
    ((5, 5), "端午节"),
    ((8, 15), "中秋节"),
)


def _statutory_days(year: int) -> list[tuple[date, str]]:
    """Each day the law gives off in ``year``, once per holiday (中秋 may fall on 国庆).

    Lunar dates come from ``lunardate`` and 清明 (a solar term) from ``chinese_calendar``;
    outside the years they cover (1900–2099) only the fixed-date holidays are known.
    """
    days = [(date(year, month, day), name) for (month, day), name in _FIXED_HOLIDAYS]
    revised = year >= REVISED_HOLIDAYS_FROM
    if revised:
        days.append((date(year, 5, 2), "劳动节"))
    try:
        lunar = [(LunarDate(year, m, d).to_solar_date(), name) for (m, d), name in _LUNAR_HOLIDAYS]
        qingming = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    except (ValueError, NotImplementedError):
        return days
    days += lunar + [(day, "清明节") for day, term in qingming if term == "清明"]
    if revised:
        days.append((lunar[0][0] - _DAY, "春节"))  # 除夕, the eve of 正月初一
    return days


@cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The weekdays off that the law alone gives ``year``, before any State Council schedule.

    A statutory day on a weekend, or on a day another holiday already took, is made up by
    补假 on the next free weekday (放假办法 art. 6), so the count of working days lost is the
    law's (13 from 2025); only where the 调休 will put them is unknown — hence provisional.
    """
    statutory = sorted(_statutory_days(year))
    taken: dict[date, str] = {}
    named = {day for day, _name in statutory}
    for day, name in statutory:
        if day.weekday() < 5 and day not in taken:
            taken[day] = name
            continue
        substitute = day + _DAY
        while substitute.weekday() >= 5 or substitute in taken or substitute in named:
            substitute += _DAY
        taken[substitute] = f"{name}（补假）"
    return MappingProxyType(taken)


def seed_from_chinese_calendar() -> tuple[dict[date, DayKind], frozenset[int]]:
    """Overrides and announced years from the ``chinese_calendar`` package (seeds the table).

    Only deviations from Monday–Friday are kept: the package also lists holidays that fall on
    weekends, which change nothing. The dicts are read directly because
    ``get_workdays(..., include_weekends=False)`` would drop the weekend make-up days, and the
    package's own functions raise outside the years it covers.
    """
    overrides: dict[date, DayKind] = {
        day: "holiday" for day in chinese_calendar.holidays if day.weekday() < 5
    }
    # Applied last: the package lets a listed workday win over a listed holiday.
    overrides.update({day: "workday" for day in chinese_calendar.workdays if day.weekday() >= 5})
    years = {day.year for day in chinese_calendar.holidays}
    return overrides, frozenset(range(min(years), max(years) + 1))


def _provisional_between(cal: WorkCalendar, start: date, end: date) -> bool:
    """Whether any day of ``(start, end]`` lies in an unannounced year."""
    if end <= start:
        return False
    first_year = (start + _DAY).year
    return any(year not in cal.announced_years for year in range(first_year, end.year + 1))


def add_working_days(cal: WorkCalendar, start: date, days: int) -> tuple[date, bool]:
    """The ``days``-th working day after ``start``, and whether it is provisional.

    ``start`` never counts: the clock starts the day after acceptance. ``days == 0`` returns
    ``start`` itself, working day or not, because a 即办件 (limit 0) is due the day it is
    accepted; nothing is walked then, so it is never provisional. Provisional means some day
    in ``(start, due]`` lies in an unannounced year.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    if days == 0:
        return start, False
    year = start.year
    ordinals = cal._workday_ordinals(year)
    index = bisect_right(ordinals, start.toordinal()) + days - 1
    while index >= len(ordinals):
        index -= len(ordinals)
        year += 1
        ordinals = cal._workday_ordinals(year)
    due = date.fromordinal(ordinals[index])
    return due, _provisional_between(cal, start, due)


def working_days_between(cal: WorkCalendar, start: date, end: date) -> int:
    """Working days in ``(start, end]``; 0 when ``end <= start``.

    Same half-open convention as :func:`add_working_days`, so the two are inverses.
    """
    if end <= start:
        return 0
    total = -bisect_right(cal._workday_ordinals(start.year), start.toordinal())
    for year in range(start.year, end.year):
        total += len(cal._workday_ordinals(year))
    return total + bisect_right(cal._workday_ordinals(end.year), end.toordinal())


def add_calendar_days(start: date, days: int) -> date:
    """The deadline of a limit whose unit is calendar days (日历日): holidays do not matter."""
    return start + timedelta(days=days)


@dataclass(frozen=True)
class Pause:
    """A stretch the clock does not count: 受理后补正 or a 特别程序 (听证, 检测, 公示 …).

    Paused from ``start`` through ``end`` inclusive; the clock resumes the day after ``end``.
    ``end is None`` is a pause still open, which runs until the day the clock is read.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("a pause cannot end before it starts")


@dataclass(frozen=True)
class ClockReading:
    """What the case page shows about its clock (DOMAIN.md: used and paused days are shown).

    Day counts are in the limit's unit (working or calendar days).
    ``remaining_working_days`` is the budget left (limit + extension − used): negative once
    overdue, ``None`` before acceptance; a stopped case keeps the margin it finished with.
    """

    state: ClockState
    due_date: date | None
    working_days_used: int
    paused_working_days: int
    remaining_working_days: int | None
    provisional: bool
    light: Light


_NOT_STARTED = ClockReading("not_started", None, 0, 0, None, False, "none")


def _pause_spans(
    pauses: Sequence[Pause], accepted_on: date, horizon: date
) -> list[tuple[date, date]]:
    """Pauses as merged inclusive spans inside ``(accepted_on, horizon]``.

    Clipped to the horizon because only elapsed pause days are known to have happened (a
    特别程序 can end early), and merged so overlapping records are not counted twice.
    """
    clipped = sorted(
        (max(p.start, accepted_on + _DAY), min(p.end or horizon, horizon)) for p in pauses
    )
    spans: list[tuple[date, date]] = []
    for first, last in clipped:
        if first > last:
            continue
        if spans and first <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], last))
        else:
            spans.append((first, last))
    return spans


def _yellow_threshold(limit_days: int, yellow_ratio: float) -> int:
    """max(1, yellow_ratio × promised limit), as a whole number of days.

    Compared as a real number the rule ``remaining ≤ 10% × limit`` is ``remaining ≤ floor(…)``
    for whole days, which is also the "90% of the limit used" rule (榆林); the epsilon keeps
    float products such as 0.29 × 100 = 28.999… from losing a day.
    """
    return max(1, math.floor(yellow_ratio * limit_days + 1e-9))


def _light(remaining: int, overdue: bool, limit_days: int, yellow_ratio: float) -> Light:
    if overdue:
        return "red"
    if remaining <= _yellow_threshold(limit_days, yellow_ratio):
        return "yellow"
    return "green"


def read_clock(
    cal: WorkCalendar,
    *,
    accepted_on: date | None,
    limit_days: int,
    unit: LimitUnit,
    pauses: Sequence[Pause],
    extension_days: int,
    today: date,
    stopped_on: date | None = None,
    yellow_ratio: float = 0.1,
) -> ClockReading:
    """The case clock as of ``today`` (or frozen at ``stopped_on`` once finished, 办结).

    - due = the (limit + extension + paused)-th day after acceptance: every paused day and
      every approved extension day (延期, in the limit's unit) pushes it by exactly one.
    - used = days in ``(accepted_on, today or stopped_on]`` minus paused ones; while running,
      used + remaining == limit + extension, and remaining is the days left in ``(today, due]``.
    - Pauses count only up to the horizon (see :func:`_pause_spans`), so an open pause moves
      the due date one day per paused working day; the state is ``paused`` while one is open
      (or ends after today; one begun on the acceptance day included, one closed today not),
      and its light is unchanged because the remaining budget does not shrink.
    - Lights: red when today is after the due date; yellow when remaining ≤ max(1,
      yellow_ratio × limit_days) — the promised limit, extensions not included; green
      otherwise. A stopped case shows ``none`` if finished by its due date, ``red`` if late,
      so late cases stay visible to 电子监察 and scorecards.
    - Calendar-day units count calendar days for the limit, pauses and extensions, and are
      never provisional. Working-day readings are provisional if any day from acceptance to the
      due date or the horizon lies in an unannounced year.
    - No acceptance yet → ``not_started`` (even with ``stopped_on``: a case rejected at intake
      never had a clock).
    """
    if accepted_on is None:
        return _NOT_STARTED
    horizon = today if stopped_on is None else stopped_on
    spans = _pause_spans(pauses, accepted_on, horizon)
    budget = limit_days + extension_days
    if unit == "working_day":
        paused = sum(working_days_between(cal, first - _DAY, last) for first, last in spans)
        elapsed = working_days_between(cal, accepted_on, horizon)
        due, provisional = add_working_days(cal, accepted_on, budget + paused)
        provisional = provisional or _provisional_between(cal, accepted_on, horizon)
    elif unit == "calendar_day":
        paused = sum((last - first).days + 1 for first, last in spans)
        elapsed = max(0, (horizon - accepted_on).days)
        due, provisional = add_calendar_days(accepted_on, budget + paused), False
    else:
        raise ValueError(f"unknown limit unit: {unit!r}")
    used = elapsed - paused
    remaining = budget - used
    if stopped_on is not None:
        state: ClockState = "stopped"
        light: Light = "red" if stopped_on > due else "none"
    else:
        # Paused while a pause is open, even one begun on the acceptance day (which the spans
        # clip away); a pause closed today was resumed today.
        held = any(p.start <= today < (p.end or date.max) for p in pauses)
        state = "paused" if held else "running"
        light = _light(remaining, today > due, limit_days, yellow_ratio)
    return ClockReading(state, due, used, paused, remaining, provisional, light)


def step_due(cal: WorkCalendar, started_on: date, due_working_days: int) -> tuple[date, bool]:
    """Due date of a step with its own limit (``dueWorkingDays``), counted from the day after
    the step started; same rules and provisional flag as :func:`add_working_days`."""
    return add_working_days(cal, started_on, due_working_days)


def step_light(
    cal: WorkCalendar, due: date, today: date, limit_days: int, yellow_ratio: float = 0.1
) -> Light:
    """The light of an open step, by the case rules applied to the step's own due date and
    limit: a step can overrun while the case as a whole is still on time (gov-domain.md §3.4)."""
    remaining = working_days_between(cal, today, due)
    return _light(remaining, today > due, limit_days, yellow_ratio)
