"""Human-task use cases: inboxes, claim, unclaim, complete."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, or_, select, union
from sqlalchemy.orm import joinedload, object_session

from .. import access, masking, models, views
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..forms import check_size
from ..paging import Page, fetch_page
from ..uow import UnitOfWork
from . import chains as chain_service
from . import clock, notifications, signing
from .cases import department_names
from .common import record
from .deployed import task_definition
from .list_filters import Filters
from .steps import OPEN_STATES, Completion, lock_open_task, require_visible

TASK_STATES = ("ready", "claimed", "completed", "cancelled")
SCOPES = ("mine", "department", "all", "done")  # done: 已办, the steps I completed


def list_tasks(
    uow: UnitOfWork,
    user: models.User,
    *,
    scope: str = "mine",
    state: str | None = None,
    page: int = 1,
    per_page: int = 20,
    filters: Filters | None = None,
) -> Page:
    """An inbox. ``mine``: assigned to me, or unclaimed and claimable by me; ``done`` (已办):
    the steps I completed, latest first. ``filters`` narrow any scope (list_filters.py).

    Open rows come from partial indexes in the inbox's order (due date, then age). ``mine`` is
    three kinds of row, each with its own index: the page is the first rows of the union of
    each kind's first rows (an OR of the three would sort every open task of the department).
    """
    if scope not in SCOPES:
        raise BadRequest(f"scope 应为 {'/'.join(SCOPES)}", {"field": "scope"})
    if state and state not in TASK_STATES:
        raise BadRequest(f"state 应为 {'/'.join(TASK_STATES)}", {"field": "state"})
    task = models.HumanTask
    order = (task.due_date.asc().nulls_last(), task.created_at, task.id)
    in_state = task.state == state if state else models.open_task()
    filters = filters or Filters()
    if scope == "done":
        in_state = (task.completed_by == user.username) & (task.state == "completed")
        order = (task.completed_at.desc(), task.id)
    in_state = and_(in_state, *filters.task_clauses(uow))
    order = filters.task_order() or order
    if scope == "mine":
        kinds = [
            task.assignee == user.username,
            (task.assignee.is_(None))
            & chain_service.no_candidates()
            & (task.department_code == user.department_code)
            & or_(task.role.is_(None), task.role.in_(sorted(user.role_codes))),
            task.assignee.is_(None)
            & task.candidates.is_not(None)
            & chain_service.candidate_clause(user.username),
        ]
        firsts = [
            select(task.id).where(in_state, kind).order_by(*order).limit(page * per_page + 1)
            for kind in kinds
        ]
        ids = union(*(select(first.subquery().c.id) for first in firsts)).subquery()
        matches = select(task.id).where(in_state, or_(*kinds))
        query = select(task).where(task.id.in_(select(ids.c.id)))
    elif scope == "done":
        query = matches = select(task).where(in_state)
    else:
        visible = access.visible_tasks(user)
        if scope == "department":
            visible = (task.department_code == user.department_code) & visible
        query = matches = select(task).where(in_state, visible)
    # the case in the same query; its item (a large guide) once per page
    query = query.options(
        joinedload(task.case, innerjoin=True).selectinload(models.Case.service_item)
    )
    found = fetch_page(uow.session, query.order_by(*order), page, per_page, matches)
    names = department_names(uow)
    return found.views(
        lambda t: masking.for_reader(user, views.task_view(t, names, clock.task_light(uow, t)))
    )


def _visible_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    task = uow.session.get(models.HumanTask, task_id)
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    require_visible(user, task)
    return task


def form_of(task: models.HumanTask) -> dict[str, Any]:
    definition = task_definition(object_session(task), task)
    meta = definition.meta(task.spec_name)
    schema = json.loads(definition.files[meta["form"]]) if meta.get("form") else {}
    ui_schema = json.loads(definition.files[meta["ui_form"]]) if meta.get("ui_form") else {}
    return {"schema": schema, "ui_schema": ui_schema}


def get_task(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    task = _visible_task(uow, user, task_id)
    view = views.task_view(task, department_names(uow), clock.task_light(uow, task))
    view["form"] = form_of(task)
    view["data"] = task.data if task.state == "completed" else _prefill(task.case.data)
    if task.state in OPEN_STATES and task.data:  # a draft: returned, withdrawn or delegated
        view["data"] = {**view["data"], **task.data}
    view["case"] = views.case_summary(task.case, clock.list_light(uow, task.case))
    view["can_complete"] = task.state in OPEN_STATES and _may_act(user, task)
    view["can_claim"] = task.state == "ready" and access.is_candidate(user, task)
    return masking.for_reader(
        user, view, masking.personal_fields(task_definition(uow.session, task))
    )


# A step's own verdict never carries over: a 受理 shown again after 补正 must not come up with
# last round's 补正 decision, reason and missing list already chosen.
VERDICT_FIELDS = frozenset(
    {
        "decision",
        "reason",
        "missing_materials",
        "materials_checked",
        "opinion",
        "received_materials",
    }
)


def _prefill(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k not in VERDICT_FIELDS}


def _may_act(user: models.User, task: models.HumanTask) -> bool:
    if task.assignee:
        return task.assignee == user.username
    return access.is_candidate(user, task)


def claim(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    task, _rows = lock_open_task(uow, user, task_id)
    if not access.is_candidate(user, task):
        raise Forbidden("您不是该任务的候选办理人", code="not_candidate")
    if task.assignee and task.assignee != user.username:
        raise Conflict(f"任务已被 {task.assignee} 认领", code="task_claimed")
    if task.assignee != user.username:
        task.assignee, task.state = user.username, "claimed"
        record(uow, task.case, user.username, "claim", task)
        notifications.close_settled(uow, task.case)  # the colleagues' 新待办 of it
    return views.task_view(task, department_names(uow))


def unclaim(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    task, _rows = lock_open_task(uow, user, task_id)
    if task.assignee and task.assignee != user.username and "admin" not in user.role_codes:
        raise Forbidden("只能取消自己认领的任务", code="not_assignee")
    if task.assignee:
        record(uow, task.case, user.username, "unclaim", task, {"assignee": task.assignee})
        task.assignee, task.state = None, "ready"
    return views.task_view(task, department_names(uow))


def complete(
    uow: UnitOfWork,
    user: models.User,
    task_id: str,
    data: Any,
    comment: str | None = None,
) -> Completion:
    """Complete a step (or hand it on: a signer's answer, a delegate's work, a chain level);
    the notifications about tasks this settles close themselves."""
    if not isinstance(data, dict):
        raise BadRequest("data 应为对象", {"field": "data"})
    check_size(data)
    task, case_rows = lock_open_task(uow, user, task_id)
    if task.assignee and task.assignee != user.username:
        if access.is_candidate(user, task):
            raise Conflict(f"任务已被 {task.assignee} 认领", code="task_claimed")
        raise Forbidden("您不是该任务的办理人", code="not_assignee")
    if not task.assignee and not access.is_candidate(user, task):
        raise Forbidden("您不是该任务的候选办理人", code="not_candidate")
    done = signing.complete_with_signs(uow, user, task, case_rows, data, comment)
    notifications.close_settled(uow, done.case)
    return done
