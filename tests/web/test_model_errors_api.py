"""Model errors over HTTP: a located 422 (in either language), and the incident list."""

from __future__ import annotations

from datetime import timedelta

from engine.services.timers import MAX_ATTEMPTS, fire_due

from ..engine import error_model
from ..engine.test_model_errors import _timer, complete_intake, deploy_item, setup_item
from .conftest import login


def _intake_task(api, case_no: str) -> str:
    [task] = api("window1").open_tasks(case_no)
    return task["id"]


def test_a_completion_the_model_cannot_take_is_a_located_422(uow, api):
    case_no = setup_item(uow, "api_err", error_model.gateway("api_err", "fee &gt; 100"))
    window = api("window1")
    task_id = _intake_task(api, case_no)
    answer = window.post(f"/tasks/{task_id}/complete", {"data": {"decision": "accept"}})
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "model_error"
    assert (error["details"]["element_id"], error["details"]["name"]) == ("route", "fee")
    assert "fee > 100" in error["message"] and "“分流”（route）" in error["message"]
    english = window.post(f"/tasks/{task_id}/complete?lang=en", {"data": {"decision": "accept"}})
    assert "The process model failed at “分流” (route)" in english.get_json()["error"]["message"]
    assert [t["id"] for t in window.open_tasks(case_no)] == [task_id], "still open, unchanged"


def test_a_case_whose_start_script_fails_answers_422_not_500(uow, api):
    code = deploy_item(uow, "api_start", error_model.failing_at_start("api_start"))
    answer = api("window1").post(
        "/cases",
        {
            "service_item": code,
            "applicant": {
                "kind": "enterprise",
                "name": "青山绿水商贸有限公司",
                "id_type": "统一社会信用代码",
                "id_number": "91339901MA2H7K3Q05",
                "phone": "13812345678",
            },
        },
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["details"]["element_id"] == "boot"


def test_administrators_list_and_retry_incidents_others_may_not(uow, sessions, api, client):
    case_no = setup_item(uow, "api_timer", error_model.timer_path("api_timer"))
    complete_intake(uow, case_no)
    moment = _timer(uow, case_no).due_at
    for _ in range(MAX_ATTEMPTS):
        moment += timedelta(hours=1)
        fire_due(sessions, lambda at=moment: at)
    admin = api("admin")
    listed = admin.get("/incidents").get_json()["items"]
    [incident] = [i for i in listed if i["case_no"] == case_no]
    assert incident["element_id"] == "escalate"
    assert admin.get(f"/cases/{case_no}").get_json()["incidents"][0]["id"] == incident["id"]
    assert api("amr1").get("/incidents").status_code == 403
    assert api("amr1").post(f"/incidents/{incident['id']}/retry").status_code == 403
    retried = admin.post(f"/incidents/{incident['id']}/retry")
    assert retried.status_code == 422, retried.get_json()
    assert retried.get_json()["error"]["details"]["element_id"] == "escalate"
    assert admin.post("/incidents/999999/retry").status_code == 404

    login(client, "admin")
    page = client.get("/admin/incidents/").get_data(as_text=True)
    assert case_no in page and "超时处理" in page
    assert "此办件有未处理的卡件" in client.get(f"/cases/{case_no}").get_data(as_text=True)
    client.post("/logout")
    login(client, "amr1")
    assert client.get("/admin/incidents/").status_code == 403
