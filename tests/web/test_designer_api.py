"""The designer's workbench over the API: drafts, validate, deploy, diff, migrations, stats."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from engine.definitions import read_model_folder

from ..engine import camunda_model
from .test_api_journey import receive_materials

ROOT = Path(__file__).resolve().parents[2]
BASE = read_model_folder(ROOT / "bpmn" / "individual_business")
MAIN = "individual_business.bpmn"
ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山绿水商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91339901MA2H7K3Q05",
}


def with_main(old: str, new: str, files: dict[str, str] | None = None) -> dict[str, str]:
    files = files or BASE
    assert old in files[MAIN], old
    return {**files, MAIN: files[MAIN].replace(old, new, 1)}


class Designer:
    def __init__(self, api):
        self.api = api

    def put(self, path: str, body: Any):
        return self.api.client.put(
            f"/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.api.token}"},
        )

    def __getattr__(self, name: str):
        return getattr(self.api, name)


@pytest.fixture
def designer(api) -> Designer:
    return Designer(api("designer1"))


def service_item(api, key: str, code: str, name: str) -> None:
    """A service item running model ``key``: the admin copies the 个体工商户 guide."""
    admin = api("admin")
    items = admin.get("/service-items?per_page=200").get_json()["items"]
    [guide] = [i for i in items if i["name"] == "个体工商户设立登记"]  # the demo item, not copies
    full = admin.get(f"/service-items/{guide['code']}").get_json()
    response = admin.client.put(
        f"/api/v1/service-items/{code}",
        json={**full, "code": code, "name": name, "process_key": key},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert response.status_code in (200, 201), response.get_json()


# ---- drafts -------------------------------------------------------------------------------------


def test_a_draft_is_saved_read_back_and_falls_back_to_the_newest_version(designer):
    fallback = designer.get("/process-models/individual_business/draft")
    assert fallback.status_code == 200
    body = fallback.get_json()
    assert body["is_draft"] is False and body["files"][MAIN] == BASE[MAIN]
    assert body["key"] == "individual_business" and body["base_version"] >= 1

    assert designer.get("/process-models/no_such_model/draft").status_code == 404

    edited = with_main('name="受理并当场办结"', 'name="受理并当场办结（草稿）"')
    saved = designer.put("/process-models/workbench_draft_a/draft", {"files": edited})
    assert saved.status_code == 200, saved.get_json()
    back = designer.get("/process-models/workbench_draft_a/draft").get_json()
    assert back["files"] == edited and back["is_draft"] is True
    assert back["updated_by"] == "designer1" and back["updated_at"]
    assert back["base_version"] is None  # a model that has no version yet


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ({"../evil.bpmn": "x"}, 400, "invalid_file_name"),
        ({"forms/sub/x.json": "{}"}, 400, "invalid_file_name"),
        ({"notes.txt": "x"}, 400, "invalid_file_name"),
        ({"forms/.hidden.json": "{}"}, 400, "invalid_file_name"),
        ({MAIN: "x" * (2 * 1024 * 1024 + 1)}, 413, "file_too_large"),
        ({}, 400, "invalid_files"),
    ],
)
def test_a_draft_refuses_bad_names_and_big_files(designer, files, status, code):
    response = designer.put("/process-models/workbench_draft_b/draft", {"files": files})
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code


def test_a_draft_refuses_text_that_is_not_utf8(designer):
    raw = '{"files": {"x.bpmn": "\\ud800"}}'
    response = designer.api.client.put(
        "/api/v1/process-models/workbench_draft_c/draft",
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {designer.token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_encoding"


def test_only_designers_and_administrators_work_on_drafts(api):
    clerk = Designer(api("amr1"))
    assert clerk.get("/process-models/individual_business/draft").status_code == 403
    assert clerk.put("/process-models/x_model/draft", {"files": BASE}).status_code == 403
    response = clerk.post("/process-models/individual_business/validate", json={})
    assert response.status_code == 403
    admin = Designer(api("admin"))
    assert admin.get("/process-models/individual_business/draft").status_code == 200
    assert Designer(api()).get("/process-models/individual_business/draft").status_code == 401


# ---- validate and deploy ------------------------------------------------------------------------


def test_validate_lists_problems_and_notes_of_given_files_or_the_draft(designer):
    broken = with_main(' default="flow_approve"', "")
    response = designer.post("/process-models/individual_business/validate", json={"files": broken})
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is False
    [problem] = body["problems"]
    assert problem["element_id"] == "flow_approve" and problem["line"] and problem["file"] == MAIN

    unquoted = with_main('>"P30D"<', ">P30D<")
    assert (
        designer.put("/process-models/workbench_draft_d/draft", {"files": unquoted}).status_code
        == 200
    )
    body = designer.post("/process-models/workbench_draft_d/validate", json={}).get_json()
    assert body["valid"] is True and body["problems"] == []
    [note] = body["notes"]
    assert note["element_id"] == "supplement_timeout" and note["level"] == "warning"


def test_deploying_the_draft_makes_a_version_and_clears_it(designer):
    key = "workbench_deploy"
    broken = with_main(' default="flow_approve"', "")
    assert designer.put(f"/process-models/{key}/draft", {"files": broken}).status_code == 200
    refused = designer.post(f"/process-models/{key}/deploy", json={"note": "坏的"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["problems"][0]["element_id"] == "flow_approve"
    assert designer.get(f"/process-models/{key}/draft").get_json()["is_draft"] is True

    unquoted = with_main('>"P30D"<', ">P30D<")
    assert designer.put(f"/process-models/{key}/draft", {"files": unquoted}).status_code == 200
    deployed = designer.post(f"/process-models/{key}/deploy", json={"note": "第一版"})
    assert deployed.status_code == 201, deployed.get_json()
    body = deployed.get_json()
    assert (body["key"], body["version"], body["note"], body["created"]) == (key, 1, "第一版", True)
    assert [n["element_id"] for n in body["notes"]] == ["supplement_timeout"]
    after = designer.get(f"/process-models/{key}/draft").get_json()
    assert after["is_draft"] is False and after["base_version"] == 1
    stored = designer.get(f"/process-models/{key}/versions/1/files/{MAIN}").get_data(as_text=True)
    assert stored == BASE[MAIN], "the stored timer is the quoted one, the rest unchanged"

    assert designer.put(f"/process-models/{key}/draft", {"files": BASE}).status_code == 200
    same = designer.post(f"/process-models/{key}/deploy", json={})
    assert same.status_code == 200 and same.get_json()["version"] == 1
    assert designer.get(f"/process-models/{key}/draft").get_json()["is_draft"] is False
    assert designer.post(f"/process-models/{key}/deploy", json={}).status_code == 404


# ---- diff ---------------------------------------------------------------------------------------


def test_the_diff_of_two_versions_is_element_by_element(designer):
    key = "workbench_diff"
    v2_files = with_main('name="受理并当场办结"', 'name="当场办结"')
    v2_files = with_main('decision == "reject"', 'decision in ("reject", "refuse")', v2_files)
    v2_files = with_main(
        '<spiffworkflow:property name="clock" value="start" />',
        '<spiffworkflow:property name="clock" value="start" />'
        '<spiffworkflow:property name="dueWorkingDays" value="1" />',
        v2_files,
    )
    v2_files = with_main(
        '<bpmn:sequenceFlow id="flow_supplement_timeout" sourceRef="supplement_timeout" '
        'targetRef="end_supplement_timeout" />',
        '<bpmn:sequenceFlow id="flow_supplement_timeout" sourceRef="supplement_timeout" '
        'targetRef="notify" />'
        '<bpmn:task id="notify" name="通知申请人"><bpmn:incoming>flow_supplement_timeout'
        "</bpmn:incoming><bpmn:outgoing>flow_notify</bpmn:outgoing></bpmn:task>"
        '<bpmn:sequenceFlow id="flow_notify" sourceRef="notify" '
        'targetRef="end_supplement_timeout" />',
        v2_files,
    )
    v2_files = with_main(
        "<bpmn:flowNodeRef>end_supplement_timeout</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>end_supplement_timeout</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>notify</bpmn:flowNodeRef>",
        v2_files,
    )
    for files in (BASE, v2_files):
        assert designer.put(f"/process-models/{key}/draft", {"files": files}).status_code == 200
        assert designer.post(f"/process-models/{key}/deploy", json={}).status_code == 201

    response = designer.get(f"/process-models/{key}/diff?from=1&to=2")
    assert response.status_code == 200, response.get_json()
    diff = response.get_json()
    assert {(e["id"], e["type"], e["name"]) for e in diff["added"]} == {
        ("notify", "task", "通知申请人"),
        ("flow_notify", "sequenceFlow", ""),
    }
    assert diff["removed"] == []
    changed = {e["id"]: e for e in diff["changed"]}
    assert set(changed) == {"instant_decide", "flow_reject", "flow_supplement_timeout"}
    decide = changed["instant_decide"]
    assert decide["type"] == "userTask" and decide["name"] == "当场办结"
    assert decide["changes"]["name"] == ["受理并当场办结", "当场办结"]
    assert decide["changes"]["properties"] == {"dueWorkingDays": [None, "1"]}
    assert changed["flow_reject"]["changes"] == {
        "condition": ['decision == "reject"', 'decision in ("reject", "refuse")']
    }
    assert changed["flow_supplement_timeout"]["changes"] == {
        "target": ["end_supplement_timeout", "notify"]
    }
    backwards = designer.get(f"/process-models/{key}/diff?from=2&to=1").get_json()
    assert {e["id"] for e in backwards["removed"]} == {"notify", "flow_notify"}
    assert designer.get(f"/process-models/{key}/diff").get_json()["changed"] == diff["changed"]
    assert designer.get(f"/process-models/{key}/diff?from=1&to=9").status_code == 404
    assert designer.get(f"/process-models/{key}/diff?from=x").status_code == 400


# ---- Camunda Modeler through the API ------------------------------------------------------------


def test_a_camunda_model_deploys_and_its_task_reaches_the_department(api, designer):
    key = "workbench_camunda_api"
    juel = designer.post(f"/process-models/{key}/validate", json={"files": camunda_model.JUEL})
    [problem] = juel.get_json()["problems"]
    assert problem["element_id"] == "Flow_yes" and "JUEL" in problem["message"]

    upload = {
        "key": key,
        "note": "Camunda Modeler",
        "files": [(io.BytesIO(camunda_model.BPMN.encode()), camunda_model.MAIN)],
    }
    deployed = designer.client.post(
        "/api/v1/process-models",
        data=upload,
        headers={"Authorization": f"Bearer {designer.token}"},
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.get_json()
    body = deployed.get_json()
    assert "forms/review.schema.json" in body["files"]
    assert {n["element_id"] for n in body["notes"]} == {"Timer_review", "review"}
    form = designer.get(f"/process-models/{key}/versions/1/files/forms/review.schema.json")
    assert json.loads(form.get_data(as_text=True))["required"] == ["approved"]

    service_item(api, key, "TEST-CAMUNDA-API", "Camunda 接口事项")
    window = api("window1")
    started = window.post(
        "/cases", json={"service_item": "TEST-CAMUNDA-API", "applicant": ENTERPRISE}
    )
    assert started.status_code == 201, started.get_json()
    case_no = started.get_json()["case_no"]
    reviewer = api("amr1")
    task = reviewer.task_named(case_no, "审查申请")
    detail = reviewer.get(f"/tasks/{task['id']}").get_json()
    assert detail["form"]["schema"]["properties"]["category"]["oneOf"][1]["const"] == "sole"
    invalid = reviewer.post(f"/tasks/{task['id']}/complete", json={"data": {"capital": 1}})
    assert invalid.status_code == 422
    assert "approved" in invalid.get_json()["error"]["details"]["fields"]
    done = reviewer.post(
        f"/tasks/{task['id']}/complete", json={"data": {"approved": False, "opinion": "材料不全"}}
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["case"]["status"] == "finished"
    assert done.get_json()["case"]["result"] == "7"


# ---- migration and live stats -------------------------------------------------------------------


def test_cases_move_over_the_api_and_stats_count_them(api, designer):
    key = "workbench_migration_api"
    v2 = with_main('name="补正材料"', 'name="补正材料（新版）"')
    assert designer.put(f"/process-models/{key}/draft", {"files": BASE}).status_code == 200
    assert designer.post(f"/process-models/{key}/deploy", json={}).status_code == 201
    service_item(api, key, "TEST-MIGRATION-API", "迁移接口事项")
    window = api("window1")
    numbers = []
    for _ in range(2):
        started = window.post(
            "/cases", json={"service_item": "TEST-MIGRATION-API", "applicant": ENTERPRISE}
        )
        assert started.status_code == 201, started.get_json()
        numbers.append(started.get_json()["case_no"])
        receive_materials(window, numbers[-1])
    finished = window.task_named(numbers[1], "受理并当场办结")
    done = window.post(
        f"/tasks/{finished['id']}/complete",
        json={
            "data": {
                "decision": "approve",
                "operator_name": "张三",
                "credit_code": "92339901MA2H7K3Q0X",
            }
        },
    )
    assert done.status_code == 200, done.get_json()

    stats = designer.get(f"/process-models/{key}/stats").get_json()
    assert stats["key"] == key and stats["version"] == 1
    assert stats["elements"]["instant_decide"]["waiting"] == 1
    assert stats["elements"]["instant_decide"]["completed"] == 1
    assert stats["elements"]["instant_decide"]["avg_dwell_hours"] is not None
    assert stats["elements"]["supplement"] == {
        "waiting": 0,
        "completed": 0,
        "avg_dwell_hours": None,
    }

    assert designer.put(f"/process-models/{key}/draft", {"files": v2}).status_code == 200
    assert designer.post(f"/process-models/{key}/deploy", json={}).status_code == 201
    request = {"to_version": 2, "cases": [*numbers, "339901NOPE"], "dry_run": True}
    assert api("amr1").post(f"/process-models/{key}/migrations", json=request).status_code == 403
    dry = designer.post(f"/process-models/{key}/migrations", json=request)
    assert dry.status_code == 200, dry.get_json()
    assert [(r["case_no"], r["ok"]) for r in dry.get_json()["results"]] == [
        (numbers[0], True),
        (numbers[1], False),
        ("339901NOPE", False),
    ]
    assert dry.get_json()["results"][1]["reason"] == "办件已办结，无需迁移"

    moved = designer.post(
        f"/process-models/{key}/migrations", json={"to_version": 2, "cases": "all"}
    ).get_json()
    assert moved["dry_run"] is False
    assert [(r["case_no"], r["ok"]) for r in moved["results"]] == [(numbers[0], True)]
    case = api("admin").get(f"/cases/{numbers[0]}").get_json()
    assert case["process"] == {"key": key, "version": 2}
    assert any(e["action"] == "migrate" for e in case["events"])

    on_v2 = designer.get(f"/process-models/{key}/stats?version=2").get_json()
    assert on_v2["elements"]["instant_decide"]["waiting"] == 1
    on_v1 = designer.get(f"/process-models/{key}/stats?version=1").get_json()
    assert on_v1["elements"]["instant_decide"]["waiting"] == 0
    assert designer.get(f"/process-models/{key}/stats?version=x").status_code == 400
    assert designer.get(f"/process-models/{key}/stats?version=7").status_code == 404
    bad = designer.post(f"/process-models/{key}/migrations", json={"to_version": "2", "cases": []})
    assert bad.status_code == 422
