"""Incidents (卡件): cases the engine could not move on by itself, for administrators."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint

from engine import models
from engine.services import incidents as incident_service

from . import api_call, schemas

blp = Blueprint("api_incidents", __name__, description="卡件 Incidents")


@blp.get("/incidents")
@blp.response(200, schemas.Items)
@blp.alt_response(403, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def list_incidents() -> Any:
    """Open incidents, newest first (``?all=1``: resolved ones too)."""
    with api_call(write=False) as (uow, user):
        items = incident_service.list_incidents(
            uow, user, include_resolved=request.args.get("all") in ("1", "true")
        )
    return jsonify({"items": items})


@blp.post("/incidents/<int:incident_id>/retry")
@blp.response(200, schemas.Incident)
@blp.alt_response(404, schema=schemas.ApiError)
@blp.alt_response(409, schema=schemas.ApiError)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}])
def retry_incident(incident_id: int) -> Any:
    """Fire the case's failed timers again now (after the case was migrated to a fixed model)."""
    with api_call() as (uow, user):
        view = incident_service.retry(uow, user, incident_id, models.utcnow())
    return jsonify(view)
