"""Decision tables (DMN): every hit policy as the DMN standard defines it, and their deploy checks.

SpiffWorkflow 3.2.0's ``DMNEngine`` knows two hit policies: COLLECT (a list per output,
aggregations ignored) and "first match" for everything else — an overlapping UNIQUE table,
PRIORITY, ANY and RULE ORDER all silently answer with the first matching rule. ``DecisionEngine``
replaces it for every business rule task (``ModelParser.get_engine``, used by
``runtime.parse_model``), so a case runs the table the designer drew:

- UNIQUE (the default): at most one rule may match; two matching rules stop the step with an
  error naming the decision and the rules.
- ANY: rules may overlap only when they agree on every output; else an error.
- FIRST: the first matching rule in table order.
- PRIORITY: the matching rule whose outputs come first in the outputs' lists of allowed values
  (``outputValues``), compared output column by output column; OUTPUT ORDER: every match in
  that order.
- RULE ORDER: every match, in table order; COLLECT: every match (in table order), or with an
  aggregation SUM, COUNT, MIN or MAX over the single output (empty outputs are left out, as
  Camunda does; COUNT counts every match that has a value).

A single-hit table writes each output into the case data under its name (None when no rule
matches); a multi-hit table writes a list per output; an aggregation writes the one value.
A Camunda business rule task with ``camunda:resultVariable`` gets Camunda's result instead, in
that one variable, shaped by ``camunda:mapDecisionResult`` (``singleEntry``, ``singleResult``,
``collectEntries`` or the default ``resultList``).

Cells are Python expressions evaluated by the sandbox script engine, as SpiffWorkflow builds
them (``?`` stands for the input). A cell written the FEEL way that would mean something else
in Python — a list ``"a","b"``, ``not("x")``, a range ``[1..5]`` — is refused at deploy with the
Python spelling, as are other expression languages, decision requirement graphs and anything
else the engine would not run as drawn (``problems``).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from numbers import Number
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import DecisionTable, Rule
from SpiffWorkflow.task import Task

from .camunda import CAMUNDA_NS, NS, label
from .constructs import is_python, language_name
from .messages import Message, msg
from .multiinstance import OneWindowParser
from .sandbox import SandboxError, compile_expression

SINGLE_HIT = ("UNIQUE", "ANY", "FIRST", "PRIORITY")
MULTI_HIT = ("RULE ORDER", "OUTPUT ORDER", "COLLECT")
ORDERED_BY_OUTPUT = ("PRIORITY", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "COUNT", "MIN", "MAX")
RESULT_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList")
_TABLE_PARTS = ("input", "output", "rule")  # what SpiffWorkflow's DMN parser reads
_MISSING_NAME = re.compile(r"name '(?P<name>[^']+)' is not defined")
_INPUT_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # the engine's "?" rule


class DecisionFailed(WorkflowTaskException):
    """A decision table cannot give an answer the way it was drawn (overlapping UNIQUE rules,
    disagreeing ANY rules, a cell that fails); the step is not taken."""

    def __init__(self, message: Message, task: Task):
        super().__init__(str(message), task=task)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


# ---- running a table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TableOptions:
    """What SpiffWorkflow's DMN parser does not read: the aggregation, the outputs' allowed
    values (PRIORITY), and the Camunda result mapping of the business rule task."""

    decision: str  # the decision's label, for messages
    aggregation: str | None = None
    priorities: tuple[tuple[Any, ...] | None, ...] = ()
    result_variable: str | None = None
    mapping: str = "resultList"


class DecisionEngine(DMNEngine):
    """``DMNEngine`` with the DMN hit policies (module docstring)."""

    def __init__(self, decision_table: DecisionTable, options: TableOptions):
        super().__init__(decision_table)
        self.options = options

    def decide(self, task: Task) -> list[Rule]:
        """Every matching rule, in table order (the library stops at the first for UNIQUE)."""
        return [rule for rule in self.decision_table.rules if self._matches(rule, task)]

    def result(self, task: Task) -> dict[str, Any]:
        table, options = self.decision_table, self.options
        policy = table.hit_policy
        hits = [(rule, self._outputs(rule, task)) for rule in self.decide(task)]
        if policy in ORDERED_BY_OUTPUT:
            hits.sort(key=lambda hit: self._priority(hit, task))
        if policy == "UNIQUE" and len(hits) > 1:
            raise DecisionFailed(
                msg(
                    "决策 %(decision)s 的命中策略是 UNIQUE（唯一），但规则 %(rules)s 同时命中："
                    "请修改决策表使规则互不重叠，或改用 FIRST、PRIORITY 等命中策略",
                    decision=options.decision,
                    rules=_rules(hits),
                ),
                task,
            )
        if policy == "ANY" and len({repr(values) for _, values in hits}) > 1:
            raise DecisionFailed(
                msg(
                    "决策 %(decision)s 的命中策略是 ANY（任一），但同时命中的规则 %(rules)s "
                    "输出不一致：请让它们的输出相同，或改用其他命中策略",
                    decision=options.decision,
                    rules=_rules(hits),
                ),
                task,
            )
        names = [output.name or output.label for output in table.outputs]
        if options.aggregation:
            return self._answer(task, names, [{names[0]: self._aggregate(hits, task)}], None)
        if policy in SINGLE_HIT:
            rows = [dict(zip(names, hits[0][1], strict=True))] if hits else []
            single = rows[0] if rows else dict.fromkeys(names)
            return self._answer(task, names, rows, single)
        rows = [dict(zip(names, values, strict=True)) for _, values in hits]
        return self._answer(task, names, rows, {n: [row[n] for row in rows] for n in names})

    def _answer(
        self,
        task: Task,
        names: list[str],
        rows: list[dict[str, Any]],
        by_name: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """What goes into the case data: the outputs by name, or Camunda's result variable."""
        options = self.options
        if options.result_variable is None:
            return _nested(by_name if by_name is not None else rows[0])
        if options.mapping in ("singleEntry", "singleResult") and len(rows) > 1:
            raise DecisionFailed(
                msg(
                    "决策 %(decision)s 命中 %(count)s 条规则，但 camunda:mapDecisionResult 为 "
                    "%(mapping)s（只接受一条结果）",
                    decision=options.decision,
                    count=len(rows),
                    mapping=options.mapping,
                ),
                task,
            )
        shaped: Any = rows
        if options.mapping == "singleEntry":
            shaped = rows[0][names[0]] if rows else None
        elif options.mapping == "singleResult":
            shaped = rows[0] if rows else None
        elif options.mapping == "collectEntries":
            shaped = [row[names[0]] for row in rows]
        return {options.result_variable: shaped}

    def _matches(self, rule: Rule, task: Task) -> bool:
        for entry in rule.inputEntries:
            for cell in entry.lhs:
                try:
                    matched = self.evaluate(entry.input.expression, cell, task)
                except Exception as error:  # the cell's own failure, said in the step's words
                    failure = self._cell_failed(rule, cell, error, task)
                else:
                    if not matched:
                        return False
                    continue
                raise failure  # outside the handler: the message, not the library's, is the cause
        return True

    def _outputs(self, rule: Rule, task: Task) -> tuple[Any, ...]:
        engine = task.workflow.script_engine
        values = []
        for entry in rule.outputEntries:
            text = (entry.text or "").strip()
            try:
                values.append(engine.evaluate(task, text) if text else None)
            except Exception as error:
                failure = self._cell_failed(rule, text, error, task)
            else:
                continue
            raise failure
        return tuple(values)

    def _cell_failed(
        self, rule: Rule, cell: str | None, error: Exception, task: Task
    ) -> DecisionFailed:
        return DecisionFailed(
            msg(
                "决策 %(decision)s 的规则 %(rule)s 的单元格 %(cell)s 计算出错：%(detail)s",
                decision=self.options.decision,
                rule=rule.id,
                cell=cell or "",
                detail=_why(error),
            ),
            task,
        )

    def _priority(self, hit: tuple[Rule, tuple[Any, ...]], task: Task) -> tuple[int, ...]:
        rule, values = hit
        ranks = []
        for output, allowed, value in zip(
            self.decision_table.outputs, self.options.priorities, values, strict=True
        ):
            if allowed is None:
                continue
            if value not in allowed:
                raise DecisionFailed(
                    msg(
                        "决策 %(decision)s 的规则 %(rule)s 输出 %(output)s = %(value)s，"
                        "不在该输出的取值列表（%(allowed)s）中，无法确定优先级",
                        decision=self.options.decision,
                        rule=rule.id,
                        output=output.name or output.label,
                        value=repr(value),
                        allowed=", ".join(repr(v) for v in allowed),
                    ),
                    task,
                )
            ranks.append(allowed.index(value))
        return tuple(ranks)

    def _aggregate(self, hits: list[tuple[Rule, tuple[Any, ...]]], task: Task) -> Any:
        values = [values[0] for _, values in hits if values[0] is not None]
        aggregation = self.options.aggregation
        if aggregation == "COUNT":
            return len(values)
        if not values:
            return None
        if aggregation == "SUM":
            if not all(isinstance(v, Number) and not isinstance(v, bool) for v in values):
                raise DecisionFailed(
                    msg(
                        "决策 %(decision)s 的聚合 SUM 只能累加数值，命中规则 %(rules)s 的输出是 "
                        "%(values)s",
                        decision=self.options.decision,
                        rules=_rules(hits),
                        values=", ".join(repr(v) for v in values),
                    ),
                    task,
                )
            return sum(values)
        try:
            return min(values) if aggregation == "MIN" else max(values)
        except TypeError as error:
            raise DecisionFailed(
                msg(
                    "决策 %(decision)s 的聚合 %(aggregation)s 无法比较命中规则 %(rules)s 的输出 "
                    "%(values)s",
                    decision=self.options.decision,
                    aggregation=aggregation,
                    rules=_rules(hits),
                    values=", ".join(repr(v) for v in values),
                ),
                task,
            ) from error


def _why(error: Exception) -> str | Message:
    """What went wrong in a cell: a variable the case lacks, the sandbox's refusal, else the
    error itself."""
    chain = [error, getattr(error, "exception", None), error.__cause__, error.__context__]
    for cause in chain:
        found = _MISSING_NAME.search(str(cause)) if cause is not None else None
        if found:
            return msg("办件数据中没有变量 %(name)s", name=found["name"])
    if isinstance(error, SandboxError):
        return error.message
    text = str(error.args[0]) if error.args else str(error)
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _rules(hits: list[tuple[Rule, tuple[Any, ...]]]) -> str:
    return "、".join(rule.id for rule, _ in hits)


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """Output names with dots (``applicant.level``) become nested data, as SpiffWorkflow does."""
    out: dict[str, Any] = {}
    for name, value in flat.items():
        *path, last = name.split(".")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]


def allowed_values(output: etree._Element) -> tuple[Any, ...] | None:
    """An output's ``outputValues`` (``"high","medium","low"``) as a tuple; None when absent.
    Raises ``ValueError`` when the list is not a list of literals."""
    for values in _children(output, "outputValues"):
        for text in _children(values, "text"):
            source = (text.text or "").strip()
            if not source:
                return None
            parsed = ast.literal_eval(source)
            return tuple(parsed) if isinstance(parsed, tuple) else (parsed,)
    return None


def table_options(decision: etree._Element, task: etree._Element) -> TableOptions:
    table = _children(decision, "decisionTable")[0]
    priorities = []
    for output in _children(table, "output"):
        try:
            priorities.append(allowed_values(output))
        except (ValueError, SyntaxError):
            priorities.append(None)  # refused at deploy
    aggregation = (table.get("aggregation") or "").strip().upper() or None
    return TableOptions(
        decision=label(decision),
        aggregation=aggregation,
        priorities=tuple(priorities),
        result_variable=task.get(f"{{{CAMUNDA_NS}}}resultVariable") or None,
        mapping=task.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "resultList",
    )


class ModelParser(OneWindowParser):
    """The parser (with multi-instance tasks, engine/multiinstance.py) whose business rule
    tasks run ``DecisionEngine``; decision tables drop what its DMN parser cannot read
    (descriptions, annotation columns), which are only text."""

    def add_dmn_xml(self, node: etree._Element, filename: str | None = None) -> None:
        node = copy.deepcopy(node)
        for table in node.iter("{*}decisionTable"):
            for child in list(table):
                if not isinstance(child.tag, str) or etree.QName(child).localname not in (
                    _TABLE_PARTS
                ):
                    table.remove(child)
        super().add_dmn_xml(node, filename)

    def get_engine(self, decision_ref: str, node: etree._Element) -> DecisionEngine:
        engine = super().get_engine(decision_ref, node)
        decision = self.dmn_parsers[decision_ref].xpath(".//dmn:decision")[0]
        return DecisionEngine(engine.decision_table, table_options(decision, node))


# ---- deploy checks ------------------------------------------------------------------------------
# SpiffWorkflow 3.2.0 reads one decision per .dmn file: a file with several ``<decision>``
# elements crashes its parser ("'list' object has no attribute 'tag'") and the business rule task
# can only name the first one. Such files are refused here with the decisions they hold.

Problem = tuple[str, int | None, str | None, Message]  # file, line, element, message


def decision_ref(task: etree._Element) -> str:
    """The decision a business rule task calls, the spiffworkflow or the Camunda way."""
    called = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
    if called is not None and (called.text or "").strip():
        return (called.text or "").strip()
    return (task.get(f"{{{CAMUNDA_NS}}}decisionRef") or "").strip()


def decisions(trees: dict[str, etree._ElementTree]) -> dict[str, list[etree._Element]]:
    """The decisions of each .dmn file."""
    return {
        name: _children(tree.getroot(), "decision")
        for name, tree in trees.items()
        if name.endswith(".dmn")
    }


def problems(
    trees: dict[str, etree._ElementTree], bpmn_trees: list[tuple[str, etree._ElementTree]]
) -> list[Problem]:
    """(file, line, element, message) for every DMN problem of a model."""
    found: list[Problem] = []
    by_file = decisions(trees)
    for name, elements in by_file.items():
        root = trees[name].getroot()
        ids = [d.get("id") or "" for d in elements]
        if not ids:
            found.append(
                (
                    name,
                    root.sourceline,
                    None,
                    msg("决策文件 %(file)s 中没有决策（decision）", file=name),
                )
            )
        elif len(ids) > 1:
            found.append(
                (
                    name,
                    root.sourceline,
                    None,
                    msg(
                        "决策文件 %(file)s 含有 %(count)s 个决策（%(decisions)s）：引擎每个 .dmn "
                        "文件只支持一个决策，请把每个决策放进单独的 .dmn 文件",
                        file=name,
                        count=len(ids),
                        decisions="、".join(ids),
                    ),
                )
            )
        found += _language_problems(name, root)
        for decision in elements:
            found += [(name, line, e, m) for line, e, m in _decision_problems(decision)]
    known = sorted(d.get("id") or "" for elements in by_file.values() for d in elements)
    for name, tree in bpmn_trees:
        for task in tree.iterfind(".//bpmn:businessRuleTask", NS):
            wanted = decision_ref(task)
            if wanted and wanted in known:
                continue
            message = (
                msg(
                    "%(task)s 调用的决策 %(decision)s 不在模型的任何 .dmn 文件中"
                    "（现有：%(known)s）",
                    task=label(task),
                    decision=wanted,
                    known="、".join(known) or "—",
                )
                if wanted
                else msg(
                    "%(task)s 没有指定要调用的决策"
                    "（spiffworkflow:calledDecisionId 或 camunda:decisionRef）",
                    task=label(task),
                )
            )
            found.append((name, task.sourceline, task.get("id"), message))
    return found


def _language_problems(name: str, root: etree._Element) -> list[Problem]:
    found = []
    for element in root.iter():
        language = element.get("expressionLanguage") if isinstance(element.tag, str) else None
        if language is not None and not is_python(language):
            found.append(
                (
                    name,
                    element.sourceline,
                    element.get("id"),
                    msg(
                        "决策表的表达式语言 %(language)s 不受支持，请用 Python 表达式"
                        '（例如 ? < 500、? in ("a", "b")）',
                        language=language_name(language),
                    ),
                )
            )
    return found


def _decision_problems(decision: etree._Element) -> list[tuple[int | None, str | None, Message]]:
    what = label(decision)
    tables = _children(decision, "decisionTable")
    found: list[tuple[int | None, str | None, Message]] = []
    for requirement in _children(decision, "informationRequirement"):
        if _children(requirement, "requiredDecision"):
            found.append(
                (
                    requirement.sourceline,
                    decision.get("id"),
                    msg(
                        "决策 %(decision)s 依赖其他决策"
                        "（informationRequirement）：不支持决策需求图，"
                        "请让业务规则任务依次调用各个决策",
                        decision=what,
                    ),
                )
            )
    if not tables:
        message = msg("决策 %(decision)s 不是决策表：只支持决策表（decisionTable）", decision=what)
        return [*found, (decision.sourceline, decision.get("id"), message)]
    table = tables[0]
    found += _policy_problems(what, table)
    for column in _children(table, "input"):
        expressions = _children(column, "inputExpression")
        text = _text(expressions[0]) if expressions else ""
        if not text:
            found.append(
                (
                    column.sourceline,
                    column.get("id"),
                    msg(
                        "决策 %(decision)s 的输入列 %(column)s 没有输入表达式",
                        decision=what,
                        column=label(column),
                    ),
                )
            )
        else:
            found += _cell_problems(what, expressions[0], msg("输入表达式"), text, False)
    for column in _children(table, "output"):
        if not (column.get("name") or column.get("label")):
            found.append(
                (
                    column.sourceline,
                    column.get("id"),
                    msg(
                        "决策 %(decision)s 的输出列 %(column)s 没有名称"
                        "（name）：结果无法写入办件数据",
                        decision=what,
                        column=label(column),
                    ),
                )
            )
    for rule in _children(table, "rule"):
        for entry in _children(rule, "inputEntry"):
            found += _cell_problems(what, entry, msg("输入条件"), _text(entry), True)
        for entry in _children(rule, "outputEntry"):
            found += _cell_problems(what, entry, msg("输出值"), _text(entry), False)
    return found


def _policy_problems(
    what: str, table: etree._Element
) -> list[tuple[int | None, str | None, Message]]:
    policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
    aggregation = (table.get("aggregation") or "").strip().upper()
    outputs = _children(table, "output")
    found: list[tuple[int | None, str | None, Message]] = []

    def add(message: Message) -> None:
        found.append((table.sourceline, table.get("id"), message))

    if policy not in SINGLE_HIT + MULTI_HIT:
        add(msg("决策 %(decision)s 的命中策略 %(policy)s 不受支持", decision=what, policy=policy))
    if aggregation and policy != "COLLECT":
        add(
            msg(
                "决策 %(decision)s 的聚合 %(aggregation)s 只能用于命中策略 COLLECT"
                "（当前为 %(policy)s）",
                decision=what,
                aggregation=aggregation,
                policy=policy,
            )
        )
    if aggregation and aggregation not in AGGREGATIONS:
        add(
            msg(
                "决策 %(decision)s 的聚合 %(aggregation)s 不受支持",
                decision=what,
                aggregation=aggregation,
            )
        )
    if aggregation and len(outputs) != 1:
        add(
            msg(
                "决策 %(decision)s 的聚合 %(aggregation)s 只适用于只有一个输出列的决策表"
                "（当前有 %(count)s 个）",
                decision=what,
                aggregation=aggregation,
                count=len(outputs),
            )
        )
    lists = []
    for output in outputs:
        try:
            lists.append(allowed_values(output))
        except (ValueError, SyntaxError):
            lists.append(None)
            found.append(
                (
                    output.sourceline,
                    output.get("id"),
                    msg(
                        "决策 %(decision)s 的输出列 %(column)s 的取值列表（outputValues）无法解析："
                        '请写成 "高","中","低" 这样的文字列表',
                        decision=what,
                        column=label(output),
                    ),
                )
            )
    if policy in ORDERED_BY_OUTPUT and not any(lists):
        add(
            msg(
                "决策 %(decision)s 的命中策略 %(policy)s 按输出的取值列表"
                "（outputValues）排定优先级，"
                "但没有任何输出列给出取值列表",
                decision=what,
                policy=policy,
            )
        )
    if policy in ORDERED_BY_OUTPUT:
        found += _outside_allowed(what, table, lists)
    return found


def _outside_allowed(
    what: str, table: etree._Element, lists: list[tuple[Any, ...] | None]
) -> list[tuple[int | None, str | None, Message]]:
    """Literal output cells that are not among their column's allowed values."""
    found = []
    for rule in _children(table, "rule"):
        for entry, allowed in zip(_children(rule, "outputEntry"), lists, strict=False):
            try:
                value = ast.literal_eval(_text(entry))
            except (ValueError, SyntaxError):
                continue  # an expression: checked when it runs
            if allowed is not None and value not in allowed:
                found.append(
                    (
                        entry.sourceline,
                        rule.get("id"),
                        msg(
                            "决策 %(decision)s 的规则 %(rule)s 的输出值 %(value)s "
                            "不在该输出的取值列表（%(allowed)s）中，无法确定优先级",
                            decision=what,
                            rule=rule.get("id"),
                            value=repr(value),
                            allowed=", ".join(repr(v) for v in allowed),
                        ),
                    )
                )
    return found


def _text(element: etree._Element) -> str:
    found = _children(element, "text")
    return (found[0].text or "").strip() if found else ""


def _compile(source: str) -> str | None:
    """The sandbox's complaint about an expression, or None when it compiles."""
    try:
        compile_expression(source, "eval")
    except SandboxError as error:
        return error.message
    return None


def _input_cell(text: str) -> str | None:
    """An input entry as the DMN engine runs it: ``? …``, ``(in) == (cell)`` or ``in cell``."""
    if "?" in text and _INPUT_MARK.search(text):
        return _compile(_INPUT_MARK.sub("dmninputexpr", text))
    whole = _compile(text)
    if whole is None or _compile(f"dmninputexpr {text}") is None:
        return None
    return whole


def _feel_hint(text: str) -> Message | None:
    """The Python spelling of an input cell written the FEEL way, which Python would read
    differently or not at all."""
    if re.match(r"^\s*not\s*\(", text):
        return msg('这是 FEEL 的 not(…) 写法，Python 请写成 ? != "x" 或 ? not in ("x", "y")')
    if re.search(r"[\[\]()]\s*[^\[\]()]*\.\.", text):
        return msg("这是 FEEL 的区间写法，Python 请写成 1 <= ? <= 5")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    if isinstance(tree.body, ast.Tuple):
        return msg('这是 FEEL 的列表写法，Python 请写成 ? in ("a", "b")')
    return None


def _cell_problems(
    what: str, cell: etree._Element, kind: Message, text: str, is_input: bool
) -> list[tuple[int | None, str | None, Message]]:
    if not text or text == "-":
        return []
    hint = _feel_hint(text) if is_input else None
    complaint = _input_cell(text) if is_input else _compile(text)
    if hint is None and complaint is None:
        return []
    detail = hint or msg("无法编译：%(detail)s", detail=complaint)
    message = msg(
        "决策 %(decision)s 的%(kind)s %(cell)s：%(detail)s",
        decision=what,
        kind=kind,
        cell=repr(text),
        detail=detail,
    )
    return [(cell.sourceline, cell.get("id"), message)]
