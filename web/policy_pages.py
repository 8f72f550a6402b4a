"""政策解读专区 and the elder-friendly mode (适老化): the public article list with search, one
article (Markdown rendered sanitised by engine/services/policies.py), the administrators' form,
and the large-text, high-contrast switch every public page offers (a cookie; no script)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine import access
from engine.errors import DomainError
from engine.services import policies as policy_service
from engine.services import public as public_service

from .auth import login_required, page_user
from .database import unit_of_work
from .i18n import gettext as _
from .supervision import _problem_text

bp = Blueprint("policies", __name__)
PER_PAGE = 20
ELDER_COOKIE = "elder"
ONE_YEAR = 365 * 24 * 3600


@bp.get("/public/policies/")
def policy_list() -> Any:
    args = request.args
    q = (args.get("q") or "").strip()
    with unit_of_work(write=False) as uow:
        articles, total = policy_service.search(
            uow, q, args.get("item") or None, args.get("topic") or None, 1, PER_PAGE
        )
    return render_template("policies/list.html", articles=articles, total=total, q=q)


@bp.get("/public/policies/<int:article_id>")
def policy_page(article_id: int) -> Any:
    with unit_of_work(write=False) as uow:
        article = policy_service.get(uow, article_id)
    return render_template("policies/article.html", article=article)


@bp.get("/public/large-text")
def large_text() -> Any:
    """Switch the large-text, high-contrast mode on or off, back to the page it came from."""
    target = request.args.get("next") or url_for("public.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.index")
    response = redirect(target)
    if request.args.get("on") == "1":
        response.set_cookie(ELDER_COOKIE, "1", max_age=ONE_YEAR, samesite="Lax")
    else:
        response.delete_cookie(ELDER_COOKIE)
    return response


@bp.route("/admin/policies", methods=["GET", "POST"])
@login_required
def admin_policies() -> Any:
    if request.method == "POST":
        form = request.form
        body = {k: form.get(k) for k in ("title", "topic", "body")}
        body["service_item"] = form.get("service_item") or None
        try:
            with page_user(write=True) as (uow, user):
                made = policy_service.create(uow, user, body)
        except DomainError as failure:
            flash(_problem_text(failure), "error")
        else:
            flash(_("已发布政策解读"), "success")
            return redirect(url_for("policies.policy_page", article_id=made["id"]))
    with page_user() as (uow, user):
        access.require_role(user, "admin")
        items = public_service.list_items(uow)
        articles, _total = policy_service.search(uow, per_page=100)
    return render_template("policies/admin.html", items=items, articles=articles, form=request.form)
