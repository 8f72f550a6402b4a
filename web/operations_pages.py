"""The pages of the task operations: the task page's 办理操作 section, the case page's 意见与附件
section (抄送, 撤回, comments with attachments), the notification centre (消息) and 抄送我的.

The sections get their data from template functions (``task_operations``, ``case_operations``,
``unread_notifications``); their forms post here, call the same services as the REST API and
come back with a flash message. Every form carries the CSRF token.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import models
from engine.errors import DomainError
from engine.services import attachments, signing
from engine.services import case_file as case_file_service
from engine.services import cases as case_service
from engine.services import comments as comment_service
from engine.services import copies as copy_service
from engine.services import notifications as notification_service
from engine.services import operations as ops
from engine.services import tasks as task_service

from .api.operations import attachment_response
from .auth import login_required, page_user
from .clerk import landing
from .database import unit_of_work
from .i18n import gettext as _

bp = Blueprint("operations_pages", __name__)

PER_PAGE = 50
_SEPARATORS = re.compile(r"[\s,，、;；]+")


# ----- data for the sections (template functions) ---------------------------------------------


def task_operations(task_id: str) -> dict[str, Any] | None:
    """For the task page's 办理操作 section (None when the task cannot be read)."""
    try:
        with page_user() as (uow, user):
            return ops.task_operations(uow, user, task_id)
    except DomainError:
        return None


def case_operations(case_no: str) -> dict[str, Any] | None:
    """For the case page's 意见与附件 section: comments, what the user may withdraw, and whom
    the 抄送 picker offers (exactly whom ``copy_case`` accepts)."""
    try:
        with page_user() as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            comments, total = comment_service.list_comments(uow, user, case_no, per_page=200)
            copies = uow.session.scalars(
                select(models.CaseCopy)
                .where(models.CaseCopy.case_id == case.id)
                .order_by(models.CaseCopy.created_at)
            )
            copies = list(copies)
            names = case_file_service.display_names(
                uow, [c.username for c in copies] + [c["author"] for c in comments]
            )
            return {
                "comments": [
                    {**c, "author_name": names.get(c["author"], c["author"])} for c in comments
                ],
                "total": total,
                "withdrawable": ops.withdrawable(uow, user, case),
                "copies": [
                    {
                        "username": c.username,
                        "name": names.get(c.username, c.username),
                        "copied_by": c.copied_by,
                        "note": c.note,
                    }
                    for c in copies
                ],
                "people": copy_service.copy_recipients(uow, user, case),
            }
    except DomainError:
        return None


def unread_notifications() -> int:
    """The logged-in user's unread notifications, for the navigation's 消息 link."""
    user = g.get("user")
    if user is None:
        return 0
    with unit_of_work(write=False) as uow:
        return notification_service.unread_count(uow, user.username)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {
        "task_operations": task_operations,
        "case_operations": case_operations,
        "unread_notifications": unread_notifications,
    }


def _usernames(field: str) -> list[str]:
    values = request.form.getlist(field)
    return [n for v in values for n in _SEPARATORS.split(v) if n]


# ----- task operations -------------------------------------------------------------------------


def _task_back(task_id: str) -> Any:
    return redirect(url_for("clerk.task_page", task_id=task_id) + "#operations")


def _after(task_id: str, done: bool) -> Any:
    """Back on the task after a failure; after success wherever the user may still go."""
    return redirect(landing(task_id)) if done else _task_back(task_id)


def _run(action: Any, done: str) -> bool:
    try:
        with page_user(write=True) as (uow, user):
            action(uow, user)
    except DomainError as failure:
        fields = failure.details.get("fields") or {}
        extra = "".join(f"（{v}）" for v in fields.values() if v != failure.message)
        flash(failure.message + extra, "error")
        return False
    flash(done, "success")
    return True


@bp.post("/tasks/<task_id>/return")
@login_required
def return_task(task_id: str) -> Any:
    form = request.form
    ok = _run(
        lambda uow, user: ops.return_task(uow, user, task_id, form.get("to"), form.get("reason")),
        _("已退回"),
    )
    if ok:
        return redirect(url_for("clerk.inbox"))
    return _task_back(task_id)


@bp.post("/tasks/<task_id>/transfer")
@login_required
def transfer(task_id: str) -> Any:
    form = request.form
    done = _run(
        lambda uow, user: ops.transfer(uow, user, task_id, form.get("to_user"), form.get("reason")),
        _("已转办"),
    )
    return _after(task_id, done)


@bp.post("/tasks/<task_id>/delegate")
@login_required
def delegate(task_id: str) -> Any:
    form = request.form
    done = _run(
        lambda uow, user: ops.delegate(uow, user, task_id, form.get("to_user"), form.get("note")),
        _("已委派"),
    )
    return _after(task_id, done)


@bp.post("/tasks/<task_id>/add-sign")
@login_required
def add_sign(task_id: str) -> Any:
    users, position = _usernames("users"), request.form.get("position")
    done = _run(
        lambda uow, user: signing.add_sign(uow, user, task_id, users, position), _("已加签")
    )
    return _after(task_id, done)


@bp.post("/tasks/<task_id>/remove-sign")
@login_required
def remove_sign(task_id: str) -> Any:
    users = _usernames("users")
    done = _run(lambda uow, user: signing.remove_sign(uow, user, task_id, users), _("已减签"))
    return _after(task_id, done)


@bp.post("/tasks/<task_id>/sign")
@login_required
def sign(task_id: str) -> Any:
    """An added signer answers: 同意 or 不同意, with an opinion."""
    data = {"decision": request.form.get("decision"), "opinion": request.form.get("opinion", "")}
    done = _run(
        lambda uow, user: task_service.complete(uow, user, task_id, data),
        _("已签署意见"),
    )
    if done:
        return redirect(url_for("clerk.inbox"))
    return _task_back(task_id)


@bp.post("/tasks/<task_id>/urge")
@login_required
def urge(task_id: str) -> Any:
    note = request.form.get("note", "")
    done = _run(lambda uow, user: ops.urge(uow, user, task_id, note), _("已催办"))
    back = request.form.get("back")
    if back and back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return _after(task_id, done)


@bp.post("/tasks/<task_id>/withdraw")
@login_required
def withdraw(task_id: str) -> Any:
    """撤回 from the case page: back on the task, which is the user's again."""
    if _run(lambda uow, user: ops.withdraw(uow, user, task_id), _("已撤回")):
        return redirect(url_for("clerk.task_page", task_id=task_id))
    case_no = request.form.get("case_no", "")
    if case_no:
        return redirect(url_for("clerk.case_page", case_no=case_no) + "#case-operations")
    return redirect(url_for("clerk.inbox"))


# ----- 抄送 and comments on the case page ------------------------------------------------------


def _case_back(case_no: str) -> Any:
    return redirect(url_for("clerk.case_page", case_no=case_no) + "#case-operations")


@bp.post("/cases/<case_no>/cc")
@login_required
def copy_case(case_no: str) -> Any:
    users, note = _usernames("users"), request.form.get("note", "")
    _run(lambda uow, user: copy_service.copy_case(uow, user, case_no, users, note), _("已抄送"))
    return _case_back(case_no)


@bp.post("/cases/<case_no>/comments")
@login_required
def add_comment(case_no: str) -> Any:
    uploads = [
        attachments.Upload(f.filename or "", f.read())
        for f in request.files.getlist("files")
        if f.filename
    ]
    text, upload_dir = request.form.get("text", ""), Path(current_app.config["UPLOAD_DIR"])
    _run(
        lambda uow, user: comment_service.add_comment(
            uow, user, case_no, text, uploads, upload_dir
        ),
        _("意见已发表"),
    )
    return _case_back(case_no)


@bp.get("/cases/<case_no>/comments/<int:comment_id>/files/<int:n>")
@login_required
def comment_file(case_no: str, comment_id: int, n: int) -> Any:
    with page_user() as (uow, user):
        path, filename, content_type = comment_service.comment_file(
            uow, user, case_no, comment_id, n, Path(current_app.config["UPLOAD_DIR"])
        )
    return attachment_response(path, filename, content_type)


# ----- 消息 and 抄送我的 -------------------------------------------------------------------------


def _page() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


@bp.get("/notifications")
@login_required
def notifications() -> Any:
    unread = request.args.get("unread") == "1"
    page = _page()
    with page_user() as (uow, user):
        items, total = notification_service.list_notifications(
            uow, user, unread=unread, page=page, per_page=PER_PAGE
        )
    return render_template(
        "operations/notifications.html",
        items=items,
        total=total,
        page=page,
        per_page=PER_PAGE,
        unread=unread,
    )


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_notification(notification_id: int) -> Any:
    """Mark read; ``open=1`` goes on to the task or case the notification is about."""
    try:
        with page_user(write=True) as (uow, user):
            note = notification_service.mark_read(uow, user, notification_id)
    except DomainError as failure:
        flash(failure.message, "error")
        return redirect(url_for("operations_pages.notifications"))
    if request.form.get("open") == "1":
        if note["task_id"]:
            return redirect(url_for("clerk.task_page", task_id=note["task_id"]))
        if note["case_no"]:
            return redirect(url_for("clerk.case_page", case_no=note["case_no"]))
    return redirect(url_for("operations_pages.notifications"))


@bp.post("/notifications/read-all")
@login_required
def read_all_notifications() -> Any:
    with page_user(write=True) as (uow, user):
        count = notification_service.mark_all_read(uow, user)
    flash(_("已将 %(count)s 条消息标为已读", count=count), "success")
    return redirect(url_for("operations_pages.notifications"))


@bp.get("/cc")
@login_required
def copied_to_me() -> Any:
    page = _page()
    with page_user() as (uow, user):
        items, total = copy_service.list_copies(uow, user, page=page, per_page=PER_PAGE)
        names = case_file_service.display_names(uow, [c["copied_by"] for c in items])
        items = [{**c, "copied_by_name": names.get(c["copied_by"])} for c in items]
    return render_template(
        "operations/copies.html", items=items, total=total, page=page, per_page=PER_PAGE
    )


@bp.post("/cc/<int:copy_id>/open")
@login_required
def open_copy(copy_id: int) -> Any:
    """Mark a copy read and open its case."""
    try:
        with page_user(write=True) as (uow, user):
            copy = copy_service.read_copy(uow, user, copy_id)
    except DomainError as failure:
        flash(failure.message, "error")
        return redirect(url_for("operations_pages.copied_to_me"))
    return redirect(url_for("clerk.case_page", case_no=copy["case_no"]))
