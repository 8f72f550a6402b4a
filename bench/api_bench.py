"""Measurements over HTTP against running ``onewindow serve`` processes, round robin."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .client import ApiClient, ApiError, CaseLoop
from .server import Farm
from .settings import (
    CLERKS,
    FLOOR_PATH,
    FLOOR_SAMPLES,
    LATENCY_CASES,
    LATENCY_ROUNDS,
    START_SAMPLES,
)
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
    return _ms_per(farm.cpu_seconds() - cpu_before, count)


def _ms_per(seconds: float, count: int) -> float | None:
    return round(seconds * 1000 / count, 2) if count and seconds > 0 else None


class CpuMeter:
    """Where the CPU went since the meter was made, per request: the servers' workers,
    PostgreSQL working for them, and the clients — on a shared machine each of them is time
    the others wait for a core, inside the measured latency."""

    def __init__(self, farm: Farm):
        self.farm = farm
        self.server = farm.cpu_seconds()
        self.postgres = farm.postgres_cpu_seconds()

    def per(self, count: int, client_seconds: float) -> dict[str, float | None]:
        """``client_seconds``: the CPU the clients' threads used (``time.thread_time``)."""
        postgres = self.farm.postgres_cpu_seconds()
        return {
            "server_cpu_ms": cpu_ms_per(self.farm, self.server, count),
            "client_cpu_ms": _ms_per(client_seconds, count),
            # measured in clock ticks (10 ms): a short run may see none, and a backend that
            # exits between the readings takes its ticks with it; neither is "not measured"
            "postgres_cpu_ms": (
                None
                if postgres is None or self.postgres is None or not count
                else round(max(postgres - self.postgres, 0.0) * 1000 / count, 2)
            ),
        }


def miss_share(loops: list[CaseLoop]) -> float | None:
    """Completions that landed on another server than the case's previous step (a cache miss
    there, as the case's version moved on since that server last saw it)."""
    done = sum(loop.completions for loop in loops)
    return round(sum(loop.misses for loop in loops) / done, 3) if done else None


def latencies(farm: Farm, service_item: str) -> dict[str, Any]:
    """One client, one request at a time: case starts, then completions round the loop."""
    client = ApiClient(farm.urls, CLERKS[0])
    try:
        meter, clock = CpuMeter(farm), time.thread_time()
        loops, starts = start_cases(client, service_item, START_SAMPLES)
        start_cpu = meter.per(len(starts), time.thread_time() - clock)
        meter, clock = CpuMeter(farm), time.thread_time()
        completes = loop_latencies(client, loops[:LATENCY_CASES], LATENCY_ROUNDS)
        complete_cpu = meter.per(len(completes), time.thread_time() - clock)
        response_bytes = client.last_response_bytes
    finally:
        client.close()
    return {
        "start_case": {**summary_ms(starts), **start_cpu},
        "complete": {
            **summary_ms(completes),
            **complete_cpu,
            "response_bytes": response_bytes,
            "cache_miss_share": miss_share(loops[:LATENCY_CASES]),
        },
    }


def floor_latency(farm: Farm) -> dict[str, Any]:
    """The cheapest authenticated request, ``GET /me``, one client, one request at a time:
    what any call of the API costs before it does its own work."""
    client = ApiClient(farm.urls, CLERKS[0])
    try:
        for _ in farm.urls:
            client.get(FLOOR_PATH)  # each server's first call builds what it caches
        meter, clock = CpuMeter(farm), time.thread_time()
        samples = [client.get(FLOOR_PATH)[1] for _ in range(FLOOR_SAMPLES)]
        return {**summary_ms(samples), **meter.per(len(samples), time.thread_time() - clock)}
    finally:
        client.close()


@dataclass
class _Worker:
    """One client thread: its own connections, one request after another until the time is
    up, the limit reached, or nothing is left to do."""

    client: ApiClient
    limit: int
    done: int = 0
    cpu_seconds: float = 0.0  # the thread's own CPU while it ran
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def step(self) -> float:
        """One request; its latency."""
        raise NotImplementedError

    def busy(self) -> bool:
        return self.done < self.limit

    def failed(self) -> None:
        """The last step failed."""

    def run(self, seconds: float, go: threading.Barrier) -> None:
        go.wait()
        clock = time.thread_time()
        deadline = time.perf_counter() + seconds
        while self.busy() and time.perf_counter() < deadline:
            try:
                self.latencies.append(self.step())
                self.done += 1
            except (ApiError, OSError) as error:
                self.errors.append(str(error)[:300])
                self.failed()
        self.cpu_seconds = time.thread_time() - clock


@dataclass
class _Completer(_Worker):
    """Completes tasks of its own cases, in turn."""

    loops: list[CaseLoop] = field(default_factory=list)
    all_loops: list[CaseLoop] = field(default_factory=list)  # ``loops`` drops a failed loop
    turn: int = 0
    current: CaseLoop | None = None

    def busy(self) -> bool:
        return bool(self.loops) and super().busy()

    def step(self) -> float:
        self.current = self.loops[self.turn % len(self.loops)]
        self.turn += 1
        return self.current.advance(self.client)

    def failed(self) -> None:
        self.loops.remove(self.current)  # its state is unknown now: leave it alone


@dataclass
class _Reader(_Worker):
    """Reads one path over and over."""

    path: str = FLOOR_PATH

    def step(self) -> float:
        return self.client.get(self.path)[1]


def _drive(farm: Farm, workers: Sequence[_Worker], seconds: float) -> dict[str, Any]:
    """Run the workers at once, each in its thread; requests per second, latency, CPU."""
    go = threading.Barrier(len(workers) + 1)
    threads = [threading.Thread(target=w.run, args=(seconds, go)) for w in workers]
    for thread in threads:
        thread.start()
    meter = CpuMeter(farm)
    go.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.client.close()
    done = sum(w.done for w in workers)
    errors = [e for w in workers for e in w.errors]
    return {
        "clients": len(workers),
        "requests": done,
        "seconds": round(elapsed, 3),
        "per_second": round(done / elapsed, 1) if elapsed else 0.0,
        **meter.per(done, sum(w.cpu_seconds for w in workers)),
        "latency": summary_ms([x for w in workers for x in w.latencies]),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


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
        _new_completer(farm.urls, i, service_item, cases_per_client, limit_per_client)
        for i in range(clients)
    ]
    result = _drive(farm, workers, seconds)
    result["completions"] = result.pop("requests")
    result["cache_miss_share"] = miss_share([loop for w in workers for loop in w.all_loops])
    return result


def floor_throughput(farm: Farm, clients: int, seconds: float, limit: int) -> dict[str, Any]:
    """``GET /me`` per second of ``clients`` concurrent clients."""
    workers = [_Reader(_new_client(farm.urls, i), limit) for i in range(clients)]
    return _drive(farm, workers, seconds)


def _new_client(urls: list[str], index: int) -> ApiClient:
    client = ApiClient(urls, CLERKS[index % len(CLERKS)])
    client.turn = index % len(urls)  # the clients do not all start on the same server
    return client


def _new_completer(
    urls: list[str], index: int, service_item: str, cases: int, limit: int
) -> _Completer:
    client = _new_client(urls, index)
    loops, _ = start_cases(client, service_item, cases)
    return _Completer(client, limit, loops=loops, all_loops=list(loops))
