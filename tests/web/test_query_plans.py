"""Every statement of the clerk's daily path finds its rows through an index (issue 16).

A table that grows with the cases (their steps, history, notices, workflow rows …) must never
be read whole, nor through an index whose leading column the statement does not constrain:
such a statement costs nothing on a test database and a full pass over the county's rows in
production, at every completion. PostgreSQL's planner says which, over a generated county
with its statistics: each statement the path sends is explained with sequential scans priced
out (``enable_seqscan = off``, for the tables the path itself fills), so a scan that remains
has no index to use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, text

from bench.dataset import generate
from engine import models
from engine.db import make_engine
from engine.services.timers import fire_due
from web import create_app

from ..fresh_database import fresh_postgres
from .conftest import Api
from .test_completion_cost import STEPS, new_case

CASES = 5000

# Tables that hold configuration, not cases: a county has tens to thousands of rows there.
SMALL_TABLES = {
    "department",
    "role",
    "user_role",
    "user_account",
    "service_item",
    "process_definition",
    "holiday_calendar",
    "calendar_year",
    "approval_chain",
    "rating_setting",
}
QUOTE = '"'
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan")


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if not executemany and statement.lstrip().split()[0] in ("SELECT", "UPDATE", "DELETE"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def leading_columns(engine: Engine) -> dict[str, tuple[str, str]]:
    """Each index's table and first column."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            )
        )
        return {
            name: (table, re.search(r"\(([^,)\s]+)", definition.split(" USING ", 1)[1])[1])
            for name, table, definition in rows
        }


def unindexed(
    node: dict[str, Any], leading: dict[str, tuple[str, str]], bounded: bool = False
) -> Iterator[str]:
    """Scans of growing tables that no index condition on a leading column narrows. A scan
    under a ``Limit`` walks an index in its order and stops at the page (the inboxes over
    their partial indexes of open steps): bounded by the page, not by the county."""
    kind = node.get("Node Type")
    bounded = bounded or kind == "Limit"
    if kind == "Seq Scan" and node["Relation Name"] not in SMALL_TABLES:
        yield f"{kind} on {node['Relation Name']}"
    if kind in SCANS[1:] and not bounded:
        table, column = leading[node["Index Name"]]
        narrowed = re.search(rf"\b{re.escape(column.strip(QUOTE))}\b", node.get("Index Cond", ""))
        if table not in SMALL_TABLES and not narrowed:
            yield f"{kind} of {node['Index Name']} without its leading column {column}"
    for child in node.get("Plans", []):
        yield from unindexed(child, leading, bounded)


def full_passes(engine: Engine, sent: list[tuple[str, Any]]) -> dict[str, list[str]]:
    leading = leading_columns(engine)
    found: dict[str, list[str]] = {}
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement, parameters in dict(sent).items():
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            [[plan]] = cursor.fetchone()
            connection.rollback()
            scans = list(unindexed(plan["Plan"], leading))
            if scans:
                found[" ".join(statement.split())[:200]] = scans
    finally:
        connection.close()
    return found


@pytest.fixture(scope="module")
def county(postgres_server: str) -> Iterator[Flask]:
    """A fresh database holding thousands of generated cases, their steps, history and
    notices, analysed: the planner then chooses as it would in production."""
    with fresh_postgres(postgres_server) as url:
        engine = make_engine(url)
        generate(engine, CASES, progress=lambda _message: None)  # analysed, notices included
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test-key"})
        yield app
        app.extensions["onewindow.engine"].dispose()


def test_the_clerks_path_reads_through_indexes(county: Flask) -> None:
    window = Api(county.test_client(), "window1")
    engine = county.extensions["onewindow.engine"]
    with captured(engine) as sent:
        case = window.post("/cases", json=new_case(window))
        [task] = case.get_json()["open_tasks"]
        for _ in range(3):  # decide → 补正 (its timer starts) → decide (the timer goes) → 补正
            assert window.post(f"/tasks/{task['id']}/claim").status_code == 200
            done = window.post(f"/tasks/{task['id']}/complete", json={"data": STEPS[task["name"]]})
            assert done.status_code == 200, done.get_json()
            [task] = done.get_json()["next_tasks"]
        assert window.get("/tasks").status_code == 200
        assert window.get("/tasks?scope=department").status_code == 200
        assert window.get("/notifications?unread=true").status_code == 200
        assert window.get(f"/cases/{case.get_json()['case_no']}").status_code == 200
        # forty days on, the 补正 notice's timer falls due and the scheduler fires it (its 督办
        # sweep reads every running case by design: a pass over the open work, not per step)
        later = models.utcnow() + timedelta(days=40)
        assert fire_due(county.extensions["onewindow.sessions"], lambda: later) == 1
    assert sent
    found = full_passes(engine, sent)
    assert not found, "\n".join(f"{sql}\n    {scans}" for sql, scans in found.items())
