"""A client of the REST API, the way another system drives it: one ``requests.Session`` each."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from .settings import APPLICANT, PASSWORD, STEP_DATA, TASK_NAMES

TIMEOUT = 30.0


class ApiError(RuntimeError):
    pass


class ApiClient:
    """One user's session against ``/api/v1`` of every server, behind a round robin: the next
    request goes to the next server, and a case's next step always to another server than its
    step before — which has to restore the case, as in production, where the next clerk of a
    case works on another worker."""

    def __init__(self, base_urls: list[str], username: str):
        self.apis = [f"{url}/api/v1" for url in base_urls]
        self.turn = 0
        self.http = requests.Session()
        response = self.http.post(
            f"{self.apis[0]}/auth/token",
            json={"username": username, "password": PASSWORD},
            timeout=TIMEOUT,
        )
        _check(response, 200)
        self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"
        self.last_response_bytes = 0

    def close(self) -> None:
        self.http.close()

    def next_server(self) -> int:
        server, self.turn = self.turn, (self.turn + 1) % len(self.apis)
        return server

    def get(self, path: str) -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        response = self.http.get(f"{self.apis[self.next_server()]}{path}", timeout=TIMEOUT)
        elapsed = time.perf_counter() - started
        return _check(response, 200), elapsed

    def start_case(self, service_item: str) -> tuple[CaseLoop, float]:
        """Start a case; returns its loop and the request's duration."""
        body = {"service_item": service_item, "applicant": APPLICANT, "data": {}}
        server = self.next_server()
        started = time.perf_counter()
        response = self.http.post(f"{self.apis[server]}/cases", json=body, timeout=TIMEOUT)
        elapsed = time.perf_counter() - started
        case = _check(response, 201)
        [task] = case["open_tasks"]
        return CaseLoop(case["case_no"], task["id"], TASK_NAMES[task["name"]], server), elapsed

    def complete(
        self, task_id: str, data: dict[str, Any], after: int | None = None
    ) -> tuple[dict[str, Any], float, int]:
        """The reply, its duration and the server that answered: the next one after ``after``
        (the server of the case's step before), or the next in turn."""
        server = self.next_server() if after is None else (after + 1) % len(self.apis)
        started = time.perf_counter()
        response = self.http.post(
            f"{self.apis[server]}/tasks/{task_id}/complete", json={"data": data}, timeout=TIMEOUT
        )
        elapsed = time.perf_counter() - started
        self.last_response_bytes = len(response.content)
        return _check(response, 200), elapsed, server


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


def _check(response: requests.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise ApiError(
            f"{response.request.method} {response.url} → {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()
