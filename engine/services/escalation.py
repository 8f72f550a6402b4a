"""What 督办 does as days pass: ``sweep`` runs from the timer Scheduler's loop, after its timers.

- A case turning **yellow** notifies the head of the department holding it (once: the case's
  ``light_yellow`` event); a case turning **red** opens a supervision item (source ``overdue``);
  a bad rating whose handling is past its limit opens one (source ``rating``). Each is opened
  once: the item's ``origin`` is unique.
- An item whose feedback deadline passed without the lead department's feedback turns
  **orange** with a 催办通知书 the working day after (setting ``orange_after_working_days``),
  and **red** with a 通报 five working days after that (``red_after_working_days``); both tell
  the lead department's head and the office's supervisors. A notice is issued once per item,
  deadline round and kind (a unique row).

Everything is computed from the clock the scheduler passes in, so tests move time instead of
waiting. Two schedulers on one PostgreSQL database never act twice: the rows an action reads
are taken with ``FOR UPDATE SKIP LOCKED`` and re-checked once held, and the unique origin and
notice rows are the backstop (SQLite serialises writers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, literal, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .. import models
from ..clock import add_working_days, step_light
from ..uow import UnitOfWork
from ..workdays import calendar, local_date
from . import commissioners, ratings
from .cases import department_names
from .clock import limit_of, yellow_ratio
from .common import record
from .notifications import notify
from .supervision import (
    LEVELS,
    NOTICE_KINDS,
    SYSTEM,
    CheckedInput,
    heads_of,
    notice_doc_no,
    open_item,
    record_event,
    settings,
    supervisors,
)

OVERDUE_ORIGIN = "overdue:"  # + case number
RATING_ORIGIN = "rating:"  # + rating id
YELLOW_EVENT = "light_yellow"
SUPERVISED_EVENT = "supervised"  # the case's history: an item was opened for it
OPEN_STEPS = ("ready", "claimed")
LIGHT_BATCH = 200  # cases a transaction of the lights' pass locks at most


@dataclass
class Swept:
    """What one pass did: case numbers told yellow, item numbers opened and escalated."""

    yellow: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    escalated: list[tuple[str, str]] = field(default_factory=list)  # (item no, level)


def sweep(sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> Swept:
    """One pass, each part in its own transaction so one failing does not undo the others."""
    now = clock()
    swept = Swept()
    with UnitOfWork(sessions, write=False) as uow:
        lit = case_lights(uow, now)
    acting = list(lit)
    for start in range(0, len(acting), LIGHT_BATCH):
        with UnitOfWork(sessions) as uow:
            watch_case_lights(
                uow, now, {i: lit[i] for i in acting[start : start + LIGHT_BATCH]}, swept
            )
    with UnitOfWork(sessions) as uow:
        open_for_late_ratings(uow, now, swept)
    with UnitOfWork(sessions) as uow:
        escalate(uow, now, swept)
    return swept


# ---- cases: yellow and red lights ----------------------------------------------------------------


def _holding_departments(uow: UnitOfWork, case: models.Case) -> list[str]:
    """The departments of the case's open steps, the longest waiting first; the intake
    department when no step is open."""
    codes = uow.session.scalars(
        select(models.HumanTask.department_code)
        .where(models.HumanTask.case_id == case.id, models.HumanTask.state.in_(OPEN_STEPS))
        .order_by(models.HumanTask.created_at)
    ).all()
    return list(dict.fromkeys(codes)) or [case.intake_department]


def _light(uow: UnitOfWork, case: models.Case, day: date) -> str:
    """The case's light on ``day`` from its stored due date (as the lists show it)."""
    days, _unit = limit_of(case.service_item)
    return step_light(calendar(uow), case.due_date, day, days, yellow_ratio(case.service_item))


def _yellow_horizon(uow: UnitOfWork, day: date) -> date:
    """The latest due date that can show yellow on ``day``, so a pass reads only the cases
    near or past their deadline: the widest yellow band of any item (DOMAIN.md: remaining ≤
    max(1, ratio × promised limit) working days), one day wider to be safe; the light itself
    is ``step_light``'s."""
    widest = max(
        (
            math.floor(yellow_ratio(item) * limit_of(item)[0])
            for item in uow.session.scalars(select(models.ServiceItem))
        ),
        default=0,
    )
    return add_working_days(calendar(uow), day, max(1, widest) + 1)[0]


def _not_supervised() -> ColumnElement[bool]:
    case = models.Case
    return ~exists(
        select(models.SupervisionItem.id).where(
            models.SupervisionItem.origin == literal(OVERDUE_ORIGIN) + case.case_no
        )
    )


def case_lights(uow: UnitOfWork, now: datetime) -> dict[int, str]:
    """The running cases showing yellow or red today and not yet supervised, by id."""
    day = local_date(now)
    case = models.Case
    running = uow.session.scalars(
        select(case)
        .where(
            case.status == "running",
            case.clock_state == "running",
            case.due_date <= _yellow_horizon(uow, day),
            _not_supervised(),
        )
        .options(selectinload(case.service_item))
        .order_by(case.id)
    ).all()
    lit = {c.id: _light(uow, c, day) for c in running}
    return {i: light for i, light in lit.items() if light in ("yellow", "red")}


def watch_case_lights(uow: UnitOfWork, now: datetime, lit: dict[int, str], swept: Swept) -> None:
    """Tell the holder of each case of ``lit`` that turned yellow; open an item for each red
    one. A pass takes ``LIGHT_BATCH`` cases a transaction: a county's first pass (thousands of
    red cases) must not hold their rows, and the clerks working on them, for minutes."""
    values = settings(uow)
    case = models.Case
    locked = uow.session.scalars(
        select(case)
        .where(
            case.id.in_(list(lit)),
            case.status == "running",
            case.clock_state == "running",
            _not_supervised(),
        )
        .with_for_update(skip_locked=True)
        .order_by(case.id)
    ).all()
    told = set(
        uow.session.scalars(
            select(models.CaseEvent.case_id).where(
                models.CaseEvent.case_id.in_([c.id for c in locked]),
                models.CaseEvent.action == YELLOW_EVENT,
            )
        )
    )
    for row in locked:
        if lit[row.id] == "red" and values["open_for_red_cases"]:
            swept.opened.append(_open_for_red_case(uow, row, now, values))
        elif lit[row.id] == "yellow" and values["notify_yellow"] and row.id not in told:
            _tell_yellow(uow, row)
            swept.yellow.append(row.case_no)


def _tell_yellow(uow: UnitOfWork, case: models.Case) -> None:
    holders = _holding_departments(uow, case)
    record(uow, case, SYSTEM, YELLOW_EVENT, detail={"due_date": case.due_date.isoformat()})
    commissioners.tell(uow, case, "yellow")
    notify(
        uow,
        heads_of(uow, holders),
        "light_yellow",
        f"办件 {case.case_no}（{case.service_item.name}）亮黄灯：将于 "
        f"{case.due_date.isoformat()} 到期，请督促按时办结",
        case=case,
    )


def _open_for_red_case(uow: UnitOfWork, case: models.Case, now: datetime, values: dict) -> str:
    holders = _holding_departments(uow, case)
    names = department_names(uow)
    given = CheckedInput(
        problem=f"办件 {case.case_no}（{case.service_item.name}）超过承诺办结时限"
        f"（{case.due_date.isoformat()}）仍未办结，亮红灯；现由"
        f"{'、'.join(names.get(h, h) for h in holders)}办理。",
        lead_department=holders[0],
        required_action="查明超期原因，尽快办结，并书面反馈原因和整改措施。",
        due_working_days=values["overdue_feedback_working_days"],
        assisting_departments=holders[1:],
        case_nos=[case.case_no],
        responsible_person="",
    )
    item = open_item(uow, SYSTEM, "overdue", given, now=now, origin=OVERDUE_ORIGIN + case.case_no)
    commissioners.tell(uow, case, "red")
    record(uow, case, SYSTEM, SUPERVISED_EVENT, detail={"no": item.no, "source": "overdue"})
    return item.no


# ---- bad ratings whose handling is late ----------------------------------------------------------


def open_for_late_ratings(uow: UnitOfWork, now: datetime, swept: Swept) -> None:
    """One item per bad rating whose handling (回访整改) is still open past its limit."""
    values = settings(uow)
    late = ratings.handlings_past_limit(uow, local_date(now))
    opened = set(
        uow.session.scalars(
            select(models.SupervisionItem.origin).where(
                models.SupervisionItem.origin.in_([RATING_ORIGIN + str(r.id) for r in late])
            )
        )
    )
    for rating in late:
        origin = RATING_ORIGIN + str(rating.id)
        if origin in opened:
            continue
        held = uow.session.scalars(
            select(models.Rating)
            .where(models.Rating.id == rating.id)
            .with_for_update(skip_locked=True)
        ).first()
        already = uow.session.scalar(
            select(models.SupervisionItem.id).where(models.SupervisionItem.origin == origin)
        )
        if held is None or already is not None:
            continue
        handling = rating.handling_case
        lead = (handling.data or {}).get("responsible_department") or handling.intake_department
        given = CheckedInput(
            problem=f"办件 {rating.case.case_no} 的差评（{rating.level} 级）整改超过时限"
            f"（{rating.handling_due_date.isoformat()}）仍未办结（差评处理件 "
            f"{handling.case_no}）。",
            lead_department=lead,
            required_action="尽快完成回访和整改，并书面反馈整改结果。",
            due_working_days=values["rating_feedback_working_days"],
            assisting_departments=[],
            case_nos=[rating.case.case_no, handling.case_no],
            responsible_person="",
        )
        item = open_item(uow, SYSTEM, "rating", given, now=now, origin=origin)
        swept.opened.append(item.no)


# ---- escalation: orange (催办通知书) and red (通报) ---------------------------------------------


def escalate(uow: UnitOfWork, now: datetime, swept: Swept) -> None:
    day = local_date(now)
    values = settings(uow)
    cal = calendar(uow)
    item = models.SupervisionItem
    late = uow.session.scalars(
        select(item)
        .where(item.status == "issued", item.due_date < day, item.level != "red")
        .order_by(item.id)
        .with_for_update(skip_locked=True)
    ).all()
    for row in late:
        orange_on = add_working_days(cal, row.due_date, values["orange_after_working_days"])[0]
        if day < orange_on:
            continue
        issued = set(
            uow.session.scalars(
                select(models.SupervisionNotice.kind).where(
                    models.SupervisionNotice.item_id == row.id,
                    models.SupervisionNotice.round == row.round,
                )
            )
        )
        if "urge" not in issued:
            _raise(uow, row, "orange", "urge", now)
            swept.escalated.append((row.no, "orange"))
        red_on = add_working_days(cal, orange_on, values["red_after_working_days"])[0]
        if day >= red_on and "circular" not in issued:
            _raise(uow, row, "red", "circular", now)
            swept.escalated.append((row.no, "red"))


def _raise(
    uow: UnitOfWork, item: models.SupervisionItem, level: str, kind: str, now: datetime
) -> None:
    item.level = level
    uow.session.add(
        models.SupervisionNotice(
            item_id=item.id, round=item.round, kind=kind, issued_on=local_date(now), issued_at=now
        )
    )
    doc_no = notice_doc_no(item, kind, item.round)
    record_event(uow, item, "escalate", now, {"level": level, "notice": kind, "doc_no": doc_no})
    notify(
        uow,
        heads_of(uow, [item.lead_department]) + supervisors(uow),
        "supervision",
        f"{item.no} 未按期反馈，已升级为{LEVELS[level]}，发出{NOTICE_KINDS[kind]}（{doc_no}）",
    )
