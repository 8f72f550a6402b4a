"""会签 over HTTP with its instances completed on two server processes and across a restart.

Each ``onewindow serve`` here is a real gunicorn process with its own caches; the case is
created on one, its instances completed on the other and, after that server restarts, on the
new process — the situations in which SpiffWorkflow's in-memory loop wiring used to be missing.
"""

from __future__ import annotations

from pathlib import Path

import requests

from bench.server import running_server
from engine.catalogue import read_items, upsert_item
from engine.services.models import deploy_model
from engine.uow import UnitOfWork

from ..conftest import DEMO_PASSWORD
from ..engine import multiinstance_model as mi

ROOT = Path(__file__).resolve().parents[2]
ITEM = "TEST-MI-HTTP"
SIGNERS = ("amr1", "amr_chief", "tax1")


class Client:
    def __init__(self, base_url: str, username: str):
        self.base_url = base_url
        answer = requests.post(
            f"{base_url}/api/v1/auth/token",
            json={"username": username, "password": DEMO_PASSWORD},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base_url}/api/v1{path}", headers=self.headers, timeout=30)

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(
            f"{self.base_url}/api/v1{path}", json=body, headers=self.headers, timeout=30
        )

    def mine(self, case_no: str) -> list[dict]:
        answer = self.get("/tasks?scope=mine&per_page=200")
        assert answer.status_code == 200, answer.text
        return [t for t in answer.json()["items"] if t["case_no"] == case_no]

    def complete_mine(self, case_no: str, data: dict) -> None:
        [task] = self.mine(case_no)
        answer = self.post(f"/tasks/{task['id']}/complete", {"data": data})
        assert answer.status_code == 200, answer.text


def _setup(sessions) -> None:
    with UnitOfWork(sessions) as uow:
        deploy_model(uow, None, "mi_http", mi.files("mi_http", mi.over_signers(), SIGNERS))
        [guide] = [i for i in read_items(ROOT / "workflows") if i["name"] == "企业开办"]
        # no materials to receive: the countersign across servers is what is tested here
        test_item = {**guide, "code": ITEM, "name": "会签测试", "process_key": "mi_http"}
        upsert_item(uow, {**test_item, "materials": []})


def _start_case(client: Client) -> str:
    answer = client.post(
        "/cases",
        {
            "service_item": ITEM,
            "applicant": {
                "kind": "enterprise",
                "name": "青山绿水商贸有限公司",
                "id_type": "统一社会信用代码",
                "id_number": "91339901MA2H7K3Q05",
                "phone": "13812345678",
            },
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["case_no"]


def test_a_countersign_completed_across_two_servers_and_a_restart_moves_on(database_url, sessions):
    _setup(sessions)
    with (
        running_server(database_url, 1, "--no-scheduler") as first,
        running_server(database_url, 1, "--no-scheduler") as second,
    ):
        case_no = _start_case(Client(first.base_url, "window1"))
        Client(first.base_url, "window1").complete_mine(case_no, {"decision": "accept"})
        Client(second.base_url, "amr1").complete_mine(case_no, {"decision": "approve"})
        Client(first.base_url, "amr_chief").complete_mine(case_no, {"decision": "reject"})
    with running_server(database_url, 1, "--no-scheduler") as restarted:
        tax = Client(restarted.base_url, "tax1")
        assert not Client(restarted.base_url, "amr1").mine(case_no), "amr1 signed already"
        tax.complete_mine(case_no, {"decision": "approve"})
        case = tax.get(f"/cases/{case_no}").json()
        assert case["status"] == "running"
        assert [t["name"] for t in case["open_tasks"]] == ["后续"], case["open_tasks"]
