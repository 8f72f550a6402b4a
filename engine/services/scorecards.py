"""绩效考核 scorecards (DOMAIN.md, Scorecards): each department's, window's, clerk's or service
item's figures over a period of local dates, and the case lists behind them.

Every figure is a SQL aggregate grouped by the row's key, never a loop over cases, and each
count has its drill-down: ``drill_clauses`` turns the ``GET /api/v1/cases`` arguments of
API.md into the same conditions the count used, so a figure equals the length of its list.
Working days are added up per distinct (acceptance day, finish day) pair and pause span, so the
calendar is consulted once per pair whatever the number of cases.

A case belongs to every department that has a step in it (the condition of the case list's
``department`` filter), to every clerk who completed one of its steps, to the window
(受理窗口: its intake department) that took it in, and to its service item.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import access, models, views
from ..clock import working_days_between
from ..errors import BadRequest, Conflict, Forbidden, ValidationFailed
from ..models import BAD_LEVELS
from ..notices import Notice, NoticeTable, cn_date
from ..uow import UnitOfWork
from ..workdays import calendar
from .cases import light_clause
from .ratings import headed_departments
from .scorecard_rules import (
    Period,
    decided_in,
    finished_in,
    local_day,
    members,
    on_time,
    open_on,
    period_of,
    ratings_by,
)

DIMENSIONS = ("department", "window", "clerk", "service_item")
CENTER_ROLES = frozenset({"admin", "supervisor"})  # read every row
ANALYTIC_WORK_MEM = "64MB"
METRICS = (
    "finished",
    "on_time_rate",
    "early_rate",
    "overdue",
    "avg_working_days",
    "ratings",
    "good_rate",
    "bad",
    "rectified_rate",
    "proactive_rate",
    "first_time_rate",
    "supplement_rate",
    "rejection_rate",
    "supervision_on_time_rate",
)


# ---- the figures ---------------------------------------------------------------------------------


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _cases(condition: ColumnElement[bool] | None = None) -> Any:
    """The number of distinct cases (meeting ``condition``) in a row's group."""
    counted = models.Case.id if condition is None else case((condition, models.Case.id))
    return func.count(func.distinct(counted))


class _Rows:
    """Figures collected per key."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, query: Select[Any], uow: UnitOfWork, *names: str) -> None:
        for key, *figures in uow.session.execute(query):
            for name, figure in zip(names, figures, strict=True):
                self.values[key][name] += float(figure or 0)


def _case_figures(uow: UnitOfWork, rows: _Rows, dimension: str, period: Period) -> None:
    """The finished cases' figures from ``scorecard_day``; the cases still open on the last
    day and the unfinished cases decided in the period from the live tables."""
    dialect = uow.session.get_bind().dialect.name
    _finished_figures(uow, rows, dimension, period)
    c = models.Case
    joined = _each_case_members(dimension, dialect)
    # never a case of F: those finished before the end of the period's last day
    rows.add(joined.add_columns(_cases()).where(open_on(period.last)), uow, "late")
    unfinished = joined.add_columns(_cases(), _cases(c.supplement_rounds > 0)).where(
        decided_in(period), c.status != "finished"
    )
    rows.add(unfinished, uow, "decided", "supplemented")
    _paused_days(uow, rows, dimension, period, dialect)


def _each_case_members(dimension: str, dialect: str) -> Select[Any]:
    """``SELECT key FROM case JOIN`` its rows ``GROUP BY key``, for a few (unfinished) cases:
    on PostgreSQL each case's steps looked up by its id (a lateral join), where a plain join
    would read every step of every case."""
    c, task = models.Case, models.HumanTask
    if dialect != "postgresql" or dimension in ("window", "service_item"):
        m = members(dimension)
        return select(m.c.key).select_from(c).join(m, m.c.case_id == c.id).group_by(m.c.key)
    key = task.department_code if dimension == "department" else task.completed_by
    steps = select(key.label("key")).where(task.case_id == c.id).distinct()
    if dimension == "clerk":
        steps = steps.where(task.state == "completed", task.completed_by.is_not(None))
    m = steps.lateral()
    return select(m.c.key).select_from(c).join(m, literal(True)).group_by(m.c.key)


def _instant_codes(uow: UnitOfWork) -> list[str]:
    """The 即办件 items as the catalogue has them now, as the live figures read them."""
    item = models.ServiceItem
    return list(uow.session.scalars(select(item.code).where(item.case_type == "instant")))


def _day_figures(uow: UnitOfWork) -> dict[str, Any]:
    """``scorecard_day``'s counts as F's figures: every finished case of a 即办件 item (on
    time, never early), those with a due date of any other."""
    d = models.ScorecardDay
    instant = _instant_codes(uow)

    def pick(if_instant: Any, otherwise: Any) -> Any:
        if not instant:
            return otherwise
        return case((d.service_item_code.in_(instant), if_instant), else_=otherwise)

    return {
        "finished": pick(d.cases, d.with_due),
        "on_time": pick(d.cases, d.due_on_time),
        "early": pick(0, d.due_early),
        "first_time": pick(d.first_time, d.due_first_time),
        "measured": pick(d.accepted, d.due_accepted),
    }


def _finished_figures(uow: UnitOfWork, rows: _Rows, dimension: str, period: Period) -> None:
    """F's figures, the decided finished cases and the working days, from ``scorecard_day``.

    Working days over F add up ``W(finish day) − W(acceptance day)`` (``W``: working days since
    a fixed day, by the calendar as it is now), so they are summed per finish day and per
    acceptance day instead of per case."""
    d = models.ScorecardDay
    figures = _day_figures(uow)
    in_period = (d.dimension == dimension, d.finished_on.between(period.first, period.last))
    sums = [func.sum(figures[name]) for name in ("finished", "on_time", "early", "first_time")]
    late = func.sum(figures["finished"] - figures["on_time"])
    counted = select(d.key, *sums, late, func.sum(figures["measured"]))
    rows.add(
        counted.where(*in_period).group_by(d.key),
        uow,
        "finished",
        "on_time",
        "early",
        "first_time",
        "late",
        "measured",
    )
    decided = select(d.key, func.sum(d.cases), func.sum(d.supplemented))
    decided = decided.add_columns(func.sum(d.cases - d.accepted)).where(
        d.dimension == dimension, d.accepted_on.between(period.first, period.last)
    )
    rows.add(decided.group_by(d.key), uow, "decided", "supplemented", "refused")
    measured = func.sum(figures["measured"])
    ends = [
        select(d.key, day, measured, literal(sign)).where(*in_period).group_by(d.key, day)
        for day, sign in ((d.finished_on, 1), (d.accepted_on, -1))
    ]
    spans = list(uow.session.execute(union_all(*ends)))
    if not spans:
        return
    cal = calendar(uow)
    base = min(day for _key, day, _count, _sign in spans) - timedelta(days=1)
    since: dict[date, int] = {}
    for key, day, count, sign in spans:
        if day not in since:
            since[day] = working_days_between(cal, base, day)
        rows.values[key]["days"] += sign * count * since[day]


def _paused_days(
    uow: UnitOfWork, rows: _Rows, dimension: str, period: Period, dialect: str
) -> None:
    """The paused working days of F's cases, taken off: per pause, from the live tables (a
    pause is counted between the acceptance and finish days, by the calendar as it is now)."""
    cal = calendar(uow)
    c, m = models.Case, members(dimension)
    accepted, finished = local_day(c.accepted_at, dialect), local_day(c.finished_at, dialect)
    pause = models.ClockPause
    paused = (
        select(m.c.key, accepted, finished, pause.start, pause.end)
        .add_columns(func.count(func.distinct(pause.id)))
        .select_from(pause)
        .join(c, pause.case_id == c.id)
        .join(m, m.c.case_id == c.id)
        .where(finished_in(period), c.accepted_at.is_not(None))
        .group_by(m.c.key, accepted, finished, pause.start, pause.end)
    )
    for key, first, last, start, end, count in uow.session.execute(paused):
        lo, hi = max(start, first + timedelta(days=1)), min(end or last, last)
        if lo <= hi:
            rows.values[key]["days"] -= count * working_days_between(cal, lo - timedelta(1), hi)


def _rating_figures(uow: UnitOfWork, rows: _Rows, dimension: str, period: Period) -> None:
    """Counted ratings by level from ``scorecard_rating_day``; the bad ones due in the period
    and their handling (which goes on after the rating) from the live tables."""
    rating, d = models.Rating, models.ScorecardRatingDay
    per_level = [func.sum(case((d.level == n, d.ratings), else_=0)) for n in range(1, 6)]
    counted = (
        select(d.key, func.sum(d.ratings), *per_level)
        .where(d.dimension == dimension, d.rated_on.between(period.first, period.last))
        .group_by(d.key)
    )
    rows.add(counted, uow, "ratings", *[f"level_{n}" for n in range(1, 6)])
    handling = aliased(models.Case)
    in_time = and_(
        handling.status == "finished",
        local_day(handling.finished_at, uow.session.get_bind().dialect.name)
        <= rating.handling_due_date,
    )
    bad = ratings_by(dimension).add_columns(rating.id.label("id"), in_time.label("in_time"))
    bad = (
        bad.outerjoin(handling, handling.id == rating.handling_case_id)
        .where(
            rating.level.in_(BAD_LEVELS),
            rating.handling_due_date >= period.first,
            rating.handling_due_date <= period.last,
        )
        .distinct()
        .subquery()
    )
    due = select(bad.c.key, func.count(), _count(bad.c.in_time)).group_by(bad.c.key)
    rows.add(due, uow, "bad_due", "rectified")


def _supervision_figures(uow: UnitOfWork, rows: _Rows, period: Period) -> None:
    item = models.SupervisionItem
    dialect = uow.session.get_bind().dialect.name
    answered = and_(
        item.feedback_at.is_not(None), local_day(item.feedback_at, dialect) <= item.due_date
    )
    query = (
        select(item.lead_department, func.count(), _count(answered))
        .where(item.due_date >= period.first, item.due_date <= period.last)
        .group_by(item.lead_department)
    )
    rows.add(query, uow, "supervision_due", "supervision_on_time")


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _metrics(values: Mapping[str, float], scoring: str) -> dict[str, Any]:
    finished, ratings = values.get("finished", 0), values.get("ratings", 0)
    bad = values.get("level_4", 0) + values.get("level_5", 0)
    good = values.get("level_1", 0) + values.get("level_2", 0)
    measured = values.get("measured", 0)
    figures: dict[str, Any] = {
        "finished": int(finished),
        "on_time_rate": _rate(values.get("on_time", 0), finished),
        "early_rate": _rate(values.get("early", 0), finished),
        "overdue": int(values.get("late", 0)),
        "avg_working_days": round(values["days"] / measured, 2) if measured else None,
        "ratings": int(ratings),
        "good_rate": _rate(good, ratings),
        "bad": int(bad),
        "rectified_rate": _rate(values.get("rectified", 0), values.get("bad_due", 0)),
        "proactive_rate": _rate(ratings, finished),
        "first_time_rate": _rate(values.get("first_time", 0), finished),
        "supplement_rate": _rate(values.get("supplemented", 0), values.get("decided", 0)),
        "rejection_rate": _rate(values.get("refused", 0), values.get("decided", 0)),
        "supervision_on_time_rate": _rate(
            values.get("supervision_on_time", 0), values.get("supervision_due", 0)
        ),
        "ratings_by_level": {str(n): int(values.get(f"level_{n}", 0)) for n in range(1, 6)},
    }
    points = satisfaction_points(figures["ratings_by_level"])
    figures["satisfaction_points"] = None if points is None else round(points, 2)
    return figures


def satisfaction_points(levels: Mapping[str, int]) -> float | None:
    """The mean of the 10/8/6/3/0 mapping over the ratings counted, or None without one."""
    count = sum(levels.values())
    if not count:
        return None
    return sum(SATISFACTION_POINTS[int(n)] * k for n, k in levels.items()) / count


# ---- weights and the score -----------------------------------------------------------------------

SATISFACTION_POINTS = {1: 10, 2: 8, 3: 6, 4: 3, 5: 0}  # 10/8/6/3/0 per level
POSITIVE_RATES = (
    "on_time_rate",
    "early_rate",
    "good_rate",
    "rectified_rate",
    "proactive_rate",
    "first_time_rate",
    "supervision_on_time_rate",
)
NEGATIVE_RATES = ("supplement_rate", "rejection_rate")  # lower is better: scored as 1 − rate
PENALTIES = ("overdue", "bad")
DEFAULT_WEIGHTS: dict[str, float] = {
    **{name: 1.0 for name in POSITIVE_RATES + NEGATIVE_RATES},
    **{name: 1.0 for name in PENALTIES},
}
SCORINGS = ("good_rate", "points")
MAX_NOTE = 500  # satisfaction as 好评率, or the 10/8/6/3/0 mapping


def score(figures: Mapping[str, Any], weights: Mapping[str, float], scoring: str) -> float | None:
    """Σ weight × metric over the rates counted (as 0–100), divided by the weights used, less
    weight × count for each overdue case and bad rating. ``points`` scores satisfaction by
    the 10/8/6/3/0 mapping (×10) instead of 好评率. None when no rate was counted."""
    total = used = 0.0
    for name in POSITIVE_RATES + NEGATIVE_RATES:
        value = figures.get(name)
        if name == "good_rate" and scoring == "points":
            points = satisfaction_points(figures.get("ratings_by_level") or {})
            value = None if points is None else points / 10
        if value is None:
            continue
        if name in NEGATIVE_RATES:
            value = 1 - value
        total += weights.get(name, 0.0) * value * 100
        used += weights.get(name, 0.0)
    if not used:
        return None
    penalty = sum(weights.get(name, 0.0) * figures.get(name, 0) for name in PENALTIES)
    return round(total / used - penalty, 2)


# ---- reading scorecards --------------------------------------------------------------------------


def _names(uow: UnitOfWork, dimension: str) -> dict[str, str]:
    if dimension == "clerk":
        rows = uow.session.execute(select(models.User.username, models.User.display_name))
        return dict(rows.all())
    if dimension == "service_item":
        return dict(
            uow.session.execute(select(models.ServiceItem.code, models.ServiceItem.name)).all()
        )
    names = dict(uow.session.execute(select(models.Department.code, models.Department.name)).all())
    if dimension == "window":
        return {code: f"{name}窗口" for code, name in names.items()}
    return names


def visible_keys(uow: UnitOfWork, user: models.User, dimension: str) -> set[str] | None:
    """The rows the user may read; None: every row. Supervisors and administrators read all,
    monitors read every row but a clerk's; a department head reads the department's row (its
    window too) and its clerks'; a clerk reads their own row."""
    if user.role_codes & CENTER_ROLES:
        return None
    if "monitor" in user.role_codes and dimension != "clerk":
        return None
    headed = headed_departments(uow, user)
    if dimension == "clerk":
        keys = {user.username} if access.works_cases(user) or headed else set()
        if headed:
            keys |= set(
                uow.session.scalars(
                    select(models.User.username)
                    .join(models.Department, models.Department.id == models.User.department_id)
                    .where(models.Department.code.in_(headed))
                )
            )
        if keys:
            return keys
    elif headed and dimension in ("department", "window"):
        return set(headed)
    raise Forbidden("没有查看此绩效考核的权限", code="scorecard_forbidden")


def _analytic(uow: UnitOfWork) -> None:
    """PostgreSQL settings for this transaction's aggregates: no JIT compilation (a plan it
    expects to be costly is compiled first, which costs these reads of a few hundred
    milliseconds more than running them), and the memory to deduplicate a year's rating
    attributions (about half a million rows at a million cases) without spilling to disk."""
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(text("SET LOCAL jit = off"))
        uow.session.execute(text(f"SET LOCAL work_mem = '{ANALYTIC_WORK_MEM}'"))


def scorecard(
    uow: UnitOfWork,
    user: models.User,
    date_from: Any,
    date_to: Any,
    by: str = "department",
) -> list[dict[str, Any]]:
    """The rows of one scorecard the user may read, best score first (ranked)."""
    if by not in DIMENSIONS:
        raise BadRequest(f"by 应为 {'/'.join(DIMENSIONS)}", {"field": "by"})
    period = period_of(date_from, date_to)
    allowed = visible_keys(uow, user, by)
    _analytic(uow)
    rows = _Rows()
    _case_figures(uow, rows, by, period)
    _rating_figures(uow, rows, by, period)
    if by == "department":
        _supervision_figures(uow, rows, period)
    names = _names(uow, by)
    weights = current_weights(uow)
    items = []
    for key, values in rows.values.items():
        if key is None or (allowed is not None and key not in allowed):
            continue
        figures = _metrics(values, weights["scoring"])
        figures["score"] = score(figures, weights["weights"], weights["scoring"])
        items.append({"key": key, "name": names.get(key, key), **figures})
    items.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["key"]))
    for rank, row in enumerate(items, start=1):
        row["rank"] = rank
    return items


def _weights_view(row: models.ScorecardWeights | None) -> dict[str, Any]:
    if row is None:
        return {
            "version": 0,
            "weights": dict(DEFAULT_WEIGHTS),
            "scoring": "good_rate",
            "note": "默认：各项权重相等",
            "created_by": None,
            "created_at": None,
        }
    return {
        "version": row.version,
        "weights": {**DEFAULT_WEIGHTS, **row.weights},
        "scoring": row.scoring,
        "note": row.note,
        "created_by": row.created_by,
        "created_at": views.iso(row.created_at),
    }


def current_weights(uow: UnitOfWork) -> dict[str, Any]:
    """The weights in force (default: equal) and how satisfaction is scored."""
    weights = models.ScorecardWeights
    return _weights_view(
        uow.session.scalars(select(weights).order_by(weights.version.desc()).limit(1)).first()
    )


def weight_history(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every version saved, newest first: what scored any past 通报 stays on record."""
    weights = models.ScorecardWeights
    rows = uow.session.scalars(select(weights).order_by(weights.version.desc()))
    return [_weights_view(row) for row in rows]


def save_weights(uow: UnitOfWork, user: models.User, body: Any) -> dict[str, Any]:
    """PUT /scorecards/weights (administrators): a new version over the one in force."""
    access.require_role(user, "admin")
    if not isinstance(body, dict):
        raise BadRequest("请求体应为对象")
    now = current_weights(uow)
    weights = body.get("weights", {})
    scoring = body.get("scoring", now["scoring"])
    note = body.get("note", "")
    problems = {}
    if not isinstance(weights, dict):
        problems["weights"] = "应为 {指标: 权重}"
    else:
        problems.update(
            {
                f"weights.{name}": "未知指标" if name not in DEFAULT_WEIGHTS else "应为 0–100 的数"
                for name, value in weights.items()
                if name not in DEFAULT_WEIGHTS or not _weight(value)
            }
        )
    merged = {**now["weights"], **(weights if not problems else {})}
    if not any(merged[name] for name in POSITIVE_RATES + NEGATIVE_RATES):
        problems["weights"] = "至少一项比率指标的权重应大于 0"
    if scoring not in SCORINGS:
        problems["scoring"] = f"应为 {'/'.join(SCORINGS)}"
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        problems["note"] = f"至多 {MAX_NOTE} 字"
    if problems:
        raise ValidationFailed("权重设置有误", {"fields": problems}, code="invalid_weights")
    row = models.ScorecardWeights(
        version=now["version"] + 1,
        weights={name: float(value) for name, value in merged.items()},
        scoring=scoring,
        note=note.strip(),
        created_by=user.username,
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("另一位管理员刚刚保存了权重，请刷新后重试", code="weights_changed") from None
    return _weights_view(row)


def _weight(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100


# ---- the spreadsheet -----------------------------------------------------------------------------

HEADERS = {
    "rank": "排名",
    "key": "编码",
    "name": "名称",
    "finished": "办结件数",
    "on_time_rate": "按期办结率",
    "early_rate": "提前办结率",
    "overdue": "超期件数",
    "avg_working_days": "平均办理工作日",
    "ratings": "评价数",
    "good_rate": "好评率",
    "bad": "差评数",
    "rectified_rate": "差评整改率",
    "proactive_rate": "主动评价率",
    "first_time_rate": "一次办成率",
    "supplement_rate": "补正率",
    "rejection_rate": "不予受理率",
    "supervision_on_time_rate": "督办按期反馈率",
    "score": "综合得分",
}
DIMENSION_NAMES = {
    "department": "部门",
    "window": "窗口",
    "clerk": "工作人员",
    "service_item": "事项",
}


def scorecard_xlsx(rows: list[dict[str, Any]], by: str, first: str, last: str) -> tuple[str, bytes]:
    """(file name, bytes): the table as the API gives it, rates as percentages."""
    book = Workbook()
    sheet = book.active
    sheet.title = DIMENSION_NAMES[by]
    sheet.append([HEADERS[name] for name in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        line = [row[name] for name in HEADERS]
        sheet.append(line)
        for name, cell in zip(HEADERS, sheet[sheet.max_row], strict=True):
            if name.endswith("_rate") and cell.value is not None:
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return f"绩效考核（{DIMENSION_NAMES[by]}）{first}至{last}.xlsx", out.getvalue()


# ---- the dashboard's data ------------------------------------------------------------------------

TREND_MONTHS = 12


def _months_before(last: date, count: int) -> list[Period]:
    """The ``count`` calendar months up to the one holding ``last``, oldest first."""
    periods = []
    first = last.replace(day=1)
    for _ in range(count):
        following = (first + timedelta(days=32)).replace(day=1)
        periods.append(Period(first, following - timedelta(days=1)))
        first = (first - timedelta(days=1)).replace(day=1)
    return periods[::-1]


def _month_of(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _trend(uow: UnitOfWork, by: str, allowed: set[str] | None, last: date) -> list[dict[str, Any]]:
    """Each of the twelve months up to ``last``: the distinct cases finished (F) in the rows
    the user reads, and how many of them on time. From ``scorecard_day`` when that counts no
    case twice: every row (its ``any_`` rows for departments and clerks, where a case has
    several), or a single one; otherwise from the live tables."""
    months = _months_before(last, TREND_MONTHS)
    span = Period(months[0].first, months[-1].last)
    if allowed is not None and len(allowed) != 1:
        counts = _live_trend(uow, by, allowed, span)
    else:
        d = models.ScorecardDay
        figures = _day_figures(uow)
        dimension = f"any_{by}" if allowed is None and by in ("department", "clerk") else by
        query = (
            select(d.finished_on, func.sum(figures["finished"]), func.sum(figures["on_time"]))
            .where(d.dimension == dimension, d.finished_on.between(span.first, span.last))
            .group_by(d.finished_on)
        )
        if allowed is not None:
            query = query.where(d.key.in_(sorted(allowed)))
        counts = defaultdict(lambda: (0, 0))
        for day, finished, on_time in uow.session.execute(query):
            month = day.strftime("%Y-%m")
            counts[month] = (counts[month][0] + finished, counts[month][1] + on_time)
    trend = []
    for period in months:
        finished, on_time = counts.get(period.first.strftime("%Y-%m"), (0, 0))
        trend.append(
            {
                "month": period.first.strftime("%Y-%m"),
                "finished": finished,
                "on_time_rate": _rate(on_time, finished),
            }
        )
    return trend


def _live_trend(
    uow: UnitOfWork, by: str, allowed: set[str], span: Period
) -> dict[str, tuple[int, int]]:
    """Per month, the distinct cases of F in any of the ``allowed`` rows and those on time."""
    dialect = uow.session.get_bind().dialect.name
    c, m = models.Case, members(by)
    month = _month_of(c.finished_at, dialect)
    query = (
        select(month, _cases(), _cases(on_time(dialect)))
        .select_from(c)
        .join(m, m.c.case_id == c.id)
        .where(finished_in(span), m.c.key.in_(sorted(allowed)))
        .group_by(month)
    )
    return {key: (finished, on_time) for key, finished, on_time in uow.session.execute(query)}


def trend(
    uow: UnitOfWork, user: models.User, date_from: Any, date_to: Any, by: str = "department"
) -> list[dict[str, Any]]:
    """The dashboard's monthly trend: the twelve months up to ``to``, over the rows the user
    reads."""
    if by not in DIMENSIONS:
        raise BadRequest(f"by 应为 {'/'.join(DIMENSIONS)}", {"field": "by"})
    period = period_of(date_from, date_to)
    return _trend(uow, by, visible_keys(uow, user, by), period.last)


def lights(uow: UnitOfWork, user: models.User, by: str = "department") -> dict[str, int]:
    """The dashboard's light distribution: the running cases the user may see, by light —
    for whoever may read the ``by`` scorecard."""
    if by not in DIMENSIONS:
        raise BadRequest(f"by 应为 {'/'.join(DIMENSIONS)}", {"field": "by"})
    visible_keys(uow, user, by)
    visible = access.visible_cases(user)
    return {
        light: uow.session.scalar(
            select(func.count())
            .select_from(models.Case)
            .where(visible, models.Case.status == "running", light_clause(uow, light))
        )
        for light in ("green", "yellow", "red")
    }


def ratings_by_level(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The dashboard's ratings by level: the scorecard rows' counted ratings added up."""
    return {str(n): sum(row["ratings_by_level"][str(n)] for row in rows) for n in range(1, 6)}


def dashboard(
    uow: UnitOfWork, user: models.User, date_from: Any, date_to: Any, by: str = "department"
) -> dict[str, Any]:
    """What the 绩效考核 page and the 大屏 draw: the rows (the ranking), each month's finished
    cases and on-time rate over the rows the user reads, ratings by level, and the open cases
    by light."""
    rows = scorecard(uow, user, date_from, date_to, by)
    return {
        "rows": rows,
        "trend": trend(uow, user, date_from, date_to, by),
        "ratings_by_level": ratings_by_level(rows),
        "lights": lights(uow, user, by),
    }


# ---- the monthly 通报 ----------------------------------------------------------------------------

CIRCULAR_ISSUER = "office"  # 县政府办公室 issues the month's 通报


def monthly_circular(uow: UnitOfWork, user: models.User, month: Any) -> Notice:
    """The month's 绩效考核通报 (``month``: ``YYYY-MM``): every department's figures ranked by
    score, ready for the notice layout (web/notices.py render_pdf)."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise BadRequest("month 应为 YYYY-MM", {"field": "month"}) from None
    period = _months_before(first, 1)[0]
    rows = scorecard(uow, user, period.first.isoformat(), period.last.isoformat(), "department")
    finished = sum(row["finished"] for row in rows)
    overdue = sum(row["overdue"] for row in rows)
    names = _names(uow, "department")

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    title_month = f"{first.year}年{first.month}月"
    table = NoticeTable(
        caption=f"{title_month}各部门绩效考核排名",
        columns=["排名", "部门", "办结件数", "按期办结率", "综合得分"],
        rows=[
            [
                str(row["rank"]),
                row["name"],
                str(row["finished"]),
                percent(row["on_time_rate"]),
                "—" if row["score"] is None else f"{row['score']:.2f}",
            ]
            for row in rows
        ],
        keys=["no", "department", "finished", "on_time_rate", "score"],
    )
    return Notice(
        kind="scorecard",
        ref=month,
        title=f"关于{title_month}政务服务绩效考核情况的通报",
        doc_no=f"绩效〔{first.year}〕{first.month}号",
        issued_on=None,
        issue_date=cn_date(period.last + timedelta(days=1)),
        recipient="各有关单位",
        case_no="",
        item_name="",
        department="",
        issuer=names.get(CIRCULAR_ISSUER, "县政府办公室"),
        paragraphs=[
            f"{title_month}，各部门共办结 {finished} 件，超期 {overdue} 件。"
            "现将各部门办件效率与群众满意度考核情况通报如下。"
        ],
        tables=[table],
        closing=["请排名靠后、存在超期件和差评的单位认真分析原因，限期整改。"],
    )
