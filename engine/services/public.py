"""What anyone may see without an account: the 办事指南 and the progress lookup (进度查询).

The lookup by case number and 查询密码 shows status, current steps, deadline and light, never
personal data. A wrong password answers exactly like an unknown case, and failed attempts are
limited per client and per case number in the ``rate_limit`` table, which every app server
shares: six digits fall to a few hundred thousand guesses, so the limit is the protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lxml import etree
from sqlalchemy import func, or_, select
from sqlalchemy.orm import undefer

from .. import models, ratelimit, views
from ..camunda import is_bpmn
from ..definitions import model_elements
from ..errors import NotFound
from ..ratelimit import TooManyAttempts
from ..safexml import parse_xml
from ..security import hash_query_password, verify_query_password
from ..uow import UnitOfWork
from . import clock
from .cases import department_names, latest_definition

# ---- names of the codes a guide and a lookup show ----------------------------------------------

ITEM_TYPES = {"01": "行政许可", "07": "行政确认", "20": "公共服务"}  # GB/T 39046 (excerpt)
CASE_TYPES = {"instant": "即办件", "promised": "承诺件"}
UNITS = {"working_day": "工作日", "calendar_day": "自然日"}
MEDIA = {"paper": "纸质", "electronic": "电子", "both": "纸质或电子"}
STATUSES = {
    "running": "办理中",
    "supplement": "补正中",
    "paused": "已暂停",
    "finished": "已办结",
    "closed": "已关闭",
    "cancelled": "已取消",
}

# ---- the catalogue and the guide ---------------------------------------------------------------


def _limit(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or value.get("days") is None:
        return None
    unit = value.get("unit") or "working_day"
    return {"days": int(value["days"]), "unit": unit, "unit_name": UNITS.get(unit, unit)}


def _safe_url(value: Any) -> str | None:
    """Links from the catalogue (blank forms, samples) only if they are plain web links."""
    if isinstance(value, str) and value.startswith(("https://", "http://", "/")):
        return None if value.startswith("//") else value
    return None


def _visits(guide: dict[str, Any]) -> int | None:
    try:
        return int(guide["visits_required"])
    except (KeyError, TypeError, ValueError):
        return None


def _summary(item: models.ServiceItem) -> dict[str, Any]:
    guide = item.guide or {}
    visits = _visits(guide)
    return {
        "code": item.code,
        "base_code": guide.get("base_code"),
        "name": item.name,
        "item_type": item.item_type,
        "item_type_name": guide.get("item_type_name") or ITEM_TYPES.get(item.item_type),
        "case_type": item.case_type,
        "case_type_name": CASE_TYPES.get(item.case_type, item.case_type),
        "implementing_body": guide.get("implementing_body"),
        "legal_limit": _limit(guide.get("legal_limit")),
        "promised_limit": _limit(guide.get("promised_limit")),
        "visits_required": visits,
        "at_most_once": visits is not None and visits <= 1,  # 最多跑一次
    }


def list_items(uow: UnitOfWork, q: str | None = None) -> list[dict[str, Any]]:
    """The public catalogue, optionally searched by part of the name or of the code."""
    query = select(models.ServiceItem).options(undefer(models.ServiceItem.guide))
    text = (q or "").strip()
    if text:
        query = query.where(
            or_(
                models.ServiceItem.name.contains(text, autoescape=True),
                models.ServiceItem.code.contains(text.upper(), autoescape=True),
            )
        )
    rows = uow.session.scalars(query.order_by(models.ServiceItem.code))
    rates = visit_rates(uow)
    return [
        {**_summary(item), "visit_rates": rates.get(item.code, _rates(0, 0, 0))}
        for item in rows
        if not item.internal
    ]


def _rates(finished: int, zero: int, at_most_once: int) -> dict[str, Any]:
    def share(part: int) -> float | None:
        return round(part / finished, 4) if finished else None

    return {
        "finished": finished,
        "zero_visit_rate": share(zero),  # 零跑动: finished without the applicant coming in
        "at_most_once_rate": share(at_most_once),  # 最多跑一次
    }


def visit_rates(uow: UnitOfWork) -> dict[str, dict[str, Any]]:
    """Per item, over its finished cases: the 零跑动 (0 visits) and 最多跑一次 (≤ 1) rates."""
    case = models.Case
    rows = uow.session.execute(
        select(
            case.service_item_code,
            func.count(case.id),
            func.count(case.id).filter(case.visits == 0),
            func.count(case.id).filter(case.visits <= 1),
        )
        .where(case.status == "finished")
        .group_by(case.service_item_code)
    ).all()
    return {code: _rates(n, zero, once) for code, n, zero, once in rows}


def _item(uow: UnitOfWork, code: str) -> models.ServiceItem:
    item = uow.session.get(models.ServiceItem, code, options=[undefer(models.ServiceItem.guide)])
    if item is None or item.internal:
        raise NotFound(f"事项 {code} 不存在", code="service_item_not_found")
    return item


def guide(uow: UnitOfWork, code: str) -> dict[str, Any]:
    """The 办事指南 of one item: everything GB/T 39046 asks the public to be shown."""
    item = _item(uow, code)
    data = item.guide or {}
    names = department_names(uow)
    materials = [
        {
            "name": m.get("name", ""),
            "issuer": m.get("issuer") or "",
            "originals": int(m.get("originals") or 0),
            "copies": int(m.get("copies") or 0),
            "mandatory": bool(m.get("mandatory", True)),
            "media": m.get("media") or "both",
            "media_name": MEDIA.get(m.get("media") or "both", m.get("media")),
            "acceptance_standard": m.get("acceptance_standard") or "",
            "blank_form": _safe_url(m.get("blank_form")),
            "sample": _safe_url(m.get("sample")),
        }
        for m in data.get("materials") or []
        if isinstance(m, dict)
    ]
    fees = [
        {
            "name": f.get("name", ""),
            "standard": f.get("standard") or "",
            "basis": f.get("basis") or "",
            "waivable": bool(f.get("waivable", False)),
        }
        for f in data.get("fees") or []
        if isinstance(f, dict)
    ]
    joint = [{"code": d, "name": names.get(d, d)} for d in data.get("joint_departments") or []]
    return {
        **_summary(item),
        "implementing_body_credit_code": data.get("implementing_body_credit_code"),
        "joint_departments": joint,
        "legal_basis": data.get("legal_basis") or "",
        "result_name": data.get("result_name") or "",
        "acceptance_conditions": (data.get("acceptance_conditions") or "").strip(),
        "special_procedures": list(data.get("special_procedures") or []),
        "fees": fees,
        "free": not fees,  # 不收费
        "handling_place": data.get("handling_place") or "",
        "handling_hours": data.get("handling_hours") or "",
        "consult_phone": data.get("consult_phone") or "",
        "complaint_phone": data.get("complaint_phone") or "",
        "materials": materials,
        "faq": [
            {"question": f.get("question", ""), "answer": f.get("answer", "")}
            for f in data.get("faq") or []
            if isinstance(f, dict)
        ],
        "process_key": item.process_key,
        "steps": _steps(uow, item, names),
    }


def _steps(
    uow: UnitOfWork, item: models.ServiceItem, names: dict[str, str]
) -> list[dict[str, Any]]:
    """办理流程 as a reader follows it: the deployed model's user tasks in the order its flow
    reaches them, each with the department that does it (its lane) and its own time limit
    (``dueWorkingDays``); none while no model is deployed."""
    try:
        definition = latest_definition(uow, item.process_key)
    except NotFound:
        return []
    meta: dict[str, dict[str, Any]] = definition.task_meta or {}
    order = _flow_order(definition.files or {})
    ranked = sorted(meta, key=lambda task_id: order.get(task_id, len(order)))
    steps = []
    for number, task_id in enumerate(ranked, start=1):
        task = meta[task_id]
        department = task.get("department") or ""
        days = task.get("due_working_days")
        steps.append(
            {
                "no": number,
                "name": task.get("name") or task_id,
                "department_name": names.get(department) or task.get("lane") or department,
                "due_working_days": int(days) if str(days or "").isdigit() else None,
            }
        )
    return steps


def _flow_order(files: dict[str, str]) -> dict[str, int]:
    """Each element's place in a breadth-first walk from the start events along sequence flows
    (and from a step to the events on its boundary), so exception paths come after the way
    the case normally goes."""
    elements = model_elements(files)
    following: dict[str, list[str]] = {}
    for element in elements.values():
        facets = element["facets"]
        if element["type"] == "sequenceFlow" and facets.get("source"):
            following.setdefault(facets["source"], []).append(facets.get("target") or "")
        elif element["type"] == "boundaryEvent" and facets.get("attached_to"):
            following.setdefault(facets["attached_to"], []).append(element["id"])
    queue = [e["id"] for e in elements.values() if e["type"] == "startEvent"]
    order: dict[str, int] = {}
    while queue:
        current = queue.pop(0)
        if current in order:
            continue
        order[current] = len(order)
        queue.extend(following.get(current, []))
    return order


# Parts of a model that run it rather than draw it: scripts, conditions, forms and other
# extension data, internal notes. The public diagram needs only shapes, names and edges.
_PRIVATE_ELEMENTS = ("extensionElements", "script", "conditionExpression", "documentation")
_BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def diagram_xml(uow: UnitOfWork, code: str) -> str:
    """The BPMN of the item's latest deployed model, stripped to what a reader needs to see."""
    item = _item(uow, code)
    definition = latest_definition(uow, item.process_key)
    files = {n: t for n, t in sorted((definition.files or {}).items()) if is_bpmn(n)}
    if not files:
        raise NotFound(f"流程模型 {item.process_key} 没有流程图", code="diagram_not_found")
    main = f'id="{definition.process_id}"'
    name, text = next(((n, t) for n, t in files.items() if main in t), next(iter(files.items())))
    return public_bpmn(text, name)


def public_bpmn(text: str, filename: str = "model.bpmn") -> str:
    tree = parse_xml(text.encode("utf-8"), filename)
    private = [f"{{{_BPMN_MODEL}}}{tag}" for tag in _PRIVATE_ELEMENTS]
    for element in list(tree.iter(*private)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return etree.tostring(tree, encoding="unicode")


# ---- progress lookup (进度查询) ------------------------------------------------------------------

KEY_PREFIX = "public_track:"
NOTICE_PREFIX = "notice_password:"


@dataclass(frozen=True)
class TrackLimits:
    """Failed lookups allowed per window; a setting in production, these are the defaults.

    The address is the one that is throttled. The per-case limit is gentle: it lies above what
    one address can send in a window (even across its window's edge, 2 × ``per_client``), so
    a single address cannot lock an applicant out of their case; a crowd of addresses guessing
    one case is still held to ``per_case`` guesses a window.
    """

    per_client: int = 10
    per_case: int = 25
    window: timedelta = timedelta(minutes=15)


DEFAULT_LIMITS = TrackLimits()
NOT_FOUND_MESSAGE = "办件编号或查询密码不正确"
TOO_MANY_MESSAGE = "查询失败次数过多，请稍后再试"
# Unknown cases are checked against this, so they cost the same time as a wrong password.
_DUMMY_HASH = hash_query_password("000000")


def track_case(
    uow: UnitOfWork,
    case_no: str,
    password: str,
    client_key: str,
    limits: TrackLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The public progress of one case, for whoever holds its number and 查询密码."""
    return progress(uow, authenticate_case(uow, case_no, password, client_key, limits, now))


def authenticate_case(
    uow: UnitOfWork,
    case_no: str,
    password: str,
    client_key: str,
    limits: TrackLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> models.Case:
    """The case whose number and 查询密码 the caller holds (a lookup, a rating).

    Raises ``NotFound`` (same message whether the case is unknown or the password wrong) or
    ``TooManyAttempts`` (also for a correct password while the client or case is limited).
    A failed attempt is committed here before ``NotFound`` is raised, because the caller's unit
    of work rolls back on the error and the count must stay.
    """
    case_no = (case_no or "").strip()
    now = now or models.utcnow()
    keys = [
        ratelimit.Limit(
            ratelimit.key(KEY_PREFIX, "ip", client_key or "unknown"),
            limits.per_client,
            limits.window,
        ),
        ratelimit.Limit(ratelimit.key(KEY_PREFIX, "case", case_no), limits.per_case, limits.window),
    ]
    ratelimit.check(uow, keys, now, TOO_MANY_MESSAGE)

    found = uow.session.scalars(
        select(models.Case).where(models.Case.case_no == case_no)
    ).one_or_none()
    stored = found.query_password_hash if found is not None else _DUMMY_HASH
    matches = verify_query_password(password or "", stored)  # checked either way: same time
    if found is None or not matches:
        wait = ratelimit.count_failure(uow, keys, now)
        ratelimit.forget_expired(uow, KEY_PREFIX, now, limits.window)
        uow.commit()
        if wait:
            raise TooManyAttempts(wait, TOO_MANY_MESSAGE)
        raise NotFound(NOT_FOUND_MESSAGE, code="case_not_found")
    return found


NOTICE_GUESSES = TrackLimits(per_client=5, per_case=5, window=timedelta(minutes=15))


def check_notice_password(
    uow: UnitOfWork, username: str, case: models.Case, password: str, now: datetime
) -> bool:
    """Whether ``password`` is the case's 查询密码, for printing it on the acceptance notice.

    A staff member who can see the case could otherwise try passwords on the notice page
    without end; failures are limited per user and per case like public lookups (and
    committed here for the same reason).
    """
    keys = [
        ratelimit.Limit(
            ratelimit.key(NOTICE_PREFIX, "user", username),
            NOTICE_GUESSES.per_client,
            NOTICE_GUESSES.window,
        ),
        ratelimit.Limit(
            ratelimit.key(NOTICE_PREFIX, "case", case.case_no),
            NOTICE_GUESSES.per_case,
            NOTICE_GUESSES.window,
        ),
    ]
    message = "查询密码核对失败次数过多，请稍后再试"
    ratelimit.check(uow, keys, now, message)
    if verify_query_password(password, case.query_password_hash):
        return True
    wait = ratelimit.count_failure(uow, keys, now)
    ratelimit.forget_expired(uow, NOTICE_PREFIX, now, NOTICE_GUESSES.window)
    uow.commit()
    if wait:
        raise TooManyAttempts(wait, message)
    return False


def _timeline(uow: UnitOfWork, case: models.Case, names: dict[str, str]) -> list[dict[str, Any]]:
    """The case's way so far for the applicant: filed, each step done or under way (name,
    department, local time) and the end — never who did it or what they wrote."""
    steps = uow.session.scalars(
        select(models.HumanTask)
        .where(
            models.HumanTask.case_id == case.id,
            models.HumanTask.state.in_(("completed", "ready", "claimed")),
        )
        .order_by(models.HumanTask.created_at, models.HumanTask.id)
    ).all()
    entries: list[dict[str, Any]] = [
        {
            "name": "提交申请",
            "department_name": "",
            "at": views.iso(case.created_at),
            "state": "done",
        }
    ]
    done = sorted(
        (t for t in steps if t.state == "completed"),
        key=lambda t: views.iso(t.completed_at) or "",
    )
    for task in [*done, *(t for t in steps if t.state != "completed")]:
        finished = task.state == "completed"
        entries.append(
            {
                "name": task.name,
                "department_name": names.get(task.department_code, task.department_code or ""),
                "at": views.iso(task.completed_at if finished else task.created_at),
                "state": "done" if finished else "active",
            }
        )
    if case.finished_at is not None:
        entries.append(
            {
                "name": "办结",
                "department_name": "",
                "at": views.iso(case.finished_at),
                "state": "done",
            }
        )
    return entries


def progress(uow: UnitOfWork, case: models.Case) -> dict[str, Any]:
    """Status, current steps, deadline and light: nothing about the applicant or the data."""
    reading = clock.clock_view(clock.reading(uow, case))
    summary = views.case_summary(case, reading["light"])
    names = department_names(uow)
    open_steps = uow.session.scalars(
        select(models.HumanTask)
        .where(
            models.HumanTask.case_id == case.id,
            models.HumanTask.state.in_(("ready", "claimed")),
        )
        .order_by(models.HumanTask.created_at, models.HumanTask.name)
    ).all()
    result = summary["result"]
    return {
        "timeline": _timeline(uow, case, names),
        "case_no": summary["case_no"],
        "service_item": summary["service_item"],
        "service_item_name": summary["service_item_name"],
        "status": summary["status"],
        "status_name": STATUSES.get(summary["status"], summary["status"]),
        "current_steps": [
            {
                "name": t.name,
                "department": t.department_code,
                "department_name": names.get(t.department_code, t.department_code),
            }
            for t in open_steps
        ],
        "due_date": reading["due_date"],
        "light": summary["light"],
        "provisional": bool(reading.get("provisional")),
        "accepted_at": summary["accepted_at"],
        "finished_at": summary["finished_at"],
        "result": result,
        "result_name": views.result_name(result),
        "supplement": supplement_notice(uow, case),
        "delivery": delivery_of(uow, case),
    }


E_LICENCE = "电子证照"
BY_POST = "邮寄"


def delivery_of(uow: UnitOfWork, case: models.Case) -> dict[str, Any] | None:
    """How the result reached the applicant, from the step that delivered it (出件): by post with
    its tracking number, as an e-licence to download, or at the window."""
    task = models.HumanTask
    steps = uow.session.scalars(
        select(task)
        .where(task.case_id == case.id, task.state == "completed")
        .order_by(task.completed_at.desc(), task.id.desc())
    ).all()
    data = next((t.data for t in steps if (t.data or {}).get("delivery_method")), None)
    if data is None:
        return None
    method = str(data["delivery_method"])
    return {
        "method": method,
        "tracking_no": str(data.get("mail_tracking_no") or "") if method == BY_POST else "",
        "e_licence": method == E_LICENCE and case.status == "finished",
    }


def supplement_notice(uow: UnitOfWork, case: models.Case) -> dict[str, Any] | None:
    """The open 补正 notice — every missing item at once — while the case waits for them: the
    latest completed step decided 补正 and the case is not finished. The applicant answers it
    by uploading from the progress page (engine/services/online.py)."""
    if case.status == "finished":
        return None
    task = models.HumanTask
    last = uow.session.scalars(
        select(task)
        .where(task.case_id == case.id, task.state == "completed")
        .order_by(task.completed_at.desc(), task.id.desc())
        .limit(1)
    ).first()
    data = (last.data or {}) if last is not None else {}
    if data.get("decision") != "supplement":
        return None
    return {
        "missing": [str(m) for m in data.get("missing_materials") or []],
        "reason": str(data.get("reason") or ""),
        "notified_at": views.iso(last.completed_at),
    }
