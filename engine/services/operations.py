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

import io
import uuid
import zipfile
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from .. import access, models, views
from ..errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooLarge,
    UnsupportedMedia,
    ValidationFailed,
)
from ..runtime import CaseRun
from ..uow import UnitOfWork
from . import tasks as task_service
from .cases import case_brief, department_names, visible_case
from .common import load_run, record, save_run, sync_tasks
from .materials import _write_once, clean_filename, file_path
from .notifications import candidates_query, close_settled, notify

OPEN = ("ready", "claimed")
CHAIN_STEP = "chain"  # an approval-chain step's own row (services/chains.py)
WAITING_SIGN = "waiting_sign"  # the task waits for its added signers
SIGN_PENDING = "sign_pending"  # an "after" signer's row until the assignee has completed
SIGN_BEFORE, SIGN_AFTER = "sign_before", "sign_after"  # the role of an added signer's row
SIGN_ROLES = (SIGN_BEFORE, SIGN_AFTER)
AFTER_SIGNS_PENDING = "sign_after"  # ``outcome``: after-signers wait for the submission
SIGNING_AFTER = "signing_after"  # ``outcome``: submitted, the after-signers are asked
SIGN_SPEC_SUFFIX = "#sign"  # not a BPMN id: a signer's row has no form of the step's
POSITIONS = {"before": SIGN_BEFORE, "after": SIGN_AFTER}
SIGN_DECISIONS = ("approve", "reject")
MAX_TEXT = 2000
MAX_COMMENT = 5000
MAX_FILES = 10
MAX_FILE_SIZE = 10 * 1024 * 1024
SYSTEM = "system"


# ----- errors ----------------------------------------------------------------------------------


def _invalid(field: str, message: str, **details: Any) -> ValidationFailed:
    return ValidationFailed(message, {"fields": {field: message}, **details})


# ----- shared pieces ---------------------------------------------------------------------------


def _text(value: Any, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field, "应为文本")
    value = value.strip()
    if required and not value:
        raise _invalid(field, "该字段为必填项")
    if len(value) > limit:
        raise _invalid(field, f"不能超过 {limit} 个字符")
    return value


def _usernames(value: Any, field: str = "users") -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        raise _invalid(field, "应为用户名列表（至少 1 个）")
    names = list(dict.fromkeys(u.strip() for u in value if u.strip()))
    if not names:
        raise _invalid(field, "应为用户名列表（至少 1 个）")
    return names


def _users(uow: UnitOfWork, names: list[str], field: str = "users") -> list[models.User]:
    found = {
        u.username: u
        for u in uow.session.scalars(
            select(models.User).where(models.User.username.in_(names), models.User.active)
        )
    }
    unknown = [n for n in names if n not in found]
    if unknown:
        raise _invalid(field, f"用户不存在或已停用：{'、'.join(unknown)}", unknown=unknown)
    return [found[n] for n in names]


def _user(uow: UnitOfWork, name: Any, field: str) -> models.User:
    if not isinstance(name, str) or not name.strip():
        raise _invalid(field, "该字段为必填项")
    return _users(uow, [name.strip()], field)[0]


def _lock_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    """The task, in any state, read after its case row is locked — case first, then task, the
    order every writer takes (services/tasks.py), so an operation never waits in a circle with
    the timer scheduler."""
    case = uow.session.scalars(
        select(models.Case)
        .where(
            models.Case.id
            == select(models.HumanTask.case_id)
            .where(models.HumanTask.id == task_id)
            .scalar_subquery()
        )
        .with_for_update(of=models.Case)
        .execution_options(populate_existing=True)
    ).one_or_none()
    task = (
        uow.session.scalars(
            select(models.HumanTask)
            .where(models.HumanTask.id == task_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if case is not None
        else None
    )
    if task is None or not access.can_see_task(user, task):
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    return task


def _visible_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    task = uow.session.get(models.HumanTask, task_id)
    if task is None or not access.can_see_task(user, task):
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    return task


def _require_open(task: models.HumanTask) -> None:
    if task.state not in OPEN:
        raise Conflict(f"任务“{task.name}”已不在待办状态（{task.state}）", code="task_not_open")


def may_act(user: models.User, task: models.HumanTask) -> bool:
    """Whoever may complete the task: its assignee, or a candidate while it is unclaimed."""
    if task.assignee:
        return task.assignee == user.username
    return access.is_candidate(user, task)


def _require_actor(user: models.User, task: models.HumanTask) -> None:
    if not may_act(user, task):
        raise Forbidden("您不是该任务的办理人", code="not_assignee")


def is_sign_row(task: models.HumanTask) -> bool:
    return task.role in SIGN_ROLES and task.parent_id is not None


def _not_a_sign_row(task: models.HumanTask) -> None:
    if is_sign_row(task):
        raise Conflict("加签任务只能同意或不同意", code="sign_task")


def _not_delegated(task: models.HumanTask) -> None:
    if task.owner:
        raise Conflict(
            f"任务已委派给 {task.assignee}，待其办理后交回 {task.owner}", code="task_delegated"
        )


def _open_rows(uow: UnitOfWork, case: models.Case) -> list[models.HumanTask]:
    return list(
        uow.session.scalars(
            select(models.HumanTask)
            .where(models.HumanTask.case_id == case.id, models.HumanTask.state.in_(OPEN))
            .order_by(models.HumanTask.created_at, models.HumanTask.id)
        )
    )


def _task_view(uow: UnitOfWork, task: models.HumanTask) -> dict[str, Any]:
    view = views.task_view(task, department_names(uow))
    view["owner"] = task.owner
    view["parent_id"] = task.parent_id
    return view


def _result(uow: UnitOfWork, task: models.HumanTask, **extra: Any) -> dict[str, Any]:
    uow.session.flush()
    return {"task": _task_view(uow, task), **extra}


def _display(user: models.User) -> str:
    return user.display_name or user.username


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
    task = _visible_task(uow, user, task_id)
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
    _settle_signs(uow, case)
    close_settled(uow, case)
    return reopened, closed


def _settle_signs(uow: UnitOfWork, case: models.Case) -> None:
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


def return_task(
    uow: UnitOfWork, user: models.User, task_id: str, to: Any, reason: Any
) -> dict[str, Any]:
    """POST …/return (退回) to a step already passed, with a reason."""
    reason = _text(reason, "reason", required=True)
    if not isinstance(to, str) or not to.strip():
        raise _invalid("to", "请选择退回到的步骤")
    task = _lock_task(uow, user, task_id)
    _require_open(task)
    _not_a_sign_row(task)
    _not_delegated(task)
    _require_actor(user, task)
    case = task.case
    step = _step_of(uow, task)
    run = load_run(uow, case)
    if run.find_ready(step.id) is None:
        raise Conflict("任务已不在待办状态", code="task_not_open")
    targets = _targets(uow, run, step)
    chosen = next(((v, r) for v, r in targets if to.strip() in (v["to"], v["task_id"])), None)
    if chosen is None:
        raise _invalid(
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
        f"办件 {case.case_no} 被 {_display(user)} 从“{task.name}”退回到“{target['name']}”："
        f"{reason}",
        case,
        target["task_id"],
    )
    return {
        "task": _task_view(uow, reopened) if reopened is not None else None,
        "returned_to": target,
        "case": case_brief(uow, case, _open_rows(uow, case)),
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
    task = _lock_task(uow, user, task_id)
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
    return {"task": _task_view(uow, reopened), "case": case_brief(uow, case, _open_rows(uow, case))}


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
    reason = _text(reason, "reason", required=False)
    task = _lock_task(uow, user, task_id)
    _require_open(task)
    _not_a_sign_row(task)
    _not_delegated(task)
    if not (may_act(user, task) or "admin" in user.role_codes):
        raise Forbidden("您不是该任务的办理人", code="not_assignee")
    target = _user(uow, to_user, "to_user")
    previous = task.assignee or user.username
    if target.username == previous:
        raise _invalid("to_user", "不能转办给当前办理人")
    if not may_take_over(target, task):
        raise _invalid("to_user", f"{target.username} 不是该任务所在部门的候选办理人")
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
        f"{_display(user)} 将“{task.name}”（办件 {task.case.case_no}）转办给您"
        + (f"：{reason}" if reason else ""),
        task.case,
        task.id,
    )
    return _result(uow, task)


def may_take_over(target: models.User, task: models.HumanTask) -> bool:
    """转办: to a candidate of the task in its own department."""
    return target.department_code == task.department_code and access.is_candidate(target, task)


def delegate(
    uow: UnitOfWork, user: models.User, task_id: str, to_user: Any, note: Any
) -> dict[str, Any]:
    """POST …/delegate (委派): the delegate works the task, it then comes back to its owner."""
    note = _text(note, "note", required=False)
    task = _lock_task(uow, user, task_id)
    _require_open(task)
    _not_a_sign_row(task)
    _not_delegated(task)
    _require_actor(user, task)
    target = _user(uow, to_user, "to_user")
    if target.username == user.username:
        raise _invalid("to_user", "不能委派给自己")
    if not access.works_cases(target):
        raise _invalid("to_user", f"{target.username} 不办理办件，不能接受委派")
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
        f"{_display(user)} 委派您办理“{task.name}”（办件 {task.case.case_no}），"
        f"办理后交回委派人" + (f"：{note}" if note else ""),
        task.case,
        task.id,
    )
    return _result(uow, task)


def _hand_back(
    uow: UnitOfWork, user: models.User, task: models.HumanTask, data: dict, comment: str | None
) -> task_service.Completion:
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
        f"{_display(user)} 已办理您委派的“{task.name}”（办件 {task.case.case_no}），请审核后办理",
        task.case,
        task.id,
    )
    return task_service.Completion(task.case, [], _open_rows(uow, task.case))


# ----- 加签 and 减签 ----------------------------------------------------------------------------


def _sign_rows(uow: UnitOfWork, task: models.HumanTask) -> list[models.HumanTask]:
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
        raise _invalid("position", "应为 before 或 after")
    names = _usernames(users)
    task = _lock_task(uow, user, task_id)
    _require_open(task)
    _not_a_sign_row(task)
    _not_delegated(task)
    _require_actor(user, task)
    signers = _users(uow, names)
    holder = task.assignee or user.username
    not_working = [s.username for s in signers if not access.works_cases(s)]
    if not_working:
        raise _invalid("users", f"{'、'.join(not_working)} 不办理办件，不能加签")
    if holder in names:
        raise _invalid("users", "不能给当前办理人自己加签")
    waiting = {r.assignee for r in _sign_rows(uow, task) if r.state in (*OPEN, SIGN_PENDING)}
    already = [n for n in names if n in waiting]
    if already:
        raise _invalid("users", f"{'、'.join(already)} 已是该任务的加签人")
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
    return _result(uow, task, signers=[_task_view(uow, r) for r in rows])


def _ask_signers(
    uow: UnitOfWork, user: models.User, task: models.HumanTask, rows: list[models.HumanTask]
) -> None:
    for row in rows:
        notify(
            uow,
            [row.assignee],
            "new_task",
            f"{_display(user)} 请您对“{task.name}”（办件 {task.case.case_no}）加签",
            task.case,
            row.id,
        )


def remove_sign(uow: UnitOfWork, user: models.User, task_id: str, users: Any) -> dict[str, Any]:
    """POST …/remove-sign (减签): cancel added signers who have not answered yet."""
    names = _usernames(users)
    task = _lock_task(uow, user, task_id)
    if task.state not in (*OPEN, WAITING_SIGN):
        raise Conflict(f"任务“{task.name}”已不在待办状态（{task.state}）", code="task_not_open")
    if task.assignee != user.username and "admin" not in user.role_codes:
        raise Forbidden("只有任务的办理人可以减签", code="not_assignee")
    rows = _sign_rows(uow, task)
    removable = [r for r in rows if r.assignee in names and r.state in (*OPEN, SIGN_PENDING)]
    missing = sorted(set(names) - {r.assignee for r in removable})
    if missing:
        raise _invalid("users", f"{'、'.join(missing)} 不是尚未签署的加签人", unknown=missing)
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
    result = _result(uow, task)
    if completion is not None:
        result["case"] = case_brief(uow, completion.case, completion.open_tasks)
    return result


def _resume_if_answered(
    uow: UnitOfWork, task: models.HumanTask, rows: list[models.HumanTask], comment: str
) -> task_service.Completion | None:
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
    return task_service.complete(uow, holder, task.id, dict(task.data or {}), comment)


def _complete_sign(
    uow: UnitOfWork, user: models.User, row: models.HumanTask, data: dict, comment: str | None
) -> task_service.Completion:
    """An added signer answers: 同意 (approve) or 不同意 (reject), with an opinion."""
    decision = data.get("decision") or "approve"
    if decision not in SIGN_DECISIONS:
        raise _invalid("decision", "应为 approve（同意）或 reject（不同意）")
    opinion = _text(data.get("opinion") or comment or "", "opinion", required=False)
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
        f"{_display(user)} 对“{parent.name}”（办件 {case.case_no}）加签：{verdict}"
        + (f"，{opinion}" if opinion else ""),
        case,
        parent.id,
    )
    rows = _sign_rows(uow, parent)
    if row.role == SIGN_AFTER and decision == "reject":
        _ask_again_later(uow, parent, rows)
        parent.state = "claimed"
        return task_service.Completion(case, [], _open_rows(uow, case))
    done = _resume_if_answered(uow, parent, rows, comment="加签人均已同意")
    if done is not None:
        return done
    return task_service.Completion(case, [], _open_rows(uow, case))


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
) -> task_service.Completion:
    """The assignee completes a task with after-signers: they are asked, the task waits."""
    from ..forms import validate_form
    from .common import task_definition

    case = task.case
    definition = task_definition(uow.session, task)
    meta = definition.meta(task.spec_name)
    if meta.get("form"):
        validate_form(definition.files[meta["form"]], data)
    rows = [r for r in _sign_rows(uow, task) if r.state == SIGN_PENDING]
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
    return task_service.Completion(case, rows, _open_rows(uow, case))


def take_over_completion(
    uow: UnitOfWork,
    user: models.User,
    task: models.HumanTask,
    data: dict[str, Any],
    comment: str | None,
) -> task_service.Completion | None:
    """Called by ``tasks.complete`` once it has checked the caller: a completion that is not
    (yet) the workflow task's — a signer's answer, a delegate's work, a task whose
    after-signers must approve first. None: complete as usual. Costs no query otherwise."""
    if is_sign_row(task):
        return _complete_sign(uow, user, task, data, comment)
    if task.owner and task.owner != user.username:
        return _hand_back(uow, user, task, data, comment)
    if task.outcome == AFTER_SIGNS_PENDING:
        if any(r.state == SIGN_PENDING for r in _sign_rows(uow, task)):
            return _submit_for_signature(uow, user, task, data, comment)
        task.outcome = None
    return None


# ----- 催办 ------------------------------------------------------------------------------------


def urge(uow: UnitOfWork, user: models.User, task_id: str, note: Any) -> dict[str, Any]:
    """POST …/urge (催办): anyone who can see the case; the assignee (or every candidate, or the
    added signers a task waits for) is notified."""
    note = _text(note, "note", required=False)
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
        to = [r.assignee for r in _sign_rows(uow, task) if r.state in OPEN]
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
        f"{_display(user)} 催办“{task.name}”（办件 {case.case_no}）"
        + (f"：{note}" if note else ""),
        case,
        task.id,
    )
    record(uow, case, user.username, "urge", task, {"note": note, "to": to, "comment": note})
    return _result(uow, task, notified=to)


# ----- 抄送 ------------------------------------------------------------------------------------


def _copy_view(copy: models.CaseCopy, case: models.Case) -> dict[str, Any]:
    return {
        "id": copy.id,
        "case_no": case.case_no,
        "service_item": case.service_item_code,
        "service_item_name": case.service_item.name,
        "applicant_name": case.applicant_name,
        "status": case.status,
        "username": copy.username,
        "copied_by": copy.copied_by,
        "note": copy.note,
        "created_at": views.iso(copy.created_at),
        "read_at": views.iso(copy.read_at),
        "read": copy.read_at is not None,
    }


def copy_case(
    uow: UnitOfWork, user: models.User, case_no: str, users: Any, note: Any
) -> list[dict[str, Any]]:
    """POST /cases/{case_no}/cc (抄送): the users may read the case from now on."""
    case = visible_case(uow, user, case_no)
    access.require_acting(user)
    note = _text(note, "note", required=False)
    names = [n for n in _usernames(users) if n != user.username]
    if not names:
        raise _invalid("users", "不能只抄送给自己")
    targets = _users(uow, names)
    involved = _involved_departments(uow, case)
    outside = [t.username for t in targets if not access.may_receive_copy(t, involved)]
    if outside:
        raise _invalid(
            "users",
            f"只能抄送给本件经办部门和政府办的人员：{'、'.join(outside)}",
            outside=outside,
        )
    existing = {
        c.username: c
        for c in uow.session.scalars(
            select(models.CaseCopy).where(
                models.CaseCopy.case_id == case.id, models.CaseCopy.username.in_(names)
            )
        )
    }
    now = models.utcnow()
    copies = []
    for target in targets:
        copy = existing.get(target.username)
        if copy is None:
            copy = models.CaseCopy(
                case_id=case.id,
                username=target.username,
                copied_by=user.username,
                note=note,
                created_at=now,
            )
            uow.session.add(copy)
        else:  # copied again: a fresh note, unread again
            copy.copied_by, copy.note = user.username, note
            copy.created_at, copy.read_at = now, None
        copies.append(copy)
    record(uow, case, user.username, "cc", None, {"users": names, "note": note, "comment": note})
    notify(
        uow,
        names,
        "cc",
        f"{_display(user)} 抄送办件 {case.case_no}（{case.service_item.name}）给您"
        + (f"：{note}" if note else ""),
        case,
    )
    uow.session.flush()
    return [_copy_view(c, case) for c in copies]


def unread_copies(uow: UnitOfWork, user: models.User) -> int:
    """How many cases copied to the user (抄送) they have not opened yet."""
    copy = models.CaseCopy
    return (
        uow.session.scalar(
            select(func.count())
            .select_from(copy)
            .where(copy.username == user.username, copy.read_at.is_(None))
        )
        or 0
    )


def _involved_departments(uow: UnitOfWork, case: models.Case) -> set[str]:
    return {
        case.intake_department,
        *uow.session.scalars(
            select(models.HumanTask.department_code)
            .where(models.HumanTask.case_id == case.id)
            .distinct()
        ),
    }


def _person(user: models.User, names: dict[str, str]) -> dict[str, str]:
    return {
        "username": user.username,
        "display_name": _display(user),
        "department": names.get(user.department_code, user.department_code),
    }


def _active_users(uow: UnitOfWork) -> list[models.User]:
    return list(
        uow.session.scalars(
            select(models.User).where(models.User.active).order_by(models.User.username)
        )
    )


def copy_recipients(uow: UnitOfWork, user: models.User, case: models.Case) -> list[dict[str, str]]:
    """Who the person picker offers for 抄送: whom ``copy_case`` accepts (the case's
    departments and the office), the caller left out."""
    involved, names = _involved_departments(uow, case), department_names(uow)
    return [
        _person(u, names)
        for u in _active_users(uow)
        if u.username != user.username and access.may_receive_copy(u, involved)
    ]


def list_copies(
    uow: UnitOfWork, user: models.User, *, unread: bool = False, page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, Any]], int]:
    """GET /cc (抄送我的): the cases copied to the caller, newest first."""
    copy = models.CaseCopy
    where = [copy.username == user.username]
    if unread:
        where.append(copy.read_at.is_(None))
    total = uow.session.scalar(select(func.count()).select_from(copy).where(*where)) or 0
    rows = uow.session.execute(
        select(copy, models.Case)
        .join(models.Case, models.Case.id == copy.case_id)
        .options(selectinload(models.Case.service_item))
        .where(*where)
        .order_by(copy.created_at.desc(), copy.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [_copy_view(c, case) for c, case in rows], total


def read_copy(uow: UnitOfWork, user: models.User, copy_id: int) -> dict[str, Any]:
    copy = uow.session.get(models.CaseCopy, copy_id)
    if copy is None or copy.username != user.username:
        raise NotFound(f"抄送 {copy_id} 不存在", code="copy_not_found")
    if copy.read_at is None:
        copy.read_at = models.utcnow()
    return _copy_view(copy, uow.session.get(models.Case, copy.case_id))


# ----- 意见与附件 ------------------------------------------------------------------------------

_ZIP_KINDS = (
    (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": _ZIP_KINDS[0][1],
    ".xlsx": _ZIP_KINDS[1][1],
}
_DEFAULT_EXTENSION = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    _ZIP_KINDS[0][1]: ".docx",
    _ZIP_KINDS[1][1]: ".xlsx",
}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def detect_attachment(data: bytes) -> str | None:
    """The type the content is (magic bytes; DOCX/XLSX by their ZIP directory), else None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())  # the central directory only: nothing inflated
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            for member, content_type in _ZIP_KINDS:
                if member in names:
                    return content_type
    return None


def check_attachment(filename: str, data: bytes) -> tuple[str, str]:
    """(clean file name, detected type), or 413 / 415 / 422 with the file named."""
    name = clean_filename(filename) or "attachment"
    if len(data) > MAX_FILE_SIZE:
        raise TooLarge(
            f"附件“{name}”超过 10 MB 的上限",
            {"filename": name, "size": len(data), "max_size": MAX_FILE_SIZE},
        )
    if not data:
        raise ValidationFailed(
            f"附件“{name}”是空文件", {"fields": {"files": "空文件"}}, code="empty_file"
        )
    detected = detect_attachment(data)
    if detected is None:
        raise UnsupportedMedia(
            f"附件“{name}”不是 PDF、JPEG、PNG、DOCX 或 XLSX 文件（按文件内容判断）",
            {"filename": name, "allowed": sorted(ATTACHMENT_TYPES)},
        )
    ext = PurePosixPath(name).suffix.lower()
    if not ext:
        name += _DEFAULT_EXTENSION[detected]
    elif ATTACHMENT_TYPES.get(ext) != detected:
        raise UnsupportedMedia(
            f"附件“{name}”的扩展名与内容不符（内容为 {_DEFAULT_EXTENSION[detected]}）",
            {"filename": name, "detected": detected},
            code="extension_mismatch",
        )
    return name, detected


def attachment_views(attachments: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The files of an attachment list as readers see them (no hash, no path)."""
    return [
        {k: f[k] for k in ("n", "filename", "content_type", "size")}
        for f in (attachments or {}).get("files", [])
    ]


def store_attachments(uploads: list[Upload], upload_dir: Path) -> dict[str, Any]:
    """Check every file (nothing is written when one is refused), then store each under its
    SHA-256; returns the attachment list a row keeps (a comment, a 督办 feedback)."""
    if len(uploads) > MAX_FILES:
        raise _invalid("files", f"最多 {MAX_FILES} 个附件")
    checked = [(upload, *check_attachment(upload.filename, upload.data)) for upload in uploads]
    files = []
    for n, (upload, name, content_type) in enumerate(checked, start=1):
        digest = sha256(upload.data).hexdigest()
        _write_once(upload_dir, digest, upload.data)
        files.append(
            {
                "n": n,
                "filename": name,
                "content_type": content_type,
                "size": len(upload.data),
                "sha256": digest,
            }
        )
    return {"files": files}


def attached_file(
    attachments: dict[str, Any] | None, n: int, upload_dir: Path
) -> tuple[Path, str, str]:
    """File ``n`` of an attachment list: (path, file name, type), or 404."""
    found = next((f for f in (attachments or {}).get("files", []) if f["n"] == n), None)
    path = file_path(upload_dir, found["sha256"]) if found else None
    if path is None or not path.is_file():
        raise NotFound(f"附件 {n} 不存在", code="file_not_found")
    return path, found["filename"], found["content_type"]


def comment_view(comment: models.Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "task_id": comment.task_id,
        "author": comment.author,
        "text": comment.text,
        "created_at": views.iso(comment.created_at),
        "files": attachment_views(comment.attachments),
    }


def add_comment(
    uow: UnitOfWork,
    user: models.User,
    case_no: str,
    text: Any,
    uploads: list[Upload],
    upload_dir: Path,
    task_id: str | None = None,
) -> dict[str, Any]:
    """POST /cases/{case_no}/comments: an opinion, with files kept outside the workflow."""
    case = visible_case(uow, user, case_no)
    access.require_acting(user)
    text = _text(text, "text", required=not uploads, limit=MAX_COMMENT)
    if task_id:
        task = uow.session.get(models.HumanTask, task_id)
        if task is None or task.case_id != case.id:
            raise _invalid("task_id", "任务不属于该办件")
    attachments = store_attachments(uploads, upload_dir)
    comment = models.Comment(
        case_id=case.id,
        task_id=task_id or None,
        author=user.username,
        text=text,
        attachments=attachments,
        created_at=models.utcnow(),
    )
    uow.session.add(comment)
    uow.session.flush()
    record(
        uow,
        case,
        user.username,
        "comment",
        None,
        {
            "comment_id": comment.id,
            "comment": text,
            "files": [f["filename"] for f in attachments["files"]],
        },
    )
    return comment_view(comment)


def list_comments(
    uow: UnitOfWork, user: models.User, case_no: str, *, page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, Any]], int]:
    case = visible_case(uow, user, case_no)
    where = models.Comment.case_id == case.id
    total = uow.session.scalar(select(func.count()).select_from(models.Comment).where(where)) or 0
    rows = uow.session.scalars(
        select(models.Comment)
        .where(where)
        .order_by(models.Comment.created_at, models.Comment.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [comment_view(c) for c in rows], total


def comment_file(
    uow: UnitOfWork, user: models.User, case_no: str, comment_id: int, n: int, upload_dir: Path
) -> tuple[Path, str, str]:
    """A comment's attachment to whoever may see the case: (path, file name, type)."""
    case = visible_case(uow, user, case_no)
    comment = uow.session.get(models.Comment, comment_id)
    if comment is None or comment.case_id != case.id:
        raise NotFound(f"意见 {comment_id} 不存在", code="comment_not_found")
    return attached_file(comment.attachments, n, upload_dir)


# ----- what the task page offers ---------------------------------------------------------------


def task_operations(uow: UnitOfWork, user: models.User, task_id: str) -> dict[str, Any]:
    """The operations ``user`` may use on a task now, and what happened to it (退回 reason,
    delegation, added signers) — for the task page and ``GET …/operations``."""
    task = _visible_task(uow, user, task_id)
    case = task.case
    acting = task.state in OPEN and may_act(user, task)
    sign_row = is_sign_row(task)
    plain = acting and not sign_row and not task.owner
    signs = _sign_rows(uow, task) if not sign_row else []
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
    active = _active_users(uow) if can_transfer or plain else []
    names = department_names(uow)
    transferees = [
        _person(u, names)
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
        "delegates": [_person(u, names) for u in workers if u.username != user.username],
        "signers": [
            _person(u, names) for u in workers if u.username != holder and u.username not in waiting
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
