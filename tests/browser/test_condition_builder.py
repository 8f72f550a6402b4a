"""The approval chain's 条件构造器 in a real Chromium (issue 15, point 8): rows of field,
operator and value over the item's form fields write the Python condition, which the preview
then evaluates; the raw condition stays editable. Nothing is saved."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from .conftest import login

pytestmark = pytest.mark.browser

CHAIN = "enterprise_startup.amr"


def test_the_builder_writes_a_condition_the_preview_evaluates(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "admin")
    page.goto(f"/admin/chains/{CHAIN}")
    level = page.locator("#chain-levels > li").first
    condition = level.get_by_label("条件（为假时跳过本级）")
    builder = level.locator(".condition-builder")
    builder.get_by_text("条件构造器").click()

    builder.get_by_role("button", name="添加条件").click()
    row = builder.get_by_role("group", name="一个条件").first
    expect(row.get_by_label("字段")).to_be_focused()
    row.get_by_label("字段").select_option("registered_capital")
    row.get_by_label("运算").select_option(">=")
    row.get_by_label("取值").fill("1000")
    builder.get_by_role("button", name="添加条件").click()
    second = builder.get_by_role("group", name="一个条件").nth(1)
    second.get_by_label("字段").select_option("decision")
    second.get_by_label("取值").select_option("approve")  # the field's options, by title
    builder.get_by_role("button", name="写入条件").click()
    expect(condition).to_have_value('(registered_capital >= 1000) and (decision == "approve")')
    expect(condition).to_be_focused()

    sample = {"registered_capital": 500, "decision": "approve"}
    page.get_by_label("或样例数据（JSON）").fill(json.dumps(sample))
    page.get_by_role("button", name="预览", exact=True).click()
    expect(page.locator(".chain-preview tbody tr").first).to_contain_text("跳过（条件不成立）")

    # the raw expression is still the field that counts: typed by hand, it is what runs
    level = page.locator("#chain-levels > li").first
    level.get_by_label("条件（为假时跳过本级）").fill("registered_capital < 1000")
    page.get_by_role("button", name="预览", exact=True).click()
    expect(page.locator(".chain-preview tbody tr").first).not_to_contain_text("跳过")
