"""Public endpoints (no token): the progress lookup of API.md and the 办事指南 catalogue."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from marshmallow import fields

from engine.services import public as public_service

from ..database import unit_of_work
from ..errors import api_error
from . import listing, paging, schemas

blp = Blueprint("api_public", __name__, description="公众查询 Public (no token)")


class TrackQuery(schemas.Loose):
    password = fields.String(
        required=True, metadata={"description": "查询密码 (printed on the acceptance notice)"}
    )


class Step(schemas.Loose):
    name = fields.String()
    department = fields.String()
    department_name = fields.String()


class Progress(schemas.Loose):
    case_no = fields.String()
    service_item = fields.String()
    service_item_name = fields.String()
    status = fields.String()
    status_name = fields.String()
    current_steps = fields.List(fields.Nested(Step))
    due_date = fields.String(allow_none=True)
    light = fields.String()
    provisional = fields.Boolean()
    accepted_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    result_name = fields.String(allow_none=True)


class ItemQuery(schemas.Loose):
    q = fields.String(metadata={"description": "part of the item's name or code"})


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/public/cases/<case_no>")
@blp.arguments(TrackQuery, location="query", as_kwargs=True)
@blp.response(200, Progress)
@blp.alt_response(404, schema=schemas.ApiError, description="unknown case or wrong password")
@blp.alt_response(429, schema=schemas.ApiError, description="too many failed lookups")
def track_case(case_no: str, password: str, **_ignored: Any) -> Any:
    """Progress of a case for whoever holds its number and 查询密码; no personal data.

    A wrong password answers exactly like an unknown case (404). At most 10 failed lookups per
    client address and 5 per case number in 10 minutes; beyond that every lookup, right or
    wrong, answers 429 with ``Retry-After``.
    """
    try:
        with unit_of_work() as uow:
            view = public_service.track_case(uow, case_no, password, request.remote_addr or "")
    except public_service.TooManyAttempts as limited:
        response = api_error(limited.status, limited.code, limited.message, limited.details)
        response.headers["Retry-After"] = str(limited.retry_after)
        return _no_store(response)
    return _no_store(jsonify(view))


@blp.get("/public/service-items")
@blp.arguments(ItemQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.Page)
def list_items(q: str | None = None, **_ignored: Any) -> Any:
    """The public catalogue (事项目录), searchable by name or code."""
    page, per_page = paging()
    with unit_of_work(write=False) as uow:
        items = public_service.list_items(uow, q)
    return listing(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@blp.get("/public/service-items/<code>")
@blp.response(200, schemas.ServiceItem)
@blp.alt_response(404, schema=schemas.ApiError)
def get_item(code: str) -> Any:
    """One item's 办事指南: limits, materials, fees, place and hours, phones, FAQ."""
    with unit_of_work(write=False) as uow:
        return jsonify(public_service.guide(uow, code))
