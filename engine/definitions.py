"""Validate and deploy process models as immutable, numbered versions.

A model is the set of files of one folder in bpmn/ (``*.bpmn``, ``*.dmn``, ``forms/*.json``).
Validation collects every problem it can find (file, line, element, message) instead of stopping
at the first, so a designer fixes a model in one round. Besides problems it reports notes
(``level: warning|info``): things it accepted but the designer should know, such as a
Camunda-style unquoted timer that deploy normalised.

The lint rules (DESIGN.md "Conventions inside BPMN files"): every user task has a department
(its lane, or Camunda candidate groups) and a form or ``form = none``; exclusive gateways with
several exits have a condition on every exit but the default; no implicit merges; every
sequence flow has an id; scripts and conditions compile in the sandbox; timers are ISO 8601;
nothing Camunda-only that cannot run here (engine/camunda.py).

``prepare_model`` is what deploy does to the files before it validates and stores them: it
quotes unquoted timer literals and generates the JSON Schema forms of ``camunda:formData``.
``diff_models`` compares two versions element by element.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import camunda
from .camunda import CAMUNDA_NS, JUEL, label
from .errors import ModelInvalid
from .runtime import parse_model
from .safexml import XmlProblem, parse_xml
from .sandbox import SandboxError, compile_expression, evaluate

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
MODEL_SUFFIXES = (".bpmn", ".dmn", ".json")
GATEWAYS = (
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
)


@dataclass(frozen=True)
class ValidatedModel:
    """What deploy needs from a model that passed validation."""

    process_id: str
    name: str
    task_meta: dict[str, dict[str, Any]]
    notes: tuple[dict[str, Any], ...] = ()


@dataclass
class ModelReport:
    """Everything validation found: problems refuse the model, notes do not."""

    problems: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    validated: ValidatedModel | None


@dataclass
class PreparedModel:
    """The files as deploy stores them, and what preparing them changed."""

    files: dict[str, str]
    notes: list[dict[str, Any]] = field(default_factory=list)


def read_model_folder(folder: Path) -> dict[str, str]:
    """The model's files keyed by their path relative to the folder (``forms/x.json``)."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in MODEL_SUFFIXES
    }


def files_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def form_path(files: dict[str, str], name: str) -> str | None:
    """Resolve a form property (a bare file name, as SpiffArena writes it) to a file key."""
    for candidate in (name, f"forms/{name}"):
        if candidate in files:
            return candidate
    return None


def _problem(file: str, line: int | None, element: str | None, message: str) -> dict[str, Any]:
    return {"file": file, "line": line, "element_id": element, "message": message}


def _note(
    file: str, line: int | None, element: str | None, message: str, level: str = "warning"
) -> dict[str, Any]:
    return {**_problem(file, line, element, message), "level": level}


def _properties(element: etree._Element) -> dict[str, str]:
    """OneWindow properties: ``camunda:properties``, overridden by ``spiffworkflow:property``."""
    return {
        **camunda.camunda_properties(element),
        **{
            p.get("name"): p.get("value", "")
            for p in element.iterfind(
                "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
            )
        },
    }


def _form_declared_none(props: dict[str, str]) -> bool:
    """``form = none`` (or a ``formNone`` property): the task needs no form."""
    if props.get("form", "").strip().lower() == "none":
        return True
    return "formNone" in props and props["formNone"].strip().lower() not in ("false", "0", "no")


def _python(element: etree._Element) -> bool:
    """The expression or script is Python (no language declared, or Python declared)."""
    language = element.get("language")
    if _local(element) == "script" and element.getparent() is not None:
        language = element.getparent().get("scriptFormat")
    return (language or "").strip().lower() in camunda.PYTHON_LANGUAGES


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


class _ModelChecker:
    """Collects the problems of one model; each check appends to ``problems``."""

    def __init__(
        self,
        files: dict[str, str],
        departments: dict[str, str],
        roles: set[str] | frozenset[str] | None = None,
    ):
        self.files = files
        self.departments = departments  # lane name or code -> department code
        self.roles = roles  # role codes; None: any candidate group that is no department is a role
        self.problems: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.trees: dict[str, etree._ElementTree] = {}

    def add(self, file: str, line: int | None, element: str | None, message: str) -> None:
        self.problems.append(_problem(file, line, element, message))

    def add_at(self, file: str, element: etree._Element, message: str) -> None:
        self.add(file, element.sourceline, element.get("id"), message)

    def note_at(self, file: str, element: etree._Element, message: str) -> None:
        self.notes.append(_note(file, element.sourceline, element.get("id"), message))

    def parse_xml_files(self) -> None:
        for name, text in self.files.items():
            if name.endswith((".bpmn", ".dmn")):
                try:
                    self.trees[name] = parse_xml(text.encode(), name)
                except XmlProblem as error:
                    self.add(name, error.line, None, error.message)
        if not any(name.endswith(".bpmn") for name in self.files):
            self.add("", None, None, "模型中没有 .bpmn 文件")

    def check_flows_have_ids(self) -> None:
        """SpiffWorkflow silently drops a sequence flow without an id; refuse it instead."""
        for name, tree in self._bpmn_trees():
            for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
                if not flow.get("id"):
                    src, dst = flow.get("sourceRef"), flow.get("targetRef")
                    self.add(
                        name,
                        flow.sourceline,
                        None,
                        f"顺序流缺少 id（{src} → {dst}），引擎会静默丢弃它",
                    )

    def check_lanes(self) -> None:
        for name, tree in self._bpmn_trees():
            in_lane = set()
            for lane in tree.iterfind(".//bpmn:lane", NS):
                lane_name = (lane.get("name") or "").strip()
                refs = [r.text for r in lane.iterfind("bpmn:flowNodeRef", NS) if r.text]
                in_lane.update(refs)
                if lane.find("bpmn:childLaneSet", NS) is not None:
                    continue
                if lane_name not in self.departments:
                    self.add(
                        name,
                        lane.sourceline,
                        lane.get("id"),
                        f"泳道“{lane_name}”没有对应的部门（按部门名称或代码匹配）",
                    )
            for task in tree.iterfind(".//bpmn:userTask", NS):
                if task.get("id") in in_lane:
                    continue
                department, _role, _problems = self._candidates(task)
                if department is None:
                    self.add(
                        name,
                        task.sourceline,
                        task.get("id"),
                        f"用户任务“{task.get('name')}”不在任何泳道中，无法确定办理部门",
                    )

    def check_forms(self) -> None:
        for name, tree in self._bpmn_trees():
            for task in tree.iterfind(".//bpmn:userTask", NS):
                props = _properties(task)
                form_data = camunda.has_form_data(task)
                declared_none = _form_declared_none(props)
                if form_data and "formJsonSchemaFilename" in props:
                    self.add_at(
                        name,
                        task,
                        f"用户任务{label(task)} 同时有 camunda:formData 和 JSON Schema 表单"
                        "（formJsonSchemaFilename），请只保留一个",
                    )
                elif not form_data and "formJsonSchemaFilename" not in props and not declared_none:
                    self.add_at(
                        name,
                        task,
                        f"用户任务{label(task)} 没有表单：请设置表单（formJsonSchemaFilename）"
                        "或声明无需表单（属性 form = none）",
                    )
                if form_data:
                    self._check_form_data(name, task)
                for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                    if key in props:
                        self._check_form(name, task, props[key], schema=key.startswith("formJson"))

    def _check_form_data(self, file: str, task: etree._Element) -> None:
        """``camunda:formData``: convertible, and its generated form file is the current one."""
        form, problems = camunda.generated_form(task)
        for message in problems:
            self.add_at(file, task, f"用户任务{label(task)}：{message}")
        if problems:
            return
        generated = camunda.generated_form_name(task.get("id"))
        if self.files.get(generated) != camunda.form_text(form):
            self.add_at(
                file,
                task,
                f"用户任务{label(task)} 的 camunda:formData 尚未生成为表单文件 {generated}"
                "（或该文件已过期）：请通过流程设计部署，部署时会自动生成",
            )

    def _check_form(self, file: str, task: etree._Element, value: str, schema: bool) -> None:
        path = form_path(self.files, value)
        if path is None:
            self.add(file, task.sourceline, task.get("id"), f"表单文件“{value}”不存在")
            return
        try:
            document = json.loads(self.files[path])
        except json.JSONDecodeError as error:
            self.add(path, error.lineno, task.get("id"), f"表单不是合法的 JSON：{error.msg}")
            return
        if not schema:
            return
        try:
            validator_for(document).check_schema(document)
        except SchemaError as error:
            where = "/".join(str(p) for p in error.path) or "（根）"
            self.add(
                path, None, task.get("id"), f"表单不是合法的 JSON Schema：{where}: {error.message}"
            )

    # ----- Camunda Modeler files --------------------------------------------------------------
    def check_unsupported(self) -> None:
        """JUEL, Java delegates, listeners…: refused here so that nothing fails at run time."""
        for name, tree in self._bpmn_trees():
            for element, message in camunda.refusals(tree.getroot()):
                self.add_at(name, element, message)

    def check_candidate_groups(self) -> None:
        for name, tree in self._bpmn_trees():
            lanes = {
                ref.text: (lane.get("name") or "").strip()
                for lane in tree.iterfind(".//bpmn:lane", NS)
                for ref in lane.iterfind("bpmn:flowNodeRef", NS)
            }
            for task in tree.iterfind(".//bpmn:userTask", NS):
                department, role, problems = self._candidates(task)
                for message in problems:
                    self.add_at(name, task, f"用户任务{label(task)}：{message}")
                lane_department = self.departments.get(lanes.get(task.get("id"), ""))
                if department and lane_department and department != lane_department:
                    self.add_at(
                        name,
                        task,
                        f"用户任务{label(task)} 的候选组指向部门 {department}，"
                        f"但它所在的泳道属于部门 {lane_department}",
                    )
                declared = _properties(task).get("role")
                if role and declared and role != declared:
                    self.add_at(
                        name,
                        task,
                        f"用户任务{label(task)} 的候选组角色 {role}"
                        f" 与属性 role = {declared} 不一致",
                    )

    def _candidates(self, task: etree._Element) -> tuple[str | None, str | None, list[str]]:
        """``camunda:candidateGroups`` as (department code, role slot, problems).

        A group is ``department`` (name or code), ``role``, or ``department:role``.
        """
        departments: set[str] = set()
        roles: set[str] = set()
        problems: list[str] = []
        for group in camunda.candidate_groups(task):
            if ":" in group:
                dept, role = (part.strip() for part in group.split(":", 1))
                if dept not in self.departments:
                    problems.append(f"候选组“{group}”中的部门“{dept}”不存在")
                else:
                    departments.add(self.departments[dept])
                if self.roles is not None and role not in self.roles:
                    problems.append(f"候选组“{group}”中的角色“{role}”不存在")
                else:
                    roles.add(role)
            elif group in self.departments:
                departments.add(self.departments[group])
            elif self.roles is None or group in self.roles:
                roles.add(group)
            else:
                problems.append(f"候选组“{group}”既不是部门（名称或代码）也不是角色")
        if len(departments) > 1:
            problems.append("候选组只能指向一个部门：" + "、".join(sorted(departments)))
        if len(roles) > 1:
            problems.append("候选组只能指定一个角色：" + "、".join(sorted(roles)))
        department = next(iter(departments)) if len(departments) == 1 else None
        role = next(iter(roles)) if len(roles) == 1 else None
        return department, role, problems

    # ----- flow structure ---------------------------------------------------------------------
    def check_gateways(self) -> None:
        """An exclusive gateway with several exits: each exit has a condition or is the default."""
        for name, tree in self._bpmn_trees():
            flows = tree.findall(".//bpmn:sequenceFlow", NS)
            for gateway in tree.iterfind(".//bpmn:exclusiveGateway", NS):
                outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
                if not all(f.get("id") for f in outgoing):
                    continue  # a flow without id is refused already; the default may be it
                default = gateway.get("default")
                if default and default not in {f.get("id") for f in outgoing}:
                    self.add_at(
                        name,
                        gateway,
                        f"排他网关{label(gateway)} 的默认流 {default} 不是它的出口顺序流",
                    )
                if len(outgoing) < 2:
                    continue
                for flow in outgoing:
                    if flow.get("id") == default:
                        continue
                    condition = flow.find("bpmn:conditionExpression", NS)
                    if condition is None or not (condition.text or "").strip():
                        self.add_at(
                            name,
                            flow,
                            f"排他网关{label(gateway)} 的出口 {label(flow)}"
                            " 既没有条件也不是默认流：请给它条件，或设为网关的默认流",
                        )

    def check_merges(self) -> None:
        """Merges are modelled with gateways: an activity or event has at most one incoming flow."""
        for name, tree in self._bpmn_trees():
            incoming: dict[str, int] = {}
            for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
                target = flow.get("targetRef")
                if target:
                    incoming[target] = incoming.get(target, 0) + 1
            for target, count in incoming.items():
                if count < 2:
                    continue
                found = tree.xpath("//*[@id=$id]", id=target)
                if not found or _local(found[0]) in GATEWAYS:
                    continue
                self.add_at(
                    name,
                    found[0],
                    f"{label(found[0])} 有 {count} 条输入顺序流（隐式汇合）：请用网关汇合",
                )

    # ----- expressions --------------------------------------------------------------------------
    def check_expressions(self) -> None:
        """Conditions, scripts, pre/post scripts and loop expressions compile in the sandbox."""
        for name, tree in self._bpmn_trees():
            root = tree.getroot()
            for condition in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
                flow = condition.getparent()
                if not (condition.text or "").strip():
                    self.add(
                        name,
                        condition.sourceline,
                        camunda.owner(flow).get("id"),
                        f"{label(flow) or '顺序流'} 的条件表达式为空",
                    )
                    continue
                self._compile(name, condition, "条件表达式", "eval")
            for script in root.iter(f"{{{BPMN_NS}}}script"):
                self._compile(name, script, "脚本", "exec")
            for tag, what in (("preScript", "前置脚本"), ("postScript", "后置脚本")):
                for script in root.iter(f"{{{SPIFF_NS}}}{tag}"):
                    self._compile(name, script, what, "exec")
            for tag, what in (
                ("loopCardinality", "多实例数量表达式"),
                ("completionCondition", "多实例完成条件"),
                ("loopCondition", "循环条件"),
            ):
                for expression in root.iter(f"{{{BPMN_NS}}}{tag}"):
                    self._compile(name, expression, what, "eval")

    def _compile(self, file: str, element: etree._Element, what: str, mode: str) -> None:
        source = element.text or ""
        if not source.strip() or JUEL.search(source) or not _python(element):
            return  # empty scripts do nothing; JUEL and other languages have their own message
        if mode == "eval":
            source = source.strip()
        try:
            compile_expression(source, mode)
        except SandboxError as error:
            owner = camunda.owner(element)
            line = element.sourceline
            if line is not None and error.line:
                line += error.line - 1
            self.add(
                file,
                line,
                owner.get("id"),
                f"{label(owner)} 的{what}无法编译：{error.message}",
            )

    def check_timers(self) -> None:
        """Timers evaluate (sandbox, empty data) to ISO 8601; unquoted literals are notes."""
        for name, tree in self._bpmn_trees():
            for event, element, kind in camunda.timer_expressions(tree.getroot()):
                self._check_timer(name, event, element, kind)

    def _check_timer(self, file: str, event: etree._Element, element, kind: str) -> None:
        text = (element.text or "").strip()
        what = {"duration": "ISO 8601 时长", "date": "ISO 8601 日期时间"}.get(kind, "")
        if JUEL.search(text):
            return
        if kind == "cycle":
            self.add_at(
                file, event, f"{label(event)} 是循环定时器（timeCycle），暂不支持：请改用时长或日期"
            )
            return
        if not text:
            self.add_at(file, event, f"{label(event)} 的定时器没有表达式")
            return
        literal = camunda.bare_timer_literal(kind, text)
        if literal is not None:
            self.note_at(
                file,
                event,
                f"{label(event)} 的定时器 {text} 是未加引号的 {what}，部署时规范化为 {literal}",
            )
            return
        try:
            value = evaluate(text, {})
        except NameError as error:
            if camunda.looks_like_iso(kind, text):
                self.add_at(file, event, f"{label(event)} 的定时器 {text} 不是合法的 {what}")
            else:
                self.note_at(
                    file,
                    event,
                    f"{label(event)} 的定时器表达式 {text} 取决于办件数据（{error}），"
                    "部署时无法检查",
                )
            return
        except SandboxError as error:
            if camunda.looks_like_iso(kind, text):
                message = f"{label(event)} 的定时器 {text} 不是合法的 {what}"
            else:
                message = f"{label(event)} 的定时器表达式无法计算：{error.message}"
            self.add_at(file, event, message)
            return
        except Exception as error:
            self.add_at(
                file,
                event,
                f"{label(event)} 的定时器表达式计算出错：{type(error).__name__}: {error}",
            )
            return
        valid = camunda.valid_duration if kind == "duration" else camunda.valid_date
        if not isinstance(value, str) or not valid(value):
            example = '"PT2H"、"P30D"' if kind == "duration" else '"2026-01-01T09:00:00+08:00"'
            self.add_at(
                file,
                event,
                f"{label(event)} 的定时器结果 {value!r} 不是合法的 {what}（例如 {example}）",
            )

    def parse_with_engine(self) -> tuple[str, str] | None:
        """XSD validation and SpiffWorkflow's own parse; returns (process id, name)."""
        if self.problems:
            return None
        process = self._main_process()
        if process is None:
            return None
        try:
            parser = parse_model(self.files, validate=True)
            parser.get_spec(process[0])
            parser.get_subprocess_specs(process[0])
        except ValidationException as error:
            self.add(
                error.file_name or "",
                error.line_number or self._line_of(error.id),
                error.id or None,
                str(error).split("\n")[0],
            )
            return None
        except SpiffWorkflowException as error:
            self.add("", None, None, str(error))
            return None
        return process

    def _main_process(self) -> tuple[str, str] | None:
        """The executable process that no call activity of the model calls."""
        processes, called = [], set()
        for _, tree in self._bpmn_trees():
            processes += tree.findall(".//bpmn:process", NS)
            called.update(c.get("calledElement") for c in tree.iterfind(".//bpmn:callActivity", NS))
        roots = [
            p
            for p in processes
            if p.get("id") not in called and p.get("isExecutable", "true") != "false"
        ]
        if len(roots) != 1:
            self.add("", None, None, f"模型应恰好有一个可执行的主流程，实际找到 {len(roots)} 个")
            return None
        return roots[0].get("id"), roots[0].get("name") or roots[0].get("id")

    def task_meta(self) -> dict[str, dict[str, Any]]:
        """Per user task: the department, role slot, form and clock properties it declares."""
        meta: dict[str, dict[str, Any]] = {}
        for _, tree in self._bpmn_trees():
            lanes = {
                ref.text: lane.get("name", "").strip()
                for lane in tree.iterfind(".//bpmn:lane", NS)
                for ref in lane.iterfind("bpmn:flowNodeRef", NS)
            }
            for task in tree.iterfind(".//bpmn:userTask", NS):
                props = _properties(task)
                lane = lanes.get(task.get("id"), "")
                group_department, group_role, _problems = self._candidates(task)
                form = props.get("formJsonSchemaFilename", "")
                if not form and camunda.has_form_data(task):
                    form = camunda.generated_form_name(task.get("id"))
                meta[task.get("id")] = {
                    "name": task.get("name") or task.get("id"),
                    "lane": lane,
                    "department": group_department or self.departments.get(lane),
                    "role": props.get("role") or group_role,
                    "form": form_path(self.files, form),
                    "ui_form": form_path(self.files, props.get("formUiSchemaFilename", "")),
                    "clock": props.get("clock"),
                    "due_working_days": props.get("dueWorkingDays"),
                    "visit": props.get("visit") == "true",
                }
        return meta

    def _bpmn_trees(self):
        return [(n, t) for n, t in self.trees.items() if n.endswith(".bpmn")]

    def _line_of(self, element_id: str | None) -> int | None:
        if not element_id:
            return None
        for _, tree in self._bpmn_trees():
            found = tree.xpath("//*[@id=$id]", id=element_id)
            if found:
                return found[0].sourceline
        return None


# ----- decision tables (DMN) ----------------------------------------------------------------------
# SpiffWorkflow 3.2.0 reads one decision per .dmn file: a file with several ``<decision>``
# elements crashes its parser ("'list' object has no attribute 'tag'") and the business rule task
# can only name the first one. Such files are refused here with the decisions they hold. Cells are
# evaluated by the sandbox script engine, so they must compile there, as the DMN engine builds them.

_DmnProblem = tuple[str, int | None, str | None, str]  # file, line, element, message
_DMN_INPUT_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # the engine's "?" rule


def _dmn_children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _dmn_text(element: etree._Element) -> etree._Element | None:
    found = _dmn_children(element, "text")
    return found[0] if found else None


def _dmn_compile(source: str) -> str | None:
    """The sandbox's complaint about an expression, or None when it compiles."""
    try:
        compile_expression(source, "eval")
    except SandboxError as error:
        return error.message
    return None


def _dmn_input_cell(text: str) -> str | None:
    """An input entry as the DMN engine runs it: ``? …``, ``(in) == (cell)`` or ``in cell``."""
    if "?" in text and _DMN_INPUT_MARK.search(text):
        return _dmn_compile(_DMN_INPUT_MARK.sub("dmninputexpr", text))
    whole = _dmn_compile(text)
    if whole is None or _dmn_compile(f"dmninputexpr {text}") is None:
        return None
    return whole


def dmn_decisions(trees: dict[str, etree._ElementTree]) -> dict[str, list[str]]:
    """Decision ids of each .dmn file."""
    return {
        name: [d.get("id") or "" for d in _dmn_children(tree.getroot(), "decision")]
        for name, tree in trees.items()
        if name.endswith(".dmn")
    }


def dmn_problems(trees: dict[str, etree._ElementTree]) -> list[_DmnProblem]:
    """(file, line, element, message) for every DMN problem of a model."""
    problems: list[_DmnProblem] = []
    decisions = dmn_decisions(trees)
    for name, ids in decisions.items():
        root = trees[name].getroot()
        if not ids:
            message = f"决策文件 {name} 中没有决策（decision）"
            problems.append((name, root.sourceline, None, message))
        elif len(ids) > 1:
            problems.append(
                (
                    name,
                    root.sourceline,
                    None,
                    f"决策文件 {name} 含有 {len(ids)} 个决策（{'、'.join(ids)}）：引擎每个 .dmn "
                    "文件只支持一个决策，请把每个决策放进单独的 .dmn 文件",
                )
            )
        for decision in _dmn_children(root, "decision"):
            problems += _dmn_table_problems(name, decision)
    known = {i for ids in decisions.values() for i in ids}
    for name, tree in trees.items():
        if not name.endswith(".bpmn"):
            continue
        for task in tree.iterfind(".//bpmn:businessRuleTask", NS):
            called = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
            wanted = (called.text or "").strip() if called is not None else ""
            if wanted and wanted in known:
                continue
            message = (
                f"{label(task)} 调用的决策 {wanted} 不在模型的任何 .dmn 文件中"
                f"（现有：{'、'.join(sorted(known)) or '无'}）"
                if wanted
                else f"{label(task)} 没有指定要调用的决策（spiffworkflow:calledDecisionId）"
            )
            problems.append((name, task.sourceline, task.get("id"), message))
    return problems


def _dmn_table_problems(name: str, decision: etree._Element) -> list[_DmnProblem]:
    problems = []
    what = f"决策 {decision.get('id')}"
    for table in _dmn_children(decision, "decisionTable"):
        cells: list[tuple[etree._Element, str, bool]] = []
        for column in _dmn_children(table, "input"):
            for expression in _dmn_children(column, "inputExpression"):
                cells.append((expression, "输入表达式", False))
        for rule in _dmn_children(table, "rule"):
            cells += [(entry, "输入条件", True) for entry in _dmn_children(rule, "inputEntry")]
            cells += [(entry, "输出值", False) for entry in _dmn_children(rule, "outputEntry")]
        for cell, kind, is_input in cells:
            node = _dmn_text(cell)
            text = (node.text if node is not None else None) or ""
            if not text.strip() or text.strip() == "-":
                continue
            complaint = _dmn_input_cell(text.strip()) if is_input else _dmn_compile(text.strip())
            if complaint:
                problems.append(
                    (
                        name,
                        cell.sourceline,
                        cell.get("id"),
                        f"{what} 的{kind} {text.strip()!r} 无法编译：{complaint}",
                    )
                )
    return problems


def check_model(
    files: dict[str, str],
    departments: dict[str, str],
    roles: set[str] | frozenset[str] | None = None,
) -> ModelReport:
    """Every check a model must pass before deploy, as a report (nothing raised).

    ``departments`` maps each department's name and code to its code; ``roles`` are the role
    codes candidate groups may name (None: accept any group that is not a department as a role).
    """
    checker = _ModelChecker(files, departments, roles)
    checker.parse_xml_files()
    if not checker.problems:
        checker.check_unsupported()
        checker.check_flows_have_ids()
        checker.check_lanes()
        checker.check_candidate_groups()
        checker.check_forms()
        checker.check_gateways()
        checker.check_merges()
        checker.check_expressions()
        checker.check_timers()
        for problem in dmn_problems(checker.trees):
            checker.add(*problem)
    process = checker.parse_with_engine()
    if checker.problems or process is None:
        return ModelReport(checker.problems, checker.notes, None)
    validated = ValidatedModel(process[0], process[1], checker.task_meta(), tuple(checker.notes))
    return ModelReport([], checker.notes, validated)


def validate_model(
    files: dict[str, str],
    departments: dict[str, str],
    roles: set[str] | frozenset[str] | None = None,
) -> ValidatedModel:
    """``check_model``, raising ``ModelInvalid`` with all problems."""
    report = check_model(files, departments, roles)
    if report.validated is None:
        raise ModelInvalid(report.problems)
    return report.validated


def prepare_model(files: dict[str, str]) -> PreparedModel:
    """The files as deploy should store them, with a note per change.

    Unquoted ISO 8601 timer literals are quoted in place (the rest of the file is untouched);
    every ``camunda:formData`` becomes ``forms/<task id>.schema.json``. Idempotent, so the
    identical-files check of deploy still holds. Files that do not parse are left for
    validation to report.
    """
    out = dict(files)
    notes: list[dict[str, Any]] = []
    for name, text in sorted(files.items()):
        if not name.endswith(".bpmn"):
            continue
        try:
            tree = parse_xml(text.encode(), name)
        except XmlProblem:
            continue
        new_text, rewritten = camunda.normalise_timer_text(text, tree)
        for event, literal in rewritten:
            notes.append(
                _note(
                    name,
                    event.sourceline,
                    event.get("id"),
                    f"{label(event)} 的定时器改写为 {literal}"
                    "（Camunda 风格的未加引号 ISO 8601 文字）",
                )
            )
        out[name] = new_text
        for task in tree.getroot().iter(f"{{{BPMN_NS}}}userTask"):
            if not camunda.has_form_data(task) or not task.get("id"):
                continue
            form, problems = camunda.generated_form(task)
            if problems:
                continue  # validation names them
            generated = camunda.generated_form_name(task.get("id"))
            text_of_form = camunda.form_text(form)
            if out.get(generated) != text_of_form:
                notes.append(
                    _note(
                        name,
                        task.sourceline,
                        task.get("id"),
                        f"已根据 {label(task)} 的 camunda:formData 生成表单 {generated}",
                        level="info",
                    )
                )
            out[generated] = text_of_form
    return PreparedModel(out, notes)


# ---- element-level diff of two versions ---------------------------------------------------------

_ACTIVITIES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "subProcess",
        "adHocSubProcess",
        "transaction",
        "callActivity",
    }
)


def _is_model_element(localname: str) -> bool:
    return (
        localname in _ACTIVITIES
        or localname in ("sequenceFlow", "lane", "dataObjectReference", "dataStoreReference")
        or localname.endswith("Event")
        or localname.endswith("Gateway")
    )


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def model_elements(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every BPMN element of a model with an id, and the facets a designer changes.

    Facets: name, type, lane, properties (camunda and spiffworkflow), candidate groups, form
    (the schema itself, whether a file or generated from formData) and UI form, condition,
    source/target, default flow, scripts, timer, event kind, attachment, called element,
    loop, documentation. Diagram layout is not a facet.
    """
    elements: dict[str, dict[str, Any]] = {}
    for name, text in sorted(files.items()):
        if not name.endswith(".bpmn"):
            continue
        try:
            root = parse_xml(text.encode(), name).getroot()
        except XmlProblem:
            continue
        lanes = {
            ref.text: (lane.get("name") or "").strip()
            for lane in root.iter(f"{{{BPMN_NS}}}lane")
            for ref in lane.iterfind("bpmn:flowNodeRef", NS)
        }
        for element in root.iter(f"{{{BPMN_NS}}}*"):
            kind = _local(element)
            element_id = element.get("id")
            if not element_id or not _is_model_element(kind):
                continue
            elements[element_id] = {
                "id": element_id,
                "type": kind,
                "name": element.get("name") or "",
                "file": name,
                "facets": _facets(element, kind, lanes, files),
            }
    return elements


def _facets(
    element: etree._Element, kind: str, lanes: dict[str, str], files: dict[str, str]
) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "name": element.get("name") or "",
        "type": kind,
        "documentation": _text(element.find("bpmn:documentation", NS)),
        "properties": _properties(element),
    }
    if kind != "lane" and kind != "sequenceFlow":
        facets["lane"] = lanes.get(element.get("id"))
    if kind == "sequenceFlow":
        condition = element.find("bpmn:conditionExpression", NS)
        facets.update(
            condition=_text(condition),
            source=element.get("sourceRef"),
            target=element.get("targetRef"),
        )
    if kind.endswith("Gateway"):
        facets["default"] = element.get("default")
    if kind == "userTask":
        props = facets["properties"]
        form = form_path(files, props.get("formJsonSchemaFilename", ""))
        schema = _json_or_text(files.get(form)) if form else None
        if schema is None and camunda.has_form_data(element):
            schema = camunda.generated_form(element)[0]
        ui_form = form_path(files, props.get("formUiSchemaFilename", ""))
        facets.update(
            candidate_groups=camunda.candidate_groups(element) or None,
            form=schema,
            ui_form=_json_or_text(files.get(ui_form)) if ui_form else None,
        )
    if kind == "scriptTask":
        facets["script"] = _text(element.find("bpmn:script", NS))
    for tag in ("preScript", "postScript"):
        found = element.find(f"bpmn:extensionElements/spiffworkflow:{tag}", NS)
        if found is not None:
            facets[tag] = _text(found)
    definitions = [_local(child) for child in element if _local(child).endswith("EventDefinition")]
    if definitions:
        facets["event"] = definitions
    for timer_event, expression, timer_kind in camunda.timer_expressions(element):
        if timer_event is element:
            facets["timer"] = f"{timer_kind}: {_text(expression)}"
    if kind == "boundaryEvent":
        facets.update(
            attached_to=element.get("attachedToRef"),
            cancel_activity=element.get("cancelActivity", "true"),
        )
    if kind == "callActivity":
        facets["called_element"] = element.get("calledElement")
    for loop_tag in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
        loop = element.find(f"bpmn:{loop_tag}", NS)
        if loop is not None:
            facets["loop"] = {
                "type": loop_tag,
                "sequential": loop.get("isSequential", "false"),
                **{_local(c): _text(c) for c in loop if _local(c)},
            }
    return facets


def diff_models(old_files: dict[str, str], new_files: dict[str, str]) -> dict[str, Any]:
    """What changed between two versions, element by element (ids are the alignment key).

    ``{"added": [{id, type, name}], "removed": [...], "changed": [{id, type, name,
    "changes": {facet: [old, new]}}]}``; ``changes.properties`` is ``{name: [old, new]}``.
    """
    old, new = model_elements(old_files), model_elements(new_files)
    brief = ("id", "type", "name")
    added = [{k: e[k] for k in brief} for i, e in new.items() if i not in old]
    removed = [{k: e[k] for k in brief} for i, e in old.items() if i not in new]
    changed = []
    for element_id, after in new.items():
        before = old.get(element_id)
        if before is None:
            continue
        changes: dict[str, Any] = {}
        for facet in sorted(set(before["facets"]) | set(after["facets"])):
            a, b = before["facets"].get(facet), after["facets"].get(facet)
            if facet == "properties":
                props = {
                    key: [a.get(key), b.get(key)]
                    for key in sorted(set(a) | set(b))
                    if a.get(key) != b.get(key)
                }
                if props:
                    changes["properties"] = props
            elif a != b:
                changes[facet] = [a, b]
        if changes:
            changed.append({**{k: after[k] for k in brief}, "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}
