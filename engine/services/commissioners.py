"""企业服务专员 commissioners: enterprises known by credit code (from enterprise applicants'
cases), assigned by administrators; the 我的企业 workspace (every case of an enterprise in every
department, its current step, deadline and light); visit logs (走访) whose escalated problems
become supervision items (source ``commissioner``); the commissioner told when a case turns
yellow or red (escalation.py) and named by the approval-chain rule ``commissioner``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import access, models, views
from ..errors import NotFound, ValidationFailed
from ..identity import CREDIT_CODE_TYPES
from ..uow import UnitOfWork
from . import clock, supervision
from .cases import department_names
from .chains import commissioner_of
from .notifications import notify

COMMISSIONER = "commissioner"
MAX_NOTES = 4000
MAX_PROBLEMS = 20
PROBLEM_FEEDBACK_DAYS = 5  # working days a department has to answer an escalated problem
CENTER = "office"  # 县政府办公室 leads an escalated problem no case of the enterprise points at


def _enterprise_cases():
    case = models.Case
    return (case.applicant_kind == "enterprise") & case.applicant_id_type.in_(
        sorted(CREDIT_CODE_TYPES)
    )


def tell(uow: UnitOfWork, case: models.Case, light: str) -> None:
    """The enterprise's commissioner hears of a case turning yellow or red (once each: the
    sweep calls this where it records the light)."""
    username = commissioner_of(uow, case)
    if username is None:
        return
    due = case.due_date.isoformat() if case.due_date else ""
    words = {"yellow": f"亮黄灯，将于 {due} 到期", "red": f"亮红灯，已超过 {due} 的办结时限"}
    notify(
        uow,
        [username],
        f"light_{light}",
        f"您服务的企业 {case.applicant_name} 的办件 {case.case_no}（{case.service_item.name}）"
        f"{words[light]}",
        case=case,
    )


def _require_reader(uow: UnitOfWork, user: models.User, credit_code: str) -> None:
    """Administrators and supervisors read every enterprise; a commissioner their own."""
    if access.reads_everything(user):
        return
    access.require_role(user, COMMISSIONER)
    assigned = uow.session.get(models.EnterpriseCommissioner, credit_code)
    if assigned is None or assigned.username != user.username:
        raise NotFound(f"企业 {credit_code} 不存在或不是您服务的企业", code="enterprise_not_found")


def _known(uow: UnitOfWork, credit_code: str) -> str:
    """The enterprise's latest name from its cases; unknown credit code: 404."""
    name = uow.session.scalar(
        select(models.Case.applicant_name)
        .where(_enterprise_cases(), models.Case.applicant_id_number == credit_code)
        .order_by(models.Case.id.desc())
        .limit(1)
    )
    if name is None:
        raise NotFound(f"企业 {credit_code} 不存在", code="enterprise_not_found")
    return name


def assign(uow: UnitOfWork, user: models.User, credit_code: str, body: Any) -> dict[str, Any]:
    """PUT /enterprises/{credit_code}/commissioner (administrators)."""
    access.require_role(user, "admin")
    name = _known(uow, credit_code)
    username = body.get("username") if isinstance(body, dict) else None
    person = uow.session.scalar(select(models.User).where(models.User.username == username))
    if person is None or not person.active or COMMISSIONER not in person.role_codes:
        raise ValidationFailed(
            "请选择一名在岗的企业服务专员", {"fields": {"username": "不是企业服务专员"}}
        )
    row = uow.session.get(models.EnterpriseCommissioner, credit_code)
    if row is None:
        row = models.EnterpriseCommissioner(credit_code=credit_code, username=username)
        uow.session.add(row)
    row.username, row.assigned_by, row.assigned_at = username, user.username, models.utcnow()
    uow.session.flush()
    return {"credit_code": credit_code, "name": name, "commissioner": username}


def list_enterprises(
    uow: UnitOfWork, user: models.User, mine: bool, page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, Any]], int]:
    """GET /enterprises (``?commissioner=me``: the caller's); each with its case counts."""
    if not mine and not access.reads_everything(user):
        access.require_role(user, "admin", "supervisor")
    case, assigned = models.Case, models.EnterpriseCommissioner
    query = (
        select(
            case.applicant_id_number,
            func.max(case.applicant_name),
            func.count(case.id),
            func.count(case.id).filter(case.status == "running"),
            func.max(assigned.username),
        )
        .outerjoin(assigned, assigned.credit_code == case.applicant_id_number)
        .where(_enterprise_cases())
        .group_by(case.applicant_id_number)
    )
    if mine:
        query = query.where(assigned.username == user.username)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.execute(
        query.order_by(case.applicant_id_number).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [
        {
            "credit_code": code,
            "name": name,
            "cases": count,
            "running": int(running or 0),
            "commissioner": commissioner,
        }
        for code, name, count, running, commissioner in rows
    ], total


def get_enterprise(uow: UnitOfWork, user: models.User, credit_code: str) -> dict[str, Any]:
    """The 我的企业 view of one enterprise: every case in every department, open steps, light."""
    _require_reader(uow, user, credit_code)
    name = _known(uow, credit_code)
    names = department_names(uow)
    cases = uow.session.scalars(
        select(models.Case)
        .where(_enterprise_cases(), models.Case.applicant_id_number == credit_code)
        .options(selectinload(models.Case.service_item))
        .order_by(models.Case.id.desc())
    ).all()
    open_steps = uow.session.scalars(
        select(models.HumanTask)
        .where(
            models.HumanTask.case_id.in_([c.id for c in cases]),
            models.HumanTask.state.in_(("ready", "claimed")),
        )
        .order_by(models.HumanTask.created_at)
    ).all()
    steps: dict[int, list[dict[str, Any]]] = {}
    for step in open_steps:
        steps.setdefault(step.case_id, []).append(
            {
                "name": step.name,
                "department": step.department_code,
                "department_name": names.get(step.department_code, step.department_code),
                "due_date": views.iso(step.due_date),
            }
        )
    assigned = uow.session.get(models.EnterpriseCommissioner, credit_code)
    return {
        "credit_code": credit_code,
        "name": name,
        "commissioner": assigned.username if assigned else None,
        "cases": [
            {
                "case_no": c.case_no,
                "service_item": c.service_item_code,
                "service_item_name": c.service_item.name,
                "status": c.status,
                "due_date": views.iso(c.due_date),
                "light": clock.list_light(uow, c),
                "current_steps": steps.get(c.id, []),
            }
            for c in cases
        ],
        "visits": [_visit_view(v) for v in _visits(uow, credit_code)],
    }


def _visits(uow: UnitOfWork, credit_code: str) -> list[models.CommissionerVisit]:
    return list(
        uow.session.scalars(
            select(models.CommissionerVisit)
            .where(models.CommissionerVisit.credit_code == credit_code)
            .order_by(models.CommissionerVisit.visited_on.desc(), models.CommissionerVisit.id)
        )
    )


def _visit_view(visit: models.CommissionerVisit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "date": visit.visited_on.isoformat(),
        "commissioner": visit.username,
        "notes": visit.notes,
        "problems": visit.problems,
    }


def _checked_visit(body: Any) -> tuple[date, str, list[dict[str, Any]]]:
    body = body if isinstance(body, dict) else {}
    problems: dict[str, str] = {}
    try:
        day = date.fromisoformat(str(body.get("date")))
    except ValueError:
        problems["date"] = "日期格式应为 YYYY-MM-DD"
        day = date.min
    notes = body.get("notes") or ""
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        problems["notes"] = f"走访记录不超过 {MAX_NOTES} 字"
    raised = body.get("problems") or []
    if not isinstance(raised, list) or len(raised) > MAX_PROBLEMS:
        problems["problems"] = f"问题应为列表（不超过 {MAX_PROBLEMS} 条）"
        raised = []
    checked = []
    for n, problem in enumerate(raised):
        text = problem.get("text") if isinstance(problem, dict) else None
        if not isinstance(text, str) or not text.strip():
            problems[f"problems[{n}].text"] = "请填写问题"
            continue
        checked.append({"text": text.strip(), "escalate": problem.get("escalate") is True})
    if problems:
        raise ValidationFailed("走访记录填写有误", {"fields": problems})
    return day, notes, checked


def _lead_for(uow: UnitOfWork, credit_code: str) -> str:
    """The department where the enterprise's latest open case waits, else the office."""
    return (
        uow.session.scalar(
            select(models.HumanTask.department_code)
            .join(models.Case, models.Case.id == models.HumanTask.case_id)
            .where(
                _enterprise_cases(),
                models.Case.applicant_id_number == credit_code,
                models.HumanTask.state.in_(("ready", "claimed")),
            )
            .order_by(models.HumanTask.created_at.desc())
            .limit(1)
        )
        or CENTER
    )


def log_visit(uow: UnitOfWork, user: models.User, credit_code: str, body: Any) -> dict[str, Any]:
    """POST /enterprises/{credit_code}/visits: the enterprise's commissioner logs a 走访; each
    escalated problem becomes a supervision item (source ``commissioner``) led by the
    department where the enterprise's case waits."""
    access.require_role(user, COMMISSIONER)
    _require_reader(uow, user, credit_code)
    name = _known(uow, credit_code)
    day, notes, problems = _checked_visit(body)
    lead = _lead_for(uow, credit_code)
    for problem in problems:
        if not problem["escalate"]:
            continue
        given = supervision.CheckedInput(
            problem=f"企业服务专员走访 {name}（{credit_code}）反映：{problem['text']}",
            lead_department=lead,
            required_action="核实企业反映的问题，提出解决办法并书面反馈。",
            due_working_days=PROBLEM_FEEDBACK_DAYS,
            assisting_departments=[],
            case_nos=[],
            responsible_person="",
        )
        problem["supervision_no"] = supervision.open_item(
            uow, user.username, COMMISSIONER, given
        ).no
    visit = models.CommissionerVisit(
        credit_code=credit_code,
        username=user.username,
        visited_on=day,
        notes=notes,
        problems=problems,
    )
    uow.session.add(visit)
    uow.session.flush()
    return _visit_view(visit)
