"""网上申报 over HTTP without an account: a case number and 查询密码 at once, channel online and
no visit, waiting at the window's 受理 step (its 预审); uploads by password with the type and
size limits; a 补正 answered online by uploading the missing item; a rate limit per address."""

from __future__ import annotations

import io
import uuid

import pytest

from .conftest import csrf_token
from .test_api_journey import LICENCE, complete, item_code, parallel_step_data, receive_materials
from .test_ratings_api import INSTANT

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山网上申报测试有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13800003333",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _address() -> dict:
    value = uuid.uuid4().int
    return {"environ_base": {"REMOTE_ADDR": f"10.{value % 250}.{(value >> 8) % 250}.9"}}


@pytest.fixture
def filed(api, client):
    """A 企业开办 case filed online from an address of its own: (case_no, password, address)."""
    address = _address()
    code = item_code(api("window1"), "企业开办")
    body = {"service_item": code, "applicant": ENTERPRISE, "data": {}}
    response = client.post("/api/v1/public/applications", json=body, **address)
    assert response.status_code == 201, response.get_json()
    view = response.get_json()
    assert (view["channel"], view["visits"]) == ("online", 0)
    assert "公司章程" in view["materials"]
    return view["case_no"], view["query_password"], address


def _upload(client, case_no, password, material, data, filename="scan.pdf", address=None):
    form = {"password": password, "material": material, "file": (io.BytesIO(data), filename)}
    return client.post(
        f"/api/v1/public/cases/{case_no}/materials",
        data=form,
        content_type="multipart/form-data",
        **(address or _address()),
    )


def test_an_online_case_waits_at_the_windows_pre_review(filed, api, client) -> None:
    case_no, password, address = filed
    progress = client.get(f"/api/v1/public/cases/{case_no}?password={password}", **address)
    assert progress.get_json()["supplement"] is None
    [task] = api("window1").open_tasks(case_no)
    assert (task["name"], task["department"]) == ("受理", "window")
    case = api("window1").get(f"/cases/{case_no}").get_json()
    assert (case["channel"], case["visits"]) == ("online", 0)


def test_uploads_need_the_password_and_meet_the_limits(filed, client) -> None:
    case_no, password, address = filed
    stored = _upload(client, case_no, password, "公司章程", PDF, address=address)
    assert stored.status_code == 201, stored.get_json()
    assert stored.get_json()["uploaded_by"] == "applicant"
    assert _upload(client, case_no, "000000", "公司章程", PDF).status_code == 404
    assert _upload(client, case_no, password, "公司章程", b"MZ\x90\x00", "a.exe").status_code == 422
    assert _upload(client, case_no, password, "营业执照", PDF).status_code == 422
    big = PDF + b"0" * (10 * 1024 * 1024)
    assert _upload(client, case_no, password, "公司章程", big).status_code == 413


def test_a_supplement_is_answered_online(filed, api, client) -> None:
    case_no, password, address = filed
    window = api("window1")
    [task] = window.open_tasks(case_no)
    missing = ["公司章程"]
    complete(window, task, {"decision": "supplement", "missing_materials": missing, "reason": "缺"})
    progress = client.get(f"/api/v1/public/cases/{case_no}?password={password}", **address)
    assert progress.get_json()["supplement"]["missing"] == missing
    stored = _upload(client, case_no, password, "公司章程", PDF, address=address)
    assert stored.status_code == 201, stored.get_json()
    events = window.get(f"/cases/{case_no}").get_json()["events"]
    uploads = [e for e in events if e["action"] == "material_upload"]
    assert [(e["actor"], e["detail"]["name"]) for e in uploads] == [("applicant", "公司章程")]


def test_applications_are_rate_limited_per_address(api, client) -> None:
    address = _address()
    body = {"service_item": item_code(api("window1"), "企业开办"), "applicant": ENTERPRISE}
    statuses = [
        client.post("/api/v1/public/applications", json=body, **address).status_code
        for _ in range(11)
    ]
    assert statuses == [201] * 10 + [429]
    unknown = {"service_item": "nothing", "applicant": ENTERPRISE}
    assert client.post("/api/v1/public/applications", json=unknown, **_address()).status_code == 404


def test_a_case_finished_without_a_visit_counts_in_the_catalogue_rates(api, client) -> None:
    window = api("window1")
    code = item_code(window, "个体工商户设立登记")
    person = {
        "kind": "person",
        "name": "零跑动测试",
        "id_type": "居民身份证",
        "id_number": "330182199001011236",
        "phone": "13900004444",
    }
    body = {"service_item": code, "applicant": person}
    filed = client.post("/api/v1/public/applications", json=body, **_address()).get_json()
    [task] = window.open_tasks(filed["case_no"])
    receive_materials(window, filed["case_no"])
    done = complete(window, task, INSTANT)
    assert (done["case"]["status"], done["case"]["visits"]) == ("finished", 0)
    items = client.get("/api/v1/public/service-items?per_page=200").get_json()["items"]
    rates = next(i for i in items if i["code"] == code)["visit_rates"]
    assert rates["finished"] >= 1 and rates["zero_visit_rate"] > 0
    assert rates["at_most_once_rate"] >= rates["zero_visit_rate"]
    page = client.get("/public/").get_data(as_text=True)
    assert "零跑动" in page and "最多跑一次" in page


def _finish_online(api, client, delivery: dict) -> tuple[str, str, dict]:
    """An online 企业开办 case run to its 出件 with ``delivery``: (case_no, password, address)."""
    address = _address()
    window = api("window1")
    body = {"service_item": item_code(window, "企业开办"), "applicant": ENTERPRISE}
    filed = client.post("/api/v1/public/applications", json=body, **address).get_json()
    case_no = filed["case_no"]
    receive_materials(window, case_no)
    complete(
        window,
        window.task_named(case_no, "受理"),
        {"decision": "accept", "materials_checked": True},
    )
    amr1, chief = api("amr1"), api("amr_chief")
    handling = amr1.task_named(case_no, "营业执照承办")
    amr1.post(f"/tasks/{handling['id']}/claim")
    complete(amr1, handling, LICENCE)
    complete(
        chief, chief.task_named(case_no, "营业执照审核"), {"decision": "approve", "opinion": "同意"}
    )
    for username in ("psb1", "tax1", "hrss1"):
        clerk = api(username)
        [task] = clerk.open_tasks(case_no)
        complete(clerk, task, parallel_step_data(task["name"]))
    done = complete(window, window.task_named(case_no, "出件"), delivery)
    assert (done["case"]["status"], done["case"]["visits"]) == ("finished", 0)
    return case_no, filed["query_password"], address


def test_a_result_by_post_shows_its_tracking_number(api, client) -> None:
    mailed = {"delivery_method": "邮寄", "recipient": "张三", "mail_tracking_no": "SF1234567890"}
    case_no, password, address = _finish_online(api, client, mailed)
    progress = client.get(f"/api/v1/public/cases/{case_no}?password={password}", **address)
    assert progress.get_json()["delivery"] == {
        "method": "邮寄",
        "tracking_no": "SF1234567890",
        "e_licence": False,
    }


def test_an_e_licence_is_downloaded_with_the_password(api, client) -> None:
    issued = {"delivery_method": "电子证照", "recipient": "张三"}
    case_no, password, address = _finish_online(api, client, issued)
    track = client.get("/public/track").get_data(as_text=True)
    shown = client.post(
        "/public/track",
        data={"csrf_token": csrf_token(track), "case_no": case_no, "password": password},
        **address,
    ).get_data(as_text=True)
    assert "下载电子证照" in shown
    path = f"/public/apply/cases/{case_no}/e-licence.pdf"
    pdf = client.post(path, data={"csrf_token": csrf_token(shown), "password": password}, **address)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    wrong = client.post(path, data={"csrf_token": csrf_token(shown), "password": "000000"})
    assert not wrong.data.startswith(b"%PDF")
