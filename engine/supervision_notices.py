"""The written notices of 督办 escalation: the 催办通知书 (orange) and the 通报 (red).

Laid out like the case notices (engine/notices.py's :class:`Notice`; the web layer prints both
the same way, as a page and as a PDF) and rebuilt each time from the item, its escalation rows
and its timeline, so a reprint always says what the record says.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from . import models
from .clock import add_working_days
from .errors import NotFound
from .notices import Notice, cn_date
from .services import supervision
from .services.cases import department_names
from .uow import UnitOfWork
from .workdays import calendar

ISSUER_DEPARTMENT = "office"  # 县政府办公室 issues every 督办 notice
ALL_UNITS = "各有关单位"


def available(uow: UnitOfWork, item: models.SupervisionItem) -> list[models.SupervisionNotice]:
    return list(
        uow.session.scalars(
            select(models.SupervisionNotice)
            .where(models.SupervisionNotice.item_id == item.id)
            .order_by(models.SupervisionNotice.id)
        )
    )


def build(
    uow: UnitOfWork, user: models.User, no: str, kind: str, round_: int | None = None
) -> Notice:
    """The notice ``kind`` (``urge`` or ``circular``) of a visible item: the latest round's, or
    ``round_``'s; 404 when the escalation has not issued it."""
    if kind not in supervision.NOTICE_KINDS:
        raise NotFound(f"没有 {kind} 这种督办文书", code="notice_not_found")
    item = supervision.item_row(uow, user, no)
    issued = [n for n in available(uow, item) if n.kind == kind]
    if round_ is not None:
        issued = [n for n in issued if n.round == round_]
    if not issued:
        title = supervision.NOTICE_KINDS[kind]
        raise NotFound(f"督办事项 {no} 没有{title}", code="notice_not_found")
    row = issued[-1]
    names = department_names(uow)
    lead = names.get(item.lead_department, item.lead_department)
    issuer = names.get(ISSUER_DEPARTMENT, "县政府办公室")
    due = _round_due(uow, item, row.round)
    notice = Notice(
        kind=kind,
        ref=str(row.round),
        title=supervision.NOTICE_KINDS[kind]
        if kind == "urge"
        else f"关于{lead}督办事项逾期未反馈的通报",
        doc_no=supervision.notice_doc_no(item, kind, row.round),
        issued_on=row.issued_on,
        issue_date=cn_date(row.issued_on),
        recipient=lead if kind == "urge" else ALL_UNITS,
        case_no=item.no,
        item_name=item.problem,
        department=lead,
        issuer=issuer,
    )
    cal = calendar(uow)
    if kind == "urge":
        red_on = add_working_days(
            cal, row.issued_on, supervision.settings(uow)["red_after_working_days"]
        )[0]
        notice.paragraphs.extend(
            [
                f"你单位牵头办理的督办事项（{item.no}）应于{cn_date(due)}前反馈办理情况，"
                "截至目前未按期反馈。",
                f"请你单位主要负责人高度重视，立即组织办理，于{cn_date(red_on)}前将办理情况"
                "书面反馈县政府办公室。逾期仍未反馈的，将予以通报。",
            ]
        )
    else:
        urged = next(
            (n for n in available(uow, item) if n.kind == "urge" and n.round == row.round), None
        )
        urged_text = "经催办"
        if urged is not None:
            urge_no = supervision.notice_doc_no(item, "urge", row.round)
            urged_text = f"经{cn_date(urged.issued_on)}发出催办通知书（{urge_no}）"
        notice.paragraphs.extend(
            [
                f"{lead}牵头办理的督办事项（{item.no}）应于{cn_date(due)}前反馈办理情况，"
                f"{urged_text}，截至{cn_date(row.issued_on)}仍未反馈。现予通报。",
                f"请{lead}主要负责人切实履行职责，立即办理并书面说明逾期原因；"
                "各单位要引以为戒，严格落实督办事项办理时限。",
            ]
        )
    notice.facts.extend(_facts(item, names, due))
    return notice


def _round_due(uow: UnitOfWork, item: models.SupervisionItem, round_: int) -> date:
    """The feedback deadline of the round the notice belongs to (later rounds have their own)."""
    for event in uow.session.scalars(
        select(models.SupervisionEvent)
        .where(
            models.SupervisionEvent.item_id == item.id,
            models.SupervisionEvent.action.in_(("issue", "send_back")),
        )
        .order_by(models.SupervisionEvent.id)
    ):
        if event.detail.get("round", 1) == round_ and event.detail.get("due_date"):
            return date.fromisoformat(event.detail["due_date"])
    return item.due_date


def _facts(item: models.SupervisionItem, names: dict[str, str], due: date) -> list[tuple[str, str]]:
    return [
        ("督办编号", item.no),
        ("督办来源", supervision.SOURCES.get(item.source, item.source)),
        ("关联办件", "、".join(item.case_nos or []) or "—"),
        ("督办事项", item.problem),
        ("办理要求", item.required_action),
        ("牵头单位", names.get(item.lead_department, item.lead_department)),
        ("责任人", item.responsible_person or "—"),
        ("反馈期限", cn_date(due)),
    ]
