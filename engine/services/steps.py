"""Completing a workflow step: the case locked first, then its task rows; the step's form and
effects; the engine run; the task projection and the finish (one place for every path that
completes a workflow task: a clerk's completion, an after-signers' approval)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from .. import access, models
from ..errors import Conflict, NotFound
from ..forms import validate_form
from ..uow import UnitOfWork
from . import chains as chain_service
from . import materials, progress
from .common import load_run, record, save_run
from .deployed import task_definition
from .effects import ACCEPTING_DECISIONS, apply_effects
from .progress import SYNCED_STATES, finish_if_done, sync_tasks

OPEN_STATES = ("ready", "claimed")


@dataclass
class Completion:
    case: models.Case
    next_tasks: list[models.HumanTask]
    open_tasks: list[models.HumanTask]


def require_visible(user: models.User, task: models.HumanTask) -> None:
    """An invisible task answers exactly like a missing one."""
    if not access.can_see_task(user, task):
        raise NotFound(f"任务 {task.id} 不存在", code="task_not_found")


def _lock_case() -> Select:
    """The case of a task, locked, its workflow and service item with it (built once: a
    completion pays neither the statement's construction nor its cache key)."""
    task, case = models.HumanTask, models.Case
    of_task = select(task.case_id).where(task.id == bindparam("task_id")).scalar_subquery()
    return (
        select(case)
        .where(case.id == of_task)
        # the workflow too: the next step of a case usually lands on another worker, which
        # restores the case (services/common.py load_run) and would read it right after
        .options(joinedload(case.service_item, innerjoin=True), undefer(case.workflow))
        .with_for_update(of=case)
        .execution_options(populate_existing=True)
    )


def _case_rows() -> Select:
    """The task asked for and the case's other rows a sync looks at."""
    task = models.HumanTask
    return (
        select(task)
        .where(
            task.case_id == bindparam("case_id"),
            or_(task.id == bindparam("task_id"), task.state.in_(SYNCED_STATES)),
        )
        .execution_options(populate_existing=True)
    )


_LOCK_CASE, _CASE_ROWS = _lock_case(), _case_rows()


def lock_open_task(
    uow: UnitOfWork, user: models.User, task_id: str
) -> tuple[models.HumanTask, list[models.HumanTask]]:
    """The open task, read after its case row is locked: the state seen is the committed one.

    Every writer to a case locks the case row first (``FOR UPDATE``; SQLite's write lock) and
    only then touches its task and timer rows: two clients completing one task see it open one
    after the other, never both, and a clerk and the timer scheduler never wait for each other
    in a circle (locking the task row in the same statement as the case could take it first).
    The read after the lock also brings the case's other open rows, for ``sync_tasks``.
    """
    case = uow.session.scalars(_LOCK_CASE, {"task_id": task_id}).one_or_none()
    if case is None:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    rows = uow.session.scalars(_CASE_ROWS, {"case_id": case.id, "task_id": task_id}).all()
    for row in rows:  # the rows hold their case: the session keeps objects weakly
        set_committed_value(row, "case", case)
    [found] = [row for row in rows if row.id == task_id]
    require_visible(user, found)
    if found.state not in OPEN_STATES:
        raise Conflict(f"任务“{found.name}”已不在待办状态（{found.state}）", code="task_not_open")
    return found, list(rows)


def complete_step(
    uow: UnitOfWork,
    user: models.User,
    task: models.HumanTask,
    case_rows: list[models.HumanTask],
    data: dict[str, Any],
    comment: str | None = None,
) -> Completion:
    """Complete the workflow task behind ``task`` (locked with ``case_rows`` by
    ``lock_open_task``) with ``data``, its caller already checked."""
    case = task.case
    definition = task_definition(uow.session, task)
    meta = definition.meta(task.spec_name)
    if meta.get("form"):
        validate_form(definition.files[meta["form"]], data)
    if task.parent_id and task.chain_id is not None:  # a level of an approval chain step
        level = chain_service.complete_level(uow, user, task, data, comment)
        if isinstance(level, chain_service.StepDecision):
            synced = progress.finish_chain_step(uow, case, level)
            return Completion(case, synced.created, synced.open)
        return Completion(case, *level)
    if meta.get("clock") == "start" and data.get("decision") in ACCEPTING_DECISIONS:
        materials.require_acceptable(uow, case)  # 受理 only with every mandatory material
    run = load_run(uow, case)
    spiff_task = run.find_ready(task.id)
    if spiff_task is None:
        raise Conflict("任务已不在待办状态", code="task_not_open")
    run.complete(spiff_task, data)
    now = models.utcnow()
    task.state, task.completed_at, task.completed_by = "completed", now, user.username
    task.assignee = task.assignee or user.username
    task.data = data
    apply_effects(uow, case, meta, data, now)
    case.data = run.data
    save_run(uow, case, run)
    record(uow, case, user.username, "complete", task, {"data": data, "comment": comment or ""})
    synced = sync_tasks(uow, case, run, case_rows)
    finish_if_done(uow, case, run, user.username)
    return Completion(case, synced.created, synced.open)
