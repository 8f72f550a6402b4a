"""The counter in a real Chromium: 企业开办 from the window to the licence review, the case's
BPMN diagram, and the English switch.

Only what a browser adds is checked here (navigation, forms as a clerk uses them, keyboard,
the 422 re-render, bpmn-js); the rules themselves are covered by tests/engine and tests/web.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .api import receive_materials, token
from .conftest import login, logout

pytestmark = pytest.mark.browser

SERVICE_ITEM = "企业开办"
ENTERPRISE_NAME = "青山绿水商贸有限公司"
CREDIT_CODE = "91339901MA2H7K3Q05"
SCREENSHOT = Path("/tmp/ow-case.png")
CASE_URL = re.compile(r"/cases/(\d+)$")


def start_case(page: Page) -> str:
    """As a window clerk: 发起办件 → 企业开办 for an enterprise; returns the new case number."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="发起办件").click()
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    page.get_by_label("事项").select_option(label=SERVICE_ITEM)
    page.get_by_label("申请人类型").select_option("enterprise")
    page.get_by_label("名称/姓名").fill(ENTERPRISE_NAME)
    expect(page.get_by_label("证件类型")).to_have_value("统一社会信用代码")
    page.get_by_label("证件号码").fill(CREDIT_CODE)
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_role("button", name="发起办件").click()

    expect(page).to_have_url(CASE_URL)
    case_no = CASE_URL.search(page.url).group(1)
    expect(page.get_by_role("status")).to_contain_text(f"办件已创建：{case_no}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE_ITEM)
    expect(page.get_by_role("heading", level=1)).to_contain_text(case_no)
    return case_no


def open_tasks(page: Page):
    return page.locator("ul.open-tasks > li")


def test_enterprise_case_from_window_to_licence_review(page: Page) -> None:
    login(page, "window1")
    case_no = start_case(page)
    receive_materials(page.request, token(page.request, "window1"), case_no)
    expect(open_tasks(page)).to_have_count(1)
    expect(open_tasks(page).first).to_contain_text("受理")

    # 受理, chosen with the keyboard: the form is usable without a mouse.
    open_tasks(page).get_by_role("link", name="受理", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("受理")
    materials = page.get_by_role("checkbox", name=re.compile("已逐项核验申请材料"))
    accept = page.get_by_role("radio", name="受理", exact=True)
    materials.focus()
    page.keyboard.press("Space")
    expect(materials).to_be_checked()
    page.keyboard.press("Tab")
    expect(accept).to_be_focused()
    page.keyboard.press("Space")
    expect(accept).to_be_checked()
    page.get_by_role("button", name="提交").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case_no}$"))
    expect(page.get_by_role("status")).to_have_text("已提交")
    expect(open_tasks(page).first).to_contain_text("营业执照承办")
    logout(page)

    # 营业执照承办: amr1 finds it in 我的待办, claims it, submits once with an error, then right.
    login(page, "amr1")
    row = page.locator("table.inbox tbody tr").filter(has_text=case_no)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="营业执照承办").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("营业执照承办")
    page.get_by_role("button", name="认领").click()
    expect(page.get_by_role("status")).to_have_text("已认领")
    expect(page.get_by_role("button", name="取消认领")).to_be_visible()

    page.locator("#field-credit_code").fill(CREDIT_CODE)
    page.locator("#field-registered_capital").fill("100")
    page.locator("#field-business_scope").fill("日用百货销售")
    page.locator("#field-opinion").fill("材料齐全，符合法定形式")
    page.get_by_role("radio", name="审查通过，报审核").check()
    task_url = page.url
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == task_url) as posted:
        page.get_by_role("button", name="提交").click()
    assert posted.value.status == 422

    company = page.locator("#field-company_name")
    expect(page.get_by_role("alert")).to_contain_text("表单填写有误")
    expect(company).to_have_attribute("aria-invalid", "true")
    expect(company).to_have_attribute("aria-describedby", "field-company_name-error")
    expect(page.locator("#field-company_name-error")).to_have_text("该字段为必填项")
    expect(company).to_be_focused()  # autofocus lands on the field to fix
    expect(page.locator("#field-credit_code")).to_have_value(CREDIT_CODE)
    expect(page.locator("#field-registered_capital")).to_have_value("100")
    expect(page.locator("#field-business_scope")).to_have_value("日用百货销售")
    expect(page.locator("#field-opinion")).to_have_value("材料齐全，符合法定形式")
    expect(page.get_by_role("radio", name="审查通过，报审核")).to_be_checked()
    expect(page.locator(".field-error")).to_have_count(1)

    company.fill(ENTERPRISE_NAME)
    page.get_by_role("button", name="提交").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case_no}$"))
    expect(page.get_by_role("status")).to_have_text("已提交")
    expect(open_tasks(page)).to_have_count(1)
    expect(open_tasks(page).first).to_contain_text("营业执照审核")
    handled = page.locator("ol.step-cards > li").filter(has_text="营业执照承办")
    expect(handled).to_contain_text("已完成")
    expect(handled).to_contain_text("市场监管审查员（赵敏）")  # people by their display names
    expect(handled).to_contain_text("日用百货销售")
    history = page.locator("ol.timeline > li").filter(has_text="市场监管审查员（赵敏）")
    expect(history.filter(has_text="营业执照承办")).to_have_count(2)  # claimed, then completed
    expect(history.last).to_contain_text(re.compile(r"complete|完成|办理"))


def test_case_page_renders_the_bpmn_diagram_with_progress(
    page: Page, console_errors: list[str]
) -> None:
    login(page, "window1")
    start_case(page)

    diagram = page.locator('.bpmn-diagram[data-state="loaded"]')
    expect(diagram).to_be_visible()
    expect(diagram.locator("svg").first).to_be_visible()
    expect(diagram.locator("g.djs-element.ow-finished").first).to_be_attached()
    active = diagram.locator("g.djs-element.ow-active")
    expect(active).to_have_count(1)
    expect(active).to_contain_text("受理")  # the task shape's SVG text
    assert active.get_attribute("data-element-id") in json.loads(
        diagram.get_attribute("data-active") or "[]"
    )
    expect(diagram.locator("a.bjs-powered-by")).to_be_visible()

    diagram.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
    assert not console_errors, console_errors


def test_case_page_times_agree_with_the_history(page: Page) -> None:
    """创建时间 and the history's 发起 event are written in the same request, so they must agree.

    Guards against storing local (+08:00) wall-clock times in SQLite, which drops the offset,
    and reading them back as UTC: the page then shows 创建时间 eight hours late.
    """
    login(page, "window1")
    start_case(page)

    created = page.locator("dl.summary dt", has_text="创建时间").locator(
        "xpath=following-sibling::dd[1]/time"
    )
    started = page.locator("ol.timeline > li").first.locator("time")
    expect(started).to_have_attribute("datetime", re.compile(r"\+08:00$"))
    shown = datetime.fromisoformat(created.get_attribute("datetime") or "")
    recorded = datetime.fromisoformat(started.get_attribute("datetime") or "")
    assert abs((shown - recorded).total_seconds()) < 60, (shown, recorded)
    # both read as local time to the minute, as a clerk reads a clock
    assert created.inner_text().strip() == shown.strftime("%Y-%m-%d %H:%M")


def test_english_switch_on_the_inbox(page: Page) -> None:
    login(page, "window1")
    page.goto("/tasks?lang=en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="My tasks")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Find a case")).to_be_visible()
    expect(nav.get_by_role("link", name="New case")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The choice sticks (cookie) without ?lang=, and 中文 switches back.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Find a case"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a case")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("办件查询")
