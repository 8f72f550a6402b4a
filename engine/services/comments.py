"""意见与附件: comments with attachments on a case or one of its tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from .. import access, models, views
from ..errors import (
    NotFound,
)
from ..uow import UnitOfWork
from .attachments import Upload, attached_file, attachment_views, store_attachments
from .cases import visible_case
from .common import record
from .task_rules import (
    MAX_COMMENT,
    invalid,
    text_arg,
)


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
    text = text_arg(text, "text", required=not uploads, limit=MAX_COMMENT)
    if task_id:
        task = uow.session.get(models.HumanTask, task_id)
        if task is None or task.case_id != case.id:
            raise invalid("task_id", "任务不属于该办件")
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
