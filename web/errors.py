"""Domain errors → HTTP, in one place: JSON under /api, a readable page elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import DomainError

from .i18n import gettext

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def api_error(status: int, code: str, message: str, details: dict[str, Any] | None = None):
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="onewindow"'
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


def translated(error: DomainError) -> str:
    """An error that says how it is composed (``parts``) is said in the reader's language."""
    parts = getattr(error, "parts", None)
    if not parts:
        return error.message
    return "".join(gettext(part, **error.params) for part in parts)


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response | tuple[str, int]:
        message = translated(error)
        if _wants_json():
            return api_error(error.status, error.code, message, error.details)
        return _page(error.status, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        status = error.code or 500
        if not _wants_json():
            return _page(status, error.description or error.name)
        details: dict[str, Any] = {}
        messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
        if messages:  # webargs/marshmallow request validation
            details["fields"] = messages.get("json", messages)
        message = "请求参数有误" if messages else (error.description or error.name)
        return api_error(status, STATUS_CODES.get(status, "error"), message, details)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return api_error(500, "internal_error", "服务器内部错误，请稍后重试")
        return _page(500, "服务器内部错误，请稍后重试")
