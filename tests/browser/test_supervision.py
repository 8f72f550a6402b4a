"""督办 in a real Chromium (issue 12, must-show 6): office1 issues an item to 市场监督管理局 from
the 督办台账; amr_chief finds it under 督办件 beside the inbox and answers with a file; office1
sends it back with a new deadline; amr_chief answers again; office1 closes it (销号). Forms are
filled through their labels, the way a keyboard user reaches them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import login, logout

pytestmark = pytest.mark.browser

PROBLEM = "市场监管局营业执照审核积压（浏览器测试）"
PDF = {"name": "清理台账.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 ledger"}


def open_item(page: Page, no: str) -> None:
    page.goto("/supervision/")
    page.get_by_role("link", name=no, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(no)


def answer(page: Page, no: str, text: str, with_file: bool = False) -> None:
    login(page, "amr_chief")
    page.get_by_role("link", name=re.compile("^督办件")).click()
    row = page.locator("table.supervision-table tbody tr").filter(has_text=no)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=no).click()
    page.get_by_label("反馈内容").fill(text)
    if with_file:
        page.get_by_label(re.compile("^附件")).set_input_files(PDF)
    page.get_by_role("button", name="提交反馈").click()
    expect(page.get_by_role("status")).to_contain_text("反馈已提交")
    expect(page.locator(".item-status")).to_have_text("已反馈")
    logout(page)


def review(page: Page, no: str, verdict: str, comment: str = "", days: str = "") -> None:
    login(page, "office1")
    open_item(page, no)
    page.get_by_label(verdict).check()
    page.get_by_label(re.compile("^意见")).fill(comment)
    if days:
        page.get_by_label(re.compile("^新的反馈期限")).fill(days)
    page.get_by_role("button", name="提交审核").click()


def test_issue_feedback_send_back_feedback_close(page: Page) -> None:
    login(page, "office1")
    page.get_by_role("link", name="督办", exact=True).click()
    page.get_by_role("link", name="下发督办").click()
    page.get_by_label("督办事项").fill(PROBLEM)
    page.get_by_label("牵头单位").select_option(label="市场监督管理局")
    page.get_by_label("办理要求").fill("清理积压件，书面反馈原因和措施")
    page.get_by_label("反馈期限（工作日）").fill("3")
    page.get_by_role("button", name="下发", exact=True).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"督办〔\d{4}〕第\d+号"))
    no = re.search(r"督办〔\d{4}〕第\d+号", heading.inner_text())[0]
    expect(page.locator(".item-status")).to_have_text("待反馈")
    expect(page.locator(".level-blue").first).to_be_visible()
    logout(page)

    answer(page, no, "已组织专人清理，附清理台账", with_file=True)

    review(page, no, "退回重办", "缺少办结时间表，请补充", "2")
    expect(page.get_by_role("status")).to_contain_text("已退回重办")
    expect(page.locator(".item-status")).to_have_text("待反馈")
    expect(page.locator(".item-due")).to_contain_text("第 2 轮")
    logout(page)

    answer(page, no, "补充：本周五前全部办结")

    review(page, no, "销号", "同意销号")
    expect(page.get_by_role("status")).to_contain_text("已销号")
    expect(page.locator(".item-status")).to_have_text("已销号")
    timeline = page.locator("ol.timeline > li strong")
    expect(timeline).to_have_text(["下发", "反馈", "退回重办", "反馈", "销号"])
    expect(page.get_by_role("link", name="清理台账.pdf")).to_be_visible()
