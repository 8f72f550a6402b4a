"""What every task operation shares: the task locked or read as its user may see it, who may
act on it, the rows of added signers, and the checks of the operations' arguments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import access, models, views
from ..errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from ..uow import UnitOfWork
from .cases import department_names

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


def invalid(field: str, message: str, **details: Any) -> ValidationFailed:
    return ValidationFailed(message, {"fields": {field: message}, **details})


# ----- shared pieces ---------------------------------------------------------------------------


def text_arg(value: Any, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid(field, "应为文本")
    value = value.strip()
    if required and not value:
        raise invalid(field, "该字段为必填项")
    if len(value) > limit:
        raise invalid(field, f"不能超过 {limit} 个字符")
    return value


def usernames_arg(value: Any, field: str = "users") -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        raise invalid(field, "应为用户名列表（至少 1 个）")
    names = list(dict.fromkeys(u.strip() for u in value if u.strip()))
    if not names:
        raise invalid(field, "应为用户名列表（至少 1 个）")
    return names


def users_named(uow: UnitOfWork, names: list[str], field: str = "users") -> list[models.User]:
    found = {
        u.username: u
        for u in uow.session.scalars(
            select(models.User).where(models.User.username.in_(names), models.User.active)
        )
    }
    unknown = [n for n in names if n not in found]
    if unknown:
        raise invalid(field, f"用户不存在或已停用：{'、'.join(unknown)}", unknown=unknown)
    return [found[n] for n in names]


def user_named(uow: UnitOfWork, name: Any, field: str) -> models.User:
    if not isinstance(name, str) or not name.strip():
        raise invalid(field, "该字段为必填项")
    return users_named(uow, [name.strip()], field)[0]


def lock_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    """The task, in any state, read after its case row is locked — case first, then task, the
    order every writer takes (services/steps.py), so an operation never waits in a circle with
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


def visible_task(uow: UnitOfWork, user: models.User, task_id: str) -> models.HumanTask:
    task = uow.session.get(models.HumanTask, task_id)
    if task is None or not access.can_see_task(user, task):
        raise NotFound(f"任务 {task_id} 不存在", code="task_not_found")
    return task


def require_open(task: models.HumanTask) -> None:
    if task.state not in OPEN:
        raise Conflict(f"任务“{task.name}”已不在待办状态（{task.state}）", code="task_not_open")


def may_act(user: models.User, task: models.HumanTask) -> bool:
    """Whoever may complete the task: its assignee, or a candidate while it is unclaimed."""
    if task.assignee:
        return task.assignee == user.username
    return access.is_candidate(user, task)


def require_actor(user: models.User, task: models.HumanTask) -> None:
    if not may_act(user, task):
        raise Forbidden("您不是该任务的办理人", code="not_assignee")


def is_sign_row(task: models.HumanTask) -> bool:
    return task.role in SIGN_ROLES and task.parent_id is not None


def not_a_sign_row(task: models.HumanTask) -> None:
    if is_sign_row(task):
        raise Conflict("加签任务只能同意或不同意", code="sign_task")


def not_delegated(task: models.HumanTask) -> None:
    if task.owner:
        raise Conflict(
            f"任务已委派给 {task.assignee}，待其办理后交回 {task.owner}", code="task_delegated"
        )


def open_rows(uow: UnitOfWork, case: models.Case) -> list[models.HumanTask]:
    return list(
        uow.session.scalars(
            select(models.HumanTask)
            .where(models.HumanTask.case_id == case.id, models.HumanTask.state.in_(OPEN))
            .order_by(models.HumanTask.created_at, models.HumanTask.id)
        )
    )


def operation_task_view(uow: UnitOfWork, task: models.HumanTask) -> dict[str, Any]:
    view = views.task_view(task, department_names(uow))
    view["owner"] = task.owner
    view["parent_id"] = task.parent_id
    return view


def task_result(uow: UnitOfWork, task: models.HumanTask, **extra: Any) -> dict[str, Any]:
    uow.session.flush()
    return {"task": operation_task_view(uow, task), **extra}


def name_of(user: models.User) -> str:
    return user.display_name or user.username
