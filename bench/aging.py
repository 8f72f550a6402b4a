"""How one case's stored state and save cost grow with rework rounds (the 补正 loop).

The case is driven in process through the real services (``engine.services``), one committed
unit of work per completion. At each measuring point the next completion is replayed
``SAVE_SAMPLES`` times inside a transaction that is rolled back, so every sample starts from the
same stored state: restore (``load_run``), complete, then ``save_run`` split into
``CaseRun.changes()`` and its database writes (flush + delete + upsert).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select

from engine import models
from engine.runtime import MAX_SAFE_DEPTH, CaseRun, Changes
from engine.runtime.case_run import PRUNE_AT_DEPTH
from engine.services import cases as case_service
from engine.services import tasks as task_service
from engine.services.common import load_run, save_run
from engine.uow import UnitOfWork

from .api_bench import cpu_ms_per
from .client import ApiClient, CaseLoop
from .databases import BenchDatabase
from .server import Farm
from .settings import AGE_ROUNDS, AGED_HTTP_ROUNDS, APPLICANT, CLERKS, SAVE_SAMPLES, STEP_DATA
from .stats import median, ratio, summary_ms

OPEN = ("ready", "claimed")


@dataclass
class SaveSample:
    depth: int
    load: float
    complete: float
    changes: float
    writes: float
    save_cpu: float  # thread CPU time of save_run: contention on a busy machine does not count
    rows_written: int
    bytes_written: int

    @property
    def save(self) -> float:
        return self.changes + self.writes


def _user(uow: UnitOfWork, username: str = CLERKS[0]) -> models.User:
    return uow.session.scalars(select(models.User).where(models.User.username == username)).one()


def start_case(db: BenchDatabase) -> str:
    with UnitOfWork(db.sessions) as uow:
        return case_service.start_case(uow, _user(uow), db.service_item, APPLICANT, {}).case.case_no


def open_task(db: BenchDatabase, case_no: str) -> tuple[str, str]:
    """The case's one open task: its id and step (spec) name."""
    with db.sessions() as session:
        row = session.execute(
            select(models.HumanTask.id, models.HumanTask.spec_name)
            .join(models.Case, models.Case.id == models.HumanTask.case_id)
            .where(models.Case.case_no == case_no, models.HumanTask.state.in_(OPEN))
        ).one()
        return row.id, row.spec_name


@contextmanager
def counted_statements(db: BenchDatabase) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def complete_committed(db: BenchDatabase, case_no: str) -> tuple[float, int]:
    """One completion through ``tasks.complete`` with its commit: duration, SQL statements."""
    task_id, step = open_task(db, case_no)
    with counted_statements(db) as statements:
        started = time.perf_counter()
        with UnitOfWork(db.sessions) as uow:
            task_service.complete(uow, _user(uow), task_id, STEP_DATA[step])
        elapsed = time.perf_counter() - started
    return elapsed, len(statements)


class _TimedChanges:
    """Stands in for ``run.changes`` to time it and keep what it returned."""

    def __init__(self, run: CaseRun):
        self._changes = run.changes
        self.seconds = 0.0
        self.result: Changes | None = None

    def __call__(self) -> Changes:
        started = time.perf_counter()
        self.result = self._changes()
        self.seconds = time.perf_counter() - started
        return self.result


def save_sample(db: BenchDatabase, case_no: str) -> SaveSample:
    """Replay the next completion and its save, then roll everything back."""
    task_id, step = open_task(db, case_no)
    uow = UnitOfWork(db.sessions)
    uow.session = db.sessions()
    try:
        case = uow.lock_case(case_no)
        t0 = time.perf_counter()
        run = load_run(uow, case)
        t1 = time.perf_counter()
        depth = run.max_depth()
        t2 = time.perf_counter()
        run.complete(run.find_ready(task_id), STEP_DATA[step])
        t3 = time.perf_counter()
        timed = _TimedChanges(run)
        run.changes = timed  # type: ignore[method-assign]
        cpu = time.thread_time()
        save_run(uow, case, run)
        t4 = time.perf_counter()
        save_cpu = time.thread_time() - cpu
    finally:
        uow.session.rollback()
        uow.session.close()
    written = timed.result.upserts if timed.result else []
    return SaveSample(
        depth=depth,
        load=t1 - t0,
        complete=t3 - t2,
        changes=timed.seconds,
        writes=t4 - t3 - timed.seconds,
        save_cpu=save_cpu,
        rows_written=len(written),
        bytes_written=sum(len(payload.encode()) for _, _, payload in written),
    )


def state_size(db: BenchDatabase, case_no: str) -> dict[str, int]:
    """Bytes (UTF-8) of the case's ``workflow_task`` payloads and of ``case.workflow``."""
    with db.sessions() as session:
        case = session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        payloads = session.scalars(
            select(models.WorkflowTask.payload).where(models.WorkflowTask.case_id == case.id)
        ).all()
        workflow = json.dumps(case.workflow, ensure_ascii=False, separators=(",", ":"))
    task_bytes = sum(len(p.encode()) for p in payloads)
    workflow_bytes = len(workflow.encode())
    return {
        "task_rows": len(payloads),
        "task_bytes": task_bytes,
        "workflow_bytes": workflow_bytes,
        "total_bytes": task_bytes + workflow_bytes,
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def measure_point(db: BenchDatabase, case_no: str, rounds: int, recent: list) -> dict[str, Any]:
    samples = [save_sample(db, case_no) for _ in range(SAVE_SAMPLES)]
    return {
        "rounds": rounds,
        "depth": samples[0].depth,
        "state": state_size(db, case_no),
        "load_ms": _ms(median([s.load for s in samples])),
        "complete_ms": _ms(median([s.complete for s in samples])),
        "changes_ms": _ms(median([s.changes for s in samples])),
        "writes_ms": _ms(median([s.writes for s in samples])),
        "save_ms": _ms(median([s.save for s in samples])),
        "save_cpu_ms": _ms(median([s.save_cpu for s in samples])),
        "rows_written": samples[0].rows_written,
        "bytes_written": samples[0].bytes_written,
        "service_complete_ms": _ms(median([t for t, _ in recent])),
        "statements": recent[-1][1],
    }


def http_on_case(farm: Farm, db: BenchDatabase, case_no: str, rounds: int) -> dict:
    """Completions of this case over HTTP, each on the other server (a cold cache): latency,
    server CPU, size of the reply."""
    client = ApiClient(farm.urls, CLERKS[0])
    try:
        loop = CaseLoop(case_no, *open_task(db, case_no))
        cpu = farm.cpu_seconds()
        samples = [loop.advance(client) for _ in range(rounds * 2)]
        return {
            **summary_ms(samples),
            "server_cpu_ms": cpu_ms_per(farm, cpu, len(samples)),
            "response_bytes": client.last_response_bytes,
        }
    finally:
        client.close()


def measure(db: BenchDatabase, farm: Farm) -> dict[str, Any]:
    """Save cost and size after each of ``AGE_ROUNDS`` rounds, plus HTTP on the aged case."""
    case_no = start_case(db)
    done, points = 0, {}
    for target in AGE_ROUNDS:
        recent = [complete_committed(db, case_no) for _ in range((target - done) * 2)][-10:]
        point = measure_point(db, case_no, target, recent)
        point["http_complete"] = http_on_case(farm, db, case_no, AGED_HTTP_ROUNDS)
        points[str(target)] = point
        done = target + AGED_HTTP_ROUNDS
    return {"case_no": case_no, "points": points, **_growth(points)}


def _growth(points: dict[str, dict[str, Any]]) -> dict[str, Any]:
    first, last = (points[str(r)] for r in (AGE_ROUNDS[0], AGE_ROUNDS[-1]))
    return {
        "save_ratio": ratio(last["save_ms"], first["save_ms"]),
        "save_cpu_ratio": ratio(last["save_cpu_ms"], first["save_cpu_ms"]),
        "changes_ratio": ratio(last["changes_ms"], first["changes_ms"]),
        "load_ratio": ratio(last["load_ms"], first["load_ms"]),
        "state_ratio": ratio(last["state"]["total_bytes"], first["state"]["total_bytes"]),
        "http_ratio": ratio(last["http_complete"]["p50_ms"], first["http_complete"]["p50_ms"]),
        "prune_at_depth": PRUNE_AT_DEPTH,
        "max_safe_depth": MAX_SAFE_DEPTH,
    }
