"""Clock actions beside the flow (暂停、恢复、延期) and the working-day calendar (工作日历).

The flow can pause and resume the clock itself (a BPMN step with a ``clock`` property); these
endpoints are for what the model does not draw: a 特别程序 (art. 45) or a supplement round after
acceptance, and an approver's 延期. Each answers with the case as ``GET /cases/{case_no}`` does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint

from engine import access, workdays
from engine.errors import BadRequest
from engine.services import cases as case_service
from engine.services import clock as clock_service

from ..admin import calendar_days, day_view, parse_day, year_set
from . import MAX_PER_PAGE, api_call, paging, parse_body, request_body, schemas

blp = Blueprint("api_clock", __name__, description="计时与工作日历 Clock and calendar")

MAX_CALENDAR_SPAN = 366  # days one GET /calendar may cover
CASE_ERRORS = (400, 403, 404, 409, 422)


def _documented(*statuses: int):
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=schemas.ApiError)(view)
        return view

    return decorate


@blp.post("/cases/<case_no>/clock/pause")
@blp.response(200, schemas.Case)
@_documented(*CASE_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ClockPause))
def pause(case_no: str) -> Any:
    """暂停计时: a 特别程序 the item allows, or a supplement round after acceptance."""
    with api_call() as (uow, user):
        body = parse_body(schemas.ClockPause)
        case = case_service.visible_case(uow, user, case_no)
        clock_service.pause(
            uow,
            user,
            case,
            body["kind"],
            body["reason"],
            procedure=body.get("procedure"),
            planned_days=body.get("planned_days"),
        )
        return jsonify(case_service.get_case(uow, user, case_no))


@blp.post("/cases/<case_no>/clock/resume")
@blp.response(200, schemas.Case)
@_documented(403, 404, 409)
@blp.doc(security=[{"bearerAuth": []}])
def resume(case_no: str) -> Any:
    """恢复计时 after a pause."""
    with api_call() as (uow, user):
        case = case_service.visible_case(uow, user, case_no)
        clock_service.resume(uow, user, case)
        return jsonify(case_service.get_case(uow, user, case_no))


@blp.post("/cases/<case_no>/clock/extend")
@blp.response(200, schemas.Case)
@_documented(*CASE_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ClockExtend))
def extend(case_no: str) -> Any:
    """延期: an approver adds working days to the deadline, with a reason."""
    with api_call() as (uow, user):
        body = parse_body(schemas.ClockExtend)
        case = case_service.visible_case(uow, user, case_no)
        clock_service.extend(uow, user, case, body["working_days"], body["reason"])
        return jsonify(case_service.get_case(uow, user, case_no))


@blp.get("/calendar")
@blp.response(200, schemas.CalendarPage)
@_documented(400)
@blp.doc(
    security=[{"bearerAuth": []}],
    parameters=[
        {"in": "query", "name": name, "schema": {"type": "string", "format": "date"}}
        for name in ("from", "to")
    ],
)
def get_calendar() -> Any:
    """Every day of ``[from, to]`` (default: this month, at most 366 days) as the clock counts
    it; ``kind`` is the administrator's or the State Council's override, null for an ordinary
    weekday or weekend. ``provisional``: the year is not announced and counts weekends only."""
    args = request.args
    today = workdays.today()
    first = parse_day(args.get("from"), "from") if args.get("from") else today.replace(day=1)
    if args.get("to"):
        last = parse_day(args.get("to"), "to")
    else:
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if last < first:
        raise BadRequest("to 不能早于 from", {"fields": ["from", "to"]}, code="invalid_range")
    if (last - first).days >= MAX_CALENDAR_SPAN:
        raise BadRequest(
            f"一次最多查询 {MAX_CALENDAR_SPAN} 天", {"fields": ["from", "to"]}, code="invalid_range"
        )
    paged = "page" in args or "per_page" in args
    page, per_page = paging() if paged else (1, MAX_PER_PAGE)
    with api_call(write=False) as (uow, _user):
        days, years = calendar_days(uow, first, last)
    items = days[(page - 1) * per_page : page * per_page]
    return jsonify(
        {
            "items": items,
            "total": len(days),
            "page": page,
            "per_page": per_page,
            "announced_years": years,
        }
    )


@blp.put("/calendar/<day>")
@blp.response(200, schemas.CalendarDay)
@_documented(400, 403, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.SetCalendarDay))
def put_calendar_day(day: str) -> Any:
    """Add or override one day (administrators): a local holiday, an emergency closure, next
    year's State Council notice. ``source`` (the notice) is required."""
    with api_call() as (uow, user):
        access.require_role(user, "admin")
        when = parse_day(day, "date")
        body = parse_body(schemas.SetCalendarDay)
        row = workdays.set_day(
            uow, when, body["kind"], body.get("name") or "", body["source"], user.username
        )
        uow.session.flush()
        return jsonify(day_view(when, row, year_set(uow)))
