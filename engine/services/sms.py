"""The applicant's text messages (engine/sms.py sends them): at acceptance and at the finish
with a one-time rating link, and at a 补正 notice with every missing item. Case number and
item only — no name, no ID number. A case without a phone number gets none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .. import access, models, sms, views
from ..security import mask
from ..uow import UnitOfWork
from .rating_links import sms_link

SIGNATURE = "【一窗通办】"


def _rating_link(uow: UnitOfWork, case: models.Case, stage: str) -> str:
    token = sms_link(uow, case, stage)
    return f"请为本次服务评价：{sms.rating_url(token)}" if token else ""


def tell_applicant(
    uow: UnitOfWork, case: models.Case, kind: str, missing: list[str] | None = None
) -> None:
    """One message of ``kind`` (acceptance | supplement | finish) to the case's phone."""
    if not case.applicant_phone:
        return
    about = f"您的办件 {case.case_no}（{case.service_item.name}）"
    if kind == "acceptance":
        due = f"，承诺 {case.due_date.isoformat()} 前办结" if case.due_date else ""
        text = f"{about}已受理{due}。{_rating_link(uow, case, 'acceptance')}"
    elif kind == "supplement":
        items = "、".join(missing or []) or "见补正告知书"
        text = f"{about}需补正材料：{items}。可在办件进度查询页上传，或到窗口补交。"
    else:
        text = f"{about}已办结。{_rating_link(uow, case, 'finish')}"
    sms.gateway().send(uow.session, case, case.applicant_phone, kind, SIGNATURE + text)


def outbox(
    uow: UnitOfWork, user: models.User, page: int = 1, per_page: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """The recording gateway's outbox, newest first (administrators); phones masked."""
    access.require_role(user, "admin")
    message = models.SmsMessage
    total = uow.session.scalar(select(func.count(message.id))) or 0
    rows = uow.session.execute(
        select(message, models.Case.case_no)
        .outerjoin(models.Case, models.Case.id == message.case_id)
        .order_by(message.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [
        {
            "id": m.id,
            "case_no": case_no,
            "phone": mask(m.phone, 3, 4),
            "kind": m.kind,
            "kind_name": sms.KINDS.get(m.kind, m.kind),
            "text": m.text,
            "gateway": m.gateway,
            "created_at": views.iso(m.created_at),
        }
        for m, case_no in rows
    ], total
