"""Who may see and do what — the rules both the HTML pages and the REST API go through.

Department scoping is the default: a clerk sees the cases and tasks of the department they work
in. Supervision, monitoring and administration read across departments.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select, true

from . import models
from .errors import Forbidden

READ_ALL_ROLES = frozenset({"admin", "supervisor", "monitor"})


def reads_everything(user: models.User) -> bool:
    return bool(user.role_codes & READ_ALL_ROLES)


def require_role(user: models.User, *roles: str) -> None:
    if not user.role_codes & set(roles):
        raise Forbidden("没有执行此操作的权限", {"required_roles": list(roles)})


def visible_cases(user: models.User) -> ColumnElement[bool]:
    """A WHERE clause: cases the user may see."""
    if reads_everything(user):
        return true()
    dept = user.department_code
    return or_(
        models.Case.intake_department == dept,
        exists(
            select(models.HumanTask.id).where(
                models.HumanTask.case_id == models.Case.id,
                models.HumanTask.department_code == dept,
            )
        ),
    )


def visible_tasks(user: models.User) -> ColumnElement[bool]:
    if reads_everything(user):
        return true()
    return models.HumanTask.department_code == user.department_code


def is_candidate(user: models.User, task: models.HumanTask) -> bool:
    """In the task's department and holding its role slot (any role when the task names none)."""
    return user.department_code == task.department_code and (
        task.role is None or task.role in user.role_codes
    )


def require_case_visible(user: models.User, case: models.Case, task_depts: set[str]) -> None:
    if reads_everything(user) or user.department_code in task_depts | {case.intake_department}:
        return
    raise Forbidden("无权查看此办件")
