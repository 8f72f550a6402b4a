"""Reads over a generated county (bench/dataset.py): inboxes, searches, lights, stats.

Each read is an API call a clerk or designer makes, timed over HTTP against the servers
(``REPEATS`` × ``READ_SAMPLES``, round robin), with the workers' peak memory before and after;
then the same service call runs in process and every SELECT it sent is shown with
``EXPLAIN (ANALYZE, BUFFERS)``: what the figures rest on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from engine import models
from engine.services import cases as case_service
from engine.services import designer as designer_service
from engine.services import scorecards
from engine.services import tasks as task_service
from engine.uow import UnitOfWork
from engine.workdays import today

from .client import ApiClient
from .databases import BenchDatabase
from .explain import explain, selects_of
from .server import Farm
from .settings import READ_SAMPLES, REPEATS
from .stats import median, summary_ms

STATS_MODEL = "enterprise_startup"
Call = Callable[[UnitOfWork, dict[str, models.User]], Any]


def probes(db: BenchDatabase) -> tuple[str, str]:
    """A generated case's number and a person's name from the middle of the data set."""
    with db.sessions() as session:
        count = session.query(models.Case).count()
        case_no = session.scalars(
            select(models.Case.case_no).order_by(models.Case.id).offset(count // 2).limit(1)
        ).one()
        name = session.scalars(
            select(models.Case.applicant_name)
            .where(models.Case.applicant_kind == "person", models.Case.id > count // 3)
            .order_by(models.Case.id)
            .limit(1)
        ).one()
    return case_no, name


def read_calls(case_no: str, name: str) -> dict[str, tuple[str, str, Call]]:
    """Each read: who, the API path, and the service call behind it; the 绩效考核 reads
    cover the year and the month up to today, the dashboard's this month."""
    day = today()
    now = day.isoformat()
    year_ago = (day - timedelta(days=365)).isoformat()
    month_ago = (day - timedelta(days=30)).isoformat()
    month_start = day.replace(day=1).isoformat()
    late = {"finished_from": month_ago, "finished_to": now, "on_time": "false"}
    return {
        "inbox": ("window1", "/tasks", lambda u, us: task_service.list_tasks(u, us["window1"])),
        "inbox_department": (
            "amr1",
            "/tasks?scope=department",
            lambda u, us: task_service.list_tasks(u, us["amr1"], scope="department"),
        ),
        "search_number": (
            "window1",
            f"/cases?q={case_no}",
            lambda u, us: case_service.list_cases(u, us["window1"], q=case_no),
        ),
        "search_number_prefix": (
            "window1",
            f"/cases?q={case_no[:14]}",
            lambda u, us: case_service.list_cases(u, us["window1"], q=case_no[:14]),
        ),
        "search_name": (
            "window1",
            f"/cases?q={quote(name)}",
            lambda u, us: case_service.list_cases(u, us["window1"], q=name),
        ),
        "light_red": (
            "window1",
            "/cases?light=red",
            lambda u, us: case_service.list_cases(u, us["window1"], light="red"),
        ),
        "light_yellow_all": (
            "admin",
            "/cases?light=yellow",
            lambda u, us: case_service.list_cases(u, us["admin"], light="yellow"),
        ),
        "scorecard_year_department": (
            "admin",
            f"/scorecards?from={year_ago}&to={now}&by=department",
            lambda u, us: scorecards.scorecard(u, us["admin"], year_ago, now, "department"),
        ),
        "scorecard_month_clerk": (
            "admin",
            f"/scorecards?from={month_ago}&to={now}&by=clerk",
            lambda u, us: scorecards.scorecard(u, us["admin"], month_ago, now, "clerk"),
        ),
        "scorecard_drill_late": (
            "admin",
            f"/cases?department=amr&finished_from={month_ago}&finished_to={now}&on_time=false",
            lambda u, us: case_service.list_cases(u, us["admin"], department="amr", drill=late),
        ),
        # the 绩效考核 dashboard's data calls for this month: the ranking (whose rows also give
        # the ratings by level), the twelve months' trend and the light distribution
        "dashboard_ranking": (
            "admin",
            f"/scorecards?from={month_start}&to={now}&by=department",
            lambda u, us: scorecards.scorecard(u, us["admin"], month_start, now, "department"),
        ),
        "dashboard_trend": (
            "admin",
            f"/scorecards/trend?from={month_start}&to={now}&by=department",
            lambda u, us: scorecards.trend(u, us["admin"], month_start, now, "department"),
        ),
        "dashboard_lights": (
            "admin",
            "/scorecards/lights",
            lambda u, us: scorecards.lights(u, us["admin"]),
        ),
        "stats": (
            "designer1",
            f"/process-models/{STATS_MODEL}/stats",
            lambda u, us: designer_service.stats(u, us["designer1"], STATS_MODEL, None),
        ),
    }


def timed(farm: Farm, username: str, path: str) -> dict[str, Any]:
    client = ApiClient(farm.urls, username)
    try:
        client.get(path)  # each server's first call builds what it caches
        client.get(path)
        runs = [
            summary_ms([client.get(path)[1] for _ in range(READ_SAMPLES)]) for _ in range(REPEATS)
        ]
    finally:
        client.close()
    return {
        "p50_ms": {
            "min": min(r["p50_ms"] for r in runs),
            "median": median([r["p50_ms"] for r in runs]),
        },
        "p95_ms": {
            "min": min(r["p95_ms"] for r in runs),
            "median": median([r["p95_ms"] for r in runs]),
        },
        "n": sum(r["n"] for r in runs),
    }


def readers(uow: UnitOfWork) -> dict[str, models.User]:
    """The users the reads are made as, by name."""
    found = uow.session.scalars(
        select(models.User).where(
            models.User.username.in_(("window1", "amr1", "admin", "designer1"))
        )
    )
    return {user.username: user for user in found}


def plans(db: BenchDatabase, call: Call) -> list[dict[str, str]]:
    """Every SELECT of the call that reads cases or tasks, with its plan."""
    with UnitOfWork(db.sessions, write=False) as uow:
        users = readers(uow)
        sent = selects_of(db.engine, lambda: call(uow, users))
    shown = [s for s in sent if 'FROM "case"' in s[0] or "FROM human_task" in s[0]]
    with db.engine.connect() as connection:
        return [{"sql": s[0], "plan": explain(connection, s, analyze=True)} for s in shown]


def measure(db: BenchDatabase, farm: Farm) -> dict[str, Any]:
    case_no, name = probes(db)
    results: dict[str, Any] = {"probes": {"case_no": case_no, "name": name}}
    rss_before = farm.peak_rss_kb()
    for key, (username, path, call) in read_calls(case_no, name).items():
        results[key] = {"path": path, "user": username, **timed(farm, username, path)}
        results[key]["explain"] = plans(db, call)
    results["worker_peak_rss_kb"] = {"before": rss_before, "after": farm.peak_rss_kb()}
    return results
