"""Where a task completion's time goes, in process: ``python -m bench.completion_profile``.

Round the demo's 补正 loop (bench/settings.py) through the Flask app's test client on a fresh
database, every step on a "worker" that must restore the case (the run cache is emptied before
each completion, as when the next clerk's request lands on another server), ten fresh cases
every hundred completions so the histories stay young as in ``make bench``. Prints the SQL one
completion sends, the worker's CPU and wall time per completion, and the functions of engine/
and web/ that cost most (cProfile, CPU time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from engine.services import common
from web import create_app

from .databases import BenchDatabase, postgres_database, sqlite_database
from .settings import APPLICANT, CLERKS, PASSWORD, STEP_DATA, TASK_NAMES

CASES = 10
YOUNG = 100  # completions before the loop moves to fresh cases
WARM_UP = 20


class Loop:
    """Cases going round the 补正 loop as one clerk, over the app's test client."""

    def __init__(self, client: FlaskClient, service_item: str):
        self.client, self.service_item = client, service_item
        token = client.post(
            "/api/v1/auth/token", json={"username": CLERKS[0], "password": PASSWORD}
        ).get_json()["token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.open: list[tuple[str, str]] = []
        self.done = 0

    def _fresh_cases(self) -> None:
        self.open = []
        for _ in range(CASES):
            body = {"service_item": self.service_item, "applicant": APPLICANT, "data": {}}
            reply = self.client.post("/api/v1/cases", json=body, headers=self.headers)
            [task] = reply.get_json()["open_tasks"]
            self.open.append((task["id"], TASK_NAMES[task["name"]]))

    def complete(self) -> None:
        if self.done % YOUNG == 0:
            self._fresh_cases()
        index = self.done % CASES
        task_id, step = self.open[index]
        with common.RUNS._lock:
            common.RUNS._runs.clear()
        reply = self.client.post(
            f"/api/v1/tasks/{task_id}/complete",
            json={"data": STEP_DATA[step]},
            headers=self.headers,
        )
        if reply.status_code != 200:
            raise RuntimeError(reply.get_data(as_text=True))
        [task] = reply.get_json()["next_tasks"]
        self.open[index] = (task["id"], TASK_NAMES[task["name"]])
        self.done += 1


def _statements(engine: Engine, loop: Loop) -> list[str]:
    """The SQL of one completion (not one that starts the next fresh cases)."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    while loop.done % YOUNG == 0:
        loop.complete()
    event.listen(engine, "before_cursor_execute", count)
    try:
        loop.complete()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return sent


def profile(database: Callable[[], AbstractContextManager[BenchDatabase]], count: int) -> None:
    with database() as db:
        app = create_app({"DATABASE_URL": db.url, "SECRET_KEY": "bench-" + "x" * 32})
        loop = Loop(app.test_client(), db.service_item)
        for _ in range(WARM_UP):
            loop.complete()
        sent = _statements(app.extensions["onewindow.engine"], loop)
        print(f"{db.backend}: {len(sent)} statements in one completion")
        for statement in sent:
            print(f"  {statement[:150]}")
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            loop.complete()
        cpu_ms = (time.process_time() - cpu) * 1000 / count
        wall_ms = (time.perf_counter() - wall) * 1000 / count
        print(f"{db.backend}: CPU {cpu_ms:.2f} ms, wall {wall_ms:.2f} ms per completion ({count})")
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(count):
            loop.complete()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"(engine|web)/", 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--count", type=int, default=300, help="completions timed")
    args = parser.parse_args()
    profile(sqlite_database if args.sqlite else postgres_database, args.count)


if __name__ == "__main__":
    main()
