"""The catalogue is maintained without code: PUT /api/v1/service-items/{code}."""

from __future__ import annotations

import uuid

ITEM = {
    "name": "食品经营许可（测试）",
    "item_type": "01",
    "case_type": "promised",
    "process_key": "enterprise_startup",
    "legal_limit": {"days": 20, "unit": "working_day"},
    "promised_limit": {"days": 5, "unit": "working_day"},
    "departments": ["window", "amr"],
    "materials": [{"name": "食品经营许可申请书", "originals": 1, "copies": 0, "mandatory": True}],
    "handling_place": "县政务服务中心一楼",
}


def test_an_administrator_creates_and_updates_an_item(api):
    admin = api("admin")
    code = f"TEST-{uuid.uuid4().hex[:8]}"
    created = admin.client.put(
        f"/api/v1/service-items/{code}",
        json=ITEM,
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["promised_limit"] == {"days": 5, "unit": "working_day"}
    updated = admin.client.put(
        f"/api/v1/service-items/{code}",
        json={**ITEM, "name": "食品经营许可（改）"},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert updated.status_code == 200
    assert admin.get(f"/service-items/{code}").get_json()["name"] == "食品经营许可（改）"


def test_bad_items_and_non_administrators_are_refused(api):
    admin, window = api("admin"), api("window1")
    code = f"TEST-{uuid.uuid4().hex[:8]}"
    too_long = {**ITEM, "promised_limit": {"days": 30, "unit": "working_day"}}
    refused = admin.client.put(
        f"/api/v1/service-items/{code}",
        json=too_long,
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert refused.status_code == 422
    assert "promised_limit" in refused.get_json()["error"]["details"]["fields"]
    forbidden = window.client.put(
        f"/api/v1/service-items/{code}",
        json=ITEM,
        headers={"Authorization": f"Bearer {window.token}"},
    )
    assert forbidden.status_code == 403
    assert admin.get(f"/service-items/{code}").status_code == 404
