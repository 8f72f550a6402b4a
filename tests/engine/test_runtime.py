"""The runtime against SpiffWorkflow itself: incremental saves and the depth guard."""

from __future__ import annotations

import pytest

from engine.errors import EngineIntegrityError
from engine.runtime import MAX_SAFE_DEPTH, SERIALIZER, CaseRun, compile_model

from .loop_model import FILES

MODEL = compile_model(FILES, "rework_loop")


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


def test_deep_rework_stops_loudly_instead_of_finishing_silently_wrong():
    """SpiffWorkflow stops seeing tasks at depth 1000; 300 rounds go well past it."""
    run = CaseRun.start(MODEL, {})
    with pytest.raises(EngineIntegrityError) as caught:
        for _ in range(300):
            complete_named(run, "审查", {"decision": "return"})
            complete_named(run, "补正", {})
    assert caught.value.code == "workflow_too_deep"
    assert "补正或退回次数过多" in caught.value.message
    assert caught.value.details["limit"] == MAX_SAFE_DEPTH
    assert not run.finished
