"""Walks of the task tree with no depth limit, unlike SpiffWorkflow's iterators (going back: 退回,
撤回; pruning)."""

from __future__ import annotations

from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

# ----- tree walks for going back (no depth limit, unlike SpiffWorkflow's iterators) ---------------


def lineage(task: Task):
    """``task``'s ancestors, nearest first; out of a subprocess into the task that runs it."""
    current = task
    while True:
        parent = current.parent
        if parent is None:
            parent_id = getattr(current.workflow, "parent_task_id", None)
            if parent_id is None:
                return
            parent = current.workflow.top_workflow.get_task_from_id(parent_id)
            if parent is None:
                return
        yield parent
        current = parent


def is_below(task: Task, ancestor: Task) -> bool:
    return any(a is ancestor for a in lineage(task))


def descendants(task: Task) -> list[Task]:
    """``task`` and every task below it in its workflow, parents first."""
    out, stack = [], [task]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out


def merged_branches(join: Task) -> list[Task]:
    """The join tasks of the other branches merged by ``join`` in the same pass."""
    earlier = next((a for a in lineage(join) if a.task_spec is join.task_spec), None)
    return [
        t
        for t in join.workflow.tasks.values()
        if t.task_spec is join.task_spec
        and t is not join
        and t.has_state(TaskState.FINISHED_MASK)
        and not is_below(join, t)
        and not is_below(t, join)
        and (earlier is None or is_below(t, earlier))
    ]


def stale_merges(task: Task) -> list[Task]:
    """Joins ``task``'s branch leads to that already fired through a sibling branch."""
    joins = {t.task_spec for t in descendants(task) if isinstance(t.task_spec, Join)}
    return [
        t
        for t in task.workflow.tasks.values()
        if t.task_spec in joins
        and t.state == TaskState.COMPLETED
        and t.children
        and not is_below(task, t)
        and not is_below(t, task)
    ]
