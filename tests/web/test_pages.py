"""The clerks' HTML pages through app.test_client(): log-in, CSRF, inbox, task form, case page."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.uow import UnitOfWork

from ..conftest import DEMO_PASSWORD
from .conftest import Api, csrf_token, login
from .test_api_journey import receive_materials

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山页面测试商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
INTAKE_ACCEPT = {"decision": "accept", "materials_checked": True}
# What a browser sends for the 营业执照承办 form: every text control (empty ones too), the
# select's empty choice, the checked radio and the optional comment.
LICENCE_FORM = {
    "company_name": "青山页面测试商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "enterprise_type": "",
    "legal_representative": "张三",
    "registered_capital": "100",
    "business_address": "",
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
    "_comment": "页面办理",
}


@dataclass
class Desk:
    """API clients (their own test client, bearer tokens) to set up and check what pages do."""

    window: Api
    amr: Api
    admin: Api
    service_item: str

    def start_case(self, name: str = ENTERPRISE["name"]) -> tuple[str, str]:
        """A new 企业开办 case; returns its number and its open 受理 task."""
        response = self.window.post(
            "/cases",
            json={
                "service_item": self.service_item,
                "applicant": {**ENTERPRISE, "name": name},
                "data": {},
            },
        )
        assert response.status_code == 201, response.get_json()
        [intake] = response.get_json()["open_tasks"]
        receive_materials(self.window, response.get_json()["case_no"])
        return response.get_json()["case_no"], intake["id"]

    def licence_case(self) -> tuple[str, str]:
        """A new case accepted by the window: returns its number and the 营业执照承办 task."""
        case_no, intake = self.start_case()
        response = self.window.post(f"/tasks/{intake}/complete", json={"data": INTAKE_ACCEPT})
        assert response.status_code == 200, response.get_json()
        [task] = response.get_json()["next_tasks"]
        assert task["name"] == "营业执照承办"
        return case_no, task["id"]

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.admin.get(f"/tasks/{task_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def cases_named(self, name: str) -> list[str]:
        response = self.admin.get(f"/cases?q={name}&per_page=200")
        assert response.status_code == 200, response.get_json()
        return [c["case_no"] for c in response.get_json()["items"]]


@pytest.fixture(scope="module")
def desk(app: Flask, sessions: sessionmaker[Session]) -> Desk:
    client = app.test_client()
    with UnitOfWork(sessions) as uow:
        code = uow.session.scalars(
            select(models.ServiceItem.code).where(models.ServiceItem.name == "企业开办")
        ).one()
    return Desk(Api(client, "window1"), Api(client, "amr1"), Api(client, "admin"), code)


def text_of(page: str) -> str:
    """The visible text of a page, tags dropped and whitespace squeezed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def section(page: str, heading: str) -> str:
    """The ``<section>`` whose ``<h2>`` is ``heading``."""
    match = re.search(rf"<h2>{re.escape(heading)}</h2>(.*?)</section>", page, re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def nav(page: str) -> str:
    match = re.search(r'<nav class="main-nav"[^>]*>(.*?)</nav>', page, re.S)
    assert match, "page has no main navigation"
    return match.group(1)


def logged_in(client: FlaskClient) -> bool:
    with client.session_transaction() as session:
        return "user_id" in session


# ---- log-in and log-out ------------------------------------------------------------------------


def test_login_page_is_chinese(client: FlaskClient) -> None:
    response = client.get("/login")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<html lang="zh-CN">' in page
    assert "<title>登录 · 一窗通办</title>" in page
    assert '<label for="username">用户名</label>' in page
    assert '<label for="password">密码</label>' in page
    assert ">登录</button>" in page
    assert 'name="csrf_token"' in page


@pytest.mark.parametrize(
    ("username", "password"),
    [("amr1", "not-the-password"), ("nobody", DEMO_PASSWORD), ("amr1", "")],
    ids=["wrong-password", "unknown-user", "empty-password"],
)
def test_wrong_credentials_are_refused(client: FlaskClient, username: str, password: str) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 401
    assert '<p class="flash flash-error" role="alert">用户名或密码错误</p>' in page
    assert f'value="{username}"' in page, "the user name is kept for the next try"
    if password:
        assert password not in page, "a password is never echoed back"
    assert not logged_in(client)
    assert client.get("/tasks").status_code == 302


def test_login_then_logout(client: FlaskClient) -> None:
    login(client, "amr1")
    assert logged_in(client)
    page = client.get("/tasks").get_data(as_text=True)
    assert "市场监管审查员（赵敏）" in page

    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not logged_in(client)
    assert client.get("/tasks").status_code == 302


def test_login_follows_next_within_the_site(client: FlaskClient) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/cases?q=1",
        data={"username": "amr1", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/cases?q=1"


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("//evil.example/x", id="scheme-relative"),
        pytest.param("/\\evil.example/x", id="backslash"),
        pytest.param("https://evil.example/x", id="absolute"),
    ],
)
def test_login_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "amr1", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    location = response.headers["Location"].replace("\\", "/")
    assert urlsplit(location).netloc in ("", "localhost"), location


# ---- anonymous visitors ------------------------------------------------------------------------

PAGES = [
    "/tasks",
    "/tasks?scope=department",
    "/tasks/{task}",
    "/cases",
    "/cases?q=青山",
    "/cases/new",
    "/cases/{case_no}",
    "/cases/{case_no}/diagram.bpmn",
]


@pytest.fixture(scope="module")
def waiting_case(desk: Desk) -> tuple[str, str]:
    return desk.licence_case()


@pytest.mark.parametrize("template", PAGES)
def test_pages_send_anonymous_users_to_login(
    client: FlaskClient, waiting_case: tuple[str, str], template: str
) -> None:
    case_no, task = waiting_case
    path = template.format(case_no=case_no, task=task)
    response = client.get(path)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]
    assert ENTERPRISE["name"] not in response.get_data(as_text=True)


def test_home_sends_anonymous_users_to_login(client: FlaskClient) -> None:
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/login"
    assert len(response.history) == 2


@pytest.mark.parametrize(
    ("template", "form"),
    [
        ("/tasks/{task}/claim", {}),
        ("/tasks/{task}/unclaim", {}),
        ("/tasks/{task}", {"decision": "approve"}),
        ("/cases/new", {"service_item": "x", "applicant_name": "匿名"}),
    ],
)
def test_anonymous_posts_change_nothing(
    client: FlaskClient, desk: Desk, waiting_case: tuple[str, str], template: str, form: dict
) -> None:
    """Even with a valid CSRF token (from the log-in page) an anonymous POST only redirects."""
    _case_no, task = waiting_case
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(template.format(task=task), data={**form, "csrf_token": token})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    after = desk.task(task)
    assert (after["state"], after["assignee"]) == ("ready", None)
    assert desk.cases_named("匿名") == []


# ---- CSRF: every state-changing POST needs the token ------------------------------------------


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "amr1", "password": DEMO_PASSWORD})

    assert response.status_code == 400
    assert not logged_in(client)
    assert client.get("/tasks").status_code == 302


def test_logout_without_csrf_token_is_refused(client: FlaskClient) -> None:
    login(client, "amr1")
    response = client.post("/logout")

    assert response.status_code == 400
    assert logged_in(client)
    assert client.get("/tasks").status_code == 200


def test_claim_needs_the_csrf_token(client: FlaskClient, desk: Desk) -> None:
    _case_no, task = desk.licence_case()
    login(client, "amr1")

    assert client.post(f"/tasks/{task}/claim").status_code == 400
    assert client.post(f"/tasks/{task}/claim", data={"csrf_token": "forged"}).status_code == 400
    assert (desk.task(task)["state"], desk.task(task)["assignee"]) == ("ready", None)

    token = csrf_token(client.get(f"/tasks/{task}").get_data(as_text=True))
    response = client.post(f"/tasks/{task}/claim", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tasks/{task}"
    assert (desk.task(task)["state"], desk.task(task)["assignee"]) == ("claimed", "amr1")
    assert "已认领" in client.get(f"/tasks/{task}").get_data(as_text=True)


def test_complete_needs_the_csrf_token(client: FlaskClient, desk: Desk) -> None:
    case_no, task = desk.licence_case()
    login(client, "amr1")

    assert client.post(f"/tasks/{task}", data=LICENCE_FORM).status_code == 400
    assert desk.task(task)["state"] == "ready"
    assert [t["name"] for t in desk.admin.get(f"/cases/{case_no}").get_json()["open_tasks"]] == [
        "营业执照承办"
    ]

    token = csrf_token(client.get(f"/tasks/{task}").get_data(as_text=True))
    response = client.post(f"/tasks/{task}", data={**LICENCE_FORM, "csrf_token": token})
    assert response.status_code == 302
    assert desk.task(task)["state"] == "completed"


def test_new_case_needs_the_csrf_token(client: FlaskClient, desk: Desk) -> None:
    login(client, "window1")
    form = {
        "service_item": desk.service_item,
        "applicant_kind": "enterprise",
        "applicant_name": "青山跨站请求伪造测试有限公司",
        "applicant_id_type": "统一社会信用代码",
        "applicant_id_number": "91331082MA2K8Q1X32",
        "applicant_phone": "13812345678",
        "remarks": "",
    }

    assert client.post("/cases/new", data=form).status_code == 400
    assert desk.cases_named(form["applicant_name"]) == []

    token = csrf_token(client.get("/cases/new").get_data(as_text=True))
    response = client.post("/cases/new", data={**form, "csrf_token": token})
    assert response.status_code == 302
    [case_no] = desk.cases_named(form["applicant_name"])
    assert response.headers["Location"] == f"/cases/{case_no}"
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert f"办件已创建：{case_no}，查询密码 " in page


def test_csrf_token_of_another_session_is_refused(
    app: Flask, client: FlaskClient, desk: Desk
) -> None:
    _case_no, task = desk.licence_case()
    other = app.test_client()
    login(other, "amr1")
    stolen = csrf_token(other.get(f"/tasks/{task}").get_data(as_text=True))

    login(client, "amr1")
    assert client.post(f"/tasks/{task}/claim", data={"csrf_token": stolen}).status_code == 400
    assert desk.task(task)["assignee"] is None


# ---- inbox, task form, case page ---------------------------------------------------------------


def test_inbox_lists_the_new_task(client: FlaskClient, desk: Desk) -> None:
    case_no, task = desk.licence_case()
    login(client, "amr1")
    response = client.get(f"/tasks?applicant={case_no}")  # the shared database has many
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert f'<a href="/tasks/{task}">营业执照承办</a>' in page
    assert f'<a href="/cases/{case_no}">{case_no}</a>' in page
    assert "市场监督管理局" in page

    login(client, "amr_chief")  # same department, other role slot: not in 我的待办
    assert f"/tasks/{task}" not in client.get(f"/tasks?applicant={case_no}").text
    department = client.get(f"/tasks?scope=department&applicant={case_no}").text
    assert f"/tasks/{task}" in department


def test_task_form_completes_through_the_page(client: FlaskClient, desk: Desk) -> None:
    case_no, task = desk.licence_case()
    login(client, "amr1")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)

    for name in LICENCE_FORM:
        assert f'name="{name}"' in page, name
    radios = re.findall(r'<input name="decision"[^>]*>', page)
    assert any('type="radio"' in r and 'value="approve"' in r for r in radios), radios

    response = client.post(f"/tasks/{task}", data={**LICENCE_FORM, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case_no}"
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已提交" in case_page
    assert "营业执照审核" in text_of(section(case_page, "当前待办"))
    assert "营业执照承办" not in text_of(section(case_page, "当前待办"))

    done = desk.task(task)
    assert (done["state"], done["completed_by"]) == ("completed", "amr1")
    assert done["data"]["registered_capital"] == 100
    assert done["data"]["company_name"] == LICENCE_FORM["company_name"]
    assert "business_address" not in done["data"], "empty fields are omitted"
    [event] = [
        e
        for e in desk.admin.get(f"/cases/{case_no}").get_json()["events"]
        if e["action"] == "complete" and e["task"] == "营业执照承办"
    ]
    assert (event["actor"], event["detail"]["comment"]) == ("amr1", "页面办理")


@pytest.mark.parametrize(
    ("without", "error_field"),
    [("company_name", "company_name"), ("decision", "decision")],
    ids=["conditional-required", "required"],
)
def test_invalid_form_is_422(client: FlaskClient, desk: Desk, without: str, error_field: str):
    _case_no, task = desk.licence_case()
    login(client, "amr1")
    token = csrf_token(client.get(f"/tasks/{task}").get_data(as_text=True))
    form = {k: v for k, v in LICENCE_FORM.items() if k != without}
    response = client.post(f"/tasks/{task}", data={**form, "csrf_token": token})
    page = response.get_data(as_text=True)

    assert response.status_code == 422
    assert f'<p class="field-error" id="field-{error_field}-error">该字段为必填项</p>' in page
    assert re.search(rf'<input name="{error_field}" aria-invalid="true"', page)
    assert 'value="91339901MA2H7K3Q05"' in page, "what was typed is kept"
    assert desk.task(task)["state"] == "ready"


def test_new_case_with_missing_fields_is_422(client: FlaskClient, desk: Desk) -> None:
    login(client, "window1")
    token = csrf_token(client.get("/cases/new").get_data(as_text=True))
    form = {
        "service_item": desk.service_item,
        "applicant_kind": "enterprise",
        "applicant_name": "",
        "applicant_id_type": "统一社会信用代码",
        "applicant_id_number": "91331082MA2K8Q1X45",
        "csrf_token": token,
    }
    response = client.post("/cases/new", data=form)

    assert response.status_code == 422
    assert "该字段为必填项" in response.get_data(as_text=True)
    assert 'value="91331082MA2K8Q1X45"' in response.get_data(as_text=True)


def test_task_page_of_a_non_candidate_has_no_form(client: FlaskClient, desk: Desk) -> None:
    _case_no, task = desk.licence_case()
    login(client, "amr_chief")  # sees the task (same department), is not its candidate
    page = client.get(f"/tasks/{task}").get_data(as_text=True)

    assert "您不是该任务的办理人" in page
    assert 'name="company_name"' not in page


@pytest.mark.parametrize(
    ("username", "method", "template", "expected"),
    [
        ("psb1", "GET", "/cases/{case_no}", 404),
        ("psb1", "GET", "/cases/{case_no}/diagram.bpmn", 404),
        ("psb1", "GET", "/tasks/{task}", 404),
        ("amr_chief", "POST", "/tasks/{task}", 403),
    ],
)
def test_pages_refuse_like_the_api(
    client: FlaskClient, desk: Desk, username: str, method: str, template: str, expected: int
) -> None:
    case_no, task = desk.licence_case()
    login(client, username)
    path = template.format(case_no=case_no, task=task)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client.get("/tasks").get_data(as_text=True))
        response = client.post(path, data={**LICENCE_FORM, "csrf_token": token})

    assert response.status_code == expected
    assert ENTERPRISE["name"] not in response.get_data(as_text=True)
    assert desk.task(task)["state"] == "ready"


def _diagram_state(page: str) -> dict[str, list[str]]:
    match = re.search(r'<div class="bpmn-diagram"[^>]*>', page)
    assert match, "case page has no diagram"
    tag = match.group(0)
    state = {}
    for key in ("finished", "active", "pending"):
        attr = re.search(rf"data-{key}='([^']*)'", tag)
        assert attr, key
        state[key] = json.loads(html.unescape(attr.group(1)))
    state["url"] = re.search(r'data-xml-url="([^"]+)"', tag).group(1)
    return state


def test_case_page_shows_history_and_diagram(client: FlaskClient, desk: Desk) -> None:
    case_no, task = desk.licence_case()
    assert desk.amr.post(f"/tasks/{task}/claim").status_code == 200
    done = desk.amr.post(
        f"/tasks/{task}/complete",
        json={
            "data": {
                "company_name": "青山页面测试商贸有限公司",
                "credit_code": "91339901MA2H7K3Q05",
                "decision": "approve",
            },
            "comment": "同意报审核",
        },
    )
    assert done.status_code == 200, done.get_json()

    login(client, "window1")  # the department that took the case in follows it
    response = client.get(f"/cases/{case_no}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<small>{case_no}</small>" in page
    assert "91331082MA2K8Q1X32" not in page, "the applicant's ID number is masked"

    history = [
        text_of(li).strip()
        for li in re.findall(r"<li[^>]*>(.*?)</li>", section(page, "历史记录"), re.S)
    ]
    # people by their display names, the engine's own entries as 系统, times local to the minute
    assert any(" 系统 " in line and "开始计时" in line for line in history)
    assert all(re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} ", line) for line in history), history
    history = [line for line in history if " 系统 " not in line]
    receipts = [line for line in history if "收取材料" in line]
    assert len(receipts) == 6, "the window recorded each mandatory material on paper"
    history = [line for line in history if line not in receipts]
    assert len(history) == 4
    window, reviewer = "窗口一号（王芳）", "市场监管审查员（赵敏）"
    assert window in history[0]
    assert window in history[1] and "受理" in history[1]
    assert reviewer in history[2] and "营业执照承办" in history[2]
    assert reviewer in history[3] and "营业执照承办" in history[3] and "同意报审核" in history[3]
    assert "window1" not in section(page, "历史记录") and "amr1" not in section(page, "历史记录")

    diagram = _diagram_state(page)
    assert {"start", "intake", "licence_handle"} <= set(diagram["finished"])
    assert diagram["active"] == ["licence_approve"]
    assert "deliver" in diagram["pending"] and "intake" not in diagram["pending"]
    assert diagram["url"] == f"/cases/{case_no}/diagram.bpmn"

    xml = client.get(diagram["url"])
    assert xml.status_code == 200
    assert xml.mimetype == "application/xml"
    body = xml.get_data(as_text=True)
    assert body.startswith("<?xml")
    assert "<bpmn:definitions" in body
    assert 'id="licence_approve"' in body and 'id="intake"' in body


def test_history_actions_read_in_chinese(client: FlaskClient, desk: Desk) -> None:
    case_no, _task = desk.licence_case()
    login(client, "window1")
    history = text_of(section(client.get(f"/cases/{case_no}").get_data(as_text=True), "历史记录"))
    assert not re.search(r"\b(start|complete|claim|finish)\b", history), history


def test_language_switch_to_english(client: FlaskClient) -> None:
    login(client, "window1")
    page = client.get("/tasks?lang=en").get_data(as_text=True)
    links = text_of(nav(page))

    assert '<html lang="en">' in page
    assert "My tasks" in links and "Find a case" in links and "New case" in links
    assert not re.search(r"[\u4e00-\u9fff]", links), links
    assert "Sign out" in page

    chinese = text_of(nav(client.get("/tasks?lang=zh").get_data(as_text=True)))
    assert "我的待办" in chinese and "办件查询" in chinese and "发起办件" in chinese


def test_new_case_link_only_for_the_window(client: FlaskClient) -> None:
    login(client, "amr1")
    assert "/cases/new" not in nav(client.get("/tasks").get_data(as_text=True))
    login(client, "window1")
    assert "/cases/new" in nav(client.get("/tasks").get_data(as_text=True))


# ---- stored passwords --------------------------------------------------------------------------


def test_passwords_are_stored_hashed(uow) -> None:
    with uow() as work:
        users = work.session.scalars(select(models.User)).all()
        hashes = {u.username: u.password_hash for u in users}

    assert {"window1", "amr1", "admin"} <= hashes.keys()
    for username, stored in hashes.items():
        assert stored.startswith("scrypt$"), username
        assert DEMO_PASSWORD not in stored, username
