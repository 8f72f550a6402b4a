"""The Flask app over the per-backend demo database, and a small API client."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import create_app

from ..conftest import DEMO_PASSWORD


@pytest.fixture(scope="session")
def app(database_url: str, sessions) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-key"})
    yield app
    app.extensions["onewindow.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """Calls /api/v1 as one user, the way another system would."""

    def __init__(self, client: FlaskClient, username: str | None = None):
        self.client = client
        self.token: str | None = None
        if username:
            response = client.post(
                "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.get_json()
            self.token = response.get_json()["token"]

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(f"/api/v1{path}", headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(), **kwargs)

    def open_tasks(self, case_no: str, scope: str = "mine") -> list[dict[str, Any]]:
        response = self.get(f"/tasks?scope={scope}&per_page=200")
        assert response.status_code == 200, response.get_json()
        return [t for t in response.get_json()["items"] if t["case_no"] == case_no]

    def task_named(self, case_no: str, name: str) -> dict[str, Any]:
        """``name`` or a level of that step's approval chain (``营业执照审核 · 科长审核``)."""
        matches = [
            t
            for t in self.open_tasks(case_no)
            if t["name"] == name or t["name"].startswith(f"{name} · ")
        ]
        assert matches, f"{name} not in inbox: {[t['name'] for t in self.open_tasks(case_no)]}"
        return matches[0]


@pytest.fixture
def api(client: FlaskClient):
    return lambda username=None: Api(client, username)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def race(calls: list) -> list[int]:
    """Start every call at the same moment (a barrier), each on its own thread; their statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        statuses[index] = calls[index]().status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses
