"""卡件: the administrator's list of cases the engine could not move on by itself, with retry.

The list and the retry are the engine's (services/incidents.py); this is the page over them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from engine import models
from engine.errors import DomainError
from engine.services import incidents as incident_service

from .auth import login_required, page_user
from .errors import translated
from .i18n import gettext as _

bp = Blueprint("incidents", __name__, url_prefix="/admin/incidents")


@bp.get("/")
@login_required
def incident_list() -> Any:
    with page_user() as (uow, user):
        rows = incident_service.list_incidents(uow, user)
    return render_template("incidents/list.html", incidents=rows)


@bp.post("/<int:incident_id>/retry")
@login_required
def retry(incident_id: int) -> Any:
    try:
        with page_user(write=True) as (uow, user):
            view = incident_service.retry(uow, user, incident_id, models.utcnow())
        flash(_("已重试，办件 %(case_no)s 已继续流转", case_no=view["case_no"]), "success")
    except DomainError as error:
        if error.status == 403:
            raise
        flash(translated(error), "error")
    return redirect(url_for("incidents.incident_list"))
