"""Human-task use cases: inboxes, claim, unclaim, complete."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, union
from sqlalchemy.orm import joinedload, object_session, undefer
from sqlalchemy.orm.attributes import set_committed_value

from .. import access, masking, models, views
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..forms import check_size, validate_form
from ..paging import Page, fetch_page
from ..uow import UnitOfWork
from . import chains as chain_service
from . import clock, materials, notifications, sms
from .cases import department_names
from .common import (
    SYNCED_STATES,
    finish_if_done,
    load_run,
    record,
    save_run,
    sync_tasks,
    task_definition,
)
from .list_filters import Filters

OPEN_STATES = ("ready", "claimed")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
SCOPES = ("mine", "department", "all", "done")  # done: 已办, the steps I completed


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


def _lock_open_task(
    uow: UnitOfWork, user: models.User, task_id: str
) -> tuple[models.HumanTask, list[models.HumanTask]]:
    """The open task, read after its case row is locked: the state seen is the committed one.

    Every writer to a case locks the case row first (``FOR UPDATE``; SQLite's write lock) and
    only then touches its task and timer rows: two clients completing one task see it open one
    after the other, never both, and a clerk and the timer scheduler never wait for each other
    in a circle (locking the task row in the same statement as the case could take it first).
    The read after the lock also brings the case's other open rows, for ``sync_tasks``.
    """
    task = models.HumanTask
    case = uow.session.scalars(
        select(models.Case)
        .where(models.Case.id == select(task.case_id).where(task.id == task_id).scalar_subquery())
        # the workflow too: the next step of a case usually lands on another worker, which
        # restores the case (services/common.py load_run) and would read it right after
        .options(
            joinedload(models.Case.service_item, innerjoin=True), undefer(models.Case.workflow)
        )
        .with_for_update(of=models.Case)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if case is None:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    rows = uow.session.scalars(
        select(task)
        .where(task.case_id == case.id, or_(task.id == task_id, task.state.in_(SYNCED_STATES)))
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:  # the rows hold their case: the session keeps objects weakly
        set_committed_value(row, "case", case)
    [found] = [row for row in rows if row.id == task_id]
    _require_visible(user, found)
    if found.state not in OPEN_STATES:
        raise Conflict(f"任务“{found.name}”已不在待办状态（{found.state}）", code="task_not_open")
    return found, list(rows)


def claim(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    task, _rows = _lock_open_task(uow, user, task_id)
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
    task, _rows = _lock_open_task(uow, user, task_id)
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
    done = _complete(uow, user, task_id, data, comment)
    notifications.close_settled(uow, done.case)
    return done


def _complete(
    uow: UnitOfWork,
    user: models.User,
    task_id: str,
    data: Any,
    comment: str | None = None,
) -> Completion:
    if not isinstance(data, dict):
        raise BadRequest("data 应为对象", {"field": "data"})
    check_size(data)
    task, case_rows = _lock_open_task(uow, user, task_id)
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
    synced = sync_tasks(uow, case, run, case_rows)
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
        sms.tell_applicant(uow, case, "supplement", data.get("missing_materials"))
    if meta.get("visit") and data.get("received_via") not in OFF_SITE_CHANNELS:
        case.visits += 1
