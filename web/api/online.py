"""网上申报 over HTTP, no account (API.md "Online application"): file a case, upload materials
by case number and 查询密码. The rules live in engine/services/online.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.services import online as online_service

from ..database import unit_of_work
from . import created, documented, json_body, request_body, schemas

blp = Blueprint("api_online", __name__, description="网上申报 Online application")


class ApplicationBody(Schema):
    service_item = fields.String(required=True)
    applicant = fields.Dict(required=True, metadata={"description": "kind, name, id_type, …"})
    data = fields.Dict(metadata={"description": "the intake form's fields"})


class Application(schemas.Loose):
    case_no = fields.String()
    query_password = fields.String(metadata={"description": "shown once"})
    channel = fields.String()
    visits = fields.Integer()
    materials = fields.List(fields.String(), metadata={"description": "to upload, by name"})


class UploadForm(Schema):
    password = fields.String(required=True)
    material = fields.String(required=True, metadata={"description": "a listed material"})
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


@blp.post("/public/applications")
@blp.response(201, Application)
@documented(blp, 400, 404, 422, 429)
@blp.doc(requestBody=request_body(ApplicationBody))
def apply() -> Any:
    """An applicant files a case online: its number and 查询密码 at once; it waits at the
    window's 预审 (the item's 受理 step). At most 10 applications an hour per client address."""
    with unit_of_work() as uow:
        view = online_service.apply(uow, json_body(), request.remote_addr or "")
    return created(view)


@blp.post("/public/cases/<case_no>/materials")
@blp.response(201, schemas.Loose)
@documented(blp, 400, 404, 409, 413, 415, 422, 429)
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": UploadForm}}})
def upload(case_no: str) -> Any:
    """One file of a listed material (PDF, JPEG or PNG, at most 10 MB), with the case's
    password: an online application's materials, or a 补正 answered from the progress page."""
    file = request.files.get("file")
    with unit_of_work() as uow:
        view = online_service.upload(
            uow,
            case_no,
            request.form.get("password", ""),
            request.form.get("material", ""),
            file.filename or "" if file else "",
            file.read() if file else b"",
            Path(current_app.config["UPLOAD_DIR"]),
            request.remote_addr or "",
        )
    return created(view)
