"""审批链配置 in a real Chromium: an administrator adds a level to 企业开办's 市场监督管理局
chain, and a case started afterwards goes through that level (issue #5, point 7).

The page is driven as an administrator uses it (添加层级, the level's fields, 修改说明, 保存);
the case steps go through the API to keep the test short. The chain is put back afterwards,
because the live server's database is shared by the other browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, Playwright, expect

from .api import receive_materials, token
from .conftest import login

pytestmark = pytest.mark.browser

CHAIN = "enterprise_startup.amr"
NEW_LEVEL = "分管局长审批"
ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山审批链商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
LICENCE = {
    "company_name": "青山审批链商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,  # below 1000: the 局长审批 level is skipped
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}
PARALLEL = ["刻制印章", "发票申领", "社保登记"]


@pytest.fixture
def api(playwright_instance: Playwright, live_server: str) -> Iterator[APIRequestContext]:
    context = playwright_instance.request.new_context(base_url=live_server)
    yield context
    context.dispose()


def my_tasks(api: APIRequestContext, headers: dict[str, str], case_no: str) -> list[dict]:
    response = api.get("/api/v1/tasks?scope=mine&per_page=200", headers=headers)
    assert response.ok, response.text()
    return [t for t in response.json()["items"] if t["case_no"] == case_no]


def complete(api: APIRequestContext, username: str, case_no: str, prefix: str, data: dict) -> Any:
    headers = token(api, username)
    tasks = [t for t in my_tasks(api, headers, case_no) if t["name"].startswith(prefix)]
    assert len(tasks) == 1, (username, prefix, [t["name"] for t in my_tasks(api, headers, case_no)])
    response = api.post(
        f"/api/v1/tasks/{tasks[0]['id']}/complete", headers=headers, data={"data": data}
    )
    assert response.ok, (tasks[0]["name"], response.status, response.text())
    return tasks[0]


def open_task_names(api: APIRequestContext, headers: dict[str, str], case_no: str) -> list[str]:
    response = api.get(f"/api/v1/cases/{case_no}", headers=headers)
    assert response.ok, response.text()
    return sorted(t["name"] for t in response.json()["open_tasks"])


def add_level_in_the_browser(page: Page) -> None:
    login(page, "admin")
    page.goto("/admin/chains/")
    page.get_by_role("link", name=CHAIN, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/chains/{re.escape(CHAIN)}$"))
    levels = page.locator("#chain-levels > li")
    before = levels.count()
    assert before >= 1

    page.get_by_role("button", name="添加层级").click()
    expect(levels).to_have_count(before + 1)
    new = levels.last
    new.get_by_label("层级名称").fill(NEW_LEVEL)
    new.get_by_label("审批人规则").select_option("users")
    new.get_by_label("规则取值").fill("admin")
    new.get_by_label("审批方式").select_option("single")
    expect(new.locator(".level-title")).to_have_text(f"第 {before + 1} 级 · {NEW_LEVEL}")
    page.get_by_label("修改说明").fill("浏览器测试：加分管局长审批")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.get_by_text(f"已保存审批链 {CHAIN}")).to_be_visible()
    newest = page.locator("table.chain-versions tbody tr").first
    expect(newest).to_contain_text("浏览器测试：加分管局长审批")
    expect(newest).to_contain_text("生效中")
    expect(page.locator("#chain-levels > li")).to_have_count(before + 1)
    expect(page.locator("#chain-levels > li").last.get_by_label("层级名称")).to_have_value(
        NEW_LEVEL
    )


def test_a_level_added_in_the_browser_is_used_by_a_new_case(
    page: Page, api: APIRequestContext
) -> None:
    admin = token(api, "admin")
    original = api.get(f"/api/v1/approval-chains/{CHAIN}", headers=admin)
    assert original.ok, original.text()
    try:
        add_level_in_the_browser(page)
        saved = api.get(f"/api/v1/approval-chains/{CHAIN}", headers=admin).json()
        assert saved["version"] == original.json()["version"] + 1
        assert saved["levels"][-1]["name"] == NEW_LEVEL
        assert saved["levels"][-1]["assignees"]["rule"] == "users"

        window = token(api, "window1")
        items = api.get("/api/v1/service-items", headers=window).json()["items"]
        code = next(i["code"] for i in items if i["name"] == "企业开办")
        started = api.post(
            "/api/v1/cases",
            headers=window,
            data={"service_item": code, "applicant": ENTERPRISE, "data": {}},
        )
        assert started.status == 201, started.text()
        case_no = started.json()["case_no"]
        receive_materials(api, window, case_no)
        complete(api, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
        complete(api, "amr1", case_no, "营业执照承办", LICENCE)
        first = complete(
            api, "amr_chief", case_no, "营业执照审核", {"decision": "approve", "opinion": "同意"}
        )
        assert "科长审核" in first["name"]

        [level] = [t for t in my_tasks(api, admin, case_no)]
        assert NEW_LEVEL in level["name"] and level["name"].startswith("营业执照审核")
        assert not [n for n in open_task_names(api, admin, case_no) if n in PARALLEL]
        complete(api, "admin", case_no, "营业执照审核", {"decision": "approve", "opinion": "同意"})
        assert open_task_names(api, admin, case_no) == sorted(PARALLEL)
    finally:
        body = original.json()
        restored = api.put(
            f"/api/v1/approval-chains/{CHAIN}",
            headers=admin,
            data={
                "levels": body["levels"],
                "note": "浏览器测试结束，恢复原层级",
                "service_item": body["service_item"],
                "department": body["department"],
            },
        )
        assert restored.ok, restored.text()
