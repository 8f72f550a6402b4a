"""The 企业开办 journey of issue #2, entirely over the REST API."""

from __future__ import annotations

import re

import pytest

from .conftest import Api

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山绿水商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
LICENCE = {
    "company_name": "青山绿水商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}


def item_code(api: Api, name: str) -> str:
    items = api.get("/service-items").get_json()["items"]
    return next(i["code"] for i in items if i["name"] == name)


def start_enterprise_case(api) -> tuple[str, dict]:
    """A 企业开办 case at the window with every mandatory material received, ready to accept."""
    window = api("window1")
    response = window.post(
        "/cases",
        json={"service_item": item_code(window, "企业开办"), "applicant": ENTERPRISE, "data": {}},
    )
    assert response.status_code == 201, response.get_json()
    receive_materials(window, response.get_json()["case_no"])
    return response.get_json()["case_no"], response.get_json()


def receive_materials(window: Api, case_no: str) -> None:
    """The window records every mandatory material on paper (PUT .../materials/{name})."""
    checklist = window.get(f"/cases/{case_no}/materials?per_page=200").get_json()["items"]
    for line in checklist:
        if line["mandatory"]:
            counts = {"originals": line["originals"], "copies": max(line["copies"], 1)}
            response = window.client.put(
                f"/api/v1/cases/{case_no}/materials/{line['name']}",
                json=counts,
                headers=window._headers(),
            )
            assert response.status_code == 200, response.get_json()


def complete(api: Api, task: dict, data: dict) -> dict:
    response = api.post(f"/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_enterprise_startup_runs_from_intake_to_delivery(api):
    case_no, created = start_enterprise_case(api)
    assert re.fullmatch(r"\d{6}\d{8}\d{2}\d{5}", case_no)
    assert re.fullmatch(r"\d{6}", created["query_password"])
    assert created["applicant"]["id_number"] != ENTERPRISE["id_number"], "must be masked"
    assert created["process"]["version"] >= 1

    window = api("window1")
    intake = window.task_named(case_no, "受理")
    assert intake["department"] == "window"
    complete(window, intake, {"decision": "accept", "materials_checked": True})

    amr1, chief = api("amr1"), api("amr_chief")
    handling = amr1.task_named(case_no, "营业执照承办")
    assert handling["department"] == "amr" and handling["role"] == "reviewer"
    assert amr1.post(f"/tasks/{handling['id']}/claim").status_code == 200
    assert chief.post(f"/tasks/{handling['id']}/claim").status_code in (403, 409)
    invalid = amr1.post(f"/tasks/{handling['id']}/complete", json={"data": {"decision": "maybe"}})
    assert invalid.status_code == 422
    assert "decision" in invalid.get_json()["error"]["details"]["fields"]
    complete(amr1, handling, LICENCE)

    review = chief.task_named(case_no, "营业执照审核")
    result = complete(chief, review, {"decision": "approve", "opinion": "同意"})
    departments = sorted(t["department"] for t in result["next_tasks"])
    assert departments == ["hrss", "psb", "tax"], "seal, invoices and insurance start at once"

    for username in ("psb1", "tax1", "hrss1"):
        clerk = api(username)
        [task] = clerk.open_tasks(case_no)
        assert not window.open_tasks(case_no), "delivery waits for all three"
        complete(clerk, task, parallel_step_data(task["name"]))

    delivery = window.task_named(case_no, "出件")
    done = complete(window, delivery, {"delivery_method": "窗口领取", "recipient": "张三"})
    case = done["case"]
    assert case["status"] == "finished"
    assert case["result"] == "0"
    assert case["open_tasks"] == []
    assert "events" not in case, "a completion answers without the growing history"
    case = window.get(f"/cases/{case_no}").get_json()
    actions = [e["action"] for e in case["events"]]
    assert actions[0] == "start" and actions[-1] == "finish"
    assert actions.count("complete") == 7 and "claim" in actions
    licence_event = next(
        e for e in case["events"] if e["task"] == "营业执照承办" and e["action"] == "complete"
    )
    assert licence_event["actor"] == "amr1"
    assert licence_event["detail"]["data"]["registered_capital"] == 100


def parallel_step_data(name: str) -> dict:
    return {
        "刻制印章": {"seal_count": 4, "seal_maker": "县公章刻制中心"},
        "发票申领": {"invoice_type": "数电发票（普通发票）", "invoice_quantity": 25},
        "社保登记": {"insured_count": 5},
    }[name]


@pytest.mark.parametrize("path", ["/cases", "/tasks", "/service-items", "/process-models"])
def test_api_requires_a_token(api, path):
    response = api().get(path)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in ("missing_token", "unauthorized")


def test_revoked_token_is_refused(api):
    window = api("window1")
    assert (
        window.client.delete(
            "/api/v1/auth/token", headers={"Authorization": f"Bearer {window.token}"}
        ).status_code
        == 204
    )
    assert window.get("/cases").status_code == 401


def test_bad_input_is_a_json_error_never_a_500(api):
    window = api("window1")
    assert window.post("/cases", json={"service_item": "x"}).status_code == 422
    malformed = window.client.post(
        "/api/v1/cases",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {window.token}"},
    )
    assert malformed.status_code in (400, 422)
    assert "error" in malformed.get_json()
    unknown = window.post("/cases", json={"service_item": "nope", "applicant": ENTERPRISE})
    assert unknown.status_code == 404
    assert window.get("/cases/nope").status_code == 404
    assert window.get("/tasks?scope=everything").status_code == 400
    assert window.get("/tasks?per_page=500").status_code == 400


def test_completing_twice_answers_409(api):
    case_no, _ = start_enterprise_case(api)
    window = api("window1")
    intake = window.task_named(case_no, "受理")
    complete(window, intake, {"decision": "accept", "materials_checked": True})
    again = window.post(f"/tasks/{intake['id']}/complete", json={"data": {"decision": "accept"}})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "task_not_open"


def test_openapi_document_lists_the_contract(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/cases",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/auth/token",
        "/api/v1/process-models",
        "/api/v1/service-items",
    ):
        assert path in spec["paths"], path
    assert client.get("/api/v1/docs").status_code == 200


def test_cases_filter_by_light(api):
    case_no, _created = start_enterprise_case(api)
    window = api("window1")
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept"})
    green = window.get("/cases?light=green&per_page=200").get_json()
    assert case_no in [c["case_no"] for c in green["items"]]
    assert all(c["light"] == "green" for c in green["items"])
    red = window.get("/cases?light=red&per_page=200").get_json()
    assert case_no not in [c["case_no"] for c in red["items"]]
    assert window.get("/cases?light=purple").status_code == 400
