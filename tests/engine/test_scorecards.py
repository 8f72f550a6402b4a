"""绩效考核: each formula of DOMAIN.md (Scorecards) over cases with known histories, by
department, window, clerk and service item; rates null when nothing is counted; the score."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import models
from engine.errors import BadRequest, Forbidden
from engine.services import process_mining, scorecards

from . import scorecard_history as history
from .helpers import user


@pytest.fixture
def rows(uow):
    with uow() as u:
        history.build(u)

    def read(by: str, username: str = "office1", period=history.PERIOD):
        with uow() as u:
            items = scorecards.scorecard(u, user(u, username), *period, by=by)
        return {row["key"]: row for row in items}

    return read


@pytest.mark.parametrize(("by", "key"), sorted(history.EXPECTED))
def test_each_formula_gives_the_figure_worked_out_by_hand(rows, by, key):
    row = rows(by)[key]
    for metric, expected in history.EXPECTED[(by, key)].items():
        assert row[metric] == expected, metric


def test_the_window_and_the_service_item_count_the_same_cases(rows):
    window = rows("window")[history.WINDOW]
    # c1, c2, c3, c5 finished in March; c8 finished in February; the handling case never counts
    assert (window["finished"], window["overdue"], window["name"]) == (4, 2, "scW")
    items = rows("service_item")
    assert sum(row["finished"] for row in items.values() if row["key"] != "") >= 4


def test_a_period_without_activity_has_no_rates(rows):
    june = rows("department", period=("2019-06-01", "2019-06-30"))
    assert "scB" not in june
    assert (june["scA"]["finished"], june["scA"]["overdue"]) == (0, 1)  # c4 is still open
    rates = [name for name in scorecards.METRICS if name.endswith("_rate")]
    assert all(june["scA"][name] is None for name in rates)
    assert june["scA"]["avg_working_days"] is None and june["scA"]["score"] is None


def test_the_score_weighs_rates_and_subtracts_penalties():
    figures = {"on_time_rate": 0.5, "good_rate": 1.0, "overdue": 2, "bad": 1}
    weights = dict.fromkeys(scorecards.DEFAULT_WEIGHTS, 0.0)
    weights.update(on_time_rate=1.0, good_rate=3.0, overdue=0.5, bad=2.0)
    assert scorecards.score(figures, weights, "good_rate") == (50 + 300) / 4 - 1 - 2
    figures["ratings_by_level"] = {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0}  # 10 and 6 points
    assert scorecards.score(figures, weights, "points") == (50 + 240) / 4 - 1 - 2
    assert scorecards.score({}, weights, "good_rate") is None


def test_rows_are_ranked_by_score(rows):
    ranked = sorted(rows("department").values(), key=lambda row: row["rank"])
    scores = [row["score"] for row in ranked if row["score"] is not None]
    assert scores == sorted(scores, reverse=True)


def test_who_reads_which_rows(rows):
    assert set(rows("department", "sc_heada")) == {"scA"}
    assert set(rows("clerk", "sc_heada")) <= {"sc_a1", "sc_a2", "sc_heada"}
    assert set(rows("clerk", "sc_a1")) == {"sc_a1"}
    assert "scB" in rows("department", "monitor1")
    with pytest.raises(Forbidden):
        rows("department", "sc_a1")
    with pytest.raises(Forbidden):
        rows("clerk", "monitor1")


def test_a_malformed_period_is_refused(rows):
    for period in (("2019-03-31", "2019-03-01"), ("2019-3", "2019-03-31"), ("", "2019-03-31")):
        with pytest.raises(BadRequest):
            rows("department", period=period)
    with pytest.raises(BadRequest):
        rows("team")


def test_step_times_give_waiting_and_handling_in_working_days(uow):
    with uow() as u:
        history.build(u)
        item = u.session.get(models.Case, history_case(u, "SC201901")).service_item_code
        times = process_mining.step_times(u, user(u, "office1"), item, *history.PERIOD)
    steps = {s["element_id"]: s for s in times["steps"]}
    review = steps["review"]
    assert (review["name"], review["count"]) == ("初审", 1)
    assert (review["avg_waiting_working_days"], review["avg_handling_working_days"]) == (
        history.STEP_WAITING,
        history.STEP_HANDLING,
    )
    # the other steps were created on the 1st and never claimed: they waited all along
    assert steps["step"]["avg_handling_working_days"] == 0
    assert times["bottleneck"] == "step"
    with uow() as u, pytest.raises(Forbidden):
        process_mining.step_times(u, user(u, "sc_a1"), item, *history.PERIOD)


def history_case(u, case_no: str) -> int:
    return u.session.scalars(select(models.Case.id).where(models.Case.case_no == case_no)).one()
