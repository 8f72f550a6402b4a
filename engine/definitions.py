"""Validate and deploy process models as immutable, numbered versions.

A model is the set of files of one folder in bpmn/ (``*.bpmn`` or ``*.bpmn20.xml``, ``*.dmn``,
``forms/*.json``). Validation collects every problem it can find (file, line, element, message)
instead of stopping at the first — XSD errors, lint, decision tables, constructs the engine
cannot run and the engine's own parse together — so a designer fixes a model in one round.
Besides problems it reports notes (``level: warning|info``): things it accepted but the
designer should know, such as a Camunda-style unquoted timer that deploy normalised. Every
message is Chinese and translatable (engine/messages.py): web/ shows it in English on request.

The lint rules (DESIGN.md "Conventions inside BPMN files"): every user task has a department
(its lane, or Camunda candidate groups) and a form or ``form = none``; exclusive gateways with
several exits have a condition on every exit but the default; no implicit merges; every
sequence flow has an id; scripts and conditions compile in the sandbox; timers are ISO 8601;
nothing the engine cannot run (engine/constructs.py) and nothing Camunda-only that cannot run
here (engine/camunda.py); decision tables as engine/dmn.py runs them.

``prepare_model`` is what deploy does to the files before it validates and stores them: it
quotes unquoted timer literals and generates the JSON Schema forms of ``camunda:formData``.
``diff_models`` compares two versions element by element.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from . import camunda, constructs, dmn, waits
from .camunda import (
    BPMN_NS,
    BPMN_SUFFIXES,
    CAMUNDA_NS,
    JUEL,
    NS,
    SPIFF_NS,
    is_bpmn,
    label,
    to_spiff,
)
from .errors import ModelInvalid
from .messages import Message, msg
from .runtime import parse_model
from .safexml import XmlProblem, XmlSyntaxError, parse_xml
from .sandbox import SandboxError, compile_expression, evaluate

MODEL_SUFFIXES = (*BPMN_SUFFIXES, ".dmn", ".json")
HUMAN_TASKS = ("userTask", "manualTask", "task")
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
        if path.is_file() and path.name.endswith(MODEL_SUFFIXES)
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


def _problem(file: str, line: int | None, element: str | None, message: Message) -> dict[str, Any]:
    """A problem as reports carry it: the Chinese ``message`` and, for web/'s translation,
    its ``message_id`` and ``params`` (engine/messages.py)."""
    return {
        "file": file,
        "line": line,
        "element_id": element,
        "message": str(message),
        **message.as_dict(),
    }


def _note(
    file: str, line: int | None, element: str | None, message: Message, level: str = "warning"
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
    """The expression or script is Python: another language has its own refusal
    (engine/constructs.py), so it is not compiled as Python as well."""
    if _local(element) == "script" and element.getparent() is not None:
        return constructs.is_python(element.getparent().get("scriptFormat"))
    if _local(element) in constructs.EXPRESSIONS:
        return constructs.is_python(constructs.expression_language(element))
    return constructs.is_python(element.get("language"))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _human_tasks(tree: etree._ElementTree) -> list[etree._Element]:
    """User tasks, and the manual and plain tasks that SpiffWorkflow also waits on for a person
    (as SpiffArena does: a step someone confirms). Camunda passes through the latter two, so
    a Camunda model that has them gets a note (engine/constructs.py ``notes``)."""
    return [e for e in tree.getroot().iter(f"{{{BPMN_NS}}}*") if _local(e) in HUMAN_TASKS]


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
        self.idle = False  # every process is marked not executable

    def add(self, file: str, line: int | None, element: str | None, message: Message) -> None:
        self.problems.append(_problem(file, line, element, message))

    def add_at(self, file: str, element: etree._Element, message: Message) -> None:
        self.add(file, element.sourceline, element.get("id"), message)

    def note_at(self, file: str, element: etree._Element, message: Message) -> None:
        self.notes.append(_note(file, element.sourceline, element.get("id"), message))

    def parse_xml_files(self) -> None:
        for name, text in self.files.items():
            if not name.endswith((*BPMN_SUFFIXES, ".dmn")):
                continue
            try:
                self.trees[name] = parse_xml(text.encode(), name)
            except XmlSyntaxError as error:
                detail = error.__cause__.msg if error.__cause__ else error.message
                self.add(name, error.line, None, msg("XML 格式错误：%(detail)s", detail=detail))
            except XmlProblem as error:
                self.add(
                    name,
                    error.line,
                    None,
                    msg("BPMN/DMN 文件不允许包含 DOCTYPE（实体声明或外部 DTD 可被利用）"),
                )
        if not any(is_bpmn(name) for name in self.files):
            self.add("", None, None, msg("模型中没有 BPMN 文件（.bpmn 或 .bpmn20.xml）"))

    def check_schema(self) -> None:
        """Every XSD error of every file (the engine's own check stops at the first)."""
        for name, tree in self.trees.items():
            for line, element, message in schema_problems(name, tree):
                self.add(name, line, element, message)

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
                        msg(
                            "顺序流缺少 id（%(source)s → %(target)s），引擎会静默丢弃它",
                            source=src,
                            target=dst,
                        ),
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
                        msg(
                            "泳道“%(lane)s”没有对应的部门（按部门名称或代码匹配）",
                            lane=lane_name or lane.get("id"),
                        ),
                    )
            for task in _human_tasks(tree):
                if task.get("id") in in_lane:
                    continue
                department, _role, _problems = self._candidates(task)
                if department is None:
                    self.add(
                        name,
                        task.sourceline,
                        task.get("id"),
                        msg(
                            "人工步骤 %(task)s 不在任何泳道中，无法确定办理部门",
                            task=label(task),
                        ),
                    )

    def check_forms(self) -> None:
        """A user task has a form or says it needs none; a manual or plain task (a step that
        is only confirmed) may have one."""
        for name, tree in self._bpmn_trees():
            for task in _human_tasks(tree):
                props = _properties(task)
                form_data = camunda.has_form_data(task)
                declared_none = _form_declared_none(props) or _local(task) != "userTask"
                if form_data and "formJsonSchemaFilename" in props:
                    self.add_at(
                        name,
                        task,
                        msg(
                            "用户任务%(task)s 同时有 camunda:formData 和 JSON Schema 表单"
                            "（formJsonSchemaFilename），请只保留一个",
                            task=label(task),
                        ),
                    )
                elif not form_data and "formJsonSchemaFilename" not in props and not declared_none:
                    self.add_at(
                        name,
                        task,
                        msg(
                            "用户任务%(task)s 没有表单：请设置表单（formJsonSchemaFilename）"
                            "或声明无需表单（属性 form = none）",
                            task=label(task),
                        ),
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
            self.add_at(
                file, task, msg("用户任务%(task)s：%(problem)s", task=label(task), problem=message)
            )
        if problems:
            return
        generated = camunda.generated_form_name(task.get("id"))
        if self.files.get(generated) != camunda.form_text(form):
            self.add_at(
                file,
                task,
                msg(
                    "用户任务%(task)s 的 camunda:formData 尚未生成为表单文件 %(form)s"
                    "（或该文件已过期）：请通过流程设计部署，部署时会自动生成",
                    task=label(task),
                    form=generated,
                ),
            )

    def _check_form(self, file: str, task: etree._Element, value: str, schema: bool) -> None:
        path = form_path(self.files, value)
        if path is None:
            self.add(
                file, task.sourceline, task.get("id"), msg("表单文件“%(form)s”不存在", form=value)
            )
            return
        try:
            document = json.loads(self.files[path])
        except json.JSONDecodeError as error:
            self.add(
                path,
                error.lineno,
                task.get("id"),
                msg("表单不是合法的 JSON：%(detail)s", detail=error.msg),
            )
            return
        if not schema:
            return
        try:
            validator_for(document).check_schema(document)
        except SchemaError as error:
            self.add(
                path,
                None,
                task.get("id"),
                msg(
                    "表单不是合法的 JSON Schema：%(where)s: %(detail)s",
                    where="/".join(str(p) for p in error.path) or "/",
                    detail=error.message,
                ),
            )

    # ----- Camunda Modeler files --------------------------------------------------------------
    def check_unsupported(self) -> None:
        """What cannot run here — BPMN constructs the engine does not run correctly
        (engine/constructs.py); JUEL, Java delegates, listeners… (engine/camunda.py) — is
        refused at deploy so that nothing fails at run time."""
        for name, tree in self._bpmn_trees():
            root = tree.getroot()
            for element, message in constructs.refusals(root) + camunda.refusals(root):
                self.add_at(name, element, message)
            for element, message in constructs.notes(root):
                self.note_at(name, element, message)

    def check_candidate_groups(self) -> None:
        for name, tree in self._bpmn_trees():
            lanes = {
                ref.text: (lane.get("name") or "").strip()
                for lane in tree.iterfind(".//bpmn:lane", NS)
                for ref in lane.iterfind("bpmn:flowNodeRef", NS)
            }
            for task in _human_tasks(tree):
                department, role, problems = self._candidates(task)
                for message in problems:
                    self.add_at(
                        name,
                        task,
                        msg("用户任务%(task)s：%(problem)s", task=label(task), problem=message),
                    )
                lane_department = self.departments.get(lanes.get(task.get("id"), ""))
                if department and lane_department and department != lane_department:
                    self.add_at(
                        name,
                        task,
                        msg(
                            "用户任务%(task)s 的候选组指向部门 %(department)s，"
                            "但它所在的泳道属于部门 %(lane_department)s",
                            task=label(task),
                            department=department,
                            lane_department=lane_department,
                        ),
                    )
                declared = _properties(task).get("role")
                if role and declared and role != declared:
                    self.add_at(
                        name,
                        task,
                        msg(
                            "用户任务%(task)s 的候选组角色 %(role)s"
                            " 与属性 role = %(declared)s 不一致",
                            task=label(task),
                            role=role,
                            declared=declared,
                        ),
                    )

    def _candidates(self, task: etree._Element) -> tuple[str | None, str | None, list[Message]]:
        """``camunda:candidateGroups`` as (department code, role slot, problems).

        A group is ``department`` (name or code), ``role``, or ``department:role``.
        """
        departments: set[str] = set()
        roles: set[str] = set()
        problems: list[Message] = []
        for group in camunda.candidate_groups(task):
            if ":" in group:
                dept, role = (part.strip() for part in group.split(":", 1))
                if dept not in self.departments:
                    problems.append(
                        msg(
                            "候选组“%(group)s”中的部门“%(department)s”不存在",
                            group=group,
                            department=dept,
                        )
                    )
                else:
                    departments.add(self.departments[dept])
                if self.roles is not None and role not in self.roles:
                    problems.append(
                        msg("候选组“%(group)s”中的角色“%(role)s”不存在", group=group, role=role)
                    )
                else:
                    roles.add(role)
            elif group in self.departments:
                departments.add(self.departments[group])
            elif self.roles is None or group in self.roles:
                roles.add(group)
            else:
                problems.append(
                    msg("候选组“%(group)s”既不是部门（名称或代码）也不是角色", group=group)
                )
        if len(departments) > 1:
            problems.append(
                msg(
                    "候选组只能指向一个部门：%(departments)s",
                    departments="、".join(sorted(departments)),
                )
            )
        if len(roles) > 1:
            problems.append(
                msg("候选组只能指定一个角色：%(roles)s", roles="、".join(sorted(roles)))
            )
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
                        msg(
                            "排他网关%(gateway)s 的默认流 %(default)s 不是它的出口顺序流",
                            gateway=label(gateway),
                            default=default,
                        ),
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
                            msg(
                                "排他网关%(gateway)s 的出口 %(flow)s"
                                " 既没有条件也不是默认流：请给它条件，或设为网关的默认流",
                                gateway=label(gateway),
                                flow=label(flow),
                            ),
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
                    msg(
                        "%(element)s 有 %(count)s 条输入顺序流（隐式汇合）：请用网关汇合",
                        element=label(found[0]),
                        count=count,
                    ),
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
                        msg("顺序流 %(flow)s 的条件表达式为空", flow=label(flow)),
                    )
                    continue
                self._compile(name, condition, msg("条件表达式"), "eval")
            for script in root.iter(f"{{{BPMN_NS}}}script"):
                self._compile(name, script, msg("脚本"), "exec")
            for tag, what in (("preScript", msg("前置脚本")), ("postScript", msg("后置脚本"))):
                for script in root.iter(f"{{{SPIFF_NS}}}{tag}"):
                    self._compile(name, script, what, "exec")
            for tag, what in (
                ("loopCardinality", msg("多实例数量表达式")),
                ("completionCondition", msg("多实例完成条件")),
                ("loopCondition", msg("循环条件")),
            ):
                for expression in root.iter(f"{{{BPMN_NS}}}{tag}"):
                    self._compile(name, expression, what, "eval")

    def _compile(self, file: str, element: etree._Element, what: Message, mode: str) -> None:
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
                msg(
                    "%(element)s 的%(what)s无法编译：%(detail)s",
                    element=label(owner),
                    what=what,
                    detail=error.message,
                ),
            )

    def check_timers(self) -> None:
        """Timers evaluate (sandbox, empty data) to ISO 8601; unquoted literals are notes."""
        for name, tree in self._bpmn_trees():
            for event, element, kind in camunda.timer_expressions(tree.getroot()):
                self._check_timer(name, event, element, kind)

    def _check_timer(self, file: str, event: etree._Element, element, kind: str) -> None:
        text = (element.text or "").strip()
        what = {"duration": msg("ISO 8601 时长"), "date": msg("ISO 8601 日期时间")}.get(kind, "")
        if JUEL.search(text) or not _python(element):
            return  # refused with its own message
        if kind == "cycle":
            self.add_at(
                file,
                event,
                msg(
                    "%(element)s 是循环定时器（timeCycle），暂不支持：请改用时长或日期",
                    element=label(event),
                ),
            )
            return
        if not text:
            self.add_at(file, event, msg("%(element)s 的定时器没有表达式", element=label(event)))
            return
        invalid = msg(
            "%(element)s 的定时器 %(text)s 不是合法的 %(what)s",
            element=label(event),
            text=text,
            what=what,
        )
        literal = camunda.bare_timer_literal(kind, text)
        if literal is not None:
            self.note_at(
                file,
                event,
                msg(
                    "%(element)s 的定时器 %(text)s 是未加引号的 %(what)s，"
                    "部署时规范化为 %(literal)s",
                    element=label(event),
                    text=text,
                    what=what,
                    literal=literal,
                ),
            )
            return
        try:
            value = evaluate(text, {})
        except NameError as error:
            if camunda.looks_like_iso(kind, text):
                self.add_at(file, event, invalid)
            else:
                self.note_at(
                    file,
                    event,
                    msg(
                        "%(element)s 的定时器表达式 %(text)s 取决于办件数据（%(detail)s），"
                        "部署时无法检查",
                        element=label(event),
                        text=text,
                        detail=str(error),
                    ),
                )
            return
        except SandboxError as error:
            if camunda.looks_like_iso(kind, text):
                self.add_at(file, event, invalid)
            else:
                self.add_at(
                    file,
                    event,
                    msg(
                        "%(element)s 的定时器表达式无法计算：%(detail)s",
                        element=label(event),
                        detail=error.message,
                    ),
                )
            return
        except Exception as error:
            self.add_at(
                file,
                event,
                msg(
                    "%(element)s 的定时器表达式计算出错：%(detail)s",
                    element=label(event),
                    detail=f"{type(error).__name__}: {error}",
                ),
            )
            return
        valid = camunda.valid_duration if kind == "duration" else camunda.valid_date
        if not isinstance(value, str) or not valid(value):
            example = '"PT2H"、"P30D"' if kind == "duration" else '"2026-01-01T09:00:00+08:00"'
            self.add_at(
                file,
                event,
                msg(
                    "%(element)s 的定时器结果 %(value)s 不是合法的 %(what)s（例如 %(example)s）",
                    element=label(event),
                    value=repr(value),
                    what=what,
                    example=example,
                ),
            )

    def check_decisions(self) -> None:
        for file, line, element, message in dmn.problems(self.trees, self._bpmn_trees()):
            self.add(file, line, element, message)

    def parse_with_engine(self, process: tuple[str, str]) -> None:
        """SpiffWorkflow's own parse, for what the checks above do not know about.

        Its answer is kept only when it adds something: the engine stops at its first
        complaint, which is usually one of the problems already found.
        """
        try:
            parser = parse_model(self.files)
            parser.get_spec(process[0])
            parser.get_subprocess_specs(process[0], require_call_activity_specs=False)
        except Exception as error:  # the parser's crashes on odd models are problems too
            problem = engine_problem(error, self._locate)
            named = {p["element_id"] for p in self.problems}
            known = problem["message_id"] != _ENGINE_UNKNOWN
            if not self.problems or (known and problem["element_id"] not in named):
                self.problems.append(problem)

    def main_process(self) -> tuple[str, str] | None:
        """The executable process that no call activity of the model calls.

        A model whose processes are all marked not executable gets that one message (the
        Camunda and bpmn.io modelers start new diagrams so): nothing else in it would run.
        """
        processes, called = [], set()
        for name, tree in self._bpmn_trees():
            processes += [(name, p) for p in tree.iterfind("bpmn:process", NS)]
            called.update(c.get("calledElement") for c in tree.iterfind(".//bpmn:callActivity", NS))
        runnable = [(n, p) for n, p in processes if p.get("isExecutable", "true") != "false"]
        if processes and not runnable:
            name, first = processes[0]
            self.idle = True
            self.add_at(
                name,
                first,
                msg(
                    '模型中的流程都标记为不可执行（isExecutable="false"）：%(processes)s。'
                    "请在建模器中把主流程设为可执行（Executable）后再部署",
                    processes="、".join(label(p) for _, p in processes),
                ),
            )
            return None
        roots = [(n, p) for n, p in runnable if p.get("id") not in called]
        if len(roots) != 1:
            files = [(n, t.getroot()) for n, t in self._bpmn_trees()]
            name, where = (roots or processes or files)[-1]
            self.add_at(
                name,
                where,
                msg(
                    "模型应恰好有一个可执行的主流程，实际找到 %(count)s 个%(processes)s",
                    count=len(roots),
                    processes=f"：{'、'.join(label(p) for _, p in roots)}" if roots else "",
                ),
            )
            return None
        main = roots[0][1]
        return main.get("id"), main.get("name") or main.get("id")

    def task_meta(self) -> dict[str, dict[str, Any]]:
        """Per human step (user, manual or plain task): the department, role slot, form and
        clock properties it declares."""
        meta: dict[str, dict[str, Any]] = {}
        for _, tree in self._bpmn_trees():
            lanes = {
                ref.text: lane.get("name", "").strip()
                for lane in tree.iterfind(".//bpmn:lane", NS)
                for ref in lane.iterfind("bpmn:flowNodeRef", NS)
            }
            for task in _human_tasks(tree):
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

    def _bpmn_trees(self) -> list[tuple[str, etree._ElementTree]]:
        return [(n, t) for n, t in self.trees.items() if is_bpmn(n)]

    def _locate(self, element_id: str | None) -> tuple[str, int | None]:
        """The file and line of an element the engine named only by its id."""
        for name, tree in self._bpmn_trees():
            found = tree.xpath("//*[@id=$id]", id=element_id or "") if element_id else []
            if found:
                return name, found[0].sourceline
        return "", None


# ----- what the engine and the XSD say, in the designer's words -----------------------------------

_XSD_LOCK = threading.Lock()  # lxml schemas keep their error log on the schema object
_PREFIXES = {BPMN_NS: "bpmn", SPIFF_NS: "spiffworkflow", CAMUNDA_NS: "camunda"}
_XSD_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S)
_XSD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"This element is not expected\. Expected is (?:one of )?\( ?(.*?) ?\)"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 不能出现在这里（此处可以是：%(expected)s）",
    ),
    (
        re.compile(r"This element is not expected"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 不能出现在这里",
    ),
    (
        re.compile(r"Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 缺少子元素（应有：%(expected)s）",
    ),
    (
        re.compile(r"The attribute '([^']+)' is not allowed"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 不允许有属性 %(expected)s",
    ),
    (
        re.compile(r"The attribute '([^']+)' is required but missing"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 缺少必需的属性 %(expected)s",
    ),
    (
        re.compile(r"'(.*)' is not a valid value of the (?:atomic|union|local \w+) type '([^']+)'"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 的值“%(expected)s”不合法（应为 %(type)s）",
    ),
    (
        re.compile(r"Character content other than whitespace is not allowed"),
        "不符合 %(standard)s 规范（XSD）：%(element)s 中不能直接写文字",
    ),
)


def _short_name(name: str) -> str:
    """``{BPMN namespace}task`` → ``bpmn:task``."""

    def replace(match: re.Match[str]) -> str:
        prefix = _PREFIXES.get(match.group(1))
        return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

    return re.sub(r"\{([^}]*)\}([\w.-]+)", replace, name)


def _expected(names: str) -> str:
    """The first few names of an XSD error's "expected" list (libxml2 lists dozens)."""
    found = [_short_name(n.strip()) for n in names.split(",") if n.strip()]
    return ", ".join(found[:6]) + (", …" if len(found) > 6 else "")


def _schema(name: str, root: etree._Element) -> etree.XMLSchema | None:
    if is_bpmn(name):
        return VALIDATOR.validator
    location = DMN_SCHEMAS.get(etree.QName(root).namespace or "")
    if location is None:
        return None
    if location not in _DMN_VALIDATORS:
        _DMN_VALIDATORS[location] = BpmnValidator(location).validator
    return _DMN_VALIDATORS[location]


_DMN_VALIDATORS: dict[str, etree.XMLSchema] = {}


def schema_problems(
    name: str, tree: etree._ElementTree
) -> list[tuple[int | None, str | None, Message]]:
    """``(line, element id, message)`` for each XSD error of one file, as the engine sees it
    (Camunda extensions rewritten), in Chinese."""
    checked = copy.deepcopy(to_spiff(tree) if is_bpmn(name) else tree)
    VALIDATOR.preprocess(checked)  # the engine's own fix-up of bpmn.io message correlations
    with _XSD_LOCK:
        schema = _schema(name, checked.getroot())
        if schema is None or schema.validate(checked):
            return []
        errors = [(e.line, e.message) for e in schema.error_log]
    standard = "BPMN 2.0" if is_bpmn(name) else "DMN"
    found = []
    for line, text in errors:
        element_id = _element_at(tree, line)
        found.append((line, element_id, _schema_message(standard, text)))
    return found


def _element_at(tree: etree._ElementTree, line: int | None) -> str | None:
    for element in tree.getroot().iter():
        if isinstance(element.tag, str) and element.sourceline == line:
            return camunda.owner(element).get("id")
    return None


def _schema_message(standard: str, text: str) -> Message:
    match = _XSD_ELEMENT.match(text.strip())
    if match is None:
        return msg("不符合 %(standard)s 规范（XSD）：%(detail)s", standard=standard, detail=text)
    tag = f"<{_short_name(match.group(1))}>"
    element: str | Message = tag
    if match.group(2):
        element = msg("%(element)s 的属性 %(attribute)s", element=tag, attribute=match.group(2))
    for pattern, template in _XSD_RULES:
        found = pattern.search(match.group(3))
        if found is None:
            continue
        if pattern.pattern.startswith("The attribute"):  # the rule names the attribute itself
            element = tag
        groups = found.groups()
        expected = _expected(groups[0]) if groups else ""
        return msg(
            template,
            standard=standard,
            element=element,
            expected=expected,
            **({"type": groups[1]} if len(groups) > 1 else {}),
        )
    return msg(
        "不符合 %(standard)s 规范（XSD）：%(element)s：%(detail)s",
        standard=standard,
        element=element,
        detail=_short_name(match.group(3)),
    )


# SpiffWorkflow's parse errors the checks above may not have caught, in the designer's words.
_ENGINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"There is no support implemented for this task type"),
        "%(element)s：引擎不支持此类元素",
    ),
    (re.compile(r"Duplicate process ID: (\S+)"), "%(element)s：流程 id %(value)s 重复"),
    (re.compile(r"No start event found"), "%(element)s：流程没有开始事件"),
    (
        re.compile(r"Exactly one start event is required in a SubWorkflow Task; found (\d+)"),
        "%(element)s：子流程应恰好有一个开始事件，实际有 %(value)s 个",
    ),
    (re.compile(r"A SubWorkflow Must contain an End event"), "%(element)s：子流程没有结束事件"),
    (
        re.compile(r"(Signal|Error|Escalation|Message) identifier is missing"),
        "%(element)s：%(value)s 定义缺少 id",
    ),
    (re.compile(r"Process (\S+) is not executable"), "%(element)s：流程 %(value)s 标记为不可执行"),
    (re.compile(r"Time Specification Error"), "%(element)s：定时器表达式不合法"),
)


_ENGINE_UNKNOWN = "流程引擎无法解析 %(element)s：%(detail)s"


def engine_problem(error: Exception, locate) -> dict[str, Any]:
    """One problem from a SpiffWorkflow parse error, located and in Chinese where known; the
    engine's own words (English) only as the detail of an error nobody foresaw."""
    if isinstance(error, ValidationException):
        text, element_id = str(error).split("\n")[0], error.id or None
        file, line = error.file_name or "", error.line_number
    else:
        text, element_id, file, line = f"{type(error).__name__}: {error}", None, "", None
    if element_id and not line:
        file, line = locate(element_id)
    where = element_id or "—"
    for pattern, template in _ENGINE_RULES:
        found = pattern.search(text)
        if found:
            value = found.group(1) if found.groups() else ""
            message = msg(template, element=where, value=value)
            return _problem(file, line, element_id, message)
    return _problem(file, line, element_id, msg(_ENGINE_UNKNOWN, element=where, detail=text))


def check_model(
    files: dict[str, str],
    departments: dict[str, str],
    roles: set[str] | frozenset[str] | None = None,
    deployed: Mapping[str, Sequence[str]] | None = None,
) -> ModelReport:
    """Every check a model must pass before deploy, as a report (nothing raised), in one round:
    XSD, lint, decisions, the constructs the engine cannot run and the engine's own parse.

    Only two things stop the round early: files that are not XML (nothing to check) and a model
    whose processes are all marked not executable (one message: nothing in it would run).
    ``departments`` maps each department's name and code to its code; ``roles`` are the role
    codes candidate groups may name (None: accept any group that is not a department as a role);
    ``deployed`` maps deployed models' main process ids to their keys, for call activities.
    """
    checker = _ModelChecker(files, departments, roles)
    checker.parse_xml_files()
    if checker.problems:
        return ModelReport(checker.problems, checker.notes, None)
    process = checker.main_process()
    if checker.idle:
        return ModelReport(checker.problems, checker.notes, None)
    for check in (
        checker.check_schema,
        checker.check_unsupported,
        checker.check_flows_have_ids,
        checker.check_lanes,
        checker.check_candidate_groups,
        checker.check_forms,
        checker.check_gateways,
        checker.check_merges,
        checker.check_expressions,
        checker.check_timers,
        checker.check_decisions,
    ):
        check()
    for problem in waits.problems(checker._bpmn_trees(), deployed):  # messages, calls
        checker.add(*problem)
    if process is not None:
        checker.parse_with_engine(process)
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
        if not is_bpmn(name):
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
                    msg(
                        "%(element)s 的定时器改写为 %(literal)s"
                        "（Camunda 风格的未加引号 ISO 8601 文字）",
                        element=label(event),
                        literal=literal,
                    ),
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
                        msg(
                            "已根据 %(task)s 的 camunda:formData 生成表单 %(form)s",
                            task=label(task),
                            form=generated,
                        ),
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
        if not is_bpmn(name):
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
