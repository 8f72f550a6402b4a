"""Process models: deploy versions, list them, read deployed files."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from engine.definitions import MODEL_SUFFIXES
from engine.errors import BadRequest
from engine.services import models as model_service

from . import api_call, created, listing, paging, schemas

blp = Blueprint("api_models", __name__, description="流程模型 Process models")

MAX_MODEL_FILE = 2 * 1024 * 1024


def uploaded_files() -> dict[str, str]:
    """The multipart files of a deploy request, decoded as UTF-8 and checked for type."""
    files: dict[str, str] = {}
    for upload in request.files.getlist("files") or list(request.files.values()):
        name = (upload.filename or "").replace("\\", "/").split("/")[-1]
        if not name.endswith(MODEL_SUFFIXES):
            raise BadRequest(
                f"不支持的文件类型：{name}（只接受 .bpmn .dmn .json）",
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
        key = (request.form.get("key") or "").strip()
        if not key:
            raise BadRequest("缺少模型标识 key", {"field": "key"})
        result = model_service.deploy_model(
            uow, user, key, uploaded_files(), request.form.get("note", "")
        )
        body = {"key": key, **model_service.version_view(result.definition)}
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
@blp.doc(security=[{"bearerAuth": []}])
def version_file(key: str, version: int, name: str) -> Any:
    with api_call(write=False) as (uow, _user):
        text = model_service.version_file(uow, key, version, name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    return Response(text, mimetype=mimetype)
