"""The 表单构造器 in a real Chromium (issue 15, point 7): fields with types, titles, required,
options and a conditional requirement written as JSON Schema; the raw schema still editable."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from .test_designer import SOURCE_MODEL
from .test_designer_zh import open_new_model

pytestmark = pytest.mark.browser


def schema_of(page: Page) -> dict:
    return json.loads(page.locator("#schema-text").input_value())


def test_fields_built_on_the_page_become_json_schema(page: Page) -> None:
    open_new_model(page, "builder", "表单构造器测试", SOURCE_MODEL)
    page.get_by_role("tab", name="表单").click()
    page.get_by_label("新表单文件名").fill("review")
    page.get_by_role("button", name="新建表单").click()
    builder = page.locator("#form-builder")
    rows = builder.locator(".builder-field-row")
    expect(rows).to_have_count(2)  # the starter form: opinion, decision
    expect(rows.nth(1).locator(".builder-kind")).to_have_value("choice")

    builder.get_by_role("button", name="添加字段").click()
    new = rows.nth(2)
    expect(new.get_by_label("标题", exact=True)).to_be_focused()
    new.get_by_label("标题", exact=True).fill("注册资本（万元）")
    new.get_by_label("字段名", exact=True).fill("registered_capital")
    new.locator(".builder-kind").select_option("integer")
    new.get_by_label("必填", exact=True).check()

    builder.get_by_role("button", name="添加字段").click()
    reason = rows.nth(3)
    reason.get_by_label("字段名", exact=True).fill("refusal_reason")
    reason.get_by_label("标题", exact=True).fill("不予许可理由")
    reason.locator(".builder-when-field").select_option("decision")
    reason.get_by_label("…等于此值时必填").fill("reject")
    reason.get_by_label("…等于此值时必填").press("Tab")

    schema = schema_of(page)
    assert schema["properties"]["registered_capital"] == {
        "title": "注册资本（万元）",
        "type": "integer",
    }
    assert schema["required"] == ["decision", "registered_capital"]
    assert schema["allOf"] == [
        {
            "if": {"properties": {"decision": {"const": "reject"}}, "required": ["decision"]},
            "then": {"required": ["refusal_reason"]},
        }
    ]
    assert schema["properties"]["opinion"]["maxLength"] == 1000, "keywords not on a row survive"
    preview = page.locator("#form-preview")
    expect(preview).to_contain_text("注册资本（万元）")
    expect(preview).to_contain_text("不予许可理由")

    # the raw schema stays the source: a title typed there shows in the rows
    raw = schema_of(page)
    raw["properties"]["opinion"]["title"] = "审查意见（手工）"
    page.locator("#schema-text").fill(json.dumps(raw, ensure_ascii=False, indent=2))
    expect(rows.nth(0).get_by_label("标题", exact=True)).to_have_value("审查意见（手工）")
    expect(page.locator("#workbench")).to_have_attribute("data-dirty", "true")
