"""Models over the REST API: refused in one answer, located, in Chinese or in English; DMN hit
policies deployed by upload and run by clerks over HTTP."""

from __future__ import annotations

import io
import re

import pytest

from engine.catalogue import read_items, upsert_item

from ..engine import construct_models as cm
from ..engine import decision_model as dm
from ..engine.helpers import ENTERPRISE
from ..engine.process_state import fresh_process
from .conftest import login

LEVELS = '"high","medium","low"'
REFUSED = (
    '<bpmn:startEvent id="start"/>'
    + cm.task("declare", "申报")
    + '<bpmn:complexGateway id="odd"/><bpmn:serviceTask id="push"/>'
    + '<bpmn:userTask id="loose"/>'
    + cm.end("end")
    + cm.flows(("start", "declare"), ("declare", "odd"), ("odd", "push"), ("push", "end"))
)


def upload(api, files: dict[str, str], key: str, lang: str | None = None):
    designer = api("designer1")
    return designer.client.post(
        "/api/v1/process-models" + (f"?lang={lang}" if lang else ""),
        data={
            "key": key,
            "files": [
                (io.BytesIO(text.encode()), name.split("/")[-1]) for name, text in files.items()
            ],
        },
        headers={"Authorization": f"Bearer {designer.token}"},
        content_type="multipart/form-data",
    )


def test_a_refused_upload_names_every_reason_located_in_chinese(api):
    response = upload(api, cm.files(REFUSED), "api_refused")
    assert response.status_code == 422
    error = response.get_json()["error"]
    problems = {p["element_id"]: p for p in error["details"]["problems"]}
    assert "复杂网关" in problems["odd"]["message"]
    assert "服务任务" in problems["push"]["message"]
    assert "用户任务loose 没有表单" in problems["loose"]["message"]
    for problem in problems.values():
        assert problem["file"] == cm.MAIN and problem["line"]
        assert set(problem) <= {"file", "line", "element_id", "message", "level"}
    assert error["message"].startswith("流程模型校验未通过：")


def test_the_same_refusal_reads_in_english_when_asked(api):
    response = upload(api, cm.files(REFUSED), "api_refused", lang="en")
    assert response.status_code == 422
    error = response.get_json()["error"]
    problems = {p["element_id"]: p["message"] for p in error["details"]["problems"]}
    assert problems["odd"].startswith("odd: Complex gateways (complexGateway) are not supported")
    assert "Service tasks (serviceTask) are not supported" in problems["push"]
    assert "The user task loose has no form" in problems["loose"]
    assert error["message"].startswith("Model validation failed:")
    for message in problems.values():
        assert not re.search(r"[\u4e00-\u9fff]", message), message


def test_validation_over_the_api_answers_in_the_chosen_language(api):
    designer = api("designer1")
    files = cm.files(REFUSED)
    zh = designer.post("/process-models/api_refused/validate", json={"files": files})
    en = designer.post("/process-models/api_refused/validate?lang=en", json={"files": files})
    assert zh.status_code == en.status_code == 200
    assert [p["element_id"] for p in zh.get_json()["problems"]] == [
        p["element_id"] for p in en.get_json()["problems"]
    ]
    assert "complexGateway" in en.get_json()["problems"][0]["message"]


def test_an_xpath_model_is_told_to_write_python_and_a_non_executable_one_once(api):
    body = (
        '<bpmn:startEvent id="start"/>'
        + cm.task("declare", "申报")
        + '<bpmn:exclusiveGateway id="gw" default="flow_gw_end"/>'
        + cm.end("end")
        + cm.end("end_big")
        + cm.flows(
            ("start", "declare"),
            ("declare", "gw"),
            ("gw", "end_big", "/amount &gt; 10"),
            ("gw", "end"),
        )
    )
    xpath = cm.files(body)
    xpath[cm.MAIN] = xpath[cm.MAIN].replace(
        'targetNamespace="', 'expressionLanguage="http://www.w3.org/1999/XPath" targetNamespace="'
    )
    [problem] = upload(api, xpath, "api_xpath").get_json()["error"]["details"]["problems"]
    assert "XPath" in problem["message"] and "Python" in problem["message"]
    assert "SyntaxError" not in problem["message"]

    idle = cm.files(REFUSED)
    idle[cm.MAIN] = idle[cm.MAIN].replace('isExecutable="true"', 'isExecutable="false"')
    [problem] = upload(api, idle, "api_idle").get_json()["error"]["details"]["problems"]
    assert "isExecutable" in problem["message"]


def test_a_bpmn20_xml_upload_deploys_runs_and_shows_its_diagram(api, client, uow):
    files = cm.files(
        '<bpmn:startEvent id="start"/>'
        + cm.task("declare", "申报")
        + cm.end("end")
        + cm.flows(("start", "declare"), ("declare", "end"))
    )
    files["review.bpmn20.xml"] = files.pop(cm.MAIN)
    response = upload(api, files, "api_bpmn20")
    assert response.status_code == 201, response.get_json()
    assert "review.bpmn20.xml" in response.get_json()["files"]
    code = service_item(uow, "api_bpmn20")
    window = api("window1")
    created = window.post("/cases", json={"service_item": code, "applicant": ENTERPRISE})
    assert created.status_code == 201, created.get_json()
    case_no = created.get_json()["case_no"]
    assert [t["name"] for t in window.open_tasks(case_no)] == ["申报"]
    diagram = client.get(f"/public/items/{code}/diagram.bpmn")
    assert diagram.status_code == 200 and 'id="declare"' in diagram.get_data(as_text=True)
    login(client, "window1")
    diagram = client.get(f"/cases/{case_no}/diagram.bpmn")
    assert diagram.status_code == 200 and 'id="declare"' in diagram.get_data(as_text=True)


def start_declared(api, code: str, amount: float) -> tuple[str, object]:
    window = api("window1")
    created = window.post("/cases", json={"service_item": code, "applicant": ENTERPRISE})
    assert created.status_code == 201, created.get_json()
    case_no = created.get_json()["case_no"]
    fresh_process()
    task = window.task_named(case_no, "申报")
    answer = window.post(f"/tasks/{task['id']}/complete", json={"data": {"amount": amount}})
    return case_no, answer


def deploy_table(api, uow, key: str, table: str, condition: str) -> str:
    response = upload(api, dm.files(key, dm.bpmn(key, condition), table), key)
    assert response.status_code == 201, response.get_json()
    return service_item(uow, key)


def service_item(uow, key: str) -> str:
    """An item (no materials) running the model ``key``; its code."""
    [guide] = [
        i for i in read_items(cm.ROOT / "workflows") if i["process_key"] == "individual_business"
    ]
    code = f"TEST-API-{key}"
    with uow() as u:
        upsert_item(u, {**guide, "code": code, "name": key, "process_key": key, "materials": []})
    return code


@pytest.mark.parametrize(
    ("key", "table", "condition"),
    [
        ("api_priority", dm.dmn("PRIORITY", dm.RISK_RULES, allowed=LEVELS), 'risk == "high"'),
        (
            "api_rule_order",
            dm.dmn("RULE ORDER", dm.RISK_RULES),
            'risk == ["medium", "high", "low"]',
        ),
        (
            "api_output_order",
            dm.dmn("OUTPUT ORDER", dm.RISK_RULES, allowed=LEVELS),
            'risk[0] == "high"',
        ),
        ("api_sum", dm.dmn("COLLECT", dm.FEE_RULES, "fee", "SUM"), "fee == 450"),
        ("api_count", dm.dmn("COLLECT", dm.FEE_RULES, "fee", "COUNT"), "fee == 3"),
        ("api_min", dm.dmn("COLLECT", dm.FEE_RULES, "fee", "MIN"), "fee == 50"),
        ("api_max", dm.dmn("COLLECT", dm.FEE_RULES, "fee", "MAX"), "fee == 300"),
    ],
)
def test_a_table_uploaded_over_the_api_routes_the_clerks_case(api, uow, key, table, condition):
    code = deploy_table(api, uow, key, table, condition)
    case_no, answer = start_declared(api, code, 5000)
    assert answer.status_code == 200, answer.get_json()
    assert [t["name"] for t in api("amr1").open_tasks(case_no)] == ["现场核查"]


@pytest.mark.parametrize("policy", ["UNIQUE", "ANY"])
def test_overlapping_rules_of_a_single_hit_table_answer_422_naming_them(api, uow, policy):
    key = f"api_{policy.lower()}"
    code = deploy_table(api, uow, key, dm.dmn(policy, dm.RISK_RULES), 'risk == "high"')
    case_no, answer = start_declared(api, code, 5000)
    assert answer.status_code == 422, answer.get_json()
    message = answer.get_json()["error"]["message"]
    assert policy in message and dm.DECISION in message, message
    assert all(rule in message for rule in dm.RULE_IDS), message
    assert [t["name"] for t in api("window1").open_tasks(case_no)] == ["申报"]
