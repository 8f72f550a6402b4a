"""How a case's workflow is stored: one row per task, data kept relative to the parent task
(SpiffWorkflow's delta encoding), instance properties beside them; ``Changes`` is what a save
writes."""

from __future__ import annotations

import json
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..errors import EngineIntegrityError

TIMERS_FLAG = "onewindow_timers"


def _make_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()
REGISTRY = SERIALIZER.registry


class _StateEncoder(json.JSONEncoder):
    """JSON for task payloads: values SpiffWorkflow leaves raw (datetime, Decimal, UUID)."""

    def default(self, o: Any) -> Any:
        converted = REGISTRY.convert(o)
        if converted is o:
            return super().default(o)
        return converted


def dumps(value: Any) -> str:
    return json.dumps(value, cls=_StateEncoder, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Changes:
    """What a save must write: instance properties, task rows to upsert, task ids to delete."""

    workflow: dict[str, Any]
    upserts: list[tuple[str, str, str]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)


def all_workflows(wf: BpmnWorkflow) -> list[tuple[str, Any]]:
    return [("", wf)] + [(str(key), sp) for key, sp in wf.subprocesses.items()]


def all_tasks(wf: BpmnWorkflow):
    for _, workflow in all_workflows(wf):
        yield from workflow.tasks.values()


def process_properties(workflow) -> dict[str, Any]:
    return {
        "data": REGISTRY.clean(workflow.data),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "root": str(workflow.task_tree.id),
    }


def converter_for(cls: type):
    """The converter instance SpiffWorkflow registered for ``cls`` (to reuse its helpers)."""
    restore = REGISTRY.convert_from_dict[REGISTRY.typenames[cls]]
    return restore.args[0].__self__


def ordered(tasks: dict[str, dict], root: str) -> dict[str, dict]:
    """Tasks parent-first: restoring a delta-encoded task needs its parent's data."""
    ordered: dict[str, dict] = {}
    stack = [root]
    while stack:
        task_id = stack.pop()
        dct = tasks.get(task_id)
        if dct is None:
            continue
        ordered[task_id] = dct
        stack.extend(reversed(dct["children"]))
    if len(ordered) != len(tasks):
        raise EngineIntegrityError(
            "办件的流程状态不完整，无法加载",
            {"missing": len(tasks) - len(ordered)},
            code="workflow_state_corrupt",
        )
    return ordered


def restore_tasks(tasks: dict[str, dict], wf: BpmnWorkflow) -> dict[UUID, Task]:
    """The tasks of one workflow (the case's or a subprocess's) from their stored dicts, given
    parent-first (``ordered``).

    What SpiffWorkflow's ``TaskConverter.from_dict`` does for each task, without its cost, which
    made restoring the bulk of a completion's CPU when the case is not cached: the registry's
    dispatch for every task and every value, ``DeepMerge`` over the parent's data, three UUID
    parses per task and ``Task.parent`` lookups. The tasks are the converter's: the same ids,
    tree, states, specs, flags, ``internal_data`` and ``data`` (each task's own dict, inheriting
    from its parent's as ``DeepMerge.merge({}, parent.data)`` does), restored parent-first in
    the same order, and the waiting catching events known to the event manager.
    """
    restored: dict[UUID, Task] = {}
    wf.tasks = restored
    uuids = _Uuids()
    specs = wf.spec.task_specs
    events = wf.top_workflow.event_manager
    for task_id, dct in tasks.items():
        spec = specs.get(dct["task_spec"])
        task = Task(wf, spec, state=dct["state"], id=uuids[task_id])
        parent_id = dct["parent"]
        task._parent = None if parent_id is None else uuids[parent_id]
        task._children = [uuids[child] for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = _restore_value(dct["internal_data"])
        if isinstance(spec, CatchingEvent) and task._state & TaskState.WAITING:
            events.add_task(task)
        task.data = _task_data(dct, restored.get(task._parent))
    return restored


class _Uuids(dict):
    """Each task id parsed once per restore: it is a task's id, its children's parent and its
    parent's child (UUIDs are immutable, sharing them is safe)."""

    def __missing__(self, key: str) -> UUID:
        value = self[key] = UUID(key)
        return value


def _restore_value(value: Any) -> Any:
    """``REGISTRY.restore`` of a value parsed from JSON: new dicts and lists all the way down,
    the registry asked only for the objects it wrote (a dict with a ``typename``)."""
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            return REGISTRY.restore(value)
        return {key: _restore_value(item) for key, item in value.items()}
    if kind is list:
        return [_restore_value(item) for item in value]
    return value


def _task_data(dct: dict, parent: Task | None) -> dict[str, Any]:
    """A task's data: stored whole, or its parent's with the stored delta applied. The parent's
    values are copied as ``DeepMerge.merge({}, parent.data)`` copies them: containers one level
    deep, nested values shared as they are after SpiffWorkflow's own restore."""
    delta = dct.get("delta")
    if not delta or parent is None:
        return _restore_value(dct["data"])
    data = dict(parent.data)
    for key, value in parent.data.items():
        if isinstance(value, (dict, list, set)):
            data[key] = copy(value)
    data.update(_restore_value(delta.get("updates", {})))
    for key in delta.get("deletions", {}):
        data.pop(key, None)
    return data
