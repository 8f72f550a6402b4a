"""督办 supervision items (督办单): the county government office (政府办) follows late and badly
handled work until it is closed (销号).

An item has a number per year (督办〔2026〕第N号), a source, the linked cases, the problem, a lead
department (牵头单位) and assisting ones (协办单位), the required action and a feedback deadline
in working days of the center's calendar. Its status runs ``issued`` → (the lead department's
feedback, text and files) ``feedback`` → (a supervisor's review) ``closed`` (销号), or back to
``issued`` with a new deadline (send back, a new *round*). Its level is blue while the deadline
holds; the scheduler raises it to orange and red when feedback is late (services/escalation.py),
and a new deadline starts the next round at blue again — the notices of earlier rounds stay.
Every change is an event of the item's timeline.

Why a state machine here and not a BPMN model in bpmn/ (as the bad-rating loop is): an item is
not a case. It has no applicant, no service item, no statutory clock and its own numbering; as
a BPMN case it would need an internal service item and a made-up applicant, and would show up
in case lists, scorecards and the public lookup. What drives it lies outside any model anyway:
the supervisor sets each round's deadline, and the level is computed by the scheduler from the
calendar. Three states and four transitions read better as code checked in one place than as a
loop of two user tasks plus data-routing properties around it.

Who: supervisors (role ``supervisor``) issue and review; staff of the lead and assisting
departments (case workers and the head) read and answer — the lead's feedback moves the item,
an assisting department's is recorded beside it; administrators and monitors read everything,
monitors never act; everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists, false, func, select, true
from sqlalchemy.dialects import postgresql, sqlite

from .. import access, models, views
from ..clock import add_working_days
from ..errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from ..uow import UnitOfWork
from ..workdays import calendar, local_date
from .attachments import Upload, attached_file, attachment_views, store_attachments
from .cases import department_names
from .notifications import notify

SOURCES = {
    "manual": "日常督办",
    "leader": "领导交办",
    "overdue": "超期红灯",
    "rating": "差评整改超期",
    "meeting": "联席会议",
    "commissioner": "企业服务专员",
    "monitor": "服务监督员",
}
# Sources a supervisor gives by hand; the others are opened by the system or a meeting.
MANUAL_SOURCES = ("manual", "leader", "commissioner", "monitor")
LEVELS = {"blue": "蓝色提醒", "orange": "橙色预警", "red": "红色通报"}
STATUSES = {"issued": "待反馈", "feedback": "已反馈", "closed": "已销号"}
VERDICTS = ("close", "send_back")
NOTICE_KINDS = {"urge": "催办通知书", "circular": "通报"}
SUPERVISOR = "supervisor"
SYSTEM = "system"
MAX_TEXT = 2000
MAX_PERSON = 64
MAX_DAYS = 250  # a feedback deadline beyond a working year is a typo

Input = TypeVar("Input")

DEFAULT_SETTINGS: dict[str, Any] = {
    "open_for_red_cases": True,  # a case whose light turns red opens an item (source overdue)
    "notify_yellow": True,  # a case turning yellow notifies the department head
    "overdue_feedback_working_days": 3,  # deadline of an item opened for a red case
    "rating_feedback_working_days": 3,  # … for a bad rating whose handling is late
    "orange_after_working_days": 1,  # 催办通知书: the working day after a missed deadline
    "red_after_working_days": 5,  # 通报: working days after the 催办通知书
}


# ---- settings ------------------------------------------------------------------------------------


def settings(uow: UnitOfWork) -> dict[str, Any]:
    row = uow.session.get(models.SupervisionSettings, 1)
    return {**DEFAULT_SETTINGS, **(row.values if row is not None else {})}


def save_settings(uow: UnitOfWork, user: models.User, changes: Any) -> dict[str, Any]:
    """Administrators change any threshold; every value is checked, all problems at once."""
    access.require_role(user, "admin")
    if not isinstance(changes, dict):
        raise BadRequest("设置应为对象")
    values = settings(uow)
    problems = {}
    for key, value in changes.items():
        if key not in DEFAULT_SETTINGS:
            problems[key] = "没有这项设置"
        elif isinstance(DEFAULT_SETTINGS[key], bool) and not isinstance(value, bool):
            problems[key] = "应为 true 或 false"
        elif not isinstance(DEFAULT_SETTINGS[key], bool) and not _positive_int(value, MAX_DAYS):
            problems[key] = f"应为 1–{MAX_DAYS} 的整数（工作日）"
        else:
            values[key] = value
    if problems:
        raise ValidationFailed("督办设置有误", {"fields": problems}, code="invalid_settings")
    row = uow.session.get(models.SupervisionSettings, 1) or models.SupervisionSettings(id=1)
    row.values, row.updated_by, row.updated_at = values, user.username, models.utcnow()
    uow.session.add(row)
    return values


def _positive_int(value: Any, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= limit


# ---- who -----------------------------------------------------------------------------------------


def is_supervisor(user: models.User) -> bool:
    return SUPERVISOR in user.role_codes


def require_supervisor(user: models.User) -> None:
    if not is_supervisor(user):
        raise Forbidden("只有督办员可以下发和审核督办事项", code="supervisor_only")


def works_for_department(user: models.User) -> bool:
    """Department staff who answer for it: its case workers and its head."""
    return access.works_cases(user) or user.department.head_username == user.username


def may_use(user: models.User) -> bool:
    """Whether the user has any business with supervision items at all."""
    return access.reads_everything(user) or access.is_monitor(user) or works_for_department(user)


def _require_reader(user: models.User) -> None:
    if not may_use(user):
        raise Forbidden("没有查看督办事项的权限", code="supervision_forbidden")


def involves(department: str) -> ColumnElement[bool]:
    """Items the department leads or assists."""
    return exists(
        select(models.SupervisionDepartment.item_id).where(
            models.SupervisionDepartment.item_id == models.SupervisionItem.id,
            models.SupervisionDepartment.department_code == department,
        )
    )


def visible_items(user: models.User) -> ColumnElement[bool]:
    if access.reads_everything(user):
        return true()
    if access.is_monitor(user):  # items a department in the monitor's scope leads or assists
        return exists(
            select(models.SupervisionDepartment.item_id).where(
                models.SupervisionDepartment.item_id == models.SupervisionItem.id,
                models.SupervisionDepartment.department_code.in_(
                    access.scope_codes(user, "department")
                ),
            )
        )
    if not works_for_department(user):
        return false()
    return involves(user.department_code)


def _role_of(uow: UnitOfWork, item: models.SupervisionItem, department: str) -> str | None:
    return uow.session.scalar(
        select(models.SupervisionDepartment.role).where(
            models.SupervisionDepartment.item_id == item.id,
            models.SupervisionDepartment.department_code == department,
        )
    )


def _find(uow: UnitOfWork, user: models.User, no: str, *, lock: bool) -> models.SupervisionItem:
    """The item if the user may see it (404 otherwise, as for a case); locked for a change,
    so feedback, review and the scheduler take turns on one item."""
    _require_reader(user)
    query = select(models.SupervisionItem).where(
        models.SupervisionItem.no == no, visible_items(user)
    )
    if lock:
        query = query.with_for_update(of=models.SupervisionItem)
    item = uow.session.scalars(query).one_or_none()
    if item is None:
        raise NotFound(f"督办事项 {no} 不存在或无权查看", code="supervision_item_not_found")
    return item


def supervisors(uow: UnitOfWork) -> list[str]:
    """The office's supervisors (督办员): told of feedback and of every escalation."""
    user = models.User
    return list(
        uow.session.scalars(
            select(user.username)
            .join(models.UserRole, models.UserRole.user_id == user.id)
            .join(models.Role, models.Role.id == models.UserRole.role_id)
            .where(models.Role.code == SUPERVISOR, user.active.is_(True))
            .order_by(user.username)
        )
    )


def heads_of(uow: UnitOfWork, departments: list[str]) -> list[str]:
    if not departments:
        return []
    rows = uow.session.execute(
        select(models.Department.code, models.Department.head_username).where(
            models.Department.code.in_(departments)
        )
    ).all()
    heads = dict(rows)
    return [heads[code] for code in departments if heads.get(code)]


# ---- issuing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    """What a supervisor (or a meeting's topic) asks for; checked by ``check_input``."""

    problem: Any
    lead_department: Any
    required_action: Any
    due_working_days: Any
    assisting_departments: Any = None
    case_nos: Any = None
    responsible_person: Any = None


def input_from(cls: type[Input], values: Mapping[str, Any], **renamed: str) -> Input:
    """An input dataclass from a JSON object or a form, every field as given (checked later);
    ``renamed`` maps a field to the key that holds it (a meeting topic's ``decision`` is the
    item's ``required_action``)."""
    return cls(**{f.name: values.get(renamed.get(f.name, f.name)) for f in fields(cls)})


@dataclass(frozen=True)
class CheckedInput:
    problem: str
    lead_department: str
    required_action: str
    due_working_days: int
    assisting_departments: list[str]
    case_nos: list[str]
    responsible_person: str


def _text_problem(value: Any, limit: int = MAX_TEXT) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "该字段为必填项"
    if len(value.strip()) > limit:
        return f"不能超过 {limit} 个字符"
    return None


def _string_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def check_input(uow: UnitOfWork, given: ItemInput) -> tuple[CheckedInput | None, dict[str, str]]:
    """The input cleaned, or the problem of every field at once (a 422's ``details.fields``)."""
    problems: dict[str, str] = {}
    for field in ("problem", "required_action"):
        problem = _text_problem(getattr(given, field))
        if problem:
            problems[field] = problem
    known = department_names(uow)
    lead = given.lead_department
    if not isinstance(lead, str) or lead not in known:
        problems["lead_department"] = "没有这个部门"
    assisting = _string_list(given.assisting_departments)
    if assisting is None:
        problems["assisting_departments"] = "应为部门编码列表"
    elif unknown := [code for code in assisting if code not in known]:
        problems["assisting_departments"] = f"没有这些部门：{'、'.join(unknown)}"
    elif lead in assisting:
        problems["assisting_departments"] = "牵头单位不必再列为协办单位"
    if not _positive_int(given.due_working_days, MAX_DAYS):
        problems["due_working_days"] = f"应为 1–{MAX_DAYS} 的整数（工作日）"
    case_nos = _string_list(given.case_nos)
    if case_nos is None:
        problems["case_nos"] = "应为办件编号列表"
    elif case_nos:
        found = set(
            uow.session.scalars(
                select(models.Case.case_no).where(models.Case.case_no.in_(case_nos))
            )
        )
        if missing := [no for no in case_nos if no not in found]:
            problems["case_nos"] = f"没有这些办件：{'、'.join(missing)}"
    person = given.responsible_person
    if person is not None and (not isinstance(person, str) or len(person) > MAX_PERSON):
        problems["responsible_person"] = f"应为不超过 {MAX_PERSON} 个字符的文本"
    if problems:
        return None, problems
    return (
        CheckedInput(
            problem=given.problem.strip(),
            lead_department=lead,
            required_action=given.required_action.strip(),
            due_working_days=given.due_working_days,
            assisting_departments=assisting or [],
            case_nos=case_nos or [],
            responsible_person=(person or "").strip(),
        ),
        {},
    )


def _draw_seq(uow: UnitOfWork, year: int) -> int:
    """The year's next number: one upsert that inserts the year's row or increments it, and
    holds the row until the transaction ends, so two issuers never draw the same number."""
    table = models.SupervisionCounter
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(table).values(year=year, last=1)
    upsert = upsert.on_conflict_do_update(
        index_elements=[table.year], set_={"last": table.last + 1}
    )
    return uow.session.execute(upsert.returning(table.last)).scalar_one()


def open_item(
    uow: UnitOfWork,
    actor: str,
    source: str,
    given: CheckedInput,
    *,
    now: datetime | None = None,
    origin: str | None = None,
    meeting: models.JointMeeting | None = None,
) -> models.SupervisionItem:
    """Number, deadline, departments and the first event of a new item; the heads of its
    departments are told. Every way of opening one (by hand, the scheduler, a meeting) ends here.
    """
    now = now or models.utcnow()
    day = local_date(now)
    seq = _draw_seq(uow, day.year)
    lead = given.lead_department
    due = add_working_days(calendar(uow), day, given.due_working_days)[0]
    item = models.SupervisionItem(
        no=f"督办〔{day.year}〕第{seq}号",
        year=day.year,
        seq=seq,
        source=source,
        origin=origin,
        case_nos=given.case_nos,
        problem=given.problem,
        required_action=given.required_action,
        lead_department=lead,
        responsible_person=given.responsible_person or (heads_of(uow, [lead]) or [""])[0],
        due_working_days=given.due_working_days,
        due_date=due,
        level="blue",
        status="issued",
        round=1,
        issued_by=actor,
        issued_at=now,
        meeting_id=meeting.id if meeting is not None else None,
    )
    uow.session.add(item)
    uow.session.flush()
    uow.session.add(
        models.SupervisionDepartment(item_id=item.id, department_code=lead, role="lead")
    )
    for code in given.assisting_departments:
        uow.session.add(
            models.SupervisionDepartment(item_id=item.id, department_code=code, role="assist")
        )
    _event(uow, item, actor, "issue", now=now, detail=_deadline(item))
    notify(
        uow,
        heads_of(uow, [lead, *given.assisting_departments]),
        "supervision",
        f"督办通知：{item.no}（{SOURCES[source]}）{_short(item.problem)}，"
        f"请于 {due.isoformat()} 前反馈",
    )
    return item


def issue(uow: UnitOfWork, user: models.User, source: Any, given: ItemInput) -> dict[str, Any]:
    """POST /supervision-items: a supervisor opens an item by hand."""
    require_supervisor(user)
    source = source or "manual"
    checked, problems = check_input(uow, given)
    if source not in MANUAL_SOURCES:
        problems["source"] = f"应为 {'/'.join(MANUAL_SOURCES)}（其余来源由系统或联席会议产生）"
    if checked is None or problems:
        raise ValidationFailed("督办事项填写有误", {"fields": problems})
    return item_view(uow, open_item(uow, user.username, source, checked), full=True)


# ---- feedback and review -------------------------------------------------------------------------


def feedback(
    uow: UnitOfWork,
    user: models.User,
    no: str,
    text: Any,
    uploads: list[Upload],
    upload_dir: Path,
) -> dict[str, Any]:
    """The lead department answers (status ``feedback``); an assisting one adds its part."""
    item = _find(uow, user, no, lock=True)
    access.require_acting(user)
    role = _role_of(uow, item, user.department_code)
    if role is None or not works_for_department(user):
        raise Forbidden("只有牵头或协办单位可以反馈", code="not_responsible")
    if item.status == "closed":
        raise Conflict("督办事项已销号", code="supervision_closed")
    problem = _text_problem(text)
    if problem:
        raise ValidationFailed(f"反馈内容：{problem}", {"fields": {"text": problem}})
    now = models.utcnow()
    attachments = store_attachments(uploads, upload_dir)
    on_time = local_date(now) <= item.due_date
    _event(
        uow,
        item,
        user.username,
        "feedback",
        now=now,
        text=text.strip(),
        attachments=attachments,
        detail={"department": user.department_code, "role": role, "on_time": on_time},
    )
    if role == "lead":
        item.status, item.feedback_at = "feedback", now
    to = supervisors(uow) + ([item.issued_by] if item.issued_by != SYSTEM else [])
    notify(
        uow,
        to,
        "supervision",
        f"{item.no} 已收到{user.department.name}的反馈",
    )
    return item_view(uow, item, full=True)


def review(
    uow: UnitOfWork,
    user: models.User,
    no: str,
    verdict: Any,
    comment: Any,
    due_working_days: Any = None,
) -> dict[str, Any]:
    """A supervisor closes the item (销号) or sends it back with a new deadline."""
    require_supervisor(user)
    item = _find(uow, user, no, lock=True)
    problems = {}
    if verdict not in VERDICTS:
        problems["verdict"] = "应为 close（销号）或 send_back（退回重办）"
    if comment is not None and not isinstance(comment, str):
        problems["comment"] = "应为文本"
    elif verdict == "send_back" and (problem := _text_problem(comment)):
        problems["comment"] = problem
    if verdict == "send_back" and not _positive_int(due_working_days, MAX_DAYS):
        problems["due_working_days"] = f"应为 1–{MAX_DAYS} 的整数（工作日）"
    if problems:
        raise ValidationFailed("审核意见填写有误", {"fields": problems})
    if item.status != "feedback":
        raise Conflict(
            f"督办事项{STATUSES[item.status]}，只能审核已反馈的事项", code="not_awaiting_review"
        )
    now = models.utcnow()
    text = (comment or "").strip()
    if verdict == "close":
        item.status, item.closed_at, item.closed_by = "closed", now, user.username
        _event(uow, item, user.username, "close", now=now, text=text)
        message = f"{item.no} 已销号"
    else:
        item.status, item.level, item.round = "issued", "blue", item.round + 1
        item.due_working_days = due_working_days
        item.due_date = add_working_days(calendar(uow), local_date(now), due_working_days)[0]
        _event(uow, item, user.username, "send_back", now=now, text=text, detail=_deadline(item))
        message = f"{item.no} 被退回重办：{_short(text)}，请于 {item.due_date.isoformat()} 前反馈"
    notify(uow, heads_of(uow, [item.lead_department]), "supervision", message)
    return item_view(uow, item, full=True)


def _deadline(item: models.SupervisionItem) -> dict[str, Any]:
    return {
        "due_date": item.due_date.isoformat(),
        "due_working_days": item.due_working_days,
        "round": item.round,
    }


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _event(
    uow: UnitOfWork,
    item: models.SupervisionItem,
    actor: str,
    action: str,
    *,
    now: datetime,
    text: str = "",
    attachments: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    uow.session.add(
        models.SupervisionEvent(
            item_id=item.id,
            at=now,
            actor=actor,
            action=action,
            text=text,
            attachments=attachments or {"files": []},
            detail=detail or {},
        )
    )


def record_event(
    uow: UnitOfWork,
    item: models.SupervisionItem,
    action: str,
    now: datetime,
    detail: dict[str, Any],
) -> None:
    """An event the system writes (an escalation)."""
    _event(uow, item, SYSTEM, action, now=now, detail=detail)


# ---- reading -------------------------------------------------------------------------------------


def notice_doc_no(item: models.SupervisionItem, kind: str, round_: int) -> str:
    """``督催〔2026〕第3号`` for the 催办通知书 of item 3, ``督通…`` for its 通报; ``-2`` after the
    number for a later round."""
    word = "督催" if kind == "urge" else "督通"
    suffix = f"-{round_}" if round_ > 1 else ""
    return f"{word}〔{item.year}〕第{item.seq}{suffix}号"


def _event_view(event: models.SupervisionEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": views.iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "text": event.text,
        "files": attachment_views(event.attachments),
        "detail": event.detail,
    }


def _feedback_view(event: models.SupervisionEvent, names: dict[str, str]) -> dict[str, Any]:
    department = event.detail.get("department", "")
    return {
        "id": event.id,
        "at": views.iso(event.at),
        "by": event.actor,
        "department": department,
        "department_name": names.get(department, department),
        "role": event.detail.get("role"),
        "on_time": event.detail.get("on_time"),
        "text": event.text,
        "files": attachment_views(event.attachments),
    }


def item_view(
    uow: UnitOfWork, item: models.SupervisionItem, *, full: bool = False
) -> dict[str, Any]:
    """API.md's shape. ``feedback`` always; ``events`` (the timeline) and the escalation notices
    with ``full``."""
    return items_view(uow, [item], full=full)[0]


def items_view(
    uow: UnitOfWork, items: list[models.SupervisionItem], *, full: bool = False
) -> list[dict[str, Any]]:
    """Views of many items with three queries whatever their number."""
    names = department_names(uow)
    ids = [item.id for item in items]
    assisting: dict[int, list[str]] = {i: [] for i in ids}
    for item_id, code in uow.session.execute(
        select(models.SupervisionDepartment.item_id, models.SupervisionDepartment.department_code)
        .where(
            models.SupervisionDepartment.item_id.in_(ids),
            models.SupervisionDepartment.role == "assist",
        )
        .order_by(models.SupervisionDepartment.department_code)
    ):
        assisting[item_id].append(code)
    wanted = select(models.SupervisionEvent).where(models.SupervisionEvent.item_id.in_(ids))
    if not full:
        wanted = wanted.where(models.SupervisionEvent.action == "feedback")
    events: dict[int, list[models.SupervisionEvent]] = {i: [] for i in ids}
    for event in uow.session.scalars(wanted.order_by(models.SupervisionEvent.id)):
        events[event.item_id].append(event)
    notices: dict[int, list[models.SupervisionNotice]] = {i: [] for i in ids}
    if full:
        for notice in uow.session.scalars(
            select(models.SupervisionNotice)
            .where(models.SupervisionNotice.item_id.in_(ids))
            .order_by(models.SupervisionNotice.id)
        ):
            notices[notice.item_id].append(notice)
    out = []
    for item in items:
        view = {
            "no": item.no,
            "source": item.source,
            "source_name": SOURCES.get(item.source, item.source),
            "case_nos": list(item.case_nos or []),
            "problem": item.problem,
            "lead_department": item.lead_department,
            "lead_department_name": names.get(item.lead_department, item.lead_department),
            "assisting_departments": assisting[item.id],
            "assisting_department_names": [names.get(c, c) for c in assisting[item.id]],
            "responsible_person": item.responsible_person,
            "required_action": item.required_action,
            "issued_by": item.issued_by,
            "issued_at": views.iso(item.issued_at),
            "due_working_days": item.due_working_days,
            "due_date": views.iso(item.due_date),
            "level": item.level,
            "status": item.status,
            "round": item.round,
            "feedback_at": views.iso(item.feedback_at),
            "closed_at": views.iso(item.closed_at),
            "closed_by": item.closed_by,
            "meeting_id": item.meeting_id,
            "feedback": [
                _feedback_view(e, names) for e in events[item.id] if e.action == "feedback"
            ],
        }
        if full:
            view["events"] = [_event_view(e) for e in events[item.id]]
            view["notices"] = [
                {
                    "kind": n.kind,
                    "title": NOTICE_KINDS[n.kind],
                    "round": n.round,
                    "issued_on": views.iso(n.issued_on),
                    "doc_no": notice_doc_no(item, n.kind, n.round),
                }
                for n in notices[item.id]
            ]
        out.append(view)
    return out


def get_item(uow: UnitOfWork, user: models.User, no: str) -> dict[str, Any]:
    view = item_view(uow, _find(uow, user, no, lock=False), full=True)
    view["may"] = _may(uow, user, view)
    return view


def item_row(uow: UnitOfWork, user: models.User, no: str) -> models.SupervisionItem:
    """The row of a visible item, for the notices (engine/supervision_notices.py)."""
    return _find(uow, user, no, lock=False)


def _may(uow: UnitOfWork, user: models.User, view: dict[str, Any]) -> dict[str, bool]:
    """What the user may do with the item now (the page shows only these forms)."""
    mine = user.department_code
    answers = (
        works_for_department(user)
        and not (user.role_codes and user.role_codes <= access.READ_ONLY_ROLES)
        and (mine == view["lead_department"] or mine in view["assisting_departments"])
    )
    return {
        "feedback": answers and view["status"] != "closed",
        "review": is_supervisor(user) and view["status"] == "feedback",
    }


@dataclass(frozen=True)
class ItemFilter:
    status: str | None = None
    level: str | None = None
    department: str | None = None
    source: str | None = None
    open_only: bool = False


def _checked_filter(filters: ItemFilter) -> None:
    for name, allowed in (
        ("status", STATUSES),
        ("level", LEVELS),
        ("source", SOURCES),
    ):
        value = getattr(filters, name)
        if value and value not in allowed:
            raise BadRequest(f"{name} 应为 {'/'.join(allowed)}", {"field": name})


def list_items(
    uow: UnitOfWork,
    user: models.User,
    filters: ItemFilter,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """The 督办台账 the user may see, the latest first; open items first when ``open_only``
    is not set but the status is."""
    _require_reader(user)
    _checked_filter(filters)
    item = models.SupervisionItem
    query = select(item).where(visible_items(user))
    if filters.status:
        query = query.where(item.status == filters.status)
    if filters.open_only:
        query = query.where(item.status != "closed")
    if filters.level:
        query = query.where(item.level == filters.level)
    if filters.source:
        query = query.where(item.source == filters.source)
    if filters.department:
        query = query.where(involves(filters.department))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(item.year.desc(), item.seq.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return items_view(uow, list(rows)), total


def awaiting_department(uow: UnitOfWork, user: models.User) -> int:
    """How many items wait for the user's department to answer (the 督办件 tab's count)."""
    if not works_for_department(user):
        return 0
    item = models.SupervisionItem
    return (
        uow.session.scalar(
            select(func.count())
            .select_from(item)
            .where(item.status == "issued", involves(user.department_code))
        )
        or 0
    )


def feedback_file(
    uow: UnitOfWork, user: models.User, no: str, event_id: int, n: int, upload_dir: Path
) -> tuple[Path, str, str]:
    """A feedback's attachment, to whoever may see the item: (path, file name, type)."""
    item = _find(uow, user, no, lock=False)
    event = uow.session.get(models.SupervisionEvent, event_id)
    if event is None or event.item_id != item.id:
        raise NotFound(f"反馈 {event_id} 不存在", code="feedback_not_found")
    return attached_file(event.attachments, n, upload_dir)
