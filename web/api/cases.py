"""Cases (办件): start, list, read."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint

from engine.services import cases as case_service

from . import api_call, counted_listing, created, paging, parse_body, request_body, schemas

blp = Blueprint("api_cases", __name__, description="办件 Cases")


@blp.post("/cases")
@blp.response(201, schemas.CreatedCase)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.StartCase))
def start_case() -> Any:
    with api_call() as (uow, user):
        body = parse_body(schemas.StartCase)
        started = case_service.start_case(
            uow,
            user,
            body["service_item"],
            body["applicant"],
            body.get("data") or {},
            channel=body.get("channel") or "window",
            agent=body.get("agent"),
        )
        view = case_service.get_case(uow, user, started.case.case_no)
    return created({**view, "query_password": started.query_password})


@blp.get("/cases")
@blp.response(200, schemas.CountedPage)
@blp.doc(security=[{"bearerAuth": []}])
def list_cases() -> Any:
    page, per_page = paging()
    args = request.args
    with api_call(write=False) as (uow, user):
        found = case_service.list_cases(
            uow,
            user,
            status=args.get("status"),
            service_item=args.get("service_item"),
            department=args.get("department"),
            q=args.get("q"),
            light=args.get("light"),
            page=page,
            per_page=per_page,
            drill=args,
        )
    return counted_listing(found, page, per_page)


@blp.get("/cases/<case_no>")
@blp.response(200, schemas.Case)
@blp.doc(security=[{"bearerAuth": []}])
def get_case(case_no: str) -> Any:
    with api_call(write=False) as (uow, user):
        return jsonify(case_service.get_case(uow, user, case_no))
