"""Domain errors raised by the service layer; web/ maps each one to an HTTP status once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a caller can be shown; ``code`` is the API's snake_case code."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, details: dict[str, Any] | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    """A request or a value over its size limit."""

    status = 413
    code = "too_large"


class UnsupportedMedia(DomainError):
    """A file whose content is none of the accepted types."""

    status = 415
    code = "unsupported_media_type"


class ValidationFailed(DomainError):
    """Form data or a model failed validation; ``details`` names the fields or elements."""

    status = 422
    code = "validation_failed"


class ModelInvalid(ValidationFailed):
    """A process model was refused; ``problems`` lists file, line, element and message."""

    code = "invalid_model"

    def __init__(self, problems: list[dict[str, Any]]):
        lines = [format_problem(p) for p in problems]
        super().__init__("流程模型校验未通过：\n" + "\n".join(lines), {"problems": problems})
        self.problems = problems


class ModelRuntimeError(ValidationFailed):
    """The model cannot take the step with this case's data: a condition naming a variable the
    case lacks, a gateway with no way out, a failing script. Nothing of the step is saved.

    ``parts`` (message templates) and ``params`` let the web layer say it in the reader's
    language.
    """

    code = "model_error"

    def __init__(self, parts: tuple[str, ...], params: dict[str, Any], details: dict[str, Any]):
        super().__init__("".join(part % params for part in parts), details)
        self.parts, self.params = parts, params


class EngineIntegrityError(Conflict):
    """The workflow engine reached a state it cannot be trusted in; nothing is saved."""

    code = "engine_integrity"


def format_problem(problem: dict[str, Any]) -> str:
    """One problem as ``file:line [element] message`` — the text the CLI and API both show."""
    where = problem.get("file") or "?"
    if problem.get("line"):
        where += f":{problem['line']}"
    element = f" [{problem['element_id']}]" if problem.get("element_id") else ""
    return f"{where}{element} {problem['message']}"
