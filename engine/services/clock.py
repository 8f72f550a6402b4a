"""The statutory clock of a case (法定/承诺时限): read it, pause, resume, extend.

The arithmetic is engine/clock.py; this module decides what counts: the item's promised limit,
the pauses (补正 after acceptance, 特别程序) and approved extensions (延期) recorded for the case.
Every change is a case event.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select

from .. import access, models, views
from ..clock import ClockReading, Pause, read_clock, step_light
from ..errors import BadRequest, Conflict, Forbidden
from ..uow import UnitOfWork
from ..workdays import calendar, local_date, today
from .common import record

PAUSE_KINDS = ("supplement", "special_procedure")
EXTENDING_ROLES = ("approver", "admin")  # who may grant a 延期
MAX_EXTENSION_DAYS = 30


def limit_of(item: models.ServiceItem) -> tuple[int, str]:
    limit = item.guide.get("promised_limit") or item.guide.get("legal_limit") or {}
    return int(limit.get("days", 0)), limit.get("unit", "working_day")


def yellow_ratio(item: models.ServiceItem) -> float:
    return float((item.guide.get("light_thresholds") or {}).get("yellow_ratio", 0.1))


def reading(uow: UnitOfWork, case: models.Case) -> ClockReading:
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
        calendar(uow),
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


def refresh(uow: UnitOfWork, case: models.Case) -> ClockReading:
    """Recompute and store the due date (lists sort and filter on it)."""
    clock = reading(uow, case)
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
    if task.due_date is None or task.state not in ("ready", "claimed"):
        return "none"
    return step_light(calendar(uow), task.due_date, today(), task.due_working_days or 1)


def _open_pause(uow: UnitOfWork, case: models.Case) -> models.ClockPause | None:
    return uow.session.scalars(
        select(models.ClockPause).where(
            models.ClockPause.case_id == case.id, models.ClockPause.end.is_(None)
        )
    ).first()


def can_handle(uow: UnitOfWork, user: models.User, case: models.Case) -> bool:
    """Clock actions belong to whoever works the case now (or an administrator)."""
    if "admin" in user.role_codes:
        return True
    handles = uow.session.scalar(
        select(func.count())
        .select_from(models.HumanTask)
        .where(
            models.HumanTask.case_id == case.id,
            models.HumanTask.state.in_(("ready", "claimed")),
            models.HumanTask.department_code == user.department_code,
        )
    )
    return bool(handles) and access.works_cases(user)


def _require_handler(user: models.User, case: models.Case, uow: UnitOfWork) -> None:
    if not can_handle(uow, user, case):
        raise Forbidden("只有正在办理此办件的部门可以调整计时", code="not_handler")


def pause(
    uow: UnitOfWork,
    user: models.User | None,
    case: models.Case,
    kind: str,
    reason: str,
    procedure: str | None = None,
    planned_days: int | None = None,
) -> models.ClockPause:
    """Stop counting: 补正 after acceptance, or a 特别程序 the item allows (art. 45)."""
    if kind not in PAUSE_KINDS:
        raise BadRequest("kind 应为 supplement 或 special_procedure", {"field": "kind"})
    if user is not None:
        _require_handler(user, case, uow)
    if case.clock_state != "running":
        raise Conflict("办件计时未在进行中，无法暂停", code="clock_not_running")
    if kind == "special_procedure":
        allowed = case.service_item.guide.get("special_procedures") or []
        if procedure not in allowed:
            raise BadRequest(
                f"此事项的特别程序只有：{'、'.join(allowed) or '（无）'}",
                {"field": "procedure", "allowed": allowed},
                code="procedure_not_allowed",
            )
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
    case.clock_state = "paused"
    record(
        uow,
        case,
        row.started_by,
        "clock_pause",
        detail={
            "kind": kind,
            "procedure": procedure,
            "reason": reason,
            "planned_days": planned_days,
        },
    )
    return row


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


def extend(
    uow: UnitOfWork, user: models.User, case: models.Case, working_days: Any, reason: str
) -> models.ClockExtension:
    """延期: an approver adds working days with a reason; the applicant gets a notice."""
    access.require_role(user, *EXTENDING_ROLES)
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_EXTENSION_DAYS:
        raise BadRequest(f"延期天数应为 1–{MAX_EXTENSION_DAYS} 个工作日", {"field": "working_days"})
    if not (reason or "").strip():
        raise BadRequest("请填写延期理由", {"field": "reason"})
    if case.clock_state not in ("running", "paused"):
        raise Conflict("办件计时未在进行中，无法延期", code="clock_not_running")
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


def may_extend(user: models.User) -> bool:
    return bool(user.role_codes & set(EXTENDING_ROLES))
