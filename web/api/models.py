"""Process models: deploy versions, list them, read deployed files — and the designer's
workbench: drafts, validation, deploying the draft, version diffs, case migration, live stats."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from engine import access
from engine.definitions import MODEL_SUFFIXES
from engine.errors import BadRequest
from engine.services import designer as designer_service
from engine.services import models as model_service

from ..designer import DESIGN_ROLES
from ..model_messages import localize_report
from . import api_call, created, listing, paging, parse_body, request_body, schemas

blp = Blueprint("api_models", __name__, description="流程模型 Process models")

MAX_MODEL_FILE = 2 * 1024 * 1024


def uploaded_files() -> dict[str, str]:
    """The multipart files of a deploy request, decoded as UTF-8 and checked for type."""
    files: dict[str, str] = {}
    for upload in request.files.getlist("files") or list(request.files.values()):
        name = (upload.filename or "").replace("\\", "/").split("/")[-1]
        if not name.endswith(MODEL_SUFFIXES):
            raise BadRequest(
                f"不支持的文件类型：{name}（只接受 .bpmn .bpmn20.xml .dmn .json）",
                {"file": name},
                code="unsupported_file",
            )
        content = upload.read(MAX_MODEL_FILE + 1)
        if len(content) > MAX_MODEL_FILE:
            raise BadRequest(f"文件过大：{name}", {"file": name}, code="file_too_large")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadRequest(
                f"文件不是 UTF-8 文本：{name}", {"file": name}, code="invalid_encoding"
            ) from error
        files[f"forms/{name}" if name.endswith(".json") else name] = text
    if not files:
        raise BadRequest("没有上传任何模型文件", code="no_files")
    return files


@blp.get("/process-models")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def list_models() -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, _user):
        items = model_service.list_models(uow)
    return listing(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@blp.post("/process-models")
@blp.response(201, schemas.ModelVersion)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(
    security=[{"bearerAuth": []}],
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "note": {"type": "string"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        }
    },
)
def deploy() -> Any:
    with api_call() as (uow, user):
        key = designer_service.check_key((request.form.get("key") or "").strip())
        files = designer_service.check_files(uploaded_files())
        result = model_service.deploy_model(uow, user, key, files, request.form.get("note", ""))
        body = localize_report(designer_service.deployment_view(key, result))
    return created(body) if result.created else jsonify(body)


@blp.get("/process-models/<key>/versions")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def versions(key: str) -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, _user):
        items = [model_service.version_view(d) for d in model_service.versions(uow, key)]
    return listing(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@blp.get("/process-models/<key>/versions/<int:version>/files/<path:name>")
@blp.alt_response(403, schema=schemas.ApiError, description="not a designer or administrator")
@blp.doc(security=[{"bearerAuth": []}])
def version_file(key: str, version: int, name: str) -> Any:
    """A deployed file, to those the designer pages admit: it holds the model's scripts,
    conditions and forms, which the public diagram and the case pages strip."""
    with api_call(write=False) as (uow, user):
        access.require_role(user, *DESIGN_ROLES)
        text = model_service.version_file(uow, key, version, name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    return Response(text, mimetype=mimetype)


# ---- The designer's workbench -------------------------------------------------------------------


@blp.get("/process-models/<key>/draft")
@blp.response(200, schemas.ModelDraft)
@blp.doc(security=[{"bearerAuth": []}])
def get_draft(key: str) -> Any:
    """The model's draft, or its newest version's files when it has none (``is_draft`` false)."""
    with api_call(write=False) as (uow, user):
        return jsonify(designer_service.get_draft(uow, user, key))


@blp.put("/process-models/<key>/draft")
@blp.response(200, schemas.ModelDraft)
@blp.alt_response(413, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ModelFiles))
def save_draft(key: str) -> Any:
    with api_call() as (uow, user):
        body = parse_body(schemas.ModelFiles)
        return jsonify(designer_service.save_draft(uow, user, key, body["files"]))


@blp.post("/process-models/<key>/validate")
@blp.response(200, schemas.ValidationReport)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ValidateModel))
def validate_model(key: str) -> Any:
    """Problems and notes, always 200: validation found them, the request did not fail."""
    with api_call(write=False) as (uow, user):
        body = parse_body(schemas.ValidateModel)
        return jsonify(
            localize_report(designer_service.validate(uow, user, key, body.get("files")))
        )


@blp.post("/process-models/<key>/deploy")
@blp.response(201, schemas.Deployment)
@blp.alt_response(200, schema=schemas.Deployment)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.DeployDraft))
def deploy_draft(key: str) -> Any:
    """Deploy the draft: 201 a new version, 200 identical to the newest (none made), 422 with
    ``details.problems``. The draft is cleared unless refused."""
    with api_call() as (uow, user):
        body = parse_body(schemas.DeployDraft)
        result = designer_service.deploy_draft(uow, user, key, body["note"])
        payload = localize_report(designer_service.deployment_view(key, result))
    return created(payload) if result.created else jsonify(payload)


@blp.get("/process-models/<key>/diff")
@blp.response(200, schemas.ModelDiff)
@blp.doc(
    security=[{"bearerAuth": []}],
    parameters=[
        {
            "name": "from",
            "in": "query",
            "schema": {"type": "string"},
            "description": "版本号或 draft",
        },
        {
            "name": "to",
            "in": "query",
            "schema": {"type": "string"},
            "description": "版本号或 draft",
        },
    ],
)
def diff(key: str) -> Any:
    """Element-level diff; ``to`` defaults to the newest version, ``from`` to the one before."""
    with api_call(write=False) as (uow, user):
        return jsonify(
            designer_service.diff(uow, user, key, request.args.get("from"), request.args.get("to"))
        )


@blp.post("/process-models/<key>/migrations")
@blp.response(200, schemas.MigrationResults)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.MigrateCases))
def migrate(key: str) -> Any:
    """Move running cases to another version (or, with ``dry_run``, say whether each can)."""
    with api_call() as (uow, user):
        body = parse_body(schemas.MigrateCases)
        results = designer_service.migrate_cases(
            uow, user, key, body["to_version"], body["cases"], body["dry_run"]
        )
    return jsonify({"dry_run": body["dry_run"], "results": results})


@blp.get("/process-models/<key>/stats")
@blp.response(200, schemas.ModelStats)
@blp.doc(
    security=[{"bearerAuth": []}],
    parameters=[{"name": "version", "in": "query", "schema": {"type": "integer"}}],
)
def stats(key: str) -> Any:
    raw = request.args.get("version")
    try:
        version = int(raw) if raw else None
    except ValueError as error:
        raise BadRequest("version 应为整数", {"field": "version"}) from error
    with api_call(write=False) as (uow, user):
        return jsonify(designer_service.stats(uow, user, key, version))
