"""How a case's workflow is stored: one row per task, data kept relative to the parent task
(SpiffWorkflow's delta encoding), instance properties beside them; ``Changes`` is what a save
writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

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


def restore_tasks(tasks: dict[str, dict], root: str, wf: BpmnWorkflow) -> dict[UUID, Task]:
    restored: dict[UUID, Task] = {}
    wf.tasks = restored
    for task_id, dct in ordered(tasks, root).items():
        restored[UUID(task_id)] = REGISTRY.restore(dct, workflow=wf)
    return restored
