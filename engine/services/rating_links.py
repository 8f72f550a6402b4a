"""The one-time links by which an applicant rates a stage of a case (pad, QR code, SMS), and the
好差评 settings in force: below the cases that send the applicant's messages (sms.py puts an SMS
link in them), and below ratings.py, which builds on cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from .. import models
from ..security import new_token, token_digest
from ..uow import UnitOfWork

SYSTEM = "system"
RE_RATED_OUTCOMES = ("rectify", "explain")  # the applicant may rate what was done, once

DEFAULT_SETTINGS: dict[str, Any] = {
    # 默认评价: off (None), or the calendar days after 办结 and the level given
    "default_rating": {"after_days": None, "level": 2},
    "callback_working_days": 1,  # 回访 and 核实
    "rectification_working_days": 15,  # 整改 or 解释说明
    "appeal_review_working_days": 5,  # 申诉复核
    "link_valid_days": 30,
    "reasons": {
        "1": ["服务热情周到", "办理效率高", "一次办成", "指引清晰"],
        "2": ["服务规范", "办理较快", "材料要求清楚"],
        "3": ["等候时间较长", "流程有待简化"],
        "4": ["等候时间长", "服务态度差", "多次跑腿", "材料要求不清楚", "办理超时"],
        "5": ["态度恶劣", "推诿扯皮", "多次跑腿", "办理超时", "吃拿卡要"],
    },
}


def settings(uow: UnitOfWork) -> dict[str, Any]:
    """The settings in force: what the administrator saved over the defaults."""
    row = uow.session.get(models.RatingSettings, 1)
    return {**DEFAULT_SETTINGS, **(row.values if row is not None else {})}


@dataclass(frozen=True)
class IssuedLink:
    token: str
    stage: str
    expires_at: datetime


def rating_of(uow: UnitOfWork, case: models.Case, stage: str) -> models.Rating | None:
    return uow.session.scalar(
        select(models.Rating).where(models.Rating.case_id == case.id, models.Rating.stage == stage)
    )


def stage_open(uow: UnitOfWork, case: models.Case, stage: str) -> bool:
    if stage == "acceptance":
        return case.accepted_at is not None
    if stage == "finish":
        return case.status == "finished"
    return handled_rating(uow, case) is not None


def handled_rating(uow: UnitOfWork, case: models.Case) -> models.Rating | None:
    """The bad rating of the case whose handling gave a rectification or an explanation."""
    handling = models.Case
    return uow.session.scalar(
        select(models.Rating)
        .join(handling, handling.id == models.Rating.handling_case_id)
        .where(
            models.Rating.case_id == case.id,
            handling.status == "finished",
            handling.result.in_(RE_RATED_OUTCOMES),
        )
        .order_by(models.Rating.id)
        .limit(1)
    )


def new_link(
    uow: UnitOfWork, case: models.Case, stage: str, channel: str, by: str, now: datetime
) -> IssuedLink:
    token = new_token()
    expires = now + timedelta(days=settings(uow)["link_valid_days"])
    uow.session.add(
        models.RatingLink(
            token_hash=token_digest(token),
            case=case,
            stage=stage,
            channel=channel,
            created_by=by,
            created_at=now,
            expires_at=expires,
        )
    )
    return IssuedLink(token, stage, expires)


def sms_link(uow: UnitOfWork, case: models.Case, stage: str) -> str | None:
    """The token of a link for the applicant's SMS (engine/services/sms.py); none when the
    stage cannot be rated now (not open yet, or rated already)."""
    if rating_of(uow, case, stage) is not None or not stage_open(uow, case, stage):
        return None
    return new_link(uow, case, stage, "sms", SYSTEM, models.utcnow()).token
