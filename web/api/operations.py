"""Task operations (退回、转办、委派、加签、减签、撤回、催办), 抄送, comments with attachments and
notifications — API.md "Task operations". The rules live in engine/services/ (operations.py,
signing.py, copies.py, comments.py, notifications.py); these views parse, call one service and
answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, request, send_file, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.services import attachments, signing
from engine.services import comments as comment_service
from engine.services import copies as copy_service
from engine.services import notifications as notification_service
from engine.services import operations as ops

from . import MAX_PER_PAGE, api_call, created, json_body, listing, paging, parse_body, schemas
from . import request_body as json_request

blp = Blueprint("api_operations", __name__, description="办理操作与消息 Task operations")

TASK_ERRORS = (403, 404, 409, 422)


def _documented(*statuses: int):
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=schemas.ApiError)(view)
        return view

    return decorate


# ----- request and response shapes (OpenAPI) ---------------------------------------------------


class ReturnBody(Schema):
    to = fields.String(
        required=True,
        metadata={"description": "the step's BPMN id (`to` of a return target) or its task id"},
    )
    reason = fields.String(required=True)


class TransferBody(Schema):
    to_user = fields.String(required=True)
    reason = fields.String(load_default="")


class DelegateBody(Schema):
    to_user = fields.String(required=True)
    note = fields.String(load_default="")


class AddSignBody(Schema):
    users = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    position = fields.String(required=True, validate=validate.OneOf(["before", "after"]))


class RemoveSignBody(Schema):
    users = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class UrgeBody(Schema):
    note = fields.String(load_default="")


class CopyBody(Schema):
    users = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    note = fields.String(load_default="")


class TaskResult(schemas.Loose):
    task = fields.Nested(schemas.Task, allow_none=True)
    case = fields.Dict()


class CommentForm(Schema):
    text = fields.String(metadata={"description": "the comment (required without files)"})
    task_id = fields.String(metadata={"description": "the task it is about (optional)"})
    files = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        metadata={"description": "PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB each"},
    )


def _multipart(schema: type[Schema]) -> dict[str, Any]:
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


# ----- task operations -------------------------------------------------------------------------


@blp.get("/tasks/<task_id>/return-targets")
@blp.response(200, schemas.Page)
@_documented(404)
@blp.doc(security=[{"bearerAuth": []}])
def return_targets(task_id: str) -> Any:
    """Steps already passed that the case may go back to (退回), oldest first."""
    with api_call(write=False) as (uow, user):
        items = ops.return_targets(uow, user, task_id)
    return listing(items, len(items), 1, MAX_PER_PAGE)


@blp.post("/tasks/<task_id>/return")
@blp.response(200, TaskResult)
@_documented(*TASK_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(ReturnBody))
def return_task(task_id: str) -> Any:
    """退回: reset the case to a step already passed; the reason goes to whoever did it."""
    with api_call() as (uow, user):
        body = parse_body(ReturnBody)
        return jsonify(ops.return_task(uow, user, task_id, body["to"], body["reason"]))


@blp.post("/tasks/<task_id>/transfer")
@blp.response(200, TaskResult)
@_documented(*TASK_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(TransferBody))
def transfer(task_id: str) -> Any:
    """转办: the task becomes a candidate colleague's."""
    with api_call() as (uow, user):
        body = parse_body(TransferBody)
        return jsonify(ops.transfer(uow, user, task_id, body["to_user"], body["reason"]))


@blp.post("/tasks/<task_id>/delegate")
@blp.response(200, TaskResult)
@_documented(*TASK_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(DelegateBody))
def delegate(task_id: str) -> Any:
    """委派: the delegate's completion hands the task back to its owner, who completes it."""
    with api_call() as (uow, user):
        body = parse_body(DelegateBody)
        return jsonify(ops.delegate(uow, user, task_id, body["to_user"], body["note"]))


@blp.post("/tasks/<task_id>/add-sign")
@blp.response(200, TaskResult)
@_documented(*TASK_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(AddSignBody))
def add_sign(task_id: str) -> Any:
    """加签: ``before`` — the signers answer first; ``after`` — after the assignee completes,
    and the step completes once they all approved. Signers answer through ``…/complete`` with
    ``{"data": {"decision": "approve"|"reject", "opinion"}}``."""
    with api_call() as (uow, user):
        body = parse_body(AddSignBody)
        return jsonify(signing.add_sign(uow, user, task_id, body["users"], body["position"]))


@blp.post("/tasks/<task_id>/remove-sign")
@blp.response(200, TaskResult)
@_documented(*TASK_ERRORS)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(RemoveSignBody))
def remove_sign(task_id: str) -> Any:
    """减签: cancel added signers who have not answered."""
    with api_call() as (uow, user):
        body = parse_body(RemoveSignBody)
        return jsonify(signing.remove_sign(uow, user, task_id, body["users"]))


@blp.post("/tasks/<task_id>/withdraw")
@blp.response(200, TaskResult)
@_documented(403, 404, 409)
@blp.doc(security=[{"bearerAuth": []}])
def withdraw(task_id: str) -> Any:
    """撤回: by who completed the task, while the next step is untouched."""
    with api_call() as (uow, user):
        return jsonify(ops.withdraw(uow, user, task_id))


@blp.post("/tasks/<task_id>/urge")
@blp.response(200, TaskResult)
@_documented(404, 409, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(UrgeBody))
def urge(task_id: str) -> Any:
    """催办: notifies the assignee (or every candidate of an unclaimed task)."""
    with api_call() as (uow, user):
        body = parse_body(UrgeBody)
        return jsonify(ops.urge(uow, user, task_id, body["note"]))


@blp.get("/tasks/<task_id>/operations")
@blp.response(200, schemas.Loose)
@_documented(404)
@blp.doc(security=[{"bearerAuth": []}])
def task_operations(task_id: str) -> Any:
    """What the caller may do on the task now; its 退回 reason, delegation and signers."""
    with api_call(write=False) as (uow, user):
        return jsonify(ops.task_operations(uow, user, task_id))


# ----- 抄送 ------------------------------------------------------------------------------------


@blp.post("/cases/<case_no>/cc")
@blp.response(201, schemas.Loose)
@_documented(404, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=json_request(CopyBody))
def copy_case(case_no: str) -> Any:
    """抄送: the users may read the case and find it under 抄送我的."""
    with api_call() as (uow, user):
        body = parse_body(CopyBody)
        return created(
            {"copies": copy_service.copy_case(uow, user, case_no, body["users"], body["note"])}
        )


@blp.get("/cc")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def copied_to_me() -> Any:
    """抄送我的 (``?unread=1``: not read yet)."""
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items, total = copy_service.list_copies(
            uow, user, unread=_flag("unread"), page=page, per_page=per_page
        )
    return listing(items, total, page, per_page)


@blp.post("/cc/<int:copy_id>/read")
@blp.response(200, schemas.Loose)
@_documented(404)
@blp.doc(security=[{"bearerAuth": []}])
def read_copy(copy_id: int) -> Any:
    with api_call() as (uow, user):
        return jsonify(copy_service.read_copy(uow, user, copy_id))


# ----- comments with attachments ---------------------------------------------------------------


def _with_links(case_no: str, comment: dict[str, Any]) -> dict[str, Any]:
    for f in comment["files"]:
        f["url"] = url_for(
            "api_operations.comment_file", case_no=case_no, comment_id=comment["id"], n=f["n"]
        )
    return comment


@blp.post("/cases/<case_no>/comments")
@blp.response(201, schemas.Loose)
@_documented(404, 413, 415, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=_multipart(CommentForm))
def add_comment(case_no: str) -> Any:
    """An opinion on the case, with optional files (multipart ``text``, ``files``, ``task_id``;
    a JSON ``{"text"}`` without files works too)."""
    with api_call() as (uow, user):
        if request.mimetype == "application/json":
            body = json_body()
            text, task_id, uploads = body.get("text"), body.get("task_id"), []
        else:
            text, task_id = request.form.get("text"), request.form.get("task_id")
            uploads = [
                attachments.Upload(f.filename or "", f.read())
                for f in request.files.getlist("files")
                if f.filename
            ]
        comment = comment_service.add_comment(
            uow, user, case_no, text, uploads, _upload_dir(), task_id=task_id or None
        )
        return created(_with_links(case_no, comment))


@blp.get("/cases/<case_no>/comments")
@blp.response(200, schemas.Page)
@_documented(404)
@blp.doc(security=[{"bearerAuth": []}])
def list_comments(case_no: str) -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items, total = comment_service.list_comments(
            uow, user, case_no, page=page, per_page=per_page
        )
    return listing([_with_links(case_no, c) for c in items], total, page, per_page)


@blp.get("/cases/<case_no>/comments/<int:comment_id>/files/<int:n>")
@blp.response(200)
@_documented(404)
@blp.doc(security=[{"bearerAuth": []}])
def comment_file(case_no: str, comment_id: int, n: int) -> Any:
    """An attachment, to whoever may see the case."""
    with api_call(write=False) as (uow, user):
        path, filename, content_type = comment_service.comment_file(
            uow, user, case_no, comment_id, n, _upload_dir()
        )
    return attachment_response(path, filename, content_type)


def attachment_response(path: Path, filename: str, content_type: str) -> Response:
    response = send_file(
        path, mimetype=content_type, as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ----- notifications ---------------------------------------------------------------------------


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


@blp.get("/notifications")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def list_notifications() -> Any:
    """The caller's notifications, newest first (``?unread=1``: not read yet)."""
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items, total = notification_service.list_notifications(
            uow, user, unread=_flag("unread"), page=page, per_page=per_page
        )
        unread = notification_service.unread_count(uow, user.username)
    response = listing(items, total, page, per_page)
    response.headers["X-Unread-Count"] = str(unread)
    return response


@blp.post("/notifications/<int:notification_id>/read")
@blp.response(200, schemas.Loose)
@_documented(404)
@blp.doc(security=[{"bearerAuth": []}])
def read_notification(notification_id: int) -> Any:
    with api_call() as (uow, user):
        return jsonify(notification_service.mark_read(uow, user, notification_id))


@blp.post("/notifications/read-all")
@blp.response(200, schemas.Loose)
@blp.doc(security=[{"bearerAuth": []}])
def read_all_notifications() -> Any:
    with api_call() as (uow, user):
        return jsonify({"marked": notification_service.mark_all_read(uow, user)})
