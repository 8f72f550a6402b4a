"""The day counts the scorecards read (engine/services/scorecard_days.py) are exact: cases run
through the engine on a clock the test sets — on time, early, late, a 补正, a refusal, one still
open past its due date, one decided in the period and finished after it, ratings and an upheld
appeal — and every figure read from those counts equals the live computation: the count of
its drill-down list (``GET /api/v1/cases``), the working days worked out case by case, and
the counts rebuilt from the case tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import models
from engine.clock import working_days_between
from engine.services import scorecard_days
from engine.uow import UnitOfWork
from engine.workdays import LOCAL_TZ, calendar, local_date

from ..engine.helpers import item_code
from ..engine.test_ratings import (
    CALLBACK,
    FOOD_STEPS,
    INSTANT,
    complete_handling,
    rate,
    started,
    work,
)
from .test_scorecards_api import assert_figures_drill_down, drilled, rows

FIRST, LAST = "2017-04-01", "2017-06-30"  # no other test has cases in this quarter
FOOD, INDIVIDUAL = "食品经营许可", "个体工商户设立登记"
ACCEPT = FOOD_STEPS["受理"]
AFTER_INTAKE = {name: data for name, data in FOOD_STEPS.items() if name != "受理"}
SUPPLEMENT = {
    "decision": "supplement",
    "reason": "缺少食品安全管理制度",
    "missing_materials": ["食品安全管理制度"],
}
RECEIVED = {"received_materials": ["食品安全管理制度"], "received_via": "窗口递交"}
REJECT = {"decision": "reject", "reason": "不属于本机关职权范围"}


class Clock:
    """``models.utcnow`` as the services read it: the moment the test sets."""

    def __init__(self) -> None:
        self.now = models.utcnow()

    def __call__(self) -> datetime:
        return self.now

    def at(self, month: int, day: int, hour: int = 10) -> None:
        self.now = datetime(2017, month, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)

    def on(self, day: date, hour: int = 10) -> None:
        self.at(day.month, day.day, hour)


def food(
    uow, clock: Clock, accepted: tuple[int, int], finish_after_due: int | None
) -> tuple[str, str]:
    """A 食品经营许可 accepted on ``accepted``; finished ``finish_after_due`` days after its
    due date (negative: before it), or left open. Its number and query password."""
    clock.at(*accepted)
    case_no, password = started(uow, FOOD)
    work(uow, case_no, {"受理": ACCEPT})
    if finish_after_due is not None:
        with uow() as u:
            due = u.session.scalars(
                select(models.Case.due_date).where(models.Case.case_no == case_no)
            ).one()
        clock.on(due + timedelta(days=finish_after_due))
        work(uow, case_no, AFTER_INTAKE)
    return case_no, password


@pytest.fixture(scope="module")
def histories(sessions):
    """Once per database: the quarter's cases, through the services."""
    with UnitOfWork(sessions) as uow:
        if uow.session.scalar(
            select(models.Case.id).where(
                models.Case.created_at >= datetime(2017, 4, 1, tzinfo=UTC),
                models.Case.created_at < datetime(2017, 7, 1, tzinfo=UTC),
            )
        ):
            return
    clock = Clock()
    patch = pytest.MonkeyPatch()
    patch.setattr(models, "utcnow", clock)
    try:
        _run(lambda: UnitOfWork(sessions), clock)
    finally:
        patch.undo()


def _run(uow, clock: Clock) -> None:
    # a 即办件, finished on the spot (on time)
    clock.at(4, 5)
    instant, instant_password = started(uow, INDIVIDUAL)
    work(uow, instant, {"受理并当场办结": INSTANT})
    # rated at its finish: a rating attributed to no department or clerk, which no row's
    # ratings count (the window's department drill-down must not list it either)
    clock.at(4, 6)
    rate(uow, instant, instant_password, "finish", 2)
    # early (rated 非常满意 the next day), late (rated 非常不满意: an appeal upheld takes the
    # rating out), on its due date
    early, password = food(uow, clock, (4, 6), -3)
    clock.at(4, 28)
    rate(uow, early, password, "finish", 1)
    late, password = food(uow, clock, (4, 6), 5)
    food(uow, clock, (4, 7), 0)
    # a 补正 round before acceptance, then finished before its due date
    clock.at(4, 10)
    supplemented, _password = started(uow, FOOD)
    work(uow, supplemented, {"受理": SUPPLEMENT})
    clock.at(4, 11)
    work(uow, supplemented, {"补正材料": RECEIVED})
    work(uow, supplemented, {"受理": ACCEPT})
    clock.at(4, 12)
    work(uow, supplemented, AFTER_INTAKE)
    # 不予受理
    clock.at(4, 12)
    refused, _password = started(uow, FOOD)
    work(uow, refused, {"受理": REJECT})
    # still open on the last day, long past its due date
    food(uow, clock, (4, 13), None)
    # accepted in the period, finished after it
    food(uow, clock, (6, 28), 3)
    # the late case's bad rating, appealed and upheld
    with uow() as u:
        late_row = u.session.scalars(select(models.Case).where(models.Case.case_no == late)).one()
        finished_on = local_date(late_row.finished_at)
    clock.on(finished_on + timedelta(days=1))
    rated = rate(uow, late, password, "finish", 5, comment="等了很久")
    complete_handling(uow, rated["id"], "amr1", CALLBACK)
    complete_handling(uow, rated["id"], "amr1", {"decision": "appeal", "finding": "恶意"})
    complete_handling(uow, rated["id"], "office1", {"verdict": "uphold", "review_opinion": "成立"})


ROWS = [
    ("department", "window", {"department": "window"}),
    ("department", "amr", {"department": "amr"}),
    ("clerk", "window1", {"clerk": "window1"}),
    ("window", "window", {"window": "window"}),
]


@pytest.mark.parametrize(("by", "key", "row_filter"), ROWS)
def test_every_figure_from_the_day_counts_equals_its_drill_down(
    api, histories, by, key, row_filter
):
    office = api("office1")
    row = rows(office, by, FIRST, LAST)[key]
    assert row["finished"] >= 4 and row["overdue"] >= 1, row  # the history is there
    assert_figures_drill_down(office, row, row_filter, FIRST, LAST)


def test_each_item_row_equals_its_drill_down(api, sessions, histories):
    office = api("office1")
    with UnitOfWork(sessions) as uow:
        codes = [item_code(uow, FOOD), item_code(uow, INDIVIDUAL)]
    items = rows(office, "service_item", FIRST, LAST)
    for code in codes:
        assert_figures_drill_down(office, items[code], {"service_item": code}, FIRST, LAST)
    assert items[codes[1]]["on_time_rate"] == 1.0 and items[codes[1]]["early_rate"] == 0.0


def test_the_upheld_appeal_takes_its_rating_out(api, histories):
    department = rows(api("office1"), "department", FIRST, LAST)["window"]
    assert (department["ratings"], department["bad"]) == (1, 0)  # the early case's 非常满意


@pytest.mark.parametrize(("by", "key", "row_filter"), ROWS)
def test_working_days_equal_those_worked_out_case_by_case(
    api, sessions, histories, by, key, row_filter
):
    office = api("office1")
    row = rows(office, by, FIRST, LAST)[key]
    query = {**row_filter, "finished_from": FIRST, "finished_to": LAST, "per_page": 200}
    listed = office.get("/cases", query_string=query).get_json()["items"]
    assert len(listed) == drilled(office, row_filter, {"finished_from": FIRST, "finished_to": LAST})
    with UnitOfWork(sessions) as uow:
        cal = calendar(uow)
        cases = uow.session.scalars(
            select(models.Case).where(models.Case.case_no.in_([c["case_no"] for c in listed]))
        ).all()
        days = [
            working_days_between(cal, local_date(c.accepted_at), local_date(c.finished_at))
            for c in cases
            if c.accepted_at is not None
        ]
    assert row["avg_working_days"] == round(sum(days) / len(days), 2)


def test_the_counts_kept_as_cases_finish_equal_those_rebuilt(sessions, histories):
    def counted() -> tuple[list[Any], list[Any]]:
        with UnitOfWork(sessions) as uow:
            days, rated = models.ScorecardDay, models.ScorecardRatingDay
            kept = uow.session.execute(
                select(days).where(days.finished_on.between(date(2017, 4, 1), date(2017, 7, 31)))
            ).scalars()
            # an upheld appeal leaves its rows at zero, where a rebuild writes none
            ratings = uow.session.execute(
                select(rated).where(
                    rated.rated_on.between(date(2017, 4, 1), date(2017, 7, 31)),
                    rated.ratings != 0,
                )
            ).scalars()
            return (
                sorted(_values(row) for row in kept),
                sorted(_values(row) for row in ratings),
            )

    before = counted()
    assert before[0] and before[1]
    with UnitOfWork(sessions) as uow:
        scorecard_days.rebuild(uow.session.connection())
    assert counted() == before


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(str(getattr(row, column.key)) for column in row.__table__.columns)


def test_the_dashboard_trend_counts_each_finished_case_once(api, histories):
    """All rows (a case of two departments once), and a clerk's own row."""
    finished = {"finished_from": FIRST, "finished_to": LAST}
    for username, by, row_filter in (
        ("office1", "department", {}),
        ("window1", "clerk", {"clerk": "window1"}),
    ):
        caller = api(username)
        response = caller.get(f"/scorecards/trend?from={FIRST}&to={LAST}&by={by}")
        assert response.status_code == 200, response.get_json()
        months = {m["month"]: m for m in response.get_json()["items"]}
        assert len(months) == 12 and "2017-06" in months
        quarter = sum(months[m]["finished"] for m in ("2017-04", "2017-05", "2017-06"))
        assert quarter == drilled(api("office1"), row_filter, finished), username
        on_time = sum(
            round(months[m]["on_time_rate"] * months[m]["finished"])
            for m in ("2017-04", "2017-05", "2017-06")
            if months[m]["finished"]
        )
        expected = drilled(api("office1"), row_filter, {**finished, "on_time": "true"})
        assert on_time == expected, username


def test_the_dashboard_lights_are_read_by_those_who_read_the_scorecard(api, histories):
    response = api("office1").get("/scorecards/lights")
    assert response.status_code == 200
    assert set(response.get_json()) == {"green", "yellow", "red"}
    assert api("designer1").get("/scorecards/lights").status_code == 403
    assert api("office1").get(f"/scorecards/trend?from={FIRST}&to=x").status_code == 400
