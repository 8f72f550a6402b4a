"""Call activities into other deployed models (一件事一次办): the version in force when the call
starts is the one the call runs, whatever is deployed later, in any process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from engine import models
from engine.errors import ModelInvalid
from engine.services import cases, tasks
from engine.services.models import deploy_model

from . import message_models as mm
from .helpers import ENTERPRISE, case_row, complete, open_names, open_task, user

ROOT = mm.ROOT


@pytest.fixture
def bundle(uow) -> dict[str, int]:
    """The item's model at v1 and the bundle calling it; returns definition ids by label."""
    with uow() as u:
        v1 = deploy_model(u, None, "call_item", mm.callee("单项审核"), "v1").definition
        ids = {"v1": v1.id}
    mm.deploy_items(uow, {"TEST-CALL-BUNDLE": ("call_bundle", mm.BUNDLE)})
    yield ids
    with uow() as u:  # later tests start from v1 again
        deploy_model(u, None, "call_item", mm.callee("单项审核"), "back to v1")


def start_bundle(uow) -> str:
    with uow() as u:
        return cases.start_case(u, user(u, "window1"), "TEST-CALL-BUNDLE", ENTERPRISE).case.case_no


def redeploy_callee(uow) -> int:
    with uow() as u:
        return deploy_model(u, None, "call_item", mm.callee("单项审核（新版）"), "v2").definition.id


def human_task(uow, case_no: str, name: str) -> models.HumanTask:
    with uow() as u:
        return u.session.get(models.HumanTask, open_task(uow, case_no, name))


def test_a_call_runs_the_called_models_tasks_in_their_departments(uow, bundle):
    case_no = start_bundle(uow)
    assert open_names(uow, case_no) == ["单项审核"]
    task = human_task(uow, case_no, "单项审核")
    assert (task.department_code, task.role) == ("amr", "reviewer")
    assert task.definition_id == bundle["v1"]
    with uow() as u:
        view = tasks.get_task(u, user(u, "amr1"), task.id)
    assert view["form"] == {"schema": {}, "ui_schema": {}}
    complete(uow, "amr1", case_no, "单项审核", {"opinion": "同意"})
    assert open_names(uow, case_no) == ["统一出件"]
    assert case_row(uow, case_no).data["opinion"] == "同意"  # the call's data comes back
    complete(uow, "window1", case_no, "统一出件", {})
    assert (case_row(uow, case_no).status, case_row(uow, case_no).result) == ("finished", "1")


def test_a_running_call_keeps_its_version_and_new_calls_take_the_new_one(uow, bundle):
    running = start_bundle(uow)
    v2 = redeploy_callee(uow)
    later = start_bundle(uow)
    assert open_names(uow, running) == ["单项审核"]
    assert open_names(uow, later) == ["单项审核（新版）"]
    assert human_task(uow, later, "单项审核（新版）").definition_id == v2
    complete(uow, "amr1", running, "单项审核", {})
    assert open_names(uow, running) == ["统一出件"]


def test_the_pinned_version_survives_a_restore_in_another_process(uow, bundle, database_url):
    case_no = start_bundle(uow)
    redeploy_callee(uow)
    task_id = open_task(uow, case_no, "单项审核")
    script = textwrap.dedent(
        f"""
        from engine.db import make_engine, make_session_factory
        from engine.services import tasks
        from engine.uow import UnitOfWork
        from tests.engine.helpers import user

        sessions = make_session_factory(make_engine({database_url!r}))
        with UnitOfWork(sessions) as u:
            done = tasks.complete(u, user(u, "amr1"), {task_id!r}, {{"opinion": "准予"}})
            print([t.name for t in done.next_tasks])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "统一出件" in result.stdout
    assert open_names(uow, case_no) == ["统一出件"]
    assert case_row(uow, case_no).data["opinion"] == "准予"


def test_a_call_to_no_deployed_process_is_refused_at_deploy(uow):
    files = {
        "bad.bpmn": mm.BUNDLE["call_bundle.bpmn"].replace(
            'calledElement="call_item"', 'calledElement="not_deployed_anywhere"'
        )
    }
    with pytest.raises(ModelInvalid) as refused, uow() as u:
        deploy_model(u, None, "call_refused", files, "refused")
    [problem] = [p for p in refused.value.problems if p["element_id"] == "call_item"]
    assert "not_deployed_anywhere" in problem["message"] and problem["line"]
    with uow() as u:
        assert not u.session.scalars(
            select(models.ProcessDefinition).where(models.ProcessDefinition.key == "call_refused")
        ).first()
