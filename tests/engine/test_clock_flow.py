"""Clock effects declared in BPMN, step limits and lights — through the services."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine import models
from engine.catalogue import read_items, upsert_item
from engine.clock import add_working_days
from engine.services import cases, clock, tasks
from engine.services.models import deploy_model
from engine.workdays import calendar, today

from .clock_model import CLOCK_BPMN
from .helpers import ENTERPRISE, receive_materials, user

ROOT = Path(__file__).resolve().parents[2]
ITEM = "TEST-CLOCK-FLOW"


def setup_item(uow) -> None:
    with uow() as u:
        deploy_model(u, None, "clock_flow", {"clock_flow.bpmn": CLOCK_BPMN})
        [guide] = [i for i in read_items(ROOT / "workflows") if i["name"] == "企业开办"]
        upsert_item(u, {**guide, "code": ITEM, "name": "计时测试事项", "process_key": "clock_flow"})


def do(uow, username: str, case_no: str, name: str) -> None:
    with uow() as u:
        case = cases.visible_case(u, user(u, username), case_no)
        [task] = [t for t in cases.case_tasks(u, case, open_only=True) if t.name == name]
        tasks.complete(u, user(u, username), task.id, {"decision": "accept"})


def reading(uow, case_no: str):
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return case, clock.reading(u, case)


def test_declared_effects_start_pause_resume_and_stop_the_clock(uow):
    setup_item(uow)
    with uow() as u:
        started = cases.start_case(u, user(u, "window1"), ITEM, ENTERPRISE).case
        receive_materials(u, started)
        case_no = started.case_no
    assert reading(uow, case_no)[0].clock_state == "not_started"
    do(uow, "window1", case_no, "受理")
    case, running = reading(uow, case_no)
    assert (case.clock_state, running.state, running.light) == ("running", "running", "green")
    with uow() as u:
        expected = add_working_days(calendar(u), today(), 3)[0]  # 企业开办's promised limit
    assert running.due_date == case.due_date == expected

    with uow() as u:
        [step] = [t for t in cases.case_tasks(u, case, open_only=True)]
        assert step.due_date == add_working_days(calendar(u), today(), 2)[0]  # dueWorkingDays
        assert clock.task_light(u, step) == "green"
    do(uow, "amr1", case_no, "受理后补正告知")
    case, paused = reading(uow, case_no)
    assert (case.clock_state, paused.state) == ("paused", "paused")
    with uow() as u:
        [pause] = u.session.scalars(
            select(models.ClockPause).where(models.ClockPause.case_id == case.id)
        ).all()
        assert (pause.kind, pause.end) == ("supplement", None)

    do(uow, "window1", case_no, "补正材料已补齐")
    case, resumed = reading(uow, case_no)
    assert (case.clock_state, resumed.state) == ("running", "running")
    do(uow, "amr1", case_no, "审查")
    case, stopped = reading(uow, case_no)
    assert (case.status, case.clock_state, stopped.state) == ("finished", "stopped", "stopped")
    with uow() as u:
        actions = [e.action for e in cases.case_events(u, case)]
    for action in ("clock_start", "clock_pause", "clock_resume", "clock_stop"):
        assert action in actions
