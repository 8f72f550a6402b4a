"""综合受理's checks in a real Chromium (issue 15, point 5): a mistyped credit code is refused at
its field, the scan chosen stays uploaded through that error and reaches the case, and the
materials table's help text stays in its own column at 1366×768."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .api import token
from .conftest import login

pytestmark = pytest.mark.browser

ENTERPRISE_ITEM = "11339901MB1622039G4000120010000001"  # 企业开办
SCANNED = "公司章程"
PDF_SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_wrong_check_digit_is_refused_and_the_scan_stays(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "window1")
    page.goto(f"/intake/{ENTERPRISE_ITEM}")

    # the acceptance standard wraps inside the 材料名称 column, left of the 已收 column
    row = page.locator(".intake-materials tbody tr").filter(has_text=SCANNED)
    help_box = row.locator("th .field-help").bounding_box()
    received_box = row.locator("td").first.bounding_box()
    assert help_box and received_box
    assert help_box["x"] + help_box["width"] <= received_box["x"] + 1, (help_box, received_box)

    def textbox(label: str):
        return page.get_by_role("textbox", name=label, exact=True)

    textbox("名称/姓名").fill("青山校验位测试有限公司")
    textbox("证件号码").fill("91339901MA2H7K3Q06")  # the check digit of …Q05 mistyped
    for checkbox in page.locator(".intake-materials").get_by_role("checkbox", name="已收").all():
        checkbox.check()
    page.get_by_label(f"{SCANNED} · 扫描件", exact=True).set_input_files(
        {"name": "章程扫描.pdf", "mimeType": "application/pdf", "buffer": PDF_SCAN}
    )
    page.get_by_role("radio", name="受理", exact=True).check()
    page.get_by_role("button", name="提交受理").click()

    expect(page.locator("#applicant_id_number-error")).to_contain_text("统一社会信用代码不正确")
    expect(textbox("证件号码")).to_be_focused()
    kept = row.get_by_role("checkbox", name="已上传：章程扫描.pdf")
    expect(kept).to_be_checked()

    textbox("证件号码").fill("91339901MA2H7K3Q05")
    page.get_by_role("button", name="提交受理").click()
    expect(page).to_have_url(re.compile(r"/cases/\w+$"))
    case_no = page.url.rsplit("/", 1)[1]
    window = token(page.request, "window1")
    files = page.request.get(f"/api/v1/cases/{case_no}/materials?per_page=200", headers=window)
    assert files.ok, files.text()
    line = next(m for m in files.json()["items"] if m["name"] == SCANNED)
    assert "章程扫描.pdf" in str(line), line
