"""What one task completion over HTTP costs the database (issue 16, must-show 1).

Round the demo's 即办件 补正 loop: each completion authenticates, locks the case (reading its
workflow properties with it), reads the case's open task rows once, then writes. Counted from
the SQL the app's engine sends (BEGIN aside).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from engine.services import common

from .conftest import Api
from .test_api_journey import item_code

DECIDE = {
    "decision": "supplement",
    "materials_checked": True,
    "reason": "经营场所使用证明缺失，请一次性补正",
    "missing_materials": ["经营场所使用证明"],
}
SUPPLY = {"received_materials": ["经营场所使用证明"], "received_via": "窗口递交"}
STEPS = {"受理并当场办结": DECIDE, "补正材料": SUPPLY}
# token, case lock (with its service item), the case's open rows — the timers the case left
# waiting are saved with its workflow properties, so the timer table is only written
READS = 3
# the case, the task, the workflow tasks (SQLite: one delete of the branch that ended, one
# upsert; PostgreSQL: both in one statement), the event, the next task, its notice, the timer
# row written or deleted, and the one UPDATE that marks read the notices of the step just done
# (issue 15: notifications close themselves)
WRITES = {"sqlite": 9, "postgresql": 8}


def new_case(window: Api) -> dict[str, Any]:
    """The body that starts a 个体工商户设立登记 (the demo's 即办件 with its 补正 loop)."""
    item = item_code(window, "个体工商户设立登记")
    applicant = {
        "kind": "person",
        "name": "张三",
        "id_type": "居民身份证",
        "id_number": "330102199001011234",
    }
    return {"service_item": item, "applicant": applicant}


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):
            sent.append(" ".join(statement.split()))

    engine = app.extensions["onewindow.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_completion_reads_each_row_once(app: Flask, api, backend: str) -> None:
    window = api("window1")
    case = window.post("/cases", json=new_case(window))
    assert case.status_code == 201, case.get_json()
    [task] = case.get_json()["open_tasks"]
    for turn in range(6):  # decide → 补正 (its timer starts) → decide (the timer goes) …
        if turn >= 4:  # … and on a worker that never saw the case: it restores the case
            common.RUNS._runs.clear()
        with statements(app) as sent:
            response = window.post(
                f"/tasks/{task['id']}/complete", json={"data": STEPS[task["name"]]}
            )
        assert response.status_code == 200, response.get_json()
        [task] = response.get_json()["next_tasks"]
        reads = [s for s in sent if s.startswith("SELECT")]
        restored = turn >= 4  # its workflow tasks came with one more read; the case with the lock
        assert len(reads) <= READS + restored, reads
        assert len(sent) - len(reads) <= WRITES[backend], sent
        assert sum(s.startswith('SELECT "case"') for s in sent) == 1, reads
        assert sum(s.startswith("SELECT human_task") for s in sent) == 1, reads
        assert not [s for s in reads if "FROM timer" in s], reads
