"""Validate and deploy process models as immutable, numbered versions.

A model is the set of files of one folder in bpmn/ (``*.bpmn``, ``*.dmn``, ``forms/*.json``).
Validation collects every problem it can find (file, line, element, message) instead of stopping
at the first, so a designer fixes a model in one round.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import ModelInvalid
from .runtime import parse_model
from .safexml import XmlProblem, parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
MODEL_SUFFIXES = (".bpmn", ".dmn", ".json")


@dataclass(frozen=True)
class ValidatedModel:
    """What deploy needs from a model that passed validation."""

    process_id: str
    name: str
    task_meta: dict[str, dict[str, Any]]


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


def _properties(element: etree._Element) -> dict[str, str]:
    return {
        p.get("name"): p.get("value", "")
        for p in element.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        )
    }


class _ModelChecker:
    """Collects the problems of one model; each check appends to ``problems``."""

    def __init__(self, files: dict[str, str], departments: dict[str, str]):
        self.files = files
        self.departments = departments  # lane name or code -> department code
        self.problems: list[dict[str, Any]] = []
        self.trees: dict[str, etree._ElementTree] = {}

    def add(self, file: str, line: int | None, element: str | None, message: str) -> None:
        self.problems.append(_problem(file, line, element, message))

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
                if task.get("id") not in in_lane:
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
                for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                    if key in props:
                        self._check_form(name, task, props[key], schema=key.startswith("formJson"))

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
                meta[task.get("id")] = {
                    "name": task.get("name") or task.get("id"),
                    "lane": lane,
                    "department": self.departments.get(lane),
                    "role": props.get("role"),
                    "form": form_path(self.files, props.get("formJsonSchemaFilename", "")),
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


def validate_model(files: dict[str, str], departments: dict[str, str]) -> ValidatedModel:
    """Every check a model must pass before deploy; raises ``ModelInvalid`` with all problems.

    ``departments`` maps each department's name and code to its code.
    """
    checker = _ModelChecker(files, departments)
    checker.parse_xml_files()
    if not checker.problems:
        checker.check_flows_have_ids()
        checker.check_lanes()
        checker.check_forms()
    process = checker.parse_with_engine()
    if checker.problems or process is None:
        raise ModelInvalid(checker.problems)
    return ValidatedModel(process[0], process[1], checker.task_meta())
