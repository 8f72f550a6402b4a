"""The case result over HTTP: a reminder branch ending after the decision keeps its result."""

from __future__ import annotations

from ..engine.test_case_result import ITEM, item  # noqa: F401 - the fixture deploys the model


def test_the_api_reports_the_decision_result_after_a_later_reminder(api, item):  # noqa: F811
    window = api("window1")
    started = window.post(
        "/cases",
        {
            "service_item": ITEM,
            "applicant": {
                "kind": "enterprise",
                "name": "青山绿水商贸有限公司",
                "id_type": "统一社会信用代码",
                "id_number": "91339901MA2H7K3Q05",
                "phone": "13812345678",
            },
        },
    )
    assert started.status_code == 201, started.get_json()
    case_no = started.get_json()["case_no"]
    reviewer = api("amr1")
    review = reviewer.task_named(case_no, "审查")
    assert (
        reviewer.post(
            f"/tasks/{review['id']}/complete", {"data": {"decision": "reject"}}
        ).status_code
        == 200
    )
    remind = window.task_named(case_no, "提醒")
    assert window.post(f"/tasks/{remind['id']}/complete", {"data": {}}).status_code == 200
    case = window.get(f"/cases/{case_no}").get_json()
    assert (case["status"], case["result"]) == ("finished", "2")
