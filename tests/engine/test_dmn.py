"""Decision tables: 食品经营许可 routes by a DMN table; DMN files are checked before deploy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine import models
from engine.definitions import read_model_folder
from engine.errors import ModelInvalid
from engine.services.models import deploy_model

from .helpers import case_row, complete, open_names, start

ROOT = Path(__file__).resolve().parents[2]
FOOD = read_model_folder(ROOT / "bpmn" / "food_business")
MAIN = "food_business.bpmn"
DMN = "food_routing.dmn"
ITEM = "食品经营许可"


def intake(scope: str, area: float) -> dict:
    return {"decision": "accept", "business_scope": scope, "area_sqm": area}


def deploy_problems(uow, files: dict[str, str]) -> list[dict]:
    with uow() as u, pytest.raises(ModelInvalid) as caught:
        deploy_model(u, None, "food_broken", files)
    return caught.value.problems


def test_hot_food_goes_through_site_inspection(uow):
    case_no = start(uow, ITEM)
    assert open_names(uow, case_no) == ["受理"]
    complete(uow, "window1", case_no, "受理", intake("热食类食品制售", 120))
    assert open_names(uow, case_no) == ["现场核查"]
    complete(uow, "amr1", case_no, "现场核查", {"inspection_result": "pass"})
    assert open_names(uow, case_no) == ["审查决定"]
    complete(
        uow,
        "amr_chief",
        case_no,
        "审查决定",
        {"decision": "approve", "licence_no": "JY13399010012345"},
    )
    complete(uow, "window1", case_no, "出件", {"delivery_method": "窗口领取"})
    case = case_row(uow, case_no)
    assert (case.status, case.result) == ("finished", "0")


def test_prepackaged_food_skips_site_inspection(uow):
    case_no = start(uow, ITEM)
    complete(uow, "window1", case_no, "受理", intake("预包装食品销售", 80))
    assert open_names(uow, case_no) == ["审查决定"]
    complete(uow, "amr_chief", case_no, "审查决定", {"decision": "reject", "opinion": "不符合条件"})
    complete(uow, "window1", case_no, "出件", {"delivery_method": "邮寄"})
    case = case_row(uow, case_no)
    assert (case.status, case.result) == ("finished", "7")


def test_a_large_prepackaged_shop_is_inspected(uow):
    case_no = start(uow, ITEM)
    complete(uow, "window1", case_no, "受理", intake("预包装食品销售", 800))
    assert open_names(uow, case_no) == ["现场核查"]


def test_the_deployed_version_keeps_the_decision_table(uow):
    with uow() as u:
        definition = u.session.scalars(
            select(models.ProcessDefinition)
            .where(models.ProcessDefinition.key == "food_business")
            .order_by(models.ProcessDefinition.version.desc())
        ).first()
        assert definition is not None
        assert DMN in definition.files
        assert 'id="food_routing"' in definition.files[DMN]


def test_a_business_rule_task_naming_a_missing_decision_is_refused(uow):
    files = {**FOOD, MAIN: FOOD[MAIN].replace(">food_routing<", ">food_nowhere<", 1)}
    [problem] = deploy_problems(uow, files)
    assert problem["file"] == MAIN and problem["element_id"] == "route"
    assert "food_nowhere" in problem["message"] and "food_routing" in problem["message"]


def test_a_dmn_file_with_two_decisions_is_refused_naming_them(uow):
    """SpiffWorkflow 3.2.0 crashes on a second <decision> in one file: refuse it clearly."""
    second = (
        '<decision id="food_fee" name="收费">\n'
        '    <decisionTable id="food_fee_table">\n'
        '      <input id="fee_in"><inputExpression id="fee_expr" typeRef="string">'
        "<text>business_scope</text></inputExpression></input>\n"
        '      <output id="fee_out" name="fee" typeRef="number" />\n'
        '      <rule id="fee_rule"><inputEntry id="fee_e"><text>-</text></inputEntry>'
        '<outputEntry id="fee_o"><text>0</text></outputEntry></rule>\n'
        "    </decisionTable>\n  </decision>\n  <dmndi:DMNDI>"
    )
    files = {**FOOD, DMN: FOOD[DMN].replace("<dmndi:DMNDI>", second, 1)}
    [problem] = deploy_problems(uow, files)
    assert problem["file"] == DMN
    assert "2 个决策" in problem["message"]
    assert "food_routing" in problem["message"] and "food_fee" in problem["message"]


def test_a_dmn_cell_that_does_not_compile_is_refused(uow):
    files = {**FOOD, DMN: FOOD[DMN].replace("<text>10</text>", "<text>10 +</text>", 1)}
    [problem] = deploy_problems(uow, files)
    assert problem["file"] == DMN and problem["element_id"] == "rule_hot_food_days"
    assert "无法编译" in problem["message"]
    forbidden = {
        **FOOD,
        DMN: FOOD[DMN].replace("<text>False</text>", "<text>__import__('os')</text>", 1),
    }
    [problem] = deploy_problems(uow, forbidden)
    assert problem["element_id"] == "rule_prepackaged_small_inspection"
