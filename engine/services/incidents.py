"""Incidents (卡件): cases the engine could not move on by itself, for administrators.

A timer whose step keeps failing (a condition reading a variable the case lacks, a failing
script) is not retried forever and does not block the other timers: after its last attempt the
scheduler opens an incident (services/timers.py). The administrator sees the stuck cases with the
engine's message, fixes the model, migrates the case to the fixed version (the designer's
migration page), and retries: the timer fires again now, in the administrator's request, and a
model that still fails answers 422 with the same located message while the incident stays open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import access, models
from ..errors import Conflict, NotFound
from ..uow import UnitOfWork
from .common import record
from .timers import fire

ADMIN_ROLES = ("admin",)


def list_incidents(
    uow: UnitOfWork, user: models.User, *, include_resolved: bool = False
) -> list[dict[str, Any]]:
    access.require_role(user, *ADMIN_ROLES)
    query = select(models.Incident).options(selectinload(models.Incident.case))
    if not include_resolved:
        query = query.where(models.Incident.resolved_at.is_(None))
    rows = uow.session.scalars(query.order_by(models.Incident.created_at.desc())).all()
    return [incident_view(row) for row in rows]


def open_incidents_of(uow: UnitOfWork, case: models.Case) -> list[dict[str, Any]]:
    """The case page's warning: what keeps this case from moving on by itself."""
    rows = uow.session.scalars(
        select(models.Incident).where(
            models.Incident.case_id == case.id, models.Incident.resolved_at.is_(None)
        )
    ).all()
    return [incident_view(row) for row in rows]


def retry(uow: UnitOfWork, user: models.User, incident_id: int, now: datetime) -> dict[str, Any]:
    """Fire the case's overdue timers again now; the case's incidents close when they fire.

    After a migration the failing timer may be a new row (the wait was re-predicted on the
    new version): every unfired timer of the case that is due or has failed is fired.
    """
    access.require_role(user, *ADMIN_ROLES)
    incident = uow.session.get(models.Incident, incident_id)
    if incident is None:
        raise NotFound(f"卡件 {incident_id} 不存在", code="incident_not_found")
    if incident.resolved_at is not None:
        raise Conflict("该卡件已处理", code="incident_resolved")
    case = uow.session.get(models.Case, incident.case_id, with_for_update=True)
    stuck = uow.session.scalars(
        select(models.Timer)
        .where(
            models.Timer.case_id == case.id,
            models.Timer.fired_at.is_(None),
            or_(models.Timer.due_at <= now, models.Timer.attempts > 0),
        )
        .order_by(models.Timer.due_at, models.Timer.id)
        .with_for_update()
    ).all()
    for timer in stuck:
        fire(uow, case, timer, now, f"retry:{user.username}", user.username)
    for open_one in uow.session.scalars(
        select(models.Incident).where(
            models.Incident.case_id == case.id, models.Incident.resolved_at.is_(None)
        )
    ):
        open_one.resolved_at, open_one.resolved_by = now, user.username
    record(uow, case, user.username, "incident_resolved", detail={"incident": incident.id})
    return incident_view(incident)


def incident_view(incident: models.Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "case_no": incident.case.case_no,
        "source": incident.source,
        "element_id": incident.element_id,
        "message": incident.message,
        "details": incident.details,
        "created_at": incident.created_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "resolved_by": incident.resolved_by,
    }
