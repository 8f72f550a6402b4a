"""The process designer's workbench in a real Chromium (issue 4).

designer1 copies the demo model 个体工商户设立登记 under a new key through 流程设计, adds a lane and
a user task in it on the bpmn-js modeler, names the lane after a department, sets the task's
role and a form written in the form editor in the side panel, saves (Ctrl+S), validates
(a problem selects its element), deploys with a change note; then a case started on the new
version waits in the department's inbox. Further tests: the XML round trip keeps OneWindow's
extension properties and the layout; history, diff, migration and live view; a DMN table.

Only what a browser adds is checked here; the rules are covered by tests/engine and tests/web.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Locator, Page, expect

from ..conftest import DEMO_PASSWORD
from .conftest import login, logout

pytestmark = pytest.mark.browser

SOURCE_MODEL = "individual_business"
SOURCE_ITEM = "11339901MB1622039G4000120110000001"
APPLICANT = {
    "kind": "person",
    "name": "李四",
    "id_type": "居民身份证",
    "id_number": "330102199202023450",
    "phone": "13900000000",
}

# Adds a lane under 综合受理窗口 and a user task in it; the start event now leads to the task and
# the task to the intake merge gateway. Returns the new ids. (The modeling API is what the
# palette and context pad call; dragging shapes with a mouse adds nothing to this test.)
ADD_LANE_AND_TASK = """() => {
  const modeler = window.owDesigner.modeler;
  const modeling = modeler.get('modeling');
  const registry = modeler.get('elementRegistry');
  const factory = modeler.get('elementFactory');
  const lane = modeling.addLane(registry.get('Lane_window'), 'bottom');
  const task = modeling.createShape(
    factory.createShape({ type: 'bpmn:UserTask' }),
    { x: lane.x + 300, y: lane.y + lane.height / 2 },
    lane.parent
  );
  const start = registry.get('flow_start');
  modeling.reconnectEnd(start, task, { x: task.x, y: task.y + task.height / 2 });
  const flow = modeling.connect(task, registry.get('gw_intake_merge'));
  return { lane: lane.id, task: task.id, flow: flow.id };
}"""


def new_key(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def side_panel(page: Page) -> Locator:
    return page.get_by_role("complementary", name="元素属性")


def shape(page: Page, element_id: str) -> Locator:
    return page.locator(f'#canvas g.djs-element[data-element-id="{element_id}"]')


def select(page: Page, element_id: str) -> None:
    """Select an element as a click on it would (lanes have no clickable body in bpmn-js)."""
    page.evaluate(
        """id => { const m = window.owDesigner.modeler;
                   m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        element_id,
    )


def draft_files(page: Page) -> dict[str, str]:
    """The saved draft, read back through the API with the page's own token."""
    result = page.evaluate(
        "() => OWDesigner.request('GET', OWDesigner.modelPath('/draft')).then(r => r)"
    )
    assert result["status"] == 200, result
    assert result["data"]["is_draft"] is True
    return result["data"]["files"]


def create_model(page: Page, key: str, name: str, copy_from: str | None) -> None:
    """流程设计 → 新建模型 (a copy of ``copy_from``, or the starter diagram) → the modeler."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="流程设计").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("流程设计")
    page.get_by_label("模型标识").fill(key)
    page.get_by_label("模型名称").fill(name)
    if copy_from:
        page.get_by_label("起点").select_option(copy_from)
    page.get_by_role("button", name="新建模型").click()
    expect(page).to_have_url(re.compile(rf"/designer/models/{key}$"))
    expect(page.get_by_role("status").filter(has_text="已创建")).to_contain_text(key)
    expect(page.locator('#workbench[data-state="loaded"]')).to_be_attached()


def api_token(request: APIRequestContext, username: str) -> dict[str, str]:
    response = request.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.ok, response.text()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def add_service_item(request: APIRequestContext, key: str, name: str) -> str:
    """A 事项 for the new model: the demo item's guide under a new code, name and model key."""
    admin = api_token(request, "admin")
    item: dict[str, Any] = request.get(f"/api/v1/service-items/{SOURCE_ITEM}", headers=admin).json()
    code = f"TEST{key.upper()}"
    item.update(code=code, name=name, process_key=key)
    response = request.put(f"/api/v1/service-items/{code}", data=item, headers=admin)
    assert response.status == 201, response.text()
    return code


def start_case(request: APIRequestContext, code: str) -> dict[str, Any]:
    window = api_token(request, "window1")
    response = request.post(
        "/api/v1/cases",
        data={"service_item": code, "applicant": APPLICANT, "data": {}},
        headers=window,
    )
    assert response.status == 201, response.text()
    return response.json()


def test_designer_adds_a_task_deploys_and_the_case_reaches_the_department(
    page: Page, console_errors: list[str]
) -> None:
    key = new_key("ib")
    name = "个体工商户设立登记（市场监管预审）"
    login(page, "designer1")
    create_model(page, key, name, SOURCE_MODEL)
    expect(page.locator("#canvas a.bjs-powered-by")).to_be_visible()  # the bpmn.io watermark
    expect(shape(page, "instant_decide")).to_be_visible()

    # A form for the new task, written in the form editor with the clerks' live preview.
    page.get_by_role("tab", name="表单").click()
    page.get_by_label("新表单文件名").fill("pre_review")
    page.get_by_role("button", name="新建表单").click()
    expect(page.get_by_label("表单文件", exact=True)).to_have_value("forms/pre_review.schema.json")
    preview = page.locator("#form-preview")
    expect(preview).to_have_attribute("data-state", "rendered")
    expect(preview.get_by_role("radio", name="同意", exact=True)).to_be_visible()
    schema = page.locator("#schema-text")
    schema.fill(
        '{"type": "object", "required": ["decision"], "properties": {'
        '"licence_no": {"type": "string", "title": "名称预先核准号"}, '
        '"decision": {"type": "string", "title": "预审结论", "oneOf": ['
        '{"const": "approve", "title": "预审通过"}, {"const": "reject", "title": "不予受理"}]}}}'
    )
    expect(preview.get_by_label("名称预先核准号")).to_be_visible()
    expect(preview.get_by_role("radio", name="预审通过")).to_be_visible()
    schema.press("End")
    schema.press("Tab")  # Tab indents inside the editor instead of leaving it
    expect(schema).to_be_focused()
    expect(schema).to_have_value(re.compile(r"\}\}\}  $"))

    # A lane and a user task in it, then the side panel.
    page.get_by_role("tab", name="流程图").click()
    ids = page.evaluate(ADD_LANE_AND_TASK)
    lane_id, task_id = ids["lane"], ids["task"]
    expect(shape(page, task_id)).to_be_visible()

    # The new lane has no department yet: validation says so, and its problem selects the lane.
    page.get_by_role("button", name="校验").click()
    workbench = page.locator("#workbench")
    expect(workbench).to_have_attribute("data-validated", "problems")
    lane_problem = page.locator(f'#problem-list button[data-element-id="{lane_id}"]').first
    expect(lane_problem).to_contain_text("泳道")
    expect(shape(page, lane_id)).to_have_class(re.compile(r"\bow-problem\b"))
    lane_problem.click()
    expect(shape(page, lane_id)).to_have_class(re.compile(r"\bselected\b"))
    panel = side_panel(page)
    expect(panel.get_by_role("heading", level=2)).to_have_text("泳道（部门）")
    panel.get_by_label("部门").select_option("市场监督管理局")
    expect(shape(page, lane_id)).to_contain_text("市场监督管理局")

    shape(page, task_id).click()
    expect(panel.get_by_role("heading", level=2)).to_have_text("用户任务")
    panel.get_by_label("名称").fill("市场监管预审")
    panel.get_by_label("名称").press("Enter")
    expect(shape(page, task_id)).to_contain_text("市场监管预审")
    panel.get_by_label("办理角色").select_option("reviewer")
    panel.get_by_label("表单", exact=True).select_option("pre_review.schema.json")
    panel.get_by_label("步骤时限（工作日）").fill("2")
    panel.get_by_label("步骤时限（工作日）").press("Enter")

    # Ctrl+S saves the draft; the XML keeps our properties and the layout, new and old.
    page.keyboard.press("Control+s")
    expect(workbench).to_have_attribute("data-saved", "1")
    expect(page.locator("#designer-status")).to_have_text("草稿已保存")
    files = draft_files(page)
    bpmn = files[f"{key}.bpmn"]
    task_xml = re.search(rf'<bpmn:userTask id="{task_id}".*?</bpmn:userTask>', bpmn, re.S)
    assert task_xml, bpmn
    for prop in (
        '<spiffworkflow:property name="role" value="reviewer" />',
        '<spiffworkflow:property name="formJsonSchemaFilename" value="pre_review.schema.json" />',
        '<spiffworkflow:property name="formUiSchemaFilename" value="pre_review.uischema.json" />',
        '<spiffworkflow:property name="dueWorkingDays" value="2" />',
    ):
        assert prop in task_xml.group(0)
    assert f'<bpmn:lane id="{lane_id}" name="市场监督管理局">' in bpmn
    assert f'<bpmndi:BPMNShape id="{task_id}_di" bpmnElement="{task_id}">' in bpmn
    untouched = re.search(r'<bpmn:userTask id="instant_decide".*?</bpmn:userTask>', bpmn, re.S)
    assert '<spiffworkflow:property name="clock" value="start" />' in untouched.group(0)
    assert '<spiffworkflow:property name="visit" value="true" />' in bpmn
    assert re.search(
        r'<bpmndi:BPMNShape id="instant_decide_di" bpmnElement="instant_decide">\s*'
        r'<dc:Bounds x="500" y="200" width="100" height="80" />',
        bpmn,
    )
    assert "名称预先核准号" in files["forms/pre_review.schema.json"]

    # Valid now; deploy refuses an empty note, then deploys version 1 of the new key.
    page.get_by_role("button", name="校验").click()
    expect(workbench).to_have_attribute("data-validated", "ok")
    expect(page.locator(".ow-problem")).to_have_count(0)
    page.get_by_role("button", name="部署").click()
    expect(page.locator("#designer-status")).to_have_text("请填写变更说明")
    expect(page.get_by_label("变更说明")).to_be_focused()
    page.get_by_label("变更说明").fill("新增市场监管预审步骤")
    page.get_by_role("button", name="部署").click()
    expect(workbench).to_have_attribute("data-deployed", "1")
    expect(page.locator("#designer-status")).to_contain_text("已部署为版本 1")

    history = page.request.get(
        f"/api/v1/process-models/{key}/versions",
        headers=api_token(page.request, "designer1"),
    ).json()["items"]
    assert [(v["version"], v["deployed_by"], v["note"]) for v in history] == [
        (1, "designer1", "新增市场监管预审步骤")
    ]
    logout(page)

    # A case on the new version waits at 市场监管预审 in 市场监督管理局's inbox.
    code = add_service_item(page.request, key, name)
    case = start_case(page.request, code)
    assert case["process"]["key"] == key and case["process"]["version"] == 1
    login(page, "amr1")
    row = page.locator("table.inbox tbody tr").filter(has_text=case["case_no"])
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="市场监管预审")).to_be_visible()
    logout(page)
    login(page, "window1")
    expect(page.locator("table.inbox tbody tr").filter(has_text=case["case_no"])).to_have_count(0)

    unexpected = [e for e in console_errors if "Failed to load resource" not in e]
    assert not unexpected, unexpected


def test_the_starter_model_round_trips_and_undo_reverts_a_property(page: Page) -> None:
    key = new_key("starter")
    login(page, "designer1")
    create_model(page, key, "空白模型测试", None)
    expect(page.locator("#draft-source")).to_contain_text("designer1")
    # Keyboard only: Ctrl+F on the canvas finds the task and selects it for the side panel.
    page.locator("#canvas svg").first.focus()
    page.keyboard.press("Control+f")
    page.keyboard.type("intake")
    page.keyboard.press("Enter")
    panel = side_panel(page)
    expect(panel.get_by_role("heading", level=2)).to_have_text("用户任务")
    expect(panel.get_by_label("办理角色")).to_have_value("window")
    expect(panel.get_by_label("表单", exact=True)).to_have_value("__none__")
    panel.get_by_label("时限影响").select_option("start")
    expect(page.locator("#workbench")).to_have_attribute("data-dirty", "true")
    page.locator("#canvas svg").first.focus()
    page.keyboard.press("Control+z")
    expect(panel.get_by_label("时限影响")).to_have_value("")
    panel.get_by_label("时限影响").select_option("stop")
    select(page, "end_done")
    expect(panel.get_by_label("办结结果")).to_have_value("0")
    panel.get_by_label("办结结果").select_option("6")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#workbench")).to_have_attribute("data-saved", "1")
    bpmn = draft_files(page)[f"{key}.bpmn"]
    intake = re.search(r'<bpmn:userTask id="intake".*?</bpmn:userTask>', bpmn, re.S).group(0)
    assert '<spiffworkflow:property name="clock" value="stop" />' in intake
    assert '<spiffworkflow:property name="form" value="none" />' in intake
    assert '<spiffworkflow:property name="result" value="6" />' in bpmn
    assert '<bpmndi:BPMNShape id="intake_di" bpmnElement="intake">' in bpmn

    # Reloading shows what was saved.
    page.reload()
    expect(page.locator('#workbench[data-state="loaded"]')).to_be_attached()
    select(page, "end_done")
    expect(side_panel(page).get_by_label("办结结果")).to_have_value("6")


def test_history_diff_migration_and_live_view(page: Page) -> None:
    """Two versions deployed through the API; the pages show, compare and migrate them."""
    key = new_key("hist")
    login(page, "designer1")
    create_model(page, key, "个体工商户设立登记（迁移）", SOURCE_MODEL)
    designer = api_token(page.request, "designer1")
    deployed = page.request.post(
        f"/api/v1/process-models/{key}/deploy", data={"note": "初版"}, headers=designer
    )
    assert deployed.status == 201, deployed.text()
    code = add_service_item(page.request, key, "个体工商户设立登记（迁移测试）")
    case_no = start_case(page.request, code)["case_no"]

    # Version 2: a step time limit on 补正材料 (not the step the case is at), from the modeler.
    page.reload()
    expect(page.locator('#workbench[data-state="loaded"]')).to_be_attached()
    select(page, "supplement")
    side_panel(page).get_by_label("步骤时限（工作日）").fill("1")
    side_panel(page).get_by_label("步骤时限（工作日）").press("Enter")
    page.get_by_label("变更说明").fill("补正材料一个工作日内登记")
    page.get_by_label("变更说明").press("Enter")
    expect(page.locator("#workbench")).to_have_attribute("data-deployed", "2")

    page.get_by_role("navigation", name="模型页面").get_by_role("link", name="版本与迁移").click()
    versions = page.locator("table.versions tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("补正材料一个工作日内登记")
    expect(versions.first).to_contain_text("designer1")
    versions.first.locator("summary").click()
    with page.expect_download() as download:
        versions.first.get_by_role("link", name=f"{key}.bpmn").click()
    assert download.value.suggested_filename == f"{key}-v2-{key}.bpmn"

    page.get_by_role("button", name="比较").click()
    changed = page.locator('table.diff tbody tr[data-element-id="supplement"]')
    expect(changed).to_contain_text("修改")
    expect(changed).to_contain_text("dueWorkingDays")

    row = page.locator(f'#migration-rows tr[data-case-no="{case_no}"]')
    expect(row).to_contain_text("v1")
    expect(row).to_contain_text("受理并当场办结")
    page.get_by_role("button", name="试迁移").click()
    expect(row.locator(".migration-result")).to_have_text("可迁移")
    expect(row.get_by_role("checkbox")).to_be_checked()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="迁移所选办件").click()
    expect(page.locator("#history")).to_have_attribute("data-migration", "moved")
    expect(row).to_contain_text("v2")
    expect(row.locator(".migration-result")).to_have_text("已迁移")

    page.get_by_role("navigation", name="模型页面").get_by_role("link", name="运行监控").click()
    expect(page.locator('#live[data-state="loaded"]')).to_be_attached()
    badge = page.locator('.djs-overlays[data-container-id="instant_decide"] .live-badge')
    expect(badge).to_contain_text("等待中 1")
    stats_row = page.locator('table.live-stats tr[data-element-id="instant_decide"]')
    expect(stats_row.locator("td").nth(2)).to_have_text("1")


def test_a_decision_table_is_added_and_saved_into_the_draft(page: Page) -> None:
    key = new_key("dmn")
    login(page, "designer1")
    create_model(page, key, "决策表测试", None)
    page.get_by_role("tab", name="决策表").click()
    expect(page.locator("#dmn-list")).to_contain_text("该模型还没有决策表")
    page.get_by_label("新决策表文件名").fill("fee_rules")
    page.get_by_role("button", name="新建决策表").click()
    expect(page).to_have_url(re.compile(rf"/designer/decisions/{key}/fee_rules\.dmn$"))
    decision = page.locator("#decision")
    expect(decision).to_have_attribute("data-state", "loaded")
    expect(page.locator("#dmn-canvas .tjs-table")).to_be_visible()
    expect(page.locator("#dmn-canvas a.bjs-powered-by")).to_be_visible()
    page.evaluate(
        """() => window.owDecision.modeler.getActiveViewer().get('modeling')
                   .editHitPolicy('ANY', undefined)"""
    )
    expect(decision).to_have_attribute("data-dirty", "true")
    page.keyboard.press("Control+s")
    expect(decision).to_have_attribute("data-saved", "1")
    result = page.evaluate(
        "() => OWDesigner.request('GET', OWDesigner.modelPath('/draft')).then(r => r)"
    )
    dmn = result["data"]["files"]["fee_rules.dmn"]
    assert 'hitPolicy="ANY"' in dmn and "<decisionTable" in dmn
    assert f"{key}.bpmn" in result["data"]["files"]
