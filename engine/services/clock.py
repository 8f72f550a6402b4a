"""The statutory clock of a case (法定/承诺时限): read it, start, pause, resume, extend.

The arithmetic is engine/clock.py; this module decides what counts: the item's promised limit,
the pauses (补正 after acceptance, 特别程序) and approved extensions (延期) recorded for the case,
under the rules of 行政许可法 whose values are item settings (engine/catalogue.py):

- art. 32: a 补正 notice is due within 5 working days of receipt; past that without one, the
  application counts as accepted on receipt and the clock runs from there (``five_day_rule``);
- art. 42: an extension is granted by the head of the department deciding the case, at most
  once and by 10 working days unless the item's law says otherwise;
- art. 45: only 听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审 (or a procedure another law
  gives the item) pause the clock, each with the planned duration the applicant is told.

Every change is a case event. A calendar change recomputes every open case and step.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from .. import access, models, views, workdays
from ..catalogue import extension_rule, notice_rule, procedures
from ..clock import ClockReading, Pause, WorkCalendar, add_working_days, read_clock, step_light
from ..errors import BadRequest, Conflict, Forbidden, ValidationFailed
from ..uow import UnitOfWork
from ..workdays import calendar, local_date, today
from . import sms
from .common import record
from .deployed import definition_of

PAUSE_KINDS = ("supplement", "special_procedure")
EXTENDING_ROLE = "approver"  # the head (负责人) of the deciding department grants a 延期
OPEN_TASK_STATES = ("ready", "claimed")


def limit_of(item: models.ServiceItem) -> tuple[int, str]:
    limit = item.guide.get("promised_limit") or item.guide.get("legal_limit") or {}
    return int(limit.get("days", 0)), limit.get("unit", "working_day")


def yellow_ratio(item: models.ServiceItem) -> float:
    return float((item.guide.get("light_thresholds") or {}).get("yellow_ratio", 0.1))


def reading(uow: UnitOfWork, case: models.Case, cal: WorkCalendar | None = None) -> ClockReading:
    pauses = uow.session.scalars(
        select(models.ClockPause).where(models.ClockPause.case_id == case.id)
    ).all()
    extension = uow.session.scalar(
        select(func.coalesce(func.sum(models.ClockExtension.working_days), 0)).where(
            models.ClockExtension.case_id == case.id
        )
    )
    days, unit = limit_of(case.service_item)
    return read_clock(
        cal or calendar(uow),
        accepted_on=local_date(case.accepted_at) if case.accepted_at else None,
        limit_days=days,
        unit=unit,
        pauses=[Pause(p.start, p.end) for p in pauses],
        extension_days=int(extension or 0),
        today=today(),
        stopped_on=local_date(case.finished_at) if case.finished_at else None,
        yellow_ratio=yellow_ratio(case.service_item),
    )


def clock_view(clock: ClockReading) -> dict[str, Any]:
    view = asdict(clock)
    view["due_date"] = clock.due_date.isoformat() if clock.due_date else None
    return view


def case_clock_view(uow: UnitOfWork, case: models.Case) -> dict[str, Any]:
    """The case's clock as API.md shows it, plus the art. 32 deadline while not yet accepted:
    ``notice_due_date`` (the last day for a 补正 notice) and its ``notice_light``."""
    view = clock_view(reading(uow, case))
    watch = notice_watch(uow, case)
    view["notice_due_date"] = watch["due_date"].isoformat() if watch else None
    view["notice_light"] = watch["light"] if watch else "none"
    return view


def refresh(uow: UnitOfWork, case: models.Case, cal: WorkCalendar | None = None) -> ClockReading:
    """Recompute and store the due date (lists sort and filter on it)."""
    clock = reading(uow, case, cal)
    case.due_date = clock.due_date
    return clock


def list_light(uow: UnitOfWork, case: models.Case) -> str:
    """A list's light from the stored due date (exact readings are on the case itself)."""
    if case.clock_state != "running" or case.due_date is None:
        return "red" if case.status == "finished" and _finished_late(case) else "none"
    days, _unit = limit_of(case.service_item)
    return step_light(calendar(uow), case.due_date, today(), days, yellow_ratio(case.service_item))


def _finished_late(case: models.Case) -> bool:
    return bool(case.finished_at and case.due_date and local_date(case.finished_at) > case.due_date)


def task_light(uow: UnitOfWork, task: models.HumanTask) -> str:
    if task.due_date is None or task.state not in OPEN_TASK_STATES:
        return "none"
    return step_light(calendar(uow), task.due_date, today(), task.due_working_days or 1)


# ---- start: acceptance and the five-day rule (行政许可法 art. 32) -------------------------------


def _receipt(case: models.Case) -> date:
    return local_date(case.created_at or models.utcnow())


def _awaits_notice(case: models.Case) -> bool:
    """Received, not accepted, refused or told to supplement yet: the art. 32 days run."""
    return (
        case.status == "running"
        and case.clock_state == "not_started"
        and not (case.supplement_rounds)
    )


def notice_due(cal: WorkCalendar, case: models.Case) -> date:
    """The last day to give the 补正 notice: N working days after receipt (art. 32, art. 82)."""
    days, _basis = notice_rule(case.service_item.guide)
    return add_working_days(cal, _receipt(case), days)[0]


def notice_watch(uow: UnitOfWork, case: models.Case) -> dict[str, Any] | None:
    """While a case awaits its intake decision: the notice deadline and its light, so the window
    sees a case coming up to the day it would count as accepted (None otherwise)."""
    if not _awaits_notice(case):
        return None
    cal = calendar(uow)
    due = notice_due(cal, case)
    days, _basis = notice_rule(case.service_item.guide)
    return {"due_date": due, "light": step_light(cal, due, today(), max(days, 1))}


def start(uow: UnitOfWork, case: models.Case, now: datetime) -> None:
    """受理: the clock starts the day after acceptance — or after receipt, when the notice
    deadline passed without a 补正 notice (the application counts as accepted on receipt)."""
    if case.clock_state != "not_started":
        return
    deemed = _awaits_notice(case) and today() > notice_due(calendar(uow), case)
    case.clock_state = "running"
    case.accepted_at = case.created_at if deemed else now
    due = refresh(uow, case).due_date
    detail: dict[str, Any] = {"due_date": due.isoformat() if due else None}
    if deemed:
        detail |= {"deemed": True, "basis": notice_rule(case.service_item.guide)[1]}
    record(uow, case, "system", "clock_start", detail=detail)
    sms.tell_applicant(uow, case, "acceptance")


def _starts_at_intake(uow: UnitOfWork, case: models.Case) -> bool:
    meta = definition_of(uow.session, case.definition_id).task_meta
    return any(info.get("clock") == "start" for info in meta.values())


def five_day_rule(uow: UnitOfWork) -> list[str]:
    """Start the clock from receipt for every case whose notice deadline has passed without a
    补正 notice or a decision (the scheduler runs this); returns their case numbers.

    Only the overdue cases are locked (``FOR UPDATE SKIP LOCKED``, re-read), so a pass never
    holds up a window deciding another case, and a case decided meanwhile is left alone.
    """
    cal = calendar(uow)
    overdue = [
        case.id
        for case in uow.session.scalars(_awaiting().options(selectinload(models.Case.service_item)))
        if today() > notice_due(cal, case) and _starts_at_intake(uow, case)
    ]
    if not overdue:
        return []
    locked = uow.session.scalars(
        _awaiting()
        .where(models.Case.id.in_(overdue))
        .order_by(models.Case.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for case in locked:
        start(uow, case, models.utcnow())
    return [case.case_no for case in locked]


def _awaiting() -> Select[tuple[models.Case]]:
    """Cases received and still awaiting the window's decision (no 补正 notice either)."""
    return select(models.Case).where(
        models.Case.status == "running",
        models.Case.clock_state == "not_started",
        models.Case.supplement_rounds == 0,
    )


def awaiting_notice(uow: UnitOfWork, user: models.User, limit: int = 50) -> list[dict[str, Any]]:
    """For the intake page: cases taken in by the user's department still awaiting a decision,
    the closest to their art. 32 deadline first."""
    rows = uow.session.scalars(
        _awaiting()
        .where(models.Case.intake_department == user.department_code)
        .options(selectinload(models.Case.service_item))
        .order_by(models.Case.created_at)
        .limit(limit)
    ).all()
    watched = []
    for case in rows:
        watch = notice_watch(uow, case)
        if watch is not None:
            watched.append(
                {
                    "case_no": case.case_no,
                    "service_item_name": case.service_item.name,
                    "applicant_name": case.applicant_name,
                    "received_on": _receipt(case).isoformat(),
                    "notice_due_date": watch["due_date"].isoformat(),
                    "light": watch["light"],
                }
            )
    return sorted(watched, key=lambda w: w["notice_due_date"])


# ---- pause and resume (补正 after acceptance, 特别程序) ---------------------------------------


def _open_pause(uow: UnitOfWork, case: models.Case) -> models.ClockPause | None:
    return uow.session.scalars(
        select(models.ClockPause).where(
            models.ClockPause.case_id == case.id, models.ClockPause.end.is_(None)
        )
    ).first()


def _deciding_departments(uow: UnitOfWork, case: models.Case) -> set[str]:
    """The departments holding an open step of the case: those who work and decide it now."""
    return set(
        uow.session.scalars(
            select(models.HumanTask.department_code).where(
                models.HumanTask.case_id == case.id,
                models.HumanTask.state.in_(OPEN_TASK_STATES),
            )
        )
    )


def can_handle(uow: UnitOfWork, user: models.User, case: models.Case) -> bool:
    """Clock actions belong to whoever works the case now (or an administrator)."""
    if "admin" in user.role_codes:
        return True
    return access.works_cases(user) and user.department_code in _deciding_departments(uow, case)


def _require_handler(user: models.User, case: models.Case, uow: UnitOfWork) -> None:
    if not can_handle(uow, user, case):
        raise Forbidden("只有正在办理此办件的部门可以调整计时", code="not_handler")


def _procedure(case: models.Case, name: str | None, planned_days: int | None) -> tuple[str, int]:
    """The allowed procedure ``name`` and its planned working days (the item's usual length
    when the handler gives none); refused when art. 45 and the item's settings do not allow it."""
    allowed = {p.name: p for p in procedures(case.service_item.guide)}
    found = allowed.get(name or "")
    if found is None:
        raise BadRequest(
            f"此事项的特别程序只有：{'、'.join(allowed) or '（无）'}"
            "（行政许可法第四十五条所列，或法律法规为本事项另行规定的）",
            {"field": "procedure", "allowed": list(allowed)},
            code="procedure_not_allowed",
        )
    planned = planned_days or found.planned_working_days
    if not isinstance(planned, int) or planned < 1:
        raise BadRequest(
            "请填写特别程序所需的工作日数，它将书面告知申请人",
            {"field": "planned_days"},
            code="planned_days_required",
        )
    return found.name, planned


def pause(
    uow: UnitOfWork,
    user: models.User | None,
    case: models.Case,
    kind: str,
    reason: str,
    procedure: str | None = None,
    planned_days: int | None = None,
) -> models.ClockPause:
    """Stop counting: 补正 after acceptance, or a 特别程序 the item allows (art. 45), whose
    planned duration is kept and printed on the notice to the applicant."""
    if kind not in PAUSE_KINDS:
        raise BadRequest("kind 应为 supplement 或 special_procedure", {"field": "kind"})
    if user is not None:
        _require_handler(user, case, uow)
    if case.clock_state != "running":
        raise Conflict("办件计时未在进行中，无法暂停", code="clock_not_running")
    basis = None
    if kind == "special_procedure":
        procedure, planned_days = _procedure(case, procedure, planned_days)
        basis = next(p.basis for p in procedures(case.service_item.guide) if p.name == procedure)
    else:
        procedure = planned_days = None
    if not (reason or "").strip():
        raise BadRequest("请填写暂停计时的理由", {"field": "reason"})
    row = models.ClockPause(
        case_id=case.id,
        kind=kind,
        procedure=procedure,
        reason=reason,
        planned_days=planned_days,
        start=today(),
        started_by=user.username if user else "system",
    )
    uow.session.add(row)
    uow.session.flush()
    case.clock_state = "paused"
    detail: dict[str, Any] = {
        "kind": kind,
        "procedure": procedure,
        "reason": reason,
        "planned_days": planned_days,
    }
    if planned_days:
        end, provisional = planned_end(calendar(uow), row)
        detail |= {"basis": basis, "planned_end": end.isoformat(), "provisional": provisional}
    record(uow, case, row.started_by, "clock_pause", detail=detail)
    return row


def planned_end(cal: WorkCalendar, row: models.ClockPause) -> tuple[date, bool]:
    """The day a special procedure is planned to end, counted from the day before it began
    (its first day counts), and whether the calendar was assumed on the way (暂定)."""
    return add_working_days(cal, row.start - timedelta(days=1), row.planned_days)


def resume(uow: UnitOfWork, user: models.User | None, case: models.Case) -> None:
    if user is not None:
        _require_handler(user, case, uow)
    open_pause = _open_pause(uow, case)
    if open_pause is None or case.clock_state != "paused":
        raise Conflict("办件计时未暂停", code="clock_not_paused")
    open_pause.end = max(today(), open_pause.start)
    open_pause.ended_by = user.username if user else "system"
    case.clock_state = "running"
    refresh(uow, case)
    record(
        uow,
        case,
        open_pause.ended_by,
        "clock_resume",
        detail={"kind": open_pause.kind, "procedure": open_pause.procedure},
    )


# ---- extend (延期, art. 42) ------------------------------------------------------------------


def may_extend(uow: UnitOfWork, user: models.User, case: models.Case) -> bool:
    """Only an approver (the head) of a department deciding the case now: not one who merely
    sees it (抄送) or whose department handled an earlier step."""
    return EXTENDING_ROLE in user.role_codes and user.department_code in _deciding_departments(
        uow, case
    )


def extend(
    uow: UnitOfWork, user: models.User, case: models.Case, working_days: Any, reason: str
) -> models.ClockExtension:
    """延期: the deciding department's head adds working days with a reason, within the law's
    cap (the item's setting); the applicant gets a 延期告知书."""
    if not may_extend(uow, user, case):
        raise Forbidden(
            "只有当前承办部门的负责人（审批人）可以批准延期", code="not_deciding_approver"
        )
    if not isinstance(working_days, int) or isinstance(working_days, bool) or working_days < 1:
        raise BadRequest("延期天数应为正整数（工作日）", {"field": "working_days"})
    if not (reason or "").strip():
        raise BadRequest("请填写延期理由", {"field": "reason"})
    if case.clock_state not in ("running", "paused"):
        raise Conflict("办件计时未在进行中，无法延期", code="clock_not_running")
    rule = extension_rule(case.service_item.guide)
    granted = uow.session.scalar(
        select(func.count())
        .select_from(models.ClockExtension)
        .where(models.ClockExtension.case_id == case.id)
    )
    if granted >= rule.max_times or working_days > rule.max_working_days:
        raise ValidationFailed(
            f"依据{rule.basis}，本事项办理期限最多延长 {rule.max_times} 次、"
            f"每次不超过 {rule.max_working_days} 个工作日（已延长 {granted} 次）",
            {
                "fields": {"working_days": f"不超过 {rule.max_working_days} 个工作日"},
                "rule": rule.basis,
                "max_times": rule.max_times,
                "max_working_days": rule.max_working_days,
                "granted": granted,
            },
            code="extension_limit",
        )
    row = models.ClockExtension(
        case_id=case.id, working_days=working_days, reason=reason, approved_by=user.username
    )
    uow.session.add(row)
    uow.session.flush()
    clock = refresh(uow, case)
    record(
        uow,
        case,
        user.username,
        "clock_extend",
        detail={
            "working_days": working_days,
            "reason": reason,
            "basis": rule.basis,
            "due_date": clock.due_date.isoformat() if clock.due_date else None,
        },
    )
    return row


def history(uow: UnitOfWork, case: models.Case) -> dict[str, list[dict[str, Any]]]:
    """Pauses and extensions, oldest first, as the case page lists them."""
    pauses = uow.session.scalars(
        select(models.ClockPause)
        .where(models.ClockPause.case_id == case.id)
        .order_by(models.ClockPause.start, models.ClockPause.id)
    )
    extensions = uow.session.scalars(
        select(models.ClockExtension)
        .where(models.ClockExtension.case_id == case.id)
        .order_by(models.ClockExtension.at, models.ClockExtension.id)
    )
    return {
        "pauses": [
            {
                "kind": p.kind,
                "procedure": p.procedure,
                "reason": p.reason,
                "planned_days": p.planned_days,
                "start": p.start.isoformat(),
                "end": p.end.isoformat() if p.end else None,
                "started_by": p.started_by,
                "ended_by": p.ended_by,
            }
            for p in pauses
        ],
        "extensions": [
            {
                "working_days": e.working_days,
                "reason": e.reason,
                "approved_by": e.approved_by,
                "at": views.iso(e.at),
            }
            for e in extensions
        ],
    }


# ---- the calendar (工作日历): every edit recomputes what depends on it ---------------------------


def set_calendar_day(
    uow: UnitOfWork, user: models.User, day: date, kind: str, name: str, source: str
) -> models.CalendarDay:
    access.require_role(user, "admin")
    row = workdays.set_day(uow, day, kind, name, source, user.username)
    recompute_open(uow)
    return row


def clear_calendar_day(uow: UnitOfWork, user: models.User, day: date) -> bool:
    access.require_role(user, "admin")
    cleared = workdays.clear_day(uow, day)
    recompute_open(uow)
    return cleared


def announce_calendar_year(uow: UnitOfWork, user: models.User, year: int, source: str) -> None:
    """The year's official schedule is entered: its dates stop being provisional (暂定)."""
    access.require_role(user, "admin")
    workdays.announce_year(uow, year, source)
    recompute_open(uow)


def withdraw_calendar_year(uow: UnitOfWork, user: models.User, year: int) -> bool:
    access.require_role(user, "admin")
    withdrawn = workdays.withdraw_year(uow, year)
    recompute_open(uow)
    return withdrawn


def recompute_open(uow: UnitOfWork) -> tuple[int, int]:
    """Due dates of every open case and open step, from the calendar as this transaction
    leaves it (lights follow from them); returns how many of each changed.

    A step is due ``dueWorkingDays`` after the day it started, as when it was created.
    """
    cal = workdays.load_calendar(uow.session)
    cases = uow.session.scalars(
        select(models.Case).where(
            models.Case.status == "running", models.Case.clock_state.in_(("running", "paused"))
        )
    ).all()
    moved_cases = 0
    for case in cases:
        before = case.due_date
        moved_cases += refresh(uow, case, cal).due_date != before
    steps = uow.session.scalars(
        select(models.HumanTask).where(
            models.HumanTask.state.in_(OPEN_TASK_STATES),
            models.HumanTask.due_working_days.is_not(None),
        )
    ).all()
    moved_steps = 0
    for step in steps:
        due = add_working_days(cal, local_date(step.created_at), step.due_working_days)[0]
        if due != step.due_date:
            step.due_date, moved_steps = due, moved_steps + 1
    return moved_cases, moved_steps
