"""POST /messages/{name}: other systems deliver BPMN messages (engine/services/messages.py)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.services import cases as case_service
from engine.services import messages as message_service

from . import api_call, json_body, request_body, schemas

blp = Blueprint("api_messages", __name__, description="消息 Messages (message correlation)")


class MessageRequest(Schema):
    case_no = fields.String(
        metadata={"description": "deliver to this case (办件编号), if it waits for the message"}
    )
    correlation = fields.Dict(
        metadata={
            "description": "deliver to the one waiting case whose correlation properties (or, "
            "for keys the model does not declare, case data fields) equal these values"
        }
    )
    payload = fields.Dict(
        metadata={
            "description": "lands in the case data: under the message's messageVariable if the "
            "model names one, else merged at the top level"
        }
    )
    service_item = fields.String(
        metadata={"description": "without case_no and correlation: the item to start a case of"}
    )
    applicant = fields.Dict(
        metadata={"description": "required when the message starts a case (as POST /cases)"}
    )


class MessageDelivery(Schema):
    message = fields.String()
    started = fields.Boolean(metadata={"description": "a message start event opened the case"})
    cases = fields.List(fields.Nested(schemas.Case), metadata={"description": "the case reached"})


@blp.post("/messages/<name>")
@blp.response(200, MessageDelivery, description="delivered to a waiting case")
@blp.alt_response(201, schema=MessageDelivery, description="a message start event opened a case")
@blp.alt_response(403, schema=schemas.ApiError, description="not an integration or admin user")
@blp.alt_response(404, schema=schemas.ApiError, description="no case waits, or no item starts")
@blp.alt_response(409, schema=schemas.ApiError, description="several cases or items match")
@blp.alt_response(422, schema=schemas.ApiError, description="invalid body or payload")
@blp.doc(security=[{"bearerAuth": []}], requestBody=request_body(MessageRequest))
def deliver(name: str) -> Any:
    with api_call() as (uow, user):
        delivery = message_service.deliver(uow, user, name, json_body())
        case = case_service.case_brief(uow, delivery.case, delivery.open_tasks)
        body = {"message": delivery.message, "started": delivery.started, "cases": [case]}
    response = jsonify(body)
    response.status_code = 201 if delivery.started else 200
    return response
