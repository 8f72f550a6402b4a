"""POST /api/v1/messages/{name} as the provincial platform or a bank would call it."""

from __future__ import annotations

import pytest

from engine.services.models import deploy_model
from tests.engine import message_models as mm

from .conftest import Api

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山绿水商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
}


@pytest.fixture(autouse=True)
def deployed(uow):
    with uow() as u:  # the item's own model, which the bundle calls
        deploy_model(u, None, "call_item", mm.callee("单项审核"), "v1")
    mm.deploy_items(uow, {**mm.ITEMS, "TEST-CALL-BUNDLE": ("call_bundle", mm.BUNDLE)})
    mm.ensure_sender(uow)


def new_case(api, item: str, data: dict | None = None) -> str:
    response = api("window1").post(
        "/cases", json={"service_item": item, "applicant": ENTERPRISE, "data": data or {}}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_no"]


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "details"}
    return body["error"]


def test_a_bank_reports_a_payment_by_correlation_and_the_case_moves_on(api):
    case_no = new_case(api, "TEST-MSG-RECEIVE", {"bank_ref": "API-R-1"})
    window = api("window1")
    assert window.get(f"/cases/{case_no}").get_json()["open_tasks"] == []
    bank = api(mm.SENDER)
    response = bank.post(
        "/messages/bank_paid",
        json={"correlation": {"bank_ref": "API-R-1"}, "payload": {"amount": 80}},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["message"] == "bank_paid" and body["started"] is False
    [reached] = body["cases"]
    assert reached["case_no"] == case_no and reached["data"]["amount"] == 80
    assert [t["name"] for t in reached["open_tasks"]] == ["缴费后审核"]
    case = window.get(f"/cases/{case_no}").get_json()
    assert [t["name"] for t in case["open_tasks"]] == ["缴费后审核"]
    assert case["open_tasks"][0]["department"] == "amr"
    assert [e for e in case["events"] if e["action"] == "message"]
    again = bank.post("/messages/bank_paid", json={"case_no": case_no})
    assert error_of(again, 404)["code"] == "message_not_correlated"


def test_refusals_answer_with_the_api_error_shape(api, client):
    first = new_case(api, "TEST-MSG-RECEIVE", {"bank_ref": "API-R-2", "batch": "API-B"})
    new_case(api, "TEST-MSG-RECEIVE", {"bank_ref": "API-R-3", "batch": "API-B"})
    bank = api(mm.SENDER)
    assert error_of(Api(client).post("/messages/bank_paid", json={}), 401)
    forbidden = api("window1").post("/messages/bank_paid", json={"case_no": first})
    assert error_of(forbidden, 403)["code"] == "forbidden"
    missing = bank.post("/messages/bank_paid", json={"correlation": {"bank_ref": "nope"}})
    assert error_of(missing, 404)["code"] == "message_not_correlated"
    ambiguous = bank.post("/messages/bank_paid", json={"correlation": {"batch": "API-B"}})
    assert error_of(ambiguous, 409)["details"]["case_nos"]
    bad = bank.post("/messages/bank_paid", json={"case_no": first, "payload": "paid"})
    assert error_of(bad, 422)["details"]["field"] == "payload"
    reserved = bank.post("/messages/bank_paid", json={"case_no": first, "payload": {"_x": 1}})
    assert "payload._x" in error_of(reserved, 422)["details"]["fields"]
    malformed = bank.client.post("/api/v1/messages/bank_paid", data="{", headers=bank._headers())
    assert error_of(malformed, 400)
    assert api("window1").get(f"/cases/{first}").get_json()["open_tasks"] == []


def test_the_provincial_platform_opens_a_case_with_a_message(api):
    response = api(mm.SENDER).post(
        "/messages/online_application",
        json={"applicant": ENTERPRISE, "payload": {"online_no": "ZJ-API-1"}},
    )
    assert response.status_code == 201, response.get_json()
    [case] = response.get_json()["cases"]
    assert case["service_item"] == "TEST-MSG-START" and case["data"]["online_no"] == "ZJ-API-1"
    assert [t["name"] for t in case["open_tasks"]] == ["网上申报预审"]
    no_applicant = api(mm.SENDER).post("/messages/online_application", json={"payload": {}})
    assert error_of(no_applicant, 422)["code"] == "invalid_message"


def test_a_withdrawal_message_interrupts_the_review_over_the_api(api):
    case_no = new_case(api, "TEST-MSG-BOUNDARY")
    response = api("admin").post(
        "/messages/applicant_withdraw", json={"case_no": case_no, "payload": {"why": "不办了"}}
    )
    assert response.status_code == 200, response.get_json()
    steps = api("window1").get(f"/cases/{case_no}").get_json()["open_tasks"]
    assert [t["name"] for t in steps] == ["撤件登记"]


def test_a_bundle_task_of_the_called_model_is_worked_through_the_task_api(api):
    case_no = new_case(api, "TEST-CALL-BUNDLE")
    reviewer = api("amr1")
    task = reviewer.task_named(case_no, "单项审核")
    assert task["department"] == "amr"
    assert reviewer.get(f"/tasks/{task['id']}").get_json()["form"]["schema"] == {}
    done = reviewer.post(f"/tasks/{task['id']}/complete", json={"data": {"opinion": "同意"}})
    assert done.status_code == 200, done.get_json()
    assert [t["name"] for t in done.get_json()["next_tasks"]] == ["统一出件"]


def test_the_endpoint_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths["/api/v1/messages/{name}"]["post"]
    assert {"200", "201", "403", "404", "409", "422"} <= set(operation["responses"])
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema
