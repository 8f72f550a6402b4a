"""The production layout on one PostgreSQL database (issue 16, must-show 6): two app servers
without schedulers (``onewindow serve --no-scheduler``) behind a client that alternates between
them, and two schedulers (``onewindow timers``) of their own, while 补正 deadlines fall due in
the middle of the clerks' completions.

Every case ends one way — the clerk's completion or its timer — exactly once; nothing answers
500, every timer that fell due fires once, and no step runs twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from bench.server import running_server, running_timers
from engine import models
from engine.uow import UnitOfWork

from ..conftest import DEMO_PASSWORD
from ..engine.helpers import case_row, complete, event_count, open_names, open_task, start
from ..engine.test_cases import RECEIVED, SUPPLEMENT
from ..fresh_database import fresh_postgres_sessions

CASES = 40
EARLY = CASES // 4  # cases whose deadline has passed when the clerks begin
DECIDE = "受理并当场办结"
STEP = "补正材料"
WAIT = 60.0

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(scope="module")
def database(postgres_server: str) -> Iterator[tuple[str, UowFactory]]:
    with fresh_postgres_sessions(postgres_server) as (url, sessions):
        yield url, lambda: UnitOfWork(sessions)


def _token(base_url: str) -> str:
    login = {"username": "window1", "password": DEMO_PASSWORD}
    response = requests.post(f"{base_url}/api/v1/auth/token", json=login, timeout=WAIT)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _unfired_due(make_uow: UowFactory) -> int:
    with make_uow() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(models.Timer)
            .where(models.Timer.fired_at.is_(None), models.Timer.due_at <= models.utcnow())
        )


def _wait_fired(make_uow: UowFactory, case_no: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with make_uow() as uow:
            fired = uow.session.scalar(
                select(func.count())
                .select_from(models.Timer)
                .join(models.Case, models.Case.id == models.Timer.case_id)
                .where(models.Case.case_no == case_no, models.Timer.fired_at.is_not(None))
            )
        if fired:
            return
        time.sleep(0.05)


def test_two_servers_and_two_schedulers_share_one_database(database) -> None:
    url, make_uow = database
    case_nos = [start(make_uow, "个体工商户设立登记") for _ in range(CASES)]
    for case_no in case_nos:
        complete(make_uow, "window1", case_no, DECIDE, SUPPLEMENT)
    steps = [open_task(make_uow, case_no, STEP) for case_no in case_nos]
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(url, 1, "--no-scheduler")) for _ in range(2)]
        for _ in range(2):
            stack.enter_context(running_timers(url))
        tokens = [_token(server.base_url) for server in servers]
        # the deadlines fall due from the first case on, 40 ms apart, the first quarter's
        # already; the clerks start from the last case: the two meet in the middle
        with make_uow() as uow:
            start_at = models.utcnow() - timedelta(milliseconds=40 * EARLY)
            for index, case_no in enumerate(case_nos):
                case_id = select(models.Case.id).where(models.Case.case_no == case_no)
                uow.session.execute(
                    update(models.Timer)
                    .where(models.Timer.case_id == case_id.scalar_subquery())
                    .values(due_at=start_at + timedelta(milliseconds=40 * index))
                )

        def clerk(index: int) -> int:
            if index < EARLY:  # clerks can be quicker than a scheduler's poll: let it win these
                _wait_fired(make_uow, case_nos[index])
            server = index % 2  # each next request goes to the other server
            response = requests.post(
                f"{servers[server].base_url}/api/v1/tasks/{steps[index]}/complete",
                json={"data": RECEIVED},
                headers={"Authorization": f"Bearer {tokens[server]}"},
                timeout=WAIT,
            )
            return response.status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(clerk, reversed(range(CASES))))[::-1]
        deadline = time.monotonic() + WAIT
        while _unfired_due(make_uow) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert set(statuses) <= {200, 409}, statuses
    assert _unfired_due(make_uow) == 0
    outcomes = {"completed": 0, "timer": 0}
    for case_no, status in zip(case_nos, statuses, strict=True):
        completions, timers = (
            event_count(make_uow, case_no, "complete"),
            event_count(make_uow, case_no, "timer"),
        )
        if status == 200:
            assert (completions, timers) == (2, 0), case_no
            assert open_names(make_uow, case_no) == [DECIDE], case_no
            outcomes["completed"] += 1
        else:  # the timer came first: the step was gone when the clerk completed it
            assert (completions, timers) == (1, 1), case_no
            assert case_row(make_uow, case_no).status == "finished", case_no
            outcomes["timer"] += 1
    assert outcomes["completed"] and outcomes["timer"], outcomes
