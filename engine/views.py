"""Read models: cases and tasks as the API and the pages show them (API.md shapes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import models
from .security import mask

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite returns naive values for timezone-aware columns
            value = value.replace(tzinfo=ZoneInfo("UTC"))
        return value.astimezone(LOCAL_TZ).isoformat(timespec="seconds")
    return value.isoformat()


def task_view(
    task: models.HumanTask, departments: dict[str, str], light: str = "none"
) -> dict[str, Any]:
    case = task.case
    return {
        "id": task.id,
        "name": task.name,
        "case_no": case.case_no,
        "service_item": case.service_item_code,
        "service_item_name": case.service_item.name,
        "department": task.department_code,
        "department_name": departments.get(task.department_code, task.department_code),
        "role": task.role,
        "assignee": task.assignee,
        "state": task.state,
        "created_at": iso(task.created_at),
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by,
        "data": task.data,
        "due_date": iso(task.due_date),
        "due_working_days": task.due_working_days,
        "light": light,
    }


def applicant_view(case: models.Case) -> dict[str, Any]:
    """Personal identifiers leave the engine masked, always."""
    return {
        "kind": case.applicant_kind,
        "name": case.applicant_name,
        "id_type": case.applicant_id_type,
        "id_number": mask(case.applicant_id_number),
        "phone": mask(case.applicant_phone, 3, 4) if case.applicant_phone else "",
    }


def event_view(event: models.CaseEvent) -> dict[str, Any]:
    return {
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "task": event.task_name,
        "task_id": event.task_id,
        "detail": event.detail,
    }


def case_summary(case: models.Case, light: str = "none") -> dict[str, Any]:
    return {
        "case_no": case.case_no,
        "service_item": case.service_item_code,
        "service_item_name": case.service_item.name,
        "status": case.status,
        "result": case.result,
        "applicant": applicant_view(case),
        "created_at": iso(case.created_at),
        "accepted_at": iso(case.accepted_at),
        "finished_at": iso(case.finished_at),
        "due_date": iso(case.due_date),
        "light": light,
        "supplement_rounds": case.supplement_rounds,
        "visits": case.visits,
        "version": case.version,
    }


def visit_promise(case: models.Case) -> dict[str, Any]:
    """最多跑一次: did the applicant come no more often than the item promises?"""
    required = int(case.service_item.guide.get("visits_required", 1))
    return {"required": required, "visits": case.visits, "held": case.visits <= max(required, 1)}


def agent_view(agent: dict[str, Any] | None) -> dict[str, Any] | None:
    if not agent:
        return None
    return {**agent, "id_number": mask(str(agent.get("id_number", "")))}


def case_view(
    case: models.Case,
    open_tasks: list[dict[str, Any]],
    events: list[models.CaseEvent],
    clock: dict[str, Any],
    process: dict[str, Any],
) -> dict[str, Any]:
    return {
        **case_summary(case, clock["light"]),
        "due_date": clock["due_date"],
        "channel": case.channel,
        "agent": agent_view(case.agent),
        "visit_promise": visit_promise(case),
        "clock": clock,
        "process": process,
        "data": case.data,
        "open_tasks": open_tasks,
        "events": [event_view(e) for e in events],
    }
