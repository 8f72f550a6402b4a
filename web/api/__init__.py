"""The REST API of ../shared/API.md, documented by flask-smorest from these views' schemas."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, ValidationError

from engine.errors import BadRequest, Unauthorized, ValidationFailed
from engine.models import User
from engine.paging import Page
from engine.services import auth as auth_service
from engine.uow import UnitOfWork

from ..database import unit_of_work
from .schemas import ApiError

api = Api()
api.ERROR_SCHEMA = ApiError  # the default and every error response: API.md's shape
MAX_PER_PAGE = 200
MAX_PAGE = 2**31 - 1  # beyond it an OFFSET would overflow; no list is that long


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Register the API; it is exempt from CSRF because it authenticates by bearer token."""
    app.config.setdefault("API_TITLE", "OneWindow 一窗通办 API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", "/vendor/swagger-ui-dist/")
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"}
    )
    from . import (
        auth,
        cases,
        chains,
        clock,
        commissioners,
        incidents,
        materials,
        messages,
        monitors,
        online,
        operations,
        public,
        ratings,
        scorecards,
        service_items,
        supervision,
        tasks,
    )
    from . import models as model_routes

    modules = (
        auth,
        service_items,
        cases,
        materials,
        tasks,
        operations,
        clock,
        model_routes,
        chains,
        messages,
        public,
        ratings,
        scorecards,
        incidents,
        supervision,
        monitors,
        commissioners,
        online,
    )
    for module in modules:
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1")


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("需要 Authorization: Bearer <token>", code="missing_token")
    return token.strip()


@contextmanager
def api_call(*, write: bool = True) -> Iterator[tuple[UnitOfWork, User]]:
    """The request's unit of work and its authenticated user, in one transaction."""
    token = bearer_token()
    with unit_of_work(write=write) as uow:
        yield uow, auth_service.user_for_token(uow, token)


def paging() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 20))
    except ValueError as error:
        raise BadRequest("page 和 per_page 应为整数", {"fields": ["page", "per_page"]}) from error
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(
            f"1 ≤ page ≤ {MAX_PAGE}，1 ≤ per_page ≤ {MAX_PER_PAGE}",
            {"fields": ["page", "per_page"]},
        )
    return page, per_page


def listing(items: list[Any], total: int, page: int, per_page: int, **more: Any) -> Response:
    return jsonify({"items": items, "total": total, "page": page, "per_page": per_page, **more})


def counted_listing(found: Page, page: int, per_page: int) -> Response:
    """A list whose count stops at ``engine.paging.COUNT_LIMIT`` (cases, inboxes): beyond it
    ``total`` is that limit and ``total_exact`` false; ``has_more`` says a page follows."""
    extra = {"total_exact": found.exact, "has_more": found.has_more}
    return listing(found.items, found.total, page, per_page, **extra)


def json_body() -> dict[str, Any]:
    """The request's JSON object; a malformed or non-object body is a 400, never a 500."""
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise BadRequest("请求体不是合法的 JSON", code="malformed_json")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("请求体应为 JSON 对象", code="malformed_json")
    return body


def request_body(schema: type[Schema]) -> dict[str, Any]:
    """OpenAPI text for a JSON body that the view parses itself, after authenticating.

    (flask-smorest's ``@arguments`` would parse before the view runs, so an anonymous caller
    with a bad body would learn about field errors instead of getting 401.)
    """
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def documented(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document the error statuses a view answers, each with the error shape of API.md."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ApiError)(view)
        return view

    return decorate


@functools.cache
def _loader(schema: type[Schema]) -> Schema:
    """One instance per schema: making one deep-copies its fields; loading keeps no state."""
    return schema()


def parse_body(schema: type[Schema]) -> dict[str, Any]:
    """The JSON body checked against its schema: 400 when malformed, 422 naming the fields."""
    try:
        return _loader(schema).load(json_body())
    except ValidationError as error:
        raise ValidationFailed("请求参数有误", {"fields": error.messages}) from error


def created(payload: dict[str, Any]) -> Response:
    response = jsonify(payload)
    response.status_code = 201
    return response
