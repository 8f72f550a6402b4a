"""Who may see and do what over the REST API: a role × endpoint matrix (engine/access.py).

One 企业开办 case waits at 营业执照承办 (市场监督管理局, role slot ``reviewer``) and a second case
waits at 受理 (综合受理窗口, role slot ``window``); every row of the tables below asks one user to
do one thing to them. DESIGN.md: "a user sees only the tasks and cases of the departments they
take part in"; supervision (督办), monitoring and administration read across departments.

Belonging to a department is not taking part in its work: commissioner1 sits in the window
department (engine/demo.py) with only the ``commissioner`` role, and sees neither its cases nor its
tasks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.uow import UnitOfWork

from ..conftest import DEMO_PASSWORD, ROOT
from .conftest import Api, login
from .test_api_journey import receive_materials

USERS = (
    "window1",
    "window2",
    "amr1",
    "amr_chief",
    "psb1",
    "tax1",
    "office1",
    "monitor1",
    "designer1",
    "admin",
    "commissioner1",
)
READ_ALL = ("office1", "monitor1", "admin")

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山权限测试商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
INTAKE_ACCEPT = {"decision": "accept", "materials_checked": True}
LICENCE_APPROVE = {
    "company_name": "青山权限测试商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}
MODEL_DIR = ROOT / "bpmn" / "individual_business"


@dataclass
class World:
    """The two cases of this module, and one API token per demo user."""

    client: FlaskClient
    service_item: str
    licence_case: str = ""
    licence_task: str = ""
    intake_case: str = ""
    intake_task: str = ""
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, username: str | None, method: str, path: str, **kwargs: Any):
        headers = {"Authorization": f"Bearer {self.tokens[username]}"} if username else {}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def path(self, template: str) -> str:
        return template.format(**vars(self))

    def task(self, task_id: str) -> dict[str, Any]:
        """The task as an administrator sees it (read-all), to check nothing changed."""
        response = self.call("admin", "GET", f"/tasks/{task_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def listed(self, username: str, path: str, key: str, value: str) -> bool:
        """Whether any item of the (paged) list at ``path`` has ``item[key] == value``."""
        page = 1
        while True:
            sep = "&" if "?" in path else "?"
            response = self.call(username, "GET", f"{path}{sep}page={page}&per_page=200")
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            if any(item[key] == value for item in body["items"]):
                return True
            if page * body["per_page"] >= body["total"]:
                return False
            page += 1


def enterprise_item(sessions: sessionmaker[Session]) -> str:
    """The code of 企业开办, read from the catalogue table (not the list other tests extend)."""
    with UnitOfWork(sessions) as uow:
        return uow.session.scalars(
            select(models.ServiceItem.code).where(models.ServiceItem.name == "企业开办")
        ).one()


def _token(client: FlaskClient, username: str) -> str:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _start_case(world: World) -> tuple[str, str]:
    """A new 企业开办 case by window1; returns its number and the id of its 受理 task."""
    response = world.call(
        "window1",
        "POST",
        "/cases",
        json={"service_item": world.service_item, "applicant": ENTERPRISE, "data": {}},
    )
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    [intake] = [t for t in case["open_tasks"] if t["name"] == "受理"]
    window = Api(world.client)
    window.token = world.tokens["window1"]
    receive_materials(window, case["case_no"])
    return case["case_no"], intake["id"]


@pytest.fixture(scope="module")
def world(app: Flask, sessions: sessionmaker[Session]) -> World:
    """Set up once per module and backend (``app`` follows the parametrized database)."""
    client = app.test_client()
    tokens = {username: _token(client, username) for username in USERS}
    world = World(client=client, service_item=enterprise_item(sessions), tokens=tokens)

    world.licence_case, intake = _start_case(world)
    done = world.call("window1", "POST", f"/tasks/{intake}/complete", json={"data": INTAKE_ACCEPT})
    assert done.status_code == 200, done.get_json()
    [licence] = done.get_json()["next_tasks"]
    assert (licence["name"], licence["department"], licence["role"]) == (
        "营业执照承办",
        "amr",
        "reviewer",
    )
    world.licence_task = licence["id"]

    world.intake_case, world.intake_task = _start_case(world)
    return world


def row(*values: Any) -> Any:
    """One table row as a test case named by its values (``amr_chief-licence_task-403``)."""
    return pytest.param(*values, id="-".join(str(v) for v in values))


# ---- POST /cases: only the window takes cases in ------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        row(u, 201 if u in ("window1", "window2") else 400 if u == "commissioner1" else 403)
        for u in USERS
    ],
)
def test_start_case(world: World, username: str, expected: int) -> None:
    """A commissioner may file only for an applicant (帮办代办), so needs an agent: 400."""
    response = world.call(
        username,
        "POST",
        "/cases",
        json={"service_item": world.service_item, "applicant": ENTERPRISE, "data": {}},
    )
    assert response.status_code == expected, response.get_json()
    if expected == 403:
        assert response.get_json()["error"]["code"] == "forbidden"
        assert response.get_json()["error"]["details"]["required_roles"] == [
            "window",
            "commissioner",
        ]
    elif expected == 400:
        assert response.get_json()["error"]["code"] == "agent_required"
    else:
        assert response.get_json()["case_no"]


# ---- GET /cases/{no} and the case list ---------------------------------------------------------

# (username, case, visible): the window department took both cases in; 市场监督管理局 takes part
# in the licence case only; psb/tax have no task in either case yet.
CASE_VISIBILITY = [
    ("window1", "licence_case", True),
    ("window2", "licence_case", True),  # the department, not only the clerk who took it in
    ("amr1", "licence_case", True),
    ("amr_chief", "licence_case", True),  # a department colleague without the role slot
    ("psb1", "licence_case", False),
    ("tax1", "licence_case", False),
    ("office1", "licence_case", True),
    ("monitor1", "licence_case", True),
    ("designer1", "licence_case", False),
    ("admin", "licence_case", True),
    ("commissioner1", "licence_case", False),
    ("window1", "intake_case", True),
    ("amr1", "intake_case", False),  # amr takes no part before the case reaches it
    ("amr_chief", "intake_case", False),
    ("psb1", "intake_case", False),
    ("tax1", "intake_case", False),
    ("office1", "intake_case", True),
    ("monitor1", "intake_case", True),
    ("designer1", "intake_case", False),
    ("admin", "intake_case", True),
    ("commissioner1", "intake_case", False),
]


@pytest.mark.parametrize(
    ("username", "case", "expected"),
    [row(u, c, 200 if v else 404) for u, c, v in CASE_VISIBILITY],
)
def test_read_case(world: World, username: str, case: str, expected: int) -> None:
    case_no = getattr(world, case)
    response = world.call(username, "GET", f"/cases/{case_no}")
    assert response.status_code == expected, response.get_json()
    if expected == 200:
        assert response.get_json()["case_no"] == case_no
    else:  # exactly like an unknown case: no hint that it exists
        assert response.get_json()["error"]["code"] == "case_not_found"


@pytest.mark.parametrize(
    ("username", "case", "visible"),
    [row(*r) for r in CASE_VISIBILITY],
)
def test_case_list_visibility(world: World, username: str, case: str, visible: bool) -> None:
    case_no = getattr(world, case)
    assert world.listed(username, f"/cases?q={case_no}", "case_no", case_no) is visible


@pytest.mark.parametrize("username", ["psb1", "tax1", "designer1"])
def test_case_list_filters_do_not_widen_visibility(world: World, username: str) -> None:
    path = f"/cases?department=amr&service_item={world.service_item}&q={world.licence_case}"
    assert not world.listed(username, path, "case_no", world.licence_case)


# ---- GET /tasks: inboxes -----------------------------------------------------------------------

# (username, scope, task, listed). ``mine``: assigned to me or claimable by me (department and
# role slot); ``department``: my department's; ``all``: everything I may see.
INBOXES = [
    *[(u, "mine", "licence_task", u == "amr1") for u in USERS],
    *[(u, "mine", "intake_task", u in ("window1", "window2")) for u in USERS],
    ("amr1", "department", "licence_task", True),
    ("amr_chief", "department", "licence_task", True),
    ("psb1", "department", "licence_task", False),
    ("admin", "department", "licence_task", False),
    ("window1", "department", "intake_task", True),
    ("amr1", "department", "intake_task", False),
    *[(u, "all", "licence_task", u in (*READ_ALL, "amr1", "amr_chief")) for u in USERS],
    *[(u, "all", "intake_task", u in (*READ_ALL, "window1", "window2")) for u in USERS],
]


@pytest.mark.parametrize(
    ("username", "scope", "task", "listed"),
    [row(*r) for r in INBOXES],
)
def test_inbox(world: World, username: str, scope: str, task: str, listed: bool) -> None:
    task_id = getattr(world, task)
    assert world.listed(username, f"/tasks?scope={scope}", "id", task_id) is listed


# ---- GET /tasks/{id} ---------------------------------------------------------------------------

TASK_VISIBILITY = [
    *[(u, "licence_task", u in (*READ_ALL, "amr1", "amr_chief")) for u in USERS],
    *[(u, "intake_task", u in (*READ_ALL, "window1", "window2")) for u in USERS],
]


@pytest.mark.parametrize(
    ("username", "task", "expected"),
    [row(u, t, 200 if v else 404) for u, t, v in TASK_VISIBILITY],
)
def test_read_task(world: World, username: str, task: str, expected: int) -> None:
    task_id = getattr(world, task)
    response = world.call(username, "GET", f"/tasks/{task_id}")
    assert response.status_code == expected, response.get_json()
    if expected == 200:
        assert response.get_json()["id"] == task_id
        assert response.get_json()["form"]["schema"]["properties"]
    else:
        assert response.get_json()["error"]["code"] == "task_not_found"


@pytest.mark.parametrize(
    ("username", "may_complete"),
    [
        row("amr1", True),
        row("amr_chief", False),  # same department, wrong role slot
        row("office1", False),  # reading everything is not acting
        row("monitor1", False),
        row("admin", False),
    ],
)
def test_task_says_who_may_complete_it(world: World, username: str, may_complete: bool) -> None:
    response = world.call(username, "GET", f"/tasks/{world.licence_task}")
    assert response.status_code == 200
    assert response.get_json()["can_complete"] is may_complete


# ---- POST /tasks/{id}/claim --------------------------------------------------------------------

CLAIMS = [
    *[
        (
            u,
            "licence_task",
            200 if u == "amr1" else 403 if u in (*READ_ALL, "amr_chief") else 404,
        )
        for u in USERS
    ],
    ("amr1", "intake_task", 404),
    ("amr_chief", "intake_task", 404),
    ("psb1", "intake_task", 404),
    ("designer1", "intake_task", 404),
    ("office1", "intake_task", 403),
    ("admin", "intake_task", 403),
]


@pytest.mark.parametrize(("username", "task", "expected"), [row(*r) for r in CLAIMS])
def test_claim(world: World, username: str, task: str, expected: int) -> None:
    task_id = getattr(world, task)
    response = world.call(username, "POST", f"/tasks/{task_id}/claim")
    assert response.status_code == expected, response.get_json()
    after = world.task(task_id)
    if expected == 200:
        assert (after["assignee"], after["state"]) == (username, "claimed")
        return
    code = {403: "not_candidate", 404: "task_not_found"}[expected]
    assert response.get_json()["error"]["code"] == code
    assert after["assignee"] != username
    assert after["state"] in ("ready", "claimed")


def test_claimed_task_stays_in_the_claimers_inbox_only(world: World) -> None:
    assert world.call("amr1", "POST", f"/tasks/{world.licence_task}/claim").status_code == 200
    assert world.listed("amr1", "/tasks?scope=mine", "id", world.licence_task)
    assert not world.listed("amr_chief", "/tasks?scope=mine", "id", world.licence_task)
    assert world.listed("amr_chief", "/tasks?scope=department", "id", world.licence_task)


# ---- POST /tasks/{id}/complete by someone who may not --------------------------------------------

COMPLETIONS = [
    *[
        (u, "licence_task", 403 if u in (*READ_ALL, "amr_chief") else 404)
        for u in USERS
        if u != "amr1"
    ],
    ("amr1", "intake_task", 404),
    ("amr_chief", "intake_task", 404),
    ("psb1", "intake_task", 404),
    ("tax1", "intake_task", 404),
    ("designer1", "intake_task", 404),
    ("office1", "intake_task", 403),
    ("monitor1", "intake_task", 403),
    ("admin", "intake_task", 403),
    ("commissioner1", "intake_task", 404),
]


@pytest.mark.parametrize(
    ("username", "task", "expected"),
    [row(*r) for r in COMPLETIONS],
)
def test_complete_refused(world: World, username: str, task: str, expected: int) -> None:
    """Valid form data, so only the permission rule stands between the caller and the step."""
    task_id = getattr(world, task)
    data = LICENCE_APPROVE if task == "licence_task" else INTAKE_ACCEPT
    response = world.call(username, "POST", f"/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == expected, response.get_json()
    code = response.get_json()["error"]["code"]
    assert code in ({"not_candidate", "not_assignee"} if expected == 403 else {"task_not_found"})
    assert world.task(task_id)["state"] in ("ready", "claimed"), "the step must still be open"


# ---- POST /process-models: designers and administrators deploy ----------------------------------


def _model_files() -> list[tuple[io.BytesIO, str]]:
    paths = sorted(p for p in MODEL_DIR.rglob("*") if p.is_file())
    assert any(p.suffix == ".bpmn" for p in paths)
    return [(io.BytesIO(p.read_bytes()), p.name) for p in paths]


def _versions(world: World) -> list[int]:
    response = world.call("admin", "GET", "/process-models/individual_business/versions")
    assert response.status_code == 200, response.get_json()
    return [v["version"] for v in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("username", "expected"),
    [row(u, 200 if u in ("designer1", "admin") else 403) for u in USERS],
)
def test_deploy_model(world: World, username: str, expected: int) -> None:
    before = _versions(world)
    response = world.call(
        username,
        "POST",
        "/process-models",
        data={"key": "individual_business", "note": "access test", "files": _model_files()},
        content_type="multipart/form-data",
    )
    if expected == 403:
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["code"] == "forbidden"
        assert _versions(world) == before, "a refused deployment makes no version"
        return
    # The demo deployed these very files: the same version answers, none is made (API.md).
    assert response.status_code in (200, 201), response.get_json()
    body = response.get_json()
    assert body["key"] == "individual_business"
    assert body["version"] in _versions(world)
    assert "individual_business.bpmn" in body["files"]
    if response.status_code == 200:
        assert _versions(world) == before


# ---- 催办, comments and 抄送 act on a case: whoever sees it, except a monitor (read-only) -----

SEES_LICENCE_CASE = {u for u, c, visible in CASE_VISIBILITY if c == "licence_case" and visible}
ACTS = [row(u, 403 if u == "monitor1" else 200 if u in SEES_LICENCE_CASE else 404) for u in USERS]


def _refused_as(response: Any, expected: int) -> None:
    assert response.status_code in (expected, 201 if expected == 200 else expected), (
        response.get_json()
    )
    if expected == 403:
        assert response.get_json()["error"]["code"] == "read_only"
    elif expected == 404:
        assert response.get_json()["error"]["code"] in ("case_not_found", "task_not_found")


@pytest.mark.parametrize(("username", "expected"), ACTS)
def test_urge(world: World, username: str, expected: int) -> None:
    path = world.path("/tasks/{licence_task}/urge")
    _refused_as(world.call(username, "POST", path, json={"note": "请尽快办理"}), expected)


@pytest.mark.parametrize(("username", "expected"), ACTS)
def test_comment(world: World, username: str, expected: int) -> None:
    path = world.path("/cases/{licence_case}/comments")
    response = world.call(
        username, "POST", path, data={"text": "已阅"}, content_type="multipart/form-data"
    )
    _refused_as(response, expected)


def _case_at_licence(world: World) -> str:
    """A fresh case (抄送 widens who reads it) that 市场监督管理局 now takes part in."""
    case_no, intake = _start_case(world)
    done = world.call("window1", "POST", f"/tasks/{intake}/complete", json={"data": INTAKE_ACCEPT})
    assert done.status_code == 200, done.get_json()
    return case_no


@pytest.mark.parametrize(("username", "expected"), ACTS)
def test_cc_to_someone_in_the_office(world: World, username: str, expected: int) -> None:
    case_no = _case_at_licence(world)
    response = world.call(username, "POST", f"/cases/{case_no}/cc", json={"users": ["designer1"]})
    _refused_as(response, expected)


# (target, allowed): the case's departments are the window and 市场监督管理局; the office always.
CC_TARGETS = [
    ("amr_chief", True),
    ("commissioner1", True),  # sits in the window department
    ("designer1", True),  # sits in the office
    ("psb1", False),
    ("tax1", False),
]


@pytest.mark.parametrize(("target", "allowed"), [row(*r) for r in CC_TARGETS])
def test_cc_reaches_only_the_cases_departments_and_the_office(
    world: World, target: str, allowed: bool
) -> None:
    case_no = _case_at_licence(world)
    response = world.call("amr1", "POST", f"/cases/{case_no}/cc", json={"users": [target]})
    assert response.status_code == (201 if allowed else 422), response.get_json()
    sees = world.call(target, "GET", f"/cases/{case_no}").status_code
    assert sees == (200 if allowed else 404)
    if not allowed:
        assert response.get_json()["error"]["details"]["outside"] == [target]


def test_a_copy_does_not_let_its_reader_widen_the_circle(world: World) -> None:
    case_no = _case_at_licence(world)
    copied = world.call("window1", "POST", f"/cases/{case_no}/cc", json={"users": ["designer1"]})
    assert copied.status_code == 201, copied.get_json()
    again = world.call("designer1", "POST", f"/cases/{case_no}/cc", json={"users": ["tax1"]})
    assert again.status_code == 422, again.get_json()
    assert world.call("tax1", "GET", f"/cases/{case_no}").status_code == 404


# ---- no token, bad token ------------------------------------------------------------------------

ENDPOINTS = [
    ("POST", "/cases", {"json": {"service_item": "{service_item}", "applicant": ENTERPRISE}}),
    ("GET", "/cases", {}),
    ("GET", "/cases/{licence_case}", {}),
    ("GET", "/tasks?scope=mine", {}),
    ("GET", "/tasks?scope=all", {}),
    ("GET", "/tasks/{licence_task}", {}),
    ("POST", "/tasks/{licence_task}/claim", {}),
    ("POST", "/tasks/{licence_task}/unclaim", {}),
    ("POST", "/tasks/{licence_task}/complete", {"json": {"data": LICENCE_APPROVE}}),
    ("POST", "/tasks/{intake_task}/complete", {"json": {"data": INTAKE_ACCEPT}}),
    ("GET", "/process-models", {}),
    ("POST", "/process-models", {"multipart": True}),
    ("GET", "/process-models/individual_business/versions", {}),
    ("GET", "/service-items", {}),
    ("GET", "/me", {}),
]


def _request_kwargs(world: World, spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("multipart"):
        return {
            "data": {"key": "individual_business", "files": _model_files()},
            "content_type": "multipart/form-data",
        }
    if "json" in spec:
        body = dict(spec["json"])
        if body.get("service_item") == "{service_item}":
            body["service_item"] = world.service_item
        return {"json": body}
    return {}


def _ids(endpoint: tuple[str, str, dict[str, Any]]) -> str:
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Basic d2luZG93MTp4"])
def test_no_valid_token_is_401(
    world: World, endpoint: tuple[str, str, dict[str, Any]], header: str | None
) -> None:
    method, template, spec = endpoint
    headers = {"Authorization": header} if header else {}
    before = world.task(world.licence_task)
    response = world.client.open(
        f"/api/v1{world.path(template)}",
        method=method,
        headers=headers,
        **_request_kwargs(world, spec),
    )
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["error"]["code"] in ("missing_token", "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    after = world.task(world.licence_task)
    assert (after["state"], after["assignee"]) == (before["state"], before["assignee"])


@pytest.mark.parametrize(
    "path", ["/cases", "/tasks/{licence_task}/complete"], ids=["cases", "complete"]
)
def test_no_token_is_401_before_the_body_is_checked(world: World, path: str) -> None:
    """An anonymous caller learns nothing about the body's schema: 401 comes first."""
    response = world.client.post(f"/api/v1{world.path(path)}", json={})
    assert response.status_code == 401, response.get_json()


# ---- administrators' security pages; deployed model files (issue 9) ------------------------------


@pytest.fixture(scope="module")
def page_clients(app: Flask) -> dict[str, FlaskClient]:
    """One logged-in browser per demo user (the HTML pages go by the session cookie)."""
    clients = {}
    for username in USERS:
        client = app.test_client()
        login(client, username)
        clients[username] = client
    return clients


@pytest.mark.parametrize(
    ("username", "path", "expected"),
    [
        row(u, path, 200 if u == "admin" else 403)
        for path in ("/admin/audit", "/admin/users/")
        for u in USERS
    ],
)
def test_security_pages_are_for_administrators(
    page_clients: dict[str, FlaskClient], username: str, path: str, expected: int
) -> None:
    assert page_clients[username].get(path).status_code == expected


@pytest.mark.parametrize(
    ("username", "expected"), [row(u, 200 if u in ("designer1", "admin") else 403) for u in USERS]
)
def test_deployed_model_files_as_the_designer_pages_allow(
    world: World, username: str, expected: int
) -> None:
    """A model's files hold its scripts, conditions and forms: designers and admins only."""
    path = "/process-models/individual_business/versions/1/files/individual_business.bpmn"
    response = world.call(username, "GET", path)
    assert response.status_code == expected, response.get_data(as_text=True)[:200]
    if expected == 200:
        assert response.mimetype == "application/xml" and b"<bpmn:definitions" in response.data
