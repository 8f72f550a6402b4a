"""Where cases wait (过程挖掘): each step of an item's model with its average waiting and handling
time in working days, over the steps completed in a period, for the diagram's overlays.

Waiting runs from the step's creation to its claim (签收), or to its completion when nobody
claimed it; handling from the claim to the completion. Working days are counted per distinct
(created, claimed, completed) day triple, so the calendar is read once per triple, not per step.
The bottleneck is the step with the longest waiting plus handling.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from .. import models
from ..clock import working_days_between
from ..errors import Forbidden
from ..uow import UnitOfWork
from ..workdays import calendar
from .scorecards import local_day, period_of, visible_keys


def step_times(
    uow: UnitOfWork, user: models.User, service_item: str, date_from: Any, date_to: Any
) -> dict[str, Any]:
    """``{"steps": [...], "bottleneck": element id or None}`` for the item's completed steps."""
    if visible_keys(uow, user, "service_item") is not None:
        raise Forbidden("没有查看办理环节用时的权限", code="scorecard_forbidden")
    period = period_of(date_from, date_to)
    dialect = uow.session.get_bind().dialect.name
    task, event, case = models.HumanTask, models.CaseEvent, models.Case
    claims = (
        select(event.task_id, func.min(event.at).label("claimed_at"))
        .where(event.action == "claim")
        .group_by(event.task_id)
        .subquery()
    )
    created = local_day(task.created_at, dialect)
    claimed = local_day(claims.c.claimed_at, dialect)
    completed = local_day(task.completed_at, dialect)
    query = (
        select(task.spec_name, task.name, created, claimed, completed, func.count())
        .join(case, case.id == task.case_id)
        .outerjoin(claims, claims.c.task_id == task.id)
        .where(
            case.service_item_code == service_item,
            task.state == "completed",
            period.holds(task.completed_at),
        )
        .group_by(task.spec_name, task.name, created, claimed, completed)
    )
    cal = calendar(uow)
    totals: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "waiting": 0, "handling": 0, "names": set()}
    )
    for element, name, made, claim, done, count in uow.session.execute(query):
        step = totals[element]
        step["count"] += count
        step["names"].add(name)
        start = claim or done
        step["waiting"] += count * working_days_between(cal, made, start)
        step["handling"] += count * (working_days_between(cal, claim, done) if claim else 0)
    steps = [
        {
            "element_id": element,
            "name": " / ".join(sorted(step["names"])),
            "count": step["count"],
            "avg_waiting_working_days": round(step["waiting"] / step["count"], 2),
            "avg_handling_working_days": round(step["handling"] / step["count"], 2),
        }
        for element, step in sorted(totals.items())
    ]
    slowest = max(
        steps,
        key=lambda s: s["avg_waiting_working_days"] + s["avg_handling_working_days"],
        default=None,
    )
    return {"steps": steps, "bottleneck": slowest["element_id"] if slowest else None}
