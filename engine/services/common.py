"""Pieces every use case shares: the acting user, loading a case's workflow, saving it back."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, delete, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import models
from ..runtime import CaseRun, PendingTimer
from ..runtime.state import Changes
from ..uow import UnitOfWork
from .deployed import called_models, database_of, model_of

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    """The service center's wall clock (for dates such as the case number's); store UTC."""
    return datetime.now(LOCAL_TZ)


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
    rows = uow.session.execute(_WORKFLOW_ROWS, {"case_id": case.id}).all()
    model = model_of(uow, case.definition_id)
    run = CaseRun.restore(model, case.workflow, [tuple(r) for r in rows], called_models(uow))
    run.saved_waits = tuple(run.message_waits())
    return run


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
    # Core statements on the session's connection: no ORM object maps these rows, and the
    # ORM's DML path (autoflush, session synchronisation) cost more than the statements.
    _write_tasks(session.connection(), case.id, changes)
    if run.saved_timers != saved_timers:
        _sync_timers(uow, case, pending, saved_timers)
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
        if any(isinstance(row, models.Timer) for row in uow.session.dirty):
            uow.session.flush()  # the scheduler's mark on the timer it fires first: kept
        uow.session.connection().execute(_DELETE_TIMERS, {"case_id": case.id, "ids": list(gone)})
    new = [
        {"case_id": case.id, "task_id": task_id, "name": timer.name, "due_at": timer.due}
        for task_id, timer in waiting.items()
        if task_id not in saved
    ]
    if new:
        uow.session.connection().execute(_INSERT_TIMER, new)


_WORKFLOW_ROWS = select(models.WorkflowTask.process, models.WorkflowTask.payload).where(
    models.WorkflowTask.case_id == bindparam("case_id")
)
_INSERT_TIMER = insert(models.Timer)
_INSERT_EVENT = insert(models.CaseEvent)


def _write_tasks(connection: Connection, case_id: int, changes: Changes) -> None:
    """The task rows of a save: those that ended go, the touched ones are upserted."""
    if not (changes.deletes or changes.upserts):
        return
    if connection.dialect.name == "postgresql":
        rows = changes.upserts
        connection.execute(
            _PG_WRITE_TASKS,
            {
                "case_id": case_id,
                "gone": changes.deletes,
                "ids": [task_id for task_id, _process, _payload in rows],
                "processes": [process for _task_id, process, _payload in rows],
                "payloads": [payload for _task_id, _process, payload in rows],
            },
        )
        return
    if changes.deletes:
        connection.execute(_DELETE_TASKS, {"case_id": case_id, "ids": changes.deletes})
    if changes.upserts:
        rows = [
            {"case_id": case_id, "id": task_id, "process": process, "payload": payload}
            for task_id, process, payload in changes.upserts
        ]
        connection.execute(_SQLITE_UPSERT, rows)


_DELETE_TASKS = delete(models.WorkflowTask).where(
    models.WorkflowTask.case_id == bindparam("case_id"),
    models.WorkflowTask.id.in_(bindparam("ids", expanding=True)),
)
_DELETE_TIMERS = delete(models.Timer).where(
    models.Timer.case_id == bindparam("case_id"),
    models.Timer.fired_at.is_(None),
    models.Timer.task_id.in_(bindparam("ids", expanding=True)),
)
_SQLITE_INSERT = sqlite_insert(models.WorkflowTask.__table__)
_SQLITE_UPSERT = _SQLITE_INSERT.on_conflict_do_update(
    index_elements=["case_id", "id"],
    set_={"payload": _SQLITE_INSERT.excluded.payload, "process": _SQLITE_INSERT.excluded.process},
)
# PostgreSQL takes a save in one statement, one round trip: the ended rows deleted in a CTE
# and the touched ones upserted from arrays (``unnest``), where an executemany sent one
# execution per row. Deleted and upserted ids never meet (an ended task is gone from the tree).
_PG_WRITE_TASKS = text(
    """
    WITH gone AS (
        DELETE FROM workflow_task
        WHERE case_id = :case_id AND id = ANY(CAST(:gone AS varchar[]))
    )
    INSERT INTO workflow_task (case_id, id, process, payload)
    SELECT :case_id, t.id, t.process, t.payload
    FROM unnest(
        CAST(:ids AS varchar[]), CAST(:processes AS varchar[]), CAST(:payloads AS varchar[])
    ) AS t(id, process, payload)
    ON CONFLICT (case_id, id) DO UPDATE SET payload = excluded.payload, process = excluded.process
    """
)


def record(
    uow: UnitOfWork,
    case: models.Case,
    actor: str,
    action: str,
    task: models.HumanTask | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one ``case_event``; every change a user makes goes through here.

    A Core statement, written at once: events are never read back as objects in the unit of
    work that records them, and the ORM's flush of one more mapper per completion cost more
    than the INSERT itself (issue 16).
    """
    event = {
        "case_id": case.id,
        "at": models.utcnow(),
        "actor": actor,
        "action": action,
        "task_id": task.id if task is not None else None,
        "task_name": task.name if task is not None else None,
        "detail": detail or {},
    }
    uow.session.connection().execute(_INSERT_EVENT, event)


def sync_waits(uow: UnitOfWork, case: models.Case, run: CaseRun) -> None:
    """One ``message_wait`` row per message the case waits for; nothing to do (no query) when
    the waits did not change since the last save."""
    waits = tuple(run.message_waits())
    if waits == run.saved_waits:
        return
    current = {(w.task_id, w.name): w for w in waits}
    rows = uow.session.scalars(
        select(models.MessageWait).where(models.MessageWait.case_id == case.id)
    ).all()
    gone = [row.id for row in rows if (row.task_id, row.name) not in current]
    if gone:
        uow.session.execute(delete(models.MessageWait).where(models.MessageWait.id.in_(gone)))
    kept = {(row.task_id, row.name): row for row in rows if row.id not in gone}
    for key, wait in current.items():
        row = kept.get(key)
        if row is None:
            uow.session.add(
                models.MessageWait(
                    case_id=case.id,
                    task_id=wait.task_id,
                    name=wait.name,
                    correlation=wait.correlation,
                )
            )
        elif row.correlation != wait.correlation:
            row.correlation = wait.correlation
    run.saved_waits = waits
