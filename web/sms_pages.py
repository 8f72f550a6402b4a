"""短信发件箱: what the SMS gateway was handed (the recording gateway's outbox), for
administrators to see what applicants are told (engine/services/sms.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from engine.services import sms as sms_service

from .auth import login_required, page_user

bp = Blueprint("sms_pages", __name__, url_prefix="/admin/sms")
PER_PAGE = 50


@bp.get("/")
@login_required
def outbox() -> Any:
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    with page_user() as (uow, user):
        messages, total = sms_service.outbox(uow, user, page_no, PER_PAGE)
    return render_template(
        "sms/outbox.html", messages=messages, total=total, page=page_no, per_page=PER_PAGE
    )
