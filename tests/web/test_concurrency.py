"""Two clients complete the same task at the same moment: exactly one wins, the other gets 409."""

from __future__ import annotations

import pytest

from .conftest import Api, race
from .test_api_journey import LICENCE, complete, parallel_step_data, start_enterprise_case

ROUNDS = 5


def test_concurrent_completions_complete_once(app, api, backend):
    if backend != "postgresql":
        pytest.skip("truly concurrent transactions are the PostgreSQL case (SQLite serialises)")
    for _ in range(ROUNDS):
        case_no, _created = start_enterprise_case(api)
        clients = [Api(app.test_client(), "window1") for _ in range(2)]
        intake = clients[0].task_named(case_no, "受理")
        path, body = f"/tasks/{intake['id']}/complete", {"data": {"decision": "accept"}}
        statuses = race([lambda c=c, p=path, b=body: c.post(p, json=b) for c in clients])
        assert sorted(statuses) == [200, 409]
        case = clients[0].get(f"/cases/{case_no}").get_json()
        completions = [e for e in case["events"] if e["action"] == "complete"]
        assert len(completions) == 1
        assert [t["name"] for t in case["open_tasks"]] == ["营业执照承办"]


def test_parallel_steps_of_one_case_both_succeed(app, api, backend):
    """Different tasks of one case wait for the case lock instead of failing."""
    case_no, _created = start_enterprise_case(api)
    window = api("window1")
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept"})
    amr1, chief = api("amr1"), api("amr_chief")
    complete(amr1, amr1.task_named(case_no, "营业执照承办"), LICENCE)
    complete(chief, chief.task_named(case_no, "营业执照审核"), {"decision": "approve"})
    clerks = [Api(app.test_client(), name) for name in ("psb1", "tax1", "hrss1")]
    tasks = [clerk.open_tasks(case_no)[0] for clerk in clerks]
    statuses = race(
        [
            lambda c=c, t=t: c.post(
                f"/tasks/{t['id']}/complete", json={"data": parallel_step_data(t["name"])}
            )
            for c, t in zip(clerks, tasks, strict=True)
        ]
    )
    assert statuses == [200, 200, 200]
    assert [t["name"] for t in window.open_tasks(case_no)] == ["出件"]
