"""企业服务专员 over HTTP: enterprises known by credit code, assignment by administrators, the
我的企业 view, visit logs whose escalated problems become supervision items, the notification on
yellow and red, and the approval-chain rule ``commissioner`` naming the assigned commissioner.

Commissioners of this module's own (``new_user``), so assignments never meet other modules'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import add_working_days
from engine.services import escalation
from engine.uow import UnitOfWork
from engine.workdays import calendar

from .accounts import new_user
from .conftest import Api, login
from .test_api_journey import complete, item_code, receive_materials
from .test_monitors import _as
from .test_supervision_api import at

# A credit code of this module alone (GB 32100 check character included).
ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山专员测试科技有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91339901MA2H7K3Q05",
    "phone": "13800002222",
}
CODE = ENTERPRISE["id_number"]


@dataclass
class World:
    admin: Api
    window: Api
    commissioner: Api
    other: Api
    username: str
    case_no: str
    due: str


@pytest.fixture(scope="module")
def world(app: Flask, sessions: sessionmaker[Session]) -> World:
    client = app.test_client()
    mine = new_user(sessions, roles=("commissioner",), department="window")
    other = new_user(sessions, roles=("commissioner",), department="window")
    window = Api(client, "window1")
    response = window.post(
        "/cases",
        json={"service_item": item_code(window, "企业开办"), "applicant": ENTERPRISE, "data": {}},
    )
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    receive_materials(window, case["case_no"])
    complete(window, case["open_tasks"][0], {"decision": "accept", "materials_checked": True})
    admin = Api(client, "admin")
    put = admin.client.put(
        f"/api/v1/enterprises/{CODE}/commissioner",
        json={"username": mine},
        headers=admin._headers(),
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["commissioner"] == mine
    return World(
        admin=admin,
        window=window,
        commissioner=_as(client, mine),
        other=_as(client, other),
        username=mine,
        case_no=case["case_no"],
        due=window.get(f"/cases/{case['case_no']}").get_json()["due_date"],
    )


def _put(api: Api, path: str, body: dict):
    return api.client.put(f"/api/v1{path}", json=body, headers=api._headers())


def test_only_administrators_assign_a_commissioner(world: World) -> None:
    path = f"/enterprises/{CODE}/commissioner"
    assert _put(world.window, path, {"username": world.username}).status_code == 403
    refused = _put(world.admin, path, {"username": "window1"})
    assert refused.status_code == 422, "not a commissioner"
    unknown = _put(world.admin, "/enterprises/91339901MA0000000X/commissioner", {"username": "x"})
    assert unknown.status_code == 404


def test_my_enterprises_show_every_case_with_step_and_light(world: World) -> None:
    listed = world.commissioner.get("/enterprises?commissioner=me").get_json()["items"]
    assert [e["credit_code"] for e in listed] == [CODE]
    assert world.other.get("/enterprises?commissioner=me").get_json()["items"] == []
    view = world.commissioner.get(f"/enterprises/{CODE}").get_json()
    assert view["name"] == ENTERPRISE["name"] and view["commissioner"] == world.username
    [case] = [c for c in view["cases"] if c["case_no"] == world.case_no]
    assert [s["department"] for s in case["current_steps"]] == ["amr"]
    assert case["light"] in ("green", "yellow", "red") and case["due_date"]
    assert world.other.get(f"/enterprises/{CODE}").status_code == 404
    assert world.window.get(f"/enterprises/{CODE}").status_code == 403


def test_an_escalated_visit_problem_becomes_a_supervision_item(world: World, api) -> None:
    body = {
        "date": "2026-12-01",
        "notes": "走访了解开办进度",
        "problems": [
            {"text": "营业执照审核等待较久", "escalate": True},
            {"text": "希望增加停车位", "escalate": False},
        ],
    }
    made = world.commissioner.post(f"/enterprises/{CODE}/visits", json=body)
    assert made.status_code == 201, made.get_json()
    escalated, kept = made.get_json()["problems"]
    assert "supervision_no" not in kept
    item = api("office1").get(f"/supervision-items/{escalated['supervision_no']}").get_json()
    assert (item["source"], item["lead_department"]) == ("commissioner", "amr")
    assert "营业执照审核等待较久" in item["problem"]
    bad = world.commissioner.post(
        f"/enterprises/{CODE}/visits", json={"date": "x", "problems": [{}]}
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"date", "problems[0].text"}
    assert world.other.post(f"/enterprises/{CODE}/visits", json=body).status_code == 404
    shown = world.commissioner.get(f"/enterprises/{CODE}").get_json()["visits"]
    assert shown[0]["problems"][0]["supervision_no"] == escalated["supervision_no"]


def test_the_commissioner_is_told_of_yellow_and_red(world: World, sessions) -> None:
    due = date.fromisoformat(world.due)
    escalation.sweep(sessions, lambda: at(due))
    with UnitOfWork(sessions) as uow:
        after = add_working_days(calendar(uow), due, 1)[0]
    escalation.sweep(sessions, lambda: at(after))
    told = world.commissioner.get("/notifications?per_page=200").get_json()["items"]
    kinds = {n["kind"] for n in told if world.case_no in n["message"]}
    assert kinds == {"light_yellow", "light_red"}
    assert not [n for n in world.other.get("/notifications").get_json()["items"]]


def test_the_chain_rule_commissioner_names_the_assigned_one(world: World) -> None:
    """A draft level with the rule, previewed on the enterprise's case: its commissioner."""
    level = {"name": "专员确认", "mode": "single", "assignees": {"rule": "commissioner"}}
    body = {"case_no": world.case_no, "department": "amr", "levels": [level]}
    preview = world.admin.post("/approval-chains/enterprise_startup.amr/preview", json=body)
    assert preview.status_code == 200, preview.get_json()
    [planned] = preview.get_json()["levels"]
    assert [u["username"] for u in planned["users"]] == [world.username]


def test_my_enterprises_page(world: World, app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    page = client.get(f"/enterprises/{CODE}").get_data(as_text=True)
    assert ENTERPRISE["name"] in page and world.case_no in page and "营业执照审核等待较久" in page
    assert client.get("/enterprises/").status_code == 200
