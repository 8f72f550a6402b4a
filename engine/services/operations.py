"""Task operations (办理操作) beside completing a step: each one a use case with its permission
rule, a ``case_event`` and, where someone has to act, a notification.

退回 ``return_task``
    Whoever may complete an open task sends the case back to a step it already passed
    (``return_targets``: completed user tasks behind it, see ``CaseRun.passed_steps``). The
    workflow goes back with SpiffWorkflow's ``reset_from_task_id`` (``CaseRun.reset_to``): the
    step is READY again with the data it had before it ran; everything after it is undone and
    its inbox rows are cancelled. The step's earlier row is kept as history under a new id, a
    fresh row takes the workflow task's id, assigned to whoever handled the step before (if
    still a candidate) with their earlier submission as draft data. The reason is in the
    ``return`` event (on the reopened task) and in a ``returned`` notification to that person.

    Inside a parallel section only the chosen branch reopens: the sibling branches stay
    completed, the steps after the join are undone, and the join fires again when the
    reopened branch completes (see ``CaseRun.reset_to``). Until then the case data is the
    data at the split (the siblings' data comes back when the join merges the branches).

撤回 ``withdraw``
    Whoever completed a step takes it back while the next step is untouched: every task the
    reset would undo is still READY, unclaimed, without draft data, added signers, delegation
    or any event of a person since. Then it goes back as for 退回 and reopens for them.

转办 ``transfer`` / 委派 ``delegate``
    Transfer hands the task to a colleague who is a candidate in its department; it becomes
    theirs. Delegation keeps the task's ``owner``: the delegate's completion does not complete
    the workflow task, it comes back to the owner (claimed) with the delegate's data as draft,
    and the owner completes it for real (``take_over_completion``, called by
    ``tasks.complete``).

加签 ``add_sign`` / 减签 ``remove_sign``
    Added signers get rows of their own (``parent_id`` = the task, ``role`` ``sign_before`` or
    ``sign_after``, ``candidates`` = [the signer], assigned to them). ``before``: the task
    waits in state ``waiting_sign`` until every signer has answered (同意 or 不同意, with an
    opinion), then is the assignee's again. ``after``: the rows wait in ``sign_pending``; when
    the assignee completes, their data is kept as draft, the task waits (``waiting_sign``) and
    the signers are asked; the workflow task completes with that data once all have approved,
    while a 不同意 gives the task back to the assignee and asks the signers again on the next
    submission. The task's ``outcome`` is ``sign_after`` while after-signers are pending, so an
    ordinary completion costs no extra query. 减签 cancels signers' open rows (``outcome``
    ``removed``).

催办 ``urge`` / 抄送 ``copy_case`` / 意见与附件 ``add_comment``
    Anyone who can see the case may urge an open task (its assignee, or every candidate, is
    notified), copy the case to colleagues (``case_copy`` rows; a copied user may read the
    case) and comment with attachments. Attachments are stored like materials — on disk under
    their SHA-256, outside the workflow state — at most 10 MB each, PDF, JPEG, PNG, DOCX or
    XLSX by their content.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select

from .. import access, models, views
from ..errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
)
from ..runtime import CaseRun
from ..uow import UnitOfWork
from .cases import case_brief, department_names, visible_case
from .common import load_run, record, save_run
from .copies import active_users, person
from .notifications import candidates_query, close_settled, notify
from .progress import sync_tasks
from .signing import settle_signs, sign_rows
from .task_rules import (
    CHAIN_STEP,
    OPEN,
    SIGN_BEFORE,
    SIGN_PENDING,
    SYSTEM,
    WAITING_SIGN,
    invalid,
    is_sign_row,
    lock_task,
    may_act,
    name_of,
    not_a_sign_row,
    not_delegated,
    open_rows,
    operation_task_view,
    require_actor,
    require_open,
    task_result,
    text_arg,
    user_named,
    visible_task,
)

# ----- 退回 and 撤回 ----------------------------------------------------------------------------


def _step_of(uow: UnitOfWork, task: models.HumanTask) -> models.HumanTask:
    """The row of the workflow task behind ``task`` (an approval-chain level's step)."""
    if task.parent_id and task.chain_id is not None:
        step = uow.session.get(models.HumanTask, task.parent_id)
        if step is not None:
            return step
    return task


def _targets(
    uow: UnitOfWork, run: CaseRun, step: models.HumanTask
) -> list[tuple[dict[str, Any], models.HumanTask]]:
    passed = run.passed_steps(step.id)
    if not passed:
        return []
    rows = {
        r.id: r
        for r in uow.session.scalars(
            select(models.HumanTask).where(
                models.HumanTask.id.in_([p.id for p in passed]),
                models.HumanTask.state == "completed",
            )
        )
    }
    names = department_names(uow)
    out = []
    for p in passed:
        row = rows.get(p.id)
        if row is None:
            continue
        view = {
            "to": p.spec_name,
            "task_id": p.id,
            "name": p.name,
            "department": row.department_code,
            "department_name": names.get(row.department_code, row.department_code),
            "completed_by": row.completed_by,
            "completed_at": views.iso(row.completed_at),
        }
        out.append((view, row))
    return out


def return_targets(uow: UnitOfWork, user: models.User, task_id: str) -> list[dict[str, Any]]:
    """GET …/return-targets: the steps already passed that the task may send the case back to."""
    task = visible_task(uow, user, task_id)
    if task.state not in OPEN or is_sign_row(task):
        return []
    step = _step_of(uow, task)
    return [view for view, _ in _targets(uow, load_run(uow, task.case), step)]


def _archive(uow: UnitOfWork, row: models.HumanTask) -> str:
    """Keep a completed row as history under a new id; its workflow task id is reused."""
    new_id = str(uuid.uuid4())
    for child in uow.session.scalars(
        select(models.HumanTask).where(models.HumanTask.parent_id == row.id)
    ):
        child.parent_id = new_id
    row.id = new_id
    uow.session.flush()
    return new_id


def _go_back(
    uow: UnitOfWork,
    case: models.Case,
    run: CaseRun,
    target: models.HumanTask,
    assignee: str | None,
) -> tuple[models.HumanTask | None, list[models.HumanTask]]:
    """Reset the workflow to ``target``'s task and re-sync the inbox rows: returns the row that
    now stands for the task (an approval-chain step's row starts its levels again) and the
    rows that were closed."""
    task_id, earlier, started = target.id, dict(target.data or {}), models.utcnow()
    before = set(
        uow.session.scalars(
            select(models.HumanTask.id).where(
                models.HumanTask.case_id == case.id,
                models.HumanTask.state.in_((*OPEN, WAITING_SIGN, CHAIN_STEP)),
            )
        )
    )
    _archive(uow, target)
    if run.reset_to(task_id) is None:
        raise Conflict("流程已不在该步骤之后，无法回到该步骤", code="step_not_passed")
    case.data = run.data
    save_run(uow, case, run)
    sync_tasks(uow, case, run)
    uow.session.flush()
    reopened = uow.session.get(models.HumanTask, task_id)
    if reopened is not None and reopened.state in OPEN and not reopened.candidates:
        reopened.data = earlier or None
        if assignee and reopened.state == "ready":
            person = uow.session.scalar(
                select(models.User).where(models.User.username == assignee, models.User.active)
            )
            if person is not None and access.is_candidate(person, reopened):
                reopened.assignee, reopened.state = assignee, "claimed"
                # it is theirs again: no "new task" for the whole department
                uow.session.execute(
                    delete(models.Notification).where(
                        models.Notification.task_id == task_id,
                        models.Notification.kind == "new_task",
                        models.Notification.created_at >= started,
                    )
                )
    closed = list(
        uow.session.scalars(
            select(models.HumanTask).where(
                models.HumanTask.id.in_(before), models.HumanTask.state == "cancelled"
            )
        )
    )
    settle_signs(uow, case)
    close_settled(uow, case)
    return reopened, closed


def return_task(
    uow: UnitOfWork, user: models.User, task_id: str, to: Any, reason: Any
) -> dict[str, Any]:
    """POST …/return (退回) to a step already passed, with a reason."""
    reason = text_arg(reason, "reason", required=True)
    if not isinstance(to, str) or not to.strip():
        raise invalid("to", "请选择退回到的步骤")
    task = lock_task(uow, user, task_id)
    require_open(task)
    not_a_sign_row(task)
    not_delegated(task)
    require_actor(user, task)
    case = task.case
    step = _step_of(uow, task)
    run = load_run(uow, case)
    if run.find_ready(step.id) is None:
        raise Conflict("任务已不在待办状态", code="task_not_open")
    targets = _targets(uow, run, step)
    chosen = next(((v, r) for v, r in targets if to.strip() in (v["to"], v["task_id"])), None)
    if chosen is None:
        raise invalid(
            "to",
            "只能退回到本办件已经办理过的步骤",
            targets=[v["to"] for v, _ in targets],
        )
    target, row = chosen
    reopened, closed = _go_back(uow, case, run, row, target["completed_by"])
    task.outcome = "returned"
    record(
        uow,
        case,
        user.username,
        "return",
        reopened,
        {
            "from": task.name,
            "from_task": task.id,
            "to": target["to"],
            "to_task": target["task_id"],
            "to_name": target["name"],
            "reason": reason,
            "comment": reason,
            "assignee": reopened.assignee if reopened is not None else None,
            "closed": [r.name for r in closed],
        },
    )
    to_notify = [target["completed_by"]] if target["completed_by"] != user.username else []
    notify(
        uow,
        to_notify,
        "returned",
        f"办件 {case.case_no} 被 {name_of(user)} 从“{task.name}”退回到“{target['name']}”：{reason}",
        case,
        target["task_id"],
    )
    return {
        "task": operation_task_view(uow, reopened) if reopened is not None else None,
        "returned_to": target,
        "case": case_brief(uow, case, open_rows(uow, case)),
    }


def _withdraw_problem(
    uow: UnitOfWork, user: models.User, task: models.HumanTask, run: CaseRun | None
) -> DomainError | None:
    """Why ``user`` may not withdraw ``task`` now (None: they may)."""
    if task.state != "completed":
        return Conflict("只能撤回已办理完成的任务", code="task_not_completed")
    if task.completed_by != user.username:
        return Forbidden("只有办理该任务的人可以撤回", code="not_completer")
    if task.parent_id is not None or task.chain_id is not None:
        return Conflict("审批链和加签的意见不能撤回", code="not_withdrawable")
    if task.case.status != "running":
        return Conflict("办件已办结，不能撤回", code="case_finished")
    impact = run.reset_impact(task.id) if run is not None else None
    if impact is None:
        return Conflict("流程已不在该步骤之后，不能撤回", code="not_withdrawable")
    if any(state == "COMPLETED" for _, state in impact):
        return Conflict("下一步骤已经办理，不能撤回", code="next_step_touched")
    ids = [task_id for task_id, _ in impact]
    rows = list(
        uow.session.scalars(
            select(models.HumanTask).where(
                (models.HumanTask.id.in_(ids)) | (models.HumanTask.parent_id.in_(ids))
            )
        )
    )
    for row in rows:
        # Approval-chain levels and signers below a next step may be assigned from the start:
        # for them only a completion (or an event of a person, below) counts as touching.
        if row.parent_id in ids:
            touched = row.state == "completed"
        else:
            touched = row.state not in ("ready", CHAIN_STEP) or bool(row.assignee or row.owner)
        if touched:
            return Conflict(f"下一步骤“{row.name}”已有人处理，不能撤回", code="next_step_touched")
    touched = uow.session.scalar(
        select(func.count())
        .select_from(models.CaseEvent)
        .where(
            models.CaseEvent.case_id == task.case_id,
            models.CaseEvent.task_id.in_([r.id for r in rows] or [""]),
            models.CaseEvent.actor != SYSTEM,
            models.CaseEvent.action != "urge",
        )
    )
    if touched:
        return Conflict("下一步骤已有人处理，不能撤回", code="next_step_touched")
    return None


def withdraw(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    """POST …/withdraw (撤回): take a completed step back while the next one is untouched."""
    task = lock_task(uow, user, task_id)
    case = task.case
    run = load_run(uow, case) if task.state == "completed" and case.status == "running" else None
    problem = _withdraw_problem(uow, user, task, run)
    if problem is not None:
        raise problem
    assert run is not None
    name = task.name
    reopened, closed = _go_back(uow, case, run, task, user.username)
    if reopened is None or reopened.state not in OPEN:
        raise Conflict("该步骤不能撤回", code="not_withdrawable")
    if reopened.state == "ready":  # the step's slot changed; it still goes back to its author
        reopened.assignee, reopened.state = user.username, "claimed"
    record(
        uow,
        case,
        user.username,
        "withdraw",
        reopened,
        {"task": name, "closed": [r.name for r in closed], "comment": "撤回"},
    )
    return {
        "task": operation_task_view(uow, reopened),
        "case": case_brief(uow, case, open_rows(uow, case)),
    }


def withdrawable(uow: UnitOfWork, user: models.User, case: models.Case) -> list[dict[str, Any]]:
    """The steps of ``case`` the user completed and may withdraw now (for the case page)."""
    if case.status != "running":
        return []
    mine = list(
        uow.session.scalars(
            select(models.HumanTask).where(
                models.HumanTask.case_id == case.id,
                models.HumanTask.state == "completed",
                models.HumanTask.completed_by == user.username,
                models.HumanTask.parent_id.is_(None),
                models.HumanTask.chain_id.is_(None),
            )
        )
    )
    if not mine:
        return []
    run = load_run(uow, case)
    return [
        {"id": t.id, "name": t.name, "completed_at": views.iso(t.completed_at)}
        for t in mine
        if _withdraw_problem(uow, user, t, run) is None
    ]


# ----- 转办 and 委派 ----------------------------------------------------------------------------


def transfer(
    uow: UnitOfWork, user: models.User, task_id: str, to_user: Any, reason: Any
) -> dict[str, Any]:
    """POST …/transfer (转办) to a colleague who is a candidate in the task's department."""
    reason = text_arg(reason, "reason", required=False)
    task = lock_task(uow, user, task_id)
    require_open(task)
    not_a_sign_row(task)
    not_delegated(task)
    if not (may_act(user, task) or "admin" in user.role_codes):
        raise Forbidden("您不是该任务的办理人", code="not_assignee")
    target = user_named(uow, to_user, "to_user")
    previous = task.assignee or user.username
    if target.username == previous:
        raise invalid("to_user", "不能转办给当前办理人")
    if not may_take_over(target, task):
        raise invalid("to_user", f"{target.username} 不是该任务所在部门的候选办理人")
    task.assignee, task.state = target.username, "claimed"
    close_settled(uow, task.case)
    record(
        uow,
        task.case,
        user.username,
        "transfer",
        task,
        {"from": previous, "to": target.username, "reason": reason, "comment": reason},
    )
    notify(
        uow,
        [target.username],
        "transferred",
        f"{name_of(user)} 将“{task.name}”（办件 {task.case.case_no}）转办给您"
        + (f"：{reason}" if reason else ""),
        task.case,
        task.id,
    )
    return task_result(uow, task)


def may_take_over(target: models.User, task: models.HumanTask) -> bool:
    """转办: to a candidate of the task in its own department."""
    return target.department_code == task.department_code and access.is_candidate(target, task)


def delegate(
    uow: UnitOfWork, user: models.User, task_id: str, to_user: Any, note: Any
) -> dict[str, Any]:
    """POST …/delegate (委派): the delegate works the task, it then comes back to its owner."""
    note = text_arg(note, "note", required=False)
    task = lock_task(uow, user, task_id)
    require_open(task)
    not_a_sign_row(task)
    not_delegated(task)
    require_actor(user, task)
    target = user_named(uow, to_user, "to_user")
    if target.username == user.username:
        raise invalid("to_user", "不能委派给自己")
    if not access.works_cases(target):
        raise invalid("to_user", f"{target.username} 不办理办件，不能接受委派")
    owner = task.assignee or user.username
    task.owner = owner
    task.assignee, task.state = target.username, "claimed"
    close_settled(uow, task.case)
    record(
        uow,
        task.case,
        user.username,
        "delegate",
        task,
        {"owner": owner, "to": target.username, "note": note, "comment": note},
    )
    notify(
        uow,
        [target.username],
        "delegated",
        f"{name_of(user)} 委派您办理“{task.name}”（办件 {task.case.case_no}），"
        f"办理后交回委派人" + (f"：{note}" if note else ""),
        task.case,
        task.id,
    )
    return task_result(uow, task)


# ----- 催办 ------------------------------------------------------------------------------------


def urge(uow: UnitOfWork, user: models.User, task_id: str, note: Any) -> dict[str, Any]:
    """POST …/urge (催办): anyone who can see the case; the assignee (or every candidate, or the
    added signers a task waits for) is notified."""
    note = text_arg(note, "note", required=False)
    task = uow.session.get(models.HumanTask, task_id)
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    try:
        visible_case(uow, user, task.case.case_no)
    except NotFound as error:
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found") from error
    access.require_acting(user)
    if task.state not in (*OPEN, WAITING_SIGN):
        raise Conflict(f"任务“{task.name}”已不在待办状态（{task.state}）", code="task_not_open")
    if task.state == WAITING_SIGN:
        to = [r.assignee for r in sign_rows(uow, task) if r.state in OPEN]
    elif task.assignee:
        to = [task.assignee]
    else:
        to = list(uow.session.scalars(candidates_query(task)))
    to = [u for u in dict.fromkeys(to) if u and u != user.username]
    case = task.case
    notify(
        uow,
        to,
        "urged",
        f"{name_of(user)} 催办“{task.name}”（办件 {case.case_no}）" + (f"：{note}" if note else ""),
        case,
        task.id,
    )
    record(uow, case, user.username, "urge", task, {"note": note, "to": to, "comment": note})
    return task_result(uow, task, notified=to)


# ----- what the task page offers ---------------------------------------------------------------


def task_operations(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    """The operations ``user`` may use on a task now, and what happened to it (退回 reason,
    delegation, added signers) — for the task page and ``GET …/operations``."""
    task = visible_task(uow, user, task_id)
    case = task.case
    acting = task.state in OPEN and may_act(user, task)
    sign_row = is_sign_row(task)
    plain = acting and not sign_row and not task.owner
    signs = sign_rows(uow, task) if not sign_row else []
    returned = uow.session.scalars(
        select(models.CaseEvent)
        .where(
            models.CaseEvent.case_id == case.id,
            models.CaseEvent.task_id == task.id,
            models.CaseEvent.action == "return",
        )
        .order_by(models.CaseEvent.id.desc())
        .limit(1)
    ).first()
    can_transfer = plain or (task.state in OPEN and not sign_row and "admin" in user.role_codes)
    holder = task.assignee or user.username
    active = active_users(uow) if can_transfer or plain else []
    names = department_names(uow)
    transferees = [
        person(u, names)
        for u in active
        if can_transfer and u.username != holder and may_take_over(u, task)
    ]
    waiting = {r.assignee for r in signs if r.state in (*OPEN, SIGN_PENDING)}
    workers = [u for u in active if plain and access.works_cases(u)]
    targets = []
    if plain:
        step = _step_of(uow, task)
        targets = [view for view, _ in _targets(uow, load_run(uow, case), step)]
    return {
        "task_id": task.id,
        "state": task.state,
        "owner": task.owner,
        "assignee": task.assignee,
        "is_sign": sign_row,
        "sign_position": ("before" if task.role == SIGN_BEFORE else "after") if sign_row else None,
        "parent_id": task.parent_id,
        "returned": {
            "by": returned.actor,
            "at": views.iso(returned.at),
            "from": returned.detail.get("from"),
            "reason": returned.detail.get("reason"),
        }
        if returned is not None and task.state in OPEN
        else None,
        "can_return": plain and bool(targets),
        "return_targets": targets,
        "can_transfer": can_transfer,
        "colleagues": [p["username"] for p in transferees],
        "transferees": transferees,
        "delegates": [person(u, names) for u in workers if u.username != user.username],
        "signers": [
            person(u, names) for u in workers if u.username != holder and u.username not in waiting
        ],
        "can_delegate": plain,
        "can_add_sign": plain,
        "can_remove_sign": task.assignee == user.username
        and any(r.state in (*OPEN, SIGN_PENDING) for r in signs),
        "can_sign": acting and sign_row,
        "signs": [
            {
                "id": r.id,
                "user": r.assignee,
                "position": "before" if r.role == SIGN_BEFORE else "after",
                "state": r.state,
                "decision": r.outcome if r.state == "completed" else None,
                "opinion": (r.data or {}).get("opinion") if r.state == "completed" else None,
            }
            for r in signs
        ],
        "can_urge": task.state in (*OPEN, WAITING_SIGN) and task.assignee != user.username,
        "draft": task.data if task.state in OPEN else None,
    }
