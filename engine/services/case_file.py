"""办件全貌 — the case so far, as a reviewer needs it beside the form (the task page) and as the
case page shows it: every step with its data in its form's words (field and option titles),
who handled it and their opinion, and the history in people's names.

Staff pages never show a raw variable name, an approval chain's bookkeeping or a username
where a display name exists: the read model words everything here, once, for both pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from .. import models, views
from ..uow import UnitOfWork
from . import clock
from .cases import case_events, case_tasks, department_names
from .common import load_run
from .task_rules import SIGN_ROLES, is_sign_row
from .tasks import form_of

# An added signer's row has no form of the step's own: it answers 同意/不同意 with an opinion.
SIGN_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decision": {
            "title": "意见",
            "oneOf": [
                {"const": "approve", "title": "同意"},
                {"const": "reject", "title": "不同意"},
            ],
        },
        "opinion": {"title": "说明", "type": "string"},
    },
}
# What an event's detail says, by the key it is kept under (the rest is bookkeeping).
NOTE_KEYS = ("comment", "reason", "note")
# Who else an event names, by action: the people it went to (a 退回's ``to`` is a step).
PEOPLE_KEYS = {
    "transfer": "to",
    "delegate": "to",
    "delegate_resolve": "owner",
    "add_sign": "users",
    "remove_sign": "users",
    "cc": "users",
    "urge": "to",
    "return": "assignee",
}


def display_names(uow: UnitOfWork, usernames: Iterable[str | None]) -> dict[str, str]:
    """``username → display name`` for the given users (a username without one stays as is)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(models.User.username, models.User.display_name).where(
            models.User.username.in_(sorted(wanted))
        )
    )
    found = {username: name or username for username, name in rows}
    return {u: found.get(u, u) for u in wanted}


def _people_in(event: models.CaseEvent) -> list[str]:
    value = (event.detail or {}).get(PEOPLE_KEYS.get(event.action, ""))
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def case_file(uow: UnitOfWork, case: models.Case, *, with_diagram: bool = False) -> dict[str, Any]:
    """The case's steps and history, worded (the caller has checked the case is visible);
    ``with_diagram``: also the diagram's done, active and pending elements."""
    tasks = case_tasks(uow, case)
    events = case_events(uow, case)
    people = display_names(
        uow,
        [t.assignee for t in tasks]
        + [t.completed_by for t in tasks]
        + [e.actor for e in events]
        + [p for e in events for p in _people_in(e)],
    )
    comments = {
        e.task_id: e.detail.get("comment")
        for e in events
        if e.action in ("complete", "delegate_resolve")
        and e.task_id
        and (e.detail or {}).get("comment")
    }
    names = department_names(uow)
    steps = []
    for task in tasks:
        view = views.task_view(task, names, clock.task_light(uow, task))
        if is_sign_row(task):
            schema, ui = SIGN_FORM, {}
        else:
            form = form_of(task)
            schema, ui = form["schema"], form["ui_schema"]
        view["fields"] = views.labelled(schema, ui, task.data) if task.state == "completed" else []
        view["comment"] = comments.get(task.id) or ""
        view["assignee_name"] = people.get(task.assignee or "", task.assignee)
        view["completed_by_name"] = people.get(task.completed_by or "", task.completed_by)
        view["is_sign"] = task.role in SIGN_ROLES
        steps.append(view)
    timeline = []
    for event in events:
        detail = event.detail or {}
        view = views.event_view(event)
        view["actor_name"] = people.get(event.actor, event.actor)
        view["note"] = next((str(detail[k]) for k in NOTE_KEYS if detail.get(k)), "")
        view["people"] = [people.get(p, p) for p in _people_in(event) if p != event.actor]
        view["supervision_no"] = detail.get("no") if event.action == "supervised" else None
        del view["detail"]  # bookkeeping (submitted data, chain state) stays off the page
        timeline.append(view)
    found = {"steps": steps, "timeline": timeline, "people": people}
    if with_diagram:
        found["diagram"] = load_run(uow, case).element_states()
    return found
