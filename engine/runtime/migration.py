"""Whether and how a running case moves to another version of its model (迁移)."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .state import REGISTRY


class MigrationRefused(Exception):
    """The case cannot move to the other version; ``reasons`` say why, one line each."""

    def __init__(self, reasons: list[str]):
        super().__init__("；".join(reasons))
        self.reasons = reasons


# Spec attributes that may differ without changing what a finished or waiting step did or does.
_MIGRATION_NEUTRAL = frozenset(
    {"inputs", "outputs", "cond_task_specs", "default_task_spec", "documentation", "description"}
)
SETTLED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED
TIMER_STAMPS = ("onewindow_due", "event_value")


def diff_of(workflow, new_spec: BpmnProcessSpec) -> tuple[SpecDiff, WorkflowDiff]:
    spec_diff = SpecDiff(REGISTRY, workflow.spec, new_spec)
    return spec_diff, WorkflowDiff(workflow, spec_diff)


def migration_problems(plan) -> list[str]:
    """Reasons, human steps first; the engine's internal tasks (boundary splits, joins) only
    when nothing a designer drew explains the refusal."""
    found: dict[str, int] = {}

    def add(reason: str, spec) -> None:
        rank = 0 if spec is not None and spec.manual else 1
        if spec is not None and not spec.bpmn_id:
            rank = 2
        found.setdefault(reason, rank)

    for workflow, new_spec, diffs in plan:
        if diffs is None:
            add(f"子流程 {workflow.spec.name} 在新版本中不存在", None)
            continue
        spec_diff, _workflow_diff = diffs
        for task in workflow.tasks.values():
            spec = task.task_spec
            label = spec.bpmn_name or spec.bpmn_id or spec.name
            aligned = spec_diff.alignment.get(spec)
            if not task.has_state(SETTLED):
                if new_spec.task_specs.get(spec.name) is None and not reset_with_parent(task):
                    add(f"流程中已预测的步骤 {label} 在新版本中不存在", spec)
                continue
            where = "已完成的步骤" if task.state == TaskState.COMPLETED else "当前步骤"
            if aligned is None or aligned.name != spec.name:
                add(f"{where} {label} 在新版本中不存在", spec)
            elif set(spec_diff.comparisons.get(spec, [])) - _MIGRATION_NEUTRAL:
                add(f"{where} {label} 在新版本中被修改", spec)
    best = min(found.values(), default=0)
    keep = [reason for reason, rank in found.items() if rank < 2 or best == 2]
    return sorted(keep, key=lambda reason: found[reason])


def reset_with_parent(task: Task) -> bool:
    """A predicted task below a READY or WAITING one: migration drops and re-predicts it."""
    parent = task.parent
    while parent is not None:
        if parent.state in (TaskState.READY, TaskState.WAITING):
            return True
        if parent.state == TaskState.COMPLETED:
            return False
        parent = parent.parent
    return False
