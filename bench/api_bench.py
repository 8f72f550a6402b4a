"""Measurements over HTTP against running ``onewindow serve`` processes, round robin."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .client import ApiClient, ApiError, CaseLoop
from .server import Farm
from .settings import CLERKS, LATENCY_CASES, LATENCY_ROUNDS, START_SAMPLES
from .stats import summary_ms


def start_cases(client: ApiClient, service_item: str, count: int) -> tuple[list[CaseLoop], list]:
    """Start ``count`` cases one after another; returns their loops and the latencies."""
    loops, latencies = [], []
    for _ in range(count):
        loop, elapsed = client.start_case(service_item)
        loops.append(loop)
        latencies.append(elapsed)
    return loops, latencies


def loop_latencies(client: ApiClient, loops: list[CaseLoop], rounds: int) -> list[float]:
    """Take every case ``rounds`` times round the loop (two completions a round), in turn."""
    latencies = []
    for _ in range(rounds * 2):
        for loop in loops:
            latencies.append(loop.advance(client))
    return latencies


def cpu_ms_per(farm: Farm, cpu_before: float, count: int) -> float | None:
    """Server (worker) CPU milliseconds per request since ``cpu_before``."""
    used = farm.cpu_seconds() - cpu_before
    return round(used * 1000 / count, 2) if count and used > 0 else None


def miss_share(loops: list[CaseLoop]) -> float | None:
    """Completions that landed on another server than the case's previous step (a cache miss
    there, as the case's version moved on since that server last saw it)."""
    done = sum(loop.completions for loop in loops)
    return round(sum(loop.misses for loop in loops) / done, 3) if done else None


def latencies(farm: Farm, service_item: str) -> dict[str, Any]:
    """One client, one request at a time: case starts, then completions round the loop."""
    client = ApiClient(farm.urls, CLERKS[0])
    try:
        cpu = farm.cpu_seconds()
        loops, starts = start_cases(client, service_item, START_SAMPLES)
        start_cpu = cpu_ms_per(farm, cpu, len(starts))
        cpu = farm.cpu_seconds()
        completes = loop_latencies(client, loops[:LATENCY_CASES], LATENCY_ROUNDS)
        complete_cpu = cpu_ms_per(farm, cpu, len(completes))
        response_bytes = client.last_response_bytes
    finally:
        client.close()
    return {
        "start_case": {**summary_ms(starts), "server_cpu_ms": start_cpu},
        "complete": {
            **summary_ms(completes),
            "server_cpu_ms": complete_cpu,
            "response_bytes": response_bytes,
            "cache_miss_share": miss_share(loops[:LATENCY_CASES]),
        },
    }


@dataclass
class _Worker:
    """One client thread: its own session, its own cases."""

    client: ApiClient
    loops: list[CaseLoop]
    limit: int
    all_loops: list[CaseLoop]  # ``loops`` drops a loop that failed
    completions: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def run(self, seconds: float, go: threading.Barrier) -> None:
        go.wait()
        deadline = time.perf_counter() + seconds
        turn = 0
        while self.loops and self.completions < self.limit and time.perf_counter() < deadline:
            loop = self.loops[turn % len(self.loops)]
            turn += 1
            try:
                self.latencies.append(loop.advance(self.client))
                self.completions += 1
            except (ApiError, OSError) as error:
                self.errors.append(str(error)[:300])
                self.loops.remove(loop)  # its state is unknown now: leave it alone


def throughput(
    farm: Farm,
    service_item: str,
    clients: int,
    seconds: float,
    cases_per_client: int,
    limit_per_client: int,
) -> dict[str, Any]:
    """Completions per second of ``clients`` concurrent clients, each on its own cases."""
    workers = [
        _new_worker(farm.urls, i, service_item, cases_per_client, limit_per_client)
        for i in range(clients)
    ]
    go = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=w.run, args=(seconds, go)) for w in workers]
    for thread in threads:
        thread.start()
    cpu = farm.cpu_seconds()
    go.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.client.close()
    done = sum(w.completions for w in workers)
    errors = [e for w in workers for e in w.errors]
    return {
        "clients": clients,
        "completions": done,
        "seconds": round(elapsed, 3),
        "per_second": round(done / elapsed, 1) if elapsed else 0.0,
        "server_cpu_ms": cpu_ms_per(farm, cpu, done),
        "latency": summary_ms([x for w in workers for x in w.latencies]),
        "cache_miss_share": miss_share([loop for w in workers for loop in w.all_loops]),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def _new_worker(urls: list[str], index: int, service_item: str, cases: int, limit: int) -> _Worker:
    client = ApiClient(urls, CLERKS[index % len(CLERKS)])
    client.turn = index % len(urls)  # the clients do not all start on the same server
    loops, _ = start_cases(client, service_item, cases)
    return _Worker(client, loops, limit, list(loops))
