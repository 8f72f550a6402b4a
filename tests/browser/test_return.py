"""退回 in a real Chromium (issue #5, point 7): a reviewer returns a case from the licence
review to 营业执照承办 with a reason, and the clerk who handled it finds the step open again
in 我的待办 with the reason shown on the task page and in the case history.

The steps before the review go through the API to keep the test short; only the 办理操作
section's 退回 form and what it leads to are driven in the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Page, Playwright, expect

from .api import complete, my_task, receive_materials, token
from .conftest import login, logout

pytestmark = pytest.mark.browser

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山退回商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
LICENCE = {
    "company_name": "青山退回商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}
HANDLING = "营业执照承办"
REVIEW = "营业执照审核"
REASON = "经营范围表述不规范，请核实"


@pytest.fixture
def api(playwright_instance: Playwright, live_server: str) -> Iterator[APIRequestContext]:
    context = playwright_instance.request.new_context(base_url=live_server)
    yield context
    context.dispose()


def case_at_review(api: APIRequestContext) -> str:
    """企业开办 started and accepted by window1, 营业执照承办 completed by amr1."""
    window = token(api, "window1")
    items = api.get("/api/v1/service-items", headers=window).json()["items"]
    code = next(i["code"] for i in items if i["name"] == "企业开办")
    created = api.post(
        "/api/v1/cases",
        headers=window,
        data={"service_item": code, "applicant": ENTERPRISE, "data": {}},
    )
    assert created.status == 201, created.text()
    case_no = created.json()["case_no"]
    receive_materials(api, window, case_no)
    intake = my_task(api, window, case_no, "受理")
    complete(api, window, intake, {"decision": "accept", "materials_checked": True})
    amr1 = token(api, "amr1")
    complete(api, amr1, my_task(api, amr1, case_no, HANDLING), LICENCE)
    return case_no


def inbox_row(page: Page, case_no: str):
    return page.locator("table.inbox tbody tr").filter(has_text=case_no)


def test_reviewer_returns_the_case_to_the_handling_step_with_a_reason(
    page: Page, api: APIRequestContext
) -> None:
    case_no = case_at_review(api)

    # amr_chief opens the review level from 我的待办 and returns it with a reason.
    login(page, "amr_chief")
    row = inbox_row(page, case_no)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=re.compile(rf"^{REVIEW}")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REVIEW)
    operations = page.locator("#operations")
    expect(operations).to_be_visible()
    form = operations.locator("form.op-return")
    expect(form).to_be_visible()
    target = form.locator("#op-return-to option").filter(has_text=HANDLING)
    expect(target).to_have_count(1)
    form.locator("#op-return-to").select_option(target.get_attribute("value"))
    form.locator("#op-return-reason").fill(REASON)
    form.get_by_role("button", name="退回").click()

    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_role("status")).to_contain_text("已退回")
    expect(inbox_row(page, case_no)).to_have_count(0)

    page.goto(f"/cases/{case_no}")
    opened = page.locator("ul.open-tasks > li")
    expect(opened).to_have_count(1)
    expect(opened.first).to_contain_text(HANDLING)
    expect(opened.first).not_to_contain_text(REVIEW)
    logout(page)

    # amr1 finds 营业执照承办 back in 我的待办, with the reason on the task page.
    login(page, "amr1")
    row = inbox_row(page, case_no)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=HANDLING).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HANDLING)
    returned = page.locator("#operations .returned-reason")
    expect(returned).to_contain_text(REASON)
    expect(returned).to_contain_text("市场监管科长（钱伟）")  # by display name
    expect(returned).to_contain_text(REVIEW)

    # The case history lists the return, by whom and why.
    page.goto(f"/cases/{case_no}")
    event = page.locator("ol.timeline > li").filter(has_text="退回")
    expect(event).to_have_count(1)
    expect(event).to_contain_text("市场监管科长（钱伟）")
    expect(event).to_contain_text(HANDLING)
    expect(event).to_contain_text(REASON)
