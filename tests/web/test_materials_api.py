"""The materials endpoints of API.md and the one acceptance rule over REST (行政许可法 art. 32)."""

from __future__ import annotations

import io

from .conftest import Api
from .test_api_journey import ENTERPRISE, item_code

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def new_case(window: Api) -> tuple[str, dict]:
    response = window.post(
        "/cases", json={"service_item": item_code(window, "企业开办"), "applicant": ENTERPRISE}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    [intake] = [t for t in body["open_tasks"] if t["name"] == "受理"]
    return body["case_no"], intake


def put(api: Api, case_no: str, name: str, body: dict):
    return api.client.put(
        f"/api/v1/cases/{case_no}/materials/{name}", json=body, headers=api._headers()
    )


def accept(window: Api, intake: dict):
    return window.post(f"/tasks/{intake['id']}/complete", json={"data": {"decision": "accept"}})


def test_rest_acceptance_follows_the_intake_page_s_rule(api):
    window = api("window1")
    case_no, intake = new_case(window)
    checklist = window.get(f"/cases/{case_no}/materials").get_json()
    assert checklist["total"] == 7 and checklist["page"] == 1
    first = checklist["items"][0]
    assert set(first) >= {"name", "mandatory", "originals", "copies", "received", "waived", "files"}
    assert first["received"] == {"originals": 0, "copies": 0} and first["waived"] is False
    mandatory = [m["name"] for m in checklist["items"] if m["mandatory"]]
    assert len(mandatory) == 6

    refused = accept(window, intake)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "materials_incomplete"
    assert refused.get_json()["error"]["details"]["missing"] == mandatory

    for name in mandatory[:-1]:
        line = put(window, case_no, name, {"originals": 1, "copies": 1, "note": "窗口核验"})
        assert line.status_code == 200, line.get_json()
        assert line.get_json()["received"] == {"originals": 1, "copies": 1}
        assert line.get_json()["missing"] is False
    still = accept(window, intake)
    assert still.get_json()["error"]["details"]["missing"] == mandatory[-1:]

    scan = window.client.post(
        f"/api/v1/cases/{case_no}/materials",
        data={"material": mandatory[-1], "file": (io.BytesIO(PDF), "申请表.pdf")},
        headers=window._headers(),
        content_type="multipart/form-data",
    )
    assert scan.status_code == 201, scan.get_json()
    assert scan.get_json()["name"] == mandatory[-1] and scan.get_json()["filename"] == "申请表.pdf"
    lines = window.get(f"/cases/{case_no}/materials").get_json()["items"]
    assert [f["id"] for f in lines[len(mandatory) - 1]["files"]] == [scan.get_json()["id"]]

    accepted = accept(window, intake)
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["case"]["clock"]["state"] == "running"


def test_a_waived_material_counts_and_a_withdrawn_receipt_does_not(api):
    window = api("window1")
    case_no, intake = new_case(window)
    lines = window.get(f"/cases/{case_no}/materials").get_json()["items"]
    mandatory = [m["name"] for m in lines if m["mandatory"]]
    for name in mandatory:
        assert put(window, case_no, name, {"originals": 1, "copies": 1}).status_code == 200
    assert put(window, case_no, mandatory[0], {"originals": 0, "copies": 0}).status_code == 200
    assert accept(window, intake).get_json()["error"]["details"]["missing"] == mandatory[:1]
    waived = put(window, case_no, mandatory[0], {"originals": 0, "copies": 0, "waived": True})
    assert waived.get_json()["waived"] is True and waived.get_json()["missing"] is False
    assert accept(window, intake).status_code == 200


def test_materials_are_the_window_s_to_record(api):
    window = api("window1")
    case_no, _intake = new_case(window)
    name = window.get(f"/cases/{case_no}/materials").get_json()["items"][0]["name"]
    body = {"originals": 1, "copies": 0}
    assert put(api("admin"), case_no, name, body).status_code == 403, "reads all, records none"
    assert put(api("tax1"), case_no, name, body).status_code == 404, "cannot see the case"
    assert api("tax1").get(f"/cases/{case_no}/materials").status_code == 404
    unknown = put(window, case_no, "不在清单上的材料", body)
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "unknown_material"
    for bad in ({"originals": -1, "copies": 0}, {"originals": "1", "copies": 0}, {"copies": 1}):
        assert put(window, case_no, name, bad).status_code == 422, bad
    assert api().get(f"/cases/{case_no}/materials").status_code == 401
    no_file = window.client.post(
        f"/api/v1/cases/{case_no}/materials",
        data={"material": name},
        headers=window._headers(),
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 400


def test_the_endpoints_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/cases/{case_no}/materials"])
    assert "put" in paths["/api/v1/cases/{case_no}/materials/{name}"]
