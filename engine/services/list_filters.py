"""The filters and sort orders the inbox (待办/已办) and 办件查询 share: 事项, department, light,
status, channel, period, applicant — each a SQL condition, so a filtered page costs what an
unfiltered one does and no list is cut short by a filter applied in Python.

Periods are local dates (Asia/Shanghai), inclusive at both ends, as a clerk means them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from .. import models
from ..clock import WorkCalendar, add_working_days, step_light
from ..errors import BadRequest
from ..uow import UnitOfWork
from ..views import LOCAL_TZ
from ..workdays import calendar, today

# every case number's start: the demo county (青山县); a setting in production
REGION_CODE = "339901"
LIGHTS = ("green", "yellow", "red", "none")
CHANNELS = {"window": "窗口受理", "online": "网上申报"}  # case.channel, as the pages name it
CASE_SORTS = ("newest", "oldest", "due")
TASK_SORTS = ("due", "newest", "oldest")


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to; ``None`` leaves a dimension open."""

    service_item: str | None = None
    department: str | None = None
    light: str | None = None
    status: str | None = None
    channel: str | None = None
    applicant: str | None = None  # part of the applicant's name, or of the case number
    since: date | None = None
    until: date | None = None
    sort: str | None = None
    started_by: str | None = None  # 我发起的 / 我受理的: cases the user started or took in

    @classmethod
    def parse(cls, args: Mapping[str, str], sorts: tuple[str, ...]) -> Filters:
        """From query arguments (pages and the API alike); a malformed one answers 400."""
        values: dict[str, Any] = {
            f.name: (args.get(f.name) or "").strip() or None for f in fields(cls)
        }
        for name in ("since", "until"):
            if values[name]:
                try:
                    values[name] = date.fromisoformat(values[name])
                except ValueError:
                    raise BadRequest(f"{name} 应为日期 YYYY-MM-DD", {"field": name}) from None
        if values["light"] and values["light"] not in LIGHTS:
            raise BadRequest(f"light 应为 {'/'.join(LIGHTS)}", {"field": "light"})
        if values["sort"] and values["sort"] not in sorts:
            raise BadRequest(f"sort 应为 {'/'.join(sorts)}", {"field": "sort"})
        return cls(**values)

    def args(self) -> dict[str, str]:
        """The filters set, as query arguments (for paging links and the export)."""
        return {
            f.name: value.isoformat() if isinstance(value, date) else str(value)
            for f in fields(self)
            if (value := getattr(self, f.name)) is not None
        }

    def case_clauses(self) -> list[ColumnElement[bool]]:
        """Conditions on ``case`` for channel, applicant and period (``list_cases`` has the
        item, department, status and light conditions of its own)."""
        case = models.Case
        clauses: list[ColumnElement[bool]] = []
        if self.channel:
            clauses.append(case.channel == self.channel)
        if self.started_by:
            clauses.append(case.created_by == self.started_by)
        if self.applicant:
            clauses.append(search_clause(self.applicant))
        clauses.extend(_period(case.created_at, self.since, self.until))
        return clauses

    def task_clauses(self, uow: UnitOfWork) -> list[ColumnElement[bool]]:
        """Conditions on ``human_task``: its item, department, light and period, and its case's
        channel and applicant."""
        task = models.HumanTask
        clauses: list[ColumnElement[bool]] = []
        if self.department:
            clauses.append(task.department_code == self.department)
        if self.light:
            clauses.append(task_light_clause(uow, self.light))
        clauses.extend(_period(task.created_at, self.since, self.until))
        on_case = self.case_clauses() if self.channel or self.applicant else []
        if self.service_item:
            on_case.append(models.Case.service_item_code == self.service_item)
        if on_case:
            case = models.Case
            clauses.append(exists(select(case.id).where(case.id == task.case_id, *on_case)))
        return clauses

    def case_order(self) -> tuple[Any, ...]:
        case = models.Case
        if self.sort == "oldest":
            return (case.id.asc(),)
        if self.sort == "due":
            return (case.due_date.asc().nulls_last(), case.id.desc())
        return (case.id.desc(),)

    def task_order(self) -> tuple[Any, ...] | None:
        """The inbox's order when one is chosen (None: the inbox's own, due date first)."""
        task = models.HumanTask
        if self.sort == "newest":
            return (task.created_at.desc(), task.id)
        if self.sort == "oldest":
            return (task.created_at.asc(), task.id)
        return None


def search_clause(q: str) -> ColumnElement[bool]:
    """What a search box matches: part of the applicant's name or of the case number — or,
    when ``q`` is the start of a case number (digits from the region code on), case numbers
    that start with it.

    That is an index range on the case number (the unique index; the number's own start
    re-checks it, so no collation can widen it — not a ``LIKE``, which the planner would also
    look up in the trigram index), where a substring search would intersect the trigrams of
    the digits, which most of a million numbers share (35 ms for one number at a million cases,
    160 ms for a day's).
    """
    case = models.Case
    if not (q.isascii() and q.isdigit() and q.startswith(REGION_CODE)):
        like = f"%{q}%"
        return or_(case.applicant_name.like(like), case.case_no.like(like))
    clauses = [case.case_no >= q, func.substr(case.case_no, 1, len(q)) == q]
    above = _next_prefix(q)
    if above:
        clauses.append(case.case_no < above)
    return and_(*clauses)


def _next_prefix(digits: str) -> str | None:
    """The least string of digits after every string that starts with ``digits`` (None: there
    is none, all nines)."""
    stem = digits.rstrip("9")
    return stem[:-1] + str(int(stem[-1]) + 1) if stem else None


def _period(
    column: InstrumentedAttribute[datetime], since: date | None, until: date | None
) -> list[ColumnElement[bool]]:
    """``column`` within local days ``since``..``until`` (stored as UTC)."""
    clauses = []
    if since:
        clauses.append(column >= datetime.combine(since, time(), LOCAL_TZ))
    if until:
        clauses.append(column < datetime.combine(until + timedelta(days=1), time(), LOCAL_TZ))
    return clauses


def task_light_clause(uow: UnitOfWork, light: str) -> ColumnElement[bool]:
    """SQL for ``clock.task_light(task) == light`` today: red past the due date, none without
    one; before it, yellow until the first working day whose light is green for the step's
    limit — found once per distinct limit among the open steps with ``step_light`` itself."""
    task = models.HumanTask
    now = today()
    if light == "none":
        return task.due_date.is_(None)
    if light == "red":
        return task.due_date < now
    cal = calendar(uow)
    limits = uow.session.scalars(
        select(task.due_working_days)
        .where(task.state.in_(("ready", "claimed")), task.due_date >= now)
        .distinct()
    )
    windows = []
    for limit in limits:
        first_green = first_green_day(cal, now, limit or 1)
        same_limit = task.due_working_days == limit if limit else task.due_working_days.is_(None)
        before = task.due_date < first_green if light == "yellow" else task.due_date >= first_green
        windows.append(and_(same_limit, before))
    return and_(task.due_date >= now, or_(false(), *windows))


def first_green_day(cal: WorkCalendar, now: date, limit_days: int, ratio: float = 0.1) -> date:
    """The first working day after ``now`` on which a step due that day is still green."""
    ahead = 1
    while True:  # the yellow window is at most max(1, ratio × limit) working days long
        day, _provisional = add_working_days(cal, now, ahead)
        if step_light(cal, day, now, limit_days, ratio) == "green":
            return day
        ahead += 1
