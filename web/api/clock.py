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
from engine.errors import BadRequest, NotFound
from engine.services import cases as case_service
from engine.services import clock as clock_service

from ..admin import calendar_days, day_view, parse_day, year_set
from . import MAX_PER_PAGE, api_call, documented, paging, parse_body, request_body, schemas

blp = Blueprint("api_clock", __name__, description="计时与工作日历 Clock and calendar")

MAX_CALENDAR_SPAN = 366  # days one GET /calendar may cover
CASE_ERRORS = (400, 403, 404, 409, 422)


@blp.post("/cases/<case_no>/clock/pause")
@blp.response(200, schemas.Case)
@documented(blp, *CASE_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ClockPause))
def pause(case_no: str) -> Any:
    """暂停计时: a 特别程序 of 行政许可法 art. 45 (or one another law gives the item) with its
    planned duration, or a supplement round after acceptance."""
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
@documented(blp, 403, 404, 409)
@blp.doc(security=[{"bearerAuth": []}])
def resume(case_no: str) -> Any:
    """恢复计时 after a pause."""
    with api_call() as (uow, user):
        case = case_service.visible_case(uow, user, case_no)
        clock_service.resume(uow, user, case)
        return jsonify(case_service.get_case(uow, user, case_no))


@blp.post("/cases/<case_no>/clock/extend")
@blp.response(200, schemas.Case)
@documented(blp, *CASE_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ClockExtend))
def extend(case_no: str) -> Any:
    """延期: the approver of the department deciding the case adds working days, with a reason,
    within the item's cap (行政许可法 art. 42: once, 10 days); more is 422 naming the rule."""
    with api_call() as (uow, user):
        body = parse_body(schemas.ClockExtend)
        case = case_service.visible_case(uow, user, case_no)
        clock_service.extend(uow, user, case, body["working_days"], body["reason"])
        return jsonify(case_service.get_case(uow, user, case_no))


@blp.get("/calendar")
@blp.response(200, schemas.CalendarPage)
@documented(blp, 400)
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
    weekday or weekend. ``provisional``: the year is not announced, so its statutory holidays
    are assumed (``assumed`` names the one on that day)."""
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
@documented(blp, 400, 403, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.SetCalendarDay))
def put_calendar_day(day: str) -> Any:
    """Add or override one day (administrators): a local holiday, an emergency closure, next
    year's State Council notice. ``source`` (the notice) is required. The due dates (and so
    the lights) of open cases and steps are recomputed in the same transaction."""
    with api_call() as (uow, user):
        access.require_role(user, "admin")
        when = parse_day(day, "date")
        body = parse_body(schemas.SetCalendarDay)
        row = clock_service.set_calendar_day(
            uow, user, when, body["kind"], body.get("name") or "", body["source"]
        )
        return jsonify(day_view(when, row, year_set(uow)))


@blp.delete("/calendar/<day>")
@blp.response(200, schemas.CalendarDay)
@documented(blp, 400, 403, 404)
@blp.doc(security=[{"bearerAuth": []}])
def delete_calendar_day(day: str) -> Any:
    """Remove a wrong entry (administrators): the day counts by the default rules again."""
    with api_call() as (uow, user):
        access.require_role(user, "admin")
        when = parse_day(day, "date")
        if not clock_service.clear_calendar_day(uow, user, when):
            raise NotFound(f"{when.isoformat()} 没有日历设置", code="calendar_day_not_found")
        return jsonify(day_view(when, None, year_set(uow)))


@blp.put("/calendar/years/<int:year>")
@blp.response(200, schemas.CalendarYear)
@documented(blp, 400, 403, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.AnnounceYear))
def announce_year(year: int) -> Any:
    """Mark the year's official schedule as announced (administrators), once its holidays and
    make-up days are entered: its dates stop being provisional (暂定) and stop assuming the
    statutory holidays. 422 while no holiday of the year is entered."""
    with api_call() as (uow, user):
        access.require_role(user, "admin")
        body = parse_body(schemas.AnnounceYear)
        clock_service.announce_calendar_year(uow, user, year, body["source"])
        return jsonify({"year": year, "announced": True, "source": body["source"]})


@blp.delete("/calendar/years/<int:year>")
@blp.response(200, schemas.CalendarYear)
@documented(blp, 403, 404)
@blp.doc(security=[{"bearerAuth": []}])
def withdraw_year(year: int) -> Any:
    """Undo a mistaken announcement (administrators): the year is provisional again."""
    with api_call() as (uow, user):
        access.require_role(user, "admin")
        if not clock_service.withdraw_calendar_year(uow, user, year):
            raise NotFound(f"{year} 年未标记为已公布", code="calendar_year_not_found")
        return jsonify({"year": year, "announced": False, "source": None})
