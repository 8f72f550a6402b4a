"""Human tasks: inbox, read with form, claim, unclaim, complete."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint

from engine.services import cases as case_service
from engine.services import tasks as task_service
from engine.services.cases import department_names
from engine.services.clock import task_light
from engine.views import task_view

from . import api_call, counted_listing, paging, parse_body, request_body, schemas

blp = Blueprint("api_tasks", __name__, description="待办任务 Tasks")


@blp.get("/tasks")
@blp.response(200, schemas.CountedPage)
@blp.doc(security=[{"bearerAuth": []}])
def list_tasks() -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        found = task_service.list_tasks(
            uow,
            user,
            scope=request.args.get("scope", "mine"),
            state=request.args.get("state"),
            page=page,
            per_page=per_page,
        )
    return counted_listing(found, page, per_page)


@blp.get("/tasks/<task_id>")
@blp.response(200, schemas.Task)
@blp.doc(security=[{"bearerAuth": []}])
def get_task(task_id: str) -> Any:
    with api_call(write=False) as (uow, user):
        return jsonify(task_service.get_task(uow, user, task_id))


@blp.post("/tasks/<task_id>/claim")
@blp.response(200, schemas.Task)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def claim(task_id: str) -> Any:
    with api_call() as (uow, user):
        return jsonify(task_service.claim(uow, user, task_id))


@blp.post("/tasks/<task_id>/unclaim")
@blp.response(200, schemas.Task)
@blp.doc(security=[{"bearerAuth": []}])
def unclaim(task_id: str) -> Any:
    with api_call() as (uow, user):
        return jsonify(task_service.unclaim(uow, user, task_id))


@blp.post("/tasks/<task_id>/complete")
@blp.response(200, schemas.Completion)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.CompleteTask))
def complete(task_id: str) -> Any:
    with api_call() as (uow, user):
        body = parse_body(schemas.CompleteTask)
        done = task_service.complete(uow, user, task_id, body["data"], body.get("comment"))
        names = department_names(uow)
        next_tasks = [task_view(t, names, task_light(uow, t)) for t in done.next_tasks]
        case = case_service.case_brief(uow, done.case, done.open_tasks)
    return jsonify({"case": case, "next_tasks": next_tasks})
