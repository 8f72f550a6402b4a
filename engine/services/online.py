"""网上申报 online application (API.md "Online application"): an applicant, with no account,
files a case of a public item from the guide and uploads each listed material; the case gets its
number and 查询密码 at once, channel ``online``, and costs no visit.

The window's 预审 (pre-review) is the item's own intake step: an online case waits at the same
受理 task a window case starts at, in the window's inbox, and the clerk's decision there (受理, a
补正 listing everything missing, 不予受理) is the pre-review. No model changes, so every item —
and every model a designer deploys later — has it.

Each client address may file ``APPLICATIONS`` cases and upload ``UPLOADS`` files per hour (the
shared ``rate_limit`` table, like the public lookup); an upload needs the case number and its
password (``public.authenticate_case``, rate-limited for guesses) and meets the type and size
checks of every upload (materials.check_upload).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import models, notices, ratelimit
from ..errors import NotFound
from ..uow import UnitOfWork
from . import materials, public
from .cases import open_case

CHANNEL = "online"
ACTOR = "online"  # who files an online case: the applicant, through the public pages
WINDOW = "window"  # the department whose 受理 step pre-reviews online cases
APPLICATIONS = 10
UPLOADS = 60
WINDOW_OF_LIMITS = timedelta(hours=1)
TOO_MANY = "提交过于频繁，请稍后再试"


def _throttle(uow: UnitOfWork, kind: str, client_key: str, limit: int, now: datetime) -> None:
    """Count one more action for the client; refuse once it is over ``limit`` an hour."""
    limits = [
        ratelimit.Limit(
            ratelimit.key("online:", kind, client_key or "unknown"), limit, WINDOW_OF_LIMITS
        )
    ]
    ratelimit.check(uow, limits, now, TOO_MANY)
    wait = ratelimit.count_failure(uow, limits, now)
    if wait:
        raise ratelimit.TooManyAttempts(wait, TOO_MANY)


def _filer(uow: UnitOfWork) -> models.User:
    """The online channel as the filer: a transient user of the window department, never saved
    (it has no password and cannot log in); the case records ``online`` as its creator."""
    department = uow.session.scalars(
        select(models.Department).where(models.Department.code == WINDOW)
    ).one()
    return models.User(username=ACTOR, display_name="网上申报", department=department)


def apply(
    uow: UnitOfWork, body: Any, client_key: str, now: datetime | None = None
) -> dict[str, Any]:
    """POST /public/applications: the case and its 查询密码 (shown once)."""
    now = now or models.utcnow()
    _throttle(uow, "apply", client_key, APPLICATIONS, now)
    body = body if isinstance(body, dict) else {}
    item = uow.session.get(models.ServiceItem, str(body.get("service_item") or ""))
    if item is None or item.internal:
        raise NotFound(f"事项 {body.get('service_item')} 不存在", code="service_item_not_found")
    data = body.get("data") if body.get("data") is not None else {}
    started = open_case(uow, _filer(uow), item.code, body.get("applicant"), data, CHANNEL)
    case = started.case
    return {
        "case_no": case.case_no,
        "query_password": started.query_password,
        "channel": case.channel,
        "visits": case.visits,
        "materials": [m["name"] for m in materials.item_materials(item)],
    }


def upload(
    uow: UnitOfWork,
    case_no: str,
    password: str,
    material: str,
    filename: str,
    data: bytes,
    upload_dir: Path,
    client_key: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """POST /public/cases/{case_no}/materials: one file of a listed material (type and size
    checked), while the case is still before its decision or in 补正."""
    now = now or models.utcnow()
    _throttle(uow, "upload", client_key, UPLOADS, now)
    case = public.authenticate_case(uow, case_no, password, client_key, now=now)
    stored = materials.store_applicant_file(uow, case, material, filename, data, upload_dir)
    return materials.material_view(stored)


def e_licence(
    uow: UnitOfWork, case_no: str, password: str, client_key: str, now: datetime | None = None
) -> notices.Notice:
    """The 电子证照 of a finished case whose result was issued electronically, for whoever
    holds its number and 查询密码 (a demo layout: the result, the holder, the case)."""
    case = public.authenticate_case(uow, case_no, password, client_key, now=now)
    delivery = public.delivery_of(uow, case)
    if delivery is None or not delivery["e_licence"]:
        raise NotFound("该办件没有电子证照", code="e_licence_not_found")
    item = case.service_item
    issued = notices.local_date(case.finished_at)
    return notices.Notice(
        kind="e_licence",
        ref=None,
        title=f"电子证照 · {(item.guide or {}).get('result_name') or item.name}",
        doc_no=f"证照编号 {case.case_no}",
        issued_on=issued,
        issue_date=notices.cn_date(issued),
        recipient=case.applicant_name,
        case_no=case.case_no,
        item_name=item.name,
        department=(item.guide or {}).get("implementing_body") or "",
        issuer=(item.guide or {}).get("implementing_body") or "",
        paragraphs=[f"持证主体：{case.applicant_name}", f"办理事项：{item.name}"],
        facts=[("办件编号", case.case_no), ("办结日期", notices.cn_date(issued))],
    )
