"""A model that fails at run time: the clerk gets a located 422 and nothing is half-applied;
a failing timer is retried, then becomes an incident an administrator retries after a fix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import models
from engine.catalogue import read_items, upsert_item
from engine.errors import Forbidden, ModelRuntimeError
from engine.services import cases, designer, incidents, tasks
from engine.services.models import deploy_model
from engine.services.timers import MAX_ATTEMPTS, fire_due

from . import error_model
from .helpers import ENTERPRISE, case_row, open_names, user

ROOT = Path(__file__).resolve().parents[2]


def deploy_item(uow, key: str, bpmn: str) -> str:
    code = f"TEST-ERR-{key.upper()}"
    with uow() as u:
        deploy_model(u, None, key, {f"{key}.bpmn": bpmn})
        [guide] = [i for i in read_items(ROOT / "workflows") if i["name"] == "企业开办"]
        upsert_item(u, {**guide, "code": code, "name": f"出错测试 {key}", "process_key": key})
    return code


def setup_item(uow, key: str, bpmn: str) -> str:
    code = deploy_item(uow, key, bpmn)
    with uow() as u:
        return cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no


def complete_intake(uow, case_no: str):
    with uow() as u:
        case = cases.visible_case(u, user(u, "window1"), case_no)
        [task] = cases.case_tasks(u, case, open_only=True)
        return tasks.complete(u, user(u, "window1"), task.id, {"decision": "accept"})


def refused(uow, case_no: str) -> ModelRuntimeError:
    before = case_row(uow, case_no)
    with pytest.raises(ModelRuntimeError) as caught:
        complete_intake(uow, case_no)
    after = case_row(uow, case_no)
    assert (after.version, after.data, after.status) == (before.version, before.data, "running")
    assert open_names(uow, case_no) == ["受理"], "the step stays open: nothing half-applied"
    assert caught.value.status == 422
    return caught.value


def test_a_condition_on_a_missing_variable_names_element_expression_and_name(uow):
    case_no = setup_item(uow, "err_missing", error_model.gateway("err_missing", "fee &gt; 100"))
    error = refused(uow, case_no)
    assert error.details["element_id"] == "route"
    assert error.details["expression"] == "fee > 100"
    assert error.details["name"] == "fee"
    assert "“分流”（route）" in error.message and "fee" in error.message
    assert "未保存" in error.message


def test_a_gateway_with_no_way_out_is_refused_naming_it(uow):
    case_no = setup_item(uow, "err_noway", error_model.gateway("err_noway", 'decision == "x"'))
    error = refused(uow, case_no)
    assert error.details["element_id"] == "route"
    assert "没有一条出口的条件成立" in error.message


def test_a_failing_script_is_refused_with_its_line(uow):
    case_no = setup_item(uow, "err_script", error_model.failing_script("err_script"))
    error = refused(uow, case_no)
    assert (error.details["element_id"], error.details["line"]) == ("compute", 1)
    assert error.details["error_type"] == "ZeroDivisionError"
    assert "ratio = 1 / 0" in error.message


def test_a_script_failing_while_the_case_starts_is_a_located_422_and_no_case(uow):
    code = deploy_item(uow, "err_start", error_model.failing_at_start("err_start"))
    with pytest.raises(ModelRuntimeError) as caught, uow() as u:
        cases.start_case(u, user(u, "window1"), code, ENTERPRISE)
    assert (caught.value.details["element_id"], caught.value.details["line"]) == ("boot", 1)
    assert "base_fee" in caught.value.message
    with uow() as u:
        assert not u.session.scalars(
            select(models.Case).where(models.Case.service_item_code == code)
        ).all()


def _timer(uow, case_no: str) -> models.Timer:
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return u.session.scalars(select(models.Timer).where(models.Timer.case_id == case.id)).one()


def _open_incidents(uow, case_no: str) -> list[dict]:
    with uow() as u:
        return [i for i in incidents.list_incidents(u, user(u, "admin")) if i["case_no"] == case_no]


def test_a_failing_timer_is_retried_then_becomes_an_incident_retried_after_a_fix(uow, sessions):
    broken = setup_item(uow, "err_timer", error_model.timer_path("err_timer"))
    complete_intake(uow, broken)
    healthy = setup_item(uow, "err_timer_ok", error_model.timer_path("err_timer_ok", fixed=True))
    complete_intake(uow, healthy)
    due = max(_timer(uow, broken).due_at, _timer(uow, healthy).due_at)

    moment = due + timedelta(minutes=1)
    fire_due(sessions, lambda at=moment: at)
    assert case_row(uow, healthy).status == "finished", "one failing timer blocks no other"
    assert (_timer(uow, broken).attempts, _timer(uow, broken).fired_at) == (1, None)
    fire_due(sessions, lambda at=moment: at)
    assert _timer(uow, broken).attempts == 1, "the retry waits for its delay"
    assert not _open_incidents(uow, broken)
    for _ in range(MAX_ATTEMPTS - 1):
        moment += timedelta(hours=1)
        fire_due(sessions, lambda at=moment: at)
    timer = _timer(uow, broken)
    assert (timer.attempts, timer.fired_at) == (MAX_ATTEMPTS, None)
    assert "escalation_level" in timer.last_error
    [incident] = _open_incidents(uow, broken)
    assert incident["element_id"] == "escalate" and "超时处理" in incident["message"]
    moment += timedelta(hours=1)
    fire_due(sessions, lambda at=moment: at)
    assert _timer(uow, broken).attempts == MAX_ATTEMPTS, "an incident waits for a person"

    with pytest.raises(Forbidden), uow() as u:
        incidents.retry(u, user(u, "amr1"), incident["id"], moment)
    with pytest.raises(ModelRuntimeError), uow() as u:
        incidents.retry(u, user(u, "admin"), incident["id"], moment)
    assert _open_incidents(uow, broken), "a retry that fails leaves the incident open"

    fixed = error_model.timer_path("err_timer", fixed=True)
    with uow() as u:
        deploy_model(u, None, "err_timer", {"err_timer.bpmn": fixed})
    with uow() as u:
        [moved] = designer.migrate_cases(u, user(u, "designer1"), "err_timer", 2, [broken])
    assert moved["ok"], moved
    with uow() as u:
        resolved = incidents.retry(u, user(u, "admin"), incident["id"], moment)
    assert resolved["resolved_by"] == "admin"
    assert not _open_incidents(uow, broken)
    assert case_row(uow, broken).status == "finished"
