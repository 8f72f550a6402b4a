"""Run every measurement on SQLite, then PostgreSQL (when reachable), and report.

The PostgreSQL run ends with the reads over a generated data set (``--cases``, 20,000 by
default; ``make bench-million`` for the issue's million).
"""

from __future__ import annotations

import argparse
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

from . import aging, dataset, raw, reads
from .api_bench import floor_latency, floor_throughput, latencies, throughput
from .databases import BenchDatabase, postgres_database, postgres_problem, sqlite_database
from .report import dig, render, write_json
from .server import Farm, running_farm
from .settings import (
    CLIENT_COUNTS,
    DATASET_CASES,
    FLOOR_PATH,
    MODEL,
    PG_ADMIN,
    REPEATS,
    SERVERS,
    THROUGHPUT_CASES_PER_CLIENT,
    THROUGHPUT_MAX_PER_CLIENT,
    THROUGHPUT_SECONDS,
)
from .stats import median, ratio

DatabaseFactory = Callable[[], AbstractContextManager[BenchDatabase]]
STEP = (
    "instant_decide(decision=supplement) ↔ supplement(received_materials), the 补正 loop of "
    "the demo's 个体工商户设立登记 with its 30-day timer; every completion of either task counts"
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


def warm_up(farm: Farm, service_item: str) -> None:
    """Let every worker compile the model and build its form validators before timing."""
    throughput(farm, service_item, 4, seconds=1.0, cases_per_client=1, limit_per_client=10)


def repeated(measure: Callable[[], dict[str, Any]], *figures: str) -> dict[str, Any]:
    """``REPEATS`` runs of ``measure``: the run whose first figure is the median one, each
    figure with its min and median over the runs beside it (``<name>_min``/``_median``)."""
    runs = [measure() for _ in range(REPEATS)]
    values = {path: [dig(run, path) for run in runs] for path in figures}
    ordered = sorted(range(REPEATS), key=lambda i: values[figures[0]][i])
    chosen = runs[ordered[REPEATS // 2]]
    for path, found in values.items():
        *parents, key = path.split(".")
        target = dig(chosen, ".".join(parents)) if parents else chosen
        target[f"{key}_min"], target[f"{key}_median"] = min(found), median(found)
    return chosen


def completions(name: str, db: BenchDatabase, farm: Farm) -> dict[str, Any]:
    """Case start and task completion: latency, throughput, and a case grown old."""
    progress(f"{name}: {SERVERS} servers up at {', '.join(farm.urls)}; warming up")
    warm_up(farm, db.service_item)
    progress(f"{name}: latency of case start and task completion, {REPEATS} times")
    result = repeated(
        lambda: latencies(farm, db.service_item), "complete.p50_ms", "start_case.p50_ms"
    )
    result["throughput"] = {}
    for clients in CLIENT_COUNTS:
        progress(f"{name}: throughput with {clients} client(s), {REPEATS} times")
        result["throughput"][str(clients)] = repeated(
            lambda clients=clients: throughput(
                farm,
                db.service_item,
                clients,
                THROUGHPUT_SECONDS,
                THROUGHPUT_CASES_PER_CLIENT,
                THROUGHPUT_MAX_PER_CLIENT,
            ),
            "per_second",
        )
    result["floor"] = floor(name, farm)
    progress(f"{name}: one case round the 补正 loop (the longest part)")
    result["aging"] = aging.measure(db, farm)
    return result


def floor(name: str, farm: Farm) -> dict[str, Any]:
    """The cheapest authenticated request, measured like the completions: what no request of
    the API can beat on this stack and machine."""
    clients = max(CLIENT_COUNTS)
    progress(f"{name}: the floor, GET {FLOOR_PATH}: latency, and throughput with {clients} clients")
    result = repeated(lambda: floor_latency(farm), "p50_ms")
    result["throughput"] = repeated(
        lambda: floor_throughput(farm, clients, THROUGHPUT_SECONDS, THROUGHPUT_MAX_PER_CLIENT),
        "per_second",
    )
    return result


def bench_backend(name: str, database: DatabaseFactory, cases: int) -> dict[str, Any]:
    started = time.perf_counter()
    progress(f"{name}: creating the database, migrating, loading the demo")
    with database() as db:
        with running_farm(db.url, SERVERS) as farm:
            result = completions(name, db, farm)
        if name == "postgresql" and cases:
            progress(f"{name}: generating {cases:,} cases (bench/dataset.py)")
            result["dataset"] = dataset.generate(db.engine, cases, progress)
            progress(f"{name}: the scheduler's first pass over them (the 督办 sweep: minutes)")
            result["dataset"]["first_scheduler_pass_s"] = dataset.first_pass(db.sessions)
            # servers started now find their scheduler's passes as short as in production,
            # where the sweep meets the cases as they fall due, not a county at once
            with running_farm(db.url, SERVERS) as farm:
                progress(f"{name}: reads over {cases:,} cases")
                result["reads"] = reads.measure(db, farm)
                # the writes too: a step's statements search tables the county has filled
                progress(f"{name}: case start and task completion among {cases:,} cases")
                result["county_completions"] = latencies(farm, db.service_item)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def guarded(name: str, database: DatabaseFactory, cases: int) -> dict[str, Any]:
    """A failing backend is reported, and the other one still runs."""
    try:
        return bench_backend(name, database, cases)
    except Exception as error:  # report any failure and carry on
        traceback.print_exc()
        return {"failed": f"{error.__class__.__name__}: {str(error)[:300]}"}


def run_backends(cases: int, only_postgresql: bool) -> dict[str, Any]:
    backends: dict[str, Any] = {}
    if not only_postgresql:
        backends["sqlite"] = guarded("sqlite", sqlite_database, cases)
    problem = postgres_problem()
    if problem:
        print(f"PostgreSQL unreachable at {PG_ADMIN}: {problem}", file=sys.stderr)
        backends["postgresql"] = {"skipped": f"PostgreSQL unreachable ({problem})"}
    else:
        backends["postgresql"] = guarded("postgresql", postgres_database, cases)
    return backends


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--cases",
        type=int,
        default=DATASET_CASES,
        help="generated cases for the reads on PostgreSQL (1000000: the issue's scale; 0: no "
        "data set, no reads)",
    )
    parser.add_argument("--postgresql-only", action="store_true", help="skip SQLite")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "servers": SERVERS,
        "repeats": REPEATS,
        "load_before": os.getloadavg()[0],
        "cpu_pressure_before": cpu_pressure(),
        "python": platform.python_version(),
        "spiffworkflow": version("SpiffWorkflow"),
        "model": MODEL,
        "step": STEP,
        "cases": args.cases,
    }
    progress("raw SpiffWorkflow")
    raw_results = raw.measure()
    backends = run_backends(args.cases, args.postgresql_only)
    for result in backends.values():
        for key in ("complete", "floor"):
            if key in result:
                result[key]["ratio_to_raw"] = ratio(
                    result[key]["p50_ms"], raw_results["step"]["p50_ms"]
                )
    meta["load_after"] = os.getloadavg()[0]
    meta["cpu_pressure_after"] = cpu_pressure()
    meta["seconds"] = round(time.perf_counter() - started, 1)
    results = {"meta": meta, "raw": raw_results, "backends": backends}
    write_json(results)
    print(render(results))
    return 0
