"""抄送: a case copied to colleagues, who may then read it; their unread copies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import access, models, views
from ..errors import (
    NotFound,
)
from ..uow import UnitOfWork
from .cases import department_names, visible_case
from .common import record
from .notifications import notify
from .task_rules import (
    invalid,
    name_of,
    text_arg,
    usernames_arg,
    users_named,
)

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
    note = text_arg(note, "note", required=False)
    names = [n for n in usernames_arg(users) if n != user.username]
    if not names:
        raise invalid("users", "不能只抄送给自己")
    targets = users_named(uow, names)
    involved = _involved_departments(uow, case)
    outside = [t.username for t in targets if not access.may_receive_copy(t, involved)]
    if outside:
        raise invalid(
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
        f"{name_of(user)} 抄送办件 {case.case_no}（{case.service_item.name}）给您"
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


def person(user: models.User, names: dict[str, str]) -> dict[str, str]:
    return {
        "username": user.username,
        "display_name": name_of(user),
        "department": names.get(user.department_code, user.department_code),
    }


def active_users(uow: UnitOfWork) -> list[models.User]:
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
        person(u, names)
        for u in active_users(uow)
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
