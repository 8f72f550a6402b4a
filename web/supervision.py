"""督办 pages: the 督办台账, issuing an item, an item's page with its timeline, the department's
督办件 tab beside its inbox, the escalation notices, and the 联席会议 pages (candidates, the
record, the 督办清单 as a page, a print view and a spreadsheet). The rules are the engine's
(engine/services/supervision.py, meetings.py); forms come back here with a flash message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from engine import models, supervision_notices
from engine.access import CASE_WORK_ROLES, READ_ALL_ROLES
from engine.errors import DomainError
from engine.services import attachments
from engine.services import meetings as meeting_service
from engine.services import supervision as supervision_service
from engine.services.cases import department_names
from engine.services.meetings import MeetingInput
from engine.services.supervision import ItemFilter, ItemInput
from engine.uow import UnitOfWork

from .api.operations import attachment_response
from .api.supervision import xlsx_response
from .auth import login_required, page_user
from .i18n import gettext as _
from .notices import render_pdf

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

PER_PAGE = 50
TOPIC_ROWS = 5  # blank topic rows on the meeting form
ACTIONS = {
    "issue": "下发",
    "feedback": "反馈",
    "send_back": "退回重办",
    "close": "销号",
    "escalate": "升级",
}


def _filters() -> ItemFilter:
    args = request.args
    return ItemFilter(
        status=args.get("status") or None,
        level=args.get("level") or None,
        department=args.get("department") or None,
        source=args.get("source") or None,
    )


def _choices() -> dict[str, Any]:
    return {
        "statuses": supervision_service.STATUSES,
        "levels": supervision_service.LEVELS,
        "sources": supervision_service.SOURCES,
        "manual_sources": supervision_service.MANUAL_SOURCES,
    }


def _numbers(value: str | None) -> list[str]:
    """Case numbers typed into one box, separated by commas (either width)."""
    return [n.strip() for n in (value or "").replace("，", ",").split(",") if n.strip()]


def _problem_text(failure: DomainError) -> str:
    """The refusal and each field's problem, in the reader's language."""
    fields = failure.details.get("fields") or {}
    extra = "".join(f"（{field}：{_(v)}）" for field, v in fields.items())
    return _(failure.message) + extra


@bp.get("/")
@login_required
def ledger() -> Any:
    """督办台账: every item the user may see, with filters and level colours."""
    filters = _filters()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with page_user() as (uow, user):
        items, total = supervision_service.list_items(uow, user, filters, page, PER_PAGE)
        names = department_names(uow)
        may_issue = supervision_service.is_supervisor(user)
    return render_template(
        "supervision/ledger.html",
        items=items,
        total=total,
        page=page,
        filters=filters,
        departments=names,
        may_issue=may_issue,
        args={k: v for k, v in request.args.items() if k != "page"},
        per_page=PER_PAGE,
        **_choices(),
    )


@bp.get("/department")
@login_required
def department_items() -> Any:
    """督办件: the items the user's department leads or assists, beside its inbox."""
    with page_user() as (uow, user):
        filters = ItemFilter(department=user.department_code, open_only=True)
        items, total = supervision_service.list_items(uow, user, filters, 1, 200)
    return render_template("supervision/department.html", items=items, total=total, **_choices())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_item() -> Any:
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        given = ItemInput(
            problem=form.get("problem"),
            lead_department=form.get("item-lead"),
            required_action=form.get("required_action"),
            due_working_days=_days(form.get("due_working_days")),
            assisting_departments=form.getlist("item-assisting"),
            case_nos=_numbers(form.get("case_nos")),
            responsible_person=form.get("responsible_person") or None,
        )
        try:
            with page_user(write=True) as (uow, user):
                view = supervision_service.issue(uow, user, form.get("source"), given)
        except DomainError as failure:
            error, status = _problem_text(failure), failure.status
        else:
            flash(_("已下发 %(no)s", no=view["no"]), "success")
            return redirect(url_for("supervision.item_page", no=view["no"]))
    with page_user() as (uow, user):
        supervision_service.require_supervisor(user)
        names = department_names(uow)
    page = render_template(
        "supervision/new.html", departments=names, error=error, form=request.form, **_choices()
    )
    return Response(page, status=status)


@bp.get("/items/<no>")
@login_required
def item_page(no: str) -> Any:
    with page_user() as (uow, user):
        item = supervision_service.get_item(uow, user, no)
    return render_template("supervision/item.html", item=item, actions=ACTIONS, **_choices())


def _act(no: str, action: Callable[[UnitOfWork, models.User], str]) -> Any:
    """Run a form's action on the item, then back to its page with what happened."""
    try:
        with page_user(write=True) as (uow, user):
            done = action(uow, user)
    except DomainError as failure:
        flash(_problem_text(failure), "error")
    else:
        flash(done, "success")
    return redirect(url_for("supervision.item_page", no=no))


def _days(value: str | None) -> Any:
    """A form's number of working days as an int when it is one (else as typed, refused)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else (value or None)


@bp.post("/items/<no>/feedback")
@login_required
def give_feedback(no: str) -> Any:
    uploads = [
        attachments.Upload(f.filename or "", f.read())
        for f in request.files.getlist("files")
        if f.filename
    ]

    def answer(uow: UnitOfWork, user: models.User) -> str:
        text = request.form.get("text")
        supervision_service.feedback(uow, user, no, text, uploads, _upload_dir())
        return _("反馈已提交")

    return _act(no, answer)


@bp.post("/items/<no>/review")
@login_required
def review(no: str) -> Any:
    form = request.form

    def decide(uow: UnitOfWork, user: models.User) -> str:
        view = supervision_service.review(
            uow,
            user,
            no,
            form.get("verdict"),
            form.get("comment", ""),
            _days(form.get("due_working_days")),
        )
        return _("已销号") if view["status"] == "closed" else _("已退回重办")

    return _act(no, decide)


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


@bp.get("/items/<no>/feedback/<int:event_id>/files/<int:n>")
@login_required
def feedback_file(no: str, event_id: int, n: int) -> Any:
    with page_user() as (uow, user):
        path, filename, content_type = supervision_service.feedback_file(
            uow, user, no, event_id, n, _upload_dir()
        )
    return attachment_response(path, filename, content_type)


def _notice(no: str, kind: str):
    with page_user() as (uow, user):
        return supervision_notices.build(uow, user, no, kind, request.args.get("round", type=int))


@bp.get("/items/<no>/notices/<kind>")
@login_required
def notice_page(no: str, kind: str) -> Any:
    """The 催办通知书 or 通报 as a print page (the case notices' layout)."""
    return render_template("supervision/notice.html", notice=_notice(no, kind), no=no)


@bp.get("/items/<no>/notices/<kind>.pdf")
@login_required
def notice_pdf(no: str, kind: str) -> Any:
    response = Response(render_pdf(_notice(no, kind)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{kind}.pdf"'
    return response


# ---- 联席会议 --------------------------------------------------------------------------------


@bp.get("/meetings/")
@login_required
def meetings() -> Any:
    with page_user() as (uow, user):
        items, total = meeting_service.list_meetings(uow, user, 1, 200)
        may_record = supervision_service.is_supervisor(user)
    return render_template(
        "supervision/meetings.html", meetings=items, total=total, may_record=may_record
    )


@bp.get("/meetings/candidates")
@login_required
def candidates() -> Any:
    with page_user() as (uow, user):
        found = meeting_service.candidates(
            uow, user, request.args.get("from") or None, request.args.get("to") or None
        )
    return render_template("supervision/candidates.html", found=found, kinds=meeting_service.KINDS)


def _topics(form: Any) -> list[dict[str, Any]]:
    """The filled topic rows of the meeting form (a row with no problem and no decision is
    left out)."""
    topics = []
    for n in range(int(form.get("topic_rows", TOPIC_ROWS))):
        problem, decision = form.get(f"topic-{n}-problem", ""), form.get(f"topic-{n}-decision", "")
        if not problem.strip() and not decision.strip():
            continue
        topics.append(
            {
                "problem": problem,
                "decision": decision,
                "lead_department": form.get(f"topic-{n}-lead"),
                "assisting_departments": form.getlist(f"topic-{n}-assisting"),
                "case_nos": _numbers(form.get(f"topic-{n}-cases")),
                "due_working_days": _days(form.get(f"topic-{n}-days")),
            }
        )
    return topics


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting() -> Any:
    error, status = None, 200
    form = request.form
    if request.method == "POST":
        given = MeetingInput(
            title=form.get("title"),
            held_on=form.get("held_on"),
            departments=form.getlist("departments"),
            topics=_topics(form),
            attendees=[a.strip() for a in form.get("attendees", "").splitlines() if a.strip()],
            summary=form.get("summary", ""),
        )
        try:
            with page_user(write=True) as (uow, user):
                view = meeting_service.create_meeting(uow, user, given)
        except DomainError as failure:
            error, status = _problem_text(failure), failure.status
        else:
            flash(_("会议已记录，议定事项已转为督办事项"), "success")
            return redirect(url_for("supervision.meeting_page", meeting_id=view["id"]))
    prefill = {
        "problem": request.args.get("problem", ""),
        "lead": request.args.get("lead", ""),
        "cases": request.args.get("cases", ""),
    }
    with page_user() as (uow, user):
        supervision_service.require_supervisor(user)
        names = department_names(uow)
    page = render_template(
        "supervision/new_meeting.html",
        departments=names,
        error=error,
        form=form,
        rows=TOPIC_ROWS,
        prefill=prefill,
    )
    return Response(page, status=status)


@bp.get("/meetings/<int:meeting_id>")
@login_required
def meeting_page(meeting_id: int) -> Any:
    with page_user() as (uow, user):
        meeting = meeting_service.get_meeting(uow, user, meeting_id)
    return render_template("supervision/meeting.html", meeting=meeting, **_choices())


@bp.get("/meetings/<int:meeting_id>/print")
@login_required
def meeting_print(meeting_id: int) -> Any:
    with page_user() as (uow, user):
        meeting = meeting_service.get_meeting(uow, user, meeting_id)
    return render_template("supervision/meeting_print.html", meeting=meeting, **_choices())


@bp.get("/meetings/<int:meeting_id>/list.xlsx")
@login_required
def meeting_xlsx(meeting_id: int) -> Any:
    with page_user() as (uow, user):
        filename, data = meeting_service.meeting_xlsx(uow, user, meeting_id)
    return xlsx_response(filename, data)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"supervision_waiting": _waiting, "supervision_nav": _in_nav}


def _in_nav() -> bool:
    """Whether the navigation offers 督办: to the roles that read or answer items."""
    user = g.get("user")
    roles = READ_ALL_ROLES | CASE_WORK_ROLES | {"monitor"}
    return bool(user is not None and user.role_codes & roles)


def _waiting() -> int:
    """For the inbox tabs: items waiting for the user's department to answer."""
    try:
        with page_user() as (uow, user):
            return supervision_service.awaiting_department(uow, user)
    except DomainError:
        return 0
