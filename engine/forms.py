"""Task forms: the JSON Schema a user task declares, and server-side validation against it."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for

from .errors import ValidationFailed

_MESSAGES = {
    "required": "该字段为必填项",
    "type": "类型不正确",
    "enum": "请选择有效的选项",
    "const": "请选择有效的选项",
    "oneOf": "请选择有效的选项",
    "anyOf": "取值不符合要求",
    "pattern": "格式不正确",
    "format": "格式不正确",
    "minLength": "内容过短",
    "maxLength": "内容过长",
    "minItems": "至少选择 {limit} 项",
    "maxItems": "最多选择 {limit} 项",
    "minimum": "不能小于 {limit}",
    "maximum": "不能大于 {limit}",
    "exclusiveMinimum": "必须大于 {limit}",
    "exclusiveMaximum": "必须小于 {limit}",
    "additionalProperties": "包含未定义的字段",
}


@lru_cache(maxsize=512)
def _validator(schema_text: str):
    schema = json.loads(schema_text)
    cls = validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def field_of(error: ValidationError) -> str:
    """Dotted field path; a missing required property is reported on that property."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(p for p in path if p) or "_form"


def message_of(error: ValidationError) -> str:
    template = _MESSAGES.get(str(error.validator), "取值不符合要求")
    return template.format(limit=error.validator_value)


def validate_form(schema_text: str, data: dict[str, Any]) -> None:
    """Raise ``ValidationFailed`` with one readable message per field (422 in the API)."""
    errors: dict[str, str] = {}
    for error in sorted(_validator(schema_text).iter_errors(data), key=lambda e: e.path):
        errors.setdefault(field_of(error), message_of(error))
    if errors:
        raise ValidationFailed("表单填写有误", {"fields": errors}, code="invalid_form")
