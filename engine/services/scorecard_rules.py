"""The rules of the 绩效考核 figures as SQL: a period of the center's local dates, what each
figure counts (DOMAIN.md, Scorecards), whom a case belongs to, and the ``GET /api/v1/cases``
conditions behind each figure (``drill_clauses``) — the same conditions, so a figure equals the
length of its list. Below the case list (which filters by them), the day counts
(scorecard_days.py) and the scorecards themselves (scorecards.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from .. import models
from ..errors import BadRequest
from ..models import BAD_LEVELS, EXCLUDED_OUTCOME
from ..workdays import LOCAL_TZ

MAX_PERIOD_DAYS = 3 * 366
OPEN_START, OPEN_END = (
    date(1900, 1, 1),
    date(2099, 12, 31),
)  # a drill-down period left open  # a scorecard spans at most three years


@dataclass(frozen=True)
class Period:
    """``[first, last]`` local dates, and the UTC instants that bound them."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_start(self.first)

    @property
    def end(self) -> datetime:
        return local_start(self.last + timedelta(days=1))

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


def local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def date_arg(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{name} 应为日期 YYYY-MM-DD", {"field": name}) from None


def period_of(first: Any, last: Any) -> Period:
    if not first or not last:
        raise BadRequest("需要 from 和 to（YYYY-MM-DD）", {"fields": ["from", "to"]})
    period = Period(date_arg(first, "from"), date_arg(last, "to"))
    if period.last < period.first:
        raise BadRequest("to 不能早于 from", {"field": "to"})
    if (period.last - period.first).days > MAX_PERIOD_DAYS:
        raise BadRequest("统计区间最长三年", {"field": "to"})
    return period


# ---- SQL in the center's days --------------------------------------------------------------------


def local_day(column: Any, dialect: str) -> ColumnElement[date]:
    """The local (Asia/Shanghai, UTC+8 all year) date of a stored UTC instant."""
    if dialect == "postgresql":
        return func.cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours", type_=Date)


def instant() -> ColumnElement[bool]:
    """即办件: decided on the spot, so it counts as finished on time."""
    return models.Case.service_item_code.in_(
        select(models.ServiceItem.code).where(models.ServiceItem.case_type == "instant")
    )


def served() -> ColumnElement[bool]:
    """A case an applicant applied for: not a bad rating's handling (回访整改), which the
    center runs as a case of its own."""
    rating = aliased(models.Rating)
    # IS NOT NULL: the few ratings that have a handling are indexed by themselves
    handled = and_(rating.handling_case_id.is_not(None), rating.handling_case_id == models.Case.id)
    return ~exists().where(handled)


def finished_in(period: Period) -> ColumnElement[bool]:
    """F: cases finished in the period that had a deadline, and 即办件 (never-accepted cases —
    不予受理 — count in the rejection rate, not here)."""
    c = models.Case
    return and_(
        served(),
        c.status == "finished",
        period.holds(c.finished_at),
        or_(c.due_date.is_not(None), instant()),
    )


def on_time(dialect: str) -> ColumnElement[bool]:
    c = models.Case
    return or_(instant(), local_day(c.finished_at, dialect) <= c.due_date)


def early(dialect: str) -> ColumnElement[bool]:
    c = models.Case
    return and_(~instant(), local_day(c.finished_at, dialect) < c.due_date)


def first_time() -> ColumnElement[bool]:
    """一次办成: no 补正 round and at most one visit."""
    return and_(models.Case.supplement_rounds == 0, models.Case.visits <= 1)


def open_on(day: date) -> ColumnElement[bool]:
    """Accepted by ``day``, past its due date then, and not finished by the end of it."""
    c = models.Case
    after = local_start(day + timedelta(days=1))
    return and_(
        served(),
        c.accepted_at.is_not(None),
        c.accepted_at < after,
        c.due_date.is_not(None),
        c.due_date < day,
        or_(c.finished_at.is_(None), c.finished_at >= after),
    )


def overdue_on(day: date, period: Period, dialect: str) -> ColumnElement[bool]:
    """Finished late in the period, or still open on ``day`` with its due date passed."""
    late = and_(finished_in(period), ~on_time(dialect))
    return or_(late, open_on(day))


def refused() -> ColumnElement[bool]:
    """不予受理: finished without ever being accepted."""
    c = models.Case
    return and_(c.status == "finished", c.accepted_at.is_(None))


def decided_in(period: Period) -> ColumnElement[bool]:
    """Accepted (受理) or refused (不予受理) in the period: the base of the 补正 and 不予受理
    rates."""
    c = models.Case
    return and_(
        served(),
        or_(period.holds(c.accepted_at), and_(refused(), period.holds(c.finished_at))),
    )


# ---- who a case belongs to -----------------------------------------------------------------------


def members(dimension: str) -> Any:
    """(case_id, key) pairs: the rows a case counts in."""
    task, c = models.HumanTask, models.Case
    if dimension == "department":
        query = select(task.case_id.label("case_id"), task.department_code.label("key"))
    elif dimension == "clerk":
        query = select(task.case_id.label("case_id"), task.completed_by.label("key")).where(
            task.state == "completed", task.completed_by.is_not(None)
        )
    elif dimension == "window":
        query = select(c.id.label("case_id"), c.intake_department.label("key"))
    else:
        query = select(c.id.label("case_id"), c.service_item_code.label("key"))
    # not DISTINCT: the database then joins the period's cases to their steps by index, and
    # every count below counts distinct cases
    return query.subquery()


def member_clause(dimension: str, key: str) -> ColumnElement[bool]:
    task, c = models.HumanTask, models.Case
    if dimension == "department":
        return exists().where(task.case_id == c.id, task.department_code == key)
    if dimension == "clerk":
        return exists().where(
            task.case_id == c.id, task.state == "completed", task.completed_by == key
        )
    if dimension == "window":
        return c.intake_department == key
    return c.service_item_code == key


def ratings_by(dimension: str, counted: bool = True) -> Select[Any]:
    """Ratings with their row key (``counted``: only those that count): the departments and
    clerks a rating was attributed to (ratings.py), or the case's window or item."""
    rating, c, served = models.Rating, models.Case, models.RatingAttribution
    if dimension in ("department", "clerk"):
        key = served.department_code if dimension == "department" else served.username
        query = select(key.label("key")).select_from(rating)
        query = query.join(served, served.rating_id == rating.id).where(key.is_not(None))
    else:
        key = c.intake_department if dimension == "window" else c.service_item_code
        query = select(key.label("key")).select_from(rating).join(c, c.id == rating.case_id)
    return query.where(counted_ratings()) if counted else query


def counted_ratings() -> ColumnElement[bool]:
    """Ratings that count: proactive (never a default rating) and not taken out by an upheld
    appeal (申诉成立) — looked up only for the few ratings with a handling."""
    handling = aliased(models.Case)
    upheld = exists().where(
        handling.id == models.Rating.handling_case_id, handling.result == EXCLUDED_OUTCOME
    )
    return and_(
        models.Rating.is_default.is_(False),
        or_(models.Rating.handling_case_id.is_(None), ~upheld),
    )


# ---- drill-down: the case list behind a figure ---------------------------------------------------

DRILL_ARGS = (
    "finished_from",
    "finished_to",
    "on_time",
    "early",
    "first_time",
    "overdue_on",
    "decided_from",
    "decided_to",
    "supplemented",
    "refused",
    "rated_from",
    "rated_to",
    "bad",
    "clerk",
    "window",
)


def flag(value: str, name: str) -> bool:
    if value not in ("true", "false"):
        raise BadRequest(f"{name} 应为 true 或 false", {"field": name})
    return value == "true"


def drill_clauses(args: Mapping[str, str], dialect: str) -> list[ColumnElement[bool]]:
    """The case-list conditions (``GET /api/v1/cases``) behind each figure of a row:

    - ``finished_from``/``finished_to``: ``finished``, and with ``on_time``/``early``/
      ``first_time`` (true or false) their rates' numerators;
    - ``overdue_on`` (with ``finished_from``): ``overdue`` on that day;
    - ``decided_from``/``decided_to``: the base of ``supplement_rate`` and ``rejection_rate``,
      with ``supplemented``/``refused`` their numerators;
    - ``rated_from``/``rated_to``: cases with a counted rating in the period (``bad``: a bad
      one) — ``ratings`` and ``bad`` where each case was rated once in it;
    - ``clerk``, ``window``: the row's key for those scorecards (``department`` and
      ``service_item`` are the list's own filters).
    """
    clauses: list[ColumnElement[bool]] = []
    given = {name: (args.get(name) or "").strip() for name in DRILL_ARGS}
    finished = period_args(given, "finished")
    decided = period_args(given, "decided")
    if given["overdue_on"]:
        day = date_arg(given["overdue_on"], "overdue_on")
        clauses.append(overdue_on(day, finished or Period(day, day), dialect))
    elif finished:
        clauses.append(finished_in(finished))
    for name, condition in (
        ("on_time", on_time(dialect)),
        ("early", early(dialect)),
        ("first_time", first_time()),
    ):
        if given[name]:
            clauses.append(condition if flag(given[name], name) else ~condition)
    if decided:
        clauses.append(decided_in(decided))
    for name, condition in (
        ("supplemented", models.Case.supplement_rounds > 0),
        ("refused", refused()),
    ):
        if given[name]:
            clauses.append(condition if flag(given[name], name) else ~condition)
    rated = period_args(given, "rated")
    if rated:
        attributed = {d: (args.get(d) or "").strip() for d in ("department", "clerk")}
        clauses.append(rated_in(rated, given["bad"], attributed))
    if given["clerk"]:
        clauses.append(member_clause("clerk", given["clerk"]))
    if given["window"]:
        clauses.append(member_clause("window", given["window"]))
    return clauses


def rated_in(period: Period, bad: str, attributed: Mapping[str, str]) -> ColumnElement[bool]:
    """A counted rating in the period; for a department's or clerk's row, one attributed to
    them, as the row counts it (a case of the department can hold a rating attributed to no
    one, e.g. a 即办件's at its finish)."""
    rating, served = models.Rating, models.RatingAttribution
    conditions = [
        rating.case_id == models.Case.id,
        counted_ratings(),
        period.holds(rating.rated_at),
    ]
    keys = {"department": served.department_code, "clerk": served.username}
    for name, key in keys.items():
        if attributed[name]:
            conditions.append(
                exists().where(served.rating_id == rating.id, key == attributed[name])
            )
    if bad:
        is_bad = rating.level.in_(BAD_LEVELS)
        conditions.append(is_bad if flag(bad, "bad") else ~is_bad)
    return exists().where(*conditions)


def period_args(given: Mapping[str, str], prefix: str) -> Period | None:
    first, last = given[f"{prefix}_from"], given[f"{prefix}_to"]
    if not first and not last:
        return None
    return Period(
        date_arg(first, f"{prefix}_from") if first else OPEN_START,
        date_arg(last, f"{prefix}_to") if last else OPEN_END,
    )
