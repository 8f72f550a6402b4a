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
    """One user's session against ``/api/v1``."""

    def __init__(self, base_url: str, username: str):
        self.api = f"{base_url}/api/v1"
        self.http = requests.Session()
        response = self.http.post(
            f"{self.api}/auth/token",
            json={"username": username, "password": PASSWORD},
            timeout=TIMEOUT,
        )
        _check(response, 200)
        self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"
        self.last_response_bytes = 0

    def close(self) -> None:
        self.http.close()

    def start_case(self, service_item: str) -> tuple[CaseLoop, float]:
        """Start a case; returns its loop and the request's duration."""
        body = {"service_item": service_item, "applicant": APPLICANT, "data": {}}
        started = time.perf_counter()
        response = self.http.post(f"{self.api}/cases", json=body, timeout=TIMEOUT)
        elapsed = time.perf_counter() - started
        case = _check(response, 201)
        [task] = case["open_tasks"]
        return CaseLoop(case["case_no"], task["id"], TASK_NAMES[task["name"]]), elapsed

    def complete(self, task_id: str, data: dict[str, Any]) -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        response = self.http.post(
            f"{self.api}/tasks/{task_id}/complete", json={"data": data}, timeout=TIMEOUT
        )
        elapsed = time.perf_counter() - started
        self.last_response_bytes = len(response.content)
        return _check(response, 200), elapsed


@dataclass
class CaseLoop:
    """A case going round the 补正 loop: its open task and which step that is."""

    case_no: str
    task_id: str
    step: str
    completions: int = 0

    def advance(self, client: ApiClient) -> float:
        """Complete the open task; the reply names the next one. Returns the latency."""
        body, elapsed = client.complete(self.task_id, STEP_DATA[self.step])
        [task] = body["next_tasks"]
        self.task_id, self.step = task["id"], TASK_NAMES[task["name"]]
        self.completions += 1
        return elapsed


def _check(response: requests.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise ApiError(
            f"{response.request.method} {response.url} → {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()
