"""The clerk's work surface in a real Chromium at 1366×768 (issue 15, points 1-4 and 9).

One 企业开办 case is brought to the chief's review through the API (materials received, a PNG
and a PDF scan uploaded, the licence handled by amr1); the browser then checks the task page
(the form beside the case so far, scan previews, the diagram), the lists (tabs, filters,
keyboard), the readable case page, the person picker with where each operation lands, and
axe-core over the main staff pages.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, Playwright, expect

from .conftest import TIMEOUT_MS, login, logout
from .test_return import complete, my_task, token

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
APPLICANT = {
    "kind": "enterprise",
    "name": "青山工作台浏览器商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
LICENCE = {
    "company_name": APPLICANT["name"],
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}
PNG = base64.b64decode(  # a 2×2 red PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAbKwIBTtKpsQAAAABJRU5ErkJggg=="
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(scope="module")
def api(playwright_instance: Playwright, live_server: str) -> Iterator[APIRequestContext]:
    context = playwright_instance.request.new_context(base_url=live_server)
    yield context
    context.dispose()


@pytest.fixture(scope="module")
def review(api: APIRequestContext) -> dict[str, str]:
    """The case at 营业执照审核 (amr_chief's level): its number and the level's task id."""
    window = token(api, "window1")
    items = api.get("/api/v1/service-items", headers=window).json()["items"]
    code = next(i["code"] for i in items if i["name"] == "企业开办")
    created = api.post(
        "/api/v1/cases", headers=window, data={"service_item": code, "applicant": APPLICANT}
    )
    assert created.status == 201, created.text()
    case_no = created.json()["case_no"]
    lines = api.get(f"/api/v1/cases/{case_no}/materials?per_page=200", headers=window).json()
    for line in lines["items"]:
        if line["mandatory"]:
            counts = {"originals": line["originals"], "copies": max(line["copies"], 1)}
            receipt = api.put(
                f"/api/v1/cases/{case_no}/materials/{line['name']}", headers=window, data=counts
            )
            assert receipt.ok, receipt.text()
    for name, filename, mime, data in (
        ("公司章程", "zhangcheng.png", "image/png", PNG),
        ("公司登记（备案）申请书", "shenqingshu.pdf", "application/pdf", PDF),
    ):
        upload = api.post(
            f"/api/v1/cases/{case_no}/materials",
            headers=window,
            multipart={
                "material": name,
                "file": {"name": filename, "mimeType": mime, "buffer": data},
            },
        )
        assert upload.status == 201, upload.text()
    complete(
        api,
        window,
        my_task(api, window, case_no, "受理"),
        {"decision": "accept", "materials_checked": True},
    )
    amr1 = token(api, "amr1")
    complete(api, amr1, my_task(api, amr1, case_no, "营业执照承办"), LICENCE)
    chief = token(api, "amr_chief")
    return {"case_no": case_no, "task": my_task(api, chief, case_no, "营业执照审核")["id"]}


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A counter PC's screen; the CSP is bypassed only so that axe-core can be injected."""
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 1366, "height": 768},
        bypass_csp=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_task_page_puts_the_form_beside_the_case_so_far(page: Page, review: dict) -> None:
    login(page, "amr_chief")
    page.goto(f"/tasks/{review['task']}")
    form = page.locator(".work-form form.task-form")
    record = page.locator(".case-so-far")
    expect(form).to_be_visible()
    expect(record).to_be_visible()
    form_box, record_box = form.bounding_box(), record.bounding_box()
    assert form_box and record_box
    assert form_box["x"] + form_box["width"] <= record_box["x"], "side by side"
    assert abs(form_box["y"] - record_box["y"]) < 120, "both start at the top of the work"

    steps = page.locator(".step-cards")
    handling = steps.locator("li.step-card").filter(has_text="营业执照承办")
    expect(handling).to_contain_text("企业名称")
    expect(handling).to_contain_text(APPLICANT["name"])
    expect(handling).to_contain_text("审查结论")
    expect(handling).to_contain_text("审查通过，报审核")  # the option's title, not "approve"
    expect(handling).to_contain_text("市场监管审查员（赵敏）")
    expect(handling).not_to_contain_text("approve")
    expect(steps.locator("li.step-card.is-current")).to_contain_text("科长审核")

    image = record.locator(".scan img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 2", arg=image.element_handle()
    )
    pdf = record.locator("iframe.scan-pdf")
    expect(pdf).to_have_count(1)
    response = page.request.get(pdf.get_attribute("src"))
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" not in response.headers.get("content-disposition", "")
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]

    timeline = record.locator("ol.timeline")
    expect(timeline).to_contain_text("办理完成 · 营业执照承办")
    expect(timeline.locator("li").first).to_contain_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d"))

    diagram = page.locator(".bpmn-diagram")
    diagram.scroll_into_view_if_needed()
    expect(diagram).to_have_attribute("data-state", "loaded")
    expect(diagram.locator('[data-element-id="licence_handle"].ow-finished')).to_have_count(1)
    expect(diagram.locator('[data-element-id="licence_approve"].ow-active')).to_have_count(1)


def test_lists_have_tabs_filters_and_keyboard_navigation(
    page: Page, review: dict, api: APIRequestContext
) -> None:
    window = token(api, "window1")
    items = api.get("/api/v1/service-items", headers=window).json()["items"]
    code = next(i["code"] for i in items if i["name"] == "企业开办")
    second = {**APPLICANT, "name": "青山列表第二商贸有限公司"}
    created = api.post(
        "/api/v1/cases", headers=window, data={"service_item": code, "applicant": second}
    )
    assert created.status == 201, created.text()
    login(page, "amr1")
    tabs = page.locator("nav.list-tabs")
    for label in ("待办", "已办", "我发起的", "抄送"):
        expect(tabs.get_by_role("link", name=re.compile(label))).to_be_visible()
    tabs.get_by_role("link", name=re.compile("已办")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已办")
    expect(tabs.locator(".list-tab-done .count")).not_to_have_text("0")

    page.keyboard.press("/")
    expect(page.locator("#f-applicant")).to_be_focused()
    page.keyboard.type("工作台浏览器")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tab=done.*applicant="))
    rows = page.locator("table.nav-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("营业执照承办")

    logout(page)
    login(page, "window1")
    page.goto("/cases?sort=oldest")
    rows = page.locator("table.nav-list tbody tr")
    expect(rows.first).to_be_visible()
    page.locator("body").click()
    rows.first.focus()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.first).to_be_focused()
    number = rows.first.locator("td").first.inner_text()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/cases/{number}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)

    page.goto("/cases")
    with page.expect_download() as download:
        page.locator("a.export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_case_page_reads_as_words(page: Page, review: dict) -> None:
    login(page, "window1")
    page.goto(f"/cases/{review['case_no']}")
    summary = page.locator("section.card").first
    expect(summary).to_contain_text(re.compile(r"创建时间\s*\d{4}-\d\d-\d\d \d\d:\d\d"))
    expect(summary).not_to_contain_text("+08:00")
    expect(summary).not_to_contain_text("enterprise_startup")
    body = page.locator("main")
    expect(body).not_to_contain_text("{'")  # no dict (an approval chain's state)
    expect(body).not_to_contain_text("credit_code")
    history = page.locator("ol.timeline")
    expect(history).to_contain_text("窗口一号（王芳）")
    expect(history).not_to_contain_text("window1")


def test_person_picker_and_landings(page: Page, api: APIRequestContext) -> None:
    window = token(api, "window1")
    items = api.get("/api/v1/service-items", headers=window).json()["items"]
    code = next(i["code"] for i in items if i["name"] == "企业开办")
    created = api.post(
        "/api/v1/cases",
        headers=window,
        data={"service_item": code, "applicant": {**APPLICANT, "name": "青山选人浏览器有限公司"}},
    )
    case_no = created.json()["case_no"]
    lines = api.get(f"/api/v1/cases/{case_no}/materials?per_page=200", headers=window).json()
    for line in lines["items"]:
        if line["mandatory"]:
            counts = {"originals": line["originals"], "copies": max(line["copies"], 1)}
            api.put(
                f"/api/v1/cases/{case_no}/materials/{line['name']}", headers=window, data=counts
            )
    complete(
        api,
        window,
        my_task(api, window, case_no, "受理"),
        {"decision": "accept", "materials_checked": True},
    )
    handling = my_task(api, token(api, "amr1"), case_no, "营业执照承办")["id"]

    # amr1 delegates to 税务局办事员 by typing part of the name in the picker's search box
    login(page, "amr1")
    page.goto(f"/tasks/{handling}")
    delegate = page.locator("form.op-delegate")
    search = delegate.get_by_role("searchbox")
    search.fill("税务")
    visible = delegate.locator("#op-delegate-to option:not([hidden])")
    expect(visible).to_have_count(2)  # 请选择 and the one match
    expect(delegate.locator("#op-delegate-to")).to_have_value("tax1")
    search.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("已委派")
    expect(page).to_have_url(re.compile(rf"/tasks/{handling}"))
    logout(page)

    # the delegate completes; the task goes back to amr1 and tax1 lands on its inbox, not a 404
    login(page, "tax1")
    badge = page.locator("nav .nav-unread")
    expect(badge).to_be_visible()
    unread = int(badge.inner_text())  # other tests may have left tax1 notices of their own
    page.goto(f"/tasks/{handling}")
    page.get_by_label("企业名称").fill("青山选人浏览器有限公司")
    page.get_by_label("统一社会信用代码").fill("91339901MA2H7K3Q05")
    page.get_by_label("注册资本（万元）").fill("100")
    page.get_by_label("经营范围").fill("日用百货销售")
    page.get_by_label("审查意见").fill("已核对")
    page.get_by_label("审查通过，报审核").check()
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_role("status")).to_contain_text("已提交")
    if unread == 1:  # its notification closed itself
        expect(badge).to_have_count(0)
    else:
        expect(badge).to_have_text(str(unread - 1))

    # the 抄送 picker on the case page offers only the case's departments and the office
    logout(page)
    login(page, "amr1")
    page.goto(f"/cases/{case_no}")
    options = page.locator("#op-cc-users option")
    names = options.all_inner_texts()
    assert any("政府办" in n or "县政府办公室" in n for n in names)
    assert not any("税务局" in n for n in names)


@pytest.mark.parametrize("where", ["inbox", "task", "case", "search"])
def test_main_staff_pages_have_no_serious_accessibility_violations(
    page: Page, review: dict, where: str
) -> None:
    login(page, "amr_chief")
    path = {
        "inbox": "/tasks",
        "task": f"/tasks/{review['task']}",
        "case": f"/cases/{review['case_no']}",
        "search": "/cases",
    }[where]
    page.goto(path)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
    )
    assert result == [], result
