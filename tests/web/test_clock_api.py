"""Clock actions beside the flow (暂停、恢复、延期) and the working-day calendar, over the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import delete, select

from engine import models, workdays
from engine.clock import WorkCalendar, add_working_days, seed_from_chinese_calendar
from engine.uow import UnitOfWork

from .conftest import Api, csrf_token, login
from .test_api_journey import complete, item_code, receive_materials, start_enterprise_case

SEEDED = WorkCalendar(*seed_from_chinese_calendar())
SELLER = {
    "kind": "person",
    "name": "李四",
    "id_type": "居民身份证",
    "id_number": "330199198001011239",
    "phone": "13900001111",
}


def accepted_enterprise_case(api) -> str:
    case_no, _created = start_enterprise_case(api)
    window = api("window1")
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept"})
    return case_no


def accepted_case(api, item: str, intake: dict, next_step: tuple[str, str]) -> str:
    """A case of ``item`` taken in with every mandatory material and accepted at the window;
    ``next_step`` (user, step) is where it went."""
    window = api("window1")
    response = window.post(
        "/cases", json={"service_item": item_code(window, item), "applicant": SELLER}
    )
    assert response.status_code == 201, response.get_json()
    case_no = response.get_json()["case_no"]
    receive_materials(window, case_no)
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept", **intake})
    assert api(next_step[0]).task_named(case_no, next_step[1])
    return case_no


def accepted_property_case(api) -> str:
    """A 不动产转移登记 case after 受理: 住建 (housing1) checks the contract now."""
    return accepted_case(api, "不动产转移登记", {}, ("housing1", "合同备案核验"))


def accepted_food_case(api) -> str:
    """A 食品经营许可 case after 受理, in written review at 市场监管 (amr_chief decides)."""
    intake = {"business_scope": "预包装食品销售", "area_sqm": 60}
    return accepted_case(api, "食品经营许可", intake, ("amr_chief", "审查决定"))


def accepted_on(case: dict) -> date:
    return date.fromisoformat(case["accepted_at"][:10])  # local (Asia/Shanghai) time


def actions(case: dict) -> list[str]:
    return [e["action"] for e in case["events"]]


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_an_accepted_case_runs_against_its_promised_limit(api):
    case_no = accepted_enterprise_case(api)
    window = api("window1")
    item = window.get(f"/service-items/{item_code(window, '企业开办')}").get_json()
    assert item["promised_limit"] == {"days": 3, "unit": "working_day"}

    case = window.get(f"/cases/{case_no}").get_json()
    due, provisional = add_working_days(SEEDED, accepted_on(case), 3)
    assert case["clock"]["state"] == "running"
    assert case["due_date"] == case["clock"]["due_date"] == due.isoformat()
    assert case["clock"]["provisional"] is provisional
    assert (case["clock"]["working_days_used"], case["clock"]["paused_working_days"]) == (0, 0)
    assert case["light"] == "green"


def test_a_special_procedure_pauses_the_clock_until_resumed(api):
    case_no = accepted_food_case(api)
    amr1, window = api("amr1"), api("window1")
    pause = {"kind": "special_procedure", "procedure": "听证", "planned_days": 10}

    assert amr1.post(f"/cases/{case_no}/clock/pause", json=pause).status_code == 422, (
        "the reason is required"
    )
    refused = amr1.post(
        f"/cases/{case_no}/clock/pause", json={**pause, "procedure": "专家评审", "reason": "评审"}
    )
    assert refused.status_code == 400 and error_code(refused) == "procedure_not_allowed"
    assert refused.get_json()["error"]["details"]["allowed"] == ["听证"]
    not_handler = window.post(f"/cases/{case_no}/clock/pause", json={**pause, "reason": "听证"})
    assert not_handler.status_code == 403 and error_code(not_handler) == "not_handler"
    assert api("nr1").post(f"/cases/{case_no}/clock/resume").status_code == 404, "not visible"

    paused = amr1.post(
        f"/cases/{case_no}/clock/pause", json={**pause, "reason": "相邻住户申请听证"}
    )
    assert paused.status_code == 200, paused.get_json()
    case = paused.get_json()
    assert case["case_no"] == case_no
    assert case["clock"]["state"] == "paused"
    event = case["events"][-1]
    assert (event["action"], event["actor"]) == ("clock_pause", "amr1")
    assert event["detail"]["procedure"] == "听证" and event["detail"]["planned_days"] == 10
    assert event["detail"]["basis"] == "《中华人民共和国行政许可法》第四十五条、第四十七条"

    again = amr1.post(f"/cases/{case_no}/clock/pause", json={**pause, "reason": "再次"})
    assert again.status_code == 409 and error_code(again) == "clock_not_running"
    assert window.post(f"/cases/{case_no}/clock/resume").status_code == 403

    resumed = amr1.post(f"/cases/{case_no}/clock/resume")
    assert resumed.status_code == 200, resumed.get_json()
    case = resumed.get_json()
    assert case["clock"]["state"] == "running"
    assert actions(case)[-2:] == ["clock_pause", "clock_resume"]
    twice = amr1.post(f"/cases/{case_no}/clock/resume")
    assert twice.status_code == 409 and error_code(twice) == "clock_not_paused"


def test_an_item_without_special_procedures_refuses_one_but_pauses_for_a_supplement(api):
    case_no = accepted_enterprise_case(api)
    amr1 = api("amr1")
    refused = amr1.post(
        f"/cases/{case_no}/clock/pause",
        json={"kind": "special_procedure", "procedure": "专家评审", "reason": "需专家评审"},
    )
    assert refused.status_code == 400 and error_code(refused) == "procedure_not_allowed"
    odd = amr1.post(f"/cases/{case_no}/clock/pause", json={"kind": "holiday", "reason": "x"})
    assert odd.status_code == 422
    assert "kind" in odd.get_json()["error"]["details"]["fields"]

    paused = amr1.post(
        f"/cases/{case_no}/clock/pause", json={"kind": "supplement", "reason": "章程缺少签字页"}
    )
    assert paused.status_code == 200, paused.get_json()
    assert paused.get_json()["clock"]["state"] == "paused"
    assert paused.get_json()["events"][-1]["detail"]["kind"] == "supplement"
    assert amr1.post(f"/cases/{case_no}/clock/resume").get_json()["clock"]["state"] == "running"


def test_an_approver_extends_the_deadline_by_working_days(api):
    case_no = accepted_enterprise_case(api)
    amr1, chief = api("amr1"), api("amr_chief")
    before = date.fromisoformat(chief.get(f"/cases/{case_no}").get_json()["due_date"])

    reviewer = amr1.post(f"/cases/{case_no}/clock/extend", json={"working_days": 2, "reason": "x"})
    assert reviewer.status_code == 403, "a reviewer without the approver role"
    assert chief.post(f"/cases/{case_no}/clock/extend", json={"working_days": 2}).status_code in (
        400,
        422,
    )
    blank = chief.post(f"/cases/{case_no}/clock/extend", json={"working_days": 2, "reason": " "})
    assert blank.status_code == 400
    for days in (0, 31, "2", 1.5):
        bad = chief.post(
            f"/cases/{case_no}/clock/extend", json={"working_days": days, "reason": "x"}
        )
        assert bad.status_code in (400, 422), days
    assert (
        api("tax1")
        .post(f"/cases/{case_no}/clock/extend", json={"working_days": 2, "reason": "x"})
        .status_code
        == 404
    ), "a case the caller cannot see"

    extended = chief.post(
        f"/cases/{case_no}/clock/extend",
        json={"working_days": 2, "reason": "需征求住所所在地街道意见"},
    )
    assert extended.status_code == 200, extended.get_json()
    case = extended.get_json()
    assert case["due_date"] == add_working_days(SEEDED, before, 2)[0].isoformat()
    event = case["events"][-1]
    assert (event["action"], event["actor"]) == ("clock_extend", "amr_chief")
    assert event["detail"]["working_days"] == 2 and event["detail"]["due_date"] == case["due_date"]
    assert case["clock"]["remaining_working_days"] == 3 + 2 - case["clock"]["working_days_used"]


def test_the_endpoints_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("pause", "resume", "extend"):
        assert "post" in paths[f"/api/v1/cases/{{case_no}}/clock/{path}"]
    assert "get" in paths["/api/v1/calendar"] and "put" in paths["/api/v1/calendar/{day}"]


def test_clock_actions_need_a_token(api):
    assert api().post("/cases/x/clock/resume").status_code == 401
    assert api().get("/calendar").status_code == 401


def test_the_calendar_shows_holidays_and_make_up_days(api):
    window = api("window1")
    response = window.get("/calendar?from=2025-09-27&to=2025-10-12")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 16 and len(body["items"]) == 16
    days = {d["date"]: d for d in body["items"]}
    national_day = days["2025-10-01"]
    assert (national_day["is_workday"], national_day["kind"]) == (False, "holiday")
    assert national_day["source"] and national_day["provisional"] is False
    make_up = days["2025-09-28"]  # a Sunday worked for the National Day holiday
    assert (make_up["weekday"], make_up["is_workday"], make_up["kind"]) == (7, True, "workday")
    saturday = days["2025-09-27"]
    assert (saturday["is_workday"], saturday["kind"], saturday["source"]) == (False, None, None)
    assert days["2025-10-11"]["is_workday"] is True
    assert 2025 in body["announced_years"]

    this_month = window.get("/calendar").get_json()
    assert this_month["items"][0]["date"] == workdays.today().replace(day=1).isoformat()
    assert 28 <= this_month["total"] == len(this_month["items"]) <= 31
    later = window.get("/calendar?from=2035-05-01&to=2035-05-03").get_json()["items"]
    assert [d["provisional"] for d in later] == [True] * 3
    assert [(d["is_workday"], d["assumed"]) for d in later] == [
        (False, "劳动节"),  # a Tuesday: the statutory holiday is assumed
        (False, "劳动节"),
        (True, None),
    ]
    paged = window.get("/calendar?from=2025-01-01&to=2025-12-31&per_page=50&page=2").get_json()
    assert (paged["total"], len(paged["items"]), paged["items"][0]["date"]) == (
        365,
        50,
        "2025-02-20",
    )

    for query in (
        "from=2025-13-01",
        "from=2025-10-10&to=2025-10-01",
        "from=2025-01-01&to=2026-12-31",
    ):
        assert window.get(f"/calendar?{query}").status_code == 400, query


@pytest.fixture
def restore_calendar(sessions) -> Iterator[list[date]]:
    """Days a test adds are removed afterwards: the demo database is shared by the session."""
    added: list[date] = []
    with UnitOfWork(sessions) as uow:
        years = set(uow.session.scalars(select(models.CalendarYear.year)))
    yield added
    with UnitOfWork(sessions) as uow:
        if added:
            uow.session.execute(delete(models.CalendarDay).where(models.CalendarDay.day.in_(added)))
        uow.session.execute(
            delete(models.CalendarYear).where(models.CalendarYear.year.not_in(years))
        )
        uow.on_commit(workdays.forget)  # as set_day does: no stale calendar


def test_an_administrator_adds_a_local_holiday_that_deadlines_skip(api, restore_calendar):
    admin, window = api("admin"), api("window1")
    today = workdays.today()
    holiday = add_working_days(SEEDED, today, 1)[0]  # the next working day: inside every deadline
    entry = {"kind": "holiday", "name": "三月三（畲族）", "source": "青山县人民政府〔2026〕12号"}

    assert (
        window.client.put(
            f"/api/v1/calendar/{holiday.isoformat()}", json=entry, headers=window._headers()
        ).status_code
        == 403
    )
    put = admin.client.put  # Api has no put(); the token header is the same

    def put_day(day: str, body: dict):
        return put(f"/api/v1/calendar/{day}", json=body, headers=admin._headers())

    assert put_day("2026-02-30", entry).status_code == 400
    assert put_day(holiday.isoformat(), {**entry, "source": ""}).status_code == 400
    assert put_day(holiday.isoformat(), {"kind": "holiday", "name": "x"}).status_code == 422
    assert put_day(holiday.isoformat(), {**entry, "name": "节" * 65}).status_code == 422

    restore_calendar.append(holiday)
    response = put_day(holiday.isoformat(), entry)
    assert response.status_code == 200, response.get_json()
    day = response.get_json()
    assert (day["date"], day["is_workday"], day["kind"]) == (holiday.isoformat(), False, "holiday")
    assert (day["name"], day["source"], day["updated_by"]) == (
        entry["name"],
        entry["source"],
        "admin",
    )
    listed = window.get(f"/calendar?from={holiday.isoformat()}&to={holiday.isoformat()}")
    assert listed.get_json()["items"][0]["source"] == entry["source"]

    case = window.get(f"/cases/{accepted_enterprise_case(api)}").get_json()
    local = WorkCalendar({**SEEDED.overrides, holiday: "holiday"}, SEEDED.announced_years)
    due = add_working_days(local, accepted_on(case), 3)[0]
    assert case["due_date"] == due.isoformat()
    assert due == add_working_days(SEEDED, accepted_on(case), 4)[0], "one working day later"


def test_only_administrators_change_the_calendar(api):
    for username in ("window1", "amr_chief"):
        user: Api = api(username)
        response = user.client.put(
            "/api/v1/calendar/2026-12-01",
            json={"kind": "holiday", "name": "x", "source": "y"},
            headers=user._headers(),
        )
        assert response.status_code == 403, username


# ---- the case page's 计时 section and its forms (web/clock_pages.py) ----------------------------


def page_client(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def case_page(client, case_no: str) -> str:
    response = client.get(f"/cases/{case_no}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def clock_section(page: str) -> str:
    match = re.search(r'<section class="card case-clock" id="clock".*?</section>', page, re.S)
    assert match, "the case page has no 计时 section"
    return match.group(0)


def test_the_handler_pauses_and_resumes_from_the_case_page(app, api):
    case_no = accepted_food_case(api)
    handler = page_client(app, "amr1")
    section = clock_section(case_page(handler, case_no))
    assert "计时中" in section and "绿灯" in section
    assert '<option value="听证">' in section and '<option value="现场核查">' not in section
    assert "结束暂停，恢复计时" not in section

    token = csrf_token(case_page(handler, case_no))
    refused = handler.post(
        f"/cases/{case_no}/clock/pause",
        data={"kind": "special_procedure", "procedure": "听证", "reason": "听证"},
    )
    assert refused.status_code == 400, "no CSRF token"
    posted = handler.post(
        f"/cases/{case_no}/clock/pause",
        data={
            "csrf_token": token,
            "kind": "special_procedure",
            "procedure": "听证",
            "planned_days": "5",
            "reason": "利害关系人申请听证",
        },
    )
    assert posted.status_code == 302 and posted.location.endswith(f"/cases/{case_no}#clock")
    page = case_page(handler, case_no)
    section = clock_section(page)
    assert "已暂停计时" in page
    assert "已暂停" in section and "听证" in section and "利害关系人申请听证" in section
    assert "结束暂停，恢复计时" in section and 'name="procedure"' not in section

    window = page_client(app, "window1")
    page = case_page(window, case_no)
    assert "结束暂停，恢复计时" not in clock_section(page), "not handling the case now"
    window.post(f"/cases/{case_no}/clock/resume", data={"csrf_token": csrf_token(page)})
    assert "只有正在办理此办件的部门可以调整计时" in case_page(window, case_no)

    handler.post(f"/cases/{case_no}/clock/resume", data={"csrf_token": token})
    page = case_page(handler, case_no)
    assert "已恢复计时" in page and "计时中" in clock_section(page)
    assert api("amr1").get(f"/cases/{case_no}").get_json()["clock"]["state"] == "running"


def test_an_approver_extends_from_the_case_page(app, api):
    case_no = accepted_enterprise_case(api)
    before = date.fromisoformat(api("window1").get(f"/cases/{case_no}").get_json()["due_date"])
    assert "批准延期" not in clock_section(case_page(page_client(app, "amr1"), case_no))
    chief = page_client(app, "amr_chief")
    page = case_page(chief, case_no)
    assert "批准延期" in clock_section(page)
    token = csrf_token(page)

    chief.post(
        f"/cases/{case_no}/clock/extend",
        data={"csrf_token": token, "working_days": "两天", "reason": "x"},
    )
    assert "延期天数应为整数" in case_page(chief, case_no)
    chief.post(
        f"/cases/{case_no}/clock/extend",
        data={"csrf_token": token, "working_days": "2", "reason": "需实地核查经营场所"},
    )
    page = case_page(chief, case_no)
    section = clock_section(page)
    due = add_working_days(SEEDED, before, 2)[0].isoformat()
    assert "已延期 2 个工作日" in page
    assert f'<time datetime="{due}">' in section and "需实地核查经营场所" in section
