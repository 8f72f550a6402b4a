"""The service-item catalogue (事项)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint
from sqlalchemy import select

from engine import models
from engine.catalogue import item_view, save_item
from engine.errors import NotFound

from . import api_call, created, json_body, listing, paging, request_body, schemas

blp = Blueprint("api_items", __name__, description="事项 Service items")


@blp.get("/service-items")
@blp.response(200, schemas.Page)
@blp.doc(security=[{"bearerAuth": []}])
def list_items() -> Any:
    page, per_page = paging()
    with api_call(write=False) as (uow, _user):
        rows = uow.session.scalars(select(models.ServiceItem).order_by(models.ServiceItem.code))
        items = [item_view(i) for i in rows]
    return listing(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@blp.get("/service-items/<code>")
@blp.response(200, schemas.ServiceItem)
@blp.doc(security=[{"bearerAuth": []}])
def get_item(code: str) -> Any:
    with api_call(write=False) as (uow, _user):
        item = uow.session.get(models.ServiceItem, code)
        if item is None:
            raise NotFound(f"事项 {code} 不存在", code="service_item_not_found")
        return jsonify(item_view(item))


@blp.put("/service-items/<code>")
@blp.response(200, schemas.ServiceItem)
@blp.alt_response(201, schema=schemas.ServiceItem)
@blp.alt_response(422, schema=schemas.ApiError)
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(schemas.ServiceItem))
def put_item(code: str) -> Any:
    with api_call() as (uow, user):
        row, was_created = save_item(uow, user, code, json_body())
        body = item_view(row)
    return created(body) if was_created else jsonify(body)
