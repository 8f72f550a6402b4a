"""事项目录 in a real Chromium (issue 15, point 7): an administrator creates a service item on the
page, binds a deployed model, and the item is in the public guide at once."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from .conftest import login

pytestmark = pytest.mark.browser


def test_an_administrator_creates_an_item_and_binds_a_deployed_model(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    suffix = uuid.uuid4().hex[:6]
    name = f"目录页面测试{suffix}"
    login(page, "admin")
    page.goto("/designer/")
    page.get_by_role("link", name=re.compile("事项目录")).click()
    page.get_by_role("link", name="新建事项").click()
    page.get_by_label("事项编码").fill(f"UI-{suffix}")
    page.get_by_label("事项名称").fill(name)
    page.get_by_label("办件类型").select_option("promised")
    page.get_by_role("spinbutton", name="法定办结时限").fill("20")
    page.get_by_role("spinbutton", name="承诺办结时限").fill("30")
    page.get_by_label("流程模型").select_option("individual_business")
    page.get_by_label("综合受理窗口").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#promised_limit_days-error")).to_contain_text("不得超过法定办结时限")
    expect(page.get_by_label("事项名称")).to_have_value(name)

    expect(page.locator("#guide-error")).to_contain_text("必填")  # the checklist (materials)
    page.get_by_role("spinbutton", name="承诺办结时限").fill("5")
    page.get_by_label("办事指南其他内容（JSON）").fill('{"materials": [{"name": "申请书"}]}')
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(rf"/designer/catalogue/UI-{suffix}$"))
    expect(page.get_by_role("status")).to_contain_text(f"事项 {name} 已创建")
    expect(page.get_by_label("流程模型")).to_have_value("individual_business")

    page.goto("/public/")
    page.get_by_role("link", name=name).click()
    expect(page.locator("dd.promised-limit")).to_have_text("5 个工作日")
    expect(page.locator("ol.step-list > li").first).to_contain_text("受理")
