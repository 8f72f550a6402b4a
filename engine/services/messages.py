"""BPMN messages (消息) from other systems: the provincial platform, a bank, another county system.

``deliver`` is ``POST /api/v1/messages/{name}``, the way Camunda's and SpiffArena's message
correlation works:

* with ``case_no`` and/or ``correlation``, the message goes to the running case waiting for
  that message name whose values match: ``case_no`` is the case number; each ``correlation``
  key is a correlation property the model declares for the message (``bpmn:correlationProperty``,
  its retrieval expression read over the case data) or else a field of the case data. No such
  case → 404, several → 409 (nothing delivered);
* with neither, the message starts a new case of the service item whose deployed model starts
  with that message (a message start event); ``service_item`` chooses when several do, and
  ``applicant`` is required as for any case.

``payload`` lands in the case data: under the message's ``spiffworkflow:messageVariable`` when
the model names one, else merged at the top level. One transaction writes the workflow, the
inbox projection, the case event and the message waits; other systems call with an API token of
a user holding the ``integration`` (系统对接) or ``admin`` role.

``common.sync_waits`` keeps ``message_wait`` — which messages each case waits for — in line with the
workflow at every save, so a delivery finds its case without loading any workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .. import access, models
from ..errors import Conflict, NotFound, ValidationFailed
from ..runtime import start_messages
from ..uow import UnitOfWork
from . import cases
from .common import load_run, record, save_run
from .deployed import model_of, newest_versions
from .notifications import close_settled
from .progress import finish_if_done, sync_tasks

SENDER_ROLES = ("integration", "admin")
BODY_FIELDS = frozenset({"case_no", "correlation", "payload", "service_item", "applicant"})
# Case data the engine sets itself (engine/services/cases.py); a message may not overwrite it.
RESERVED_DATA = frozenset({"case_no", "service_item", "applicant"})
MAX_NAME = 128


@dataclass
class Delivery:
    message: str
    started: bool
    case: models.Case
    open_tasks: list[models.HumanTask]


def deliver(uow: UnitOfWork, user: models.User, name: str, body: Any) -> Delivery:
    access.require_role(user, *SENDER_ROLES)
    request = _parse(name, body)
    if request.case_no is None and request.correlation is None:
        return _start(uow, user, name, request)
    case = _correlate(uow, name, request)
    run = load_run(uow, case)
    if not run.deliver(name, request.payload):  # another delivery got there first
        raise NotFound(
            f"办件 {case.case_no} 已不在等待消息 {name}",
            {"message": name, "case_no": case.case_no},
            code="message_not_waited",
        )
    case.data = run.data
    save_run(uow, case, run)
    record(uow, case, user.username, "message", detail={"message": name, **request.detail()})
    synced = sync_tasks(uow, case, run)
    close_settled(uow, case)  # the 新待办 of a step the message ended
    finish_if_done(uow, case, run, user.username)
    return Delivery(name, False, case, synced.open)


@dataclass
class _Request:
    case_no: str | None
    correlation: dict[str, Any] | None
    payload: dict[str, Any]
    service_item: str | None
    applicant: Any

    def detail(self) -> dict[str, Any]:
        """What the case history keeps of the message."""
        found = {"payload": self.payload}
        if self.correlation is not None:
            found["correlation"] = self.correlation
        return found


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, {"field": field}, code="invalid_message")


def _parse(name: str, body: Any) -> _Request:
    if not name.strip() or len(name) > MAX_NAME:
        raise _invalid(f"消息名称应为 1–{MAX_NAME} 个字符", "name")
    if not isinstance(body, dict):
        raise _invalid("请求体应为 JSON 对象", "body")
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        raise ValidationFailed(
            "不认识的字段：" + "、".join(unknown),
            {"fields": {key: "不认识的字段" for key in unknown}},
            code="invalid_message",
        )
    payload = body.get("payload", {})
    if not isinstance(payload, dict):
        raise _invalid("payload 应为 JSON 对象", "payload")
    reserved = sorted(k for k in payload if k in RESERVED_DATA or k.startswith("_"))
    if reserved:
        raise ValidationFailed(
            "payload 不能改写办件的系统字段：" + "、".join(reserved),
            {"fields": {f"payload.{key}": "系统字段" for key in reserved}},
            code="invalid_message",
        )
    case_no = body.get("case_no")
    if case_no is not None and (not isinstance(case_no, str) or not case_no.strip()):
        raise _invalid("case_no 应为办件编号字符串", "case_no")
    correlation = body.get("correlation")
    if correlation is not None and (
        not isinstance(correlation, dict)
        or not correlation
        or any(isinstance(v, dict | list) for v in correlation.values())
    ):
        raise _invalid(
            "correlation 应为非空的 {属性: 值} 对象，值为字符串、数字或布尔值", "correlation"
        )
    service_item = body.get("service_item")
    if service_item is not None and not isinstance(service_item, str):
        raise _invalid("service_item 应为事项编码", "service_item")
    return _Request(case_no, correlation, payload, service_item, body.get("applicant"))


def _correlate(uow: UnitOfWork, name: str, request: _Request) -> models.Case:
    """The one running case waiting for ``name`` that matches, locked for this transaction."""
    query = (
        select(models.MessageWait, models.Case)
        .join(models.Case, models.MessageWait.case_id == models.Case.id)
        .where(models.MessageWait.name == name, models.Case.status == "running")
    )
    if request.case_no is not None:
        query = query.where(models.Case.case_no == request.case_no)
    matching = {
        case.id: case.case_no
        for wait, case in uow.session.execute(query)
        if _matches(wait, case, request.correlation or {})
    }
    if not matching:
        raise NotFound(
            f"没有等待消息 {name} 且符合条件的办件",
            {"message": name, "case_no": request.case_no, "correlation": request.correlation},
            code="message_not_correlated",
        )
    if len(matching) > 1:
        raise Conflict(
            f"消息 {name} 的关联条件匹配到 {len(matching)} 个办件，未投递：请给出更确切的关联条件",
            {"message": name, "case_nos": sorted(matching.values())},
            code="message_ambiguous",
        )
    [case_id] = matching
    return uow.session.scalars(
        select(models.Case)
        .where(models.Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _matches(wait: models.MessageWait, case: models.Case, correlation: dict[str, Any]) -> bool:
    declared, data = wait.correlation or {}, case.data or {}
    return all(
        (declared[key] if key in declared else data.get(key)) == value
        for key, value in correlation.items()
    )


def _start(uow: UnitOfWork, user: models.User, name: str, request: _Request) -> Delivery:
    """A message start event: a new case of the item whose model starts with ``name``."""
    items = starting_items(uow, name)
    if request.service_item is not None:
        items = [i for i in items if i == request.service_item]
    if not items:
        raise NotFound(
            f"没有以消息 {name} 启动的事项；要投递给等待中的办件，请给出 case_no 或 correlation",
            {"message": name, "service_item": request.service_item},
            code="message_start_not_found",
        )
    if len(items) > 1:
        raise Conflict(
            f"多个事项以消息 {name} 启动，请用 service_item 指定",
            {"message": name, "service_items": items},
            code="message_ambiguous",
        )
    applicant = request.applicant
    missing = [
        key
        for key in ("kind", "name", "id_type", "id_number")
        if not isinstance(applicant, dict) or not applicant.get(key)
    ]
    if not missing and applicant["kind"] not in cases.APPLICANT_KINDS:
        missing = ["kind"]
    if missing:
        raise ValidationFailed(
            "以消息启动办件须给出申请人（applicant: kind 为 person 或 enterprise，以及 name、"
            "id_type、id_number）",
            {"fields": {f"applicant.{key}": "缺少或不合法" for key in missing}},
            code="invalid_message",
        )
    started = cases.open_case(uow, user, items[0], applicant, request.payload, "online")
    record(
        uow, started.case, user.username, "message", detail={"message": name, **request.detail()}
    )
    return Delivery(name, True, started.case, started.next_tasks)


def starting_items(uow: UnitOfWork, name: str) -> list[str]:
    """Codes of the service items whose newest model version starts with message ``name``."""
    starts = {
        key: definition_id
        for definition_id, key, _process in newest_versions(uow.session)
        if name in start_messages(model_of(uow, definition_id))
    }
    if not starts:
        return []
    return sorted(
        uow.session.scalars(
            select(models.ServiceItem.code).where(models.ServiceItem.process_key.in_(starts))
        )
    )
