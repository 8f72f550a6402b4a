"""Approval chains over the REST API and the admin pages (/admin/chains/)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import Api, csrf_token, login
from .test_api_journey import LICENCE, complete, start_enterprise_case

DEMO_KEY = "enterprise_startup.amr"
LEVELS = [
    {"name": "科长审核", "assignees": {"rule": "role", "value": "approver"}, "mode": "single"},
    {
        "name": "局长审批",
        "assignees": {"rule": "department_head", "value": None},
        "condition": "registered_capital >= 1000",
    },
]


def put(api: Api, key: str, body: Any):
    return api.client.put(f"/api/v1/approval-chains/{key}", json=body, headers=api._headers())


def test_demo_chain_is_listed_and_readable(api):
    amr1 = api("amr1")
    listed = amr1.get("/approval-chains?department=amr")
    assert listed.status_code == 200
    body = listed.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    [demo] = [c for c in body["items"] if c["key"] == DEMO_KEY]
    assert demo["department"] == "amr" and demo["in_force"] is True
    assert demo["service_item_name"] == "企业开办"
    by_item = amr1.get(f"/approval-chains?service_item={demo['service_item']}").get_json()
    assert DEMO_KEY in [c["key"] for c in by_item["items"]]
    other = amr1.get("/approval-chains?department=psb").get_json()["items"]
    assert DEMO_KEY not in [c["key"] for c in other]

    chain = amr1.get(f"/approval-chains/{DEMO_KEY}").get_json()
    assert [level["name"] for level in chain["levels"]] == ["科长审核", "局长审批"]
    assert chain["levels"][1]["condition"] == "registered_capital >= 1000"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", chain["effective_at"])
    versions = amr1.get(f"/approval-chains/{DEMO_KEY}/versions").get_json()
    assert versions["items"][-1]["version"] == 1 and versions["items"][-1]["created_by"] == "demo"
    assert amr1.get("/approval-chains/nope").status_code == 404
    assert api().get("/approval-chains").status_code == 401


def test_put_makes_versions_with_history(api):
    admin = api("admin")
    first = put(admin, "api.versions", {"department": "amr", "levels": LEVELS, "note": "初版"})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["version"] == 1
    changed = [
        LEVELS[0],
        {**LEVELS[1], "mode": "all"},
        {
            "name": "分管局长审批",
            "assignees": {"rule": "users", "value": ["psb1", "tax1"]},
            "mode": "ratio",
            "ratio": 0.5,
        },
    ]
    second = put(
        admin,
        "api.versions",
        {"levels": changed, "note": "加分管局长", "service_item": "企业开办"},
    )
    assert second.status_code == 200, second.get_json()
    body = second.get_json()
    assert (body["version"], body["department"], body["created_by"]) == (2, "amr", "admin")
    assert body["levels"][2]["assignees"]["value"] == ["psb1", "tax1"]
    assert body["service_item"] != "企业开办", "a name is stored as the item's code"

    current = admin.get("/approval-chains/api.versions").get_json()
    assert current["version"] == 2 and current["note"] == "加分管局长"
    history = admin.get("/approval-chains/api.versions/versions").get_json()["items"]
    assert [(v["version"], v["note"], v["in_force"]) for v in history] == [
        (2, "加分管局长", True),
        (1, "初版", False),
    ]
    assert any("新增第 3 级" in change for change in history[0]["changes"])

    scheduled = put(
        admin,
        "api.versions",
        {"levels": LEVELS, "effective_at": "2999-01-01T08:00:00+08:00", "note": "远期"},
    )
    assert scheduled.status_code == 200 and scheduled.get_json()["in_force"] is False
    assert admin.get("/approval-chains/api.versions").get_json()["version"] == 2


@pytest.mark.parametrize(
    ("levels", "level", "field", "words"),
    [
        ([LEVELS[0], {**LEVELS[1], "condition": "registered_capital >="}], 2, "condition", "条件"),
        ([{**LEVELS[0], "assignees": {"rule": "boss"}}], 1, "assignees.rule", "未知的审批人规则"),
        ([{**LEVELS[0], "assignees": {"rule": "role"}}], 1, "assignees.value", "缺少角色"),
        (
            [{**LEVELS[0], "assignees": {"rule": "role", "value": "chief"}}],
            1,
            "assignees.value",
            "未知的角色",
        ),
        (
            [
                LEVELS[0],
                {**LEVELS[0], "name": "会签", "assignees": {"rule": "users", "value": ["ghost"]}},
            ],
            2,
            "assignees.value",
            "ghost",
        ),
        (
            [{**LEVELS[0], "assignees": {"rule": "department_head", "value": "moon"}}],
            1,
            "assignees.value",
            "未知的部门",
        ),
        ([{**LEVELS[0], "mode": "ratio"}], 1, "ratio", "0 < ratio ≤ 1"),
        ([{**LEVELS[0], "mode": "ratio", "ratio": 0}], 1, "ratio", "0 < ratio ≤ 1"),
        ([{**LEVELS[0], "condition": "__import__('os')"}], 1, "condition", "条件"),
    ],
)
def test_put_refuses_invalid_levels_with_422_naming_the_level(api, levels, level, field, words):
    response = put(api("admin"), "api.invalid", {"department": "amr", "levels": levels})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_chain"
    assert error["details"]["level"] == level and error["details"]["field"] == field
    name = levels[level - 1]["name"]
    assert error["message"].startswith(f"第 {level} 级“{name}”")
    assert words in error["message"]
    assert api("admin").get("/approval-chains/api.invalid").status_code == 404


def test_put_refuses_bad_chain_fields(api):
    admin = api("admin")
    for body, field in [
        ({"levels": LEVELS}, "department"),
        ({"department": "moon", "levels": LEVELS}, "department"),
        ({"department": "amr", "levels": []}, "levels"),
        ({"department": "amr", "levels": LEVELS, "effective_at": "tomorrow"}, "effective_at"),
        ({"department": "amr", "levels": LEVELS, "service_item": "没有的事项"}, "service_item"),
    ]:
        response = put(admin, "api.fields", body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["error"]["details"]["field"] == field
    assert put(admin, "bad key!", {"department": "amr", "levels": LEVELS}).status_code == 422
    malformed = admin.client.put(
        "/api/v1/approval-chains/api.fields",
        data="{nope",
        content_type="application/json",
        headers=admin._headers(),
    )
    assert malformed.status_code == 400


@pytest.mark.parametrize("username", ["amr_chief", "designer1", "window1", "office1"])
def test_only_administrators_change_or_preview_chains(api, username):
    caller = api(username)
    assert put(caller, "api.forbidden", {"department": "amr", "levels": LEVELS}).status_code == 403
    preview = caller.post(f"/approval-chains/{DEMO_KEY}/preview", json={"data": {}})
    assert preview.status_code == 403
    assert caller.get("/approval-chains/api.forbidden").status_code == 404
    assert put(api(), "api.forbidden", {"department": "amr", "levels": LEVELS}).status_code == 401


def test_preview_with_sample_data_shows_users_and_skips(api):
    admin = api("admin")
    small = admin.post(
        f"/approval-chains/{DEMO_KEY}/preview", json={"data": {"registered_capital": 100}}
    ).get_json()
    assert [(level["name"], level["runs"]) for level in small["levels"]] == [
        ("科长审核", True),
        ("局长审批", False),
    ]
    assert small["levels"][0]["users"] == [
        {"username": "amr_chief", "display_name": "市场监管科长（钱伟）"}
    ]
    assert small["levels"][1]["skip_reason"] == "condition_false"
    big = admin.post(
        f"/approval-chains/{DEMO_KEY}/preview",
        json={
            "data": {"registered_capital": 5000, "applicant": {"kind": "person", "name": "钱伟"}}
        },
    ).get_json()
    assert [level["runs"] for level in big["levels"]] == [True, True]
    assert big["levels"][0]["removed_applicants"] == ["amr_chief"]
    assert [u["username"] for u in big["levels"][1]["users"]] == ["admin"]
    assert big["levels"][1]["fallback"] == "admin"

    draft = admin.post(
        f"/approval-chains/{DEMO_KEY}/preview",
        json={
            "data": {},
            "levels": [
                {
                    "name": "会签",
                    "assignees": {"rule": "users", "value": "psb1,tax1"},
                    "mode": "all",
                }
            ],
        },
    ).get_json()
    assert draft["draft"] is True and draft["levels"][0]["required"] == 2
    bad = admin.post(
        f"/approval-chains/{DEMO_KEY}/preview",
        json={"data": {}, "levels": [{"name": "坏", "assignees": {"rule": "role", "value": "x"}}]},
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["details"]["level"] == 1
    assert admin.post(f"/approval-chains/{DEMO_KEY}/preview", json={}).status_code == 400
    assert admin.post("/approval-chains/nope/preview", json={"data": {}}).status_code == 404


def test_preview_a_case_and_run_it_through_two_levels(api):
    case_no, _created = start_enterprise_case(api)
    window, amr1, chief, admin = api("window1"), api("amr1"), api("amr_chief"), api("admin")
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept"})
    complete(
        amr1, amr1.task_named(case_no, "营业执照承办"), {**LICENCE, "registered_capital": 3000}
    )

    preview = admin.post(f"/approval-chains/{DEMO_KEY}/preview", json={"case_no": case_no})
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["source"] == "case"
    assert [level["runs"] for level in preview.get_json()["levels"]] == [True, True]
    assert (
        admin.post(f"/approval-chains/{DEMO_KEY}/preview", json={"case_no": "0"}).status_code == 404
    )

    level1 = chief.task_named(case_no, "营业执照审核")
    assert level1["name"] == "营业执照审核 · 科长审核"
    assert not amr1.open_tasks(case_no), "amr1 is no candidate"
    result = complete(chief, level1, {"decision": "approve", "opinion": "同意"})
    [level2] = result["next_tasks"]
    assert level2["name"] == "营业执照审核 · 局长审批"
    assert chief.get(f"/tasks/{level2['id']}").get_json()["can_complete"] is True
    result = complete(chief, level2, {"decision": "approve", "opinion": "准予"})
    assert sorted(t["department"] for t in result["next_tasks"]) == ["hrss", "psb", "tax"]
    events = window.get(f"/cases/{case_no}").get_json()["events"]
    actions = [e["action"] for e in events]
    assert actions.count("chain_level_start") == 2 and "chain_done" in actions


def test_the_openapi_document_lists_the_chain_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/approval-chains" in paths
    assert {"get", "put"} <= set(paths["/api/v1/approval-chains/{key}"])
    assert "post" in paths["/api/v1/approval-chains/{key}/preview"]


# ----- the admin pages -----------------------------------------------------------------------


def page_client(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def test_admin_pages_are_for_administrators(app):
    for username in ("amr_chief", "designer1"):
        client = page_client(app, username)
        assert client.get("/admin/chains/").status_code == 403
        assert client.get(f"/admin/chains/{DEMO_KEY}").status_code == 403
    assert app.test_client().get("/admin/chains/").status_code == 302  # to the login page


def test_admin_lists_and_opens_the_demo_chain(app):
    client = page_client(app, "admin")
    page = client.get("/admin/chains/").get_data(as_text=True)
    assert "审批链配置" in page and DEMO_KEY in page and "企业开办" in page
    assert "科长审核 → 局长审批" in page
    edit = client.get(f"/admin/chains/{DEMO_KEY}").get_data(as_text=True)
    assert 'value="科长审核"' in edit and 'value="registered_capital &gt;= 1000"' in edit
    assert "版本历史" in edit and 'data-version="1"' in edit
    assert (
        client.get("/admin/chains/new?key=ui.new&department=amr")
        .headers["Location"]
        .endswith("/admin/chains/ui.new?department=amr")
    )


def form_of(levels: list[dict[str, str]], **extra: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for index, level in enumerate(levels):
        for field in ("name", "rule", "value", "mode", "ratio", "condition", "order"):
            data[f"level-{index}-{field}"] = level.get(field, "")
        if level.get("remove"):
            data[f"level-{index}-remove"] = "1"
    return {"department": "amr", "service_item": "", **data, **extra}


def test_admin_edits_previews_and_saves_a_chain(app, api):
    client = page_client(app, "admin")
    token = csrf_token(client.get("/admin/chains/ui.edit").get_data(as_text=True))
    levels = [
        {
            "name": "局长审批",
            "rule": "department_head",
            "mode": "single",
            "order": "2",
            "condition": "registered_capital >= 1000",
        },
        {"name": "科长审核", "rule": "role", "value": "approver", "mode": "single", "order": "1"},
        {"name": "删掉的", "rule": "users", "value": "psb1", "order": "3", "remove": "1"},
    ]
    preview = client.post(
        "/admin/chains/ui.edit",
        data={
            **form_of(levels, sample='{"registered_capital": 10}'),
            "action": "preview",
            "csrf_token": token,
        },
    )
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    rows = re.findall(r'<tr class="(runs|skipped)" data-level="(\d)">', page)
    assert rows == [("runs", "1"), ("skipped", "2")], "ordered by 序号, the removed one dropped"
    assert "市场监管科长（钱伟）" in page

    bad = client.post(
        "/admin/chains/ui.edit",
        data={
            **form_of([{**levels[1], "condition": "x >"}]),
            "action": "save",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert "第 1 级“科长审核”：条件表达式无效" in bad.get_data(as_text=True)

    saved = client.post(
        "/admin/chains/ui.edit",
        data={
            **form_of(levels, note="页面新建", effective_at="2024-05-01T09:00"),
            "action": "save",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    chain = api("admin").get("/approval-chains/ui.edit").get_json()
    assert [level["name"] for level in chain["levels"]] == ["科长审核", "局长审批"]
    assert chain["note"] == "页面新建" and chain["effective_at"] == "2024-05-01T09:00:00+08:00"
    history = client.get("/admin/chains/ui.edit").get_data(as_text=True)
    assert "页面新建" in history and "生效中" in history


def test_the_condition_builder_is_offered_the_items_form_fields(app):
    """Each item's fields from its deployed model's forms, options of a shared field merged."""
    client = page_client(app, "admin")
    edit = client.get(f"/admin/chains/{DEMO_KEY}").get_data(as_text=True)
    found = re.search(
        r'<script type="application/json" id="condition-builder-config">(.*?)</script>', edit, re.S
    )
    assert found, "no condition-builder config"
    config = json.loads(found.group(1))
    fields = {f["name"]: f for f in config["fields"]["11339901MB1622039G4000120010000001"]}
    assert fields["registered_capital"]["type"] in ("number", "integer")
    decisions = {o["value"] for o in fields["decision"]["options"]}
    assert {"accept", "approve", "reject"} <= decisions  # 受理's and 营业执照审核's
    assert 'class="condition-builder" data-target="level-0-condition"' in edit
