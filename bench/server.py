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
from urllib.parse import urlsplit

from .client import ApiError, Connection
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
    postgres_database: str | None = None  # the database's name when it is on PostgreSQL

    @property
    def urls(self) -> list[str]:
        return [server.base_url for server in self.servers]

    def worker_pids(self) -> list[int]:
        return [pid for server in self.servers for pid in server.worker_pids()]

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def postgres_cpu_seconds(self) -> float | None:
        """CPU PostgreSQL has used for these servers so far (``None`` on SQLite)."""
        if self.postgres_database is None:
            return None
        return postgres_cpu_seconds(self.postgres_database)

    def peak_rss_kb(self) -> int:
        """The largest peak resident size (VmHWM) among the workers."""
        return max((_peak_rss_kb(pid) for pid in self.worker_pids()), default=0)


@contextmanager
def running_farm(database_url: str, count: int) -> Iterator[Farm]:
    with ExitStack() as stack:
        yield Farm(
            tuple(stack.enter_context(running_server(database_url, 1)) for _ in range(count)),
            postgres_database_name(database_url),
        )


def postgres_database_name(database_url: str) -> str | None:
    parts = urlsplit(database_url)
    return parts.path.lstrip("/") if parts.scheme.startswith("postgresql") else None


# PostgreSQL's own processes (`ps` titles after "postgres: [cluster:]"): the writes of every
# database keep them busy, the bench's among them
POSTGRES_BACKGROUND = {
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
    "archiver",
    "stats collector",
}


def postgres_cpu_seconds(database: str) -> float:
    """User + system CPU of the PostgreSQL processes on this machine that work for
    ``database``: its backends and autovacuum workers, plus the postmaster and the background
    processes. Other databases' backends (other programs sharing the server) are left out."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "postgres":
                continue
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue  # gone meanwhile
        if works_for(title, database):
            total += _cpu_seconds(int(proc.name))
    return total


def works_for(title: str, database: str) -> bool:
    """Whether the PostgreSQL process of this ``ps`` title works for ``database``."""
    words = title.split()
    if not words or words[0] != "postgres:":
        return True  # the postmaster (its command line, not a title)
    role = words[2:] if len(words) > 1 and words[1].endswith(":") else words[1:]
    return database in role or " ".join(role) in POSTGRES_BACKGROUND


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
        if _answers(base_url):
            return
        time.sleep(0.2)
    raise RuntimeError(f"onewindow serve not ready after {START_TIMEOUT:.0f} s:\n{_tail(log)}")


def _answers(base_url: str) -> bool:
    probe = Connection(base_url, timeout=2)
    try:
        return probe.request("GET", "/api/v1/openapi.json", None, {}).status == 200
    except (OSError, ApiError):
        return False
    finally:
        probe.close()


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
