"""服务监督员 over HTTP: the scope replaces reading everything (a matrix of who reads
what), personal data masked in every answer, opinions turned into supervision items, the
quarterly report.

One monitor of this module's own (``new_user``: the demo monitor keeps the demo scope other
modules rely on) follows 个体工商户设立登记 by item and 市场监督管理局 by department. Three
cases: a person's 个体工商户 case (in scope by item), a 企业开办 case at 营业执照承办 (in
scope: 市场监督管理局 takes part) and a 企业开办 case still at 受理 (out of scope).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from .accounts import PASSWORD, new_user
from .conftest import Api, login
from .test_api_journey import ENTERPRISE, complete, item_code, receive_materials

PERSON = {
    "kind": "person",
    "name": "欧阳明华",
    "id_type": "居民身份证",
    "id_number": "330199198001011239",
    "phone": "13900001111",
}


@dataclass
class World:
    admin: Api
    office: Api
    window: Api
    monitor: Api
    idle: Api  # a monitor with an empty scope
    monitor_name: str
    cases: dict[str, str] = field(default_factory=dict)  # person | licence | intake
    tasks: dict[str, str] = field(default_factory=dict)


def _as(client, username: str) -> Api:
    api = Api(client)
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    api.token = response.get_json()["token"]
    return api


def _start(window: Api, item: str, applicant: dict[str, str]) -> dict[str, Any]:
    response = window.post(
        "/cases", json={"service_item": item, "applicant": applicant, "data": {}}
    )
    assert response.status_code == 201, response.get_json()
    receive_materials(window, response.get_json()["case_no"])
    return response.get_json()


@pytest.fixture(scope="module")
def world(app: Flask, sessions: sessionmaker[Session]) -> World:
    client = app.test_client()
    monitor = new_user(sessions, roles=("monitor",), department="office")
    idle = new_user(sessions, roles=("monitor",), department="office")
    world = World(
        admin=Api(client, "admin"),
        office=Api(client, "office1"),
        window=Api(client, "window1"),
        monitor=_as(client, monitor),
        idle=_as(client, idle),
        monitor_name=monitor,
    )
    individual = item_code(world.window, "个体工商户设立登记")
    enterprise = item_code(world.window, "企业开办")
    scope = {"service_items": [individual], "departments": ["amr"]}
    response = world.admin.client.put(
        f"/api/v1/monitors/{monitor}/scope", json=scope, headers=world.admin._headers()
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"username": monitor, **scope}

    person = _start(world.window, individual, PERSON)
    world.cases["person"] = person["case_no"]
    world.tasks["person"] = person["open_tasks"][0]["id"]
    licence = _start(world.window, enterprise, ENTERPRISE)
    done = complete(
        world.window,
        licence["open_tasks"][0],
        {"decision": "accept", "materials_checked": True},
    )
    world.cases["licence"] = licence["case_no"]
    world.tasks["licence"] = done["next_tasks"][0]["id"]
    intake = _start(world.window, enterprise, ENTERPRISE)
    world.cases["intake"] = intake["case_no"]
    world.tasks["intake"] = intake["open_tasks"][0]["id"]
    return world


def _reader(world: World, who: str) -> Api:
    return {"monitor": world.monitor, "idle": world.idle, "office": world.office}[who]


# (reader, case, visible): the scope, not the role, decides; the office still reads everything.
MATRIX = [
    ("monitor", "person", True),  # service item in scope
    ("monitor", "licence", True),  # 市场监督管理局 (in scope) takes part
    ("monitor", "intake", False),  # neither
    ("idle", "person", False),
    ("idle", "licence", False),
    ("idle", "intake", False),
    ("office", "person", True),
    ("office", "licence", True),
    ("office", "intake", True),
]


@pytest.mark.parametrize(("who", "case", "visible"), MATRIX)
def test_case_read_follows_the_scope(world: World, who: str, case: str, visible: bool) -> None:
    reader = _reader(world, who)
    case_no = world.cases[case]
    response = reader.get(f"/cases/{case_no}")
    assert response.status_code == (200 if visible else 404), response.get_json()
    listed = reader.get(f"/cases?q={case_no}").get_json()["items"]
    assert [c["case_no"] for c in listed] == ([case_no] if visible else [])


@pytest.mark.parametrize(("who", "case", "visible"), MATRIX)
def test_task_read_follows_the_scope(world: World, who: str, case: str, visible: bool) -> None:
    reader = _reader(world, who)
    task_id = world.tasks[case]
    assert reader.get(f"/tasks/{task_id}").status_code == (200 if visible else 404)
    assert (task_id in _every_listed_task(reader)) is visible


def _every_listed_task(reader) -> set[str]:
    """Every page of the reader's task list: the shared database holds more than one."""
    ids: set[str] = set()
    for page in range(1, 100):
        items = reader.get(f"/tasks?scope=all&per_page=200&page={page}").get_json()["items"]
        ids |= {t["id"] for t in items}
        if len(items) < 200:
            break
    return ids


def test_monitor_acts_on_nothing_in_scope(world: World) -> None:
    response = world.monitor.post(f"/tasks/{world.tasks['licence']}/claim")
    assert response.status_code == 403, response.get_json()


def test_personal_data_is_masked_for_the_monitor(world: World) -> None:
    case_no = world.cases["person"]
    seen = world.monitor.get(f"/cases/{case_no}").get_json()["applicant"]
    assert seen["name"] == "欧***"
    assert PERSON["id_number"] not in str(seen) and PERSON["phone"] not in str(seen)
    listed = world.monitor.get(f"/cases?q={case_no}").get_json()["items"][0]["applicant"]
    assert listed["name"] == "欧***"
    task = world.monitor.get(f"/tasks/{world.tasks['person']}").get_json()
    assert PERSON["name"] not in str(task)
    # staff see the name: only monitors are outside the government
    assert world.office.get(f"/cases/{case_no}").get_json()["applicant"]["name"] == "欧阳明华"
    # an enterprise's name is not personal data
    licence = world.monitor.get(f"/cases/{world.cases['licence']}").get_json()
    assert licence["applicant"]["name"] == ENTERPRISE["name"]


def test_supervision_items_follow_the_scope(world: World) -> None:
    issued = {}
    for lead in ("amr", "tax"):
        body = {
            "problem": f"{lead} 办理缓慢",
            "lead_department": lead,
            "required_action": "说明原因并整改",
            "due_working_days": 5,
        }
        response = world.office.post("/supervision-items", json=body)
        assert response.status_code == 201, response.get_json()
        issued[lead] = response.get_json()["no"]
    listed = {
        i["no"] for i in world.monitor.get("/supervision-items?per_page=200").get_json()["items"]
    }
    assert issued["amr"] in listed and issued["tax"] not in listed
    assert world.idle.get("/supervision-items?per_page=200").get_json()["items"] == []


def test_scope_is_for_administrators_and_names_unknown_codes(world: World) -> None:
    path = f"/api/v1/monitors/{world.monitor_name}/scope"
    body = {"service_items": [], "departments": ["amr"]}
    refused = world.office.client.put(path, json=body, headers=world.office._headers())
    assert refused.status_code == 403
    bad = world.admin.client.put(
        path, json={"departments": ["nowhere"]}, headers=world.admin._headers()
    )
    assert bad.status_code == 422
    assert "nowhere" in bad.get_json()["error"]["details"]["fields"]["departments"]
    own = world.monitor.get(f"/monitors/{world.monitor_name}/scope").get_json()
    assert own["departments"] == ["amr"], "the refused and invalid changes left it as it was"
    assert world.admin.get("/monitors/window1/scope").status_code == 404


def test_opinion_becomes_a_supervision_item_once(world: World) -> None:
    filed = world.monitor.post(
        "/monitor-opinions",
        json={"case_no": world.cases["licence"], "text": "营业执照承办较慢", "score": 2},
    )
    assert filed.status_code == 201, filed.get_json()
    opinion = filed.get_json()
    out_of_scope = world.monitor.post(
        "/monitor-opinions", json={"case_no": world.cases["intake"], "text": "看不到的办件"}
    )
    assert out_of_scope.status_code == 404
    bad = world.monitor.post(
        "/monitor-opinions", json={"department": "tax", "text": "", "score": 9}
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"text", "score", "department"}
    assert world.office.post("/monitor-opinions", json={"text": "x"}).status_code == 403

    order = {
        "problem": "监督员反映营业执照承办较慢",
        "lead_department": "amr",
        "required_action": "核查并提速",
        "due_working_days": 5,
    }
    path = f"/monitor-opinions/{opinion['id']}/supervise"
    assert world.monitor.post(path, json=order).status_code == 403
    made = world.office.post(path, json=order)
    assert made.status_code == 201, made.get_json()
    item = made.get_json()["supervision_item"]
    assert (item["source"], item["case_nos"]) == ("monitor", [world.cases["licence"]])
    again = world.office.post(path, json=order)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_supervised"

    mine = world.monitor.get("/monitor-opinions").get_json()["items"]
    assert [(o["id"], o["supervision_no"]) for o in mine] == [(opinion["id"], item["no"])]
    assert world.idle.get("/monitor-opinions").get_json()["items"] == []

    report = world.office.get("/monitor-reports/quarterly").get_json()
    row = next(o for o in report["opinions"] if o["id"] == opinion["id"])
    assert (row["supervision_no"], row["outcome"]) == (item["no"], "督办中")
    assert report["supervised"] >= 1
    sheet = world.office.get("/monitor-reports/quarterly.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert any(r[7] == "营业执照承办较慢" and r[8] == item["no"] for r in rows)
    assert world.office.get("/monitor-reports/quarterly?quarter=2026Q9").status_code == 400


def test_report_page_for_monitors_and_supervisors(world: World, app: Flask) -> None:
    client = app.test_client()
    login(client, "office1")
    page = client.get("/monitor/report")
    assert page.status_code == 200
    assert "服务监督评议报告" in page.get_data(as_text=True)
    assert client.get("/monitor/report.xlsx").status_code == 200
