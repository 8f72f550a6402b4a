"""Domain errors → HTTP, in one place: JSON under /api, a readable page elsewhere.

Bad input is refused here too, before any view reads it, so that it answers 4xx and never 500:
JSON that does not parse (nested 100,000 deep, integers past Python's 4,300 digits), text the
database cannot store (NUL, lone surrogates), ids past the database's integers (the ``int``
route converter is bounded, so they are unknown: 404), and whatever the database still refuses
as data (a value too long for its column on PostgreSQL).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from engine.errors import DomainError, ModelInvalid

from .i18n import gettext
from .model_messages import localize_refusal

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


MAX_PATH_INT = 2**31 - 1
"""The largest id a route accepts: ids are 32-bit INTEGER columns on PostgreSQL."""
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BoundedIntegerConverter(IntegerConverter):
    """``<int:id>`` that matches no number beyond ``MAX_PATH_INT``, which no row can have;
    the app installs it before registering any route (routes pick converters when added)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_PATH_INT,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


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


def _unstorable_text(value: Any) -> tuple[str, str] | None:
    """Where (``applicant.name``) the first string holding NUL or a lone surrogate is, and
    the character found."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str) and (found := _UNSTORABLE.search(item)):
            return path or "body", found.group()
        if isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}".lstrip(".")
                if found := _UNSTORABLE.search(key):
                    return name.encode("utf-8", "backslashreplace").decode(), found.group()
                pending.append((name, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{n}]", child) for n, child in enumerate(item))
    return None


def refuse_malformed_json() -> None:
    """Views and webargs parse the body again; this parse fails first, with a 400."""
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:  # a UnicodeDecodeError is a ValueError
        raise DomainError("请求体不是有效的 JSON", code="invalid_json") from error
    unstorable = _unstorable_text(body)
    if unstorable is None:
        return
    field, character = unstorable
    if character == "\x00":
        raise DomainError("文本不能包含 NUL 字符", {"field": field}, code="invalid_text")
    raise DomainError(
        "文本不是合法的 UTF-8：含不成对的代理项（surrogate）",
        {"field": field},
        code="invalid_encoding",
    )


def init_app(app: Flask) -> None:
    app.before_request(refuse_malformed_json)

    @app.errorhandler(DataError)
    def data_error(error: DataError) -> Response | tuple[str, int]:
        log.warning("database refused data on %s %s", request.method, request.path)
        message = "提交的内容超出允许的长度或范围"
        if _wants_json():
            return api_error(422, "invalid_value", message)
        return _page(422, message)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response | tuple[str, int, dict[str, str]]:
        retry = error.details.get("retry_after") if error.status == 429 else None
        headers = {"Retry-After": str(retry)} if retry else {}
        message, details = translated(error), error.details
        if isinstance(error, ModelInvalid):
            message, details = localize_refusal(error)
        if _wants_json():
            response = api_error(error.status, error.code, message, details)
            response.headers.update(headers)
            return response
        return (*_page(error.status, message), headers)

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
