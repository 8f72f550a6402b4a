"""Who may see and do what — the rules both the HTML pages and the REST API go through.

Department scoping is the default: a clerk sees the cases and tasks of the department they work
in. Supervision and administration read across departments; a monitor (服务监督员) reads only the
service items and departments an administrator put in their scope (``models.MonitorScope``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import aliased, object_session

from . import models
from .errors import Forbidden

READ_ALL_ROLES = frozenset({"admin", "supervisor"})
# Roles that work a department's cases; others (a designer, a service commissioner) see none
# of their department's cases merely by belonging to it.
CASE_WORK_ROLES = frozenset({"window", "reviewer", "approver"})
# 服务监督员: external monitors follow cases and give opinions, and never act on a case.
READ_ONLY_ROLES = frozenset({"monitor"})
# 县政府办公室 supervises every case, so it may always be sent a copy (抄送).
OFFICE_DEPARTMENT = "office"


def reads_everything(user: models.User) -> bool:
    return bool(user.role_codes & READ_ALL_ROLES)


def is_monitor(user: models.User) -> bool:
    """A monitor reads through their scope, and sees personal data masked (views.for_monitor)."""
    return "monitor" in user.role_codes and not reads_everything(user)


def scope_codes(user: models.User, kind: str):
    """The service items or departments in a monitor's scope, as a subquery."""
    scope = models.MonitorScope
    return select(scope.code).where(scope.username == user.username, scope.kind == kind)


def monitored_cases(user: models.User) -> ColumnElement[bool]:
    """Cases of a service item in scope, or that a department in scope takes part in."""
    task = aliased(models.HumanTask)
    return or_(
        models.Case.service_item_code.in_(scope_codes(user, "service_item")),
        exists(
            select(task.id).where(
                task.case_id == models.Case.id,
                task.department_code.in_(scope_codes(user, "department")),
            )
        ),
    )


def require_acting(user: models.User) -> None:
    """Refuse a read-only user (a monitor): comments, 催办 and 抄送 are acts on the case."""
    if user.role_codes and user.role_codes <= READ_ONLY_ROLES:
        raise Forbidden("服务监督员只能查看办件，不能操作", code="read_only")


def may_receive_copy(target: models.User, involved_departments: set[str]) -> bool:
    """抄送 goes to staff of the departments that took part in the case, and to the office:
    otherwise anyone who can read a case could widen who reads it without limit."""
    return target.department_code in (involved_departments | {OFFICE_DEPARTMENT})


def require_role(user: models.User, *roles: str) -> None:
    if not user.role_codes & set(roles):
        raise Forbidden("没有执行此操作的权限", {"required_roles": list(roles)})


def visible_cases(user: models.User) -> ColumnElement[bool]:
    """A WHERE clause: cases the user may see."""
    if reads_everything(user):
        return true()
    if is_monitor(user):
        return monitored_cases(user)
    copied = exists(  # 抄送: a case copied to the user, for information
        select(models.CaseCopy.id).where(
            models.CaseCopy.case_id == models.Case.id, models.CaseCopy.username == user.username
        )
    )
    if not works_cases(user):
        return or_(models.Case.created_by == user.username, copied)  # own filings, copies
    dept = user.department_code
    return or_(
        models.Case.created_by == user.username,
        models.Case.intake_department == dept,
        exists(
            select(models.HumanTask.id).where(
                models.HumanTask.case_id == models.Case.id,
                # a task delegated to someone of another department is theirs to see
                or_(
                    models.HumanTask.department_code == dept,
                    models.HumanTask.assignee == user.username,
                ),
            )
        ),
        copied,
    )


def visible_tasks(user: models.User) -> ColumnElement[bool]:
    if reads_everything(user):
        return true()
    if is_monitor(user):
        return models.HumanTask.case_id.in_(select(models.Case.id).where(monitored_cases(user)))
    if not works_cases(user):
        return false()
    return models.HumanTask.department_code == user.department_code


def can_see_task(user: models.User, task: models.HumanTask) -> bool:
    if is_monitor(user):
        session = object_session(task)
        return session is not None and bool(
            session.scalar(
                select(models.HumanTask.id).where(
                    models.HumanTask.id == task.id, visible_tasks(user)
                )
            )
        )
    return (
        reads_everything(user)
        or task.assignee == user.username
        or user.username in (task.candidates or ())
        or (works_cases(user) and task.department_code == user.department_code)
    )


def works_cases(user: models.User) -> bool:
    return bool(user.role_codes & CASE_WORK_ROLES)


def is_candidate(user: models.User, task: models.HumanTask) -> bool:
    """In the task's department and holding its role slot (any working role when it names none);
    a task with named ``candidates`` (an approval chain level) is for exactly those users."""
    if task.candidates:
        return user.username in task.candidates
    if user.department_code != task.department_code:
        return False
    return task.role in user.role_codes if task.role else works_cases(user)
