"""服务监督员 monitors over HTTP (API.md "企业服务专员 and 服务监督员"): the scope administrators
set, opinions, opinions turned into supervision items, and the quarterly evaluation report. The
rules live in engine/services/monitors.py; these views parse and answer."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.services import monitors as monitor_service
from engine.services.monitors import OpinionInput
from engine.services.supervision import ItemInput, input_from

from . import api_call, created, documented, json_body, listing, paging, request_body, schemas
from .supervision import IssueBody, xlsx_response

blp = Blueprint("api_monitors", __name__, description="服务监督员 Monitors")
SECURED = {"security": [{"bearerAuth": []}]}


class ScopeBody(Schema):
    service_items = fields.List(fields.String(), metadata={"description": "service item codes"})
    departments = fields.List(fields.String(), metadata={"description": "department codes"})


class Scope(ScopeBody):
    username = fields.String()


class OpinionBody(Schema):
    case_no = fields.String()
    service_item = fields.String()
    department = fields.String()
    text = fields.String(required=True)
    score = fields.Integer(metadata={"description": "1 (poor) – 5 (good)"})


class Supervised(Schema):
    opinion = fields.Dict()
    supervision_item = fields.Dict()


class QuarterlyReport(schemas.Loose):
    quarter = fields.String(metadata={"description": "YYYYQn"})
    title = fields.String()
    opinions = fields.List(fields.Dict())
    total = fields.Integer()
    supervised = fields.Integer()
    closed = fields.Integer()
    average_score = fields.Float(allow_none=True)


class Opinion(schemas.Loose):
    id = fields.Integer()
    author = fields.String()
    case_no = fields.String(allow_none=True)
    text = fields.String()
    score = fields.Integer(allow_none=True)
    supervision_no = fields.String(allow_none=True)
    supervision_status = fields.String(allow_none=True)


@blp.get("/monitors/<username>/scope")
@blp.response(200, Scope)
@documented(blp, 403, 404)
@blp.doc(**SECURED)
def get_scope(username: str) -> Any:
    """A monitor's scope: to administrators, and to the monitor."""
    with api_call(write=False) as (uow, user):
        return jsonify(monitor_service.get_scope(uow, user, username))


@blp.put("/monitors/<username>/scope")
@blp.response(200, Scope)
@documented(blp, 400, 403, 404, 422)
@blp.doc(requestBody=request_body(ScopeBody), **SECURED)
def set_scope(username: str) -> Any:
    """Administrators set the service items and departments a monitor reads, all at once."""
    with api_call() as (uow, user):
        return jsonify(monitor_service.set_scope(uow, user, username, json_body()))


@blp.post("/monitor-opinions")
@blp.response(201, Opinion)
@documented(blp, 400, 403, 404, 422)
@blp.doc(requestBody=request_body(OpinionBody), **SECURED)
def file_opinion() -> Any:
    """A monitor files a 监督意见 on a case, item or department in their scope."""
    with api_call() as (uow, user):
        view = monitor_service.file_opinion(uow, user, input_from(OpinionInput, json_body()))
    return created(view)


@blp.get("/monitor-opinions")
@blp.response(200, schemas.Page)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def list_opinions() -> Any:
    """Supervisors and administrators: every opinion; a monitor: their own."""
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items, total = monitor_service.list_opinions(uow, user, page, per_page)
    return listing(items, total, page, per_page)


@blp.post("/monitor-opinions/<int:opinion_id>/supervise")
@blp.response(201, Supervised)
@documented(blp, 400, 403, 404, 409, 422)
@blp.doc(requestBody=request_body(IssueBody), **SECURED)
def supervise(opinion_id: int) -> Any:
    """A supervisor turns the opinion into a supervision item (source ``monitor``), once."""
    with api_call() as (uow, user):
        given = input_from(ItemInput, json_body())
        return created(monitor_service.supervise(uow, user, opinion_id, given))


@blp.get("/monitor-reports/quarterly")
@blp.response(200, QuarterlyReport)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def quarterly_report() -> Any:
    """The 季度评议报告 (``?quarter=2026Q3``, default the current quarter)."""
    with api_call(write=False) as (uow, user):
        return jsonify(monitor_service.quarterly_report(uow, user, request.args.get("quarter")))


@blp.get("/monitor-reports/quarterly.xlsx")
@blp.response(200)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def quarterly_xlsx() -> Any:
    """The same report as a spreadsheet."""
    with api_call(write=False) as (uow, user):
        report = monitor_service.quarterly_report(uow, user, request.args.get("quarter"))
    return xlsx_response(f"{report['title']}.xlsx", monitor_service.report_xlsx(report))
