"""行政许可法 over HTTP: the extension cap (art. 42) and who may extend (issue 9, point 3),
special procedures and their notice (art. 45), the five-day rule (art. 32), the calendar's
recompute and its announced years, and 暂定 on printed notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from engine import models, workdays
from engine.clock import add_working_days
from engine.services import clock as clock_service
from engine.services.timers import fire_due
from engine.uow import UnitOfWork

from .conftest import Api, login
from .test_api_journey import LICENCE, complete, start_enterprise_case
from .test_clock_api import accepted_enterprise_case, accepted_food_case, accepted_property_case


def error(response) -> dict:
    return response.get_json()["error"]


def extend(api: Api, case_no: str, days: int):
    return api.post(f"/cases/{case_no}/clock/extend", json={"working_days": days, "reason": "复杂"})


def test_an_extension_beyond_the_law_is_422_naming_the_rule(api):
    case_no = accepted_enterprise_case(api)
    chief = api("amr_chief")
    too_long = extend(chief, case_no, 4)
    assert too_long.status_code == 422 and error(too_long)["code"] == "extension_limit"
    assert error(too_long)["details"]["rule"] == "《中华人民共和国市场主体登记管理条例》第十九条"
    assert extend(chief, case_no, 3).status_code == 200
    again = extend(chief, case_no, 1)
    assert again.status_code == 422 and "最多延长 1 次" in error(again)["message"]
    item = api("window1").get(f"/cases/{case_no}").get_json()["service_item"]
    guide = api("window1").get(f"/service-items/{item}").get_json()
    assert guide["extension"] == {
        "max_times": 1,
        "max_working_days": 3,
        "basis": "《中华人民共和国市场主体登记管理条例》第十九条",
    }
    property_case = accepted_property_case(api)
    assert extend(api("housing1"), property_case, 1).status_code == 422, "no extension in its law"


def test_only_the_deciding_department_s_approver_may_extend(api, sessions):
    case_no = accepted_enterprise_case(api)
    with UnitOfWork(sessions) as uow:  # a copy made for psb1 (公安局's approver) to read it
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        uow.session.add(models.CaseCopy(case_id=case.id, username="psb1", copied_by="amr1"))
    cc = extend(api("psb1"), case_no, 1)
    assert cc.status_code == 403 and error(cc)["code"] == "not_deciding_approver"
    assert extend(api("admin"), case_no, 1).status_code == 403

    amr1, chief = api("amr1"), api("amr_chief")
    complete(amr1, amr1.task_named(case_no, "营业执照承办"), LICENCE)
    complete(chief, chief.task_named(case_no, "营业执照审核"), {"decision": "approve"})
    handled_before = extend(chief, case_no, 1)  # 市场监管 handled a step; 公安 etc. decide now
    assert handled_before.status_code == 403, handled_before.get_json()
    assert extend(api("psb1"), case_no, 1).status_code == 200


def test_a_special_procedure_is_told_to_the_applicant(app, api):
    case_no = accepted_food_case(api)
    amr1 = api("amr1")
    outside = amr1.post(
        f"/cases/{case_no}/clock/pause",
        json={"kind": "special_procedure", "procedure": "现场核查", "reason": "核查经营场所"},
    )
    assert outside.status_code == 400 and error(outside)["code"] == "procedure_not_allowed"
    paused = amr1.post(
        f"/cases/{case_no}/clock/pause",
        json={"kind": "special_procedure", "procedure": "听证", "reason": "相邻住户申请听证"},
    )
    assert paused.status_code == 200, paused.get_json()
    assert paused.get_json()["events"][-1]["detail"]["planned_days"] == 20, "the item's default"

    client = app.test_client()
    login(client, "amr1")
    case_page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert f"/cases/{case_no}/notices/special_procedure" in case_page
    notice = client.get(f"/cases/{case_no}/notices/special_procedure")
    assert notice.status_code == 200
    html = notice.get_data(as_text=True)
    assert "特别程序告知书" in html and "听证" in html and "20个工作日" in html
    assert "不计算在办理期限内" in html and "第四十五条" in html
    pdf = client.get(f"/cases/{case_no}/notices/special_procedure.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_items_own_procedures_need_a_legal_basis(api):
    admin = api("admin")
    code = item_of(api, "食品经营许可")
    guide = admin.get(f"/service-items/{code}").get_json()
    body = {**guide, "special_procedures": ["听证", "现场核查"]}
    headers = admin._headers()
    refused = admin.client.put(f"/api/v1/service-items/{code}", json=body, headers=headers)
    assert refused.status_code == 422
    assert "现场核查" in error(refused)["details"]["fields"]["special_procedures"]


def item_of(api, name: str) -> str:
    items = api("window1").get("/service-items?per_page=200").get_json()["items"]
    return next(i["code"] for i in items if i["name"] == name)


# ---- art. 32: the five days for a 补正 notice -------------------------------------------------


def backdate(sessions, case_no: str, days: int) -> None:
    with UnitOfWork(sessions) as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        case.created_at = models.utcnow() - timedelta(days=days)


def test_the_window_sees_the_five_days_and_the_clock_starts_from_receipt(app, api, sessions):
    fresh, _ = start_enterprise_case(api)
    late, _ = start_enterprise_case(api)
    backdate(sessions, late, 30)
    window = api("window1")
    clock = window.get(f"/cases/{fresh}").get_json()["clock"]
    with UnitOfWork(sessions) as uow:
        due = add_working_days(workdays.calendar(uow), workdays.today(), 5)[0]
    assert (clock["notice_due_date"], clock["notice_light"]) == (due.isoformat(), "green")
    assert window.get(f"/cases/{late}").get_json()["clock"]["notice_light"] == "red"

    client = app.test_client()
    login(client, "window1")
    page = client.get("/intake").get_data(as_text=True)
    assert "待受理办件" in page and f'data-case="{late}"' in page

    fire_due(sessions, models.utcnow)  # the scheduler's pass
    case = window.get(f"/cases/{late}").get_json()
    assert case["clock"]["state"] == "running" and case["accepted_at"] == case["created_at"]
    assert case["clock"]["notice_light"] == "none" and case["light"] == "red"
    started = [e for e in case["events"] if e["action"] == "clock_start"][-1]
    assert started["detail"]["deemed"] is True
    assert window.get(f"/cases/{fresh}").get_json()["clock"]["state"] == "not_started"


# ---- the calendar ----------------------------------------------------------------------------


@pytest.fixture
def calendar_restored(sessions) -> Iterator[None]:
    with UnitOfWork(sessions) as uow:
        days = set(uow.session.scalars(select(models.CalendarDay.day)))
        years = {y.year: y.source for y in uow.session.scalars(select(models.CalendarYear))}
    yield
    with UnitOfWork(sessions) as uow:
        uow.session.execute(delete(models.CalendarDay).where(models.CalendarDay.day.not_in(days)))
        uow.session.execute(
            delete(models.CalendarYear).where(models.CalendarYear.year.not_in(years))
        )
        for year, source in years.items():
            if uow.session.get(models.CalendarYear, year) is None:
                uow.session.add(models.CalendarYear(year=year, source=source))
        clock_service.recompute_open(uow)
        uow.on_commit(workdays.forget)


def test_a_calendar_edit_recomputes_due_dates_and_lights(api, calendar_restored):
    admin, window = api("admin"), api("window1")
    case_no = accepted_enterprise_case(api)
    before = window.get(f"/cases/{case_no}").get_json()
    [step] = before["open_tasks"]
    with_holiday = date.fromisoformat(before["due_date"])
    days = (with_holiday - workdays.today()).days
    for offset in range(days + 1):  # every working day up to the due date closes
        day = (workdays.today() + timedelta(days=offset)).isoformat()
        entry = {"kind": "holiday", "name": "临时停止办公", "source": "县府通知"}
        put = admin.client.put(f"/api/v1/calendar/{day}", json=entry, headers=admin._headers())
        assert put.status_code == 200, put.get_json()
    after = window.get(f"/cases/{case_no}").get_json()
    assert after["due_date"] > before["due_date"]
    assert after["open_tasks"][0]["due_date"] > step["due_date"]
    listed = window.get(f"/cases?q={case_no}").get_json()["items"][0]
    assert listed["due_date"] == after["due_date"]

    removed = admin.client.delete(
        f"/api/v1/calendar/{workdays.today().isoformat()}", headers=admin._headers()
    )
    assert removed.status_code == 200 and removed.get_json()["kind"] is None
    missing = admin.client.delete("/api/v1/calendar/2031-03-03", headers=admin._headers())
    assert missing.status_code == 404


def test_a_year_is_announced_once_its_schedule_is_entered(api, calendar_restored):
    admin = api("admin")
    headers = admin._headers()

    def announce(year: int, source: str = "国办发明电〔2037〕5号"):
        return admin.client.put(
            f"/api/v1/calendar/years/{year}", json={"source": source}, headers=headers
        )

    empty = announce(2038)
    assert empty.status_code == 422 and error(empty)["code"] == "calendar_year_empty"
    assert announce(2038, "").status_code == 422
    entry = {"kind": "holiday", "name": "春节", "source": "国办发明电〔2037〕5号"}
    admin.client.put("/api/v1/calendar/2038-02-15", json=entry, headers=headers)
    assert announce(2038).status_code == 200
    day = admin.get("/calendar?from=2038-05-03&to=2038-05-03").get_json()["items"][0]
    assert (day["provisional"], day["is_workday"], day["assumed"]) == (False, True, None)
    assert (
        2038 in admin.get("/calendar?from=2038-01-01&to=2038-01-01").get_json()["announced_years"]
    )
    withdrawn = admin.client.delete("/api/v1/calendar/years/2038", headers=headers)
    assert withdrawn.status_code == 200
    day = admin.get("/calendar?from=2038-05-03&to=2038-05-03").get_json()["items"][0]
    assert (day["provisional"], day["is_workday"], day["assumed"]) == (
        True,
        False,
        "劳动节（补假）",
    )
    window = api("window1")
    assert (
        window.client.put(
            "/api/v1/calendar/years/2038", json={"source": "x"}, headers=window._headers()
        ).status_code
        == 403
    )


def test_notices_print_zanding_beside_a_provisional_date(app, api, calendar_restored):
    case_no = accepted_enterprise_case(api)
    admin = api("admin")
    this_year = workdays.today().year
    withdrawn = admin.client.delete(f"/api/v1/calendar/years/{this_year}", headers=admin._headers())
    assert withdrawn.status_code == 200
    assert api("window1").get(f"/cases/{case_no}").get_json()["clock"]["provisional"] is True
    client = app.test_client()
    login(client, "window1")
    html = client.get(f"/cases/{case_no}/notices/acceptance").get_data(as_text=True)
    assert "预计办结日期</th><td>" in html and "日（暂定）</td>" in html
