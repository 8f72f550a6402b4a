"""Camunda Modeler models (Camunda 7 platform XML) and Camunda-style timers: read, rewrite, refuse.

Designers may save models with Camunda Modeler (DESIGN.md). What such a file says and how it
reaches the engine:

- ``camunda:properties`` are OneWindow properties like ``spiffworkflow:property`` (``role``,
  ``clock``, ``dueWorkingDays``, ``result``…); a spiffworkflow property of the same name wins.
- ``camunda:candidateGroups`` (``amr``, ``reviewer``, ``amr:reviewer``, or ``amr, reviewer``) name
  the task's department and/or role slot; the deploy step resolves them against the organisation
  (engine/definitions.py), SpiffWorkflow never sees them.
- ``camunda:formData`` becomes the task's JSON Schema form: deploy stores it as the generated
  file ``forms/<task id>.schema.json`` (``generated_form``), and the task then reads like one with
  ``formJsonSchemaFilename`` — clerks get the same renderer and server-side validation.
- ``camunda:decisionRef`` on a business rule task is ``spiffworkflow:calledDecisionId``; its
  ``camunda:resultVariable`` and ``camunda:mapDecisionResult`` shape the result as Camunda does
  (engine/dmn.py); ``camunda:decisionRefBinding`` may be ``deployment`` or ``latest`` (decisions
  are deployed with the model's version, so both mean that version).
- Timer text written the Camunda way, unquoted (``PT2H``, ``P30D``, ``2026-01-01T00:00:00``), is
  an ISO 8601 literal, not a Python expression: deploy rewrites it to the quoted string
  (``"PT2H"``) in the stored file, and ``to_spiff`` does the same in memory for any file that was
  stored before, so SpiffWorkflow never evaluates a bare token (a NameError at run time).

What cannot run here is refused when the model is validated, never at run time (``refusals``):
JUEL expressions (``${…}``/``#{…}``) anywhere, Java delegates (``camunda:class``,
``delegateExpression``, ``expression``), execution and task listeners, connectors, input/output
mappings, external tasks, ``assignee``/``candidateUsers``, ``dueDate``/``followUpDate`` (step
limits are ``dueWorkingDays``), ``formKey``/``formRef`` forms, Camunda multi-instance collections,
``initiator``, error and escalation code variables, decision versions and tenants. Scripts
and expressions in other languages than Python are refused with the other constructs the
engine cannot run (engine/constructs.py).

Why rewrite the XML into the spiffworkflow dialect (``to_spiff``) instead of parsing Camunda files
with ``SpiffWorkflow.camunda.parser.CamundaParser``: the Camunda parser builds different task spec
classes (its ``UserTask`` carries a Camunda ``Form``; its ``extensions`` are a flat property dict
instead of ``{"properties": …}``) that the SPIFF_CONFIG serializer cannot store and that the rest
of the engine (roles, clock effects, results, forms) does not read; it ignores candidateGroups
anyway (ENGINE-NOTES.md); and a model edited in both modelers would be parsed two ways. With the
rewrite there is one parser, one family of specs, one serializer, and version diffs and case
migration compare like with like. The stored file stays the designer's Camunda XML (only timers
are normalised), so it opens again in Camunda Modeler.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .messages import Message, msg

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")  # .bpmn20.xml: as Camunda, Flowable and Activiti name them
JUEL = re.compile(r"[$#]\{")
TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def is_bpmn(name: str) -> bool:
    return name.endswith(BPMN_SUFFIXES)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


# ---- timers -------------------------------------------------------------------------------------


def valid_duration(text: str) -> bool:
    """An ISO 8601 duration SpiffWorkflow can count from (``PT2H``, ``P30D``, ``P1Y2M``)."""
    candidate = text.strip().upper()
    if not _DURATION.match(candidate):
        return False
    try:
        TimerEventDefinition.parse_iso_duration(candidate)
    except Exception:
        return False
    return True


def valid_date(text: str) -> bool:
    """An ISO 8601 date or date-time (``2026-01-01``, ``2026-01-01T09:00:00+08:00``)."""
    candidate = text.strip()
    if not _DATE.match(candidate):
        return False
    try:
        datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def bare_timer_literal(kind: str, text: str) -> str | None:
    """The quoted form of an unquoted ISO 8601 timer literal (``PT2H`` → ``"PT2H"``), else None."""
    candidate = text.strip()
    if (kind == "duration" and valid_duration(candidate)) or (
        kind == "date" and valid_date(candidate)
    ):
        return json.dumps(candidate)
    return None


def looks_like_iso(kind: str, text: str) -> bool:
    """Bare text meant as an ISO literal (even a wrong one) rather than a data variable."""
    candidate = text.strip().upper()
    if kind == "duration":
        return bool(re.match(r"^P[\dT]", candidate))
    return bool(re.match(r"^\d{4}-\d", candidate))


def timer_expressions(root: etree._Element):
    """``(event element, expression element, kind)`` for every timer of the file."""
    for definition in root.iter(_q("bpmn", "timerEventDefinition")):
        event = definition.getparent()
        for child in definition:
            if not isinstance(child.tag, str):
                continue
            kind = TIMER_KINDS.get(etree.QName(child).localname)
            if kind and etree.QName(child).namespace == BPMN_NS:
                yield event, child, kind


def normalise_timer_text(text: str, tree: etree._ElementTree) -> tuple[str, list[tuple[Any, str]]]:
    """Quote unquoted ISO literals in the file's text, touching nothing else of it.

    Returns the new text and ``(event element, literal)`` per rewritten timer. The rewrite is
    textual (the element's whole content must be the literal), so the designer's file keeps its
    layout, namespaces and every extension byte for byte.
    """
    done: list[tuple[Any, str]] = []
    for event, element, kind in timer_expressions(tree.getroot()):
        literal = bare_timer_literal(kind, element.text or "")
        if literal is None or JUEL.search(element.text or ""):
            continue
        tag = re.escape(etree.QName(element).localname)
        pattern = re.compile(
            rf"(<(?:[\w.-]+:)?{tag}\b[^>]*>)\s*{re.escape((element.text or '').strip())}\s*"
            rf"(</(?:[\w.-]+:)?{tag}\s*>)"
        )
        text, count = pattern.subn(lambda m, lit=literal: m.group(1) + lit + m.group(2), text)
        if count:
            done.append((event, literal))
    return text, done


# ---- reading Camunda extensions ------------------------------------------------------------------


def declares_camunda(root: etree._Element) -> bool:
    """The file uses the Camunda namespace (declared on the root, as Camunda Modeler writes it,
    or on any element or attribute)."""
    if CAMUNDA_NS in root.nsmap.values():
        return True
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).namespace == CAMUNDA_NS:
            return True
        if any(name.startswith(f"{{{CAMUNDA_NS}}}") for name in element.attrib):
            return True
    return False


def camunda_properties(element: etree._Element) -> dict[str, str]:
    return {
        p.get("name"): p.get("value", "")
        for p in element.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)
        if p.get("name")
    }


def candidate_groups(task: etree._Element) -> list[str]:
    raw = task.get(_q("camunda", "candidateGroups")) or ""
    return [group.strip() for group in raw.split(",") if group.strip()]


def form_fields(task: etree._Element) -> list[etree._Element]:
    return task.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)


def has_form_data(task: etree._Element) -> bool:
    return task.find("bpmn:extensionElements/camunda:formData", NS) is not None


def generated_form_name(task_id: str) -> str:
    return f"forms/{task_id}.schema.json"


_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "enum": {"type": "string"},
}
_FIELD_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def generated_form(task: etree._Element) -> tuple[dict[str, Any], list[Message]]:
    """The JSON Schema of a task's ``camunda:formData``, and what in it could not be converted.

    Types: string, long (integer), boolean, date (``YYYY-MM-DD``), enum (``oneOf`` of
    ``const`` + ``title``, as the demo forms write choices). Constraints: required, readonly,
    minlength/maxlength, min/max.
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    problems: list[Message] = []
    for field in form_fields(task):
        field_id = field.get("id") or ""
        if not _FIELD_ID.match(field_id):
            problems.append(
                msg(
                    "表单字段 id“%(field)s”无效：须以字母或下划线开头，只含字母、数字、下划线",
                    field=field_id,
                )
            )
            continue
        field_type = field.get("type") or "string"
        if field_type not in _FIELD_TYPES:
            problems.append(
                msg(
                    "表单字段 %(field)s 的类型 %(type)s 不受支持"
                    "（支持 string、long、boolean、date、enum）",
                    field=field_id,
                    type=field_type,
                )
            )
            continue
        schema: dict[str, Any] = dict(_FIELD_TYPES[field_type])
        if field.get("label"):
            schema["title"] = field.get("label")
        if field_type == "enum":
            values = field.findall("camunda:value", NS)
            if not values:
                problems.append(
                    msg("枚举字段 %(field)s 没有任何选项（camunda:value）", field=field_id)
                )
                continue
            schema["oneOf"] = [
                {"const": v.get("id"), "title": v.get("name") or v.get("id")} for v in values
            ]
        default = field.get("defaultValue")
        if default is not None and default != "":
            converted = _convert_default(field_type, default)
            if converted is None:
                problems.append(
                    msg(
                        "表单字段 %(field)s 的默认值“%(default)s”与类型 %(type)s 不符",
                        field=field_id,
                        default=default,
                        type=field_type,
                    )
                )
            else:
                schema["default"] = converted
        for constraint in field.iterfind("camunda:validation/camunda:constraint", NS):
            problem = _apply_constraint(schema, field_id, field_type, constraint, required)
            if problem:
                problems.append(problem)
        properties[field_id] = schema
    form: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"由 {task.get('id')} 的 camunda:formData 生成；请修改 BPMN，而非此文件",
        "title": task.get("name") or task.get("id"),
        "type": "object",
        "properties": properties,
    }
    if required:
        form["required"] = required
    return form, problems


def form_text(form: dict[str, Any]) -> str:
    return json.dumps(form, ensure_ascii=False, indent=2) + "\n"


def _convert_default(field_type: str, value: str) -> Any:
    if field_type == "long":
        return int(value) if re.fullmatch(r"-?\d+", value.strip()) else None
    if field_type == "boolean":
        return {"true": True, "false": False}.get(value.strip().lower())
    if field_type == "date":
        return value if valid_date(value) and "T" not in value else None
    return value


def _apply_constraint(
    schema: dict[str, Any],
    field_id: str,
    field_type: str,
    constraint: etree._Element,
    required: list[str],
) -> Message | None:
    name, config = constraint.get("name") or "", (constraint.get("config") or "").strip()
    if name == "required":
        required.append(field_id)
    elif name == "readonly":
        schema["readOnly"] = True
    elif name in ("minlength", "maxlength") and field_type == "string":
        if not config.isdigit():
            return msg("表单字段 %(field)s 的校验 %(rule)s 需要整数参数", field=field_id, rule=name)
        schema["minLength" if name == "minlength" else "maxLength"] = int(config)
    elif name in ("min", "max") and field_type == "long":
        if not re.fullmatch(r"-?\d+", config):
            return msg("表单字段 %(field)s 的校验 %(rule)s 需要整数参数", field=field_id, rule=name)
        schema["minimum" if name == "min" else "maximum"] = int(config)
    else:
        return msg("表单字段 %(field)s 的校验规则 %(rule)s 不受支持", field=field_id, rule=name)
    return None


# ---- what cannot run here ------------------------------------------------------------------------

_JAVA_ATTRIBUTES = {
    "class": msg("Java 类（camunda:class）"),
    "delegateExpression": msg("委托表达式（camunda:delegateExpression）"),
    "expression": msg("表达式（camunda:expression）"),
}
_USE_GROUPS = "%(element)s：%(what)s不受支持：请用 camunda:candidateGroups 指定部门和角色"
_USE_FORMS = "%(element)s：%(what)s不受支持：请用 camunda:formData 或 JSON Schema 表单"
_USE_DUE_DAYS = "%(element)s：%(what)s 不受支持：步骤时限请用属性 dueWorkingDays（工作日）"
_USE_LOOP = "%(element)s：%(what)s不受支持：请用 loopCardinality 或数据输入"
_UNSUPPORTED_ATTRIBUTES = {
    "assignee": (_USE_GROUPS, msg("指定办理人（camunda:assignee）")),
    "candidateUsers": (_USE_GROUPS, msg("候选用户（camunda:candidateUsers）")),
    "formKey": (_USE_FORMS, msg("外部表单（camunda:formKey）")),
    "formRef": (_USE_FORMS, msg("Camunda Forms（camunda:formRef）")),
    "type": ("%(element)s：%(what)s不受支持", msg("外部任务（camunda:type / topic）")),
    "topic": ("%(element)s：%(what)s不受支持", msg("外部任务（camunda:type / topic）")),
    "dueDate": (_USE_DUE_DAYS, msg("camunda:dueDate")),
    "followUpDate": (_USE_DUE_DAYS, msg("camunda:followUpDate")),
    "resultVariable": (
        "%(element)s：%(what)s 不受支持：请在脚本中直接给变量赋值",
        msg("camunda:resultVariable"),
    ),
    "resource": (
        "%(element)s：%(what)s不受支持：请把 Python 脚本写在模型中",
        msg("外部脚本资源（camunda:resource）"),
    ),
    "collection": (_USE_LOOP, msg("Camunda 多实例集合（camunda:collection）")),
    "elementVariable": (_USE_LOOP, msg("Camunda 多实例变量（camunda:elementVariable）")),
    "decisionRefVersion": (
        "%(element)s：%(what)s不受支持：决策随模型版本一起部署",
        msg("指定决策版本（camunda:decisionRefVersion）"),
    ),
    "decisionRefVersionTag": (
        "%(element)s：%(what)s不受支持：决策随模型版本一起部署",
        msg("指定决策版本标签（camunda:decisionRefVersionTag）"),
    ),
    "errorCodeVariable": (
        "%(element)s：%(what)s不受支持",
        msg("错误代码变量（camunda:errorCodeVariable）"),
    ),
    "errorMessageVariable": (
        "%(element)s：%(what)s不受支持",
        msg("错误消息变量（camunda:errorMessageVariable）"),
    ),
    "escalationCodeVariable": (
        "%(element)s：%(what)s不受支持",
        msg("升级代码变量（camunda:escalationCodeVariable）"),
    ),
    "initiator": (
        "%(element)s：%(what)s不受支持：办件的发起人记录在办件信息中",
        msg("发起人变量（camunda:initiator）"),
    ),
    "decisionRefTenantId": (
        "%(element)s：%(what)s不受支持",
        msg("租户（camunda:decisionRefTenantId）"),
    ),
}
# What a business rule task may say the Camunda way (engine/dmn.py maps the result).
_BUSINESS_RULE_ATTRIBUTES = {
    "decisionRef": None,
    "resultVariable": None,
    "mapDecisionResult": ("singleEntry", "singleResult", "collectEntries", "resultList"),
    "decisionRefBinding": ("deployment", "latest"),
}
_UNSUPPORTED_ELEMENTS = {
    "executionListener": msg("执行监听器（camunda:executionListener）"),
    "taskListener": msg("任务监听器（camunda:taskListener）"),
    "connector": msg("连接器（camunda:connector）"),
    "inputOutput": msg("输入输出映射（camunda:inputOutput）"),
    "in": msg("调用活动的变量映射（camunda:in）"),
    "out": msg("调用活动的变量映射（camunda:out）"),
}
# Parts of a diagram element that may carry ids of their own: problems name the element.
_PARTS_OF_ELEMENTS = ("EventDefinition", "LoopCharacteristics", "ioSpecification")
# Prose, where "${" is only words, and Python scripts, where it may sit inside a string
# (the sandbox compiles them; Camunda scripts are refused by their language).
_TEXT_FREE = frozenset({"documentation", "text", "script", "preScript", "postScript"})


def owner(element: etree._Element) -> etree._Element:
    """The BPMN element (with an id) that ``element`` belongs to, for the problem report."""
    node: etree._Element | None = element
    while node is not None:
        qname = etree.QName(node)
        if (
            qname.namespace == BPMN_NS
            and node.get("id")
            and not qname.localname.endswith(_PARTS_OF_ELEMENTS)
        ):
            return node
        node = node.getparent()
    return element


def label(element: etree._Element) -> str:
    """How a message names an element: “name”（id）, its id when it has no name, else its type."""
    name, element_id = element.get("name"), element.get("id")
    if name and element_id:
        return f"“{name}”（{element_id}）"
    return name or element_id or f"<{etree.QName(element).localname}>"


def refusals(root: etree._Element) -> list[tuple[etree._Element, Message]]:
    """``(element, message)`` for every Camunda extension in the file that cannot run here."""
    found: list[tuple[etree._Element, Message]] = []
    seen: set[tuple[int, str]] = set()

    def refuse(element: etree._Element, message: Message) -> None:
        target = owner(element)
        if (id(target), str(message)) not in seen:
            seen.add((id(target), str(message)))
            found.append((target, message))

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        where = label(owner(element))
        if qname.namespace == CAMUNDA_NS and qname.localname in _UNSUPPORTED_ELEMENTS:
            what = _UNSUPPORTED_ELEMENTS[qname.localname]
            if element.get("class") or element.get("delegateExpression"):
                template = "%(element)s 使用了%(what)s，不受支持（Java 监听器无法在本系统运行）"
            else:
                template = "%(element)s 使用了%(what)s，不受支持"
            refuse(element, msg(template, element=where, what=what))
        for name, value in element.attrib.items():
            attribute = etree.QName(name)
            if attribute.namespace == CAMUNDA_NS:
                problem = _attribute_refusal(element, attribute.localname, value, where)
                if problem is not None:
                    refuse(element, problem)
            if JUEL.search(value) and qname.localname != "documentation":
                refuse(element, juel_message(owner(element), value))
        if qname.localname not in _TEXT_FREE and element.text and JUEL.search(element.text):
            refuse(element, juel_message(owner(element), element.text))
    return found


def _attribute_refusal(
    element: etree._Element, attribute: str, value: str, where: str
) -> Message | None:
    if etree.QName(element).localname == "businessRuleTask" and attribute in (
        _BUSINESS_RULE_ATTRIBUTES
    ):
        allowed = _BUSINESS_RULE_ATTRIBUTES[attribute]
        if allowed is None or value.strip() in allowed:
            return None
        return msg(
            "%(element)s：camunda:%(attribute)s 的值 %(value)s 不受支持（可用：%(allowed)s）",
            element=where,
            attribute=attribute,
            value=value,
            allowed="、".join(allowed),
        )
    if attribute in _JAVA_ATTRIBUTES:
        return msg(
            "%(element)s 使用了 Java 委托%(what)s：本系统不运行 Java 代码"
            " (Java delegates are not supported)",
            element=where,
            what=_JAVA_ATTRIBUTES[attribute],
        )
    if attribute in _UNSUPPORTED_ATTRIBUTES:
        template, what = _UNSUPPORTED_ATTRIBUTES[attribute]
        return msg(template, element=where, what=what)
    return None


def juel_message(element: etree._Element, text: str) -> Message:
    match = JUEL.search(text)
    start = match.start() if match else 0
    snippet = text[start : text.find("}", start) + 1 or start + 40].strip()
    return msg(
        "%(element)s 使用了 JUEL 表达式 %(snippet)s：本系统不支持 JUEL 表达式"
        " (JUEL expressions are not supported)，请改写为 Python 表达式，例如 approved == True",
        element=label(element),
        snippet=snippet,
    )


# ---- into the spiffworkflow dialect ------------------------------------------------------------


def to_spiff(tree: etree._ElementTree) -> etree._ElementTree:
    """The tree SpiffWorkflow's spiff parser should read: Camunda extensions rewritten into
    ``spiffworkflow:`` ones and unquoted timer literals quoted. ``tree`` itself is not changed;
    a file that needs nothing is returned as it is."""
    root = tree.getroot()
    bare = [
        (element, literal)
        for _event, element, kind in timer_expressions(root)
        if (literal := bare_timer_literal(kind, element.text or "")) is not None
    ]
    camunda = declares_camunda(root)
    if not bare and not camunda:
        return tree
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    for _event, element, kind in timer_expressions(root):
        literal = bare_timer_literal(kind, element.text or "")
        if literal is not None:
            element.text = literal
    if camunda:
        for element in list(root.iter(f"{{{BPMN_NS}}}*")):
            _rewrite_extensions(element)
    return tree


def _rewrite_extensions(element: etree._Element) -> None:
    properties = camunda_properties(element)
    if etree.QName(element).localname == "userTask" and has_form_data(element):
        properties.setdefault(
            "formJsonSchemaFilename", generated_form_name(element.get("id")).split("/", 1)[1]
        )
    decision = element.get(_q("camunda", "decisionRef"))
    if not properties and not decision:
        return
    extensions = _extension_elements(element)
    if properties:
        spiff = extensions.find("spiffworkflow:properties", NS)
        if spiff is None:
            spiff = etree.SubElement(extensions, _q("spiffworkflow", "properties"))
        declared = {p.get("name") for p in spiff.iterfind("spiffworkflow:property", NS)}
        for name, value in properties.items():
            if name not in declared:
                etree.SubElement(spiff, _q("spiffworkflow", "property"), name=name, value=value)
    if decision and extensions.find("spiffworkflow:calledDecisionId", NS) is None:
        etree.SubElement(extensions, _q("spiffworkflow", "calledDecisionId")).text = decision


def _extension_elements(element: etree._Element) -> etree._Element:
    """The element's ``bpmn:extensionElements``, created where the XSD wants it if missing."""
    found = element.find("bpmn:extensionElements", NS)
    if found is not None:
        return found
    created = etree.Element(_q("bpmn", "extensionElements"))
    position = sum(1 for child in element if child.tag == _q("bpmn", "documentation"))
    element.insert(position, created)
    return created
