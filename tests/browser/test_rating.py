"""好差评 in a real Chromium: the applicant rates 5 on a phone-sized progress page, the 回访
task appears in the responsible department's inbox, the department calls back, verifies and
rectifies, and the applicant rates the rectification — once.

The case itself is taken in and finished through the API to keep the test short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, Playwright, expect

from .api import complete, my_task, receive_materials, token
from .conftest import TIMEOUT_MS, login

pytestmark = pytest.mark.browser

APPLICANT = {
    "kind": "person",
    "name": "王评价",
    "id_type": "居民身份证",
    "id_number": "330182199203031235",
    "phone": "13900002222",
}
INSTANT = {"decision": "approve", "operator_name": "王评价", "credit_code": "92339901MA2H7K3Q0X"}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def api(playwright_instance: Playwright, live_server: str) -> Iterator[APIRequestContext]:
    context = playwright_instance.request.new_context(base_url=live_server)
    yield context
    context.dispose()


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """The applicant's phone: no login, a 390×844 touch screen."""
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def finished_case(api: APIRequestContext) -> tuple[str, str]:
    """个体工商户设立登记 taken in and finished on the spot by window1."""
    window = token(api, "window1")
    items = api.get("/api/v1/service-items?per_page=200", headers=window).json()["items"]
    code = next(i["code"] for i in items if i["name"] == "个体工商户设立登记")
    created = api.post(
        "/api/v1/cases", headers=window, data={"service_item": code, "applicant": APPLICANT}
    )
    assert created.ok, created.text()
    case_no, password = created.json()["case_no"], created.json()["query_password"]
    receive_materials(api, window, case_no)
    complete(api, window, my_task(api, window, case_no, "受理并当场办结"), INSTANT)
    return case_no, password


def look_up(phone: Page, case_no: str, password: str) -> None:
    phone.goto("/public/track")
    phone.get_by_label("办件编号").fill(case_no)
    phone.get_by_label("查询密码").fill(password)
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator(".track-result")).to_contain_text(case_no)


def stage_form(phone: Page, stage: str):
    return phone.locator("form.rating-form").filter(
        has=phone.locator(f"input[name=stage][value={stage}]")
    )


def work_task(page: Page, name: str, fill) -> None:
    """Open ``name`` from 我的待办, fill its form and submit it."""
    page.goto("/tasks")
    page.locator("table.inbox tbody tr").filter(has_text=name).first.get_by_role(
        "link", name=name
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    fill(page)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("已提交|办结"))


def test_a_bad_rating_is_called_back_rectified_and_re_rated(
    api: APIRequestContext, phone: Page, page: Page
) -> None:
    case_no, password = finished_case(api)

    # The applicant rates the finish 5 (非常不满意) on the phone, with the keyboard-free touch UI.
    look_up(phone, case_no, password)
    form = stage_form(phone, "finish")
    expect(form.locator(".rating-level")).to_have_count(5)
    form.get_by_text("非常不满意", exact=True).click()
    expect(form.locator(".rating-reasons[data-level='5']")).to_be_visible()
    expect(form.locator(".rating-reasons[data-level='1']")).to_be_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    form.get_by_label("意见和建议").fill("等了很久")
    form.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_role("status")).to_contain_text("感谢您对办结服务的评价")
    expect(phone.locator(".rating-given")).to_contain_text("非常不满意")

    # The window (the department that served it) finds the 回访 in its inbox, with a limit.
    login(page, "window2")
    row = page.locator("table.inbox tbody tr").filter(has_text="差评回访")
    expect(row).to_have_count(1)
    expect(row.locator(".light")).to_have_count(1)
    work_task(
        page,
        "差评回访",
        lambda p: (
            p.get_by_role("radio", name="已联系上申请人").check(),
            p.get_by_label("回访记录").fill("申请人反映等候时间长"),
        ),
    )
    work_task(
        page,
        "差评核实",
        lambda p: (
            p.get_by_role("radio", name="问题属实，予以整改").check(),
            p.get_by_label("核实情况").fill("高峰期窗口不足"),
        ),
    )
    work_task(
        page,
        "差评整改",
        lambda p: (
            p.get_by_label("整改措施").fill("高峰期增开窗口"),
            p.get_by_label("向申请人反馈情况").fill("已电话告知"),
        ),
    )

    # The center's ratings page shows the handling closed, with its history.
    page.goto("/ratings/?bad=1")
    page.locator("table.ratings-table tbody tr").filter(has_text=case_no).get_by_role(
        "link"
    ).first.click()
    expect(page.locator(".handling-state")).to_have_text("已整改")
    history = page.locator(".rating-history li")
    expect(history).to_have_count(5)  # opened, three steps, closed
    expect(history.first).to_contain_text("收到差评")

    # The applicant rates the rectification, once.
    look_up(phone, case_no, password)
    form = stage_form(phone, "rectification")
    form.get_by_text("满意", exact=True).click()
    form.get_by_label("服务规范").check()
    form.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_role("status")).to_contain_text("感谢您对整改服务的评价")
    expect(stage_form(phone, "rectification")).to_have_count(0)
    expect(phone.locator(".rating-given").filter(has_text="整改评价")).to_contain_text("满意")
