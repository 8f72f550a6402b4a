"""The finished cases of each scorecard row counted per day (``scorecard_day``), so a year's
scorecard adds up a few thousand rows instead of joining half a million cases to their steps.

Only what cannot change is counted: a finished case's figures — its finish and acceptance days,
due date, 补正 rounds, visits, the departments and clerks of its steps — are fixed when it
finishes, so ``record_finished`` counts it in once, in the transaction that finishes it
(``progress.finish_if_done``), and nothing updates it after. What can still change is left to
the reads over the live tables: running cases, ratings, supervision items, pauses; and the
working days (the calendar may be edited) and 即办件 (an item's type may be edited) are applied
when the rows are read (engine/services/scorecards.py).

One statement, ``_facts``, says what a case counts as, for a single case as for a whole table
(``rebuild``); tests/engine/test_scorecard_days.py checks the figures read from these rows
against the live computation and against the count of each figure's drill-down list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from .. import models
from ..models import EXCLUDED_OUTCOME
from ..uow import UnitOfWork
from .scorecard_rules import local_day, ratings_by, served

# The rows a case counts in, per dimension, and two rows for "in any department's or any
# clerk's row" (key ""), which the dashboard's trend adds up without counting a case twice.
STORED = ("department", "clerk", "window", "service_item", "any_department", "any_clerk")
COUNTS = (
    "cases",
    "accepted",
    "supplemented",
    "first_time",
    "with_due",
    "due_on_time",
    "due_early",
    "due_first_time",
    "due_accepted",
)
KEY = ("dimension", "finished_on", "key", "accepted_on", "service_item_code")
RATED = ("department", "clerk", "window", "service_item")
RATING_KEY = ("dimension", "rated_on", "key", "level")
RATING_COUNTS = ("ratings",)


def _members(dimension: str, case_id: int | None) -> Any:
    """Distinct (case_id, key) pairs of ``dimension`` (as scorecards.py's rows), of one case
    or of every case."""
    task, c = models.HumanTask, models.Case
    if dimension in ("department", "any_department"):
        key = task.department_code if dimension == "department" else literal("")
        query = select(task.case_id.label("case_id"), key.label("key"))
    elif dimension in ("clerk", "any_clerk"):
        key = task.completed_by if dimension == "clerk" else literal("")
        query = select(task.case_id.label("case_id"), key.label("key")).where(
            task.state == "completed", task.completed_by.is_not(None)
        )
    else:
        key = c.intake_department if dimension == "window" else c.service_item_code
        query = select(c.id.label("case_id"), key.label("key"))
    if case_id is not None:
        query = query.where(query.selected_columns.case_id == case_id)
    return query.distinct().subquery()


def _facts(case_id: int | None, dialect: str) -> Select[Any]:
    """The ``scorecard_day`` rows of one finished served case, or of every one: each of their
    rows' counts per (finish day, acceptance day, item)."""
    c = models.Case
    finished_on = local_day(c.finished_at, dialect)
    accepted_on = func.coalesce(local_day(c.accepted_at, dialect), finished_on)
    has_due = c.due_date.is_not(None)
    first_time = and_(c.supplement_rounds == 0, c.visits <= 1)

    def count(*conditions: ColumnElement[bool]) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0)) if conditions else func.count()

    counts = (
        count(),
        count(c.accepted_at.is_not(None)),
        count(c.supplement_rounds > 0),
        count(first_time),
        count(has_due),
        count(has_due, finished_on <= c.due_date),
        count(has_due, finished_on < c.due_date),
        count(has_due, first_time),
        count(has_due, c.accepted_at.is_not(None)),
    )
    finished = and_(c.status == "finished", c.finished_at.is_not(None), served())
    if case_id is not None:
        finished = and_(finished, c.id == case_id)
    parts = []
    for dimension in STORED:
        m = _members(dimension, case_id)
        parts.append(
            select(
                literal(dimension).label("dimension"),
                finished_on.label("finished_on"),
                m.c.key.label("key"),
                accepted_on.label("accepted_on"),
                c.service_item_code.label("service_item_code"),
                *(figure.label(name) for figure, name in zip(counts, COUNTS, strict=True)),
            )
            .select_from(c)
            .join(m, m.c.case_id == c.id)
            .where(finished)
            .group_by(m.c.key, finished_on, accepted_on, c.service_item_code)
        )
    return union_all(*parts)


def _rating_facts(rating_id: int | None, dialect: str, counted: bool = True) -> Select[Any]:
    """The ``scorecard_rating_day`` rows of one rating, or of every counted one: per row key,
    rating day and level, the number of ratings (each once per key). ``counted=False``: the
    rating's rows whether it counts now or not (to take out one whose appeal was upheld)."""
    rating = models.Rating
    rated_on = local_day(rating.rated_at, dialect)
    parts = []
    for dimension in RATED:
        query = ratings_by(dimension, counted)
        key = query.selected_columns.key
        if rating_id is not None:
            query = query.where(rating.id == rating_id)
        parts.append(
            query.add_columns(
                literal(dimension).label("dimension"),
                rated_on.label("rated_on"),
                rating.level.label("level"),
                func.count(func.distinct(rating.id)).label("ratings"),
            ).group_by(key, rated_on, rating.level)
        )
    return union_all(*parts)


def _upsert(
    uow: UnitOfWork,
    model: Any,
    keys: tuple[str, ...],
    counts: tuple[str, ...],
    rows: list[Any],
    sign: int = 1,
) -> None:
    """Add ``rows`` (their ``counts`` times ``sign``) to ``model``'s rows of the same ``keys``,
    making those missing; in key order, so two transactions lock shared rows alike."""
    if not rows:
        return
    dialect = uow.session.get_bind().dialect.name
    table = model.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in counts},
    )
    signed = [{**dict(row), **{name: sign * row[name] for name in counts}} for row in rows]
    signed.sort(key=lambda row: tuple(str(row[k]) for k in keys))
    uow.session.execute(statement, signed)


def record_finished(uow: UnitOfWork, case_row: models.Case) -> None:
    """Count a case that has just finished into its rows' days. Called once, as the case
    finishes; a bad rating's handling that upholds an appeal (申诉成立) takes the rating out."""
    dialect = uow.session.get_bind().dialect.name
    facts = uow.session.execute(_facts(case_row.id, dialect)).mappings()
    _upsert(uow, models.ScorecardDay, KEY, COUNTS, list(facts))
    if case_row.result != EXCLUDED_OUTCOME:
        return
    handled = select(models.Rating.id).where(
        models.Rating.handling_case_id == case_row.id, models.Rating.is_default.is_(False)
    )
    for rating_id in uow.session.scalars(handled).all():
        rows = uow.session.execute(_rating_facts(rating_id, dialect, counted=False)).mappings()
        _upsert(uow, models.ScorecardRatingDay, RATING_KEY, RATING_COUNTS, list(rows), -1)


def record_rating(uow: UnitOfWork, rating: models.Rating) -> None:
    """Count a rating just given (with its attribution) into its rows' days; a default rating
    never counts."""
    if rating.is_default:
        return
    dialect = uow.session.get_bind().dialect.name
    rows = uow.session.execute(_rating_facts(rating.id, dialect)).mappings()
    _upsert(uow, models.ScorecardRatingDay, RATING_KEY, RATING_COUNTS, list(rows))


def rebuild(connection: Connection) -> int:
    """Count every finished case and counted rating afresh (the migration that adds the
    tables, and data loaded in bulk outside the services); returns the rows written."""
    written = 0
    dialect = connection.dialect.name
    for model, facts, columns in (
        (models.ScorecardDay, _facts(None, dialect), (*KEY, *COUNTS)),
        (models.ScorecardRatingDay, _rating_facts(None, dialect), (*RATING_KEY, *RATING_COUNTS)),
    ):
        table = model.__table__
        connection.execute(delete(table))
        rows = facts.subquery()
        selected = select(*(rows.c[name] for name in columns))
        written += connection.execute(insert(table).from_select(columns, selected)).rowcount
    return written
