"""Marshmallow schemas: they document the API (OpenAPI) and check request shapes."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from engine.paging import COUNT_LIMIT


class Loose(Schema):
    """Responses carry more fields than documented; requests may extend the contract."""

    class Meta:
        unknown = INCLUDE


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "snake_case code"})
    message = fields.String(required=True, metadata={"description": "readable text"})
    details = fields.Dict(
        required=True, metadata={"description": "which fields, elements or limits"}
    )


class ApiError(Schema):
    """Every error of the API, whatever its status (API.md)."""

    error = fields.Nested(ErrorBody, required=True)


class TokenRequest(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True)


class UserView(Loose):
    username = fields.String()
    display_name = fields.String()
    department = fields.String()
    department_name = fields.String()
    roles = fields.List(fields.String())


class TokenResponse(Loose):
    token = fields.String()
    user = fields.Nested(UserView)


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


class Incident(Loose):
    id = fields.Integer()
    case_no = fields.String()
    source = fields.String()
    element_id = fields.String()
    message = fields.String()
    details = fields.Dict()
    created_at = fields.String()
    resolved_at = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class Items(Loose):
    items = fields.List(fields.Dict())


class Page(Loose):
    items = fields.List(fields.Dict())
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CountedPage(Page):
    """Cases and inboxes: counted up to ``COUNT_LIMIT`` matches (engine/paging.py)."""

    total = fields.Integer(
        metadata={
            "description": f"匹配总数；超过 {COUNT_LIMIT} 时为 {COUNT_LIMIT}"
            "，且 total_exact 为 false"
        }
    )
    total_exact = fields.Boolean(metadata={"description": "total 是否为精确总数"})
    has_more = fields.Boolean(metadata={"description": "是否还有下一页（始终精确）"})


# ---- Clock actions beside the flow and the working-day calendar (web/api/clock.py) ----------


class ClockPause(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["supplement", "special_procedure"]),
        metadata={"description": "supplement（受理后补正）| special_procedure（特别程序）"},
    )
    reason = fields.String(required=True)
    procedure = fields.String(
        allow_none=True,
        metadata={"description": "特别程序名称，须为事项指南 special_procedures 之一"},
    )
    planned_days = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=366),
        metadata={"description": "告知申请人的特别程序所需工作日数；省略时取事项设置"},
    )


class ClockExtend(Schema):
    working_days = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "延期的工作日数，不超过事项设置（行政许可法第四十二条：10）"},
    )
    reason = fields.String(required=True)


class CalendarDay(Loose):
    date = fields.String()
    weekday = fields.Integer(metadata={"description": "1 = Monday … 7 = Sunday"})
    is_workday = fields.Boolean()
    kind = fields.String(
        allow_none=True, metadata={"description": "holiday | workday: an override, else null"}
    )
    name = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={"description": "the year's schedule is not announced: holidays assumed"}
    )
    assumed = fields.String(
        allow_none=True,
        metadata={"description": "the statutory holiday assumed on this day (unannounced year)"},
    )


class CalendarPage(Page):
    items = fields.List(fields.Nested(CalendarDay))
    announced_years = fields.List(fields.Integer())


class SetCalendarDay(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["holiday", "workday"]),
        metadata={"description": "holiday（放假）| workday（调休上班）"},
    )
    name = fields.String(load_default="", validate=validate.Length(max=64))
    source = fields.String(
        required=True,
        validate=validate.Length(max=256),
        metadata={"description": "依据：通知文号或来源"},
    )


class AnnounceYear(Schema):
    source = fields.String(
        required=True,
        validate=validate.Length(min=1, max=256),
        metadata={"description": "国务院办公厅关于该年部分节假日安排的通知（文号）"},
    )


class CalendarYear(Loose):
    year = fields.Integer()
    announced = fields.Boolean()
    source = fields.String(allow_none=True)


# ---- Materials of a case (web/api/materials.py) ----------------------------------------------


class MaterialReceipt(Schema):
    originals = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=99))
    copies = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=99))
    waived = fields.Boolean(
        load_default=False, metadata={"description": "免于提交（如已通过电子证照库核验）"}
    )
    note = fields.String(load_default="", validate=validate.Length(max=500))


class MaterialFile(Loose):
    id = fields.Integer()
    name = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.String()


class MaterialCount(Loose):
    originals = fields.Integer()
    copies = fields.Integer()


class MaterialLine(Loose):
    name = fields.String()
    mandatory = fields.Boolean()
    originals = fields.Integer(metadata={"description": "须提交的原件份数"})
    copies = fields.Integer(metadata={"description": "须提交的复印件份数"})
    received = fields.Nested(MaterialCount)
    waived = fields.Boolean()
    missing = fields.Boolean(metadata={"description": "必要材料，既未收取也未免于提交"})
    note = fields.String()
    files = fields.List(fields.Nested(MaterialFile))


# ---- The process designer's workbench (web/api/models.py) --------------------------------------


class ModelFiles(Schema):
    files = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "{文件名: UTF-8 文本}：*.bpmn、*.dmn、forms/*.json，最大 2 MB"},
    )


class ValidateModel(Schema):
    files = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "要校验的文件；省略时校验草稿（无草稿时校验最新版本）"},
    )


class DeployDraft(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class ModelDraft(Loose):
    key = fields.String()
    files = fields.Dict()
    base_version = fields.Integer(allow_none=True)
    updated_by = fields.String()
    updated_at = fields.String()
    is_draft = fields.Boolean(metadata={"description": "false：没有草稿，返回的是最新版本的文件"})


class ModelProblem(Loose):
    file = fields.String()
    line = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    message = fields.String()
    level = fields.String(metadata={"description": "notes only: warning | info"})


class ValidationReport(Loose):
    key = fields.String()
    valid = fields.Boolean()
    problems = fields.List(fields.Nested(ModelProblem))
    notes = fields.List(fields.Nested(ModelProblem))


class Deployment(ModelVersion):
    key = fields.String()
    created = fields.Boolean()
    notes = fields.List(fields.Nested(ModelProblem))


class DiffElement(Loose):
    id = fields.String()
    type = fields.String()
    name = fields.String()
    changes = fields.Dict(
        metadata={"description": "{facet: [old, new]}; properties: {name: [old, new]}"}
    )


class ModelDiff(Loose):
    key = fields.String()
    added = fields.List(fields.Nested(DiffElement))
    removed = fields.List(fields.Nested(DiffElement))
    changed = fields.List(fields.Nested(DiffElement))


class MigrateCases(Schema):
    to_version = fields.Integer(required=True, strict=True)
    cases = fields.Raw(
        required=True, metadata={"description": '办件编号列表，或 "all"（该模型所有未办结的办件）'}
    )
    dry_run = fields.Boolean(load_default=False)


class MigrationResult(Loose):
    case_no = fields.String()
    ok = fields.Boolean()
    reason = fields.String(allow_none=True)
    from_version = fields.Integer(allow_none=True)
    to_version = fields.Integer()


class MigrationResults(Loose):
    dry_run = fields.Boolean()
    results = fields.List(fields.Nested(MigrationResult))


class ModelStats(Loose):
    key = fields.String()
    version = fields.Integer()
    elements = fields.Dict(
        metadata={"description": "{element_id: {waiting, completed, avg_dwell_hours}}"}
    )
