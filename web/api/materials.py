"""Materials (申请材料) of a case: the checklist, paper receipts and scans (API.md "Materials").

The same service calls as the intake page, so the same rule holds: completing the intake step
with ``accept`` while a mandatory material is neither received nor waived answers 422 with
``details.missing`` (engine/services/materials.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, jsonify, request
from flask_smorest import Blueprint

from engine.errors import BadRequest
from engine.services import cases as case_service
from engine.services import materials as material_service

from . import api_call, created, documented, listing, paging, parse_body, request_body, schemas

blp = Blueprint("api_materials", __name__, description="申请材料 Materials")


@blp.get("/cases/<case_no>/materials")
@blp.response(200, schemas.Page)
@documented(blp, 400, 404)
@blp.doc(security=[{"bearerAuth": []}])
def checklist(case_no: str) -> Any:
    """The item's materials with what the window received, waived or is still missing."""
    page, per_page = paging()
    with api_call(write=False) as (uow, user):
        case = case_service.visible_case(uow, user, case_no)
        lines = material_service.checklist_view(uow, case)
    return listing(lines[(page - 1) * per_page : page * per_page], len(lines), page, per_page)


@blp.put("/cases/<case_no>/materials/<name>")
@blp.response(200, schemas.MaterialLine)
@documented(blp, 400, 403, 404, 409, 422)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.MaterialReceipt))
def record_receipt(case_no: str, name: str) -> Any:
    """Record what arrived on paper (originals and copies), or that the material is waived."""
    with api_call() as (uow, user):
        body = parse_body(schemas.MaterialReceipt)
        case = case_service.visible_case(uow, user, case_no)
        material_service.record_receipt(
            uow,
            user,
            case,
            name,
            body["originals"],
            body["copies"],
            body.get("waived", False),
            body.get("note") or "",
        )
        uow.session.flush()
        lines = material_service.checklist_view(uow, case)
        return jsonify(next(line for line in lines if line["name"] == name))


@blp.post("/cases/<case_no>/materials")
@blp.response(201, schemas.MaterialFile)
@documented(blp, 400, 403, 404, 409, 413, 422)
@blp.doc(
    security=[{"bearerAuth": []}],
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["material", "file"],
                    "properties": {
                        "material": {"type": "string", "description": "清单上的材料名称"},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    },
)
def add_scan(case_no: str) -> Any:
    """Add a scan (PDF, JPEG or PNG) of one material of the checklist."""
    with api_call() as (uow, user):
        upload = request.files.get("file")
        name = (request.form.get("material") or "").strip()
        if upload is None or not name:
            raise BadRequest("需要 material 和 file 两个字段", {"fields": ["material", "file"]})
        data = upload.read()
        case = case_service.visible_case(uow, user, case_no)
        stored = material_service.store_material(
            uow,
            user,
            case,
            name,
            upload.filename or "",
            upload.mimetype or "",
            data,
            Path(current_app.config["UPLOAD_DIR"]),
        )
        uow.session.flush()
        return created(material_service.material_view(stored))
