"""Approval chains (审批链): list, read, versions, save a new version, preview.

Reading is open to every signed-in user (a chain is organisation data, no personal data);
saving and previewing (which reads a case) are for administrators. The engine service
``engine/services/chains.py`` holds the rules and documents how chains run.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from engine.chains import MODES, RULES
from engine.services import chains as chain_service

from . import api_call, created, json_body, listing, paging, request_body, schemas

blp = Blueprint("api_chains", __name__, description="审批链 Approval chains")


class Assignees(schemas.Loose):
    rule = fields.String(required=True, validate=validate.OneOf(RULES))
    value = fields.Raw(
        allow_none=True,
        metadata={
            "description": "role: role code; department_head: department (optional); "
            "users: usernames; data_field: path in the case data; commissioner: data field "
            "(optional, default `commissioner`)"
        },
    )


class Level(schemas.Loose):
    name = fields.String(required=True)
    assignees = fields.Nested(Assignees, required=True)
    mode = fields.String(validate=validate.OneOf(MODES), load_default="single")
    ratio = fields.Float(metadata={"description": "ratio mode: 0 < ratio ≤ 1"})
    condition = fields.String(
        metadata={"description": "expression over the case data; false skips the level"}
    )


class Chain(schemas.Loose):
    key = fields.String()
    version = fields.Integer()
    service_item = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    effective_at = fields.String()
    note = fields.String()
    levels = fields.List(fields.Nested(Level))
    created_by = fields.String()
    created_at = fields.String()
    in_force = fields.Boolean()


class SaveChain(schemas.Loose):
    levels = fields.List(fields.Nested(Level), required=True)
    service_item = fields.String(metadata={"description": "code or name; default: as before"})
    department = fields.String(metadata={"description": "code or name; default: as before"})
    effective_at = fields.String(metadata={"description": "ISO 8601; default now"})
    note = fields.String()


class PreviewRequest(schemas.Loose):
    case_no = fields.String()
    data = fields.Dict(metadata={"description": "sample case data (instead of case_no)"})
    levels = fields.List(
        fields.Nested(Level), metadata={"description": "a draft to preview instead of the chain"}
    )
    department = fields.String()


class Preview(schemas.Loose):
    key = fields.String()
    version = fields.Integer(allow_none=True)
    levels = fields.List(fields.Dict())


@blp.get("/approval-chains")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def list_chains() -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items = chain_service.list_chains(
            uow,
            user,
            service_item=request.args.get("service_item") or None,
            department=request.args.get("department") or None,
        )
    return listing(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@blp.get("/approval-chains/<key>")
@blp.response(200, Chain)
@blp.alt_response(404, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def get_chain(key: str) -> Any:
    with api_call(write=False) as (uow, user):
        return jsonify(chain_service.get_chain(uow, user, key))


@blp.get("/approval-chains/<key>/versions")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def chain_versions(key: str) -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items = chain_service.chain_versions(uow, user, key)
    return listing(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@blp.put("/approval-chains/<key>")
@blp.response(200, Chain)
@blp.alt_response(201, schema=Chain)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(SaveChain))
def put_chain(key: str) -> Any:
    with api_call() as (uow, user):
        view, was_created = chain_service.save_chain(uow, user, key, json_body())
    return created(view) if was_created else jsonify(view)


@blp.post("/approval-chains/<key>/preview")
@blp.response(200, Preview)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(PreviewRequest))
def preview_chain(key: str) -> Any:
    with api_call(write=False) as (uow, user):
        return jsonify(chain_service.preview(uow, user, key, json_body()))
