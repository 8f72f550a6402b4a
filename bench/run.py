"""Run every measurement on SQLite, then PostgreSQL (when reachable), and report."""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from . import aging, raw
from .api_bench import latencies, throughput
from .databases import BenchDatabase, postgres_database, postgres_problem, sqlite_database
from .report import render, write_json
from .server import Server, running_server
from .settings import (
    CLIENT_COUNTS,
    MODEL,
    PG_ADMIN,
    THROUGHPUT_CASES_PER_CLIENT,
    THROUGHPUT_MAX_PER_CLIENT,
    THROUGHPUT_SECONDS,
    WORKERS,
)
from .stats import ratio

DatabaseFactory = Callable[[], AbstractContextManager[BenchDatabase]]
STEP = (
    "instant_decide(decision=supplement) ↔ supplement(received_materials), the 补正 loop; "
    "every completion of either task counts"
)


def progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def cpu_pressure() -> float | None:
    """Share of the last minute some runnable task waited for a CPU (/proc/pressure/cpu)."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(part.split("=") for part in some.split()[1:])
    return float(fields["avg60"])


def warm_up(server: Server, service_item: str) -> None:
    """Let every worker compile the model and build its form validators before timing."""
    throughput(server, service_item, 4, seconds=1.0, cases_per_client=1, limit_per_client=10)


def bench_backend(name: str, database: DatabaseFactory) -> dict[str, Any]:
    started = time.perf_counter()
    progress(f"{name}: creating the database, migrating, loading the demo")
    with database() as db, running_server(db.url) as server:
        progress(f"{name}: server up at {server.base_url}; warming up")
        warm_up(server, db.service_item)
        progress(f"{name}: latency of case start and task completion")
        result = latencies(server, db.service_item)
        result["throughput"] = {}
        for clients in CLIENT_COUNTS:
            progress(f"{name}: throughput with {clients} client(s)")
            result["throughput"][str(clients)] = throughput(
                server,
                db.service_item,
                clients,
                THROUGHPUT_SECONDS,
                THROUGHPUT_CASES_PER_CLIENT,
                THROUGHPUT_MAX_PER_CLIENT,
            )
        progress(f"{name}: one case round the 补正 loop (the longest part)")
        result["aging"] = aging.measure(db, server)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def guarded(name: str, database: DatabaseFactory) -> dict[str, Any]:
    """A failing backend is reported, and the other one still runs."""
    try:
        return bench_backend(name, database)
    except Exception as error:  # report any failure and carry on
        traceback.print_exc()
        return {"failed": f"{error.__class__.__name__}: {str(error)[:300]}"}


def run_backends() -> dict[str, Any]:
    backends: dict[str, Any] = {"sqlite": guarded("sqlite", sqlite_database)}
    problem = postgres_problem()
    if problem:
        print(f"PostgreSQL unreachable at {PG_ADMIN}: {problem} — SQLite only", file=sys.stderr)
        backends["postgresql"] = {"skipped": f"PostgreSQL unreachable ({problem})"}
    else:
        backends["postgresql"] = guarded("postgresql", postgres_database)
    return backends


def main() -> int:
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "workers": WORKERS,
        "load_before": os.getloadavg()[0],
        "cpu_pressure_before": cpu_pressure(),
        "python": platform.python_version(),
        "spiffworkflow": version("SpiffWorkflow"),
        "model": MODEL,
        "step": STEP,
    }
    progress("raw SpiffWorkflow")
    raw_results = raw.measure()
    backends = run_backends()
    for result in backends.values():
        if "complete" in result:
            result["complete"]["ratio_to_raw"] = ratio(
                result["complete"]["p50_ms"], raw_results["step"]["p50_ms"]
            )
    meta["load_after"] = os.getloadavg()[0]
    meta["cpu_pressure_after"] = cpu_pressure()
    meta["seconds"] = round(time.perf_counter() - started, 1)
    results = {"meta": meta, "raw": raw_results, "backends": backends}
    write_json(results)
    print(render(results))
    return 0
