"""Task forms: server-side validation of submitted data against the task's JSON Schema.

A completion may only write the fields its form declares — a 公安局 clerk once overwrote the
市场监管 and 税务 results in the case data by adding their fields — and each field and the whole
submission have a size limit, because task data is copied into the case and its history.

Messages are Chinese templates with ``%(name)s`` parameters: the API sends them formatted, and
the pages translate the template first (web/i18n.py), so one rule set serves both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for

from .errors import TooLarge, ValidationFailed

MAX_FIELD_SIZE = 10_000
"""Characters of one field as JSON: room for a long opinion, not for a file."""
MAX_SUBMISSION_SIZE = 100_000
"""Characters of a whole submission as JSON."""

REQUIRED = "该字段为必填项"
CHOOSE = "请选择有效的选项"
INVALID = "内容不符合要求"
NOT_IN_FORM = "表单中没有此字段"
TOO_LONG = "内容过长，不能超过 %(limit)s 个字符"

TYPE_MESSAGES = {
    "string": "请输入文本",
    "integer": "请输入整数",
    "number": "请输入数字",
    "boolean": "请选择是或否",
    "array": "请至少选择一项",
    "object": "内容格式不正确",
}
FORMAT_MESSAGES = {
    "date": "日期格式应为 YYYY-MM-DD",
    "date-time": "时间格式不正确",
    "email": "邮箱格式不正确",
}
LIMIT_MESSAGES = {
    "minimum": "不能小于 %(limit)s",
    "maximum": "不能大于 %(limit)s",
    "exclusiveMinimum": "必须大于 %(limit)s",
    "exclusiveMaximum": "必须小于 %(limit)s",
    "minLength": "至少需要 %(limit)s 个字符",
    "maxLength": "不能超过 %(limit)s 个字符",
    "minItems": "至少选择 %(limit)s 项",
    "maxItems": "最多选择 %(limit)s 项",
    "multipleOf": "必须是 %(limit)s 的倍数",
}
OTHER_MESSAGES = {
    "pattern": "格式不正确",
    "uniqueItems": "不能有重复项",
    "additionalProperties": "包含不允许的字段",
}

FieldMessage = tuple[str, dict[str, Any]]


class FormInvalid(ValidationFailed):
    """422 with ``details.fields``; ``templates`` keep each message untranslated for the pages."""

    code = "invalid_form"

    def __init__(self, templates: dict[str, FieldMessage]):
        fields = {name: template % params for name, (template, params) in templates.items()}
        super().__init__("表单填写有误", {"fields": fields})
        self.templates = templates


@lru_cache(maxsize=512)
def _validator(schema_text: str):
    schema = json.loads(schema_text)
    cls = validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def field_names(error: ValidationError) -> list[str]:
    """Dotted field names an error belongs to; a missing property is reported on itself."""
    path = [str(part) for part in error.absolute_path if isinstance(part, str)]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [key for key in error.validator_value if key not in error.instance]
        return [".".join([*path, key]) for key in missing]
    return [".".join(path) or "_form"]


def message_of(error: ValidationError) -> FieldMessage:
    """jsonschema's own messages quote Python reprs; they must never reach a counter screen."""
    keyword, value = str(error.validator), error.validator_value
    if keyword == "required" or (keyword == "minLength" and value == 1 and error.instance == ""):
        return REQUIRED, {}
    if keyword in ("enum", "const") or (keyword in ("oneOf", "anyOf") and _is_choice(value)):
        return CHOOSE, {}
    if keyword == "type":
        expected = value[0] if isinstance(value, list) else value
        return TYPE_MESSAGES.get(expected, INVALID), {}
    if keyword in LIMIT_MESSAGES:
        return LIMIT_MESSAGES[keyword], {"limit": _plain_number(value)}
    if keyword == "format":
        return FORMAT_MESSAGES.get(value, "格式不正确"), {}
    return OTHER_MESSAGES.get(keyword, INVALID), {}


def check_size(data: Any) -> None:
    """Refuse an oversized submission (413) before anything else reads or stores it."""
    if _json_size(data) > MAX_SUBMISSION_SIZE:
        raise TooLarge(
            f"提交的数据过大（不能超过 {MAX_SUBMISSION_SIZE} 个字符）",
            {"limit": MAX_SUBMISSION_SIZE},
            code="submission_too_large",
        )


def validate_form(schema_text: str, data: dict[str, Any]) -> None:
    """Raise ``FormInvalid`` with the first message per field (422 in the API): fields the form
    does not declare, fields over ``MAX_FIELD_SIZE``, then what the schema says."""
    templates: dict[str, FieldMessage] = {}
    declared = _declared_fields(schema_text)
    for name, value in data.items():
        if declared is not None and name not in declared:
            templates[name] = NOT_IN_FORM, {}
        elif _json_size(value) > MAX_FIELD_SIZE:
            templates[name] = TOO_LONG, {"limit": MAX_FIELD_SIZE}
    for error in sorted(_validator(schema_text).iter_errors(data), key=lambda e: list(e.path)):
        for name in field_names(error):
            templates.setdefault(name, message_of(error))
    if templates:
        raise FormInvalid(templates)


@lru_cache(maxsize=512)
def _declared_fields(schema_text: str) -> frozenset[str] | None:
    """The top-level fields a form declares, also inside ``allOf``/``if``/``then`` branches;
    None when the schema itself says what else it takes (``additionalProperties``)."""
    schema = json.loads(schema_text)
    if not isinstance(schema, dict) or "additionalProperties" in schema:
        return None
    names: set[str] = set()
    pending = [schema]
    while pending:
        part = pending.pop()
        names.update(part.get("properties") or {})
        for keyword in ("allOf", "anyOf", "oneOf"):
            pending.extend(p for p in part.get(keyword) or [] if isinstance(p, dict))
        for keyword in ("if", "then", "else"):
            if isinstance(part.get(keyword), dict):
                pending.append(part[keyword])
    return frozenset(names)


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str))


def _is_choice(alternatives: object) -> bool:
    """A oneOf/anyOf of constants is a choice list rather than a shape."""
    return isinstance(alternatives, list) and all(
        isinstance(alt, Mapping) and "const" in alt for alt in alternatives
    )


def _plain_number(value: object) -> object:
    """Show ``3.0`` as ``3``: JSON has one number type and clerks do not care about floats."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
