"""Marshmallow schemas: they document the API (OpenAPI) and check request shapes."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate


class Loose(Schema):
    """Responses carry more fields than documented; requests may extend the contract."""

    class Meta:
        unknown = INCLUDE


class ApiError(Loose):
    error = fields.Dict(required=True, metadata={"description": "{code, message, details}"})


class TokenRequest(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True)


class TokenResponse(Loose):
    token = fields.String()
    user = fields.Dict()


class Limit(Loose):
    days = fields.Integer()
    unit = fields.String(validate=validate.OneOf(["working_day", "calendar_day"]))


class ServiceItem(Loose):
    code = fields.String()
    name = fields.String()
    item_type = fields.String()
    case_type = fields.String(validate=validate.OneOf(["instant", "promised"]))
    legal_limit = fields.Nested(Limit)
    promised_limit = fields.Nested(Limit)
    departments = fields.List(fields.String())
    process_key = fields.String()
    materials = fields.List(fields.Dict())


class Applicant(Loose):
    kind = fields.String(required=True, validate=validate.OneOf(["person", "enterprise"]))
    name = fields.String(required=True)
    id_type = fields.String(required=True)
    id_number = fields.String(required=True)
    phone = fields.String()


class StartCase(Loose):
    service_item = fields.String(required=True)
    applicant = fields.Nested(Applicant, required=True)
    data = fields.Dict()
    channel = fields.String()
    agent = fields.Dict(allow_none=True)


class Task(Loose):
    id = fields.String()
    name = fields.String()
    case_no = fields.String()
    service_item = fields.String()
    department = fields.String()
    department_name = fields.String()
    role = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    state = fields.String()
    created_at = fields.String()
    due_date = fields.String(allow_none=True)
    light = fields.String()


class Case(Loose):
    case_no = fields.String()
    service_item = fields.String()
    status = fields.String()
    result = fields.String(allow_none=True)
    applicant = fields.Dict()
    created_at = fields.String()
    accepted_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    due_date = fields.String(allow_none=True)
    clock = fields.Dict()
    light = fields.String()
    process = fields.Dict()
    data = fields.Dict()
    open_tasks = fields.List(fields.Nested(Task))
    events = fields.List(fields.Dict())
    version = fields.Integer()


class CreatedCase(Case):
    query_password = fields.String()


class CompleteTask(Schema):
    data = fields.Dict(required=True)
    comment = fields.String(allow_none=True)


class Completion(Loose):
    case = fields.Nested(Case)
    next_tasks = fields.List(fields.Nested(Task))


class ProcessModel(Loose):
    key = fields.String()
    name = fields.String()
    latest_version = fields.Integer()
    versions = fields.List(fields.Integer())


class ModelVersion(Loose):
    version = fields.Integer()
    hash = fields.String()
    deployed_at = fields.String()
    deployed_by = fields.String()
    note = fields.String()
    files = fields.List(fields.String())


class Page(Loose):
    items = fields.List(fields.Dict())
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
