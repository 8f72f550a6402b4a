"""The runtime against SpiffWorkflow itself: incremental saves and the depth guard."""

from __future__ import annotations

import pytest

from engine.errors import EngineIntegrityError
from engine.runtime import MAX_SAFE_DEPTH, SERIALIZER, CaseRun, compile_model

from .loop_model import FILES, PINNED_FILES

MODEL = compile_model(FILES, "rework_loop")
PINNED = compile_model(PINNED_FILES, "pinned_loop")
LOOP_BPMN_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="defs" targetNamespace="http://onewindow.test">"""


class Store:
    """What the database keeps for a case, applied from ``CaseRun.changes`` only."""

    def __init__(self) -> None:
        self.workflow: dict = {}
        self.rows: dict[str, tuple[str, str]] = {}

    def save(self, run: CaseRun) -> int:
        changes = run.changes()
        self.workflow = changes.workflow
        for task_id in changes.deletes:
            self.rows.pop(task_id, None)
        for task_id, process, payload in changes.upserts:
            self.rows[task_id] = (process, payload)
        return len(changes.upserts)

    def load(self) -> CaseRun:
        return CaseRun.restore(MODEL, self.workflow, list(self.rows.values()))


def complete_named(run: CaseRun, name: str, data: dict) -> None:
    [task] = [t for t in run.ready_user_tasks() if t.name == name]
    run.complete(run.find_ready(task.id), data)


def test_partial_saves_restore_the_same_workflow_as_a_full_serialization():
    store = Store()
    run = CaseRun.start(MODEL, {"applicant": "张三"})
    store.save(run)
    for round_no in range(5):
        run = store.load()
        complete_named(run, "审查", {"decision": "return", "round": round_no})
        store.save(run)
        run = store.load()
        complete_named(run, "补正", {"supplied": [f"材料{round_no}"]})
        store.save(run)
    run = store.load()
    complete_named(run, "审查", {"decision": "approve"})
    written = store.save(run)
    live = SERIALIZER.to_dict(run.wf)
    restored = SERIALIZER.to_dict(store.load().wf)
    assert restored["tasks"] == live["tasks"]
    assert restored["data"] == live["data"]
    assert written < len(live["tasks"]) / 2, "a step must not rewrite the whole history"
    assert sorted(t.name for t in store.load().ready_user_tasks()) == ["乙", "甲"]


def test_finishing_reports_the_end_event_result():
    run = CaseRun.start(MODEL, {})
    complete_named(run, "审查", {"decision": "approve"})
    complete_named(run, "甲", {})
    assert not run.finished
    complete_named(run, "乙", {})
    assert run.finished
    assert run.result() == "0"


def test_a_thousand_rework_rounds_still_advance_and_finish():
    """SpiffWorkflow stops seeing tasks at depth 1000; old rounds are pruned long before."""
    store = Store()
    run = CaseRun.start(MODEL, {})
    store.save(run)
    rows_after: dict[int, int] = {}
    for round_no in range(1, 1001):
        complete_named(run, "审查", {"decision": "return"})
        complete_named(run, "补正", {"round": round_no})
        if round_no % 50 == 0 or round_no == 10:
            store.save(run)
            run = store.load()
            rows_after[round_no] = len(store.rows)
    assert run.max_depth() < MAX_SAFE_DEPTH
    assert rows_after[1000] <= 2 * max(rows_after[200], rows_after[10]), rows_after
    assert max(rows_after.values()) < 3 * rows_after[200], "stored history stays bounded"
    complete_named(run, "审查", {"decision": "approve"})
    complete_named(run, "甲", {})
    complete_named(run, "乙", {})
    assert run.finished and run.result() == "0"
    assert run.data["round"] == 1000
    assert "rework" in run.element_states()["finished"]


def test_a_recent_step_can_still_be_returned_to_after_pruning():
    run = CaseRun.start(MODEL, {})
    for _ in range(300):
        complete_named(run, "审查", {"decision": "return"})
        complete_named(run, "补正", {})
    [review] = run.ready_user_tasks()
    assert [s.name for s in run.passed_steps(review.id)] == ["补正"]
    assert run.reset_to("rework") is not None
    assert [t.name for t in run.ready_user_tasks()] == ["补正"]


def test_depth_that_pruning_cannot_remove_still_stops_loudly():
    """A branch left open at the top pins the cut: the guard, not SpiffWorkflow, answers."""
    run = CaseRun.start(PINNED, {})
    with pytest.raises(EngineIntegrityError) as caught:
        for _ in range(400):
            complete_named(run, "审查", {"decision": "return"})
            complete_named(run, "补正", {})
    assert caught.value.code == "workflow_too_deep"
    assert "补正或退回次数过多" in caught.value.message
    assert caught.value.details["limit"] == MAX_SAFE_DEPTH
    assert not run.finished


UNCAUGHT_SIGNAL = {
    "signal.bpmn": LOOP_BPMN_HEAD
    + """
    <bpmn:signal id="sig_notify" name="notify"/>
    <bpmn:process id="signal_loop" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
    <bpmn:exclusiveGateway id="merge"/>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="tell"/>
    <bpmn:intermediateThrowEvent id="tell" name="通知">
      <bpmn:signalEventDefinition signalRef="sig_notify"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="tell" targetRef="review"/>
    <bpmn:userTask id="review" name="审查"/>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="merge"/>
  </bpmn:process>
</bpmn:definitions>"""
}


def test_events_nobody_catches_are_not_kept_with_the_case():
    run = CaseRun.start(compile_model(UNCAUGHT_SIGNAL, "signal_loop"), {})
    for _ in range(3):
        complete_named(run, "审查", {})
    assert run.changes().workflow["bpmn_events"] == []
