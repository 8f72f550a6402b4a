"""``onewindow serve`` as a subprocess on a free 127.0.0.1 port, stopped when done."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from .settings import ROOT, WORKERS

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Server:
    """A running ``onewindow serve``: its URL and its gunicorn master's pid."""

    base_url: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The master's children (the gunicorn workers), from /proc."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU the workers have used so far (0 where /proc cannot tell)."""
        return sum(_cpu_seconds(pid) for pid in self.worker_pids())


@dataclass(frozen=True)
class Farm:
    """Several single-worker servers on one database, the way a load balancer sees them."""

    servers: tuple[Server, ...]

    @property
    def urls(self) -> list[str]:
        return [server.base_url for server in self.servers]

    def worker_pids(self) -> list[int]:
        return [pid for server in self.servers for pid in server.worker_pids()]

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def peak_rss_kb(self) -> int:
        """The largest peak resident size (VmHWM) among the workers."""
        return max((_peak_rss_kb(pid) for pid in self.worker_pids()), default=0)


@contextmanager
def running_farm(database_url: str, count: int) -> Iterator[Farm]:
    with ExitStack() as stack:
        yield Farm(
            tuple(stack.enter_context(running_server(database_url, 1)) for _ in range(count))
        )


def _peak_rss_kb(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("VmHWM:")), 0)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(database_url: str, workers: int = WORKERS, *options: str) -> Iterator[Server]:
    """Yield the running server; it (and only it) is stopped on exit. ``options`` are more
    ``onewindow serve`` flags (``--no-scheduler``)."""
    port = free_port()
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": database_url,
        "ONEWINDOW_SECRET_KEY": secrets.token_hex(16),
    }
    env.pop("ONEWINDOW_ACCESS_LOG", None)
    command = [
        str(ROOT / ".venv" / "bin" / "onewindow"),
        "serve",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        *options,
    ]
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_ready(process, base_url, log)
            yield Server(base_url, process.pid)
        finally:
            _stop(process)


@contextmanager
def running_timers(database_url: str, interval: float = 0.2) -> Iterator[int]:
    """``onewindow timers``, the scheduler as its own process; yields its pid, stopped on exit."""
    env = {**os.environ, "ONEWINDOW_DATABASE_URL": database_url}
    env.setdefault("ONEWINDOW_SECRET_KEY", secrets.token_hex(16))
    command = [str(ROOT / ".venv" / "bin" / "onewindow"), "timers", f"--interval={interval}"]
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            yield process.pid
        finally:
            _stop(process)
            if process.returncode not in (0, -15):
                raise RuntimeError(f"onewindow timers ended ({process.returncode}):\n{_tail(log)}")


def _wait_ready(process: subprocess.Popen, base_url: str, log) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"onewindow serve exited ({process.returncode}):\n{_tail(log)}")
        try:
            if requests.get(f"{base_url}/api/v1/openapi.json", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"onewindow serve not ready after {START_TIMEOUT:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log, lines: int = 30) -> str:
    log.flush()
    log.seek(0)
    return "\n".join(log.read().splitlines()[-lines:])
