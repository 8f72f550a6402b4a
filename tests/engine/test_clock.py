"""The working-day clock against ``chinese_calendar`` (the announced schedules, 2004–2026).

Ground truth is counted day by day with ``chinese_calendar.is_workday``, never with
``get_workdays(include_weekends=False)``, which drops the weekend make-up days (调休上班日).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction
from itertools import accumulate

import chinese_calendar as cc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.clock import (
    Pause,
    WorkCalendar,
    add_calendar_days,
    add_working_days,
    read_clock,
    seed_from_chinese_calendar,
    statutory_holidays,
    step_due,
    step_light,
    working_days_between,
)

CAL = WorkCalendar(*seed_from_chinese_calendar())
DAY = timedelta(days=1)
FIRST, LAST = date(2004, 1, 1), date(2026, 12, 31)
FAST = settings(max_examples=200, deadline=None)

# Starts late enough in 2026 would walk into 2027; 60 working days stay well inside this bound.
starts = st.dates(FIRST, date(2026, 9, 30))


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += DAY


# Prefix sums of the package's own is_workday (slow per call), computed once: _PREFIX[i] is the
# number of working days in [FIRST, FIRST + i - 1].
_PREFIX = list(accumulate((cc.is_workday(day) for day in days(FIRST, LAST)), initial=0))


def cc_workdays(start: date, end: date) -> int:
    """Working days in (start, end] by chinese_calendar; both ends within 2003-12-31..LAST."""
    if end <= start:
        return 0
    return _PREFIX[(end - FIRST).days + 1] - _PREFIX[(start - FIRST).days + 1]


def cc_is_workday(day: date) -> bool:
    return cc_workdays(day - DAY, day) == 1


# --- the calendar -------------------------------------------------------------------------


def test_seeded_calendar_matches_chinese_calendar_every_day():
    assert CAL.announced_years == frozenset(range(2004, 2027))
    for day in days(FIRST, LAST):
        assert CAL.is_workday(day) == cc.is_workday(day), day
        assert not CAL.is_provisional(day)


def assumed_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def test_unannounced_years_assume_the_statutory_holidays_and_are_provisional():
    for day in [*days(date(2027, 1, 1), date(2030, 12, 31)), date(2003, 10, 1)]:
        assert CAL.is_workday(day) == assumed_workday(day), day
        assert CAL.is_provisional(day)
    assert not CAL.is_workday(date(2027, 1, 1)), "元旦, a Friday"
    assert not CAL.is_workday(date(2003, 10, 1)), "国庆节 before the package's first year"


def test_seed_keeps_only_real_deviations():
    overrides, _ = seed_from_chinese_calendar()
    assert all((kind == "holiday") == (day.weekday() < 5) for day, kind in overrides.items())
    assert overrides[date(2025, 9, 28)] == "workday"  # a Sunday make-up day
    assert overrides[date(2025, 10, 1)] == "holiday"
    assert date(2025, 10, 4) not in overrides  # a holiday on a Saturday changes nothing


def test_local_override_wins_even_in_unannounced_years_and_is_copied():
    source = {date(2027, 3, 1): "holiday", date(2027, 3, 6): "workday"}
    cal = WorkCalendar(source, frozenset())
    source[date(2027, 3, 2)] = "holiday"
    assert not cal.is_workday(date(2027, 3, 1))  # a Monday: local holiday
    assert cal.is_workday(date(2027, 3, 6))  # a Saturday: local working day
    assert cal.is_workday(date(2027, 3, 2))  # later edits to the source do not leak in
    assert add_working_days(cal, date(2027, 2, 26), 1) == (date(2027, 3, 2), True)


def test_unknown_day_kind_is_refused():
    with pytest.raises(ValueError):
        WorkCalendar({date(2025, 1, 1): "day-off"}, frozenset())  # type: ignore[dict-item]


# --- adding and counting working days -------------------------------------------------------


@FAST
@given(start=starts, n=st.integers(0, 60))
@example(start=date(2024, 12, 27), n=5)  # year end, New Year's Day
@example(start=date(2023, 12, 29), n=1)
@example(start=date(2025, 1, 24), n=10)  # Spring Festival 2025 with its Sunday make-up day
@example(start=date(2020, 1, 20), n=5)  # the extended 2020 Spring Festival
@example(start=date(2025, 9, 26), n=1)  # 2025-09-28 is a Sunday make-up day
@example(start=date(2025, 9, 30), n=5)  # National Day golden week
@example(start=date(2026, 9, 30), n=60)
def test_add_working_days_is_the_minimal_day_with_n_workdays(start, n):
    due, provisional = add_working_days(CAL, start, n)
    assert not provisional
    assert due.year <= 2026
    if n == 0:
        assert due == start
        return
    assert cc_is_workday(due)
    assert cc_workdays(start, due) == n
    assert cc_workdays(start, due - DAY) == n - 1


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2025, 9, 30), 5, date(2025, 10, 14)),  # Oct 1–8 off, Sat Oct 11 worked
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # the 调休 Sunday counts
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # the 调休 Saturday counts
        (date(2025, 1, 27), 1, date(2025, 2, 5)),  # Spring Festival Jan 28 – Feb 4
        (date(2020, 1, 23), 1, date(2020, 2, 3)),  # 2020: extended to Feb 2
        (date(2024, 12, 27), 5, date(2025, 1, 6)),  # across the year end
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2025, 3, 3), 20, date(2025, 3, 31)),
        (date(2025, 3, 8), 0, date(2025, 3, 8)),  # 即办件: due the acceptance day, even a Saturday
    ],
)
def test_known_deadlines(start, n, due):
    assert add_working_days(CAL, start, n) == (due, False)
    assert step_due(CAL, start, n) == (due, False)


@FAST
@given(start=st.dates(date(2000, 1, 1), date(2040, 12, 31)), n=st.integers(0, 600))
def test_counting_inverts_adding_in_any_year(start, n):
    due, _ = add_working_days(CAL, start, n)
    assert working_days_between(CAL, start, due) == n


@FAST
@given(a=starts, gap1=st.integers(-30, 400), gap2=st.integers(0, 400))
def test_counting_is_additive_and_zero_backwards(a, gap1, gap2):
    b, c = a + gap1 * DAY, a + (max(gap1, 0) + gap2) * DAY
    if gap1 <= 0:
        assert working_days_between(CAL, a, b) == 0
    else:
        assert working_days_between(CAL, a, b) + working_days_between(CAL, b, c) == (
            working_days_between(CAL, a, c)
        )
    if c <= LAST:
        assert working_days_between(CAL, a, c) == cc_workdays(a, c)


def test_deadline_into_an_unannounced_year_is_provisional_not_an_error():
    # 2027-01-01 is a Friday: 元旦 is assumed off although no 2027 schedule is announced.
    assert add_working_days(CAL, date(2026, 12, 28), 5) == (date(2027, 1, 5), True)
    assert add_working_days(CAL, date(2003, 12, 30), 3) == (date(2004, 1, 5), True)
    # Only the days walked matter: starting on an unannounced year's last day is fine.
    assert add_working_days(CAL, date(2003, 12, 31), 1) == (date(2004, 1, 2), False)
    assert add_working_days(CAL, date(2026, 12, 30), 0) == (date(2026, 12, 30), False)


@FAST
@given(start=st.dates(date(2026, 1, 1), date(2045, 12, 31)), n=st.integers(1, 500))
def test_beyond_the_announced_years_statutory_holidays_and_provisional(start, n):
    due, provisional = add_working_days(CAL, start, n)
    assert provisional == (due.year >= 2027)
    if start.year >= 2027:
        assert sum(assumed_workday(d) for d in days(start + DAY, due)) == n
        assert assumed_workday(due)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(CAL, date(2025, 1, 1), -1)


def test_calendar_days_ignore_holidays():
    assert add_calendar_days(date(2025, 9, 30), 10) == date(2025, 10, 10)


# --- the case clock -------------------------------------------------------------------------


def clock(accepted_on, today, limit=20, **kw):
    kw.setdefault("unit", "working_day")
    kw.setdefault("pauses", ())
    kw.setdefault("extension_days", 0)
    return read_clock(CAL, accepted_on=accepted_on, limit_days=limit, today=today, **kw)


@FAST
@given(
    accepted=st.dates(FIRST, date(2025, 12, 31)),
    limit=st.integers(0, 45),
    offset=st.integers(1, 40),
    length=st.integers(0, 25),
    after=st.integers(0, 60),
)
@example(  # a 特别程序 spanning National Day: only the working days inside it count
    accepted=date(2025, 9, 15), limit=20, offset=10, length=15, after=5
)
def test_a_pause_of_k_working_days_pushes_the_due_date_by_k(accepted, limit, offset, length, after):
    start = accepted + offset * DAY
    end = start + length * DAY
    today = end + after * DAY
    base = clock(accepted, today, limit)
    paused = clock(accepted, today, limit, pauses=[Pause(start, end)])
    k = cc_workdays(start - DAY, end)
    assert paused.paused_working_days == k
    assert cc_workdays(base.due_date, paused.due_date) == k
    assert paused.working_days_used == base.working_days_used - k


@FAST
@given(accepted=starts, limit=st.integers(0, 45), extension=st.integers(0, 15))
def test_an_extension_of_e_days_pushes_the_due_date_by_e(accepted, limit, extension):
    base = clock(accepted, accepted, limit)
    extended = clock(accepted, accepted, limit, extension_days=extension)
    assert cc_workdays(base.due_date, extended.due_date) == extension
    assert extended.remaining_working_days == limit + extension


@FAST
@given(
    accepted=st.dates(FIRST, date(2025, 12, 31)),
    limit=st.integers(0, 45),
    extension=st.integers(0, 15),
    elapsed=st.integers(0, 120),
    pause=st.none() | st.tuples(st.integers(1, 60), st.integers(0, 20)),
)
def test_used_and_remaining_while_running(accepted, limit, extension, elapsed, pause):
    today = accepted + elapsed * DAY
    pauses = []
    if pause is not None:
        start = accepted + pause[0] * DAY
        pauses = [Pause(start, start + pause[1] * DAY)]
    reading = clock(accepted, today, limit, extension_days=extension, pauses=pauses)
    assert reading.state in ("running", "paused")
    assert reading.working_days_used + reading.remaining_working_days == limit + extension
    assert reading.working_days_used == cc_workdays(accepted, today) - reading.paused_working_days
    if today <= reading.due_date:
        assert reading.remaining_working_days == cc_workdays(today, reading.due_date)
    assert (reading.light == "red") == (today > reading.due_date)
    assert not reading.provisional


def test_lights_at_the_boundaries():
    # Accepted Mon 2025-03-03, 20 working days → due Mon 2025-03-31; yellow at ≤ 2 left.
    def light(today, **kw):
        return clock(date(2025, 3, 3), today, **kw).light

    assert clock(date(2025, 3, 3), date(2025, 3, 3)).due_date == date(2025, 3, 31)
    assert light(date(2025, 3, 3)) == "green"
    assert light(date(2025, 3, 26)) == "green"  # 3 left
    assert light(date(2025, 3, 27)) == "yellow"  # 2 left
    assert light(date(2025, 3, 29)) == "yellow"  # Saturday, 1 left
    assert light(date(2025, 3, 31)) == "yellow"  # due today, 0 left
    assert light(date(2025, 4, 1)) == "red"
    # A short limit still warns one working day ahead: 5 → due Mon 3-10.
    assert light(date(2025, 3, 6), limit=5) == "green"  # 2 left
    assert light(date(2025, 3, 7), limit=5) == "yellow"  # 1 left, max(1, 0.5)
    # 15 × 10% = 1.5 rounds down (the "90% used" rule) → due Mon 3-24, yellow from Fri 3-21.
    assert light(date(2025, 3, 20), limit=15) == "green"  # 2 left
    assert light(date(2025, 3, 21), limit=15) == "yellow"  # 1 left


@FAST
@given(
    accepted=st.dates(FIRST, date(2025, 12, 31)),
    limit=st.integers(0, 60),
    ratio=st.sampled_from(["0.1", "0.2", "0.25", "0.29", "0.3"]),
)
@example(accepted=date(2025, 1, 2), limit=100, ratio="0.29")  # 0.29 * 100 == 28.999… in floats
def test_light_sequence_over_the_whole_case(accepted, limit, ratio):
    due, _ = add_working_days(CAL, accepted, limit)
    threshold = max(1, math.floor(Fraction(ratio) * limit))
    for today in days(accepted, due + 3 * DAY):
        got = clock(accepted, today, limit, yellow_ratio=float(ratio)).light
        if today > due:
            assert got == "red"
        elif cc_workdays(today, due) <= threshold:
            assert got == "yellow"
        else:
            assert got == "green"
        assert step_light(CAL, due, today, limit, float(ratio)) == got


def test_not_started():
    reading = read_clock(
        CAL,
        accepted_on=None,
        limit_days=20,
        unit="working_day",
        pauses=(),
        extension_days=0,
        today=date(2025, 3, 3),
        stopped_on=date(2025, 3, 3),
    )
    assert (reading.state, reading.due_date, reading.light) == ("not_started", None, "none")
    assert (reading.working_days_used, reading.remaining_working_days) == (0, None)


def test_stopped_on_time_shows_none_late_shows_red_and_today_no_longer_matters():
    accepted = date(2025, 3, 3)  # due 2025-03-31
    on_time = clock(accepted, date(2026, 1, 1), stopped_on=date(2025, 3, 31))
    assert (on_time.state, on_time.light, on_time.remaining_working_days) == ("stopped", "none", 0)
    assert on_time == clock(accepted, date(2025, 4, 20), stopped_on=date(2025, 3, 31))
    late = clock(accepted, date(2026, 1, 1), stopped_on=date(2025, 4, 2))
    assert (late.state, late.light, late.remaining_working_days) == ("stopped", "red", -2)
    early = clock(accepted, date(2026, 1, 1), stopped_on=date(2025, 3, 5))
    assert (early.working_days_used, early.remaining_working_days) == (2, 18)


def test_an_open_pause_holds_the_budget_and_moves_the_due_date():
    accepted, pause = date(2025, 3, 3), Pause(date(2025, 3, 10))  # open since Monday
    monday = clock(accepted, date(2025, 3, 10), pauses=[pause])
    friday = clock(accepted, date(2025, 3, 14), pauses=[pause])
    assert (monday.state, friday.state) == ("paused", "paused")
    assert monday.remaining_working_days == friday.remaining_working_days == 16
    assert (monday.paused_working_days, friday.paused_working_days) == (1, 5)
    assert cc_workdays(monday.due_date, friday.due_date) == 4
    assert monday.light == friday.light == "green"
    resumed = clock(
        accepted, date(2025, 3, 17), pauses=[Pause(date(2025, 3, 10), date(2025, 3, 14))]
    )
    assert resumed.state == "running"
    assert (resumed.due_date, resumed.remaining_working_days) == (friday.due_date, 15)
    # A stop during an open pause freezes it at the stop.
    stopped = clock(accepted, date(2025, 5, 1), pauses=[pause], stopped_on=date(2025, 3, 12))
    assert (stopped.state, stopped.paused_working_days, stopped.light) == ("stopped", 3, "none")


def test_pauses_are_clipped_and_overlaps_count_once():
    accepted, today = date(2025, 3, 3), date(2025, 3, 21)
    before = Pause(date(2025, 2, 24), date(2025, 3, 4))  # only Tue 3-4 is after acceptance
    a, b = Pause(date(2025, 3, 10), date(2025, 3, 12)), Pause(date(2025, 3, 11), date(2025, 3, 14))
    future = Pause(date(2025, 4, 1), date(2025, 4, 10))  # not begun: not counted yet
    reading = clock(accepted, today, pauses=[future, b, before, a])
    assert reading.paused_working_days == 1 + 5
    assert reading.state == "running"


def test_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Pause(date(2025, 3, 10), date(2025, 3, 9))


def test_calendar_day_limits_count_calendar_days():
    accepted = date(2025, 9, 26)
    reading = clock(
        accepted,
        date(2025, 10, 8),
        limit=10,
        unit="calendar_day",
        extension_days=2,
        pauses=[Pause(date(2025, 9, 30), date(2025, 10, 2))],
    )
    assert reading.due_date == accepted + (10 + 2 + 3) * DAY
    assert (reading.working_days_used, reading.paused_working_days) == (12 - 3, 3)
    assert reading.remaining_working_days == 12 - 9
    assert (reading.light, reading.provisional) == ("green", False)


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        clock(date(2025, 3, 3), date(2025, 3, 3), unit="fortnight")


def test_a_clock_through_an_unannounced_year_is_provisional():
    into = clock(date(2026, 12, 1), date(2026, 12, 2), limit=30)
    assert into.due_date.year == 2027 and into.provisional and into.light == "green"
    # Due in 2026 but read in 2027: the days used are counted weekends-only, so provisional.
    read_late = clock(date(2026, 11, 2), date(2027, 1, 5), limit=20)
    assert read_late.due_date.year == 2026 and read_late.provisional
    assert read_late.light == "red"
    assert not clock(date(2026, 11, 2), date(2026, 11, 3), limit=20).provisional


def test_step_due_and_light():
    due, provisional = step_due(CAL, date(2025, 9, 30), 3)  # across National Day
    assert (due, provisional) == (date(2025, 10, 11), False)  # the 调休 Saturday
    assert step_light(CAL, due, date(2025, 9, 30), 3) == "green"
    assert step_light(CAL, due, date(2025, 10, 9), 3) == "green"  # 2 left
    assert step_light(CAL, due, date(2025, 10, 10), 3) == "yellow"  # 1 left
    assert step_light(CAL, due, date(2025, 10, 12), 3) == "red"
