"""Deadlines across announced and unannounced years, with pauses and extensions (property-based).

The ground truth is counted day by day: in an announced year the State Council's schedule (from
chinese_calendar), in an unannounced one the law's statutory holidays with their 补假
(《全国年节及纪念日放假办法》 art. 2 and art. 6), never weekends only.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar as cc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.clock import (
    Pause,
    WorkCalendar,
    add_working_days,
    read_clock,
    seed_from_chinese_calendar,
    statutory_holidays,
    working_days_between,
)

CAL = WorkCalendar(*seed_from_chinese_calendar())  # announced: 2004–2026
DAY = timedelta(days=1)
FAST = settings(max_examples=150, deadline=None)
# Accepted anywhere from two announced years into twelve unannounced ones.
accepted_days = st.dates(date(2025, 1, 1), date(2038, 12, 31))


def is_workday(day: date) -> bool:
    """The day-by-day truth the clock must agree with."""
    if 2004 <= day.year <= 2026:
        return cc.is_workday(day)
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def walk(start: date, n: int) -> date:
    """The n-th working day after ``start``, one day at a time."""
    day = start
    while n:
        day += DAY
        n -= is_workday(day)
    return day


def count(start: date, end: date) -> int:
    return sum(is_workday(start + k * DAY) for k in range(1, (end - start).days + 1))


@settings(max_examples=60, deadline=None)
@given(year=st.integers(2027, 2099))
@example(year=2027)  # 元旦 on a Friday, 春节 over a weekend
@example(year=2031)  # 中秋 (Oct 1) falls on 国庆: the days off add up, 8 in a row
def test_an_unannounced_year_loses_exactly_the_law_s_13_working_days(year):
    lost = list(statutory_holidays(year))
    assert len(lost) == 13 and all(d.weekday() < 5 and d.year == year for d in lost)
    days = (date(year, 12, 31) - date(year - 1, 12, 31)).days
    weekdays = sum((date(year, 1, 1) + k * DAY).weekday() < 5 for k in range(days))
    assert working_days_between(CAL, date(year - 1, 12, 31), date(year, 12, 31)) == weekdays - 13


def test_the_assumed_holidays_keep_the_official_count_of_2025_and_2026():
    """The revised law's 13 days are what the State Council gave: only the 调休 moves them."""
    unannounced = WorkCalendar({}, frozenset())
    for year in (2025, 2026):
        first, last = date(year - 1, 12, 31), date(year, 12, 31)
        assert working_days_between(unannounced, first, last) == working_days_between(
            CAL, first, last
        )
    names = {name.removesuffix("（补假）") for name in statutory_holidays(2027).values()}
    assert {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"} <= names


@FAST
@given(start=accepted_days, n=st.integers(0, 120))
@example(start=date(2026, 12, 28), n=5)  # into 2027 over 元旦
@example(start=date(2027, 2, 4), n=3)  # 春节 2027: 除夕 Fri, 初一–初三 over the weekend + 补假
@example(start=date(2031, 9, 29), n=2)  # 国庆 and 中秋 together
def test_the_due_date_is_the_n_th_working_day_in_any_year(start, n):
    due, provisional = add_working_days(CAL, start, n)
    assert due == walk(start, n)
    assert provisional == (n > 0 and due.year > 2026)
    assert working_days_between(CAL, start, due) == n


@FAST
@given(
    accepted=accepted_days,
    limit=st.integers(0, 45),
    extension=st.integers(0, 15),
    offset=st.integers(1, 40),
    length=st.integers(0, 30),
    after=st.integers(0, 60),
)
@example(  # a 听证 over the 2027 Spring Festival, read after it ended
    accepted=date(2027, 1, 25), limit=20, extension=10, offset=10, length=20, after=5
)
def test_pauses_and_extensions_push_the_due_date_by_their_working_days(
    accepted, limit, extension, offset, length, after
):
    start = accepted + offset * DAY
    end = start + length * DAY
    today = end + after * DAY
    reading = read_clock(
        CAL,
        accepted_on=accepted,
        limit_days=limit,
        unit="working_day",
        pauses=[Pause(start, end)],
        extension_days=extension,
        today=today,
    )
    paused = count(start - DAY, end)
    assert reading.paused_working_days == paused
    assert reading.due_date == walk(accepted, limit + extension + paused)
    assert reading.working_days_used == count(accepted, today) - paused
    assert reading.working_days_used + reading.remaining_working_days == limit + extension
    assert reading.provisional == (reading.due_date.year > 2026 or today.year > 2026)
    assert (reading.light == "red") == (today > reading.due_date)


@FAST
@given(
    year=st.integers(2027, 2040),
    entered=st.dictionaries(
        st.dates(date(2027, 1, 1), date(2040, 12, 31)),
        st.sampled_from(["holiday", "workday"]),
        max_size=6,
    ),
)
def test_an_announced_year_counts_what_was_entered_and_nothing_assumed(year, entered):
    """Once an administrator marks the year announced, its days are the schedule entered (the
    weekday rule elsewhere); until then the law's holidays are assumed under the entries."""
    announced = WorkCalendar(entered, frozenset({year}))
    unannounced = WorkCalendar(entered, frozenset())
    day = date(year, 1, 1)
    while day.year == year:
        by_weekday = entered.get(day, "workday" if day.weekday() < 5 else "holiday")
        assert announced.is_workday(day) == (by_weekday == "workday")
        assumed = day not in entered and day in statutory_holidays(year)
        assert unannounced.is_workday(day) == (by_weekday == "workday" and not assumed)
        assert not announced.is_provisional(day) and unannounced.is_provisional(day)
        day += DAY
    due, provisional = add_working_days(announced, date(year, 1, 1), 20)
    assert not provisional or due.year > year
