"""好差评 ratings (API.md): the applicant rates without a token; staff read, open rating links
and keep the settings. The bad-rating loop's steps are ordinary tasks (``/tasks``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from engine.errors import BadRequest
from engine.services import ratings as rating_service
from engine.services.ratings import RatingFilter, RatingInput

from ..database import unit_of_work
from ..ratings import client_address, pad_url, staff_behind_request
from . import (
    api_call,
    created,
    json_body,
    listing,
    paging,
    parse_body,
    request_body,
    schemas,
)

blp = Blueprint("api_ratings", __name__, description="好差评 Ratings")


class Choice(schemas.Loose):
    level = fields.Raw(required=True, metadata={"description": "1 非常满意 … 5 非常不满意"})
    reasons = fields.List(fields.String(), metadata={"description": "the level's reasons"})
    comment = fields.String()


class PasswordRating(Choice):
    password = fields.String(required=True, metadata={"description": "查询密码"})
    stage = fields.String(required=True, validate=validate.OneOf(list(rating_service.STAGES)))
    channel = fields.String(validate=validate.OneOf(rating_service.CHANNELS))


class LinkRequest(schemas.Loose):
    stage = fields.String(required=True, validate=validate.OneOf(list(rating_service.STAGES)))
    channel = fields.String(validate=validate.OneOf(rating_service.LINK_CHANNELS))


class Rating(schemas.Loose):
    id = fields.Integer()
    case_no = fields.String()
    service_item = fields.String()
    stage = fields.String()
    level = fields.Integer()
    bad = fields.Boolean()
    reasons = fields.List(fields.String())
    comment = fields.String()
    channel = fields.String()
    rated_at = fields.String()
    default = fields.Boolean()
    departments = fields.List(fields.String())
    clerks = fields.List(fields.String())
    handling = fields.Dict(allow_none=True)


class Link(schemas.Loose):
    token = fields.String()
    url = fields.String()
    expires_at = fields.String()


def _choice(body: dict[str, Any]) -> RatingInput:
    return RatingInput(body.get("level"), body.get("reasons"), body.get("comment"))


@blp.post("/public/cases/<case_no>/ratings")
@blp.response(201, Rating)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(404, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.alt_response(429, schema=schemas.ApiError)
@blp.doc(requestBody=request_body(PasswordRating))
def rate_case(case_no: str) -> Any:
    """The applicant rates a stage with the case number and 查询密码 (no token; a staff
    token or session is refused with 403). A wrong password answers like an unknown case."""
    body = parse_body(PasswordRating)
    with unit_of_work() as uow:
        view = rating_service.rate_with_password(
            uow,
            staff_behind_request(uow),
            case_no,
            body["password"],
            body["stage"],
            _choice(body),
            body.get("channel"),
            client_address(),
        )
    return created(view)


@blp.get("/public/ratings/<token>")
@blp.response(200, schemas.Loose)
@blp.alt_response(404, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
def link_target(token: str) -> Any:
    """What a rating link rates (item, stage, levels, reasons): the pad's first screen."""
    with unit_of_work(write=False) as uow:
        return jsonify(rating_service.link_target(uow, token))


@blp.post("/public/ratings/<token>")
@blp.response(201, Rating)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(404, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(requestBody=request_body(Choice))
def rate_with_link(token: str) -> Any:
    """Rate through a one-time link (the hall's pad, a QR code); a used link answers 409."""
    body = parse_body(Choice)
    with unit_of_work() as uow:
        view = rating_service.rate_with_link(
            uow, staff_behind_request(uow), token, _choice(body), client_address()
        )
    return created(view)


@blp.post("/cases/<case_no>/rating-links")
@blp.response(201, Link)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(LinkRequest))
def create_link(case_no: str) -> Any:
    """A clerk who served the case opens the hall's rating pad or prints a QR code."""
    with api_call() as (uow, user):
        body = parse_body(LinkRequest)
        link = rating_service.create_link(
            uow, user, case_no, body["stage"], body.get("channel") or "pad"
        )
    return created(
        {
            "token": link.token,
            "url": pad_url(link.token),
            "stage": link.stage,
            "expires_at": link.expires_at.isoformat(timespec="seconds"),
        }
    )


def _bad(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value not in ("true", "false", "1", "0"):
        raise BadRequest("bad 应为 true 或 false", {"field": "bad"})
    return value in ("true", "1")


def _level(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or int(value) not in rating_service.LEVELS:
        raise BadRequest("level 应为 1–5", {"field": "level"})
    return int(value)


@blp.get("/ratings")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def list_ratings() -> Any:
    """Ratings the caller may see: supervisors, admins and monitors all; a department head
    the department's; a clerk their own (``?level=&bad=&department=&clerk=&service_item=
    &from=&to=``, dates local ``YYYY-MM-DD``)."""
    page, per_page = paging()
    args = request.args
    filters = RatingFilter(
        level=_level(args.get("level")),
        bad=_bad(args.get("bad")),
        department=args.get("department") or None,
        clerk=args.get("clerk") or None,
        service_item=args.get("service_item") or None,
        date_from=args.get("from") or None,
        date_to=args.get("to") or None,
    )
    with api_call(write=False) as (uow, user):
        items, total = rating_service.list_ratings(uow, user, filters, page, per_page)
    return listing(items, total, page, per_page)


@blp.get("/ratings/<int:rating_id>")
@blp.response(200, Rating)
@blp.alt_response(404, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def get_rating(rating_id: int) -> Any:
    """One rating with its handling (state, due date, light, tasks) and the handling's
    history."""
    with api_call(write=False) as (uow, user):
        return jsonify(rating_service.get_rating(uow, user, rating_id))


@blp.get("/ratings/settings")
@blp.response(200, schemas.Loose)
@blp.doc(security=[{"bearerAuth": []}])
def get_settings() -> Any:
    """The 好差评 settings: default rating (off, or after N days with a level), the callback,
    rectification and appeal-review limits in working days, the reasons offered per level."""
    with api_call(write=False) as (uow, _user):
        return jsonify(rating_service.settings(uow))


@blp.put("/ratings/settings")
@blp.response(200, schemas.Loose)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def put_settings() -> Any:
    """Administrators change any of the settings; each is checked (422 names the field)."""
    with api_call() as (uow, user):
        return jsonify(rating_service.save_settings(uow, user, json_body()))


@blp.get("/ratings/frequent-addresses")
@blp.response(200, schemas.Page)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def frequent_addresses() -> Any:
    """Client addresses that rated at least ``min_cases`` cases (supervisors, admins)."""
    try:
        min_cases = int(request.args.get("min_cases", 3))
    except ValueError as error:
        raise BadRequest("min_cases 应为整数", {"field": "min_cases"}) from error
    with api_call(write=False) as (uow, user):
        rows = rating_service.frequent_addresses(
            uow, user, min_cases, request.args.get("from"), request.args.get("to")
        )
    return listing(rows, len(rows), 1, max(len(rows), 1))
