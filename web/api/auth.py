"""POST /auth/token and token revocation."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint

from engine.services import auth as auth_service
from engine.services import users as user_service

from ..auth import client_address, now
from ..database import unit_of_work
from . import api_call, bearer_token, schemas

blp = Blueprint("api_auth", __name__, description="登录与令牌 Authentication")


@blp.post("/auth/token")
@blp.arguments(schemas.TokenRequest)
@blp.response(200, schemas.TokenResponse)
@blp.alt_response(401, schema=schemas.ApiError)
@blp.alt_response(429, schema=schemas.ApiError, description="too many failed log-ins")
def issue_token(body: dict[str, str]) -> Any:
    """A bearer token for these credentials; failures are throttled like the login page's."""
    with unit_of_work() as uow:
        user = auth_service.authenticate(
            uow, body["username"], body["password"], address=client_address(), now=now()
        )
        token = auth_service.issue_token(uow, user)
        return jsonify({"token": token, "user": user_service.user_view(user)})


@blp.delete("/auth/token")
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}])
def revoke_token() -> Any:
    token = bearer_token()
    with api_call() as (uow, _user):
        auth_service.revoke_token(uow, token)
    return "", 204


@blp.get("/me")
@blp.response(200, schemas.UserView)
@blp.doc(security=[{"bearerAuth": []}])
def me() -> Any:
    with api_call(write=False) as (_uow, user):
        return jsonify(user_service.user_view(user))
