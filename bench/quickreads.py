"""The reads of bench/reads.py against a kept data set (``python -m bench.dataset --keep``),
without regenerating it: each service call timed in process, or over HTTP (``--http``), and
every SELECT behind it with ``EXPLAIN (ANALYZE, BUFFERS)``.

    python -m bench.dataset --keep onewindow_bench_1m --cases 1000000   # once, minutes
    python -m bench.quickreads --database onewindow_bench_1m [--http] [--only inbox,stats]
    python -m bench.dataset --keep onewindow_bench_1m --drop             # when done
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from engine.uow import UnitOfWork

from . import reads
from .databases import BenchDatabase, database_url, prepared
from .server import running_farm
from .settings import READ_SAMPLES, SERVERS
from .stats import summary_ms


def in_process(db: BenchDatabase, call: reads.Call) -> dict[str, float]:
    """p50/p95 of the service call, each run in its own read-only unit of work."""
    samples = []
    for _ in range(READ_SAMPLES + 2):
        with UnitOfWork(db.sessions, write=False) as uow:
            users = reads.readers(uow)
            started = time.perf_counter()
            call(uow, users)
            samples.append(time.perf_counter() - started)
    return summary_ms(samples[2:])  # the first two build what the process caches


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quickreads", description=__doc__)
    parser.add_argument("--database", required=True, help="a database kept by bench.dataset")
    parser.add_argument("--http", action="store_true", help=f"over HTTP, {SERVERS} servers")
    parser.add_argument("--only", default="", help="comma-separated reads (default: all)")
    parser.add_argument("--no-explain", action="store_true", help="figures only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    only = {name for name in args.only.split(",") if name}
    with prepared("postgresql", database_url(args.database), load_demo=False) as db:
        case_no, name = reads.probes(db)
        chosen = {
            key: read
            for key, read in reads.read_calls(case_no, name).items()
            if not only or key in only
        }
        figures: dict[str, Any] = {}
        if args.http:
            with running_farm(db.url, SERVERS) as farm:
                for key, (username, path, _call) in chosen.items():
                    figures[key] = reads.timed(farm, username, path)
        for key, (_username, path, call) in chosen.items():
            try:
                if not args.http:
                    figures[key] = in_process(db, call)
                print(f"== {key}  {path}  {_figures(figures[key])}", flush=True)
                if not args.no_explain:
                    for shown in reads.plans(db, call):
                        print(f"{shown['sql']}\n{shown['plan']}\n")
            except Exception as error:  # report it, and measure the other reads
                print(f"== {key}  {path}  failed: {error.__class__.__name__}: {error}")
    return 0


def _figures(found: dict[str, Any]) -> str:
    """``p50 … p95 …`` of an in-process summary or an HTTP one (min / median of runs)."""
    if isinstance(found["p50_ms"], dict):
        p50, p95 = found["p50_ms"], found["p95_ms"]
        return (
            f"HTTP p50 {p50['min']:.1f}/{p50['median']:.1f} ms "
            f"p95 {p95['min']:.1f}/{p95['median']:.1f} ms (min/median)"
        )
    return f"in process p50 {found['p50_ms']:.1f} ms p95 {found['p95_ms']:.1f} ms"


if __name__ == "__main__":
    raise SystemExit(main())
