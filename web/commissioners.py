"""企业服务专员 pages: 我的企业 (the enterprises assigned to the commissioner; every enterprise
for administrators and supervisors), an enterprise's cases across departments with their lights,
the visit log with its form, and the administrator's assignment. The rules are
engine/services/commissioners.py's."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.errors import DomainError
from engine.services import commissioners as commissioner_service

from .auth import login_required, page_user
from .i18n import gettext as _
from .supervision import _problem_text

bp = Blueprint("commissioners", __name__, url_prefix="/enterprises")
PER_PAGE = 100


@bp.get("/")
@login_required
def enterprise_list() -> Any:
    with page_user() as (uow, user):
        mine = commissioner_service.COMMISSIONER in user.role_codes
        items, total = commissioner_service.list_enterprises(uow, user, mine, 1, PER_PAGE)
    return render_template("commissioners/list.html", items=items, total=total, mine=mine)


@bp.get("/<credit_code>")
@login_required
def enterprise_page(credit_code: str) -> Any:
    with page_user() as (uow, user):
        view = commissioner_service.get_enterprise(uow, user, credit_code)
        roles = user.role_codes
    return render_template(
        "commissioners/enterprise.html",
        enterprise=view,
        may_visit=commissioner_service.COMMISSIONER in roles,
        may_assign="admin" in roles,
    )


def _act(credit_code: str, action: Any, done: str) -> Any:
    try:
        with page_user(write=True) as (uow, user):
            action(uow, user)
    except DomainError as failure:
        flash(_problem_text(failure), "error")
    else:
        flash(done, "success")
    return redirect(url_for("commissioners.enterprise_page", credit_code=credit_code))


@bp.post("/<credit_code>/visits")
@login_required
def log_visit(credit_code: str) -> Any:
    form = request.form
    texts = form.getlist("problem")
    escalated = set(form.getlist("escalate"))
    body = {
        "date": form.get("date"),
        "notes": form.get("notes", ""),
        "problems": [
            {"text": t, "escalate": str(n) in escalated} for n, t in enumerate(texts) if t.strip()
        ],
    }
    return _act(
        credit_code,
        lambda uow, user: commissioner_service.log_visit(uow, user, credit_code, body),
        _("走访记录已保存"),
    )


@bp.post("/<credit_code>/commissioner")
@login_required
def assign(credit_code: str) -> Any:
    body = {"username": request.form.get("username")}
    return _act(
        credit_code,
        lambda uow, user: commissioner_service.assign(uow, user, credit_code, body),
        _("已指定企业服务专员"),
    )
