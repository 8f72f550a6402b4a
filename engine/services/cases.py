"""Case use cases: start a case (办件), read one, list what a user may see."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from .. import access, masking, models, views
from ..clock import add_working_days, step_light
from ..errors import BadRequest, NotFound
from ..identity import id_number_problem
from ..paging import Page, fetch_page
from ..runtime import CaseRun
from ..security import hash_query_password, new_query_password
from ..uow import UnitOfWork
from ..workdays import calendar, today
from . import clock
from .common import keep, load_run, local_now, record, save_run
from .deployed import called_models, definition_of, model_of
from .incidents import open_incidents_of
from .list_filters import REGION_CODE, Filters, search_clause
from .progress import finish_if_done, sync_tasks
from .scorecard_rules import drill_clauses

APPLICANT_KINDS = ("person", "enterprise")
LIGHTS = ("none", "green", "yellow", "red")


@dataclass
class StartedCase:
    case: models.Case
    query_password: str
    next_tasks: list[models.HumanTask]


_names: tuple[float, dict[str, str]] = (0.0, {})
NAMES_TTL = 60.0  # seconds: a renamed department shows everywhere within a minute


def department_names(uow: UnitOfWork) -> dict[str, str]:
    global _names
    fetched_at, names = _names
    if time.monotonic() - fetched_at > NAMES_TTL:
        rows = uow.session.execute(select(models.Department.code, models.Department.name))
        names = dict(rows.all())
        _names = (time.monotonic(), names)
    return names


def _next_case_no(uow: UnitOfWork, item: models.ServiceItem) -> str:
    """``<region><yyyymmdd><item type><seq>``: readable, unique, never reused.

    One upsert draws the number: the day's first case inserts the counter row, every other
    one increments it, and the row stays locked until the transaction ends, so two windows
    never draw the same number — nor fail when both take in the day's first case (an update
    followed by an insert let one of them hit the primary key).
    """
    day = local_now().strftime("%Y%m%d")
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    draw = (
        dialect.insert(models.CaseCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=[models.CaseCounter.day], set_={"last": models.CaseCounter.last + 1}
        )
        .returning(models.CaseCounter.last)
    )
    bumped = uow.session.execute(draw).scalar_one()
    return f"{REGION_CODE}{day}{item.item_type[:2]:0>2}{bumped:05d}"


def _applicant(payload: Any) -> dict[str, str]:
    if not isinstance(payload, dict):
        raise BadRequest("缺少申请人信息", {"field": "applicant"}, code="invalid_applicant")
    missing = [k for k in ("kind", "name", "id_type", "id_number") if not payload.get(k)]
    if missing:
        raise BadRequest(
            "申请人信息不完整",
            {"fields": {k: "该字段为必填项" for k in missing}},
            code="invalid_applicant",
        )
    if payload["kind"] not in APPLICANT_KINDS:
        raise BadRequest(
            "申请人类型应为 person 或 enterprise",
            {"field": "applicant.kind"},
            code="invalid_applicant",
        )
    problem = id_number_problem(str(payload["id_type"]), str(payload["id_number"]))
    if problem:
        raise BadRequest(
            problem,
            {"fields": {"applicant.id_number": problem}},
            code="invalid_applicant",
        )
    return {k: str(payload.get(k) or "") for k in ("kind", "name", "id_type", "id_number", "phone")}


AGENT_FIELDS = ("name", "id_number", "relation", "authorization_no")


def _agent(payload: Any) -> dict[str, str] | None:
    """帮办代办: who files for the applicant and under which authorization (委托书)."""
    if payload is None or payload == {}:
        return None
    if not isinstance(payload, dict):
        raise BadRequest("agent 应为对象", {"field": "agent"}, code="invalid_agent")
    missing = [k for k in ("name", "id_number", "authorization_no") if not payload.get(k)]
    if missing:
        raise BadRequest(
            "代办人信息不完整（姓名、证件号码、授权委托书编号）",
            {"fields": {f"agent.{k}": "该字段为必填项" for k in missing}},
            code="invalid_agent",
        )
    return {k: str(payload.get(k) or "") for k in AGENT_FIELDS}


def start_case(
    uow: UnitOfWork,
    user: models.User,
    service_item: str,
    applicant: Any,
    data: dict[str, Any] | None = None,
    channel: str = "window",
    agent: dict[str, Any] | None = None,
) -> StartedCase:
    access.require_role(user, "window", "commissioner")
    agent = _agent(agent)
    if "window" not in user.role_codes and agent is None:
        raise BadRequest(
            "企业服务专员须以帮办代办方式提交，并填写代办人信息",
            {"field": "agent"},
            code="agent_required",
        )
    item = uow.session.get(models.ServiceItem, service_item)
    if item is not None and item.internal:
        raise NotFound(f"事项 {service_item} 不存在", code="service_item_not_found")
    return open_case(uow, user, service_item, applicant, data, channel, agent)


def open_case(
    uow: UnitOfWork,
    user: models.User,
    service_item: str,
    applicant: Any,
    data: dict[str, Any] | None,
    channel: str,
    agent: dict[str, str] | None = None,
) -> StartedCase:
    """Open a case of the item on its newest model version, whoever may: the window (受理),
    or another system whose message starts the item's process (engine/services/messages.py)."""
    item = uow.session.get(models.ServiceItem, service_item)
    if item is None:
        raise NotFound(f"事项 {service_item} 不存在", code="service_item_not_found")
    if data is not None and not isinstance(data, dict):
        raise BadRequest("data 应为对象", {"field": "data"})
    person = _applicant(applicant)
    definition = latest_definition(uow, item.process_key)
    password = new_query_password()
    case = models.Case(
        case_no=_next_case_no(uow, item),
        service_item_code=item.code,
        definition_id=definition.id,
        applicant_kind=person["kind"],
        applicant_name=person["name"],
        applicant_id_type=person["id_type"],
        applicant_id_number=person["id_number"],
        applicant_phone=person["phone"],
        channel=channel,
        visits=1 if channel == "window" else 0,  # an online application costs no trip
        agent=agent,
        query_password_hash=hash_query_password(password),
        intake_department=user.department_code,
        created_by=user.username,
        created_at=models.utcnow(),
    )
    case.definition = definition
    case.service_item = item
    initial = {
        **(data or {}),
        "case_no": case.case_no,
        "service_item": item.code,
        "applicant": {"kind": person["kind"], "name": person["name"]},
    }
    run = CaseRun.start(model_of(uow, definition.id), initial, called_models(uow))
    case.data = run.data
    uow.session.add(case)
    # the case row at once: its workflow rows, events, notices and texts are Core inserts that
    # reference it, written as they happen rather than at the next flush
    uow.session.flush()
    save_run(uow, case, run)
    keep(uow, case, run)
    record(
        uow,
        case,
        user.username,
        "start",
        detail={
            "service_item": item.code,
            "channel": channel,
            **({"agent": agent["name"], "relation": agent["relation"]} if agent else {}),
        },
    )
    created = sync_tasks(uow, case, run).created
    finish_if_done(uow, case, run, user.username)
    return StartedCase(case, password, created)


def case_brief(
    uow: UnitOfWork, case: models.Case, open_tasks: list[models.HumanTask]
) -> dict[str, Any]:
    """The case right after a step, from what the step already holds: no history, no re-reads.

    Its size does not grow with the case (GET the case for the history and the full clock).
    """
    names = department_names(uow)
    definition = definition_of(uow.session, case.definition_id)
    return {
        **views.case_summary(case, clock.list_light(uow, case)),
        "clock": {"state": case.clock_state, "due_date": views.iso(case.due_date)},
        "process": {"key": definition.key, "version": definition.version},
        "data": case.data,
        "open_tasks": [views.task_view(t, names, clock.task_light(uow, t)) for t in open_tasks],
    }


def latest_definition(uow: UnitOfWork, key: str) -> models.ProcessDefinition:
    definition = uow.session.scalars(
        select(models.ProcessDefinition)
        .where(models.ProcessDefinition.key == key)
        .order_by(models.ProcessDefinition.version.desc())
        .limit(1)
    ).first()
    if definition is None:
        raise NotFound(f"流程模型 {key} 尚未部署", code="process_not_deployed")
    return definition


def visible_case(uow: UnitOfWork, user: models.User, case_no: str) -> models.Case:
    case = uow.session.scalars(
        select(models.Case).where(models.Case.case_no == case_no, access.visible_cases(user))
    ).one_or_none()
    if case is None:
        raise NotFound(f"办件 {case_no} 不存在或无权查看", code="case_not_found")
    return case


def case_tasks(
    uow: UnitOfWork, case: models.Case, *, open_only: bool = False
) -> list[models.HumanTask]:
    query = select(models.HumanTask).where(models.HumanTask.case_id == case.id)
    if open_only:
        query = query.where(models.HumanTask.state.in_(("ready", "claimed")))
    return list(uow.session.scalars(query.order_by(models.HumanTask.created_at)))


def case_events(uow: UnitOfWork, case: models.Case) -> list[models.CaseEvent]:
    return list(
        uow.session.scalars(
            select(models.CaseEvent)
            .where(models.CaseEvent.case_id == case.id)
            .order_by(models.CaseEvent.id)
        )
    )


def get_case(
    uow: UnitOfWork,
    user: models.User,
    case_no: str,
    *,
    with_steps: bool = False,
    with_diagram: bool = False,
    with_events: bool = True,
) -> dict[str, Any]:
    """The case as API.md shows it; the case page adds every step and the diagram's state.

    A completion answers without the history (``with_events=False``): its size would grow with
    the case, and the caller has just written the newest event itself.
    """
    case = visible_case(uow, user, case_no)
    names = department_names(uow)
    tasks = case_tasks(uow, case, open_only=not with_steps)
    task_views = [views.task_view(t, names, clock.task_light(uow, t)) for t in tasks]
    open_tasks = [t for t in task_views if t["state"] in ("ready", "claimed")]
    events = case_events(uow, case) if with_events else []
    definition = definition_of(uow.session, case.definition_id)
    view = views.case_view(
        case,
        open_tasks,
        events,
        clock.case_clock_view(uow, case),
        {"key": definition.key, "version": definition.version},
    )
    if with_events:
        view["incidents"] = open_incidents_of(uow, case)
    else:
        del view["events"]
    if with_steps:
        view["steps"] = task_views
    if with_diagram:
        view["diagram"] = load_run(uow, case).element_states()
    return masking.for_reader(user, view, masking.personal_fields(definition))


def list_cases(
    uow: UnitOfWork,
    user: models.User,
    *,
    status: str | None = None,
    service_item: str | None = None,
    department: str | None = None,
    q: str | None = None,
    light: str | None = None,
    page: int = 1,
    per_page: int = 20,
    drill: Mapping[str, str] | None = None,
    filters: Filters | None = None,
) -> Page:
    """A page of the cases the user may see, newest first, every filter in SQL — the light too
    (``light_clause``) — so a page costs about the same at a thousand cases or a million.
    ``filters`` add channel, period, applicant, 我发起的 and the sort (list_filters.py)."""
    if light and light not in LIGHTS:
        raise BadRequest(f"light 应为 {'/'.join(LIGHTS)}", {"field": "light"})
    case = models.Case
    query = select(case).where(access.visible_cases(user)).options(selectinload(case.service_item))
    if status:
        query = query.where(case.status == status)
    if service_item:
        query = query.where(case.service_item_code == service_item)
    if department:
        query = query.where(
            case.id.in_(
                select(models.HumanTask.case_id).where(
                    models.HumanTask.department_code == department
                )
            )
        )
    if drill:  # the cases behind a scorecard figure
        dialect = uow.session.get_bind().dialect.name
        query = query.where(*drill_clauses(drill, dialect))
    if q:
        query = query.where(search_clause(q))
    if light:
        query = query.where(light_clause(uow, light))
    filters = filters or Filters()
    query = query.where(*filters.case_clauses()).order_by(*filters.case_order())
    found = fetch_page(uow.session, query, page, per_page)
    return found.views(
        lambda c: masking.for_reader(user, views.case_summary(c, clock.list_light(uow, c)))
    )


def light_clause(uow: UnitOfWork, light: str) -> ColumnElement[bool]:
    """SQL for ``clock.list_light(case) == light`` today, over the stored due date.

    A running clock is red past its due date; before it, yellow until the first working day
    whose light is green — a day that depends on the item's limit and threshold, so it is found
    once per distinct rule with ``clock.step_light`` itself. A stopped clock is red only for a
    case finished after its due date. The conditions are the partial indexes' own words
    (``models.RUNNING_CLOCK``, ``models.FINISHED_LATE``), so those indexes serve them.
    """
    case = models.Case
    running = and_(text(models.RUNNING_CLOCK), case.due_date.is_not(None))
    late = text(models.FINISHED_LATE[uow.session.get_bind().dialect.name])
    finished_late = and_(case.finished_at.is_not(None), case.due_date.is_not(None), late)
    now = today()
    if light == "red":
        return or_(and_(running, case.due_date < now), and_(not_(running), finished_late))
    if light == "none":
        return and_(not_(running), not_(finished_late))
    windows = [
        and_(
            case.service_item_code.in_(codes),
            case.due_date < first_green if light == "yellow" else case.due_date >= first_green,
        )
        for first_green, codes in _first_green_days(uow, now).items()
    ]
    return and_(running, case.due_date >= now, or_(false(), *windows))


def _first_green_days(uow: UnitOfWork, now: date) -> dict[date, list[str]]:
    """Service items by the first working day after ``now`` whose light is green for them."""
    cal = calendar(uow)
    rules: dict[tuple[int, float], list[str]] = {}
    for item in uow.session.scalars(select(models.ServiceItem)):
        days, _unit = clock.limit_of(item)
        rules.setdefault((days, clock.yellow_ratio(item)), []).append(item.code)
    firsts: dict[date, list[str]] = {}
    for (days, ratio), codes in rules.items():
        ahead = 1
        while True:  # the yellow window is at most max(1, ratio × limit) working days long
            day, _provisional = add_working_days(cal, now, ahead)
            if step_light(cal, day, now, days, ratio) == "green":
                break
            ahead += 1
        firsts.setdefault(day, []).extend(codes)
    return firsts
