"""The REST calls browser tests use to set a case up quickly, as another system would."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import APIRequestContext

from ..conftest import DEMO_PASSWORD


def token(api: APIRequestContext, username: str) -> dict[str, str]:
    response = api.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.ok, response.text()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def my_task(api: APIRequestContext, headers: dict[str, str], case_no: str, name: str) -> dict:
    """``name``, or a level of that step's approval chain (``营业执照审核 · 科长审核``)."""
    response = api.get("/api/v1/tasks?scope=mine&per_page=200", headers=headers)
    assert response.ok, response.text()
    mine = [t for t in response.json()["items"] if t["case_no"] == case_no]
    matches = [t for t in mine if t["name"] == name or t["name"].startswith(f"{name} · ")]
    assert matches, f"{name} not in inbox: {[t['name'] for t in mine]}"
    return matches[0]


def complete(
    api: APIRequestContext, headers: dict[str, str], task: dict, data: dict[str, Any]
) -> None:
    response = api.post(
        f"/api/v1/tasks/{task['id']}/complete", headers=headers, data={"data": data}
    )
    assert response.ok, (task["name"], response.status, response.text())


def receive_materials(api: APIRequestContext, headers: dict[str, str], case_no: str) -> None:
    """The window records every mandatory material on paper, as acceptance requires."""
    checklist = api.get(f"/api/v1/cases/{case_no}/materials?per_page=200", headers=headers)
    assert checklist.ok, checklist.text()
    for line in checklist.json()["items"]:
        if line["mandatory"]:
            counts = {"originals": line["originals"], "copies": max(line["copies"], 1)}
            put = api.put(
                f"/api/v1/cases/{case_no}/materials/{line['name']}", headers=headers, data=counts
            )
            assert put.ok, put.text()
