"""Moving running cases to a new version of their model (SpiffWorkflow's migrate_workflow).

The model is a straight line of steps across two lanes, with a boundary timer on the review
step; versions differ by renamed, added, changed or removed steps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import models
from engine.catalogue import read_items, upsert_item
from engine.errors import Forbidden, NotFound
from engine.runtime import CaseRun
from engine.services import cases, designer
from engine.services.common import RUNS
from engine.services.deployed import database_of, model_of
from engine.services.models import deploy_model

from .helpers import ENTERPRISE, complete, open_names, open_task, user

ROOT = Path(__file__).resolve().parents[2]
KEY = "workbench_migration"
ITEM = "TEST-MIGRATION"

V1 = [
    ("intake", "受理", "综合受理窗口", "window"),
    ("review", "审查", "市场监督管理局", "reviewer"),
    ("issue", "出证", "综合受理窗口", "window"),
]
# v2 renames the later step and adds one after it; intake and review stay as they were
V2 = [
    V1[0],
    V1[1],
    ("issue", "出证（新版）", "综合受理窗口", "window"),
    ("archive", "归档", "综合受理窗口", "window"),
]
# v3 changes the first step (now in another role); v4 drops the review step
V3 = [("intake", "受理", "综合受理窗口", "approver"), V1[1], V1[2]]
V4 = [V1[0], V1[2]]


def linear_model(steps: list[tuple[str, str, str, str]], key: str = KEY) -> dict[str, str]:
    lanes: dict[str, list[str]] = {}
    nodes, flows = [], []
    previous = "start"
    lanes.setdefault(steps[0][2], []).append("start")
    for step_id, name, lane, role in steps:
        lanes.setdefault(lane, []).append(step_id)
        nodes.append(
            f'<bpmn:userTask id="{step_id}" name="{name}"><bpmn:extensionElements>'
            "<spiffworkflow:properties>"
            f'<spiffworkflow:property name="role" value="{role}" />'
            '<spiffworkflow:property name="form" value="none" />'
            "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        )
        flows.append(
            f'<bpmn:sequenceFlow id="flow_{previous}_{step_id}" sourceRef="{previous}" '
            f'targetRef="{step_id}" />'
        )
        previous = step_id
    flows.append(
        f'<bpmn:sequenceFlow id="flow_{previous}_end" sourceRef="{previous}" targetRef="end" />'
    )
    lanes.setdefault(steps[-1][2], []).append("end")
    if any(s[0] == "review" for s in steps):
        lanes["市场监督管理局"] += ["review_timeout", "end_timeout"]
        nodes.append(
            '<bpmn:boundaryEvent id="review_timeout" name="审查超时" attachedToRef="review">'
            '<bpmn:timerEventDefinition id="review_timer"><bpmn:timeDuration>"P90D"'
            "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            '<bpmn:endEvent id="end_timeout" name="超时" />'
        )
        flows.append(
            '<bpmn:sequenceFlow id="flow_timeout" sourceRef="review_timeout" '
            'targetRef="end_timeout" />'
        )
    lane_xml = "".join(
        f'<bpmn:lane id="lane_{i}" name="{lane}">'
        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
        + "</bpmn:lane>"
        for i, (lane, refs) in enumerate(lanes.items())
    )
    bpmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs_{key}" targetNamespace="http://onewindow.test">
  <bpmn:process id="{key}" name="迁移测试" isExecutable="true">
    <bpmn:laneSet id="lanes">{lane_xml}</bpmn:laneSet>
    <bpmn:startEvent id="start" name="申请" />
    {"".join(nodes)}
    <bpmn:endEvent id="end" name="办结" />
    {"".join(flows)}
  </bpmn:process>
</bpmn:definitions>
"""
    return {f"{key}.bpmn": bpmn}


@pytest.fixture
def versions(uow) -> dict[str, int]:
    """v1..v4 deployed (once per database), with a service item running the model."""
    out = {}
    with uow() as u:
        for label, steps in (("v1", V1), ("v2", V2), ("v3", V3), ("v4", V4)):
            out[label] = deploy_model(u, None, KEY, linear_model(steps), label).definition.version
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        upsert_item(u, {**guide, "code": ITEM, "name": "迁移测试事项", "process_key": KEY})
    return out


def start_on(uow, version: int) -> str:
    """A case started on ``version`` (new cases start on the newest: point it back first)."""
    with uow() as u:
        definition = u.session.scalars(
            select(models.ProcessDefinition).where(
                models.ProcessDefinition.key == KEY, models.ProcessDefinition.version == version
            )
        ).one()
        original = cases.latest_definition
        cases.latest_definition = lambda _uow, _key: definition
        try:
            return cases.start_case(u, user(u, "window1"), ITEM, ENTERPRISE).case.case_no
        finally:
            cases.latest_definition = original


def migrate(uow, numbers, to_version: int, dry_run: bool = False, username: str = "designer1"):
    with uow() as u:
        return designer.migrate_cases(u, user(u, username), KEY, to_version, numbers, dry_run)


def case_of(uow, case_no: str) -> models.Case:
    with uow() as u:
        return u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()


def version_of(uow, case_no: str) -> int:
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return case.definition.version


def test_a_case_moves_to_the_new_version_and_finishes_on_it(uow, versions):
    case_no = start_on(uow, versions["v1"])
    complete(uow, "window1", case_no, "受理", {})
    assert open_names(uow, case_no) == ["审查"]
    review_task = open_task(uow, case_no, "审查")
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        [timer_before] = u.session.scalars(
            select(models.Timer).where(models.Timer.case_id == case.id)
        )
        cache_key = (database_of(u.session), case.id)
    assert cache_key in RUNS._runs, "the completion left its run in this process's cache"

    [dry] = migrate(uow, [case_no], versions["v2"], dry_run=True)
    assert dry == {
        "case_no": case_no,
        "ok": True,
        "reason": None,
        "from_version": versions["v1"],
        "to_version": versions["v2"],
    }
    assert version_of(uow, case_no) == versions["v1"], "a dry run changes nothing"
    assert cache_key in RUNS._runs, "nor the cached run"

    [moved] = migrate(uow, [case_no], versions["v2"])
    assert moved["ok"] and moved["reason"] is None
    assert version_of(uow, case_no) == versions["v2"]
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        [event] = u.session.scalars(
            select(models.CaseEvent).where(
                models.CaseEvent.case_id == case.id, models.CaseEvent.action == "migrate"
            )
        )
        assert (event.actor, event.detail["from_version"], event.detail["to_version"]) == (
            "designer1",
            versions["v1"],
            versions["v2"],
        )
        [timer_after] = u.session.scalars(
            select(models.Timer).where(models.Timer.case_id == case.id)
        )
        assert (timer_after.task_id, timer_after.due_at) == (
            timer_before.task_id,
            timer_before.due_at,
        )
    # the waiting step keeps its inbox row; the rest of the case runs on v2
    assert open_task(uow, case_no, "审查") == review_task
    assert cache_key not in RUNS._runs, "the next step restores from the rows the move wrote"
    complete(uow, "amr1", case_no, "审查", {})
    assert open_names(uow, case_no) == ["出证（新版）"]
    complete(uow, "window1", case_no, "出证（新版）", {})
    complete(uow, "window1", case_no, "归档", {})
    finished = case_of(uow, case_no)
    assert finished.status == "finished"


def restored(u, case_no: str) -> tuple[models.Case, CaseRun, int]:
    case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
    rows = u.session.execute(
        select(models.WorkflowTask.process, models.WorkflowTask.payload).where(
            models.WorkflowTask.case_id == case.id
        )
    ).all()
    run = CaseRun.restore(model_of(u, case.definition_id), case.workflow, [tuple(r) for r in rows])
    return case, run, len(rows)


def test_the_move_rewrites_every_task_row(uow, versions):
    moved, other = start_on(uow, versions["v1"]), start_on(uow, versions["v1"])
    complete(uow, "window1", moved, "受理", {})
    migrate(uow, [moved], versions["v2"])
    with uow() as u:
        case, run, stored = restored(u, moved)
        assert stored == len(run.wf.tasks), "no row of a task the move dropped is left"
        # a migrated run writes every row on its next save, not only what changed
        _other_case, fresh, _ = restored(u, other)
        untouched = fresh.changes()
        fresh.migrate(model_of(u, case.definition_id))
        everything = fresh.changes()
        assert len(everything.upserts) == len(fresh.wf.tasks) > len(untouched.upserts)


def test_a_changed_finished_step_or_a_removed_current_step_keeps_the_case_where_it_is(
    uow, versions
):
    case_no = start_on(uow, versions["v1"])
    complete(uow, "window1", case_no, "受理", {})
    [changed] = migrate(uow, [case_no], versions["v3"], dry_run=True)
    assert not changed["ok"] and changed["reason"] == "已完成的步骤 受理 在新版本中被修改"
    [removed] = migrate(uow, [case_no], versions["v4"])
    assert not removed["ok"] and removed["reason"].startswith("当前步骤 审查 在新版本中不存在")
    assert "BoundaryEventSplit" not in removed["reason"]
    assert version_of(uow, case_no) == versions["v1"]
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        events = u.session.scalar(
            select(func.count()).where(
                models.CaseEvent.case_id == case.id, models.CaseEvent.action == "migrate"
            )
        )
        assert events == 0
    # a case still at the first step may go to v4: its later steps are all the new version's
    fresh = start_on(uow, versions["v1"])
    [ok] = migrate(uow, [fresh], versions["v4"])
    assert ok["ok"], ok
    complete(uow, "window1", fresh, "受理", {})
    assert open_names(uow, fresh) == ["出证"]


def test_cases_of_other_models_and_unknown_numbers_are_reported_not_moved(uow, versions):
    from .helpers import start

    other = start(uow, "企业开办")
    on_target = start_on(uow, versions["v2"])
    results = migrate(uow, [other, "NO-SUCH-CASE", on_target], versions["v2"], dry_run=True)
    assert [(r["case_no"], r["ok"], r["reason"]) for r in results] == [
        (other, False, "不属于该模型"),
        ("NO-SUCH-CASE", False, "办件不存在"),
        (on_target, False, f"办件已在版本 {versions['v2']} 上"),
    ]


def test_all_moves_every_running_case_of_the_model_in_one_action(uow, versions):
    first, second = start_on(uow, versions["v1"]), start_on(uow, versions["v1"])
    complete(uow, "window1", second, "受理", {})
    results = {r["case_no"]: r for r in migrate(uow, "all", versions["v2"])}
    assert results[first]["ok"] and results[second]["ok"]
    assert version_of(uow, first) == version_of(uow, second) == versions["v2"]
    again = [r["case_no"] for r in migrate(uow, "all", versions["v2"], dry_run=True)]
    assert first not in again and second not in again, "cases on the target are not listed"


def test_only_designers_and_administrators_migrate(uow, versions):
    case_no = start_on(uow, versions["v1"])
    with pytest.raises(Forbidden):
        migrate(uow, [case_no], versions["v2"], username="amr1")
    with pytest.raises(NotFound):
        migrate(uow, [case_no], 999)


def test_a_dry_run_never_touches_the_cached_run(uow, versions):
    case_no = start_on(uow, versions["v1"])
    complete(uow, "window1", case_no, "受理", {})
    migrate(uow, [case_no], versions["v2"], dry_run=True)
    # the case goes on on v1, from whatever copy this process kept
    complete(uow, "amr1", case_no, "审查", {})
    assert open_names(uow, case_no) == ["出证"]


def test_live_stats_count_waiting_cases_and_average_dwell_per_step(uow):
    """Computed in SQL from human_task: a model of its own, so other tests do not count."""
    key, code = "workbench_stats", "TEST-STATS"
    with uow() as u:
        deploy_model(u, None, key, linear_model(V1, key))
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        upsert_item(u, {**guide, "code": code, "name": "统计测试事项", "process_key": key})
    numbers = []
    for hours in (2, 4):
        with uow() as u:
            numbers.append(cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no)
        complete(uow, "window1", numbers[-1], "受理", {})
        with uow() as u:
            case = u.session.scalars(
                select(models.Case).where(models.Case.case_no == numbers[-1])
            ).one()
            [row] = u.session.scalars(
                select(models.HumanTask).where(
                    models.HumanTask.case_id == case.id, models.HumanTask.spec_name == "intake"
                )
            )
            start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
            row.created_at, row.completed_at = start, start + timedelta(hours=hours)
    with uow() as u:
        stats = designer.stats(u, user(u, "designer1"), key, None)
        assert stats["version"] == 1
        assert stats["elements"] == {
            "intake": {"waiting": 0, "completed": 2, "avg_dwell_hours": 3.0},
            "review": {"waiting": 2, "completed": 0, "avg_dwell_hours": None},
            "issue": {"waiting": 0, "completed": 0, "avg_dwell_hours": None},
        }
        with pytest.raises(Forbidden):
            designer.stats(u, user(u, "amr1"), key, None)
        with pytest.raises(NotFound):
            designer.stats(u, user(u, "designer1"), key, 2)
