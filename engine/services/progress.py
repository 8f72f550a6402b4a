"""A case's progress as people see it: the ``human_task`` projection kept in line with the
workflow after every step (approval-chain steps included), and the finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .. import models
from ..errors import Conflict
from ..runtime import CaseRun, UserTask
from ..uow import UnitOfWork
from ..workdays import step_due_date
from . import chains, sms
from .common import record, save_run
from .deployed import definition_of, task_definition
from .effects import apply_effects
from .notifications import announce_new_tasks
from .scorecard_days import record_finished

# The task rows a sync looks at: open ones, an approval chain's step (chains.STEP_STATE) and a
# task waiting for its added signers (services/signing.py).
SYNCED_STATES = ("ready", "claimed", "chain", "waiting_sign")


def sync_tasks(
    uow: UnitOfWork,
    case: models.Case,
    run: CaseRun,
    case_rows: list[models.HumanTask] | None = None,
) -> TaskSync:
    """Bring the ``human_task`` projection in line with the workflow.

    Open rows whose workflow task is no longer READY were cancelled by the engine (a boundary
    event, a branch that was not taken); the completed task was already closed by its service.
    ``case_rows``: the case's rows in ``SYNCED_STATES`` as the caller read them after locking
    the case, changed only through this session since — one read fewer per completion.
    """
    ready = {t.id: t for t in run.ready_user_tasks()}
    if case_rows is None:
        case_rows = uow.session.scalars(
            select(models.HumanTask).where(
                models.HumanTask.case_id == case.id, models.HumanTask.state.in_(SYNCED_STATES)
            )
        ).all()
    open_rows = [row for row in case_rows if row.state in SYNCED_STATES]
    for row in open_rows:
        if row.id not in ready and row.parent_id is None:
            row.state = "cancelled"
    chains.follow_steps([r for r in open_rows if r.chain_id is not None or r.parent_id is None])
    # Other rows with a parent (added signers, services/signing.py) end with that row.
    still_there = {r.id for r in open_rows if r.state != "cancelled"}
    for row in open_rows:
        if row.parent_id and row.chain_id is None and row.parent_id not in still_there:
            row.state = "cancelled"
    known = {row.id for row in open_rows}
    signers = _signers(uow, [t for i, t in ready.items() if i not in known])
    created = []
    for task_id, task in ready.items():
        if task_id in known:
            continue
        definition_id = task.definition_id or case.definition_id
        info = definition_of(uow.session, definition_id).meta(task.spec_name)
        if chains.CHAIN_PROPERTY in task.properties:
            created += chains.start_step(uow, case, task, info)
            continue
        due_days = _due_days(task, info)
        department = _department_from_data(uow, task) or info.get("department")
        row = models.HumanTask(
            id=task_id,
            case=case,
            spec_name=task.spec_name,
            name=task.name,
            department_code=department or case.intake_department,
            role=info.get("role"),
            state="ready",
            due_working_days=due_days,
            due_date=step_due_date(uow, due_days),
            definition_id=task.definition_id,
        )
        if isinstance(task.item, str) and task.item in signers:  # 会签 over users
            row.assignee, row.candidates = task.item, [task.item]
        uow.session.add(row)
        created.append(row)
    announce_new_tasks(uow, case, created)
    still_open = [row for row in open_rows if row.state in ("ready", "claimed")]
    synced = TaskSync(created, still_open + created)
    skipped = chains.skipped_step(uow, case, run, ready)
    if skipped is None:
        return synced
    after = finish_chain_step(uow, case, skipped)
    return TaskSync(
        [r for r in created if r.state in ("ready", "claimed")] + after.created, after.open
    )


# Step properties naming a field of the case data whose value the step takes: one model serves
# whichever department or limit a case carries (a bad rating goes to the department responsible
# for it, with the limits of the 好差评 settings). Lane and ``dueWorkingDays`` stay the fallback.
DEPARTMENT_FROM = "departmentFrom"
DUE_DAYS_FROM = "dueWorkingDaysFrom"


def _from_data(task: UserTask, prop: str) -> Any:
    field = task.properties.get(prop)
    return task.data.get(field) if field else None


def _department_from_data(uow: UnitOfWork, task: UserTask) -> str | None:
    """The department code the case data names for the step, if it is a department."""
    code = _from_data(task, DEPARTMENT_FROM)
    if not isinstance(code, str) or not code:
        return None
    return uow.session.scalar(select(models.Department.code).where(models.Department.code == code))


def _due_days(task: UserTask, info: dict[str, Any]) -> int | None:
    """The step's limit in working days: from the case data when the step says so."""
    value = _from_data(task, DUE_DAYS_FROM) or info.get("due_working_days")
    try:
        days = int(value) if value else 0
    except (TypeError, ValueError):
        return None
    return days if days > 0 else None


def _signers(uow: UnitOfWork, tasks: list[UserTask]) -> set[str]:
    """Which multi-instance elements among ``tasks`` are usernames (active users)."""
    names = {t.item for t in tasks if isinstance(t.item, str)}
    if not names:
        return set()
    return set(
        uow.session.scalars(
            select(models.User.username).where(
                models.User.username.in_(sorted(names)), models.User.active.is_(True)
            )
        )
    )


@dataclass
class TaskSync:
    created: list[models.HumanTask]
    open: list[models.HumanTask]


def finish_if_done(uow: UnitOfWork, case: models.Case, run: CaseRun, actor: str) -> None:
    if not run.finished or case.status == "finished":
        return
    case.status = "finished"
    case.finished_at = models.utcnow()
    case.result = run.result()
    if case.clock_state in ("running", "paused"):
        case.clock_state = "stopped"  # 办结 stops the clock whichever end event was reached
        record(uow, case, actor, "clock_stop")
    record(uow, case, actor, "finish", detail={"result": case.result})
    record_finished(uow, case)
    sms.tell_applicant(uow, case, "finish")


def finish_chain_step(uow: UnitOfWork, case: models.Case, decided: chains.StepDecision) -> TaskSync:
    """Complete a decided approval-chain step's workflow task through the normal path."""
    run = decided.run
    spiff_task = run.find_ready(decided.step_row.id)
    if spiff_task is None:
        raise Conflict("审批步骤已不在待办状态", code="task_not_open")
    run.complete(spiff_task, decided.data)
    now = models.utcnow()
    chains.close_step(uow, decided, now)
    meta = task_definition(uow.session, decided.step_row).meta(decided.step_row.spec_name)
    apply_effects(uow, case, meta, decided.data, now)
    case.data = run.data
    save_run(uow, case, run)
    synced = sync_tasks(uow, case, run)
    finish_if_done(uow, case, run, decided.actor)
    return synced
