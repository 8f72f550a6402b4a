"""``CaseRun.restore`` builds its tasks without SpiffWorkflow's converter (state.restore_tasks).

Every case here is restored twice from the same stored rows: by ``CaseRun.restore`` and by
SpiffWorkflow's own ``TaskConverter`` and ``subprocesses_from_dict``. The two workflows must
agree task by task (ids, tree, states, specs, flags, data with its types and key order, which
containers are shared with which), register the same waiting events, and then go on the same:
the same step on both writes the same rows.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.definitions import read_model_folder
from engine.runtime import CaseRun, compile_model
from engine.runtime.calls import CaseWorkflow
from engine.runtime.compiling import CompiledModel
from engine.runtime.state import (
    REGISTRY,
    Changes,
    all_tasks,
    all_workflows,
    converter_for,
    dumps,
    ordered,
)

from . import message_models as mm
from . import multiinstance_model as mi
from .loop_model import FILES as LOOP_FILES

ROOT = Path(__file__).resolve().parents[2]
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ADDRESS = re.compile(r" at 0x[0-9a-f]+")
# A timer started by a step is due a fixed time after that step's clock.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
# Values of the kinds SpiffWorkflow's registry writes with a typename, and nested containers.
START_DATA = {
    "applicant": {"kind": "person", "name": "张三", "ids": [{"type": "居民身份证", "n": [1, 2]}]},
    "fee": Decimal("12.50"),
    "received_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    "ref": UUID("12345678-1234-5678-1234-567812345678"),
    "materials": ["申请书", {"name": "身份证", "pages": [1, 2]}],
}


def demo(name: str) -> CompiledModel:
    return compile_model(read_model_folder(ROOT / "bpmn" / name), name)


class Store:
    """A case's stored rows, written from ``CaseRun.changes`` only (as save_run writes them)."""

    def __init__(self, model: CompiledModel) -> None:
        self.model = model
        self.workflow: dict = {}
        self.rows: dict[str, tuple[str, str]] = {}

    def save(self, run: CaseRun) -> None:
        self.write(run.changes())

    def write(self, changes: Changes) -> None:
        self.workflow = changes.workflow
        for task_id in changes.deletes:
            self.rows.pop(task_id, None)
        for task_id, process, payload in changes.upserts:
            self.rows[task_id] = (process, payload)

    def load(self) -> CaseRun:
        return CaseRun.restore(self.model, self.workflow, list(self.rows.values()))

    def load_with_converter(self) -> CaseRun:
        """The case restored the way SpiffWorkflow restores a serialized workflow."""
        loaded_at = time.time()
        by_process: dict[str, dict[str, dict]] = {}
        for process, payload in self.rows.values():
            dct = json.loads(payload)
            by_process.setdefault(process, {})[dct["id"]] = dct
        props = json.loads(json.dumps(self.workflow))
        wf = CaseWorkflow(self.model, None, deserializing=True)
        wf.tasks = {}
        for task_id, dct in ordered(by_process.get("", {}), props["root"]).items():
            wf.tasks[UUID(task_id)] = REGISTRY.restore(dct, workflow=wf)
        wf.task_tree = wf.tasks[UUID(props["root"])]
        converter = converter_for(BpmnWorkflow)
        converter.set_default_attributes(wf, props)
        subprocesses = {
            key: {**sp, "tasks": ordered(by_process.get(key, {}), sp["root"])}
            for key, sp in props["subprocesses"].items()
        }
        converter.subprocesses_from_dict(subprocesses, wf)
        wf.bpmn_events = REGISTRY.restore(props["bpmn_events"])
        known = {t.id for t in all_tasks(wf)}
        fast = self.load()
        run = CaseRun(wf, known, loaded_at, fast.saved_timers)
        run.pruned = fast.pruned
        return run


def typed(value: Any) -> tuple[str, str]:
    """A value as the registry writes it, in order, and its repr: 12.5 and Decimal('12.50'),
    1 and True, reordered keys or an object and the dict it was written as all differ, and
    objects (a seen event) compare by content."""
    return dumps(REGISTRY.convert(value)), ADDRESS.sub("", repr(value))


def snapshot(run: CaseRun) -> list[Any]:
    """Everything a restore sets, per workflow and task, in the workflows' task order."""
    out: list[Any] = []
    for key, wf in all_workflows(run.wf):
        last = wf.last_task.id if wf.last_task is not None else None
        out.append((key, wf.spec, wf.task_tree.id, last, wf.success, wf.completed))
        out.append((wf.correlations, typed(wf.data)))
        for task_id, t in wf.tasks.items():
            out.append((task_id, t.id, type(t), t.workflow is wf, t._parent, t._children))
            out.append((t._state, t.task_spec, t.triggered, t.last_state_change, t.thread_id))
            out.append((typed(t.internal_data), typed(t.data)))
    tasks = {t.id: t for t in all_tasks(run.wf)}
    waiting = run.wf.event_manager.tasks
    out.append([(task_id, task is tasks[task_id]) for task_id, task in waiting.items()])
    out.append(REGISTRY.convert(run.wf.bpmn_events))
    return out


def sharing(run: CaseRun) -> list[tuple[tuple, tuple]]:
    """For every container in task data and internal data, where the same object was first
    seen: the workflows must share (or not) exactly the same containers, since SpiffWorkflow
    changes task data in place."""
    first: dict[int, tuple] = {}
    out: list[tuple[tuple, tuple]] = []

    def walk(value: Any, place: tuple) -> None:
        if isinstance(value, dict | list | set):
            out.append((place, first.setdefault(id(value), place)))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                walk(item, (*place, key))

    for index, task in enumerate(all_tasks(run.wf)):
        walk(task.data, (index, "data"))
        walk(task.internal_data, (index, "internal"))
    return out


def written(run: CaseRun, changes: Changes) -> list[Any]:
    """What a save writes, task ids renamed by position (tasks a step creates get random ids)
    and without the times a step stamps (a task's state change, a timer's due time)."""
    names = {str(t.id): f"task{i}" for i, t in enumerate(all_tasks(run.wf))}
    rows = [(process, json.loads(payload)) for _task_id, process, payload in changes.upserts]
    for _process, dct in rows:
        dct.pop("last_state_change")
    text = json.dumps([changes.workflow, rows, changes.deletes], sort_keys=True)
    text = TIMESTAMP.sub("<time>", UUID_TEXT.sub(lambda m: names.get(m.group(), m.group()), text))
    workflow, rows, deletes = json.loads(text)
    return [workflow, sorted(rows, key=lambda row: row[1]["id"]), deletes]


def assert_same(store: Store) -> None:
    fast, reference = store.load(), store.load_with_converter()
    assert snapshot(fast) == snapshot(reference)
    assert sharing(fast) == sharing(reference)


Step = Callable[[CaseRun], None]


def complete(name: str, data: dict[str, Any] | None = None) -> Step:
    def step(run: CaseRun) -> None:
        task = next(t for t in run.ready_user_tasks() if t.name == name)
        run.complete(run.find_ready(task.id), dict(data or {}))

    return step


def deliver(message: str, payload: dict[str, Any]) -> Step:
    return lambda run: run.deliver(message, dict(payload))


def fire_timer(run: CaseRun) -> None:
    [timer] = run.waiting_timers(datetime.now(UTC))
    assert run.fire_timer(timer.task_id)


def check_every_step(model: CompiledModel, steps: list[Step], check_every: int = 1) -> Store:
    """Start a case, then take each step on the case restored both ways; both must write the
    same rows, and the stored case must restore the same both ways."""
    store = Store(model)
    store.save(CaseRun.start(model, START_DATA))
    assert_same(store)
    return check_every_step_from(store, steps, check_every)


def check_every_step_from(store: Store, steps: list[Step], check_every: int = 1) -> Store:
    for number, step in enumerate(steps, 1):
        fast, reference = store.load(), store.load_with_converter()
        step(fast)
        step(reference)
        changes = fast.changes()
        assert written(fast, changes) == written(reference, reference.changes())
        store.write(changes)
        if number % check_every == 0 or number == len(steps):
            assert_same(store)
    return store


DECIDE = "受理并当场办结"
SUPPLEMENT_DATA = {"received_materials": ["经营场所使用证明"], "received_via": "窗口递交"}
REWORK = {"decision": "supplement", "missing_materials": ["经营场所使用证明"], "reason": "缺"}


def rounds(count: int) -> list[Step]:
    """The demo's 补正 loop: decided "supplement" (the timer waits), supplied, decided again."""
    return [complete(DECIDE, REWORK), complete("补正材料", SUPPLEMENT_DATA)] * count


def test_the_demo_case_through_its_rework_loop_and_to_the_end():
    store = check_every_step(demo("individual_business"), rounds(3))
    deltas = [json.loads(p).get("delta") or {} for _, p in store.rows.values()]
    assert any(d.get("deletions") for d in deltas), "a delta that deletes keys must be covered"
    check_every_step_from(store, [complete(DECIDE)])


def test_a_case_waiting_on_its_rework_timer_until_it_fires():
    store = check_every_step(demo("individual_business"), [complete(DECIDE, REWORK), fire_timer])
    assert store.load().finished


def test_a_long_case_with_its_history_pruned():
    store = check_every_step(demo("individual_business"), rounds(60), check_every=20)
    assert store.load().pruned, "the rounds must be enough for the history to be pruned"


def complete_first(data: dict[str, Any]) -> Step:
    """The first ready user task, whatever it is named (the same one in both runs)."""

    def step(run: CaseRun) -> None:
        task = run.ready_user_tasks()[0]
        run.complete(run.find_ready(task.id), dict(data))

    return step


@pytest.mark.parametrize("name", ["enterprise_startup", "property_transfer", "food_business"])
def test_the_other_demo_models_through_rework_and_parallel_branches(name: str):
    verdicts = {
        "tax_decision": "approve",
        "review_decision": "approve",
        "business_scope": "预包装食品销售",
        "area_sqm": 120,
    }
    store = check_every_step(demo(name), [complete_first({**REWORK, **verdicts})])
    for _ in range(20):
        if store.load().finished:
            break
        check_every_step_from(store, [complete_first({"decision": "approve", **verdicts})])
    assert store.load().finished


def test_the_runtime_loop_with_parallel_branches():
    steps = [
        complete("审查", {"decision": "return"}),
        complete("补正", {"supplied": ["材料"]}),
        complete("审查", {"decision": "approve"}),
        complete("甲"),
        complete("乙"),
    ]
    check_every_step(compile_model(LOOP_FILES, "rework_loop"), steps)


def test_a_parallel_multi_instance_with_its_instances_data():
    model = compile_model(mi.files("mi_fast", mi.over_signers(), ("甲", "乙", "丙")), "mi_fast")
    steps = [complete("受理", {"decision": "accept"})]
    steps += [complete("会签", {"decision": d}) for d in ("approve", "return", "approve")]
    steps += [complete("修改"), *[complete("会签", {"decision": "approve"})] * 3, complete("后续")]
    assert check_every_step(model, steps).load().finished


@pytest.mark.parametrize(
    ("files", "key", "steps"),
    [
        (mm.CATCH, "msg_catch", [deliver("materials_ready", {"pages": [1, 2]}), "材料审核"]),
        (mm.RECEIVE, "msg_receive", [deliver("bank_paid", {"bank_ref": "B1"}), "缴费后审核"]),
        (mm.GATEWAY, "msg_gateway", [deliver("platform_reply", {"ok": True}), "按回复办理"]),
        (mm.GATEWAY, "msg_gateway", [fire_timer, "超时处理"]),
        (mm.BOUNDARY, "msg_boundary", [deliver("applicant_withdraw", {}), "撤件登记"]),
    ],
)
def test_cases_waiting_for_messages_and_timers(files: dict, key: str, steps: list):
    model = compile_model(files, key)
    store = check_every_step(model, [s if callable(s) else complete(s) for s in steps])
    assert store.load().finished


def test_a_call_activity_restores_its_subprocess():
    files = {**mm.BUNDLE, **mm.callee("单项审核")}
    model = compile_model(files, "call_bundle")
    store = check_every_step(model, [complete("单项审核", {"opinion": "同意"})], check_every=1)
    assert store.load().ready_user_tasks()[0].name == "统一出件"


def test_a_call_activity_waiting_in_its_subprocess():
    store = Store(compile_model({**mm.BUNDLE, **mm.callee("单项审核")}, "call_bundle"))
    store.save(CaseRun.start(store.model, START_DATA))
    run = store.load()
    assert run.wf.subprocesses, "the call must be running in a subprocess"
    assert_same(store)


def test_each_task_owns_its_data():
    """SpiffWorkflow changes task data in place: no restored task may see its child's change."""
    store = check_every_step(demo("individual_business"), rounds(2))
    run = store.load()
    checked = 0
    for task in all_tasks(run.wf):
        parent = task.parent
        if parent is None or "applicant" not in parent.data:
            continue
        before = repr(parent.data)
        task.data["applicant"]["name"] = "李四"
        task.data["materials"].append("补充材料")
        task.data.clear()
        assert repr(parent.data) == before
        checked += 1
    assert checked >= 5
