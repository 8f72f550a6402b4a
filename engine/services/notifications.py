"""Notifications (消息): in-app rows for each user, and outbound channels (SMS, e-mail).

``notify`` writes one ``notification`` row per user and, once the unit of work has committed,
hands each message to every registered outbound channel — so a rolled-back operation never
texts anybody, and a channel that fails is logged without undoing the operation.

A channel is anything with ``send(username, message)``. The demo registers ``LoggingChannel``,
which logs the SMS/e-mail it would send; a deployment replaces the registry (``set_channels``)
with gateways to the SMS platform and the mail server.

Kinds: ``new_task`` (a task for you or your department, an added signature), ``urged``,
``returned``, ``cc``, ``delegated`` (also when a delegated task comes back), ``transferred``,
``signed`` (the added signers have answered).

A notification about a task closes itself (is marked read) once the task is no longer the
user's to act on — completed, withdrawn, returned past, cancelled, or taken by someone else
(claimed by a colleague, transferred, handed back after 委派): ``close_settled`` runs after
each of those, so the unread count is what is still waiting for the user.

New tasks of a whole department (no assignee) are announced in-app only, with one
``INSERT … SELECT`` per task over the department's candidates (``announce_new_tasks``): no
per-user query, and no SMS to a whole department for each step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import (
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from .. import access, models, views
from ..errors import NotFound
from ..uow import UnitOfWork

log = logging.getLogger("onewindow.notifications")

KINDS = ("new_task", "urged", "returned", "cc", "delegated", "transferred", "signed")
MAX_MESSAGE = 500


class Channel(Protocol):
    """An outbound channel: SMS, e-mail, the government messaging app …"""

    def send(self, username: str, message: str) -> None: ...


class LoggingChannel:
    """The demo's channel: logs the SMS / e-mail it would send."""

    def __init__(self, logger: logging.Logger | None = None):
        self.log = logger or log

    def send(self, username: str, message: str) -> None:
        self.log.info("短信/邮件（演示，未发送）→ %s：%s", username, message)


_channels: list[Channel] = [LoggingChannel()]


def channels() -> list[Channel]:
    return list(_channels)


def set_channels(replacement: Iterable[Channel]) -> list[Channel]:
    """Replace the outbound channels (the app at start-up, tests); returns the previous ones."""
    global _channels
    previous, _channels = _channels, list(replacement)
    return previous


def _deliver(outbound: list[tuple[str, str]]) -> None:
    for channel in channels():
        for username, message in outbound:
            try:
                channel.send(username, message)
            except Exception:  # a gateway failure must not break the operation that notified
                log.exception("outbound channel %r failed for %s", channel, username)


def notify(
    uow: UnitOfWork,
    usernames: Iterable[str | None],
    kind: str,
    message: str,
    case: models.Case | None = None,
    task_id: str | None = None,
) -> list[models.Notification]:
    """One in-app notification per (distinct) user, and the outbound channels after commit."""
    message = message[:MAX_MESSAGE]
    now = models.utcnow()
    rows = []
    for username in dict.fromkeys(u for u in usernames if u):
        row = models.Notification(
            username=username,
            kind=kind,
            case_id=case.id if case is not None else None,
            task_id=task_id,
            message=message,
            created_at=now,
        )
        uow.session.add(row)
        rows.append(row)
    if rows:
        outbound = [(row.username, message) for row in rows]
        uow.on_commit(lambda: _deliver(outbound))
    return rows


def candidates_query(task: models.HumanTask) -> Select:
    """Usernames of the active users who may claim ``task`` (as ``access.is_candidate``)."""
    if task.candidates:
        return _BY_NAME.params(names=list(task.candidates))
    return _BY_ROLE.params(department=task.department_code, roles=_claiming_roles(task))


def _claiming_roles(task: models.HumanTask) -> list[str]:
    return [task.role] if task.role else sorted(access.CASE_WORK_ROLES)


def _candidates(by_role: bool) -> Select:
    """The candidates' usernames, with bound parameters: built once, so a completion pays
    neither the statement's construction nor its cache key (issue 16)."""
    user = models.User
    if not by_role:
        return select(user.username).where(
            user.username.in_(bindparam("names", expanding=True)), user.active.is_(True)
        )
    return (
        select(user.username)
        .join(models.Department, models.Department.id == user.department_id)
        .join(models.UserRole, models.UserRole.user_id == user.id)
        .join(models.Role, models.Role.id == models.UserRole.role_id)
        .where(
            models.Department.code == bindparam("department"),
            models.Role.code.in_(bindparam("roles", expanding=True)),
            user.active.is_(True),
        )
        .distinct()
    )


_BY_NAME, _BY_ROLE = _candidates(by_role=False), _candidates(by_role=True)
_NOTICE_COLUMNS = ["username", "kind", "case_id", "task_id", "message", "created_at"]


def _announce_to(who: Select) -> Insert:
    """``new_task`` for every candidate of a task, in one ``INSERT … SELECT``."""
    candidates = who.subquery()
    note = models.Notification
    return insert(note).from_select(
        _NOTICE_COLUMNS,
        select(
            candidates.c.username,
            bindparam("kind", type_=note.kind.type),
            bindparam("case_id", type_=note.case_id.type),
            bindparam("task_id", type_=note.task_id.type),
            bindparam("message", type_=note.message.type),
            bindparam("created_at", type_=note.created_at.type),
        ),
    )


_ANNOUNCE_BY_NAME, _ANNOUNCE_BY_ROLE = _announce_to(_BY_NAME), _announce_to(_BY_ROLE)
_INSERT_NOTICE = insert(models.Notification)


def announce_new_tasks(uow: UnitOfWork, case: models.Case, rows: list[models.HumanTask]) -> None:
    """``new_task`` for tasks that just appeared: in-app only, one statement per task."""
    now = models.utcnow()
    connection = uow.session.connection()  # Core: no mapped object is involved
    for row in rows:
        if row.state not in ("ready", "claimed") or row.parent_id is not None:
            continue  # approval-chain levels announce themselves (services/chains.py)
        notice = {
            "kind": "new_task",
            "case_id": case.id,
            "task_id": row.id,
            "message": f"新待办：{row.name}（办件 {case.case_no}）",
            "created_at": now,
        }
        if row.assignee:
            connection.execute(_INSERT_NOTICE, {**notice, "username": row.assignee})
        elif row.candidates:
            connection.execute(_ANNOUNCE_BY_NAME, {**notice, "names": list(row.candidates)})
        else:
            roles = _claiming_roles(row)
            connection.execute(
                _ANNOUNCE_BY_ROLE, {**notice, "department": row.department_code, "roles": roles}
            )


# ----- reading ---------------------------------------------------------------------------------


def notification_view(row: models.Notification, case_no: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "message": row.message,
        "case_no": case_no,
        "task_id": row.task_id,
        "created_at": views.iso(row.created_at),
        "read_at": views.iso(row.read_at),
        "read": row.read_at is not None,
    }


def list_notifications(
    uow: UnitOfWork,
    user: models.User,
    *,
    unread: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    note = models.Notification
    where = [note.username == user.username]
    if unread:
        where.append(note.read_at.is_(None))
    total = uow.session.scalar(select(func.count()).select_from(note).where(*where)) or 0
    rows = uow.session.execute(
        select(note, models.Case.case_no)
        .outerjoin(models.Case, models.Case.id == note.case_id)
        .where(*where)
        .order_by(note.created_at.desc(), note.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [notification_view(row, case_no) for row, case_no in rows], total


def unread_count(uow: UnitOfWork, username: str) -> int:
    note = models.Notification
    return (
        uow.session.scalar(
            select(func.count())
            .select_from(note)
            .where(note.username == username, note.read_at.is_(None))
        )
        or 0
    )


def mark_read(uow: UnitOfWork, user: models.User, notification_id: int) -> dict[str, Any]:
    """Mark one of the caller's notifications read; someone else's answers 404."""
    row = uow.session.get(models.Notification, notification_id)
    if row is None or row.username != user.username:
        raise NotFound(f"消息 {notification_id} 不存在", code="notification_not_found")
    if row.read_at is None:
        row.read_at = models.utcnow()
    case_no = None
    if row.case_id is not None:
        case_no = uow.session.scalar(
            select(models.Case.case_no).where(models.Case.id == row.case_id)
        )
    return notification_view(row, case_no)


def mark_all_read(uow: UnitOfWork, user: models.User) -> int:
    note = models.Notification
    result = uow.session.execute(
        update(note)
        .where(note.username == user.username, note.read_at.is_(None))
        .values(read_at=models.utcnow())
    )
    return result.rowcount or 0


# Task states in which a notification about the task may still ask for something.
WAITING_STATES = ("ready", "claimed", "waiting_sign", "sign_pending", "chain")


def _settled() -> Update:
    """The case's unread task notifications whose task is no longer the recipient's to act
    on (built once, like the candidates' statements)."""
    note, task = models.Notification, models.HumanTask
    still_theirs = exists(
        select(task.id).where(
            task.id == note.task_id,
            task.state.in_(WAITING_STATES),
            or_(task.assignee.is_(None), task.assignee == note.username),
        )
    )
    return (
        update(note)
        .where(
            and_(
                note.case_id == bindparam("case"),
                note.read_at.is_(None),
                note.task_id.is_not(None),
            ),
            ~still_theirs,
        )
        .values(read_at=bindparam("now", type_=note.read_at.type))
    )


_CLOSE_SETTLED = _settled()


def close_settled(uow: UnitOfWork, case: models.Case) -> int:
    """Mark read the case's unread task notifications whose task is no longer the recipient's
    to act on: not open any more, or open with another assignee. One statement per change."""
    uow.session.flush()
    result = uow.session.connection().execute(
        _CLOSE_SETTLED, {"case": case.id, "now": models.utcnow()}
    )
    return result.rowcount or 0
