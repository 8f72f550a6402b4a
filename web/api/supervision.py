"""督办 supervision items and 联席会议 joint meetings (API.md). The rules live in
engine/services/supervision.py, escalation.py and meetings.py; these views parse and answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine import supervision_notices
from engine.services import attachments
from engine.services import meetings as meeting_service
from engine.services import supervision as supervision_service
from engine.services.meetings import MeetingInput
from engine.services.supervision import ItemFilter, ItemInput, input_from

from ..notices import render_pdf
from . import api_call, created, documented, json_body, listing, paging, request_body, schemas
from .operations import attachment_response

blp = Blueprint("api_supervision", __name__, description="督办与联席会议 Supervision")
SECURED = {"security": [{"bearerAuth": []}]}


class IssueBody(Schema):
    source = fields.String(
        metadata={"description": "manual (default), leader, commissioner, monitor"}
    )
    case_nos = fields.List(fields.String())
    problem = fields.String(required=True)
    lead_department = fields.String(required=True, metadata={"description": "department code"})
    assisting_departments = fields.List(fields.String())
    required_action = fields.String(required=True)
    due_working_days = fields.Integer(required=True, metadata={"description": "1–250"})
    responsible_person = fields.String()


class FeedbackForm(Schema):
    text = fields.String(required=True)
    files = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        metadata={"description": "PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB each"},
    )


class ReviewBody(Schema):
    verdict = fields.String(required=True, metadata={"description": "close | send_back"})
    comment = fields.String(metadata={"description": "required to send back"})
    due_working_days = fields.Integer(metadata={"description": "the new deadline (send back)"})


class Topic(Schema):
    problem = fields.String(required=True)
    case_nos = fields.List(fields.String())
    decision = fields.String(required=True)
    lead_department = fields.String(required=True)
    assisting_departments = fields.List(fields.String())
    due_working_days = fields.Integer(required=True)


class MeetingBody(Schema):
    title = fields.String(required=True)
    held_on = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    departments = fields.List(fields.String(), required=True)
    attendees = fields.List(fields.String())
    summary = fields.String()
    topics = fields.List(fields.Nested(Topic), required=True)


class SupervisionItem(schemas.Loose):
    no = fields.String()
    source = fields.String()
    case_nos = fields.List(fields.String())
    problem = fields.String()
    lead_department = fields.String()
    assisting_departments = fields.List(fields.String())
    required_action = fields.String()
    issued_by = fields.String()
    issued_at = fields.String()
    due_date = fields.String()
    level = fields.String(metadata={"description": "blue | orange | red"})
    status = fields.String(metadata={"description": "issued | feedback | closed"})
    feedback = fields.List(fields.Dict())
    events = fields.List(fields.Dict())


class Meeting(schemas.Loose):
    id = fields.Integer()
    title = fields.String()
    held_on = fields.String()
    departments = fields.List(fields.String())
    attendees = fields.List(fields.String())
    items = fields.List(fields.Dict(), metadata={"description": "the 督办清单"})


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _with_links(view: dict[str, Any]) -> dict[str, Any]:
    """Each feedback file with the URL that downloads it."""
    for entry in view["feedback"]:
        for f in entry["files"]:
            f["url"] = url_for(
                "api_supervision.feedback_file", no=view["no"], event_id=entry["id"], n=f["n"]
            )
    return view


@blp.get("/supervision-items")
@blp.response(200, schemas.Page)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def list_items() -> Any:
    """The 督办台账 the caller may see (``?status=&level=&department=&source=``)."""
    page, per_page = paging()
    args = request.args
    filters = ItemFilter(
        status=args.get("status") or None,
        level=args.get("level") or None,
        department=args.get("department") or None,
        source=args.get("source") or None,
    )
    with api_call(write=False) as (uow, user):
        items, total = supervision_service.list_items(uow, user, filters, page, per_page)
    return listing([_with_links(i) for i in items], total, page, per_page)


@blp.post("/supervision-items")
@blp.response(201, SupervisionItem)
@documented(blp, 400, 403, 422)
@blp.doc(requestBody=request_body(IssueBody), **SECURED)
def issue() -> Any:
    """A supervisor issues an item; 422 names every bad field (unknown department, a limit
    that is not a positive number of working days, an empty problem …)."""
    with api_call() as (uow, user):
        body = json_body()
        given = input_from(ItemInput, body)
        view = supervision_service.issue(uow, user, body.get("source"), given)
    return created(view)


@blp.get("/supervision-items/<no>")
@blp.response(200, SupervisionItem)
@documented(blp, 403, 404)
@blp.doc(**SECURED)
def get_item(no: str) -> Any:
    """One item with its feedback, timeline (``events``) and escalation notices."""
    with api_call(write=False) as (uow, user):
        return jsonify(_with_links(supervision_service.get_item(uow, user, no)))


@blp.post("/supervision-items/<no>/feedback")
@blp.response(200, SupervisionItem)
@documented(blp, 400, 403, 404, 409, 413, 415, 422)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": FeedbackForm},
            "multipart/form-data": {"schema": FeedbackForm},
        },
    },
    **SECURED,
)
def feedback(no: str) -> Any:
    """The lead department answers (``{"text"}``, or multipart ``text`` and ``files``); an
    assisting department's feedback is recorded beside it."""
    with api_call() as (uow, user):
        if request.mimetype == "multipart/form-data":
            text = request.form.get("text")
            uploads = [
                attachments.Upload(f.filename or "", f.read())
                for f in request.files.getlist("files")
                if f.filename
            ]
        else:
            text, uploads = json_body().get("text"), []
        view = supervision_service.feedback(uow, user, no, text, uploads, _upload_dir())
    return jsonify(_with_links(view))


@blp.get("/supervision-items/<no>/feedback/<int:event_id>/files/<int:n>")
@blp.response(200)
@documented(blp, 403, 404)
@blp.doc(**SECURED)
def feedback_file(no: str, event_id: int, n: int) -> Any:
    """A feedback's attachment, to whoever may see the item."""
    with api_call(write=False) as (uow, user):
        path, filename, content_type = supervision_service.feedback_file(
            uow, user, no, event_id, n, _upload_dir()
        )
    return attachment_response(path, filename, content_type)


@blp.post("/supervision-items/<no>/review")
@blp.response(200, SupervisionItem)
@documented(blp, 400, 403, 404, 409, 422)
@blp.doc(requestBody=request_body(ReviewBody), **SECURED)
def review(no: str) -> Any:
    """A supervisor closes the item (销号) or sends it back with a new deadline."""
    with api_call() as (uow, user):
        body = json_body()
        view = supervision_service.review(
            uow,
            user,
            no,
            body.get("verdict"),
            body.get("comment"),
            body.get("due_working_days"),
        )
    return jsonify(_with_links(view))


@blp.get("/supervision-items/<no>/notices/<kind>.pdf")
@blp.response(200)
@documented(blp, 403, 404)
@blp.doc(**SECURED)
def notice_pdf(no: str, kind: str) -> Any:
    """The 催办通知书 (``urge``) or 通报 (``circular``) an escalation issued, as a PDF
    (``?round=`` for an earlier deadline round's)."""
    with api_call(write=False) as (uow, user):
        notice = supervision_notices.build(uow, user, no, kind, request.args.get("round", type=int))
    response = Response(render_pdf(notice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=notice.pdf"
    return response


@blp.get("/supervision-settings")
@blp.response(200, schemas.Loose)
@blp.doc(**SECURED)
def get_settings() -> Any:
    """The thresholds: whether red cases open items and yellow ones notify, the deadlines of
    items the system opens, and the working days before orange and red."""
    with api_call(write=False) as (uow, _user):
        return jsonify(supervision_service.settings(uow))


@blp.put("/supervision-settings")
@blp.response(200, schemas.Loose)
@documented(blp, 400, 403, 422)
@blp.doc(**SECURED)
def put_settings() -> Any:
    """Administrators change any of the thresholds (422 names the bad ones)."""
    with api_call() as (uow, user):
        return jsonify(supervision_service.save_settings(uow, user, json_body()))


# ---- 联席会议 --------------------------------------------------------------------------------


@blp.get("/joint-meetings/candidates")
@blp.response(200, schemas.Items)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def candidates() -> Any:
    """What the data points at over ``?from=&to=`` (default: the last 30 days), each with its
    evidence and the cases behind it."""
    with api_call(write=False) as (uow, user):
        return jsonify(
            meeting_service.candidates(uow, user, request.args.get("from"), request.args.get("to"))
        )


@blp.get("/joint-meetings")
@blp.response(200, schemas.Page)
@documented(blp, 400, 403)
@blp.doc(**SECURED)
def list_meetings() -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        items, total = meeting_service.list_meetings(uow, user, page, per_page)
    return listing(items, total, page, per_page)


@blp.post("/joint-meetings")
@blp.response(201, Meeting)
@documented(blp, 400, 403, 422)
@blp.doc(requestBody=request_body(MeetingBody), **SECURED)
def create_meeting() -> Any:
    """A supervisor records the meeting; every topic becomes a supervision item (source
    ``meeting``) with the topic's decision as its required action."""
    with api_call() as (uow, user):
        given = input_from(MeetingInput, json_body())
        view = meeting_service.create_meeting(uow, user, given)
    return created(view)


@blp.get("/joint-meetings/<int:meeting_id>")
@blp.response(200, Meeting)
@documented(blp, 404)
@blp.doc(**SECURED)
def get_meeting(meeting_id: int) -> Any:
    """The meeting with its 督办清单: each item's status, level and feedback."""
    with api_call(write=False) as (uow, user):
        return jsonify(meeting_service.get_meeting(uow, user, meeting_id))


@blp.get("/joint-meetings/<int:meeting_id>/list.xlsx")
@blp.response(200)
@documented(blp, 404)
@blp.doc(**SECURED)
def meeting_xlsx(meeting_id: int) -> Any:
    """The 督办清单 as a spreadsheet."""
    with api_call(write=False) as (uow, user):
        filename, data = meeting_service.meeting_xlsx(uow, user, meeting_id)
    return xlsx_response(filename, data)


def xlsx_response(filename: str, data: bytes) -> Response:
    response = Response(
        data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = _attachment_header(filename)
    return response


def _attachment_header(filename: str) -> str:
    """A Chinese file name as RFC 6266 wants it (``filename*``), with an ASCII fallback."""
    return f"attachment; filename=\"supervision-list.xlsx\"; filename*=UTF-8''{quote(filename)}"
