"""Human-task use cases: inboxes, claim, unclaim, complete."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import object_session, selectinload

from .. import access, models, views
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..forms import check_size, validate_form
from ..uow import UnitOfWork
from . import chains as chain_service
from . import clock, materials
from .cases import department_names
from .common import finish_if_done, load_run, record, save_run, sync_tasks, task_definition

OPEN_STATES = ("ready", "claimed")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
SCOPES = ("mine", "department", "all")


@dataclass
class Completion:
    case: models.Case
    next_tasks: list[models.HumanTask]
    open_tasks: list[models.HumanTask]


def list_tasks(
    uow: UnitOfWork,
    user: models.User,
    *,
    scope: str = "mine",
    state: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """An inbox. ``mine``: assigned to me, or unclaimed and claimable by me."""
    if scope not in SCOPES:
        raise BadRequest(f"scope 应为 {'/'.join(SCOPES)}", {"field": "scope"})
    if state and state not in TASK_STATES:
        raise BadRequest(f"state 应为 {'/'.join(TASK_STATES)}", {"field": "state"})
    task = models.HumanTask
    query = select(task).options(selectinload(task.case).selectinload(models.Case.service_item))
    if scope == "mine":
        claimable = (
            (task.assignee.is_(None))
            & chain_service.no_candidates()
            & (task.department_code == user.department_code)
            & or_(task.role.is_(None), task.role.in_(sorted(user.role_codes)))
        )
        named = task.assignee.is_(None) & chain_service.candidate_clause(user.username)
        query = query.where(or_(task.assignee == user.username, claimable, named))
    elif scope == "department":
        query = query.where(
            task.department_code == user.department_code, access.visible_tasks(user)
        )
    else:
        query = query.where(access.visible_tasks(user))
    query = query.where(task.state == state) if state else query.where(task.state.in_(OPEN_STATES))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(task.due_date.is_(None), task.due_date, task.created_at, task.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    names = department_names(uow)
    return [views.task_view(t, names, clock.task_light(uow, t)) for t in rows], total


def _visible_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    task = uow.session.get(models.HumanTask, task_id)
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    _require_visible(user, task)
    return task


def _require_visible(user: models.User, task: models.HumanTask) -> None:
    """An invisible task answers exactly like a missing one."""
    if not access.can_see_task(user, task):
        raise NotFound(f"任务 {task.id} 不存在", code="task_not_found")


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
    return view


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


def _lock_open_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    """Read the task with its case row locked: the state seen is the committed one.

    Writers to one case take turns on the case row (``FOR UPDATE``; SQLite's write lock), so
    two clients completing the same task see it open one after the other, never both.
    """
    row = uow.session.execute(
        select(models.HumanTask, models.Case)
        .join(models.Case, models.HumanTask.case_id == models.Case.id)
        .where(models.HumanTask.id == task_id)
        .with_for_update(of=(models.HumanTask, models.Case))
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    task = row[0]
    _require_visible(user, task)
    if task.state not in OPEN_STATES:
        raise Conflict(f"任务“{task.name}”已不在待办状态（{task.state}）", code="task_not_open")
    return task


def claim(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    task = _lock_open_task(uow, user, task_id)
    if not access.is_candidate(user, task):
        raise Forbidden("您不是该任务的候选办理人", code="not_candidate")
    if task.assignee and task.assignee != user.username:
        raise Conflict(f"任务已被 {task.assignee} 认领", code="task_claimed")
    if task.assignee != user.username:
        task.assignee, task.state = user.username, "claimed"
        record(uow, task.case, user.username, "claim", task)
    return views.task_view(task, department_names(uow))


def unclaim(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    task = _lock_open_task(uow, user, task_id)
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
    if not isinstance(data, dict):
        raise BadRequest("data 应为对象", {"field": "data"})
    check_size(data)
    task = _lock_open_task(uow, user, task_id)
    if task.assignee and task.assignee != user.username:
        if access.is_candidate(user, task):
            raise Conflict(f"任务已被 {task.assignee} 认领", code="task_claimed")
        raise Forbidden("您不是该任务的办理人", code="not_assignee")
    if not task.assignee and not access.is_candidate(user, task):
        raise Forbidden("您不是该任务的候选办理人", code="not_candidate")
    from . import operations  # 委派 and 加签: a completion that is not (yet) the Spiff task's

    taken = operations.take_over_completion(uow, user, task, data, comment)
    if taken is not None:
        return taken
    case = task.case
    definition = task_definition(uow.session, task)
    meta = definition.meta(task.spec_name)
    if meta.get("form"):
        validate_form(definition.files[meta["form"]], data)
    if task.parent_id and task.chain_id is not None:  # a level of an approval chain step
        return Completion(case, *chain_service.complete_level(uow, user, task, data, comment))
    if meta.get("clock") == "start" and data.get("decision") in ACCEPTING_DECISIONS:
        materials.require_acceptable(uow, case)  # 受理 only with every mandatory material
    run = load_run(uow, case)
    spiff_task = run.find_ready(task.id)
    if spiff_task is None:
        raise Conflict("任务已不在待办状态", code="task_not_open")
    run.complete(spiff_task, data)
    now = models.utcnow()
    task.state, task.completed_at, task.completed_by = "completed", now, user.username
    task.assignee = task.assignee or user.username
    task.data = data
    _apply_effects(uow, case, meta, data, now)
    case.data = run.data
    save_run(uow, case, run)
    record(uow, case, user.username, "complete", task, {"data": data, "comment": comment or ""})
    synced = sync_tasks(uow, case, run)
    finish_if_done(uow, case, run, user.username)
    return Completion(case, synced.created, synced.open)


ACCEPTING_DECISIONS = ("accept", "approve")
OFF_SITE_CHANNELS = ("网上提交", "邮寄")


def _apply_effects(
    uow: UnitOfWork, case: models.Case, meta: dict[str, Any], data: dict[str, Any], now
) -> None:
    """What completing the step does beside the flow, as its BPMN properties declare.

    ``clock``: ``start`` on the intake step starts the clock when the case is taken in (a 即办件
    decided on the spot counts as taken in), never on a supplement notice, and only once — a
    case returned to the window keeps its running clock; ``pause``/``resume`` bracket a 补正
    after acceptance; ``stop`` ends it. A ``supplement`` decision counts a 补正 round; a step
    marked ``visit`` counts the applicant's trip to the window unless the materials came
    online or by post.
    """
    effect = meta.get("clock")
    if effect == "start" and data.get("decision") in ACCEPTING_DECISIONS:
        clock.start(uow, case, now)
    elif effect == "pause" and case.clock_state == "running":
        clock.pause(uow, None, case, "supplement", data.get("reason") or "补正材料")
    elif effect == "resume" and case.clock_state == "paused":
        clock.resume(uow, None, case)
    elif effect == "stop" and case.clock_state in ("running", "paused"):
        case.clock_state = "stopped"
        record(uow, case, "system", "clock_stop")
    if data.get("decision") == "supplement":
        case.supplement_rounds += 1
    if meta.get("visit") and data.get("received_via") not in OFF_SITE_CHANNELS:
        case.visits += 1
