"""加签 and 减签, and the completions that are not (yet) the workflow task's: an added
signer's answer, a delegate's work handed back to the owner, a submission waiting for the
after-signers (engine/services/operations.py has the whole story)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from .. import access, models
from ..errors import (
    Conflict,
    Forbidden,
)
from ..forms import validate_form
from ..uow import UnitOfWork
from .cases import case_brief
from .common import record
from .deployed import task_definition
from .notifications import close_settled, notify
from .steps import Completion, complete_step, lock_open_task
from .task_rules import (
    AFTER_SIGNS_PENDING,
    OPEN,
    POSITIONS,
    SIGN_AFTER,
    SIGN_BEFORE,
    SIGN_DECISIONS,
    SIGN_PENDING,
    SIGN_ROLES,
    SIGN_SPEC_SUFFIX,
    SIGNING_AFTER,
    WAITING_SIGN,
    invalid,
    is_sign_row,
    lock_task,
    name_of,
    not_a_sign_row,
    not_delegated,
    open_rows,
    operation_task_view,
    require_actor,
    require_open,
    task_result,
    text_arg,
    usernames_arg,
    users_named,
)


def settle_signs(uow: UnitOfWork, case: models.Case) -> None:
    """Added signers' rows end with their task."""
    rows = {
        r.id: r
        for r in uow.session.scalars(
            select(models.HumanTask).where(models.HumanTask.case_id == case.id)
        )
    }
    for row in rows.values():
        if not is_sign_row(row) or row.state not in (*OPEN, SIGN_PENDING):
            continue
        parent = rows.get(row.parent_id or "")
        if parent is None or parent.state in ("completed", "cancelled"):
            row.state = "cancelled"


def hand_back(
    uow: UnitOfWork, user: models.User, task: models.HumanTask, data: dict, comment: str | None
) -> Completion:
    """The delegate's completion: the task goes back to its owner with the data as draft."""
    owner = task.owner
    task.assignee, task.owner, task.state = owner, None, "claimed"
    task.data = dict(data)
    record(
        uow,
        task.case,
        user.username,
        "delegate_resolve",
        task,
        {"owner": owner, "data": data, "comment": comment or ""},
    )
    notify(
        uow,
        [owner],
        "delegated",
        f"{name_of(user)} 已办理您委派的“{task.name}”（办件 {task.case.case_no}），请审核后办理",
        task.case,
        task.id,
    )
    return Completion(task.case, [], open_rows(uow, task.case))


# ----- 加签 and 减签 ----------------------------------------------------------------------------


def sign_rows(uow: UnitOfWork, task: models.HumanTask) -> list[models.HumanTask]:
    return list(
        uow.session.scalars(
            select(models.HumanTask)
            .where(
                models.HumanTask.parent_id == task.id,
                models.HumanTask.role.in_(SIGN_ROLES),
            )
            .order_by(models.HumanTask.created_at, models.HumanTask.id)
        )
    )


def _new_sign_row(
    task: models.HumanTask, signer: str, department: str, role: str, state: str
) -> models.HumanTask:
    return models.HumanTask(
        id=str(uuid.uuid4()),
        case=task.case,
        spec_name=f"{task.spec_name}{SIGN_SPEC_SUFFIX}"[:128],
        name=f"{task.name}（加签）"[:128],
        department_code=department,
        role=role,
        assignee=signer,
        state=state,
        candidates=[signer],
        parent_id=task.id,
        due_working_days=task.due_working_days,
        due_date=task.due_date,
        created_at=models.utcnow(),
    )


def add_sign(
    uow: UnitOfWork, user: models.User, task_id: str, users: Any, position: Any
) -> dict[str, Any]:
    """POST …/add-sign (加签): co-signers before the assignee decides, or after."""
    if position not in POSITIONS:
        raise invalid("position", "应为 before 或 after")
    names = usernames_arg(users)
    task = lock_task(uow, user, task_id)
    require_open(task)
    not_a_sign_row(task)
    not_delegated(task)
    require_actor(user, task)
    signers = users_named(uow, names)
    holder = task.assignee or user.username
    not_working = [s.username for s in signers if not access.works_cases(s)]
    if not_working:
        raise invalid("users", f"{'、'.join(not_working)} 不办理办件，不能加签")
    if holder in names:
        raise invalid("users", "不能给当前办理人自己加签")
    waiting = {r.assignee for r in sign_rows(uow, task) if r.state in (*OPEN, SIGN_PENDING)}
    already = [n for n in names if n in waiting]
    if already:
        raise invalid("users", f"{'、'.join(already)} 已是该任务的加签人")
    role = POSITIONS[position]
    before = role == SIGN_BEFORE
    task.assignee = holder
    rows = [
        _new_sign_row(
            task, s.username, s.department_code, role, "claimed" if before else SIGN_PENDING
        )
        for s in signers
    ]
    uow.session.add_all(rows)
    if before:
        task.state = WAITING_SIGN
        _ask_signers(uow, user, task, rows)
    else:
        task.state = "claimed"
        task.outcome = AFTER_SIGNS_PENDING
    record(
        uow,
        task.case,
        user.username,
        "add_sign",
        task,
        {"position": position, "users": names, "tasks": [r.id for r in rows]},
    )
    return task_result(uow, task, signers=[operation_task_view(uow, r) for r in rows])


def _ask_signers(
    uow: UnitOfWork, user: models.User, task: models.HumanTask, rows: list[models.HumanTask]
) -> None:
    for row in rows:
        notify(
            uow,
            [row.assignee],
            "new_task",
            f"{name_of(user)} 请您对“{task.name}”（办件 {task.case.case_no}）加签",
            task.case,
            row.id,
        )


def remove_sign(uow: UnitOfWork, user: models.User, task_id: str, users: Any) -> dict[str, Any]:
    """POST …/remove-sign (减签): cancel added signers who have not answered yet."""
    names = usernames_arg(users)
    task = lock_task(uow, user, task_id)
    if task.state not in (*OPEN, WAITING_SIGN):
        raise Conflict(f"任务“{task.name}”已不在待办状态（{task.state}）", code="task_not_open")
    if task.assignee != user.username and "admin" not in user.role_codes:
        raise Forbidden("只有任务的办理人可以减签", code="not_assignee")
    rows = sign_rows(uow, task)
    removable = [r for r in rows if r.assignee in names and r.state in (*OPEN, SIGN_PENDING)]
    missing = sorted(set(names) - {r.assignee for r in removable})
    if missing:
        raise invalid("users", f"{'、'.join(missing)} 不是尚未签署的加签人", unknown=missing)
    for row in removable:
        row.state, row.outcome = "cancelled", "removed"
    record(
        uow,
        task.case,
        user.username,
        "remove_sign",
        task,
        {"users": names, "tasks": [r.id for r in removable]},
    )
    if task.outcome == AFTER_SIGNS_PENDING and not any(r.state == SIGN_PENDING for r in rows):
        task.outcome = None
    completion = _resume_if_answered(uow, task, rows, comment="减签后加签完成")
    result = task_result(uow, task)
    if completion is not None:  # the notices of what it settled close as a completion's do
        close_settled(uow, completion.case)
        result["case"] = case_brief(uow, completion.case, completion.open_tasks)
    return result


def _resume_if_answered(
    uow: UnitOfWork, task: models.HumanTask, rows: list[models.HumanTask], comment: str
) -> Completion | None:
    """A waiting task whose signers have all answered: after the before-signers it is its
    assignee's again; after the after-signers its workflow task completes with the data the
    assignee submitted (returns that completion)."""
    if task.state != WAITING_SIGN or any(r.state in OPEN for r in rows):
        return None
    if task.outcome != SIGNING_AFTER:
        task.state = "claimed" if task.assignee else "ready"
        return None
    task.state, task.outcome = "claimed", None
    holder = uow.session.scalar(select(models.User).where(models.User.username == task.assignee))
    uow.session.flush()
    row, case_rows = lock_open_task(uow, holder, task.id)
    return complete_with_signs(uow, holder, row, case_rows, dict(task.data or {}), comment)


def _complete_sign(
    uow: UnitOfWork, user: models.User, row: models.HumanTask, data: dict, comment: str | None
) -> Completion:
    """An added signer answers: 同意 (approve) or 不同意 (reject), with an opinion."""
    decision = data.get("decision") or "approve"
    if decision not in SIGN_DECISIONS:
        raise invalid("decision", "应为 approve（同意）或 reject（不同意）")
    opinion = text_arg(data.get("opinion") or comment or "", "opinion", required=False)
    parent = uow.session.get(models.HumanTask, row.parent_id)
    if parent is None or parent.state != WAITING_SIGN:
        raise Conflict("加签的任务已结束", code="task_not_open")
    case = row.case
    row.state, row.completed_at, row.completed_by = "completed", models.utcnow(), user.username
    row.outcome, row.data = decision, {"decision": decision, "opinion": opinion}
    position = "before" if row.role == SIGN_BEFORE else "after"
    record(
        uow,
        case,
        user.username,
        "sign",
        row,
        {"position": position, "decision": decision, "opinion": opinion, "comment": opinion},
    )
    verdict = "同意" if decision == "approve" else "不同意"
    notify(
        uow,
        [parent.assignee],
        "signed",
        f"{name_of(user)} 对“{parent.name}”（办件 {case.case_no}）加签：{verdict}"
        + (f"，{opinion}" if opinion else ""),
        case,
        parent.id,
    )
    rows = sign_rows(uow, parent)
    if row.role == SIGN_AFTER and decision == "reject":
        _ask_again_later(uow, parent, rows)
        parent.state = "claimed"
        return Completion(case, [], open_rows(uow, case))
    done = _resume_if_answered(uow, parent, rows, comment="加签人均已同意")
    if done is not None:
        return done
    return Completion(case, [], open_rows(uow, case))


def _ask_again_later(uow: UnitOfWork, task: models.HumanTask, rows: list[models.HumanTask]) -> None:
    """A 不同意 after: back to the assignee; every after-signer is asked again next time."""
    latest: dict[str, models.HumanTask] = {}
    for r in rows:
        if r.role == SIGN_AFTER:
            latest[r.assignee or ""] = r
    again = []
    for username, r in latest.items():
        if r.outcome == "removed":
            continue
        if r.state in OPEN:
            r.state = "cancelled"
        again.append(_new_sign_row(task, username, r.department_code, SIGN_AFTER, SIGN_PENDING))
    uow.session.add_all(again)
    task.outcome = AFTER_SIGNS_PENDING


def _submit_for_signature(
    uow: UnitOfWork, user: models.User, task: models.HumanTask, data: dict, comment: str | None
) -> Completion:
    """The assignee completes a task with after-signers: they are asked, the task waits."""
    case = task.case
    definition = task_definition(uow.session, task)
    meta = definition.meta(task.spec_name)
    if meta.get("form"):
        validate_form(definition.files[meta["form"]], data)
    rows = [r for r in sign_rows(uow, task) if r.state == SIGN_PENDING]
    for r in rows:
        r.state = "claimed"
    task.data, task.state, task.outcome = dict(data), WAITING_SIGN, SIGNING_AFTER
    record(
        uow,
        case,
        user.username,
        "submit_for_sign",
        task,
        {"data": data, "comment": comment or "", "users": [r.assignee for r in rows]},
    )
    _ask_signers(uow, user, task, rows)
    return Completion(case, rows, open_rows(uow, case))


def take_over_completion(
    uow: UnitOfWork,
    user: models.User,
    task: models.HumanTask,
    data: dict[str, Any],
    comment: str | None,
) -> Completion | None:
    """Called by ``tasks.complete`` once it has checked the caller: a completion that is not
    (yet) the workflow task's — a signer's answer, a delegate's work, a task whose
    after-signers must approve first. None: complete as usual. Costs no query otherwise."""
    if is_sign_row(task):
        return _complete_sign(uow, user, task, data, comment)
    if task.owner and task.owner != user.username:
        return hand_back(uow, user, task, data, comment)
    if task.outcome == AFTER_SIGNS_PENDING:
        if any(r.state == SIGN_PENDING for r in sign_rows(uow, task)):
            return _submit_for_signature(uow, user, task, data, comment)
        task.outcome = None
    return None


def complete_with_signs(
    uow: UnitOfWork,
    user: models.User,
    task: models.HumanTask,
    case_rows: list[models.HumanTask],
    data: dict[str, Any],
    comment: str | None,
) -> Completion:
    """A checked completion: taken over when it is not (yet) the workflow task's, else the
    workflow step completes."""
    taken = take_over_completion(uow, user, task, data, comment)
    if taken is not None:
        return taken
    return complete_step(uow, user, task, case_rows, data, comment)
