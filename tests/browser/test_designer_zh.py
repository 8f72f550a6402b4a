"""The designer in Chinese (bpmn-js and dmn-js through their translate module) and a redeploy
of unchanged files from the page that makes no version (issue 15, point 7)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import login
from .test_designer import SOURCE_MODEL, api_token, create_model, new_key, select

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}


def open_new_model(page: Page, prefix: str, name: str, copy_from: str | None) -> str:
    """designer1 at 1366×768 on the modeler of a new model; returns its key."""
    page.set_viewport_size(DESKTOP)
    key = new_key(prefix)
    login(page, "designer1")
    create_model(page, key, name, copy_from)
    return key


def test_palette_context_pad_and_popup_menu_are_chinese(page: Page) -> None:
    key = open_new_model(page, "zh", "中文设计器", SOURCE_MODEL)
    palette = page.locator("#canvas .djs-palette")
    create_task = palette.locator('[data-action="create.task"]')
    expect(create_task).to_have_attribute("aria-label", "创建任务")
    expect(palette.locator('[data-action="hand-tool"]')).to_have_attribute("aria-label", "抓手工具")

    select(page, "supplement")
    pad = page.locator("#canvas .djs-context-pad")
    expect(pad.locator('[data-action="append.append-task"]')).to_have_attribute("title", "追加任务")
    pad.locator('[data-action="replace"]').click()
    menu = page.locator(".djs-popup")
    expect(menu.get_by_text("服务任务", exact=True)).to_be_visible()
    expect(menu.get_by_text("Service task", exact=True)).to_have_count(0)
    page.keyboard.press("Escape")

    # English pages keep bpmn.io's English
    page.goto(f"/designer/models/{key}?lang=en")
    expect(page.locator('#workbench[data-state="loaded"]')).to_be_attached()
    expect(create_task).to_have_attribute("aria-label", "Create task")
    page.goto(f"/designer/models/{key}?lang=zh")


def test_the_decision_table_editor_is_chinese(page: Page) -> None:
    open_new_model(page, "zhdmn", "中文决策表", None)
    page.get_by_role("tab", name="决策表").click()
    page.get_by_label("新决策表文件名").fill("fee_rules")
    page.get_by_role("button", name="新建决策表").click()
    expect(page.locator("#decision")).to_have_attribute("data-state", "loaded")
    table = page.locator("#dmn-canvas .tjs-table")
    expect(table).to_be_visible()
    expect(page.locator("#dmn-canvas .hit-policy")).to_contain_text("命中策略")
    expect(page.locator("#dmn-canvas")).not_to_contain_text("Hit policy")


def test_an_unchanged_model_deployed_again_from_the_page_makes_no_version(page: Page) -> None:
    """bpmn-js writes XML its own way; the page sends the loaded text while nothing was edited."""
    key = open_new_model(page, "same", "重复部署", SOURCE_MODEL)
    designer = api_token(page.request, "designer1")
    first = page.request.post(
        f"/api/v1/process-models/{key}/deploy", data={"note": "初版"}, headers=designer
    )
    assert first.status == 201, first.text()

    page.reload()
    expect(page.locator('#workbench[data-state="loaded"]')).to_be_attached()
    page.get_by_label("变更说明").fill("没有改动，再部署一次")
    page.get_by_label("变更说明").press("Enter")
    expect(page.locator("#designer-status")).to_contain_text("与版本 1 相同，未生成新版本")
    expect(page.locator("#workbench")).to_have_attribute("data-deployed", "1")
    versions = page.request.get(f"/api/v1/process-models/{key}/versions", headers=designer)
    assert [v["version"] for v in versions.json()["items"]] == [1], versions.text()

    # an edit still makes a version
    page.evaluate(
        """() => { const m = window.owDesigner.modeler;
                   m.get('modeling').updateLabel(m.get('elementRegistry').get('supplement'),
                                                  '补正材料（改）'); }"""
    )
    page.get_by_label("变更说明").fill("改名")
    page.get_by_label("变更说明").press("Enter")
    expect(page.locator("#workbench")).to_have_attribute("data-deployed", "2")
    expect(page.locator("#designer-status")).to_contain_text(re.compile("已部署为版本 2"))
