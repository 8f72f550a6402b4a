"""The process designer's workbench (流程设计): model list, modeler, forms, history, live view.

The pages are server-rendered shells; the editors in them (bpmn-js, dmn-js, our side panel and
form editor in static/js/designer/) talk to the REST API (/api/v1/process-models/...) with a
token issued here for the logged-in designer (``POST /designer/token``, CSRF-protected), so the
pages and other systems go through the same engine services and permission checks.

What the API does not offer is here, for the session user only: creating a model (a starter
diagram or a copy of another model, saved as a draft), the clerks' form renderer as a live
preview, version file downloads, and the running cases of a model for the migration panel.
Designers and administrators only; anyone else gets 403.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from jsonschema import SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from sqlalchemy import select

from engine import access, models
from engine import catalogue as catalogue_service
from engine.camunda import is_bpmn
from engine.errors import BadRequest, NotFound, ValidationFailed
from engine.safexml import XmlProblem, parse_xml
from engine.services import auth as auth_service
from engine.services import designer as designer_service
from engine.services import models as model_service
from engine.services import public as public_service
from engine.uow import UnitOfWork

from .auth import login_required, page_token, page_user
from .forms import render_form
from .i18n import gettext as _

bp = Blueprint("designer", __name__, url_prefix="/designer")

DESIGN_ROLES = ("designer", "admin")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
WINDOW_DEPARTMENT = "综合受理窗口"


def role_choices() -> list[dict[str, str]]:
    return [
        {"value": "window", "label": _("窗口人员")},
        {"value": "reviewer", "label": _("部门审批人员")},
        {"value": "approver", "label": _("科长/分管领导")},
    ]


def clock_choices() -> list[dict[str, str]]:
    return [
        {"value": "", "label": _("不影响时限")},
        {"value": "start", "label": _("开始计时（受理）")},
        {"value": "pause", "label": _("暂停计时（补正、特别程序）")},
        {"value": "resume", "label": _("恢复计时")},
        {"value": "stop", "label": _("停止计时（办结）")},
    ]


def status_labels() -> dict[str, str]:
    return {"running": _("办理中"), "supplement": _("补正中"), "paused": _("已暂停")}


def result_choices() -> list[dict[str, str]]:
    """The 办结 result codes of DOMAIN.md."""
    labels = (
        _("出证办结"),
        _("退回"),
        _("作废"),
        _("删除"),
        _("转报"),
        _("补正超时驳回"),
        _("准予许可"),
        _("不予许可"),
    )
    return [{"value": str(code), "label": f"{code} {label}"} for code, label in enumerate(labels)]


@contextmanager
def designer_user(*, write: bool = False) -> Iterator[tuple[UnitOfWork, models.User]]:
    """``page_user`` for designers and administrators; anyone else gets the 403 page."""
    with page_user(write=write) as (uow, user):
        access.require_role(user, *DESIGN_ROLES)
        yield uow, user


def draft_row(uow: UnitOfWork, key: str) -> models.ModelDraft | None:
    return uow.session.get(models.ModelDraft, key)


def model_exists(uow: UnitOfWork, key: str) -> bool:
    deployed = uow.session.scalar(
        select(models.ProcessDefinition.id).where(models.ProcessDefinition.key == key).limit(1)
    )
    return deployed is not None or draft_row(uow, key) is not None


def model_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Deployed models and draft-only ones, with whether a draft is pending."""
    rows = {m["key"]: {**m, "draft": None} for m in model_service.list_models(uow)}
    for draft in uow.session.scalars(select(models.ModelDraft)):
        entry = rows.setdefault(
            draft.key,
            {
                "key": draft.key,
                "name": draft_name(draft.files) or draft.key,
                "latest_version": None,
            },
        )
        entry["draft"] = {"updated_by": draft.updated_by, "updated_at": draft.updated_at}
    return sorted(rows.values(), key=lambda m: m["key"])


def draft_name(files: dict[str, str]) -> str | None:
    """The main process's name in a draft's .bpmn file, for the list of models."""
    for name, text in sorted(files.items()):
        if is_bpmn(name):
            found = re.search(r"<(?:\w+:)?process\b[^>]*\bname=\"([^\"]*)\"", text)
            if found:
                return html.unescape(found.group(1))
    return None


def department_names(uow: UnitOfWork) -> list[str]:
    return list(uow.session.scalars(select(models.Department.name).order_by(models.Department.id)))


def approval_chain_keys(uow: UnitOfWork) -> list[str]:
    return list(
        uow.session.scalars(
            select(models.ApprovalChain.key).distinct().order_by(models.ApprovalChain.key)
        )
    )


# ---- Starting a model ---------------------------------------------------------------------------


def starter_bpmn(key: str, name: str) -> str:
    """One pool, one 综合受理窗口 lane, start → user task → end, with its layout."""
    return STARTER_BPMN.format(
        key=key, name=quoteattr(name), lane=quoteattr(WINDOW_DEPARTMENT), doc=escape(name)
    )


STARTER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" \
id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="OneWindow designer" \
exporterVersion="1.0">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_{key}" name={name} processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name={name} isExecutable="true">
    <bpmn:documentation>{doc}</bpmn:documentation>
    <bpmn:laneSet id="LaneSet_{key}">
      <bpmn:lane id="Lane_window" name={lane}>
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>intake</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="申请提交">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="intake" name="受理">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="window" />
          <spiffworkflow:property name="form" value="none" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_done" name="办结">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="result" value="0" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_done</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="intake" />
    <bpmn:sequenceFlow id="flow_done" sourceRef="intake" targetRef="end_done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_{key}">
    <bpmndi:BPMNPlane id="BPMNPlane_{key}" bpmnElement="Collaboration_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" \
isHorizontal="true">
        <dc:Bounds x="160" y="80" width="600" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_window_di" bpmnElement="Lane_window" isHorizontal="true">
        <dc:Bounds x="190" y="80" width="570" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="252" y="162" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="244" y="205" width="52" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="intake_di" bpmnElement="intake">
        <dc:Bounds x="380" y="140" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_done_di" bpmnElement="end_done">
        <dc:Bounds x="582" y="162" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="587" y="205" width="26" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start">
        <di:waypoint x="288" y="180" />
        <di:waypoint x="380" y="180" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_done_di" bpmnElement="flow_done">
        <di:waypoint x="480" y="180" />
        <di:waypoint x="582" y="180" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def copied_files(uow: UnitOfWork, source: str, key: str, name: str) -> dict[str, str]:
    """Another model's files (its draft, else its newest version) under a new key and name.

    The main process takes the new key as its id and the new name, so that the copy reads as a
    model of its own in lists, diagrams and the engine's log.
    """
    draft = draft_row(uow, source)
    if draft is not None:
        files = dict(draft.files)
    else:
        versions = model_service.versions(uow, source)
        files = dict(versions[-1].files)
    for file_name, text in files.items():
        if is_bpmn(file_name):
            files[file_name] = renamed_process(text, key, name, file_name)
    bpmn_names = [n for n in files if is_bpmn(n)]
    if len(bpmn_names) == 1 and bpmn_names[0] != f"{key}.bpmn":
        files[f"{key}.bpmn"] = files.pop(bpmn_names[0])
    return files


def renamed_process(text: str, key: str, name: str, file_name: str) -> str:
    try:
        tree = parse_xml(text.encode(), file_name)
    except XmlProblem as problem:
        raise BadRequest(_("无法复制模型：%(message)s", message=problem.message)) from problem
    root = tree.getroot()
    processes = [
        p for p in root.iterfind(f"{{{BPMN_NS}}}process") if p.get("isExecutable") != "false"
    ]
    if len(processes) != 1:
        return text
    old = processes[0].get("id")
    processes[0].set("id", key)
    processes[0].set("name", name)
    for element in root.iter():
        for attribute in ("processRef", "bpmnElement", "calledElement"):
            if element.get(attribute) == old:
                element.set(attribute, key)
        if element.tag == f"{{{BPMN_NS}}}participant" and element.get("processRef") == key:
            element.set("name", name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


# ---- Pages --------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    with designer_user() as (uow, _user):
        rows = model_rows(uow)
    return render_template("designer/index.html", models=rows, form={}, errors={})


@bp.post("/models")
@login_required
def create_model() -> Any:
    form = request.form
    key = form.get("key", "").strip()
    name = form.get("name", "").strip()
    source = form.get("copy_from", "").strip()
    errors: dict[str, str] = {}
    if not designer_service.KEY_PATTERN.match(key):
        errors["key"] = _("模型标识须以小写字母开头，只含小写字母、数字和下划线（2–64 个字符）")
    if not name:
        errors["name"] = _("请填写模型名称")
    elif len(name) > 128:
        errors["name"] = _("模型名称最多 128 个字符")
    with designer_user(write=True) as (uow, user):
        if not errors and model_exists(uow, key):
            errors["key"] = _("模型标识 %(key)s 已存在", key=key)
        if not errors:
            if source:
                if not model_exists(uow, source):
                    raise NotFound(_("流程模型 %(key)s 不存在", key=source))
                files = copied_files(uow, source, key, name)
            else:
                files = {f"{key}.bpmn": starter_bpmn(key, name)}
            designer_service.save_draft(uow, user, key, files)
        rows = model_rows(uow) if errors else []
    if errors:
        flash(_("新建模型失败，请检查标红的字段"), "error")
        page = render_template("designer/index.html", models=rows, form=form, errors=errors)
        return page, 422
    flash(_("模型 %(key)s 已创建（草稿）", key=key), "success")
    return redirect(url_for("designer.modeler", key=key))


def _model_page(template: str, key: str, **context: Any) -> Any:
    with designer_user() as (uow, _user):
        found = {m["key"]: m for m in model_rows(uow)}.get(key)
        if found is None:
            raise NotFound(_("流程模型 %(key)s 不存在", key=key))
        config = {
            "key": key,
            "api": request.script_root + "/api/v1",
            "token_url": url_for("designer.token"),
            "preview_url": url_for("designer.form_preview"),
            "moddle_url": url_for("static", filename="designer/spiffworkflow-moddle.json"),
            "departments": department_names(uow),
            "roles": role_choices(),
            "clocks": clock_choices(),
            "results": result_choices(),
            "approval_chains": approval_chain_keys(uow),
            "modeler_url": url_for("designer.modeler", key=key),
            "history_url": url_for("designer.history", key=key),
            "decision_url": url_for("designer.decision", key=key, file="__FILE__"),
            "cases_url": url_for("designer.running_cases", key=key),
        }
        versions = (
            [model_service.version_view(d) for d in model_service.versions(uow, key)]
            if found.get("latest_version")
            else []
        )
    return render_template(
        template, model=found, config=config, versions=versions, texts=js_texts(), **context
    )


@bp.get("/models/<key>")
@login_required
def modeler(key: str) -> Any:
    return _model_page("designer/modeler.html", key)


@bp.get("/models/<key>/history")
@login_required
def history(key: str) -> Any:
    return _model_page("designer/history.html", key)


@bp.get("/models/<key>/live")
@login_required
def live(key: str) -> Any:
    return _model_page("designer/live.html", key)


@bp.get("/decisions/<key>/<path:file>")
@login_required
def decision(key: str, file: str) -> Any:
    if not file.endswith(".dmn") or "/" in file or file.startswith("."):
        raise NotFound(_("决策文件应为模型目录中的 .dmn 文件"))
    return _model_page("designer/decision.html", key, file=file)


@bp.get("/models/<key>/versions/<int:version>/files/<path:name>")
@login_required
def version_file(key: str, version: int, name: str) -> Any:
    """A deployed version's file as a download (the session-user twin of the API's)."""
    with designer_user() as (uow, _user):
        text = model_service.version_file(uow, key, version, name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    download = f"{key}-v{version}-{name.replace('/', '_')}"
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/models/<key>/cases")
@login_required
def running_cases(key: str) -> Any:
    """The model's cases that have not finished, with their version and current steps.

    Designers do not see cases through the clerks' scoping (they work no department's cases),
    but to migrate they must know which cases run on which version: number, item, version,
    status and open steps only — no applicant data.
    """
    with designer_user() as (uow, user):
        items = designer_service.running_cases(uow, user, key)
    labels = status_labels()
    for item in items:
        item["status_label"] = labels.get(item["status"], item["status"])
    return jsonify({"items": items, "total": len(items)})


# ---- JSON for the page scripts ------------------------------------------------------------------


@bp.post("/token")
@login_required
def token() -> Any:
    """An API token for the logged-in designer; the page scripts call /api/v1 with it.

    A POST with the page's CSRF token (header ``X-CSRFToken``), so another site cannot obtain
    one with the designer's cookie. The token is bound to the login session: logging out
    revokes it.
    """
    with designer_user(write=True) as (uow, user):
        issued = page_token(uow, user)
    expires = int(auth_service.TOKEN_LIFETIME.total_seconds())
    response = jsonify({"token": issued, "token_type": "Bearer", "expires_in": expires})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/forms/preview")
@login_required
def form_preview() -> Any:
    """A form as the clerks' task page renders it (web.forms.render_form), for the live preview.

    Body ``{"schema": {...}, "ui_schema": {...}?}``; an invalid JSON Schema is a 422 with the
    validator's message and where in the schema it is.
    """
    with designer_user():
        pass
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("schema"), dict):
        return preview_error(_("请求体应为 JSON 对象，其中 schema 为 JSON Schema 对象"), None)
    schema = body["schema"]
    ui_schema = body.get("ui_schema")
    ui_schema = {} if ui_schema is None else ui_schema
    if not isinstance(ui_schema, dict):
        return preview_error(_("UI Schema 应为 JSON 对象"), None)
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.path) or None
        return preview_error(error.message, where)
    try:
        html = render_form(schema, ui_schema, {}, {})
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        return preview_error(_("无法渲染表单：%(message)s", message=str(error)), None)
    return jsonify({"html": str(html)})


def preview_error(message: str, where: str | None) -> tuple[Response, int]:
    body = {"error": {"code": "invalid_schema", "message": message, "details": {"path": where}}}
    return jsonify(body), 422


def form_builder_texts() -> dict[str, str]:
    """The 表单构造器's words (web/static/js/designer/form-builder.js)."""
    return {
        "field_type_string": _("文本"),
        "field_type_integer": _("整数"),
        "field_type_number": _("数字"),
        "field_type_boolean": _("是/否"),
        "field_type_date": _("日期"),
        "field_type_choice": _("单选（选项）"),
        "always": _("（无条件）"),
        "field_number": _("字段 %(n)s · %(name)s"),
        "field_name": _("字段名"),
        "field_title": _("标题"),
        "field_type": _("类型"),
        "field_required": _("必填"),
        "field_options": _("选项（每行一个：值=标题）"),
        "field_required_when": _("另在此字段…"),
        "field_required_value": _("…等于此值时必填"),
        "field_up": _("上移字段"),
        "field_down": _("下移字段"),
        "field_remove": _("删除字段"),
        "field_new": _("新字段"),
        "field_name_invalid": _("字段名“%(name)s”只能包含字母、数字和下划线，且不以数字开头"),
        "field_name_twice": _("字段名“%(name)s”重复"),
    }


def js_texts() -> dict[str, str]:
    """The page scripts' messages, translated here so that the catalogue stays in one place."""
    return {
        **form_builder_texts(),
        "loading": _("加载中…"),
        "load_failed": _("加载失败：%(message)s"),
        "saved": _("草稿已保存"),
        "save_failed": _("保存失败：%(message)s"),
        "validating": _("正在校验…"),
        "valid": _("校验通过，没有发现问题"),
        "problems": _("发现 %(count)s 个问题"),
        "deploying": _("正在部署…"),
        "deployed": _("已部署为版本 %(version)s"),
        "deploy_same": _("与版本 %(version)s 相同，未生成新版本"),
        "deploy_refused": _("部署未通过校验，请先修正下列问题"),
        "note_required": _("请填写变更说明"),
        "not_available": _("服务端尚未提供此功能（%(status)s）"),
        "no_selection": _("在画布上选择一个元素以编辑其属性"),
        "element_id": _("元素标识"),
        "name": _("名称"),
        "department": _("部门"),
        "department_choose": _("— 选择部门 —"),
        "department_unknown": _("（未匹配任何部门）"),
        "role": _("办理角色"),
        "role_none": _("— 不指定 —"),
        "approval_chain": _("审批链"),
        "form": _("表单"),
        "form_unset": _("— 未设置 —"),
        "form_none": _("无需表单"),
        "clock": _("时限影响"),
        "due_days": _("步骤时限（工作日）"),
        "result": _("办结结果"),
        "result_none": _("— 不指定 —"),
        "condition": _("条件表达式"),
        "condition_help": _("基于办件数据的表达式，例如：") + ' decision == "approve"',
        "default_flow": _("网关的默认流"),
        "timer": _("定时器"),
        "timer_kind": _("定时器类型"),
        "timer_duration": _("持续时间（timeDuration）"),
        "timer_date": _("日期时间（timeDate）"),
        "timer_cycle": _("循环（timeCycle）"),
        "timer_help": _("ISO 8601 表达式，例如：") + ' "P30D", "PT2H"',
        "other_properties": _("其他扩展属性"),
        "form_name_invalid": _("文件名只能包含小写字母、数字和下划线"),
        "form_exists": _("表单文件已存在"),
        "json_invalid": _("JSON 格式错误：%(message)s"),
        "schema_invalid": _("JSON Schema 无效：%(message)s"),
        "preview_empty": _("选择或新建一个表单"),
        "dmn_exists": _("决策文件已存在"),
        "waiting": _("等待中"),
        "avg_dwell": _("平均停留"),
        "hours": _("%(hours)s 小时"),
        "stats_none": _("暂无统计数据"),
        "diff_same": _("两个版本之间没有元素变化"),
        "added": _("新增"),
        "removed": _("删除"),
        "changed": _("修改"),
        "can_move": _("可迁移"),
        "cannot_move": _("不可迁移"),
        "moved": _("已迁移"),
        "no_cases": _("没有运行中的办件"),
        "choose_cases": _("请至少选择一个办件"),
        "confirm_migrate": _("确定将选中的 %(count)s 个办件迁移到版本 %(version)s？"),
        "confirm_leave": _("有未保存的修改，确定离开？"),
        "saving": _("正在保存…"),
        "open_history": _("版本与迁移"),
        "source_draft": _("草稿：%(user)s 保存于 %(at)s"),
        "source_version": _("尚无草稿，基于版本 v%(version)s"),
        "source_saved": _("草稿（刚刚保存）"),
        "no_bpmn": _("模型中没有 .bpmn 文件"),
        "no_dmn": _("该模型还没有决策表"),
        "no_such_file": _("模型中没有文件 %(file)s"),
        "timer_expression": _("表达式"),
        "diff_summary": _("v%(from)s → v%(to)s：%(count)s 处元素变化"),
        "choose_case": _("选择办件 %(case_no)s"),
        "dry_run_summary": _("试迁移：%(ok)s / %(total)s 个办件可迁移"),
        "migrated_summary": _("已将 %(ok)s / %(total)s 个办件迁移到版本 %(version)s"),
        "dmn_drd": _("决策需求图"),
        "dmn_table": _("决策表"),
        "dmn_literal": _("文字表达式"),
        "starter_opinion": _("审查意见"),
        "starter_decision": _("办理结论"),
        "starter_approve": _("同意"),
        "starter_return": _("退回"),
        "starter_reject": _("不同意"),
        **{f"type_{kind}": label for kind, label in type_labels().items()},
    }


def type_labels() -> dict[str, str]:
    """BPMN element types as the side panel names them."""
    return {
        "Process": _("流程"),
        "Collaboration": _("协作"),
        "Participant": _("池"),
        "Lane": _("泳道（部门）"),
        "Task": _("任务"),
        "UserTask": _("用户任务"),
        "ServiceTask": _("服务任务"),
        "ScriptTask": _("脚本任务"),
        "BusinessRuleTask": _("业务规则任务"),
        "ManualTask": _("手工任务"),
        "SendTask": _("发送任务"),
        "ReceiveTask": _("接收任务"),
        "CallActivity": _("调用活动"),
        "SubProcess": _("子流程"),
        "StartEvent": _("开始事件"),
        "EndEvent": _("结束事件"),
        "IntermediateCatchEvent": _("中间捕获事件"),
        "IntermediateThrowEvent": _("中间抛出事件"),
        "BoundaryEvent": _("边界事件"),
        "ExclusiveGateway": _("排他网关"),
        "ParallelGateway": _("并行网关"),
        "InclusiveGateway": _("包容网关"),
        "EventBasedGateway": _("事件网关"),
        "SequenceFlow": _("顺序流"),
        "TextAnnotation": _("文本注释"),
        "DataObjectReference": _("数据对象"),
    }


# ---- 事项目录: administrators create and edit service items and bind a deployed model ------------

ITEM_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The fields the catalogue page edits one by one; the rest of the guide is edited as JSON.
ITEM_FORM_KEYS = (
    "code",
    "name",
    "item_type",
    "case_type",
    "process_key",
    "implementing_body",
    "legal_limit",
    "promised_limit",
    "departments",
)


@bp.get("/catalogue")
@login_required
def catalogue() -> Any:
    """事项目录: every item with the model it runs on and that model's newest version."""
    with designer_user() as (uow, _user):
        latest = {m["key"]: m for m in model_service.list_models(uow)}
        items = [
            {
                "code": row.code,
                "name": row.name,
                "case_type": row.case_type,
                "process_key": row.process_key,
                "model": latest.get(row.process_key),
            }
            for row in uow.session.scalars(
                select(models.ServiceItem).order_by(models.ServiceItem.code)
            )
        ]
    return render_template("designer/catalogue.html", items=items)


@bp.route("/catalogue/new", methods=["GET", "POST"], defaults={"code": None})
@bp.route("/catalogue/<code>", methods=["GET", "POST"])
@login_required
def catalogue_item(code: str | None) -> Any:
    """One item's page: its main fields as inputs, the model as a choice of deployed ones, the
    rest of the guide (materials, fees, …) as JSON; saved through the API's ``save_item``."""
    errors: dict[str, str] = {}
    with designer_user(write=request.method == "POST") as (uow, user):
        access.require_role(user, "admin")
        row = uow.session.get(models.ServiceItem, code) if code else None
        if code and row is None:
            raise NotFound(_("事项 %(code)s 不存在", code=code))
        choices = _catalogue_choices(uow)
        if request.method == "POST":
            item, errors = _posted_item(uow, code, choices)
            if not errors:
                try:
                    saved, created = catalogue_service.save_item(uow, user, item["code"], item)
                except ValidationFailed as failure:
                    for key, message in (failure.details.get("fields") or {}).items():
                        errors[_ITEM_ERROR_FIELD.get(key, "guide")] = _(message)
                else:
                    flash(
                        _("事项 %(name)s 已创建", name=saved.name)
                        if created
                        else _("事项 %(name)s 已保存", name=saved.name),
                        "success",
                    )
                    return redirect(url_for("designer.catalogue_item", code=saved.code))
            form = {**request.form.to_dict(), "departments": request.form.getlist("departments")}
        else:
            form = _item_form(catalogue_service.item_view(row) if row else None)
    if errors:
        flash(_("保存失败，请检查标红的字段"), "error")
    page = render_template(
        "designer/catalogue_item.html", code=code, form=form, errors=errors, **choices
    )
    return page, (422 if errors else 200)


_ITEM_ERROR_FIELD = {
    "code": "code",
    "name": "name",
    "item_type": "item_type",
    "case_type": "case_type",
    "process_key": "process_key",
    "legal_limit": "legal_limit_days",
    "promised_limit": "promised_limit_days",
    "departments": "departments",
}


def _catalogue_choices(uow: UnitOfWork) -> dict[str, Any]:
    return {
        "item_types": public_service.ITEM_TYPES,
        "case_types": public_service.CASE_TYPES,
        "units": public_service.UNITS,
        "deployed": [m for m in model_service.list_models(uow) if m.get("latest_version")],
        "departments": [
            {"code": d.code, "name": d.name}
            for d in uow.session.scalars(select(models.Department).order_by(models.Department.id))
        ],
    }


def _item_form(item: dict[str, Any] | None) -> dict[str, Any]:
    """The page's fields of a stored item (or a new one's defaults)."""
    item = item or {"legal_limit": {}, "promised_limit": {}, "materials": []}
    rest = {k: v for k, v in item.items() if k not in ITEM_FORM_KEYS}
    form: dict[str, Any] = {k: item.get(k) or "" for k in ITEM_FORM_KEYS[:6]}
    for key in ("legal_limit", "promised_limit"):
        limit = item.get(key) or {}
        form[f"{key}_days"] = "" if limit.get("days") is None else str(limit["days"])
        form[f"{key}_unit"] = limit.get("unit") or "working_day"
    form["departments"] = list(item.get("departments") or [])
    form["guide"] = json.dumps(rest, ensure_ascii=False, indent=2)
    return form


def _posted_item(
    uow: UnitOfWork, code: str | None, choices: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The item the form describes, and what the page itself finds wrong with it."""
    form = request.form
    errors: dict[str, str] = {}
    new_code = code or form.get("code", "").strip()
    if not ITEM_CODE.fullmatch(new_code):
        errors["code"] = _("事项编码只能包含字母、数字、点、下划线和连字符（最多 64 个字符）")
    elif code is None and uow.session.get(models.ServiceItem, new_code) is not None:
        errors["code"] = _("事项编码 %(code)s 已存在", code=new_code)
    name = form.get("name", "").strip()
    taken = uow.session.scalar(
        select(models.ServiceItem.code).where(
            models.ServiceItem.name == name, models.ServiceItem.code != new_code
        )
    )
    if taken:
        errors["name"] = _("事项名称已被 %(code)s 使用", code=taken)
    process_key = form.get("process_key", "")
    if process_key not in {m["key"] for m in choices["deployed"]}:
        errors["process_key"] = _("请选择一个已部署的流程模型")
    try:
        rest = json.loads(form.get("guide") or "{}")
    except ValueError as failure:
        rest, errors["guide"] = {}, _("不是有效的 JSON：%(error)s", error=str(failure))
    if not isinstance(rest, dict):
        rest, errors["guide"] = {}, _("应为 JSON 对象")
    item: dict[str, Any] = {
        **{k: v for k, v in rest.items() if k not in ITEM_FORM_KEYS},
        "code": new_code,
        "name": name,
        "item_type": form.get("item_type", ""),
        "case_type": form.get("case_type", ""),
        "process_key": process_key,
        "implementing_body": form.get("implementing_body", "").strip(),
        "departments": form.getlist("departments"),
    }
    for key in ("legal_limit", "promised_limit"):
        days = form.get(f"{key}_days", "").strip()
        item[key] = {
            "days": int(days) if days.isdigit() else None,
            "unit": form.get(f"{key}_unit", "working_day"),
        }
    return item, errors
