"""The clerks' pages: inboxes, task forms, starting a case, the case page with its diagram."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import models
from engine.errors import Conflict, DomainError
from engine.forms import FormInvalid
from engine.services import cases as case_service
from engine.services import tasks as task_service

from .auth import login_required, page_user
from .forms import parse_form, render_form
from .i18n import gettext as _

bp = Blueprint("clerk", __name__)

APPLICANT_FIELDS = ("kind", "name", "id_type", "id_number", "phone")


@bp.get("/tasks")
@login_required
def inbox() -> Any:
    scope = request.args.get("scope", "mine")
    with page_user() as (uow, user):
        tasks, total = task_service.list_tasks(uow, user, scope=scope, per_page=200)
        return render_template("clerk/inbox.html", tasks=tasks, total=total, scope=scope)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task_page(task_id: str) -> Any:
    errors: dict[str, str] = {}
    values: dict[str, Any] | None = None
    with page_user() as (uow, user):
        task = task_service.get_task(uow, user, task_id)
    if request.method == "POST":
        values = parse_form(task["form"]["schema"], request.form)
        try:
            with page_user(write=True) as (uow, user):
                done = task_service.complete(
                    uow, user, task_id, values, request.form.get("_comment") or None
                )
                case_no, finished = done.case.case_no, done.case.status == "finished"
        except FormInvalid as failure:
            errors = {name: _(t, **params) for name, (t, params) in failure.templates.items()}
            flash(_("表单填写有误，请检查标红的字段"), "error")
        except Conflict as failure:
            flash(failure.message, "error")
            return redirect(url_for("clerk.task_page", task_id=task_id))
        else:
            flash(_("办结") if finished else _("已提交"), "success")
            return redirect(url_for("clerk.case_page", case_no=case_no))
    form_html = render_form(
        task["form"]["schema"],
        task["form"].get("ui_schema"),
        values if values is not None else task.get("data") or {},
        errors,
    )
    status = 422 if errors else 200
    return render_template("clerk/task.html", task=task, form_html=form_html), status


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    return _task_action(task_service.claim, task_id, _("已认领"))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str) -> Any:
    return _task_action(task_service.unclaim, task_id, _("已取消认领"))


def _task_action(action: Any, task_id: str, done_message: str) -> Any:
    try:
        with page_user(write=True) as (uow, user):
            action(uow, user, task_id)
    except (Conflict, DomainError) as failure:
        flash(failure.message, "error")
    else:
        flash(done_message, "success")
    return redirect(url_for("clerk.task_page", task_id=task_id))


@bp.get("/cases")
@login_required
def case_list() -> Any:
    q = request.args.get("q") or None
    with page_user() as (uow, user):
        cases, total = case_service.list_cases(uow, user, q=q, per_page=100)
        return render_template("clerk/cases.html", cases=cases, total=total, q=q or "")


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case() -> Any:
    errors: dict[str, str] = {}
    with page_user() as (uow, user):
        items = uow.session.scalars(select(models.ServiceItem).order_by(models.ServiceItem.name))
        items = [{"code": i.code, "name": i.name} for i in items]
    form = request.form
    if request.method == "POST":
        applicant = {k: form.get(f"applicant_{k}", "").strip() for k in APPLICANT_FIELDS}
        try:
            with page_user(write=True) as (uow, user):
                started = case_service.start_case(
                    uow,
                    user,
                    form.get("service_item", ""),
                    applicant,
                    {"remarks": form.get("remarks", "")} if form.get("remarks") else {},
                )
                case_no, password = started.case.case_no, started.query_password
        except DomainError as failure:
            errors = failure.details.get("fields", {})
            flash(failure.message, "error")
        else:
            flash(
                _(
                    "办件已创建：%(case_no)s，查询密码 %(password)s",
                    case_no=case_no,
                    password=password,
                ),
                "success",
            )
            return redirect(url_for("clerk.case_page", case_no=case_no))
    status = 422 if errors else 200
    return render_template("clerk/new_case.html", items=items, errors=errors, form=form), status


@bp.get("/cases/<case_no>")
@login_required
def case_page(case_no: str) -> Any:
    with page_user() as (uow, user):
        case = case_service.get_case(uow, user, case_no, with_steps=True, with_diagram=True)
    return render_template("clerk/case.html", case=case)


@bp.get("/cases/<case_no>/diagram.bpmn")
@login_required
def case_diagram(case_no: str) -> Any:
    with page_user() as (uow, user):
        case = case_service.visible_case(uow, user, case_no)
        files = case.definition.files
        bpmn = next(text for name, text in sorted(files.items()) if name.endswith(".bpmn"))
    return Response(bpmn, mimetype="application/xml")
