"""联席会议 joint meetings: what the data says the departments should meet about, the meeting
record, and its decisions as supervision items (source ``meeting``) — the 督办清单.

Candidate topics are computed from case history over a period, each with its evidence and the
cases behind it, so the office brings numbers, not impressions: the service items with the most
overdue cases, the steps most often late or returned, the cross-department hand-overs where
cases wait longest, the worst-rated items, and the supervision items past their deadline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import access, models, views
from ..clock import working_days_between
from ..errors import BadRequest, NotFound, ValidationFailed
from ..uow import UnitOfWork
from ..workdays import LOCAL_TZ, calendar, local_date, today
from .cases import department_names
from .supervision import (
    LEVELS,
    STATUSES,
    ItemInput,
    check_input,
    input_from,
    items_view,
    may_use,
    open_item,
    works_for_department,
)

PER_KIND = 5  # candidates of each kind
EVIDENCE_CASES = 10  # case numbers listed as evidence of one candidate
DEFAULT_DAYS = 30
MAX_PERIOD_DAYS = 366
MAX_TOPICS = 50
MAX_ATTENDEES = 100
KINDS = {
    "overdue_cases": "超期办件最多的事项",
    "late_steps": "超时最多的环节",
    "returns": "退回最多的环节",
    "cross_department_waits": "跨部门等待最长的环节",
    "bad_ratings": "差评最多的事项",
    "late_supervision": "逾期未反馈的督办事项",
}
OPEN_STEPS = ("ready", "claimed")


# ---- candidate topics ----------------------------------------------------------------------------


def _period(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    try:
        end = date.fromisoformat(date_to) if date_to else today()
        start = date.fromisoformat(date_from) if date_from else end - timedelta(days=DEFAULT_DAYS)
    except ValueError as error:
        raise BadRequest("日期格式应为 YYYY-MM-DD", {"fields": ["from", "to"]}) from error
    if start > end or (end - start).days > MAX_PERIOD_DAYS:
        raise BadRequest(
            f"起始日期不能晚于截止日期，区间不超过 {MAX_PERIOD_DAYS} 天",
            {"fields": ["from", "to"]},
        )
    return start, end


def _moment(day: date) -> datetime:
    """The first moment of a local day."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


@dataclass
class _Tally:
    """Cases counted under one key, with how bad each one was (to list the worst first)."""

    cases: dict[str, float]

    def add(self, case_no: str, weight: float = 1.0) -> None:
        self.cases[case_no] = max(self.cases.get(case_no, 0.0), weight)

    def worst(self) -> list[str]:
        ranked = sorted(self.cases.items(), key=lambda kv: (-kv[1], kv[0]))
        return [no for no, _weight in ranked[:EVIDENCE_CASES]]


def _tallies() -> defaultdict[Any, _Tally]:
    return defaultdict(lambda: _Tally({}))


def candidates(
    uow: UnitOfWork, user: models.User, date_from: str | None, date_to: str | None
) -> dict[str, Any]:
    """GET /joint-meetings/candidates: each candidate with its evidence and its cases."""
    access.require_role(user, "supervisor", "admin", "monitor")
    start, end = _period(date_from, date_to)
    names = department_names(uow)
    found = (
        _overdue_cases(uow, start, end)
        + _late_steps(uow, start, end, names)
        + _returns(uow, start, end)
        + _cross_department_waits(uow, start, end, names)
        + _bad_ratings(uow, start, end)
        + _late_supervision(uow, end, names)
    )
    for candidate in found:
        candidate["kind_name"] = KINDS[candidate["kind"]]
        lead = candidate.get("lead_department")
        candidate["lead_department_name"] = names.get(lead, lead) if lead else None
    return {"from": start.isoformat(), "to": end.isoformat(), "items": found}


def _service_items(uow: UnitOfWork) -> dict[str, models.ServiceItem]:
    return {i.code: i for i in uow.session.scalars(select(models.ServiceItem))}


def _most(tallies: dict[Any, _Tally]) -> list[tuple[Any, _Tally]]:
    """The keys with the most cases, at most ``PER_KIND``."""
    return sorted(tallies.items(), key=lambda kv: -len(kv[1].cases))[:PER_KIND]


def _about(item: models.ServiceItem, step: str | None = None) -> dict[str, Any]:
    """Where a candidate lies: the service item (and step), and the department a topic about
    it goes to — the item's first department that is not the window."""
    codes = list(item.departments or [])
    where = {
        "service_item": item.code,
        "service_item_name": item.name,
        "lead_department": next((c for c in codes if c != "window"), codes[0] if codes else None),
    }
    return where | ({"step": step} if step is not None else {})


def _candidate(
    kind: str, problem: str, tally: _Tally, evidence: dict[str, Any], where: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "problem": problem,
        **where,
        "evidence": evidence,
        "case_nos": tally.worst(),
    }


def _overdue_cases(uow: UnitOfWork, start: date, end: date) -> list[dict[str, Any]]:
    """Cases due in the period finished late or still open past their due date."""
    case = models.Case
    due = uow.session.scalars(select(case).where(case.due_date.between(start, end))).all()
    totals: defaultdict[str, int] = defaultdict(int)
    late = _tallies()
    for row in due:
        totals[row.service_item_code] += 1
        finished = local_date(row.finished_at) if row.finished_at else end
        if finished > row.due_date:
            late[row.service_item_code].add(row.case_no, (finished - row.due_date).days)
    items = _service_items(uow)
    return [
        _candidate(
            "overdue_cases",
            f"{items[code].name}：{len(tally.cases)} 件超过承诺时限",
            tally,
            {
                "overdue": len(tally.cases),
                "due_in_period": totals[code],
                "overdue_rate": round(len(tally.cases) / totals[code], 3),
            },
            _about(items[code]),
        )
        for code, tally in _most(late)
    ]


def _steps(uow: UnitOfWork, *where: Any) -> list[models.HumanTask]:
    task = models.HumanTask
    return list(
        uow.session.scalars(
            select(task)
            .where(*where)
            .options(selectinload(task.case).selectinload(models.Case.service_item))
            .order_by(task.case_id, task.created_at)
        )
    )


def _step_key(task: models.HumanTask) -> tuple[str, str, str]:
    return (task.case.service_item_code, task.name, task.department_code)


def _at_step(
    items: dict[str, models.ServiceItem], key: tuple[str, str, str], names: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """A step's title (item · step (department)) and where it lies; its department leads."""
    code, step, department = key
    title = f"{items[code].name} · {step}（{names.get(department, department)}）"
    return title, {
        **_about(items[code], step),
        "department": department,
        "lead_department": department,
    }


def _late_steps(
    uow: UnitOfWork, start: date, end: date, names: dict[str, str]
) -> list[dict[str, Any]]:
    """Steps with their own limit that ran past it (finished late or still open)."""
    late = _tallies()
    for row in _steps(uow, models.HumanTask.due_date.between(start, end)):
        done = local_date(row.completed_at) if row.completed_at else None
        if row.state in OPEN_STEPS or done:
            finished = done or end
            if finished > row.due_date:
                late[_step_key(row)].add(row.case.case_no, (finished - row.due_date).days)
    items = _service_items(uow)
    out = []
    for key, tally in _most(late):
        title, where = _at_step(items, key, names)
        problem = f"{title}：{len(tally.cases)} 件超过环节时限"
        out.append(_candidate("late_steps", problem, tally, {"late": len(tally.cases)}, where))
    return out


def _returns(uow: UnitOfWork, start: date, end: date) -> list[dict[str, Any]]:
    """Steps that sent cases back: 退回 operations and review decisions ``return``."""
    event = models.CaseEvent
    rows = uow.session.execute(
        select(event, models.Case.case_no, models.Case.service_item_code)
        .join(models.Case, models.Case.id == event.case_id)
        .where(
            event.at >= _moment(start),
            event.at < _moment(end + timedelta(days=1)),
            event.action.in_(("return", "complete")),
        )
    ).all()
    returned = _tallies()
    for row, case_no, code in rows:
        detail = row.detail or {}
        if row.action == "return":
            returned[(code, detail.get("from") or row.task_name or "")].add(case_no)
        elif (detail.get("data") or {}).get("decision") == "return":
            returned[(code, row.task_name or "")].add(case_no)
    items = _service_items(uow)
    return [
        _candidate(
            "returns",
            f"{items[code].name} · {step}：{len(tally.cases)} 件被退回",
            tally,
            {"returned_cases": len(tally.cases)},
            _about(items[code], step),
        )
        for (code, step), tally in _most(returned)
    ]


def _cross_department_waits(
    uow: UnitOfWork, start: date, end: date, names: dict[str, str]
) -> list[dict[str, Any]]:
    """Steps a case reached from another department, by the working days it waited there
    (from the hand-over to the step's completion, or to the period's end while open)."""
    task = models.HumanTask
    touched = select(task.case_id).where(
        task.created_at >= _moment(start), task.created_at < _moment(end + timedelta(days=1))
    )
    cal = calendar(uow)
    waits: defaultdict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    tallies = _tallies()
    previous: models.HumanTask | None = None
    for row in _steps(uow, task.case_id.in_(touched), task.parent_id.is_(None)):
        handed_over = (
            previous is not None
            and previous.case_id == row.case_id
            and previous.department_code != row.department_code
            and start <= local_date(row.created_at) <= end
        )
        if handed_over and row.state != "cancelled":
            finished = local_date(row.completed_at) if row.completed_at else end
            days = working_days_between(cal, local_date(row.created_at), finished)
            key = (*_step_key(row), previous.department_code)
            waits[key].append(days)
            tallies[key].add(row.case.case_no, days)
        previous = row
    items = _service_items(uow)
    ranked = sorted(waits.items(), key=lambda kv: (-max(kv[1]), -sum(kv[1])))[:PER_KIND]
    out = []
    for (code, step, department, came_from), days in ranked:
        if not max(days):
            continue
        average = round(sum(days) / len(days), 1)
        source = names.get(came_from, came_from)
        title, where = _at_step(items, (code, step, department), names)
        evidence = {
            "from_department": came_from,
            "from_department_name": source,
            "cases": len(days),
            "average_working_days": average,
            "max_working_days": max(days),
        }
        problem = f"{title}：从{source}转来后平均等待 {average} 个工作日，最长 {max(days)} 个工作日"
        tally = tallies[(code, step, department, came_from)]
        out.append(_candidate("cross_department_waits", problem, tally, evidence, where))
    return out


def _bad_ratings(uow: UnitOfWork, start: date, end: date) -> list[dict[str, Any]]:
    """Items with bad ratings (差评) in the period, proactive ratings only."""
    rating = models.Rating
    rows = uow.session.execute(
        select(rating.level, models.Case.case_no, models.Case.service_item_code)
        .join(models.Case, models.Case.id == rating.case_id)
        .where(
            rating.rated_at >= _moment(start),
            rating.rated_at < _moment(end + timedelta(days=1)),
            rating.is_default.is_(False),
        )
    ).all()
    levels: defaultdict[str, list[int]] = defaultdict(list)
    bad = _tallies()
    for level, case_no, code in rows:
        levels[code].append(level)
        if level >= 4:
            bad[code].add(case_no, level)
    items = _service_items(uow)
    return [
        _candidate(
            "bad_ratings",
            f"{items[code].name}：{len(tally.cases)} 件差评",
            tally,
            {
                "ratings": len(levels[code]),
                "bad": len(tally.cases),
                "average_level": round(sum(levels[code]) / len(levels[code]), 2),
            },
            _about(items[code]),
        )
        for code, tally in _most(bad)
    ]


def _late_supervision(uow: UnitOfWork, end: date, names: dict[str, str]) -> list[dict[str, Any]]:
    """Departments with supervision items still unanswered past their deadline."""
    item = models.SupervisionItem
    rows = uow.session.scalars(
        select(item).where(item.status == "issued", item.due_date < end).order_by(item.due_date)
    ).all()
    late = _tallies()
    numbers: defaultdict[str, list[str]] = defaultdict(list)
    red: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        numbers[row.lead_department].append(row.no)
        red[row.lead_department] += row.level == "red"
        for case_no in row.case_nos or []:
            late[row.lead_department].add(case_no)
    ranked = sorted(numbers.items(), key=lambda kv: -len(kv[1]))[:PER_KIND]
    return [
        {
            **_candidate(
                "late_supervision",
                f"{names.get(code, code)}：{len(nos)} 项督办事项逾期未反馈",
                late[code],
                {"late_items": len(nos), "red": red[code]},
                {"department": code, "lead_department": code},
            ),
            "supervision_nos": nos[:EVIDENCE_CASES],
        }
        for code, nos in ranked
    ]


# ---- the meeting record --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInput:
    title: Any
    held_on: Any
    departments: Any
    topics: Any
    attendees: Any = None
    summary: Any = None


def _checked_meeting(uow: UnitOfWork, given: MeetingInput) -> tuple[dict[str, Any], list]:
    """The meeting fields and each topic as an item input, or 422 naming every bad field
    (a topic's as ``topics[0].lead_department``)."""
    problems: dict[str, str] = {}
    title = given.title.strip() if isinstance(given.title, str) else ""
    if not title or len(title) > 128:
        problems["title"] = "应为 1–128 个字符"
    try:
        held_on = date.fromisoformat(given.held_on) if isinstance(given.held_on, str) else None
    except ValueError:
        held_on = None
    if held_on is None:
        problems["held_on"] = "日期格式应为 YYYY-MM-DD"
    known = department_names(uow)
    departments = given.departments
    if (
        not isinstance(departments, list)
        or not departments
        or not all(isinstance(d, str) and d in known for d in departments)
    ):
        problems["departments"] = "应为参会部门编码列表（至少 1 个，须为已有部门）"
    attendees = given.attendees if given.attendees is not None else []
    if (
        not isinstance(attendees, list)
        or len(attendees) > MAX_ATTENDEES
        or not all(isinstance(a, str) and 0 < len(a.strip()) <= 64 for a in attendees)
    ):
        problems["attendees"] = f"应为参会人员列表（至多 {MAX_ATTENDEES} 人，每人不超过 64 字）"
    summary = given.summary if given.summary is not None else ""
    if not isinstance(summary, str) or len(summary) > 5000:
        problems["summary"] = "应为不超过 5000 个字符的文本"
    topics = given.topics
    checked = []
    if not isinstance(topics, list) or not topics or len(topics) > MAX_TOPICS:
        problems["topics"] = f"应为议定事项列表（1–{MAX_TOPICS} 项）"
    else:
        for n, topic in enumerate(topics):
            if not isinstance(topic, dict):
                problems[f"topics[{n}]"] = "应为对象"
                continue
            given = input_from(ItemInput, topic, required_action="decision")
            one, topic_problems = check_input(uow, given)
            for field, problem in topic_problems.items():
                name = "decision" if field == "required_action" else field
                problems[f"topics[{n}].{name}"] = problem
            checked.append(one)
    if problems:
        raise ValidationFailed("联席会议记录填写有误", {"fields": problems})
    return {
        "title": title,
        "held_on": held_on,
        "departments": list(dict.fromkeys(departments)),
        "attendees": [a.strip() for a in attendees],
        "summary": summary.strip(),
    }, checked


def create_meeting(uow: UnitOfWork, user: models.User, given: MeetingInput) -> dict[str, Any]:
    """POST /joint-meetings (supervisors): the record, and one item per decision."""
    access.require_role(user, "supervisor")
    fields, topics = _checked_meeting(uow, given)
    meeting = models.JointMeeting(**fields, created_by=user.username, created_at=models.utcnow())
    uow.session.add(meeting)
    uow.session.flush()
    for topic in topics:
        open_item(uow, user.username, "meeting", topic, meeting=meeting)
    uow.session.flush()
    return meeting_view(uow, meeting)


def _visible(user: models.User, meeting: models.JointMeeting) -> bool:
    if access.reads_everything(user):
        return True
    return works_for_department(user) and user.department_code in (meeting.departments or [])


def _meeting(uow: UnitOfWork, user: models.User, meeting_id: int) -> models.JointMeeting:
    meeting = uow.session.get(models.JointMeeting, meeting_id)
    if meeting is None or not may_use(user) or not _visible(user, meeting):
        raise NotFound(f"联席会议 {meeting_id} 不存在或无权查看", code="meeting_not_found")
    return meeting


def meeting_view(uow: UnitOfWork, meeting: models.JointMeeting) -> dict[str, Any]:
    """The meeting with its 督办清单: each decision's item, status, level and feedback."""
    names = department_names(uow)
    rows = uow.session.scalars(
        select(models.SupervisionItem)
        .where(models.SupervisionItem.meeting_id == meeting.id)
        .order_by(models.SupervisionItem.seq)
    ).all()
    return {
        "id": meeting.id,
        "title": meeting.title,
        "held_on": views.iso(meeting.held_on),
        "departments": list(meeting.departments or []),
        "department_names": [names.get(d, d) for d in meeting.departments or []],
        "attendees": list(meeting.attendees or []),
        "summary": meeting.summary,
        "created_by": meeting.created_by,
        "created_at": views.iso(meeting.created_at),
        "items": items_view(uow, list(rows)),
    }


def get_meeting(uow: UnitOfWork, user: models.User, meeting_id: int) -> dict[str, Any]:
    return meeting_view(uow, _meeting(uow, user, meeting_id))


def list_meetings(
    uow: UnitOfWork, user: models.User, page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, Any]], int]:
    if not may_use(user):
        access.require_role(user, "supervisor", "admin", "monitor")
    meeting = models.JointMeeting
    rows = [
        m
        for m in uow.session.scalars(
            select(meeting).order_by(meeting.held_on.desc(), meeting.id.desc())
        )
        if _visible(user, m)
    ]
    shown = rows[(page - 1) * per_page : page * per_page]
    return [meeting_view(uow, m) for m in shown], len(rows)


XLSX_COLUMNS = (
    ("序号", 6),
    ("督办编号", 20),
    ("议定事项", 40),
    ("措施要求", 40),
    ("牵头单位", 18),
    ("协办单位", 18),
    ("反馈期限", 12),
    ("状态", 10),
    ("等级", 10),
    ("最近反馈", 40),
    ("反馈时间", 20),
)


def meeting_xlsx(uow: UnitOfWork, user: models.User, meeting_id: int) -> tuple[str, bytes]:
    """The 督办清单 as a spreadsheet: (file name, bytes)."""
    view = get_meeting(uow, user, meeting_id)
    book = Workbook()
    sheet = book.active
    sheet.title = "督办清单"
    sheet.append([f"{view['title']}（{view['held_on']}）督办清单"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([name for name, _width in XLSX_COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for n, item in enumerate(view["items"], start=1):
        last = item["feedback"][-1] if item["feedback"] else None
        sheet.append(
            [
                n,
                item["no"],
                item["problem"],
                item["required_action"],
                item["lead_department_name"],
                "、".join(item["assisting_department_names"]),
                item["due_date"],
                STATUSES[item["status"]],
                LEVELS[item["level"]],
                last["text"] if last else "",
                last["at"][:16].replace("T", " ") if last else "",
            ]
        )
    for index, (_name, width) in enumerate(XLSX_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    book.save(out)
    return f"督办清单-{view['held_on']}-{meeting_id}.xlsx", out.getvalue()
