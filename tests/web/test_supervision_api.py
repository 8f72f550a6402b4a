"""督办 and 联席会议 over HTTP (API.md): the item's life, bad input, escalation notices as PDFs,
joint meetings with their 督办清单 and spreadsheet, and who may do what — as a matrix."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from engine.clock import add_working_days
from engine.services import escalation
from engine.uow import UnitOfWork
from engine.workdays import LOCAL_TZ, calendar, today

from .conftest import csrf_token, login
from .test_access import ENTERPRISE
from .test_api_journey import complete, item_code, receive_materials

PDF = b"%PDF-1.4 clean-up plan"
ITEM = {
    "problem": "市场监管局营业执照审核积压",
    "lead_department": "amr",
    "assisting_departments": ["tax"],
    "required_action": "清理积压件并书面反馈",
    "due_working_days": 2,
}


def path(no: str, rest: str = "") -> str:
    return f"/supervision-items/{quote(no)}{rest}"


def issued(api, **extra) -> dict:
    response = api("office1").post("/supervision-items", json={**ITEM, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_issue_feedback_send_back_feedback_close(api, client):
    office, chief = api("office1"), api("amr_chief")
    item = issued(api)
    no = item["no"]
    assert re.fullmatch(rf"督办〔{today().year}〕第\d+号", no)
    assert (item["status"], item["level"], item["source"]) == ("issued", "blue", "manual")
    listed = chief.get("/supervision-items?status=issued&department=amr&per_page=200").get_json()
    assert no in [i["no"] for i in listed["items"]]
    assert set(listed) == {"items", "total", "page", "per_page"}

    answered = chief.post(
        path(no, "/feedback"),
        data={"text": "已组织专人清理", "files": [(io.BytesIO(PDF), "清理方案.pdf")]},
        content_type="multipart/form-data",
    )
    assert answered.status_code == 200, answered.get_json()
    view = answered.get_json()
    assert view["status"] == "feedback"
    [file] = view["feedback"][0]["files"]
    download = client.get(file["url"], headers={"Authorization": f"Bearer {office.token}"})
    assert download.status_code == 200 and download.data == PDF

    refused = office.post(path(no, "/review"), json={"verdict": "send_back"})
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["details"]["fields"]) == {"comment", "due_working_days"}
    back = office.post(
        path(no, "/review"),
        json={"verdict": "send_back", "comment": "缺少时间表", "due_working_days": 3},
    ).get_json()
    assert (back["status"], back["round"]) == ("issued", 2)
    assert chief.post(path(no, "/feedback"), json={"text": "周五前办结"}).status_code == 200
    closed = office.post(path(no, "/review"), json={"verdict": "close", "comment": "同意"})
    assert closed.get_json()["status"] == "closed"
    assert office.post(path(no, "/review"), json={"verdict": "close"}).status_code == 409
    events = office.get(path(no)).get_json()["events"]
    assert [e["action"] for e in events] == [
        "issue",
        "feedback",
        "send_back",
        "feedback",
        "close",
    ]


def test_bad_input_answers_422_with_the_fields(api):
    office = api("office1")
    response = office.post(
        "/supervision-items",
        json={
            "problem": "",
            "lead_department": "ghost",
            "required_action": "x",
            "due_working_days": -2,
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {
        "problem",
        "lead_department",
        "due_working_days",
    }
    assert (
        office.post("/supervision-items", data="{", content_type="application/json").status_code
        == 400
    )
    assert office.get("/supervision-items?level=purple").status_code == 400
    assert api().get("/supervision-items").status_code == 401
    assert office.get(path("督办〔1999〕第1号")).status_code == 404


# ---- who may do what ---------------------------------------------------------------------------

# user: (list, read the item, issue, feedback, review) — the statuses the API answers.
MATRIX = {
    "office1": (200, 200, 201, 403, 200),
    "admin": (200, 200, 403, 403, 403),
    "monitor1": (200, 200, 403, 403, 403),
    "amr_chief": (200, 200, 403, 200, 403),
    "amr1": (200, 200, 403, 200, 403),
    "tax1": (200, 200, 403, 200, 403),  # assisting: its feedback is recorded beside the lead's
    "psb1": (200, 404, 403, 404, 403),
    "window1": (200, 404, 403, 404, 403),
    "designer1": (403, 403, 403, 403, 403),
    "commissioner1": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(api, username):
    no = issued(api)["no"]
    caller = api(username)
    expected = MATRIX[username]
    got = (
        caller.get("/supervision-items").status_code,
        caller.get(path(no)).status_code,
        caller.post("/supervision-items", json=ITEM).status_code,
        caller.post(path(no, "/feedback"), json={"text": "情况说明"}).status_code,
    )
    # A review needs feedback first; the lead department gives it when the caller did not.
    api("amr_chief").post(path(no, "/feedback"), json={"text": "已办结"})
    got += (caller.post(path(no, "/review"), json={"verdict": "close"}).status_code,)
    assert got == expected
    listed = caller.get("/supervision-items?per_page=200")
    if listed.status_code == 200:
        assert (no in [i["no"] for i in listed.get_json()["items"]]) == (expected[1] == 200)


# ---- escalation notices --------------------------------------------------------------------------


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=LOCAL_TZ)


def test_escalation_notices_as_pdf_and_print_page(api, client, sessions):
    item = issued(api, due_working_days=1)
    no, office = item["no"], api("office1")
    assert office.get(path(no, "/notices/urge.pdf")).status_code == 404
    with UnitOfWork(sessions) as uow:
        cal = calendar(uow)
    orange = add_working_days(cal, date.fromisoformat(item["due_date"]), 1)[0]
    escalation.sweep(sessions, lambda: at(orange))
    view = office.get(path(no)).get_json()
    assert view["level"] == "orange" and [n["kind"] for n in view["notices"]] == ["urge"]
    pdf = api("amr_chief").get(path(no, "/notices/urge.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert office.get(path(no, "/notices/circular.pdf")).status_code == 404
    escalation.sweep(sessions, lambda: at(add_working_days(cal, orange, 5)[0]))
    assert office.get(path(no, "/notices/circular.pdf")).status_code == 200
    assert api("psb1").get(path(no, "/notices/urge.pdf")).status_code == 404
    login(client, "office1")
    page = client.get(f"/supervision/items/{quote(no)}/notices/circular")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "通报" in text and "各有关单位" in text
    assert client.get(f"/supervision/items/{quote(no)}/notices/circular.pdf").data[:4] == b"%PDF"


def put(caller, url: str, body: dict):
    return caller.client.put(f"/api/v1{url}", json=body, headers=caller._headers())


def test_settings_over_the_api(api):
    assert api("office1").get("/supervision-settings").get_json()["red_after_working_days"] == 5
    assert put(api("office1"), "/supervision-settings", {"notify_yellow": False}).status_code == 403
    bad = put(api("admin"), "/supervision-settings", {"orange_after_working_days": 0})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"orange_after_working_days"}


# ---- joint meetings ------------------------------------------------------------------------------


def accepted_property_case(api) -> tuple[str, str]:
    """A 不动产转移登记 case accepted today: (case number, its due date)."""
    window = api("window1")
    started = window.post(
        "/cases",
        json={"service_item": item_code(window, "不动产转移登记"), "applicant": ENTERPRISE},
    )
    assert started.status_code == 201, started.get_json()
    case_no = started.get_json()["case_no"]
    receive_materials(window, case_no)
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept"})
    return case_no, window.get(f"/cases/{case_no}").get_json()["due_date"]


def test_candidates_point_at_overdue_cases_with_evidence(api):
    case_no, due = accepted_property_case(api)
    later = (date.fromisoformat(due) + timedelta(days=10)).isoformat()
    found = api("office1").get(f"/joint-meetings/candidates?from={today()}&to={later}")
    assert found.status_code == 200
    overdue = [c for c in found.get_json()["items"] if c["kind"] == "overdue_cases"]
    [property_item] = [c for c in overdue if c["service_item_name"] == "不动产转移登记"]
    assert case_no in property_item["case_nos"] and property_item["evidence"]["overdue"] >= 1
    assert api("amr_chief").get("/joint-meetings/candidates").status_code == 403
    assert api("office1").get("/joint-meetings/candidates?from=2026-13-01").status_code == 400


def test_a_meeting_turns_its_decisions_into_items_and_exports_the_list(api):
    office = api("office1")
    meeting = {
        "title": "2026年第一次政务服务联席会议",
        "held_on": today().isoformat(),
        "departments": ["amr", "housing", "tax"],
        "attendees": ["市场监管局 钱伟", "住建局 郑涛"],
        "topics": [
            {
                "problem": "不动产转移登记合同备案等待过长",
                "decision": "住建局三个工作日内完成备案核验",
                "lead_department": "housing",
                "assisting_departments": ["tax"],
                "due_working_days": 5,
            },
            {
                "problem": "企业开办营业执照退回率高",
                "decision": "市场监管局编制一次性告知清单",
                "lead_department": "amr",
                "due_working_days": 10,
            },
        ],
    }
    created = office.post("/joint-meetings", json=meeting)
    assert created.status_code == 201, created.get_json()
    view = created.get_json()
    assert [i["source"] for i in view["items"]] == ["meeting", "meeting"]
    assert [i["required_action"] for i in view["items"]] == [
        "住建局三个工作日内完成备案核验",
        "市场监管局编制一次性告知清单",
    ]
    api("housing1").post(path(view["items"][0]["no"], "/feedback"), json={"text": "已提速"})
    again = office.get(f"/joint-meetings/{view['id']}").get_json()
    assert again["items"][0]["status"] == "feedback"
    assert again["items"][0]["feedback"][0]["text"] == "已提速"
    assert view["id"] in [m["id"] for m in office.get("/joint-meetings").get_json()["items"]]

    sheet = office.get(f"/joint-meetings/{view['id']}/list.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("序号", "督办编号", "议定事项")
    assert [r[1] for r in rows[2:]] == [i["no"] for i in view["items"]]
    assert rows[2][7] == "已反馈" and rows[2][9] == "已提速"

    assert api("housing1").get(f"/joint-meetings/{view['id']}").status_code == 200
    assert api("psb1").get(f"/joint-meetings/{view['id']}").status_code == 404
    assert api("amr_chief").post("/joint-meetings", json=meeting).status_code == 403
    bad = office.post(
        "/joint-meetings",
        json={
            **meeting,
            "departments": [],
            "topics": [{**meeting["topics"][0], "lead_department": "x"}],
        },
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["fields"]) == {
        "departments",
        "topics[0].lead_department",
    }


# ---- pages ---------------------------------------------------------------------------------------


def test_pages_ledger_department_tab_and_item(api, client):
    no = issued(api)["no"]
    login(client, "office1")
    ledger = client.get("/supervision/?level=blue").get_data(as_text=True)
    assert no in ledger and "level-blue" in ledger and "下发督办" in ledger
    english = client.get("/supervision/?lang=en").get_data(as_text=True)
    assert "Supervision ledger" in english
    client.get("/supervision/?lang=zh")
    login(client, "amr_chief")
    tab = client.get("/supervision/department").get_data(as_text=True)
    assert no in tab and "本部门待办" in tab
    assert "督办件" in client.get("/tasks").get_data(as_text=True)
    told = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'<span class="badge[^"]*">督办</span>', told) and f"督办通知：{no}" in told
    page = client.get(f"/supervision/items/{quote(no)}").get_data(as_text=True)
    assert "提交反馈" in page and "提交审核" not in page
    login(client, "monitor1")
    page = client.get(f"/supervision/items/{quote(no)}").get_data(as_text=True)
    assert no in page and "提交反馈" not in page
    login(client, "designer1")
    assert client.get("/supervision/").status_code == 403


def test_meeting_pages_record_show_print_and_export(client):
    login(client, "office1")
    assert "议题线索" in client.get("/supervision/meetings/candidates").get_data(as_text=True)
    form = client.get("/supervision/meetings/new?problem=合同备案等待过长&lead=housing")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "合同备案等待过长" in html
    token = csrf_token(html)
    data = {
        "csrf_token": token,
        "title": "联席会议页面测试",
        "held_on": today().isoformat(),
        "departments": ["housing", "tax"],
        "attendees": "住建局 郑涛\n税务局 周杰",
        "topic_rows": "5",
        "topic-0-problem": "合同备案等待过长",
        "topic-0-decision": "三个工作日内完成备案",
        "topic-0-lead": "housing",
        "topic-0-assisting": ["tax"],
        "topic-0-days": "5",
    }
    bad = client.post("/supervision/meetings/new", data={**data, "topic-0-lead": ""})
    assert bad.status_code == 422 and "topics[0].lead_department" in bad.get_data(as_text=True)
    saved = client.post("/supervision/meetings/new", data=data)
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "督办清单" in page and "三个工作日内完成备案" in page and "level-blue" in page
    meeting_id = saved.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    printed = client.get(f"/supervision/meetings/{meeting_id}/print").get_data(as_text=True)
    assert "联席会议页面测试" in printed and "print-button" in printed
    sheet = client.get(f"/supervision/meetings/{meeting_id}/list.xlsx")
    assert load_workbook(io.BytesIO(sheet.data)).active["C3"].value == "合同备案等待过长"
    assert "联席会议页面测试" in client.get("/supervision/meetings/").get_data(as_text=True)
    login(client, "amr_chief")
    assert client.get("/supervision/meetings/new").status_code == 403


def test_a_red_case_is_supervised_once_and_its_history_says_so(api, client, sessions):
    case_no, due = accepted_property_case(api)
    with UnitOfWork(sessions) as uow:
        overdue = add_working_days(calendar(uow), date.fromisoformat(due), 1)[0]
    escalation.sweep(sessions, lambda: at(overdue))
    escalation.sweep(sessions, lambda: at(overdue + timedelta(days=1)))
    listed = api("office1").get("/supervision-items?source=overdue&per_page=200").get_json()
    [item] = [i for i in listed["items"] if i["case_nos"] == [case_no]]
    assert (item["lead_department"], item["issued_by"]) == ("housing", "system")
    login(client, "housing1")
    history = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "亮黄灯" not in history and "转入督办" in history and item["no"] in history
