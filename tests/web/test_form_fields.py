"""Completing a task writes only its form's own fields, each and all of them bounded in size
(issue 9, point 5): a 公安局 clerk once overwrote 市场监管's results, a 9 MB field once grew the
database by 37.5 MB."""

from __future__ import annotations

import json

import pytest

from engine.forms import MAX_FIELD_SIZE, MAX_SUBMISSION_SIZE, FormInvalid, validate_form

from .test_api_journey import start_enterprise_case

SCHEMA = {
    "type": "object",
    "properties": {"decision": {"enum": ["approve", "reject"]}, "note": {"type": "string"}},
    "if": {"properties": {"decision": {"const": "reject"}}},
    "then": {"properties": {"reason": {"type": "string"}}, "required": ["reason"]},
}


def fields_refused(schema: dict, data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as info:
        validate_form(json.dumps(schema), data)
    return info.value.details["fields"]


def test_fields_the_form_does_not_declare_are_refused() -> None:
    refused = fields_refused(SCHEMA, {"decision": "approve", "tax_decision": "approve"})
    assert refused == {"tax_decision": "表单中没有此字段"}
    validate_form(json.dumps(SCHEMA), {"decision": "reject", "reason": "不符合条件"})


def test_a_schema_that_says_what_else_it_takes_decides_itself() -> None:
    open_schema = {**SCHEMA, "additionalProperties": {"type": "integer"}}
    validate_form(json.dumps(open_schema), {"decision": "approve", "count": 3})
    assert "count" in fields_refused(open_schema, {"decision": "approve", "count": "x"})


def test_a_field_over_the_size_limit_is_refused_even_without_max_length() -> None:
    refused = fields_refused(SCHEMA, {"decision": "approve", "note": "x" * (MAX_FIELD_SIZE + 1)})
    assert refused == {"note": f"内容过长，不能超过 {MAX_FIELD_SIZE} 个字符"}


def test_over_the_api_another_departments_field_is_refused(api) -> None:
    case_no, _ = start_enterprise_case(api)
    window = api("window1")
    task = window.task_named(case_no, "受理")
    forged = {"decision": "accept", "tax_decision": "approve", "review_decision": "approve"}
    response = window.post(f"/tasks/{task['id']}/complete", json={"data": forged})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_form"
    assert set(error["details"]["fields"]) == {"tax_decision", "review_decision"}
    assert "tax_decision" not in window.get(f"/cases/{case_no}").get_json()["data"]
    assert window.task_named(case_no, "受理")["id"] == task["id"], "still open"


def test_over_the_api_an_oversized_submission_is_refused_with_413(api) -> None:
    case_no, _ = start_enterprise_case(api)
    window = api("window1")
    task = window.task_named(case_no, "受理")
    data = {"decision": "accept", "intake_remarks": "长" * MAX_SUBMISSION_SIZE}
    response = window.post(f"/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "submission_too_large"
    assert window.task_named(case_no, "受理")["id"] == task["id"]
