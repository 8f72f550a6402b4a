"""好差评 ratings (国办发〔2019〕51号): the applicant rates a case, and every bad rating is
called back, verified, rectified or explained — or appealed and reviewed by the center.

- Five levels (GB/T 39046): 1 非常满意 … 5 非常不满意; 4 and 5 are 差评. A case is rated once per
  stage: ``acceptance`` once it is accepted, ``finish`` once it is finished, ``rectification``
  once, after a bad rating's handling gave the applicant a rectification or an explanation.
- Only the applicant rates: with the case number and 查询密码, or through a one-time link (the
  hall's pad, a QR code printed on a notice). A staff member never rates on their behalf.
- A rating is attributed to the clerks and departments who served the stage, and keeps its
  channel and the client's address (a report lists addresses that rated many cases).
- A bad rating's handling is a case of the internal item 差评回访整改, running the BPMN model
  ``rating_callback`` (bpmn/): its steps are ordinary tasks in the responsible department's and
  the center's inboxes. An upheld appeal takes the rating out of the scores; nothing deletes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, exists, func, or_, select, true

from .. import access, models, views
from ..clock import add_working_days, step_light
from ..errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from ..models import BAD_LEVELS, EXCLUDED_OUTCOME
from ..security import token_digest
from ..uow import UnitOfWork
from ..workdays import LOCAL_TZ, calendar, local_date, today
from . import clock
from .cases import case_events, case_tasks, department_names, open_case
from .common import record
from .public import authenticate_case
from .rating_links import (
    DEFAULT_SETTINGS,
    IssuedLink,
    handled_rating,
    new_link,
    rating_of,
    settings,
    stage_open,
)
from .scorecard_days import record_rating

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
STAGES = {"acceptance": "受理", "finish": "办结", "rectification": "整改"}
CHANNELS = ("web", "pad", "qr", "sms", "app", "phone")
LINK_CHANNELS = ("pad", "qr")
DEFAULT_CHANNEL = "system"  # a default rating (默认评价) comes from no channel
SYSTEM = "system"
APPLICANT = "applicant"  # the actor of a rating in the rated case's history
HANDLING_ITEM = "internal.rating_callback"
# How a handling ends: the result its model's end event names.
OUTCOMES = {"rectify": "已整改", "explain": "已解释说明", "upheld": "申诉成立"}
MAX_COMMENT = 500
MAX_REASON = 50
MAX_REASONS_PER_LEVEL = 20

DAY_SETTINGS = (
    "callback_working_days",
    "rectification_working_days",
    "appeal_review_working_days",
    "link_valid_days",
)


# ---- settings ------------------------------------------------------------------------------------


def save_settings(uow: UnitOfWork, user: models.User, changes: Any) -> dict[str, Any]:
    """PUT /ratings/settings (administrators): any of the keys, each checked."""
    access.require_role(user, "admin")
    if not isinstance(changes, dict):
        raise BadRequest("设置应为对象")
    values = {**settings(uow), **{k: v for k, v in changes.items() if k in DEFAULT_SETTINGS}}
    problems = _setting_problems(values)
    if problems:
        raise ValidationFailed("好差评设置有误", {"fields": problems}, code="invalid_settings")
    row = uow.session.get(models.RatingSettings, 1) or models.RatingSettings(id=1)
    row.values, row.updated_by, row.updated_at = values, user.username, models.utcnow()
    uow.session.add(row)
    return values


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _setting_problems(values: dict[str, Any]) -> dict[str, str]:
    problems = {
        key: "应为正整数（工作日或天数）" for key in DAY_SETTINGS if not _positive(values[key])
    }
    default = values["default_rating"]
    if (
        not isinstance(default, dict)
        or not (default.get("after_days") is None or _positive(default.get("after_days")))
        or default.get("level") not in (1, 2, 3)
    ):
        problems["default_rating"] = "应为 {after_days: null（关闭）或正整数, level: 1–3}"
    reasons = values["reasons"]
    if not isinstance(reasons, dict) or set(reasons) != {str(n) for n in LEVELS}:
        problems["reasons"] = '应为 {"1": [...], …, "5": [...]}'
    elif not all(
        isinstance(items, list)
        and len(items) <= MAX_REASONS_PER_LEVEL
        and all(isinstance(r, str) and 0 < len(r.strip()) <= MAX_REASON for r in items)
        for items in reasons.values()
    ):
        problems["reasons"] = f"每个等级至多 {MAX_REASONS_PER_LEVEL} 条理由，每条 1–{MAX_REASON} 字"
    return problems


def reasons_for(uow: UnitOfWork) -> dict[int, list[str]]:
    return {int(level): items for level, items in settings(uow)["reasons"].items()}


# ---- rating --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    """What the applicant chose; checked by ``_submit``, whatever the channel."""

    level: Any
    reasons: Any = None
    comment: Any = None


def _refuse_staff(actor: models.User | None) -> None:
    if actor is not None:
        raise Forbidden("工作人员不能代替申请人评价", code="staff_cannot_rate")


def rate_with_password(
    uow: UnitOfWork,
    actor: models.User | None,
    case_no: str,
    password: str,
    stage: Any,
    choice: RatingInput,
    channel: Any,
    client_address: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Rate with the case number and 查询密码 (the progress page, an app, an SMS gateway).

    ``actor`` is the staff member behind the request, if any: refused. A wrong password
    answers like an unknown case, and counts against the lookup limits.
    """
    _refuse_staff(actor)
    channel = channel or "web"
    if channel not in CHANNELS:
        raise ValidationFailed(
            "评价渠道不正确", {"fields": {"channel": f"应为 {'/'.join(CHANNELS)}"}}
        )
    case = authenticate_case(uow, case_no, password, client_address)
    rating = _submit(uow, case.case_no, stage, choice, channel, client_address, now)
    return rating_view(uow, rating)


def _link(uow: UnitOfWork, token: str, now: datetime) -> models.RatingLink:
    link = uow.session.scalar(
        select(models.RatingLink).where(models.RatingLink.token_hash == token_digest(token or ""))
    )
    if link is None or models.as_utc(link.expires_at) <= now:
        raise NotFound("评价链接无效或已过期", code="rating_link_not_found")
    if link.used_at is not None:
        raise Conflict("此评价链接已使用", code="rating_link_used")
    return link


def rate_with_link(
    uow: UnitOfWork,
    actor: models.User | None,
    token: str,
    choice: RatingInput,
    client_address: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Rate through a one-time link (the hall's pad, a QR code); the link is used up."""
    _refuse_staff(actor)
    now = now or models.utcnow()
    link = _link(uow, token, now)
    rating = _submit(uow, link.case.case_no, link.stage, choice, link.channel, client_address, now)
    link.used_at = now
    return rating_view(uow, rating)


def link_target(uow: UnitOfWork, token: str, now: datetime | None = None) -> dict[str, Any]:
    """What a rating link's page shows before the applicant rates: no personal data."""
    link = _link(uow, token, now or models.utcnow())
    case = link.case
    return {
        "case_no": case.case_no,
        "service_item_name": case.service_item.name,
        "stage": link.stage,
        "stage_name": STAGES[link.stage],
        "levels": LEVELS,
        "reasons": reasons_for(uow),
        "open": stage_open(uow, case, link.stage) and rating_of(uow, case, link.stage) is None,
    }


def _submit(
    uow: UnitOfWork,
    case_no: str,
    stage: Any,
    choice: RatingInput,
    channel: str,
    client_address: str,
    now: datetime | None,
    *,
    is_default: bool = False,
) -> models.Rating:
    """One rating of the case at ``stage``, its attribution, and a bad one's handling.

    The case row is locked first, so two ratings of one stage take turns and the second is
    refused (409) instead of racing on the unique key.
    """
    case = uow.lock_case(case_no)
    if case.service_item.internal:
        raise NotFound(f"办件 {case_no} 不存在", code="case_not_found")
    if stage not in STAGES:
        raise ValidationFailed("评价环节不正确", {"fields": {"stage": "/".join(STAGES)}})
    level, reasons, comment = _checked_choice(uow, choice)
    if rating_of(uow, case, stage) is not None:
        raise Conflict(f"该办件的{STAGES[stage]}评价已提交，不能重复评价", code="already_rated")
    if not stage_open(uow, case, stage):
        raise Conflict(_NOT_OPEN[stage], code="rating_not_open")
    now = now or models.utcnow()
    rating = models.Rating(
        case=case,
        stage=stage,
        level=level,
        reasons=reasons,
        comment=comment,
        channel=channel,
        client_address=(client_address or "")[:64],
        is_default=is_default,
        rated_at=now,
    )
    uow.session.add(rating)
    uow.session.flush()  # its id, for the attribution and the handling's data
    served = _served(uow, case, stage)
    for department, username in served:
        uow.session.add(
            models.RatingAttribution(
                rating_id=rating.id, department_code=department, username=username
            )
        )
    record_rating(uow, rating)
    record(
        uow,
        case,
        SYSTEM if is_default else APPLICANT,
        "rated",
        detail={"stage": stage, "level": level, "channel": channel, "default": is_default},
    )
    if level in BAD_LEVELS and stage != "rectification":
        _start_handling(uow, case, rating, served)
    return rating


_NOT_OPEN = {
    "acceptance": "办件尚未受理，暂不能评价受理服务",
    "finish": "办件尚未办结，暂不能评价办结服务",
    "rectification": "差评尚未整改或解释说明完毕，暂不能评价整改情况",
}


def _checked_choice(uow: UnitOfWork, choice: RatingInput) -> tuple[int, list[str], str]:
    level = choice.level
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise ValidationFailed("评价等级应为 1–5", {"fields": {"level": "1–5"}})
    reasons = choice.reasons if choice.reasons is not None else []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValidationFailed("评价理由应为文字列表", {"fields": {"reasons": "list"}})
    offered = reasons_for(uow).get(level, [])
    unknown = [r for r in reasons if r not in offered]
    if unknown:
        raise ValidationFailed(
            "所选理由不属于该评价等级",
            {"fields": {"reasons": f"可选：{'、'.join(offered)}"}, "unknown": unknown},
        )
    comment = choice.comment if choice.comment is not None else ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"评价意见至多 {MAX_COMMENT} 字", {"fields": {"comment": f"≤ {MAX_COMMENT}"}}
        )
    comment = comment.strip()
    if level in BAD_LEVELS and not reasons and not comment:
        raise ValidationFailed(
            "差评请选择理由或填写意见",
            {"fields": {"reasons": "差评须有理由或意见", "comment": "差评须有理由或意见"}},
            code="bad_rating_needs_reason",
        )
    return level, list(dict.fromkeys(reasons)), comment


def rating_options(uow: UnitOfWork, case_no: str) -> list[dict[str, Any]]:
    """For the progress page, after its lookup: each stage, whether it can be rated now, and
    its rating."""
    case = uow.session.scalar(select(models.Case).where(models.Case.case_no == case_no))
    if case is None:
        return []
    options = []
    for stage, name in STAGES.items():
        rating = rating_of(uow, case, stage)
        is_open = rating is None and stage_open(uow, case, stage)
        if rating is not None or is_open:
            options.append(
                {
                    "stage": stage,
                    "stage_name": name,
                    "open": is_open,
                    "level": rating.level if rating is not None else None,
                    "level_name": LEVELS[rating.level] if rating is not None else None,
                }
            )
    return options


def _served(uow: UnitOfWork, case: models.Case, stage: str) -> list[tuple[str, str | None]]:
    """(department, clerk) pairs who served the stage, in the order they completed steps.

    ``acceptance``: the steps completed up to 受理 (the window clerk and the window);
    ``finish``: every step completed after it; ``rectification``: the handling's steps.
    """
    if stage == "rectification":
        rated = handled_rating(uow, case)
        steps = case_tasks(uow, rated.handling_case) if rated is not None else []
    else:
        steps = case_tasks(uow, case)
    done = sorted(
        (
            t
            for t in steps
            if t.state == "completed"
            and t.completed_at is not None
            and (stage == "rectification" or _in_stage(case, t, stage))
        ),
        key=lambda t: models.as_utc(t.completed_at),
    )
    pairs = list(dict.fromkeys((t.department_code, t.completed_by) for t in done))
    if not pairs and stage == "acceptance":
        pairs = [(case.intake_department, case.created_by)]
    return pairs


def _in_stage(case: models.Case, task: models.HumanTask, stage: str) -> bool:
    """Completed up to 受理 (``acceptance``) or after it (``finish``); a case never accepted
    (不予受理) was served wholly by its finish."""
    if case.accepted_at is None:
        return stage == "finish"
    at_intake = models.as_utc(task.completed_at) <= models.as_utc(case.accepted_at)
    return at_intake == (stage == "acceptance")


# ---- the handling of a bad rating ---------------------------------------------------------------


def _responsible(case: models.Case, served: list[tuple[str, str | None]]) -> str:
    """The department a bad rating goes to: the one that served the stage most (the window
    only when no one else served it); among equals, the one that served last."""
    counts = Counter(department for department, _clerk in served)
    others = [d for d in counts if d != case.intake_department] or list(counts)
    if not others:
        return case.intake_department
    last_seen = {department: i for i, (department, _clerk) in enumerate(served)}
    return max(others, key=lambda d: (counts[d], last_seen[d]))


def _center_actor(uow: UnitOfWork) -> models.User:
    """The service center, as the one who opens a handling: no person does, and the handling
    belongs to the center (县政府办公室). Never stored."""
    office = uow.session.scalar(
        select(models.Department).where(models.Department.code == access.OFFICE_DEPARTMENT)
    )
    if office is None:
        raise NotFound("未配置县政府办公室（office），无法处理差评", code="office_missing")
    return models.User(username=SYSTEM, display_name="系统", password_hash="", department=office)


def _start_handling(
    uow: UnitOfWork,
    case: models.Case,
    rating: models.Rating,
    served: list[tuple[str, str | None]],
) -> None:
    values = settings(uow)
    responsible = _responsible(case, served)
    days = values["callback_working_days"] + values["rectification_working_days"]
    rating.handling_due_date = add_working_days(calendar(uow), today(), days)[0]
    applicant = {
        "kind": case.applicant_kind,
        "name": case.applicant_name,
        "id_type": case.applicant_id_type,
        "id_number": case.applicant_id_number,
        "phone": case.applicant_phone,
    }
    data = {
        "rating_id": rating.id,
        "rated_case_no": case.case_no,
        "rated_service_item": case.service_item.name,
        "rating_stage": rating.stage,
        "rating_level": rating.level,
        "rating_reasons": rating.reasons,
        "rating_comment": rating.comment,
        "responsible_department": responsible,
        "callback_working_days": values["callback_working_days"],
        "rectification_working_days": values["rectification_working_days"],
        "appeal_review_working_days": values["appeal_review_working_days"],
    }
    started = open_case(uow, _center_actor(uow), HANDLING_ITEM, applicant, data, "rating")
    rating.handling_case = started.case
    record(
        uow,
        case,
        SYSTEM,
        "rating_handling",
        detail={"handling_case_no": started.case.case_no, "department": responsible},
    )


def handling_view(uow: UnitOfWork, rating: models.Rating) -> dict[str, Any] | None:
    handling = rating.handling_case
    if handling is None:
        return None
    names = department_names(uow)
    tasks = case_tasks(uow, handling)
    closed = handling.status == "finished"
    due = rating.handling_due_date
    if closed:
        light = "red" if due and local_date(handling.finished_at) > due else "none"
    elif due:
        light = step_light(calendar(uow), due, today(), _handling_days(handling))
    else:
        light = "none"
    return {
        "case_no": handling.case_no,
        "state": "closed" if closed else "open",
        "outcome": handling.result if closed else None,
        "outcome_name": OUTCOMES.get(handling.result or "") if closed else None,
        "responsible_department": (handling.data or {}).get("responsible_department"),
        "due_date": views.iso(due),
        "closed_at": views.iso(handling.finished_at),
        "on_time": bool(due and local_date(handling.finished_at) <= due) if closed else None,
        "light": light,
        "tasks": [views.task_view(t, names, clock.task_light(uow, t)) for t in tasks],
    }


def _handling_days(handling: models.Case) -> int:
    data = handling.data or {}
    return int(data.get("callback_working_days") or 1) + int(
        data.get("rectification_working_days") or 0
    )


def handlings_past_limit(uow: UnitOfWork, on: date | None = None) -> list[models.Rating]:
    """Bad ratings whose handling is still open after its limit — the hook for 督办: the
    scheduler opens one supervision item (source ``rating``) for each, once."""
    handling = models.Case
    return list(
        uow.session.scalars(
            select(models.Rating)
            .join(handling, handling.id == models.Rating.handling_case_id)
            .where(handling.status != "finished", models.Rating.handling_due_date < (on or today()))
            .order_by(models.Rating.handling_due_date, models.Rating.id)
        )
    )


# ---- rating links (pad, QR code) -----------------------------------------------------------------


def create_link(
    uow: UnitOfWork,
    user: models.User,
    case_no: str,
    stage: Any,
    channel: str = "pad",
    now: datetime | None = None,
) -> IssuedLink:
    """POST /cases/{case_no}/rating-links: a clerk who served the case opens the hall's pad
    (or prints a QR code) for the applicant; the link rates the stage once."""
    access.require_acting(user)
    case = uow.session.scalar(select(models.Case).where(models.Case.case_no == case_no))
    if case is None or not _served_by(uow, user, case):
        raise Forbidden("只有为该办件服务过的工作人员可以发起评价", code="not_served")
    return issue_link(uow, user, case, stage, channel, now)


def issue_link(
    uow: UnitOfWork,
    user: models.User,
    case: models.Case,
    stage: Any,
    channel: str,
    now: datetime | None = None,
) -> IssuedLink:
    """A link for a case the caller may act on (a notice prints one for the applicant)."""
    if stage not in STAGES:
        raise ValidationFailed("评价环节不正确", {"fields": {"stage": "/".join(STAGES)}})
    if channel not in LINK_CHANNELS:
        raise ValidationFailed("评价链接渠道应为 pad 或 qr", {"fields": {"channel": "pad/qr"}})
    if rating_of(uow, case, stage) is not None:
        raise Conflict(f"该办件的{STAGES[stage]}评价已提交", code="already_rated")
    if not stage_open(uow, case, stage):
        raise Conflict(_NOT_OPEN[stage], code="rating_not_open")
    return new_link(uow, case, stage, channel, user.username, now or models.utcnow())


def _served_by(uow: UnitOfWork, user: models.User, case: models.Case) -> bool:
    if case.created_by == user.username:
        return True
    return bool(
        uow.session.scalar(
            select(
                exists().where(
                    models.HumanTask.case_id == case.id,
                    models.HumanTask.completed_by == user.username,
                )
            )
        )
    )


# ---- default ratings (默认评价) ------------------------------------------------------------------


def apply_default_ratings(uow: UnitOfWork, now: datetime | None = None) -> list[str]:
    """Give the default rating to cases finished N days ago and not rated at finish, when the
    setting is on; the scheduler runs this. A default rating never counts as proactive."""
    default = settings(uow)["default_rating"]
    if not default.get("after_days"):
        return []
    now = now or models.utcnow()
    rated = select(models.Rating.id).where(
        models.Rating.case_id == models.Case.id, models.Rating.stage == "finish"
    )
    due = uow.session.scalars(
        select(models.Case.case_no)
        .join(models.ServiceItem)
        .where(
            models.Case.status == "finished",
            models.Case.finished_at <= now - timedelta(days=int(default["after_days"])),
            models.ServiceItem.code != HANDLING_ITEM,
            ~exists(rated),
        )
        .order_by(models.Case.id)
    ).all()
    for case_no in due:
        _submit(
            uow,
            case_no,
            "finish",
            RatingInput(int(default["level"])),
            DEFAULT_CHANNEL,
            "",
            now,
            is_default=True,
        )
    return list(due)


# ---- reading ratings -----------------------------------------------------------------------------


def _attributed(**match: str) -> ColumnElement[bool]:
    conditions = [getattr(models.RatingAttribution, k) == v for k, v in match.items()]
    return exists().where(models.RatingAttribution.rating_id == models.Rating.id, *conditions)


def visible_ratings(uow: UnitOfWork, user: models.User) -> ColumnElement[bool]:
    """Supervisors and administrators: all; a monitor: those of the cases in scope; a department
    head: the department's; a clerk: their own; a department handling a bad rating: that rating."""
    if access.reads_everything(user):
        return true()
    if access.is_monitor(user):
        return models.Rating.case_id.in_(select(models.Case.id).where(access.monitored_cases(user)))
    headed = headed_departments(uow, user)
    clauses = [_attributed(username=user.username)]
    clauses += [_attributed(department_code=code) for code in headed]
    if access.works_cases(user):
        clauses.append(
            exists().where(
                models.HumanTask.case_id == models.Rating.handling_case_id,
                models.HumanTask.department_code == user.department_code,
            )
        )
    return or_(*clauses)


def headed_departments(uow: UnitOfWork, user: models.User) -> list[str]:
    """The departments the user heads (负责人): their ratings are the head's to see."""
    return sorted(
        uow.session.scalars(
            select(models.Department.code).where(models.Department.head_username == user.username)
        )
    )


def _local_start(day: date) -> datetime:
    """The day's first moment at the center, in UTC (SQLite compares stored UTC text)."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"{name} 应为 YYYY-MM-DD", {"field": name}) from error


@dataclass(frozen=True)
class RatingFilter:
    """The list's filters (API.md): level, bad only, department, clerk, item, period."""

    level: int | None = None
    bad: bool | None = None
    department: str | None = None
    clerk: str | None = None
    service_item: str | None = None
    date_from: str | None = None
    date_to: str | None = None


def _filtered(query, filters: RatingFilter):
    rating = models.Rating
    if filters.level is not None:
        query = query.where(rating.level == filters.level)
    if filters.bad is not None:
        bad = rating.level.in_(BAD_LEVELS)
        query = query.where(bad if filters.bad else ~bad)
    if filters.department:
        query = query.where(_attributed(department_code=filters.department))
    if filters.clerk:
        query = query.where(_attributed(username=filters.clerk))
    if filters.service_item:
        query = query.where(models.Case.service_item_code == filters.service_item)
    start, end = _day(filters.date_from, "from"), _day(filters.date_to, "to")
    if start:
        query = query.where(rating.rated_at >= _local_start(start))
    if end:
        query = query.where(rating.rated_at < _local_start(end + timedelta(days=1)))
    return query


def list_ratings(
    uow: UnitOfWork,
    user: models.User,
    filters: RatingFilter,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    query = _filtered(
        select(models.Rating)
        .join(models.Case, models.Case.id == models.Rating.case_id)
        .where(visible_ratings(uow, user)),
        filters,
    )
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(models.Rating.rated_at.desc(), models.Rating.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [rating_view(uow, r, user) for r in rows], total


def get_rating(uow: UnitOfWork, user: models.User, rating_id: int) -> dict[str, Any]:
    """One rating with its handling and the handling's history (an invisible one is 404)."""
    rating = uow.session.scalar(
        select(models.Rating).where(models.Rating.id == rating_id, visible_ratings(uow, user))
    )
    if rating is None:
        raise NotFound(f"评价 {rating_id} 不存在或无权查看", code="rating_not_found")
    view = rating_view(uow, rating, user)
    history = case_events(uow, rating.handling_case) if rating.handling_case else []
    view["history"] = [views.event_view(e) for e in history]
    return view


def rating_view(
    uow: UnitOfWork, rating: models.Rating, user: models.User | None = None
) -> dict[str, Any]:
    """The API.md shape; the client address only for the center (supervisors, admins)."""
    case = rating.case
    names = department_names(uow)
    served = uow.session.execute(
        select(models.RatingAttribution.department_code, models.RatingAttribution.username)
        .where(models.RatingAttribution.rating_id == rating.id)
        .order_by(models.RatingAttribution.id)
    ).all()
    departments = list(dict.fromkeys(d for d, _u in served))
    handling = handling_view(uow, rating)
    excluded = bool(handling and handling["outcome"] == EXCLUDED_OUTCOME)
    view = {
        "id": rating.id,
        "case_no": case.case_no,
        "service_item": case.service_item_code,
        "service_item_name": case.service_item.name,
        "stage": rating.stage,
        "stage_name": STAGES[rating.stage],
        "level": rating.level,
        "level_name": LEVELS[rating.level],
        "bad": rating.level in BAD_LEVELS,
        "reasons": list(rating.reasons or []),
        "comment": rating.comment,
        "channel": rating.channel,
        "rated_at": views.iso(rating.rated_at),
        "default": rating.is_default,
        "excluded": excluded,
        "counted": not rating.is_default and not excluded,
        "departments": departments,
        "department_names": [names.get(d, d) for d in departments],
        "clerks": list(dict.fromkeys(u for _d, u in served if u)),
        "handling": handling,
    }
    if user is not None and user.role_codes & {"admin", "supervisor"}:
        view["client_address"] = rating.client_address
    return view


def frequent_addresses(
    uow: UnitOfWork,
    user: models.User,
    min_cases: int = 3,
    date_from: str | None = None,
    date_to: str | None = None,
) -> list[dict[str, Any]]:
    """Client addresses that rated many cases (刷评 check): supervisors and administrators."""
    access.require_role(user, "admin", "supervisor")
    rating = models.Rating
    query = _filtered(
        select(
            rating.client_address,
            func.count(func.distinct(rating.case_id)),
            func.count(rating.id),
            func.sum(cast(rating.level.in_(BAD_LEVELS), Integer)),
        )
        .join(models.Case, models.Case.id == rating.case_id)
        .where(rating.client_address != "", rating.is_default.is_(False)),
        RatingFilter(date_from=date_from, date_to=date_to),
    )
    rows = uow.session.execute(
        query.group_by(rating.client_address)
        .having(func.count(func.distinct(rating.case_id)) >= max(1, min_cases))
        .order_by(func.count(func.distinct(rating.case_id)).desc(), rating.client_address)
    ).all()
    return [
        {"address": address, "cases": cases, "ratings": count, "bad": int(bad or 0)}
        for address, cases, count, bad in rows
    ]
