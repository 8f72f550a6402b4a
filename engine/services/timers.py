"""The timer scheduler: fires due BPMN timers exactly once, whatever runs it and how often.

Due moments live in the ``timer`` table, so a restart loses nothing: a timer that fell due
while the server was down fires on the first pass after it starts. Each timer is taken with
``FOR UPDATE SKIP LOCKED`` and marked fired in the same transaction that advances its case,
so two schedulers on one PostgreSQL database never fire it twice (SQLite serialises writers).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .. import models
from ..errors import ModelRuntimeError
from ..uow import UnitOfWork
from . import clock as clock_service
from .common import load_run, record, save_run
from .notifications import close_settled
from .progress import finish_if_done, sync_tasks

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# A failing timer is tried this often (Camunda's job executor default), a minute more apart
# each time, before it becomes an incident for an administrator.
MAX_ATTEMPTS = int(os.environ.get("ONEWINDOW_TIMER_ATTEMPTS", "3"))
RETRY_DELAY = timedelta(minutes=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def fire_one(sessions: sessionmaker[Session], now: datetime, worker: str) -> bool:
    """Fire the most overdue timer that may fire now; False when none is due.

    Locks are taken case first, then timer — the order every completion takes them in — so a
    clerk completing a step while its timer falls due never deadlocks with the scheduler. A
    timer whose step fails (the model raises) is retried ``MAX_ATTEMPTS`` times, a little
    later each time, then becomes an incident; either way the pass goes on with the others.
    """
    picked = _next_due(sessions, now)
    if picked is None:
        return False
    timer_id, case_id = picked
    try:
        with UnitOfWork(sessions) as uow:
            case = uow.session.get(models.Case, case_id, with_for_update=True)
            timer = uow.session.scalars(
                select(models.Timer)
                .where(models.Timer.id == timer_id, models.Timer.fired_at.is_(None))
                .with_for_update(skip_locked=True)
            ).first()
            if timer is not None:
                fire(uow, case, timer, now, worker, "system")
    except SQLAlchemyError:
        raise
    except Exception as error:  # the model's step failed: nothing of it was saved
        log.warning("timer %s of case %s failed: %s", timer_id, case_id, error)
        _failed(sessions, timer_id, error, now)
    return True


def _next_due(sessions: sessionmaker[Session], now: datetime) -> tuple[int, int] | None:
    with UnitOfWork(sessions) as uow:
        row = uow.session.execute(
            select(models.Timer.id, models.Timer.case_id)
            .where(
                models.Timer.fired_at.is_(None),
                models.Timer.due_at <= now,
                models.Timer.attempts < MAX_ATTEMPTS,
                or_(models.Timer.retry_at.is_(None), models.Timer.retry_at <= now),
            )
            .order_by(models.Timer.due_at, models.Timer.id)
            .limit(1)
        ).first()
    return (row[0], row[1]) if row is not None else None


def fire(
    uow: UnitOfWork,
    case: models.Case,
    timer: models.Timer,
    now: datetime,
    worker: str,
    actor: str,
) -> None:
    """Fire one timer of a locked case in the caller's unit of work."""
    timer.fired_at, timer.fired_by = now, worker
    run = load_run(uow, case)
    if not run.fire_timer(timer.task_id):
        log.info("timer %s of case %s no longer waits", timer.id, case.case_no)
        return
    save_run(uow, case, run, now)
    record(
        uow,
        case,
        actor,
        "timer",
        detail={"timer": timer.name, "due_at": timer.due_at.isoformat()},
    )
    sync_tasks(uow, case, run)
    close_settled(uow, case)  # the 新待办 of a step the timer ended
    finish_if_done(uow, case, run, actor)


def _failed(sessions: sessionmaker[Session], timer_id: int, error: Exception, now: datetime):
    """Count the failed attempt; the last one opens an incident on the case."""
    explained = error if isinstance(error, ModelRuntimeError) else None
    message = explained.message if explained is not None else f"{type(error).__name__}: {error}"
    with UnitOfWork(sessions) as uow:
        timer = uow.session.get(models.Timer, timer_id)
        case = uow.session.get(models.Case, timer.case_id, with_for_update=True)
        uow.session.refresh(timer, with_for_update=True)
        if timer.fired_at is not None:
            return
        timer.attempts += 1
        timer.last_error = message
        timer.retry_at = now + RETRY_DELAY * timer.attempts
        if timer.attempts >= MAX_ATTEMPTS:
            details = explained.details if explained is not None else {}
            _open_incident(uow, case, timer, message, details)


def _open_incident(
    uow: UnitOfWork,
    case: models.Case,
    timer: models.Timer,
    message: str,
    details: dict[str, Any],
) -> models.Incident:
    """One open incident per failing timer; the case's history says it happened."""
    found = uow.session.scalars(
        select(models.Incident).where(
            models.Incident.timer_id == timer.id, models.Incident.resolved_at.is_(None)
        )
    ).first()
    if found is not None:
        found.message, found.details = message, details
        return found
    incident = models.Incident(
        case=case,
        source="timer",
        timer_id=timer.id,
        element_id=str(details.get("element_id") or ""),
        message=message,
        details={**details, "timer": timer.name, "attempts": timer.attempts},
    )
    uow.session.add(incident)
    record(uow, case, "system", "incident", detail={"timer": timer.name, "message": message})
    return incident


def fire_due(
    sessions: sessionmaker[Session], clock: Clock, worker: str | None = None, limit: int = 500
) -> int:
    """Fire every due timer (up to ``limit`` per pass); returns how many were taken.

    The pass also starts the clock of applications whose 补正 notice came too late (行政许可法
    art. 32: accepted on receipt), which like a timer fall due as days pass.
    """
    worker = worker or worker_name()
    fired = 0
    while fired < limit and fire_one(sessions, clock(), worker):
        fired += 1
    with UnitOfWork(sessions) as uow:
        clock_service.five_day_rule(uow)
    return fired


class Scheduler:
    """A daemon thread that runs ``run`` (``fire_due``, or a whole pass: services/scheduling.py)
    every ``interval`` seconds until stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        interval: float = 30.0,
        run: Callable[[sessionmaker[Session], Clock], Any] = fire_due,
    ):
        self._sessions, self._clock, self._interval, self._run = sessions, clock, interval, run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="onewindow-timers", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run(self._sessions, self._clock)
            except Exception:  # a bad case must not stop every other timer
                log.exception("timer pass failed")
            self._stop.wait(self._interval)
