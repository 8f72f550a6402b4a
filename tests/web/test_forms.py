"""Task forms: what a clerk sees for each schema shape, and what the server gets back."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask, g
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from engine.forms import FormInvalid
from engine.forms import validate_form as engine_validate
from web.forms import parse_form, render_form

INTAKE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["decision"],
    "properties": {
        "decision": {
            "type": "string",
            "title": "受理意见",
            "oneOf": [
                {"const": "accept", "title": "受理"},
                {"const": "reject", "title": "不予受理"},
                {"const": "supplement", "title": "一次性告知补正"},
            ],
        },
        "reason": {"type": "string", "title": "原因", "description": "不予受理或补正时必填"},
        "missing_materials": {
            "type": "array",
            "title": "缺少的材料",
            "uniqueItems": True,
            "items": {"type": "string", "enum": ["营业执照", "身份证明", "章程"]},
        },
    },
    "if": {"properties": {"decision": {"enum": ["reject", "supplement"]}}},
    "then": {"required": ["reason"]},
}


def _tag(html: str, name: str) -> str:
    """The first HTML start tag carrying ``name="<name>"`` (inputs, selects, textareas)."""
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, f"no control named {name!r} in {html}"
    return match.group(0)


def _render(schema: dict[str, Any], ui: dict[str, Any] | None = None, values=None, errors=None):
    return str(render_form(schema, ui, values or {}, errors or {}))


# ---- rendering ---------------------------------------------------------------------------------


def test_text_field_has_label_required_mark_and_autofocus() -> None:
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "title": "企业名称", "maxLength": 50}},
    }
    html = render_form(schema, None, {"name": "青山食品"}, {})

    assert isinstance(html, Markup)
    assert '<label for="field-name">企业名称' in html
    tag = _tag(html, "name")
    assert 'type="text"' in tag
    assert 'id="field-name"' in tag
    assert 'value="青山食品"' in tag
    assert 'aria-required="true"' in tag
    assert 'maxlength="50"' in tag
    assert " autofocus" in tag
    assert "required-mark" in html
    assert "必填" in html


def test_date_textarea_and_hidden_widgets() -> None:
    schema = {
        "type": "object",
        "properties": {
            "case_no": {"type": "string"},
            "visit_date": {"type": "string", "format": "date", "title": "到场日期"},
            "opinion": {"type": "string", "title": "审核意见"},
        },
    }
    ui = {"case_no": {"ui:widget": "hidden"}, "opinion": {"ui:widget": "textarea"}}
    html = _render(schema, ui, {"case_no": "A-1", "opinion": "材料齐全\n同意"})

    assert '<input type="hidden" name="case_no" value="A-1">' in html
    assert 'type="date"' in _tag(html, "visit_date")
    assert '<textarea name="opinion"' in html
    assert ">\n材料齐全\n同意</textarea>" in html
    # The hidden field is skipped when choosing where the keyboard starts.
    assert " autofocus" in _tag(html, "visit_date")


def test_enum_is_a_select_with_an_empty_choice() -> None:
    schema = {
        "type": "object",
        "properties": {"kind": {"type": "string", "title": "申请人类型", "enum": ["个人", "企业"]}},
    }
    html = _render(schema, values={"kind": "企业"})

    assert '<select name="kind" id="field-kind"' in html
    assert '<option value="">请选择</option>' in html
    assert '<option value="企业" selected>企业</option>' in html
    assert '<option value="个人">个人</option>' in html


def test_decision_is_radio_and_oneof_titles_are_labels() -> None:
    html = _render(INTAKE_SCHEMA, values={"decision": "supplement"})

    assert '<fieldset class="form-field form-field-radio" id="field-decision"' in html
    assert "<legend>受理意见" in html
    radios = re.findall(r'<input[^>]*type="radio"[^>]*>', html)
    assert len(radios) == 3
    assert 'value="accept"' in radios[0] and " autofocus" not in radios[0]
    assert 'id="field-decision-2"' in radios[2] and " checked" in radios[2]
    assert " autofocus" in radios[2]
    assert " autofocus" in re.findall(r'<input[^>]*type="radio"[^>]*>', _render(INTAKE_SCHEMA))[0]
    assert '<label class="choice" for="field-decision-1">' in html
    assert "> 不予受理</label>" in html


def test_ui_widget_overrides_the_choice_widget() -> None:
    as_select = _render(INTAKE_SCHEMA, {"decision": {"ui:widget": "select"}})
    assert '<select name="decision"' in as_select
    assert '<option value="reject">不予受理</option>' in as_select

    schema = {"type": "object", "properties": {"level": {"type": "string", "enum": ["a", "b"]}}}
    assert 'type="radio"' in _render(schema, {"level": {"ui:widget": "radio"}})


def test_missing_materials_is_a_checkbox_group() -> None:
    html = _render(INTAKE_SCHEMA, values={"missing_materials": ["章程", "营业执照"]})

    boxes = re.findall(r'<input[^>]*name="missing_materials"[^>]*>', html)
    assert len(boxes) == 3
    assert all('type="checkbox"' in box for box in boxes)
    assert " checked" in boxes[0] and " checked" not in boxes[1] and " checked" in boxes[2]
    assert "<legend>缺少的材料</legend>" in html


def test_numbers_booleans_and_nested_objects() -> None:
    schema = {
        "type": "object",
        "properties": {
            "staff": {"type": "integer", "title": "从业人数", "minimum": 0, "maximum": 9999},
            "capital": {"type": "number", "title": "注册资本（万元）"},
            "fee": {"type": "number", "multipleOf": 0.01},
            "urgent": {"type": "boolean", "title": "加急办理"},
            "address": {
                "type": "object",
                "title": "经营场所",
                "required": ["town"],
                "properties": {"town": {"type": "string", "title": "乡镇"}},
            },
        },
    }
    html = _render(schema, values={"staff": 12, "urgent": True, "address": {"town": "城关镇"}})

    staff = _tag(html, "staff")
    assert 'type="number"' in staff and 'step="1"' in staff
    assert 'min="0"' in staff and 'max="9999"' in staff and 'value="12"' in staff
    assert 'step="any"' in _tag(html, "capital")
    assert 'step="0.01"' in _tag(html, "fee")
    urgent = _tag(html, "urgent")
    assert 'type="checkbox"' in urgent and 'value="true"' in urgent and " checked" in urgent
    assert '<fieldset class="form-section" id="field-address"><legend>经营场所</legend>' in html
    town = _tag(html, "address.town")
    assert 'id="field-address-town"' in town and 'value="城关镇"' in town


def test_ui_order_defaults_and_description() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "string", "default": "默认值"},
            "c": {"type": "string", "description": "请填写完整地址"},
        },
    }
    html = _render(schema, {"ui:order": ["c", "*", "a"]})

    names = re.findall(r'name="(\w+)"', html)
    assert names == ["c", "b", "a"]
    assert 'value="默认值"' in _tag(html, "b")
    assert '<p class="field-help" id="field-c-help">请填写完整地址</p>' in html
    assert 'aria-describedby="field-c-help"' in _tag(html, "c")


def test_errors_are_shown_under_their_field_and_take_the_focus() -> None:
    errors = {"reason": "该字段为必填项", "": "表单有误，请检查标出的字段"}
    html = _render(INTAKE_SCHEMA, values={"decision": "reject"}, errors=errors)

    assert html.startswith('<p class="form-error" role="alert">表单有误')
    reason = _tag(html, "reason")
    assert 'aria-invalid="true"' in reason
    assert 'aria-describedby="field-reason-error field-reason-help"' in reason
    assert " autofocus" in reason
    assert html.count(" autofocus") == 1
    assert '<p class="field-error" id="field-reason-error">该字段为必填项</p>' in html
    assert "form-field-text has-error" in html


def test_everything_from_the_schema_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": evil, "description": evil},
            "pick": {"type": "string", "oneOf": [{"const": '"><b>', "title": evil}]},
        },
    }
    html = _render(schema, values={"name": '"><img src=x onerror=alert(1)>'}, errors={"name": evil})

    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;" in html
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html


def test_form_words_follow_the_language() -> None:
    app = Flask(__name__)
    schema = {"type": "object", "required": ["k"], "properties": {"k": {"enum": ["x"]}}}
    with app.test_request_context():
        g.lang = "en"
        html = _render(schema)
    assert '<option value="">Please choose</option>' in html
    assert "> (required)</span>" in html


# ---- parsing -----------------------------------------------------------------------------------


def test_parse_coerces_types_and_omits_empty_fields() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "note": {"type": "string"},
            "staff": {"type": "integer"},
            "capital": {"type": "number"},
            "ratio": {"type": "number"},
            "urgent": {"type": "boolean"},
            "paper": {"type": "boolean"},
            "level": {"type": "integer", "oneOf": [{"const": 1}, {"const": 2}]},
            "address": {"type": "object", "properties": {"town": {"type": "string"}}},
            "empty": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }
    form = MultiDict(
        [
            ("name", "  青山食品有限公司 "),
            ("note", "   "),
            ("staff", "１２"),
            ("capital", "100"),
            ("ratio", "0.5"),
            ("urgent", "true"),
            ("level", "2"),
            ("address.town", "城关镇"),
            ("csrf_token", "ignored"),
        ]
    )

    assert parse_form(schema, form) == {
        "name": "青山食品有限公司",
        "staff": 12,
        "capital": 100,
        "ratio": 0.5,
        "urgent": True,
        "paper": False,
        "level": 2,
        "address": {"town": "城关镇"},
    }


@pytest.mark.parametrize(
    ("field_type", "raw", "expected"),
    [
        ("integer", "abc", "abc"),
        ("integer", "2.5", "2.5"),
        ("integer", "3.0", 3),
        ("number", "1e400", "1e400"),
        ("number", "nan", "nan"),
        ("number", "-1.25", -1.25),
    ],
)
def test_parse_keeps_unparsable_numbers_for_validation(field_type, raw, expected) -> None:
    schema = {"type": "object", "properties": {"n": {"type": field_type}}}
    assert parse_form(schema, MultiDict([("n", raw)])) == {"n": expected}


def test_parse_arrays_from_checkbox_groups_and_lines() -> None:
    schema = {
        "type": "object",
        "properties": {
            **INTAKE_SCHEMA["properties"],
            "phones": {"type": "array", "items": {"type": "string"}},
            "years": {"type": "array", "items": {"type": "integer"}},
        },
    }
    form = MultiDict(
        [
            ("decision", "supplement"),
            ("reason", "材料不全\r\n请补交"),
            ("missing_materials", "营业执照"),
            ("missing_materials", "章程"),
            ("phones", "13800000000\r\n\r\n 0571-1234567 "),
            ("years", "2024\n2025"),
        ]
    )

    assert parse_form(schema, form) == {
        "decision": "supplement",
        "reason": "材料不全\n请补交",
        "missing_materials": ["营业执照", "章程"],
        "phones": ["13800000000", "0571-1234567"],
        "years": [2024, 2025],
    }
    assert "missing_materials" not in parse_form(schema, MultiDict([("decision", "accept")]))


# ---- validation ----------------------------------------------------------------------------------


def test_validate_form_names_the_fields_in_chinese() -> None:
    schema = {
        **INTAKE_SCHEMA,
        "properties": {
            **INTAKE_SCHEMA["properties"],
            "visit_date": {"type": "string", "format": "date"},
            "address": {
                "type": "object",
                "required": ["town"],
                "properties": {"town": {"type": "string"}},
            },
        },
    }
    data = parse_form(
        schema,
        MultiDict(
            [
                ("decision", "supplement"),
                ("missing_materials", "户口本"),
                ("visit_date", "2025/01/02"),
                ("address.x", "ignored"),
            ]
        ),
    )
    data["address"] = {}

    assert validate_form(schema, data) == {
        "reason": "该字段为必填项",
        "missing_materials": "请选择有效的选项",
        "visit_date": "日期格式应为 YYYY-MM-DD",
        "address.town": "该字段为必填项",
    }
    assert validate_form(schema, {"decision": "accept"}) == {}


def test_every_missing_field_is_reported_once() -> None:
    schema = {"type": "object", "required": ["a", "b"], "properties": {}}
    assert validate_form(schema, {}) == {"a": "该字段为必填项", "b": "该字段为必填项"}


def validate_form(schema: dict, data: dict) -> dict[str, str]:
    """The engine's server-side validation, as the page shows its result."""
    try:
        engine_validate(json.dumps(schema), data)
    except FormInvalid as failure:
        return failure.details["fields"]
    return {}


def test_failed_submission_round_trip() -> None:
    form = MultiDict([("decision", "reject"), ("missing_materials", "章程")])
    data = parse_form(INTAKE_SCHEMA, form)
    html = _render(INTAKE_SCHEMA, values=data, errors=validate_form(INTAKE_SCHEMA, data))

    assert re.search(r'<input[^>]*value="reject"[^>]*checked', html)
    assert re.search(r'<input[^>]*value="章程"[^>]*checked', html)
    assert " autofocus" in _tag(html, "reason")
