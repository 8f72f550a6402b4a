"""Pieces every use case shares: the acting user, loading a case's workflow, saving it back."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import models
from ..runtime import CalledModels, CaseRun, CompiledModel, PendingTimer, UserTask, compiled
from ..uow import UnitOfWork
from ..workdays import step_due_date
from . import sms
from .notifications import announce_new_tasks

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    """The service center's wall clock (for dates such as the case number's); store UTC."""
    return datetime.now(LOCAL_TZ)


@dataclass(frozen=True)
class Definition:
    """A deployed model version as the engine uses it; versions never change once deployed,
    so each process reads a version once and keeps it."""

    id: int
    key: str
    version: int
    hash: str
    process_id: str
    task_meta: dict[str, dict[str, Any]]
    files: dict[str, str]

    def meta(self, spec_name: str) -> dict[str, Any]:
        return self.task_meta.get(spec_name, {})


# Keyed by database as well: one process may serve several (the tests run two side by side).
_definitions: dict[tuple[str, int], Definition] = {}


def database_of(session: Session) -> str:
    return str(session.get_bind().url)


def definition_of(session: Session, definition_id: int) -> Definition:
    key = (database_of(session), definition_id)
    found = _definitions.get(key)
    if found is None:
        row = session.get(models.ProcessDefinition, definition_id)
        found = Definition(
            row.id, row.key, row.version, row.hash, row.process_id, row.task_meta, row.files
        )
        _definitions[key] = found
    return found


def model_of(uow: UnitOfWork, definition_id: int) -> CompiledModel:
    found = definition_of(uow.session, definition_id)
    return compiled(found.id, found.hash, lambda: found.files, found.process_id)


class _RunCache:
    """Workflows this process restored, kept between requests and keyed by the case's version.

    Restoring costs time linear in a case's history, and a case's next step often lands on the
    same worker. A run is taken out while a unit of work uses it and put back only after that
    unit of work commits, with the version the commit wrote — so a rolled-back change never
    leaks, and a copy older than the database is never used (the version check), whatever
    other processes did meanwhile.
    """

    def __init__(self, size: int = 256):
        self._size = size
        self._runs: dict[tuple[str, int], tuple[int, CaseRun]] = {}
        self._lock = threading.Lock()

    def take(self, case_id: tuple[str, int], version: int) -> CaseRun | None:
        with self._lock:
            cached = self._runs.pop(case_id, None)
        return cached[1] if cached is not None and cached[0] == version else None

    def put(self, case_id: tuple[str, int], version: int, run: CaseRun) -> None:
        with self._lock:
            self._runs[case_id] = (version, run)
            while len(self._runs) > self._size:
                del self._runs[next(iter(self._runs))]


RUNS = _RunCache()


def load_run(uow: UnitOfWork, case: models.Case) -> CaseRun:
    run = RUNS.take((database_of(uow.session), case.id), case.version)
    if run is None:
        run = restore_run(uow, case)
    run.use_models(called_models(uow))
    keep(uow, case, run)
    return run


def restore_run(uow: UnitOfWork, case: models.Case) -> CaseRun:
    """The case's workflow restored from the database, never a cached copy."""
    rows = uow.session.execute(
        select(models.WorkflowTask.process, models.WorkflowTask.payload).where(
            models.WorkflowTask.case_id == case.id
        )
    ).all()
    model = model_of(uow, case.definition_id)
    run = CaseRun.restore(model, case.workflow, [tuple(r) for r in rows], called_models(uow))
    run.saved_waits = tuple(run.message_waits())
    return run


def called_models(uow: UnitOfWork) -> CalledModels:
    """Other deployed models, for call activities (engine/services/calls.py)."""
    from .calls import DeployedModels

    return DeployedModels(uow)


def task_definition(session: Session, task: models.HumanTask) -> Definition:
    """The model version a human task's step belongs to: a called model's, or the case's."""
    return definition_of(session, task.definition_id or task.case.definition_id)


def keep(uow: UnitOfWork, case: models.Case, run: CaseRun) -> None:
    """Offer the run to the cache once the unit of work has committed its state."""
    key = (database_of(uow.session), case.id)
    uow.on_commit(lambda: RUNS.put(key, case.version, run))


def save_run(uow: UnitOfWork, case: models.Case, run: CaseRun, now: datetime | None = None) -> None:
    """Write only the task rows the step touched, the instance properties and the timers.

    ``now`` is the scheduler's clock when it drives the case, else the wall clock.
    """
    pending = run.waiting_timers(now or models.utcnow())
    saved_timers = run.saved_timers
    run.saved_timers = tuple(sorted(p.task_id for p in pending))
    changes = run.changes()
    case.workflow = changes.workflow
    session = uow.session
    if case.id is None:
        session.flush()  # a new case row must exist before its task rows reference it
    # Core statements on the session's connection: no ORM object maps these rows, and the
    # ORM's DML path (autoflush, session synchronisation) cost more than the statements.
    connection = session.connection()
    if changes.deletes:
        connection.execute(_DELETE_TASKS, {"case_id": case.id, "ids": changes.deletes})
    if changes.upserts:
        rows = [
            {"case_id": case.id, "id": task_id, "process": process, "payload": payload}
            for task_id, process, payload in changes.upserts
        ]
        connection.execute(_upsert(connection.dialect.name), rows)
    if run.saved_timers != saved_timers:
        _sync_timers(uow, case, pending, saved_timers)
    from .messages import sync_waits  # BPMN messages the case waits for

    sync_waits(uow, case, run)


def _sync_timers(
    uow: UnitOfWork,
    case: models.Case,
    pending: list[PendingTimer],
    saved: tuple[str, ...] | None,
) -> None:
    """One ``timer`` row per waiting timer; rows of timers that stopped waiting go away.

    ``saved`` are the timers the case's last save left waiting (``None``: unknown, read them).
    """
    waiting = {p.task_id: p for p in pending}
    if saved is None:
        saved = tuple(
            uow.session.scalars(
                select(models.Timer.task_id).where(
                    models.Timer.case_id == case.id, models.Timer.fired_at.is_(None)
                )
            )
        )
    gone = set(saved) - waiting.keys()
    if gone:
        uow.session.flush()  # the scheduler's mark on the timer it fires, first: never deleted
        uow.session.connection().execute(_DELETE_TIMERS, {"case_id": case.id, "ids": list(gone)})
    uow.session.add_all(
        models.Timer(case_id=case.id, task_id=task_id, name=timer.name, due_at=timer.due)
        for task_id, timer in waiting.items()
        if task_id not in saved
    )


_DELETE_TASKS = delete(models.WorkflowTask).where(
    models.WorkflowTask.case_id == bindparam("case_id"),
    models.WorkflowTask.id.in_(bindparam("ids", expanding=True)),
)
_DELETE_TIMERS = delete(models.Timer).where(
    models.Timer.case_id == bindparam("case_id"),
    models.Timer.fired_at.is_(None),
    models.Timer.task_id.in_(bindparam("ids", expanding=True)),
)


@functools.cache
def _upsert(dialect: str):
    table = models.WorkflowTask.__table__
    if dialect == "postgresql":
        stmt = pg_insert(table)
    elif dialect == "sqlite":
        stmt = sqlite_insert(table)
    else:  # pragma: no cover - only the two supported databases exist
        return insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["case_id", "id"],
        set_={"payload": stmt.excluded.payload, "process": stmt.excluded.process},
    )


def record(
    uow: UnitOfWork,
    case: models.Case,
    actor: str,
    action: str,
    task: models.HumanTask | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one ``case_event``; every change a user makes goes through here."""
    uow.session.add(
        models.CaseEvent(
            case_id=case.id,
            actor=actor,
            action=action,
            task_id=task.id if task is not None else None,
            task_name=task.name if task is not None else None,
            detail=detail or {},
        )
    )


# The task rows a sync looks at: open ones, an approval chain's step (chains.STEP_STATE) and a
# task waiting for its added signers (services/operations.py).
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
    from . import chains  # approval chain steps (engine/services/chains.py)

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
    # Other rows with a parent (added signers, services/operations.py) end with that row.
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
    return chains.finish_skipped_steps(uow, case, run, synced, ready)


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
    from .scorecard_days import record_finished  # it imports services that import this module

    record_finished(uow, case)
    sms.tell_applicant(uow, case, "finish")
