"""Read models: cases and tasks as the API and the pages show them (API.md shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import models
from .security import mask

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
RESULTS = {  # GB/T 39046 办结结果: the one list the staff pages, the public page and notices read
    "0": "出证办结",
    "1": "退回",
    "2": "作废",
    "3": "删除",
    "4": "转报",
    "5": "补正超时驳回",
    "6": "准予许可",
    "7": "不予许可",
}


def result_name(result: str | None) -> str | None:
    """The 办结结果 label of a case's result code (an unknown code is shown as it is)."""
    return None if result is None else RESULTS.get(str(result), str(result))


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
        "applicant_name": case.applicant_name,
        "case_status": case.status,
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
        "result_name": result_name(case.result),
        "channel": case.channel,
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
        "agent": agent_view(case.agent),
        "visit_promise": visit_promise(case),
        "clock": clock,
        "process": process,
        "data": case.data,
        "open_tasks": open_tasks,
        "events": [event_view(e) for e in events],
    }


def labelled(
    schema: dict[str, Any], ui_schema: dict[str, Any] | None, data: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """A step's submitted data in its form's words: one ``{"name", "title", "value"}`` per
    answered field, in the form's order, with option titles (``oneOf`` const/title) for codes.

    Keys the form does not declare (an approval chain's state, engine bookkeeping) and hidden
    fields are left out: they are not what the clerk who filled the form saw. A boolean stays
    a bool and a list of options a list, for the page to word them.
    """
    ui = ui_schema or {}
    values = data if isinstance(data, dict) else {}
    rows: list[dict[str, Any]] = []
    for key, sub in ordered_properties(schema, ui):
        if not isinstance(sub, dict):
            continue
        sub_ui = ui.get(key) if isinstance(ui.get(key), dict) else {}
        if key not in values or sub_ui.get("ui:widget") == "hidden":
            continue
        value, title = values[key], str(sub.get("title") or key)
        if isinstance(value, dict) and "properties" in sub:
            for row in labelled(sub, sub_ui, value):
                rows.append(
                    {**row, "name": f"{key}.{row['name']}", "title": f"{title} · {row['title']}"}
                )
            continue
        if value is None or value == "" or value == []:
            continue
        rows.append({"name": key, "title": title, "value": _option_titles(sub, value)})
    return rows


def ordered_properties(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A form's properties in ``ui:order``; ``"*"`` stands for the rest, which otherwise come
    last (the order the task form shows and the data is read back in)."""
    properties = schema.get("properties") or {}
    order = [key for key in ui.get("ui:order") or () if key == "*" or key in properties]
    rest = [key for key in properties if key not in order]
    if "*" in order:
        star = order.index("*")
        keys = order[:star] + rest + order[star + 1 :]
    else:
        keys = order + rest
    return [(key, properties[key]) for key in keys]


def _option_titles(schema: dict[str, Any], value: Any) -> Any:
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return [_option_titles(items, v) for v in value]
    for option in schema.get("oneOf") or schema.get("anyOf") or ():
        if isinstance(option, dict) and option.get("const") == value and "title" in option:
            return str(option["title"])
    return value
