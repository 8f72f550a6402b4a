"""网上申报 in a real Chromium on a phone (390×844): from the 企业开办 guide to 在线申报, the
applicant, a material uploaded, the case number and 查询密码 at once; the window's 预审 asks
for a missing item (补正, through the API); the applicant uploads it from the progress page. The
case costs no visit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, Playwright, expect

from .api import complete, my_task, token
from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

ENTERPRISE_ITEM = "11339901MB1622039G4000120010000001"  # 企业开办
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MISSING = "全体股东主体资格证明"


@pytest.fixture
def api(playwright_instance: Playwright, live_server: str) -> Iterator[APIRequestContext]:
    context = playwright_instance.request.new_context(base_url=live_server)
    yield context
    context.dispose()


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def test_apply_online_and_answer_a_supplement_on_a_phone(
    phone: Page, api: APIRequestContext
) -> None:
    phone.goto(f"/public/items/{ENTERPRISE_ITEM}")
    phone.get_by_role("link", name="在线申报").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("在线申报")
    phone.get_by_label("名称或姓名").fill("青山手机申报有限公司")
    phone.get_by_label("证件类型").select_option("统一社会信用代码")
    phone.get_by_label("证件号码").fill("91331082MA2K8Q1X32")
    phone.get_by_label("手机号").fill("13800006666")
    phone.get_by_label("公司章程").set_input_files(_pdf("章程.pdf"))
    phone.get_by_role("button", name="提交申报").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("申报已提交")
    case_no = phone.locator(".applied-case-no").inner_text().strip()
    password = phone.locator(".applied-password").inner_text().strip()

    window = token(api, "window1")
    intake = my_task(api, window, case_no, "受理")  # the window's 预审
    data = {"decision": "supplement", "missing_materials": [MISSING], "reason": "请补交股东证明"}
    complete(api, window, intake, data)

    phone.get_by_role("link", name="进度查询").first.click()
    phone.get_by_label("办件编号").fill(case_no)
    phone.get_by_label("查询密码").fill(password)
    phone.get_by_role("button", name="查询").click()
    notice = phone.locator("#supplement")
    expect(notice).to_contain_text("补正告知")
    expect(notice).to_contain_text(MISSING)
    notice.get_by_label(MISSING).set_input_files(_pdf("股东证明.pdf"))
    notice.get_by_role("button", name="上传补正材料").click()
    expect(phone.locator(".supplement-uploaded")).to_be_visible()
    overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    case = api.get(f"/api/v1/cases/{case_no}", headers=window).json()
    uploads = [e["detail"]["name"] for e in case["events"] if e["action"] == "material_upload"]
    assert uploads == ["公司章程", MISSING]
    assert (case["channel"], case["visits"]) == ("online", 0)
