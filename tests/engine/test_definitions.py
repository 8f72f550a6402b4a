"""Deploying models: validation with file/line/element, immutable hash-keyed versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine import models
from engine.catalogue import read_items, upsert_item
from engine.definitions import read_model_folder
from engine.errors import ModelInvalid
from engine.services import cases, tasks
from engine.services.models import deploy_model

from .helpers import ENTERPRISE, receive_materials, user

ROOT = Path(__file__).resolve().parents[2]
BASE = read_model_folder(ROOT / "bpmn" / "individual_business")
MAIN = "individual_business.bpmn"
DECIDE_FORM = "forms/instant_decide.schema.json"


def with_main(old: str, new: str) -> dict[str, str]:
    assert old in BASE[MAIN], old
    return {**BASE, MAIN: BASE[MAIN].replace(old, new, 1)}


def problems_of(uow, files: dict[str, str]) -> list[dict]:
    with uow() as u, pytest.raises(ModelInvalid) as caught:
        deploy_model(u, None, "broken_model", files)
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_a_flow_without_id_is_refused_with_its_line(uow):
    files = with_main('<bpmn:sequenceFlow id="flow_approve" ', "<bpmn:sequenceFlow ")
    [problem] = problems_of(uow, files)
    assert problem["file"] == MAIN
    assert problem["line"] == line_of(files[MAIN], '<bpmn:sequenceFlow name="准予登记"')
    assert "顺序流缺少 id" in problem["message"]


def test_a_lane_that_is_no_department_is_refused(uow):
    files = with_main('name="综合受理窗口"', 'name="不存在的科室"')
    [problem] = problems_of(uow, files)
    assert problem["element_id"] == "Lane_window"
    assert "不存在的科室" in problem["message"] and problem["line"] == 9


def test_forms_must_exist_and_be_json_schema(uow):
    missing = with_main('value="instant_decide.schema.json"', 'value="nope.schema.json"')
    [problem] = problems_of(uow, missing)
    assert problem["element_id"] == "instant_decide" and "nope.schema.json" in problem["message"]

    not_schema = {**BASE, DECIDE_FORM: '{"type": "nonsense"}'}
    [problem] = problems_of(uow, not_schema)
    assert problem["file"] == DECIDE_FORM and "JSON Schema" in problem["message"]

    not_json = {**BASE, DECIDE_FORM: '{"type": '}
    [problem] = problems_of(uow, not_json)
    assert problem["file"] == DECIDE_FORM and problem["line"] == 1


def test_xsd_and_xml_errors_name_the_line(uow):
    files = with_main("<bpmn:startEvent", "<bpmn:bogusElement id='x' />\n    <bpmn:startEvent")
    [problem] = problems_of(uow, files)
    assert problem["file"] == MAIN and problem["line"] == line_of(files[MAIN], "bogusElement")

    truncated = {**BASE, MAIN: BASE[MAIN][:2000]}
    [problem] = problems_of(uow, truncated)
    assert problem["file"] == MAIN and problem["line"]


def test_entity_bombs_and_external_entities_are_refused(uow):
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    )
    body = BASE[MAIN].split("?>", 1)[1]
    [problem] = problems_of(
        uow, {**BASE, MAIN: bomb + body.replace('name="开始"', 'name="&lol2;"')}
    )
    assert problem["file"] == MAIN
    xxe = '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    [problem] = problems_of(uow, {**BASE, MAIN: xxe + body.replace('name="开始"', 'name="&x;"')})
    assert "root:" not in problem["message"]


def test_identical_files_make_no_new_version_and_cases_stay_on_theirs(uow):
    with uow() as u:
        first = deploy_model(u, None, "versioned_item", BASE, "v1")
        again = deploy_model(u, None, "versioned_item", dict(BASE), "same files")
        assert first.created and not again.created
        assert again.definition.version == first.definition.version
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        upsert_item(
            u,
            {
                **guide,
                "code": "TEST-VERSIONED",
                "name": "版本测试事项",
                "process_key": "versioned_item",
            },
        )
    with uow() as u:
        old_case = cases.start_case(u, user(u, "window1"), "TEST-VERSIONED", ENTERPRISE).case
        receive_materials(u, old_case)
        old_no, old_version = old_case.case_no, old_case.definition.version
    renamed = with_main('name="受理并当场办结"', 'name="当场办结（新版）"')
    with uow() as u:
        second = deploy_model(u, None, "versioned_item", renamed, "v2")
        assert second.created and second.definition.version == old_version + 1
    with uow() as u:
        new_case = cases.start_case(u, user(u, "window1"), "TEST-VERSIONED", ENTERPRISE).case
        [new_task] = cases.case_tasks(u, new_case)
        assert new_task.name == "当场办结（新版）"
        old = u.session.scalars(select(models.Case).where(models.Case.case_no == old_no)).one()
        [old_task] = cases.case_tasks(u, old)
        assert old_task.name == "受理并当场办结"
        tasks.complete(
            u,
            user(u, "window1"),
            old_task.id,
            {"decision": "approve", "operator_name": "张三", "credit_code": "92339901MA2H7K3Q0X"},
        )
    with uow() as u:
        old = u.session.scalars(select(models.Case).where(models.Case.case_no == old_no)).one()
        assert (old.status, old.definition.version) == ("finished", old_version)


def test_going_back_to_older_files_deploys_them_as_the_newest_version(uow):
    renamed = with_main('name="受理并当场办结"', 'name="退回旧版测试"')
    with uow() as u:
        first = deploy_model(u, None, "revert_item", BASE).definition.version
        second = deploy_model(u, None, "revert_item", renamed).definition.version
        third = deploy_model(u, None, "revert_item", BASE)
    assert (first, second, third.definition.version) == (1, 2, 3) and third.created
