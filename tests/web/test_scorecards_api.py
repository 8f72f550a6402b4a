"""绩效考核 over HTTP (API.md): every figure equals the count of its drill-down list
(``GET /api/v1/cases``), and who reads which rows, as a matrix."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine import models
from engine.services import scorecards
from engine.uow import UnitOfWork

from ..engine import scorecard_history as history

FROM, TO = history.PERIOD


def figure_drills(first: str, last: str) -> dict[str, tuple[dict[str, str], str, Any]]:
    """figure -> (the drill-down arguments of its cases, the row's field, the arguments of the
    rate's base: None for a count, which must equal the list's length itself)."""
    finished = {"finished_from": first, "finished_to": last}
    decided = {"decided_from": first, "decided_to": last}
    rated = {"rated_from": first, "rated_to": last}
    return {
        "finished": (finished, "finished", None),
        "overdue": ({**finished, "overdue_on": last}, "overdue", None),
        "ratings": (rated, "ratings", None),  # one rating per case in these histories
        "bad": ({**rated, "bad": "true"}, "bad", None),
        "on_time": ({**finished, "on_time": "true"}, "on_time_rate", finished),
        "early": ({**finished, "early": "true"}, "early_rate", finished),
        "first_time": ({**finished, "first_time": "true"}, "first_time_rate", finished),
        "supplemented": ({**decided, "supplemented": "true"}, "supplement_rate", decided),
        "refused": ({**decided, "refused": "true"}, "rejection_rate", decided),
    }


def assert_figures_drill_down(
    caller, row: dict[str, Any], row_filter: dict[str, str], first: str, last: str
) -> None:
    """Every count of ``row`` equals the length of its case list, every rate the ratio of two."""
    for figure, (arguments, field, base) in figure_drills(first, last).items():
        if base is None:
            assert drilled(caller, row_filter, arguments) == row[field], figure
            continue
        whole = drilled(caller, row_filter, base)
        expected = 0 if row[field] is None else round(row[field] * whole)
        assert whole or row[field] is None, figure
        assert drilled(caller, row_filter, arguments) == expected, figure


@pytest.fixture
def built(sessions):
    with UnitOfWork(sessions) as uow:
        history.build(uow)


def rows(caller, by: str, first: str = FROM, last: str = TO) -> dict[str, dict]:
    response = caller.get(f"/scorecards?from={first}&to={last}&by={by}&per_page=200")
    assert response.status_code == 200, response.get_json()
    return {row["key"]: row for row in response.get_json()["items"]}


def drilled(caller, row_filter: dict[str, str], arguments: dict[str, str]) -> int:
    query = {**row_filter, **arguments, "per_page": 200}
    response = caller.get("/cases", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


@pytest.mark.parametrize(
    ("by", "key", "row_filter"),
    [
        ("department", "scA", {"department": "scA"}),
        ("department", "scB", {"department": "scB"}),
        ("clerk", "sc_a1", {"clerk": "sc_a1"}),
        ("window", history.WINDOW, {"window": history.WINDOW}),
    ],
)
def test_every_figure_equals_the_count_of_its_cases(api, built, by, key, row_filter):
    office = api("office1")
    assert_figures_drill_down(office, rows(office, by)[key], row_filter, FROM, TO)


# Who reads which rows: (user, by) -> the keys of this history's rows they see, or 403.
MATRIX = {
    ("office1", "department"): {"scA", "scB"},
    ("admin", "clerk"): {"sc_a1", "sc_a2", "sc_b1"},
    ("sc_heada", "department"): {"scA"},
    ("sc_heada", "clerk"): {"sc_a1", "sc_a2"},
    ("sc_heada", "service_item"): 403,
    ("sc_headb", "department"): {"scB"},
    ("sc_headb", "clerk"): {"sc_b1"},
    ("sc_a1", "clerk"): {"sc_a1"},
    ("sc_a1", "department"): 403,
    ("sc_a1", "window"): 403,
    ("monitor1", "department"): {"scA", "scB"},
    ("monitor1", "clerk"): 403,
    ("designer1", "department"): 403,
}
OURS = {"scA", "scB", "sc_a1", "sc_a2", "sc_b1", "sc_heada", "sc_headb"}


@pytest.mark.parametrize(("username", "by"), sorted(MATRIX))
def test_who_reads_which_rows(api, built, username, by):
    expected = MATRIX[(username, by)]
    response = api(username).get(f"/scorecards?from={FROM}&to={TO}&by={by}&per_page=200")
    if expected == 403:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "scorecard_forbidden"
        return
    assert response.status_code == 200, response.get_json()
    assert {row["key"] for row in response.get_json()["items"]} & OURS == expected


def test_a_bad_request_is_a_400_and_no_token_a_401(api, built):
    assert api().get(f"/scorecards?from={FROM}&to={TO}").status_code == 401
    for query in ("from=2019-03-31&to=2019-03-01", "from=x&to=y", f"from={FROM}&to={TO}&by=x"):
        response = api("office1").get(f"/scorecards?{query}")
        assert response.status_code == 400, query
    assert api("office1").get("/cases?finished_from=2019-13-01").status_code == 400
    assert api("office1").get("/cases?on_time=maybe").status_code == 400


def test_the_scorecard_downloads_as_a_spreadsheet(api, built):
    response = api("sc_heada").get(f"/scorecards.xlsx?from={FROM}&to={TO}&by=department")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    header, *lines = list(sheet.values)
    assert header[:4] == ("排名", "编码", "名称", "办结件数")
    assert [line[1:4] for line in lines] == [("scA", "绩效甲局", 4)]
    assert sheet.cell(row=2, column=5).number_format == "0.0%"
    assert api("sc_a1").get(f"/scorecards.xlsx?from={FROM}&to={TO}").status_code == 403


def put(caller, body):
    return caller.client.put("/api/v1/scorecards/weights", json=body, headers=caller._headers())


def test_weights_are_versioned_and_score_the_rows(api, built):
    admin = api("admin")
    before = admin.get("/scorecards/weights").get_json()
    assert set(before["weights"]) == set(scorecards.DEFAULT_WEIGHTS)
    only_on_time = dict.fromkeys(scorecards.DEFAULT_WEIGHTS, 0)
    only_on_time["on_time_rate"] = 2
    response = put(admin, {"weights": only_on_time, "note": "按期优先"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == before["version"] + 1
    assert rows(admin, "department")["scA"]["score"] == 75.0  # on time 3 of 4; no penalties
    satisfaction = {**only_on_time, "on_time_rate": 0, "good_rate": 1}
    put(admin, {"weights": satisfaction, "scoring": "points"})
    # scA's ratings: 非常满意, 非常不满意, 不满意 → (10 + 0 + 3) / 3 points, as 0–100
    assert rows(admin, "department")["scA"]["score"] == round(13 / 3 * 10, 2)
    restored = put(
        admin,
        {"weights": scorecards.DEFAULT_WEIGHTS, "scoring": "good_rate", "note": "恢复"},
    )
    after = admin.get("/scorecards/weights").get_json()
    assert after["version"] == restored.get_json()["version"] == before["version"] + 3
    assert [v["version"] for v in after["history"]][:3] == [after["version"] - n for n in range(3)]
    oldest = after["history"][2]
    assert (oldest["note"], oldest["created_by"]) == ("按期优先", "admin")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weights": {"speed": 1}}, "weights.speed"),
        ({"weights": {"bad": -1}}, "weights.bad"),
        ({"weights": {"bad": "x"}}, "weights.bad"),
        ({"weights": []}, "weights"),
        ({"scoring": "stars"}, "scoring"),
        ({"weights": dict.fromkeys(scorecards.DEFAULT_WEIGHTS, 0)}, "weights"),
    ],
)
def test_weights_are_checked_and_kept_for_administrators(api, built, body, field):
    response = put(api("admin"), body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]
    assert put(api("office1"), {}).status_code == 403


def test_the_monthly_circular_ranks_the_departments_as_a_pdf(api, built, sessions):
    with UnitOfWork(sessions) as uow:
        notice = scorecards.monthly_circular(uow, user_named(uow, "office1"), "2019-03")
    assert notice.title == "关于2019年3月政务服务绩效考核情况的通报"
    ours = [row for row in notice.tables[0].rows if row[1] in ("绩效甲局", "绩效乙局")]
    expected = [["绩效乙局", "1", "100.0%"], ["绩效甲局", "4", "75.0%"]]
    assert sorted(row[1:4] for row in ours) == expected
    ranks = [int(row[0]) for row in notice.tables[0].rows]
    assert ranks == sorted(ranks)
    response = api("office1").get("/scorecards/circular.pdf?month=2019-03")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert api("office1").get("/scorecards/circular.pdf?month=2019-3x").status_code == 400
    assert api("sc_a1").get("/scorecards/circular.pdf?month=2019-03").status_code == 403


def user_named(uow, username: str):
    return uow.session.scalars(select(models.User).where(models.User.username == username)).one()
