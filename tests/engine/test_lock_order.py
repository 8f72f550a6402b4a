"""Clerks complete 补正 steps while their timers fall due, on PostgreSQL (issue 16, must-show 4).

Each case's 补正材料 step has a boundary timer. For every case a clerk's completion and a
scheduler pass start at the same moment (a barrier): one of them wins, the other finds the step
or the timer gone — never a deadlock, never a 500. Before the case row was locked first by every
writer, the completion locked its task row and then waited for the case the scheduler held,
while the scheduler, cancelling that task, waited for the task row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.errors import Conflict
from engine.services import operations
from engine.services import tasks as task_service
from engine.services.timers import fire_one
from engine.uow import UnitOfWork

from ..fresh_database import fresh_postgres_sessions
from .helpers import case_row, complete, event_count, open_names, open_task, start, user
from .test_cases import RECEIVED, SUPPLEMENT

CASES = 30
DECIDE = "受理并当场办结"
STEP = "补正材料"

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(scope="module")
def pg(postgres_server: str) -> Iterator[tuple[sessionmaker[Session], UowFactory]]:
    with fresh_postgres_sessions(postgres_server) as (_url, sessions):
        yield sessions, lambda: UnitOfWork(sessions)


def _race(calls: list[Callable[[], object]]) -> list[BaseException | None]:
    """Run the calls at one moment, each on its thread; what each raised, if anything."""
    barrier = threading.Barrier(len(calls))
    raised: list[BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            calls[index]()
        except BaseException as error:  # the test reports every failure, whatever it is
            raised[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return raised


def _due_steps(make_uow: UowFactory) -> tuple[list[str], dict[str, str], datetime]:
    """Cases waiting at 补正材料 whose deadlines pass one second apart, in case order."""
    case_nos = [start(make_uow, "个体工商户设立登记") for _ in range(CASES)]
    for case_no in case_nos:
        complete(make_uow, "window1", case_no, DECIDE, SUPPLEMENT)
    steps = {case_no: open_task(make_uow, case_no, STEP) for case_no in case_nos}
    base = models.utcnow() - timedelta(hours=1)
    with make_uow() as uow:
        for index, case_no in enumerate(case_nos):
            case_id = select(models.Case.id).where(models.Case.case_no == case_no)
            uow.session.execute(
                update(models.Timer)
                .where(models.Timer.case_id == case_id.scalar_subquery())
                .values(due_at=base + timedelta(seconds=index))
            )
    return case_nos, steps, base


def _unexpected(error: BaseException | None) -> bool:
    """Losing the race is a 409 (the step is gone); anything else is a failure."""
    return error is not None and not (isinstance(error, Conflict) and error.code == "task_not_open")


def test_timers_falling_due_while_clerks_complete_never_deadlock(pg) -> None:
    sessions, make_uow = pg
    case_nos, steps, base = _due_steps(make_uow)

    def clerk(case_no: str) -> Callable[[], object]:
        def run() -> object:
            with make_uow() as uow:
                return task_service.complete(uow, user(uow, "window1"), steps[case_no], RECEIVED)

        return run

    def scheduler(index: int) -> Callable[[], object]:  # only this case's timer is due yet
        return lambda: fire_one(sessions, base + timedelta(seconds=index, milliseconds=500), "t")

    failures = []
    for index, case_no in enumerate(case_nos):
        completion, firing = _race([clerk(case_no), scheduler(index)])
        if _unexpected(completion):
            failures.append((case_no, repr(completion)))
        if firing is not None:
            failures.append((case_no, repr(firing)))
    assert failures == [], failures

    outcomes = {"completed": 0, "timer": 0}
    for case_no in case_nos:
        completed, fired = (
            event_count(make_uow, case_no, "complete"),
            event_count(make_uow, case_no, "timer"),
        )
        assert completed + fired == 2, (case_no, completed, fired)  # the 补正 decision + one
        if fired:
            assert case_row(make_uow, case_no).status == "finished", case_no
            outcomes["timer"] += 1
        else:
            assert open_names(make_uow, case_no) == [DECIDE], case_no
            outcomes["completed"] += 1
    assert outcomes["completed"] and outcomes["timer"], outcomes


def test_timers_falling_due_while_clerks_transfer_never_deadlock(pg) -> None:
    """转办 and the other task operations lock the case first too (services/operations.py)."""
    sessions, make_uow = pg
    case_nos, steps, base = _due_steps(make_uow)

    def transfer(case_no: str) -> Callable[[], object]:
        def run() -> object:
            with make_uow() as uow:
                return operations.transfer(
                    uow, user(uow, "window1"), steps[case_no], "window2", "换人办理"
                )

        return run

    failures = []
    for index, case_no in enumerate(case_nos):
        moment = base + timedelta(seconds=index, milliseconds=500)
        moved, firing = _race([transfer(case_no), lambda at=moment: fire_one(sessions, at, "t")])
        if _unexpected(moved):
            failures.append((case_no, repr(moved)))
        if firing is not None:
            failures.append((case_no, repr(firing)))
    assert failures == [], failures
    assert all(event_count(make_uow, n, "timer") == 1 for n in case_nos)
