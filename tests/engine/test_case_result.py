"""The case result comes from the decision's path, whatever branch ends after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalogue import read_items, upsert_item
from engine.services import cases, tasks
from engine.services.models import deploy_model

from .helpers import ENTERPRISE, case_row, user
from .result_model import RESULT_BPMN

ROOT = Path(__file__).resolve().parents[2]
ITEM = "TEST-RESULT-PATHS"


@pytest.fixture
def item(uow) -> str:
    with uow() as u:
        deploy_model(u, None, "result_paths", {"result_paths.bpmn": RESULT_BPMN})
        [guide] = [i for i in read_items(ROOT / "workflows") if i["name"] == "企业开办"]
        upsert_item(u, {**guide, "code": ITEM, "name": "结果测试", "process_key": "result_paths"})
    return ITEM


def _do(uow, username: str, case_no: str, name: str, data: dict) -> None:
    with uow() as u:
        case = cases.visible_case(u, user(u, "admin"), case_no)
        [task] = [t for t in cases.case_tasks(u, case, open_only=True) if t.name == name]
        tasks.complete(u, user(u, username), task.id, data)


@pytest.mark.parametrize(("decision", "result"), [("approve", "1"), ("reject", "2")])
def test_a_reminder_branch_ending_later_keeps_the_decision_result(uow, item, decision, result):
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), item, ENTERPRISE).case.case_no
    _do(uow, "amr1", case_no, "审查", {"decision": decision})
    assert case_row(uow, case_no).status == "running"
    _do(uow, "window1", case_no, "提醒", {})
    case = case_row(uow, case_no)
    assert (case.status, case.result) == ("finished", result)


def test_the_result_holds_when_the_reminder_ends_first(uow, item):
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), item, ENTERPRISE).case.case_no
    _do(uow, "window1", case_no, "提醒", {})
    _do(uow, "amr1", case_no, "审查", {"decision": "reject"})
    assert case_row(uow, case_no).result == "2"
