"""BPMN timers fire through the scheduler, at their time, exactly once — across restarts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import models
from engine.db import make_engine, make_session_factory
from engine.runtime.state import TIMERS_FLAG
from engine.services import common
from engine.services.timers import fire_due

from .helpers import case_row, complete, open_names, start
from .test_cases import RECEIVED, SUPPLEMENT


def supplement_waiting(uow) -> str:
    case_no = start(uow, "个体工商户设立登记")
    complete(uow, "window1", case_no, "受理并当场办结", SUPPLEMENT)
    assert open_names(uow, case_no) == ["补正材料"]
    return case_no


def timer_of(uow, case_no: str) -> models.Timer:
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return u.session.scalars(select(models.Timer).where(models.Timer.case_id == case.id)).one()


def timer_events(uow, case_no: str) -> int:
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return u.session.scalar(
            select(func.count())
            .select_from(models.CaseEvent)
            .where(models.CaseEvent.case_id == case.id, models.CaseEvent.action == "timer")
        )


def test_an_unanswered_supplement_notice_closes_the_case_as_timed_out(uow, sessions):
    case_no = supplement_waiting(uow)
    timer = timer_of(uow, case_no)
    assert timer.name == "补正期限届满" and timer.fired_at is None
    due = timer.due_at
    assert fire_due(sessions, lambda: due - timedelta(minutes=1)) == 0, "not before its time"
    assert case_row(uow, case_no).status == "running"
    assert fire_due(sessions, lambda: due + timedelta(minutes=1)) >= 1
    case = case_row(uow, case_no)
    assert (case.status, case.result) == ("finished", "5")  # 补正超时驳回
    assert open_names(uow, case_no) == []
    assert fire_due(sessions, lambda: due + timedelta(days=5)) == 0
    assert timer_events(uow, case_no) == 1


def test_a_timer_that_ends_a_step_closes_its_new_task_notifications(uow, sessions):
    case_no = supplement_waiting(uow)

    def unread() -> list[str]:
        with uow() as u:
            case = u.session.scalars(
                select(models.Case).where(models.Case.case_no == case_no)
            ).one()
            return u.session.scalars(
                select(models.Notification.username).where(
                    models.Notification.case_id == case.id,
                    models.Notification.task_id.is_not(None),
                    models.Notification.read_at.is_(None),
                )
            ).all()

    assert unread(), "the window clerks were told of 补正材料"
    due = timer_of(uow, case_no).due_at
    fire_due(sessions, lambda: due + timedelta(minutes=1))
    assert case_row(uow, case_no).status == "finished"
    assert unread() == []


def test_an_answered_notice_cancels_its_timer(uow, sessions):
    case_no = supplement_waiting(uow)
    due = timer_of(uow, case_no).due_at
    complete(uow, "window1", case_no, "补正材料", RECEIVED)
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        assert not u.session.scalars(
            select(models.Timer).where(models.Timer.case_id == case.id)
        ).all()
    fire_due(sessions, lambda: due + timedelta(days=1))
    assert case_row(uow, case_no).status == "running"
    assert case_row(uow, case_no).supplement_rounds == 1


def test_a_timer_due_while_the_server_was_down_fires_once_after_restart(uow, database_url):
    case_no = supplement_waiting(uow)
    due = timer_of(uow, case_no).due_at
    # A new process: its own engine and sessions, nothing cached from before.
    engine = make_engine(database_url)
    try:
        restarted = make_session_factory(engine)
        later = lambda: due + timedelta(hours=6)  # noqa: E731
        assert fire_due(restarted, later) >= 1
        assert fire_due(restarted, later) == 0
    finally:
        engine.dispose()
    assert case_row(uow, case_no).result == "5"
    assert timer_events(uow, case_no) == 1


def test_two_schedulers_never_fire_a_timer_twice(uow, database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    cases = [supplement_waiting(uow) for _ in range(6)]
    latest = max(timer_of(uow, c).due_at for c in cases)
    engines = [make_engine(database_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def scheduler(engine) -> None:
        sessions = make_session_factory(engine)
        barrier.wait()
        counts.append(fire_due(sessions, lambda: latest + timedelta(minutes=1)))

    threads = [threading.Thread(target=scheduler, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for engine in engines:
            engine.dispose()
    assert [timer_events(uow, c) for c in cases] == [1] * 6
    assert all(case_row(uow, c).result == "5" for c in cases)
    assert sum(counts) >= 6


def test_timer_rows_follow_the_waiting_timers_after_a_restore(uow):
    """The timers a save left waiting travel with the case's workflow properties, so a save
    reads no timer row; a case restored on another worker, or saved by a release that kept
    only a flag, still ends with exactly one row per waiting timer."""
    case_no = supplement_waiting(uow)
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        assert case.workflow[TIMERS_FLAG] == unfired_timers(u, case.id)
        case.workflow = {**case.workflow, TIMERS_FLAG: True}  # as an older release saved it
    common.RUNS._runs.clear()
    complete(uow, "window1", case_no, "补正材料", RECEIVED)
    with uow() as u:
        assert unfired_timers(u, case_row(uow, case_no).id) == []
    complete(uow, "window1", case_no, "受理并当场办结", SUPPLEMENT)
    common.RUNS._runs.clear()
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        waiting = unfired_timers(u, case.id)
        assert len(waiting) == 1 and case.workflow[TIMERS_FLAG] == waiting
    complete(uow, "window1", case_no, "补正材料", RECEIVED)
    with uow() as u:
        assert unfired_timers(u, case_row(uow, case_no).id) == []


def unfired_timers(u, case_id: int) -> list[str]:
    return list(
        u.session.scalars(
            select(models.Timer.task_id).where(
                models.Timer.case_id == case_id, models.Timer.fired_at.is_(None)
            )
        )
    )
