"""A client of the REST API, the way another system drives it: one keep-alive connection to
each server, on the standard library's ``http.client``.

Not ``requests``: clients and servers share the machine's cores here, and a
``requests.Session`` spends about 1.2 ms more CPU per call than a bare connection — CPU that
lands inside the measured latency and is taken from the servers' throughput.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .settings import APPLICANT, PASSWORD, STEP_DATA, TASK_NAMES

TIMEOUT = 30.0
API = "/api/v1"
# What a server's closing of an idle keep-alive connection looks like on the next request
# (gunicorn drops a connection idle for 2 s): worth one new connection, not an error.
STALE = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


class ApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reply:
    method: str
    url: str
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def checked(self, status: int) -> Any:
        """The decoded body, or ``ApiError`` when the status is not ``status``."""
        if self.status != status:
            text = self.body[:500].decode("utf-8", "replace")
            raise ApiError(f"{self.method} {self.url} → {self.status}: {text}")
        return self.json()


class Connection:
    """One persistent HTTP/1.1 connection to one server, opened on first use and again after
    the server closed it."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT):
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.timeout = timeout
        self.opened = 0  # connections made so far: the keep-alive at work when it stays low
        self._http: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        """Send and read one request; a connection reset is retried once on a new connection."""
        try:
            return self._exchange(method, path, body, headers)
        except STALE:
            return self._exchange(method, path, body, headers)

    def _exchange(self, method: str, path: str, body: bytes | None, headers: dict) -> Reply:
        try:
            if self._http is None:
                self._http = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.opened += 1
            self._http.request(method, path, body, headers)
            response = self._http.getresponse()
            reply = Reply(method, f"{self.base_url}{path}", response.status, response.read())
        except (OSError, http.client.HTTPException) as error:
            self.close()  # a reset, a timeout, a garbled reply: this connection is done
            if isinstance(error, OSError):
                raise
            raise ApiError(f"{method} {self.base_url}{path}: {error!r}") from error
        if response.will_close:
            self.close()
        return reply

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


class ApiClient:
    """One user's session against ``/api/v1`` of every server, behind a round robin: the next
    request goes to the next server, and a case's next step always to another server than its
    step before — which has to restore the case, as in production, where the next clerk of a
    case works on another worker."""

    def __init__(self, base_urls: list[str], username: str, timeout: float = TIMEOUT):
        self.servers = [Connection(url, timeout) for url in base_urls]
        self.turn = 0
        self.headers = {"Content-Type": "application/json"}
        body = {"username": username, "password": PASSWORD}
        token = self._send(0, "POST", "/auth/token", body).checked(200)["token"]
        self.headers["Authorization"] = f"Bearer {token}"
        self.last_response_bytes = 0

    def close(self) -> None:
        for server in self.servers:
            server.close()

    def next_server(self) -> int:
        server, self.turn = self.turn, (self.turn + 1) % len(self.servers)
        return server

    def get(self, path: str) -> tuple[dict[str, Any], float]:
        server = self.next_server()
        started = time.perf_counter()
        reply = self._send(server, "GET", path)
        elapsed = time.perf_counter() - started
        return reply.checked(200), elapsed

    def start_case(self, service_item: str) -> tuple[CaseLoop, float]:
        """Start a case; returns its loop and the request's duration."""
        body = {"service_item": service_item, "applicant": APPLICANT, "data": {}}
        server = self.next_server()
        started = time.perf_counter()
        reply = self._send(server, "POST", "/cases", body)
        elapsed = time.perf_counter() - started
        case = reply.checked(201)
        [task] = case["open_tasks"]
        return CaseLoop(case["case_no"], task["id"], TASK_NAMES[task["name"]], server), elapsed

    def complete(
        self, task_id: str, data: dict[str, Any], after: int | None = None
    ) -> tuple[dict[str, Any], float, int]:
        """The reply, its duration and the server that answered: the next one after ``after``
        (the server of the case's step before), or the next in turn."""
        server = self.next_server() if after is None else (after + 1) % len(self.servers)
        started = time.perf_counter()
        reply = self._send(server, "POST", f"/tasks/{task_id}/complete", {"data": data})
        elapsed = time.perf_counter() - started
        self.last_response_bytes = len(reply.body)
        return reply.checked(200), elapsed, server

    def _send(self, server: int, method: str, path: str, body: Any = None) -> Reply:
        payload = None if body is None else json.dumps(body).encode()
        return self.servers[server].request(method, f"{API}{path}", payload, self.headers)


@dataclass
class CaseLoop:
    """A case going round the 补正 loop: its open task, which step that is, and which server
    took its last step (a step on another server cannot find the case in its cache)."""

    case_no: str
    task_id: str
    step: str
    server: int | None = None
    completions: int = 0
    misses: int = 0

    def advance(self, client: ApiClient) -> float:
        """Complete the open task; the reply names the next one. Returns the latency."""
        body, elapsed, server = client.complete(self.task_id, STEP_DATA[self.step], self.server)
        [task] = body["next_tasks"]
        self.task_id, self.step = task["id"], TASK_NAMES[task["name"]]
        self.misses += server != self.server
        self.server = server
        self.completions += 1
        return elapsed
