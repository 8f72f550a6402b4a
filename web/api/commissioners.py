"""企业服务专员 over HTTP (API.md "企业服务专员 and 服务监督员"): enterprises and their
commissioner, the 我的企业 view of an enterprise, visit logs. The rules live in
engine/services/commissioners.py; these views parse and answer."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.services import commissioners as commissioner_service

from . import api_call, created, documented, json_body, listing, paging, request_body, schemas

blp = Blueprint("api_commissioners", __name__, description="企业服务专员 Commissioners")
SECURED = {"security": [{"bearerAuth": []}]}


class AssignBody(Schema):
    username = fields.String(required=True, metadata={"description": "a commissioner"})


class Problem(Schema):
    text = fields.String(required=True)
    escalate = fields.Boolean(metadata={"description": "true: becomes a supervision item"})


class VisitBody(Schema):
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    notes = fields.String()
    problems = fields.List(fields.Nested(Problem))


class Enterprise(schemas.Loose):
    credit_code = fields.String()
    name = fields.String()
    commissioner = fields.String(allow_none=True)
    cases = fields.List(fields.Dict())
    visits = fields.List(fields.Dict())


class Visit(schemas.Loose):
    id = fields.Integer()
    date = fields.String()
    notes = fields.String()
    problems = fields.List(fields.Dict(), metadata={"description": "each with supervision_no"})


@blp.get("/enterprises")
@blp.response(200, schemas.Page)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def list_enterprises() -> Any:
    """Enterprises known from their cases; ``?commissioner=me``: those assigned to the caller."""
    page, per_page = paging()
    mine = request.args.get("commissioner") == "me"
    with api_call(write=False) as (uow, user):
        items, total = commissioner_service.list_enterprises(uow, user, mine, page, per_page)
    return listing(items, total, page, per_page)


@blp.get("/enterprises/<credit_code>")
@blp.response(200, Enterprise)
@documented(blp, 403, 404)
@blp.doc(**SECURED)
def get_enterprise(credit_code: str) -> Any:
    """The enterprise and all its cases across departments (status, current step, due, light)."""
    with api_call(write=False) as (uow, user):
        return jsonify(commissioner_service.get_enterprise(uow, user, credit_code))


@blp.put("/enterprises/<credit_code>/commissioner")
@blp.response(200, Schema.from_dict({"credit_code": fields.String()}, name="Assigned"))
@documented(blp, 400, 403, 404, 422)
@blp.doc(requestBody=request_body(AssignBody), **SECURED)
def assign(credit_code: str) -> Any:
    """Administrators assign the enterprise's commissioner."""
    with api_call() as (uow, user):
        return jsonify(commissioner_service.assign(uow, user, credit_code, json_body()))


@blp.post("/enterprises/<credit_code>/visits")
@blp.response(201, Visit)
@documented(blp, 400, 403, 404, 422)
@blp.doc(requestBody=request_body(VisitBody), **SECURED)
def log_visit(credit_code: str) -> Any:
    """The commissioner logs a 走访; an escalated problem becomes a supervision item."""
    with api_call() as (uow, user):
        view = commissioner_service.log_visit(uow, user, credit_code, json_body())
    return created(view)
