"""服务监督员 pages: the quarterly evaluation report (季度评议报告) with its opinions, a monitor's
form to file one, and a supervisor's form to turn one into a supervision item. The rules are
engine/services/monitors.py's; forms come back here with a flash message."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine import access
from engine.errors import DomainError
from engine.services import monitors as monitor_service
from engine.services import supervision as supervision_service
from engine.services.cases import department_names
from engine.services.monitors import OpinionInput
from engine.services.supervision import ItemInput

from .api.supervision import xlsx_response
from .auth import login_required, page_user
from .i18n import gettext as _
from .supervision import _days, _problem_text

bp = Blueprint("monitors", __name__, url_prefix="/monitor")


def _back() -> Any:
    return redirect(url_for("monitors.report", quarter=request.form.get("quarter") or None))


@bp.get("/report")
@login_required
def report() -> Any:
    with page_user() as (uow, user):
        view = monitor_service.quarterly_report(uow, user, request.args.get("quarter"))
        scope = monitor_service.scope_view(uow, user.username) if access.is_monitor(user) else None
        departments = department_names(uow)
        may_supervise = supervision_service.is_supervisor(user)
    return render_template(
        "monitors/report.html",
        report=view,
        scope=scope,
        departments=departments,
        may_supervise=may_supervise,
    )


@bp.get("/report.xlsx")
@login_required
def report_xlsx() -> Any:
    with page_user() as (uow, user):
        view = monitor_service.quarterly_report(uow, user, request.args.get("quarter"))
    return xlsx_response(f"{view['title']}.xlsx", monitor_service.report_xlsx(view))


@bp.post("/opinions")
@login_required
def file_opinion() -> Any:
    form = request.form
    score = form.get("score") or None
    given = OpinionInput(
        text=form.get("text"),
        case_no=form.get("case_no") or None,
        service_item=form.get("service_item") or None,
        department=form.get("department") or None,
        score=int(score) if score and score.isdigit() else score,
    )
    try:
        with page_user(write=True) as (uow, user):
            monitor_service.file_opinion(uow, user, given)
    except DomainError as failure:
        flash(_problem_text(failure), "error")
    else:
        flash(_("监督意见已提交"), "success")
    return _back()


@bp.post("/opinions/<int:opinion_id>/supervise")
@login_required
def supervise(opinion_id: int) -> Any:
    form = request.form
    given = ItemInput(
        problem=form.get("problem"),
        lead_department=form.get("lead_department"),
        required_action=form.get("required_action"),
        due_working_days=_days(form.get("due_working_days")),
    )
    try:
        with page_user(write=True) as (uow, user):
            made = monitor_service.supervise(uow, user, opinion_id, given)
    except DomainError as failure:
        flash(_problem_text(failure), "error")
    else:
        flash(_("已转为督办事项 %(no)s", no=made["supervision_item"]["no"]), "success")
    return _back()
