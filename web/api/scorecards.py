"""绩效考核 scorecards (API.md): the rows of a period by department, window, clerk or service
item, and the weights of the score. Each figure's cases are ``GET /cases`` with the drill-down
arguments of engine/services/scorecard_rules.py."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from engine.services import event_log, process_mining
from engine.services import scorecards as scorecard_service

from ..notices import render_pdf
from . import api_call, json_body, listing, paging, schemas
from .supervision import xlsx_response

blp = Blueprint("api_scorecards", __name__, description="绩效考核 Scorecards")


@blp.get("/scorecards")
@blp.response(200, schemas.Page)
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(
    security=[{"bearerAuth": []}],
    parameters=[
        {"in": "query", "name": "from", "required": True, "schema": {"type": "string"}},
        {"in": "query", "name": "to", "required": True, "schema": {"type": "string"}},
        {
            "in": "query",
            "name": "by",
            "schema": {"type": "string", "enum": list(scorecard_service.DIMENSIONS)},
        },
    ],
)
def scorecard() -> Any:
    """The rows the caller may read, ranked by score: supervisors and admins all; a
    department head the department and its clerks; a clerk their own row; monitors read."""
    page, per_page = paging()
    args = request.args
    with api_call(write=False) as (uow, user):
        rows = scorecard_service.scorecard(
            uow, user, args.get("from"), args.get("to"), args.get("by") or "department"
        )
    shown = rows[(page - 1) * per_page : page * per_page]
    return listing(shown, len(rows), page, per_page)


@blp.get("/scorecards/trend")
@blp.response(200, schemas.Loose)
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def trend() -> Any:
    """The dashboard's monthly trend: the twelve months up to ``to``, each month's finished
    cases and on-time rate over the ``by`` rows the caller reads."""
    args = request.args
    with api_call(write=False) as (uow, user):
        months = scorecard_service.trend(
            uow, user, args.get("from"), args.get("to"), args.get("by") or "department"
        )
    return jsonify({"items": months})


@blp.get("/scorecards/lights")
@blp.response(200, schemas.Loose)
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def lights() -> Any:
    """The dashboard's light distribution: the running cases the caller sees, by light."""
    with api_call(write=False) as (uow, user):
        counts = scorecard_service.lights(uow, user, request.args.get("by") or "department")
    return jsonify(counts)


@blp.get("/scorecards.xlsx")
@blp.response(200)
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def scorecard_xlsx() -> Any:
    """The same table (``from``, ``to``, ``by``) as a spreadsheet, every row the caller reads."""
    args = request.args
    by = args.get("by") or "department"
    with api_call(write=False) as (uow, user):
        rows = scorecard_service.scorecard(uow, user, args.get("from"), args.get("to"), by)
    filename, data = scorecard_service.scorecard_xlsx(rows, by, args["from"], args["to"])
    return xlsx_response(filename, data)


@blp.get("/scorecards/weights")
@blp.response(200, schemas.Loose)
@blp.doc(security=[{"bearerAuth": []}])
def get_weights() -> Any:
    """The weights in force and how satisfaction is scored, with every earlier version."""
    with api_call(write=False) as (uow, _user):
        return jsonify(
            {
                **scorecard_service.current_weights(uow),
                "history": scorecard_service.weight_history(uow),
            }
        )


@blp.put("/scorecards/weights")
@blp.response(200, schemas.Loose)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def put_weights() -> Any:
    """Administrators save a new version: ``{"weights": {metric: 0–100}, "scoring":
    "good_rate"|"points", "note"}``; metrics left out keep their weight."""
    with api_call() as (uow, user):
        return jsonify(scorecard_service.save_weights(uow, user, json_body()))


def _log_response(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.get("/event-log.xes")
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def event_log_xes() -> Any:
    """The cases with a step completed between ``from`` and ``to`` (optionally of one
    ``service_item``) as an XES (IEEE 1849) event log; supervisors and administrators."""
    args = request.args
    with api_call(write=False) as (uow, user):
        data = event_log.xes(uow, user, args.get("from"), args.get("to"), args.get("service_item"))
    return _log_response(data, "application/xml", "onewindow.xes")


@blp.get("/event-log.ocel.json")
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def event_log_ocel() -> Any:
    """The same log as OCEL 2.0 JSON: cases, departments and clerks as objects."""
    args = request.args
    with api_call(write=False) as (uow, user):
        data = event_log.ocel(uow, user, args.get("from"), args.get("to"), args.get("service_item"))
    return _log_response(data, "application/json", "onewindow.ocel.json")


@blp.get("/scorecards/circular.pdf")
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def circular_pdf() -> Any:
    """The month's 绩效考核通报 (``month=YYYY-MM``) as a PDF: the departments ranked."""
    with api_call(write=False) as (uow, user):
        notice = scorecard_service.monthly_circular(uow, user, request.args.get("month"))
    response = Response(render_pdf(notice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="scorecard-circular.pdf"'
    return response


@blp.get("/scorecards/step-times")
@blp.response(200, schemas.Loose)
@blp.alt_response(400, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def step_times() -> Any:
    """Each step of ``service_item``'s model with its average waiting (creation to claim or
    completion) and handling (claim to completion) in working days, and the bottleneck."""
    args = request.args
    with api_call(write=False) as (uow, user):
        return jsonify(
            process_mining.step_times(
                uow, user, args.get("service_item") or "", args.get("from"), args.get("to")
            )
        )
