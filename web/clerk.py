"""The clerks' pages: inboxes, task forms, starting a case, the case page with its diagram."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select

from engine import access, models
from engine.camunda import is_bpmn
from engine.errors import Conflict, DomainError
from engine.forms import FormInvalid
from engine.paging import Page
from engine.services import case_export as case_export_service
from engine.services import case_file as case_file_service
from engine.services import cases as case_service
from engine.services import clock as clock_service
from engine.services import copies as copy_service
from engine.services import intake as intake_service
from engine.services import materials as material_service
from engine.services import public as public_service
from engine.services import tasks as task_service
from engine.services.list_filters import CASE_SORTS, CHANNELS, TASK_SORTS, Filters
from engine.uow import UnitOfWork

from .auth import login_required, page_user
from .forms import parse_form, render_form
from .i18n import gettext as _

bp = Blueprint("clerk", __name__)

APPLICANT_FIELDS = ("kind", "name", "id_type", "id_number", "phone")
SCAN_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


PER_PAGE = 50
TABS = ("todo", "done", "started")  # 待办, 已办, 我发起的 (我受理的); 抄送 is /cc


@bp.app_template_filter("when")
def when(moment: str | None) -> str:
    """A local ISO moment from the read models as a clerk reads it: ``2025-03-04 09:30``."""
    return moment[:16].replace("T", " ") if moment else "—"


@bp.get("/tasks")
@login_required
def inbox() -> Any:
    """待办 (mine or the department's), 已办 and 我发起的, with filters, sort and pages."""
    tab = request.args.get("tab", "todo")
    tab = tab if tab in TABS else "todo"
    scope = request.args.get("scope", "mine")
    page = _page()
    with page_user() as (uow, user):
        filters = Filters.parse(request.args, CASE_SORTS if tab == "started" else TASK_SORTS)
        if tab == "started":
            filters = replace(filters, started_by=user.username)
            found = case_service.list_cases(
                uow, user, page=page, per_page=PER_PAGE, filters=filters, **_case_criteria(filters)
            )
        else:
            found = task_service.list_tasks(
                uow,
                user,
                scope="done" if tab == "done" else scope,
                state=filters.status if tab == "todo" else None,
                page=page,
                per_page=PER_PAGE,
                filters=filters,
            )
        people = case_file_service.display_names(uow, [r.get("assignee") for r in found.items])
        rows = [{**r, "assignee_name": people.get(r.get("assignee") or "")} for r in found.items]
        return render_template(
            "clerk/inbox.html",
            found=found,
            rows=rows,
            tab=tab,
            scope=scope,
            page=page,
            filters=filters,
            args=filters.args(),
            choices=_choices(uow),
        )


@bp.app_context_processor
def _list_counts() -> dict[str, Any]:
    return {"list_counts": list_counts}


def list_counts() -> dict[str, str]:
    """The numbers on the list tabs (bounded counts: ``1000+`` beyond engine/paging.py's limit;
    抄送: the unread copies)."""
    with page_user() as (uow, user):
        mine = Filters(started_by=user.username)
        return {
            "todo": _total(task_service.list_tasks(uow, user, per_page=1)),
            "done": _total(task_service.list_tasks(uow, user, scope="done", per_page=1)),
            "started": _total(case_service.list_cases(uow, user, per_page=1, filters=mine)),
            "cc": str(copy_service.unread_copies(uow, user)),
        }


def _choices(uow: UnitOfWork) -> dict[str, Any]:
    """The options of the list filters: items and departments by name, channels, lights."""
    items = uow.session.scalars(select(models.ServiceItem).order_by(models.ServiceItem.name))
    return {
        "items": [(i.code, i.name) for i in items if not i.internal],
        "departments": sorted(case_service.department_names(uow).items()),
        "channels": list(CHANNELS.items()),
    }


def _page() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def landing(task_id: str | None, case_no: str | None = None) -> str:
    """Where a user goes after acting on a task: the task if they may still see it (a delegate
    who handed it back may not), else its case if they may, else their inbox."""
    with page_user() as (uow, user):
        task = uow.session.get(models.HumanTask, task_id) if task_id else None
        if task is not None and access.can_see_task(user, task):
            return url_for("clerk.task_page", task_id=task.id)
        case_no = task.case.case_no if task is not None else case_no
        if case_no:
            try:
                case_service.visible_case(uow, user, case_no)
            except DomainError:
                return url_for("clerk.inbox")
            return url_for("clerk.case_page", case_no=case_no)
    return url_for("clerk.inbox")


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
            return redirect(_after_completion(case_no))
    form_html = render_form(
        task["form"]["schema"],
        task["form"].get("ui_schema"),
        values if values is not None else task.get("data") or {},
        errors,
    )
    with page_user() as (uow, user):
        row = case_service.visible_case(uow, user, task["case_no"])
        record = case_file_service.case_file(uow, row, with_diagram=True)
        materials = material_service.list_materials(uow, row)
    status = 422 if errors else 200
    return render_template(
        "clerk/task.html",
        task=task,
        form_html=form_html,
        record=record,
        materials=materials,
    ), status


def _after_completion(case_no: str) -> str:
    """The case page after a completion, or the inbox when the case is no longer the user's
    to see (a delegate's work handed back to the owner)."""
    return landing(None, case_no)


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
    """办件查询: every filter, a sort, pages with no cap, and the whole result as .xlsx."""
    page = _page()
    with page_user() as (uow, user):
        filters = Filters.parse(request.args, CASE_SORTS)
        found = case_service.list_cases(
            uow, user, page=page, per_page=PER_PAGE, filters=filters, **_case_criteria(filters)
        )
        return render_template(
            "clerk/cases.html",
            found=found,
            page=page,
            filters=filters,
            args=filters.args(),
            choices=_choices(uow),
        )


@bp.get("/cases/export.xlsx")
@login_required
def case_export() -> Any:
    with page_user() as (uow, user):
        filters = Filters.parse(request.args, CASE_SORTS)
        filename, data = case_export_service.cases_xlsx(
            uow, user, filters, **_case_criteria(filters)
        )
    return send_file(
        io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename, max_age=0
    )


def _case_criteria(filters: Filters) -> dict[str, Any]:
    """The filters ``list_cases`` takes as its own arguments."""
    return {
        "status": filters.status,
        "service_item": filters.service_item,
        "department": filters.department,
        "light": filters.light,
    }


def _total(found: Page) -> str:
    """``1000+`` where the count stopped (engine/paging.py)."""
    return f"{found.total}" if found.exact else f"{found.total}+"


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case() -> Any:
    errors: dict[str, str] = {}
    with page_user() as (uow, user):
        items = uow.session.scalars(select(models.ServiceItem).order_by(models.ServiceItem.name))
        items = [{"code": i.code, "name": i.name} for i in items if not i.internal]
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
        row = case_service.visible_case(uow, user, case_no)
        materials = material_service.list_materials(uow, row)
        checklist = material_service.checklist(uow, row)
        record = case_file_service.case_file(uow, row)
    return render_template(
        "clerk/case.html",
        case=case,
        materials=materials,
        material_checklist=checklist,
        record=record,
    )


@bp.get("/cases/<case_no>/materials/<int:material_id>")
@login_required
def material_download(case_no: str, material_id: int) -> Any:
    """A stored scan, to the users who may see the case (others get 404, as for the case)."""
    with page_user() as (uow, user):
        path, filename, content_type = material_service.material_file(
            uow, user, case_no, material_id, Path(current_app.config["UPLOAD_DIR"])
        )
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=request.args.get("download") == "1",
        download_name=filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # previewed inline on the task page: a frame of this site only, and nothing runs in it
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = SCAN_CSP
    return response


@bp.get("/cases/<case_no>/diagram.bpmn")
@login_required
def case_diagram(case_no: str) -> Any:
    with page_user() as (uow, user):
        case = case_service.visible_case(uow, user, case_no)
        files = case.definition.files
        bpmn = next(text for name, text in sorted(files.items()) if is_bpmn(name))
    return Response(bpmn, mimetype="application/xml")


# ---- 综合受理 (one-window intake) ----------------------------------------------------------------

AGENT_FIELDS = ("name", "id_number", "relation", "authorization_no")
_TICKED = frozenset({"1", "on", "true", "yes"})
_AUTOFOCUS = re.compile(r"(<(?:input|select|textarea)\b[^>]*?)\sautofocus(?=[\s>])")


@bp.get("/intake")
@login_required
def intake() -> Any:
    """Step 1: find the service item in the catalogue by part of its name or code."""
    q = (request.args.get("q") or "").strip()
    with page_user() as (uow, user):
        access.require_role(user, "window")
        items = public_service.list_items(uow, q or None)
        awaiting = clock_service.awaiting_notice(uow, user)  # the art. 32 five-day lights
    return render_template("clerk/intake.html", item=None, items=items, q=q, awaiting=awaiting)


@bp.route("/intake/<item_code>", methods=["GET", "POST"])
@login_required
def intake_item(item_code: str) -> Any:
    """Step 2: applicant, 帮办代办, the materials checklist with scans, and the decision."""
    with page_user() as (uow, user):
        access.require_role(user, "window")
        guide = public_service.guide(uow, item_code)
        step = intake_service.intake_form(uow, item_code)
    errors: dict[str, str] = {}
    posted = request.method == "POST"
    kept: dict[str, intake_service.Upload] = {}
    if posted:
        done = _submit_intake(item_code, guide["materials"], step, errors, kept)
        if done is not None:
            return done
    else:  # a fresh page starts a fresh draft
        intake_service.drop_draft_scans(_upload_dir(), _draft_key(item_code))
    focus = next((k for k in errors if not k.startswith("_")), "applicant_name")
    extra_values = parse_form(step["extra"], request.form) if posted else {}
    extra_errors = {k: v for k, v in errors.items() if k in step["extra"]["properties"]}
    extra_html = render_form(step["extra"], step["ui_schema"], extra_values, extra_errors)
    if focus not in step["extra"]["properties"]:
        extra_html = Markup(_AUTOFOCUS.sub(r"\1", str(extra_html)))
    labels = {"accept": "受理", "supplement": "一次性告知补正", "reject": "不予受理"}
    translated = {"accept": _("受理"), "supplement": _("一次性告知补正"), "reject": _("不予受理")}
    decisions = [  # the step's own title is shown when it says more (即办件: 当场发照)
        {
            "value": key,
            "label": translated[key],
            "step_title": "" if option["title"] == labels[key] else option["title"],
        }
        for key, option in step["decisions"].items()
    ]
    return render_template(
        "clerk/intake.html",
        item=guide,
        step=step,
        decisions=decisions,
        extra_html=extra_html,
        form=request.form,
        posted=posted,
        errors=errors,
        focus=focus,
        kept={name: upload.filename for name, upload in kept.items()},
    ), (422 if errors else 200)


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _draft_key(item_code: str) -> str:
    """One intake draft per login session and item: the scans of a page sent back stay here."""
    return f"{session.get('sid', '')}:{item_code}"


def _count_field(name: str, errors: dict[str, str]) -> int:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("请输入整数")
        return 0
    if value < 0:
        errors[name] = _("不能小于 %(limit)s", limit=0)
        return 0
    return value


def _page_field(failure: DomainError, key: str) -> str:
    """Where the page shows an engine's field error (applicant and agent fields are prefixed)."""
    if failure.code == "invalid_applicant":
        return f"applicant_{key.removeprefix('applicant.')}"
    if key.startswith("agent."):
        return "agent_" + key.removeprefix("agent.")
    return "_form" if key == "materials_checked" else key


def _submit_intake(
    item_code: str,
    materials: list[dict[str, Any]],
    step: dict[str, Any],
    errors: dict[str, str],
    kept: dict[str, intake_service.Upload],
) -> Any | None:
    """Start, store and decide in one unit of work; None (with ``errors``) to show the page,
    the scans so far (those chosen now and those kept from before) held in ``kept``."""
    form = request.form
    draft = _draft_key(item_code)
    held = intake_service.draft_scans(_upload_dir(), draft)
    applicant = {k: form.get(f"applicant_{k}", "").strip() for k in APPLICANT_FIELDS}
    agent = {k: form.get(f"agent_{k}", "").strip() for k in AGENT_FIELDS}
    received: list[intake_service.Received] = []
    uploads: list[intake_service.Upload] = []
    for index, material in enumerate(materials):
        prefix = f"mat-{index}-"
        originals = _count_field(prefix + "originals", errors)
        copies = _count_field(prefix + "copies", errors)
        ticked = (form.get(prefix + "received") or "").lower() in _TICKED
        upload = request.files.get(prefix + "file")
        if upload is not None and upload.filename:
            data = upload.read()
            try:
                material_service.check_upload(upload.filename, data)
            except DomainError as failure:
                errors[prefix + "file"] = failure.message
            else:
                uploads.append(
                    intake_service.Upload(
                        material["name"], upload.filename, upload.mimetype or "", data
                    )
                )
        if (
            material["name"] in held
            and form.get(prefix + "keep")
            and not any(u.name == material["name"] for u in uploads)
        ):
            uploads.append(held[material["name"]])
        received.append(intake_service.Received(material["name"], ticked, originals, copies))
    decision = form.get("decision", "")
    if decision not in step["decisions"]:
        errors["decision"] = _("请选择受理决定")
    if not errors:
        try:
            with page_user(write=True) as (uow, user):
                result = intake_service.take_in(
                    uow,
                    user,
                    item_code,
                    applicant,
                    decision=decision,
                    upload_dir=_upload_dir(),
                    received=received,
                    uploads=uploads,
                    reason=form.get("reason", ""),
                    missing=form.getlist("missing_materials"),
                    extra=parse_form(step["extra"], form),
                    agent=agent if any(agent.values()) else None,
                )
                case_no, password = result.case.case_no, result.query_password
                finished = result.case.status == "finished"
                decided = result.intake_task is not None
                next_steps = "、".join(t.name for t in result.next_tasks)
        except FormInvalid as failure:
            for name, (template, params) in failure.templates.items():
                errors[_page_field(failure, name)] = _(template, **params)
        except DomainError as failure:
            for key, message in (failure.details.get("fields") or {}).items():
                errors[_page_field(failure, key)] = _(message)
            errors.setdefault("_form", failure.message)
        else:
            intake_service.drop_draft_scans(_upload_dir(), draft)
            created = _(
                "办件已创建：%(case_no)s，查询密码 %(password)s", case_no=case_no, password=password
            )
            flash(created, "success")
            if not decided:
                flash(_("未找到可由您办理的受理环节，请在办件页面继续办理"), "warning")
            elif decision == "accept":
                flash(
                    _("已受理并办结")
                    if finished
                    else _("已受理，转入：%(steps)s", steps=next_steps or "—"),
                    "success",
                )
            elif decision == "supplement":
                flash(_("已一次性告知补正，办件等待补正材料"), "success")
            else:
                flash(_("不予受理，办件已办结"), "success")
            return redirect(url_for("clerk.case_page", case_no=case_no))
    flash(errors.get("_form") or _("表单填写有误，请检查标红的字段"), "error")
    intake_service.keep_draft_scans(_upload_dir(), draft, uploads)
    kept.update((upload.name, upload) for upload in uploads)
    if kept:
        flash(_("已上传的扫描件已保留，无需重新选择"), "warning")
    return None
