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
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .. import models
from ..uow import UnitOfWork
from .common import finish_if_done, load_run, record, save_run, sync_tasks

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def fire_one(sessions: sessionmaker[Session], now: datetime, worker: str) -> bool:
    """Fire the most overdue timer nobody else holds; False when none is due."""
    with UnitOfWork(sessions) as uow:
        timer = uow.session.scalars(
            select(models.Timer)
            .where(models.Timer.fired_at.is_(None), models.Timer.due_at <= now)
            .order_by(models.Timer.due_at, models.Timer.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if timer is None:
            return False
        case = uow.session.get(models.Case, timer.case_id, with_for_update=True)
        timer.fired_at, timer.fired_by = now, worker
        run = load_run(uow, case)
        if not run.fire_timer(timer.task_id):
            log.info("timer %s of case %s no longer waits", timer.id, case.case_no)
            return True
        save_run(uow, case, run, now)
        record(
            uow,
            case,
            "system",
            "timer",
            detail={"timer": timer.name, "due_at": timer.due_at.isoformat()},
        )
        sync_tasks(uow, case, run)
        finish_if_done(uow, case, run, "system")
    return True


def fire_due(
    sessions: sessionmaker[Session], clock: Clock, worker: str | None = None, limit: int = 500
) -> int:
    """Fire every due timer (up to ``limit`` per pass); returns how many were taken."""
    worker = worker or worker_name()
    fired = 0
    while fired < limit and fire_one(sessions, clock(), worker):
        fired += 1
    return fired


class Scheduler:
    """A daemon thread that runs ``fire_due`` every ``interval`` seconds until stopped."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, interval: float = 30.0):
        self._sessions, self._clock, self._interval = sessions, clock, interval
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
                fire_due(self._sessions, self._clock)
            except Exception:  # a bad case must not stop every other timer
                log.exception("timer pass failed")
            self._stop.wait(self._interval)
