"""kill -9 of a server worker on PostgreSQL, during completions and during timer firing
(issue 9, must-show 3): every acknowledged completion is there, none is half-applied, every
timer fires once. A real ``onewindow serve`` (gunicorn, 2 workers, the scheduler in each) runs on
a database of its own; gunicorn's master starts a new worker for each one killed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from bench.server import Server, running_server
from engine import models
from engine.db import make_engine, make_session_factory
from engine.uow import UnitOfWork

from ..conftest import DEMO_PASSWORD
from ..engine.helpers import case_row, open_names, open_task, start
from ..engine.test_cases import SUPPLEMENT
from ..fresh_database import fresh_postgres

CASES = 48
CLIENTS = 4
WORKERS = 2
DECIDE = "受理并当场办结"
WAIT = 30.0

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(scope="module")
def database(postgres_server: str) -> Iterator[tuple[str, UowFactory]]:
    """Its URL, for the server, and units of work on it, to set up and to look inside."""
    with fresh_postgres(postgres_server) as url:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        yield url, lambda: UnitOfWork(factory)
        engine.dispose()


def test_kill_9_during_completions_and_timer_firing(
    database: tuple[str, UowFactory], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEWINDOW_SCHEDULER_INTERVAL", "0.2")
    url, make_uow = database
    case_nos = [start(make_uow, "个体工商户设立登记") for _ in range(CASES)]
    tasks = {case_no: open_task(make_uow, case_no, DECIDE) for case_no in case_nos}
    with running_server(url, WORKERS) as server:
        acknowledged = _complete_while_killing(server, tasks)
        assert 0 < len(acknowledged) < CASES, "the kills must land among the completions"
        _wait_for_workers(server)
        for case_no, task_id in tasks.items():  # the unacknowledged ones: done once, or now
            if case_no not in acknowledged:
                assert _complete(server, _token(server), task_id) in (200, 409, 404)
        for case_no in case_nos:
            assert _events(make_uow, case_no, "complete") == 1, case_no
            assert open_names(make_uow, case_no) == ["补正材料"], case_no
            assert case_row(make_uow, case_no).supplement_rounds == 1, "effects applied once"

        _make_timers_due(make_uow, case_nos)
        kills = _kill_while_timers_fire(server, make_uow, case_nos)
        assert kills, "the kills must land among the timers"
        for case_no in case_nos:
            assert _events(make_uow, case_no, "timer") == 1, case_no
            case = case_row(make_uow, case_no)
            assert (case.status, case.result) == ("finished", "5"), case_no
            assert open_names(make_uow, case_no) == []


def _token(server: Server) -> str:
    login = {"username": "window1", "password": DEMO_PASSWORD}
    response = requests.post(f"{server.base_url}/api/v1/auth/token", json=login, timeout=10)
    return response.json()["token"]


def _complete(server: Server, token: str, task_id: str) -> int | None:
    """The status, or None when the connection broke before the whole answer came (not
    acknowledged, whether or not it was applied)."""
    try:
        response = requests.post(
            f"{server.base_url}/api/v1/tasks/{task_id}/complete",
            json={"data": SUPPLEMENT},
            headers={"Authorization": f"Bearer {token}"},
            timeout=WAIT,
        )
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        return None
    return response.status_code


def _kill_one_worker(server: Server) -> bool:
    workers = server.worker_pids()
    if workers:
        os.kill(workers[0], signal.SIGKILL)
    return bool(workers)


def _complete_while_killing(server: Server, tasks: dict[str, str]) -> set[str]:
    """Completes every task from ``CLIENTS`` threads; a worker is killed after a quarter and
    after half of the answers. The case numbers whose completion answered 200."""
    token = _token(server)
    answered: list[str] = []
    lock = threading.Lock()

    def work(case_no: str) -> None:
        status = _complete(server, token, tasks[case_no])
        with lock:
            if status == 200:
                answered.append(case_no)

    def killer() -> None:
        for share in (4, 2):
            while len(answered) < CASES // share:
                time.sleep(0.005)
            _kill_one_worker(server)

    watcher = threading.Thread(target=killer, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(work, tasks))
    watcher.join(timeout=WAIT)
    return set(answered)


def _serving(server: Server) -> bool:
    try:
        ready = requests.get(f"{server.base_url}/api/v1/openapi.json", timeout=5).ok
    except requests.RequestException:
        return False
    return ready and len(server.worker_pids()) == WORKERS


def _wait_for_workers(server: Server) -> None:
    deadline = time.monotonic() + WAIT
    while not _serving(server):
        assert time.monotonic() < deadline, "gunicorn did not replace the killed workers"
        time.sleep(0.1)


def _case_ids(uow: UnitOfWork, case_nos: list[str]) -> list[int]:
    return list(
        uow.session.scalars(select(models.Case.id).where(models.Case.case_no.in_(case_nos)))
    )


def _make_timers_due(make_uow: UowFactory, case_nos: list[str]) -> None:
    """The 补正 deadline is days away: move it into the past, as the days would."""
    with make_uow() as uow:
        due = models.utcnow() - timedelta(seconds=1)
        uow.session.execute(
            update(models.Timer)
            .where(models.Timer.case_id.in_(_case_ids(uow, case_nos)))
            .values(due_at=due)
        )


def _unfired(make_uow: UowFactory, case_nos: list[str]) -> int:
    with make_uow() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(models.Timer)
            .where(
                models.Timer.case_id.in_(_case_ids(uow, case_nos)),
                models.Timer.fired_at.is_(None),
            )
        )


def _kill_while_timers_fire(server: Server, make_uow: UowFactory, case_nos: list[str]) -> int:
    """Kills a worker whenever some timers have fired and others not yet (twice at most);
    returns how many kills landed so, once every timer has fired."""
    kills, deadline = 0, time.monotonic() + WAIT
    while (left := _unfired(make_uow, case_nos)) and time.monotonic() < deadline:
        if kills < 2 and left < len(case_nos) and _kill_one_worker(server):
            kills += 1
            time.sleep(0.3)
        time.sleep(0.02)
    assert not left, f"{left} timers never fired"
    return kills


def _events(make_uow: UowFactory, case_no: str, action: str) -> int:
    with make_uow() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(models.CaseEvent)
            .join(models.Case, models.Case.id == models.CaseEvent.case_id)
            .where(models.Case.case_no == case_no, models.CaseEvent.action == action)
        )
