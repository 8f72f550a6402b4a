"""The public pages' step lists in a real Chromium, on a phone (390×844) and a desktop (1366×768):
the guide's numbered 办理流程 with its folded diagram, and the progress page's timeline
(issue 15, point 6). The case is set up through the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, Playwright, expect

from .api import complete, my_task, receive_materials, token
from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

ENTERPRISE_ITEM = "11339901MB1622039G4000120010000001"  # 企业开办
APPLICANT = {
    "kind": "enterprise",
    "name": "青山进程测试有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91339901MA2H7K3Q05",
}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


@pytest.fixture
def api(playwright_instance: Playwright, live_server: str) -> Iterator[APIRequestContext]:
    context = playwright_instance.request.new_context(base_url=live_server)
    yield context
    context.dispose()


@pytest.fixture(params=sorted(SIZES))
def visitor(request, browser: Browser, live_server: str) -> Iterator[Page]:
    """Anyone, no login, at a phone's or a desktop's size."""
    phone = request.param == "phone"
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport=SIZES[request.param],
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_the_guide_lists_numbered_steps_and_the_diagram_opens_on_demand(visitor: Page) -> None:
    visitor.goto(f"/public/items/{ENTERPRISE_ITEM}")
    steps = visitor.locator("ol.step-list > li")
    expect(steps).to_have_count(8)
    expect(steps.first).to_contain_text("受理")
    expect(steps.first).to_contain_text("综合受理窗口")
    expect(steps.nth(2)).to_contain_text("营业执照承办")
    expect(steps.nth(2)).to_contain_text("1 个工作日")
    diagram = visitor.locator(".flow-diagram .bpmn-diagram")
    expect(diagram).to_be_hidden()
    no_sideways_scroll(visitor)

    summary = visitor.get_by_text("查看流程图")
    summary.focus()
    visitor.keyboard.press("Enter")  # a <summary> opens from the keyboard
    expect(diagram).to_have_attribute("data-state", "loaded")
    expect(diagram.locator('g.djs-element[data-element-id="intake"]')).to_be_visible()


def test_the_progress_page_shows_the_steps_so_far(api: APIRequestContext, visitor: Page) -> None:
    window = token(api, "window1")
    created = api.post(
        "/api/v1/cases",
        headers=window,
        data={"service_item": ENTERPRISE_ITEM, "applicant": APPLICANT, "data": {}},
    )
    assert created.ok, created.text()
    case_no, password = created.json()["case_no"], created.json()["query_password"]
    receive_materials(api, window, case_no)
    complete(
        api,
        window,
        my_task(api, window, case_no, "受理"),
        {"decision": "accept", "materials_checked": True},
    )

    visitor.goto("/public/track")
    visitor.get_by_label("办件编号").fill(case_no)
    visitor.get_by_label("查询密码").fill(password)
    visitor.get_by_label("查询密码").press("Enter")
    timeline = visitor.get_by_role("list", name="办理进程")
    steps = timeline.get_by_role("listitem")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("提交申请")
    expect(steps.nth(1)).to_contain_text("受理")
    expect(steps.nth(1)).to_contain_text("已完成")
    expect(steps.nth(2)).to_contain_text("营业执照承办")
    expect(steps.nth(2)).to_contain_text("办理中")
    expect(steps.nth(2)).to_have_attribute("aria-current", "step")
    no_sideways_scroll(visitor)
