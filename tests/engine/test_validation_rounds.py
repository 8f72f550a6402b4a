"""Validation answers in one round and names the real reason, located and in Chinese.

A designer fixes a model in one round: XSD errors, lint, decision tables and the constructs the
engine cannot run are reported together. A model that can run nothing (every process marked
not executable) gets that one message; another expression language gets "write Python", not a
SyntaxError; files named the Camunda/Flowable way (``*.bpmn20.xml``) are models; unnamed
elements are named by their id; no message is the engine's English or raw XML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.catalogue import read_items, upsert_item
from engine.definitions import read_model_folder
from engine.errors import ModelInvalid
from engine.runtime import compile_model
from engine.services import cases
from engine.services.models import deploy_model

from .helpers import ENTERPRISE, case_row, complete, open_names, user
from .process_state import fresh_process

ROOT = Path(__file__).resolve().parents[2]
BASE = read_model_folder(ROOT / "bpmn" / "individual_business")
MAIN = "individual_business.bpmn"
FORM_PROPERTY = (
    '<spiffworkflow:property name="formJsonSchemaFilename" value="instant_decide.schema.json" />'
)
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]+ (?:is|are|not|no|has|have|found|must)\b")


def with_main(*changes: tuple[str, str]) -> dict[str, str]:
    text = BASE[MAIN]
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return {**BASE, MAIN: text}


def problems_of(uow, files: dict[str, str], key: str = "rounds") -> list[dict]:
    with uow() as u, pytest.raises(ModelInvalid) as caught:
        deploy_model(u, None, key, files)
    for problem in caught.value.problems:
        message = problem["message"]
        assert CJK.search(message), problem
        assert "None" not in message and "{http" not in message and "xmlns" not in message
        assert not ENGLISH_SENTENCE.search(message.replace("JUEL expressions are not", "")), problem
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_lint_xsd_and_engine_level_problems_come_in_one_answer(uow):
    """A form missing (lint), a bogus attribute (XSD), a complex gateway, a data store and a
    compensation boundary (what the engine cannot run): before, the last three only appeared
    once everything else was fixed."""
    files = with_main(
        (FORM_PROPERTY, ""),
        ('<bpmn:startEvent id="start"', '<bpmn:startEvent id="start" colour="red"'),
        (
            '<bpmn:endEvent id="end_rejected"',
            '<bpmn:complexGateway id="odd_join" />'
            '<bpmn:dataStoreReference id="archive" name="档案库" />'
            '<bpmn:boundaryEvent id="undo" attachedToRef="instant_decide">'
            "<bpmn:compensateEventDefinition /></bpmn:boundaryEvent>"
            '<bpmn:endEvent id="end_rejected"',
        ),
    )
    found = problems_of(uow, files)
    by_element = {p["element_id"]: p["message"] for p in found}
    assert "表单" in by_element["instant_decide"]
    assert "colour" in by_element["start"] and "XSD" in by_element["start"]
    assert "复杂网关" in by_element["odd_join"]
    assert "数据存储" in by_element["archive"]
    assert "补偿" in by_element["undo"]
    assert all(p["file"] == MAIN and p["line"] for p in found), found
    assert next(p for p in found if p["element_id"] == "odd_join")["line"] == line_of(
        files[MAIN], 'id="odd_join"'
    )


def test_every_xsd_error_is_reported_in_chinese_not_just_the_first(uow):
    files = with_main(
        ('<bpmn:startEvent id="start"', '<bpmn:startEvent id="start" colour="red"'),
        ('<bpmn:endEvent id="end_rejected"', '<bpmn:endEvent id="end_rejected" size="9"'),
    )
    found = problems_of(uow, files)
    assert {p["element_id"] for p in found} == {"start", "end_rejected"}
    assert all("不符合 BPMN 2.0 规范（XSD）" in p["message"] for p in found)


def test_a_model_whose_processes_are_all_not_executable_gets_one_message(uow):
    files = with_main(
        ('isExecutable="true"', 'isExecutable="false"'),
        (FORM_PROPERTY, ""),
    )
    [problem] = problems_of(uow, files)
    assert "isExecutable" in problem["message"] and "个体工商户设立登记" in problem["message"]
    assert problem["file"] == MAIN and problem["element_id"] == "individual_business"


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("http://www.w3.org/1999/XPath", "XPath"),
        ("https://www.omg.org/spec/DMN/20191111/FEEL/", "FEEL"),
    ],
)
def test_another_expression_language_on_the_definitions_says_write_python(uow, language, shown):
    files = with_main(('targetNamespace="', f'expressionLanguage="{language}" targetNamespace="'))
    [problem] = problems_of(uow, files)
    assert shown in problem["message"] and "请用 Python 表达式" in problem["message"]
    assert "SyntaxError" not in problem["message"] and "无法编译" not in problem["message"]
    assert problem["line"] == 2


def test_a_python_declaration_or_no_expression_is_fine(uow):
    python = with_main(('targetNamespace="', 'expressionLanguage="python" targetNamespace="'))
    with uow() as u:
        assert deploy_model(u, None, "rounds_python", python).created


def test_a_bpmn20_xml_file_is_a_model_and_runs(uow):
    files = {("individual_business.bpmn20.xml" if k == MAIN else k): v for k, v in BASE.items()}
    compile_model(files, "individual_business")
    with uow() as u:
        deployed = deploy_model(u, None, "rounds_bpmn20", files)
        assert deployed.created and deployed.definition.process_id == "individual_business"


def test_unnamed_elements_are_named_by_their_id(uow):
    files = with_main(
        ("<bpmn:flowNodeRef>supplement</bpmn:flowNodeRef>", ""),
        ('<bpmn:userTask id="supplement" name="补正材料"', '<bpmn:userTask id="supplement"'),
    )
    [problem] = problems_of(uow, files)
    assert problem["element_id"] == "supplement" and "supplement" in problem["message"]


def test_camunda_decision_ref_is_accepted_and_decides_the_route(uow):
    """The 食品经营许可 model with its business rule task written the Camunda way."""
    food = read_model_folder(ROOT / "bpmn" / "food_business")
    camunda = re.sub(
        r"<bpmn:extensionElements>\s*<spiffworkflow:calledDecisionId>food_routing"
        r"</spiffworkflow:calledDecisionId>\s*</bpmn:extensionElements>",
        "",
        food["food_business.bpmn"],
    )
    camunda = camunda.replace(
        "xmlns:spiffworkflow=",
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:spiffworkflow=',
        1,
    ).replace('name="确定审查方式">', 'name="确定审查方式" camunda:decisionRef="food_routing">')
    assert "calledDecisionId" not in camunda and "camunda:decisionRef" in camunda
    [guide] = [i for i in read_items(ROOT / "workflows") if i["process_key"] == "food_business"]
    with uow() as u:
        deploy_model(u, None, "food_camunda", {**food, "food_business.bpmn": camunda})
        item = {**guide, "code": "TEST-FOOD-CAMUNDA", "name": "食品经营许可（Camunda）"}
        upsert_item(u, {**item, "process_key": "food_camunda", "materials": []})
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), "TEST-FOOD-CAMUNDA", ENTERPRISE)
        case_no = case_no.case.case_no
    fresh_process()
    intake = {"decision": "accept", "business_scope": "热食类食品制售", "area_sqm": 120}
    complete(uow, "window1", case_no, "受理", intake)
    assert open_names(uow, case_no) == ["现场核查"]
    assert case_row(uow, case_no).data["review_days"] == 10


def test_two_main_processes_are_named_and_located(uow):
    second = BASE[MAIN].replace('id="individual_business"', 'id="another_main"')
    files = {
        **BASE,
        "another.bpmn": second.replace("Definitions_individual", "Definitions_another"),
    }
    found = problems_of(uow, files)
    [problem] = [p for p in found if "主流程" in p["message"]]
    assert "individual_business" in problem["message"] and "another_main" in problem["message"]
    assert problem["file"] and problem["line"] and problem["element_id"]


@pytest.mark.parametrize(
    ("attribute", "element"),
    [
        ('camunda:initiator="starter"', "start"),
        ('camunda:errorCodeVariable="code"', "odd_error"),
    ],
)
def test_camunda_variables_nothing_here_would_set_are_refused(uow, attribute, element):
    files = with_main(
        (
            "xmlns:spiffworkflow=",
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:spiffworkflow=',
        ),
        ('<bpmn:startEvent id="start"', f'<bpmn:startEvent id="start" {attribute}')
        if element == "start"
        else (
            '<bpmn:endEvent id="end_rejected"',
            '<bpmn:subProcess id="odd"><bpmn:startEvent id="odd_start"/>'
            '<bpmn:endEvent id="odd_end"/><bpmn:sequenceFlow id="odd_flow" '
            'sourceRef="odd_start" targetRef="odd_end"/></bpmn:subProcess>'
            '<bpmn:boundaryEvent id="odd_error" attachedToRef="odd">'
            f"<bpmn:errorEventDefinition {attribute} /></bpmn:boundaryEvent>"
            '<bpmn:endEvent id="end_rejected"',
        ),
    )
    found = problems_of(uow, files)
    assert any(
        p["element_id"] == element and attribute.split("=")[0] in p["message"] for p in found
    ), found
