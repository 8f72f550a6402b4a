"""The case page's 计时 section: its data (a template function) and its forms' POST routes.

``clock_history(case_no)`` gives the template the pauses and extensions so far and what the
logged-in user may do; the forms post to ``/cases/<case_no>/clock/{pause,resume,extend}``, which
call the same services as the REST API and come back to the case page with a flash message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from engine.catalogue import procedures
from engine.errors import DomainError
from engine.services import cases as case_service
from engine.services import clock as clock_service
from engine.workdays import local_date

from .auth import login_required, page_user
from .i18n import gettext as _

bp = Blueprint("clock_pages", __name__, url_prefix="/cases")


def clock_history(case_no: str) -> dict[str, Any] | None:
    """For the case page: the clock's history and the actions the logged-in user may take."""
    try:
        with page_user() as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            state = case.clock_state
            days, unit = clock_service.limit_of(case.service_item)
            handles = clock_service.can_handle(uow, user, case)
            approves = clock_service.may_extend(uow, user, case)
            return {
                **clock_service.history(uow, case),
                "state": state,
                "accepted_on": local_date(case.accepted_at).isoformat()
                if case.accepted_at
                else None,
                "limit_days": days,
                "unit": unit,
                "procedures": [p.name for p in procedures(case.service_item.guide)],
                "can_pause": handles and state == "running",
                "can_resume": handles and state == "paused",
                "can_extend": approves and state in ("running", "paused"),
            }
    except DomainError:
        return None


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"clock_history": clock_history}


def _int_or_none(text: str | None, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as error:
        raise ValueError(field) from error


def _back(case_no: str) -> Any:
    return redirect(url_for("clerk.case_page", case_no=case_no) + "#clock")


@bp.post("/<case_no>/clock/pause")
@login_required
def pause(case_no: str) -> Any:
    form = request.form
    kind = form.get("kind", "")
    try:
        planned_days = _int_or_none(form.get("planned_days"), "planned_days")
    except ValueError:
        flash(_("计划天数应为整数"), "error")
        return _back(case_no)
    try:
        with page_user(write=True) as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            clock_service.pause(
                uow,
                user,
                case,
                kind,
                form.get("reason", "").strip(),
                procedure=(form.get("procedure") or None) if kind == "special_procedure" else None,
                planned_days=planned_days if kind == "special_procedure" else None,
            )
    except DomainError as failure:
        flash(failure.message, "error")
    else:
        flash(_("已暂停计时"), "success")
    return _back(case_no)


@bp.post("/<case_no>/clock/resume")
@login_required
def resume(case_no: str) -> Any:
    try:
        with page_user(write=True) as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            clock_service.resume(uow, user, case)
    except DomainError as failure:
        flash(failure.message, "error")
    else:
        flash(_("已恢复计时"), "success")
    return _back(case_no)


@bp.post("/<case_no>/clock/extend")
@login_required
def extend(case_no: str) -> Any:
    form = request.form
    try:
        working_days = _int_or_none(form.get("working_days"), "working_days")
    except ValueError:
        working_days = None
    if working_days is None:
        flash(_("延期天数应为整数"), "error")
        return _back(case_no)
    try:
        with page_user(write=True) as (uow, user):
            case = case_service.visible_case(uow, user, case_no)
            clock_service.extend(uow, user, case, working_days, form.get("reason", "").strip())
    except DomainError as failure:
        flash(failure.message, "error")
    else:
        flash(_("已延期 %(days)s 个工作日", days=working_days), "success")
    return _back(case_no)
