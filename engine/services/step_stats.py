"""The designer's per-step stats of a model version at a million cases: sums kept for ended
cases, the other cases read raw.

Per user task: ``waiting`` — the distinct cases with a ready or claimed row; ``completed`` —
the completed steps (a step's own row, not its approval-chain levels); ``avg_dwell_hours`` —
their mean completed_at − created_at. Read raw, that is every step of every case of the
version (2.5–5 s at a million cases). But an ended case never changes again — it cannot be
migrated, withdrawn or given a step — so what it adds is final: folding adds an ended case's
steps to ``step_stats`` and sets its ``stats_folded`` in the same transaction, and ``read``
adds those sums to the raw figures of the cases not folded (the running ones, and the ones
ended since the last fold: a partial index holds them), in one statement — one snapshot sees
both sides, so the figures are exact whenever the last fold ran.

The migration folds every case ended before it (``fold_all``); the scheduler folds the cases
that end later on each pass (``fold``, services/scheduling.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    distinct,
    func,
    literal,
    not_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import models
from ..uow import UnitOfWork

ENDED_STATUSES = ("finished", "closed", "cancelled")
OPEN_STATES = ("ready", "claimed")
FOLD_BATCH = 10_000  # cases per scheduler pass: one pass stays short however far behind


def _dwell_hours(dialect: str) -> ColumnElement[Any]:
    task = models.HumanTask
    if dialect == "postgresql":
        return func.extract("epoch", task.completed_at - task.created_at) / 3600.0
    return (func.julianday(task.completed_at) - func.julianday(task.created_at)) * 24.0


def _sums(dialect: str) -> tuple[ColumnElement[Any], ...]:
    """Completed steps (a step's own row: rows with a parent are its approval-chain levels or
    added signers), how many of them have a dwell, and its sum in hours."""
    task = models.HumanTask
    completed = (task.state == "completed") & task.parent_id.is_(None)
    dwell = _dwell_hours(dialect)
    return (
        func.count().filter(completed),
        func.count(dwell).filter(completed),
        func.coalesce(func.sum(dwell).filter(completed), 0.0),
    )


def unfolded() -> ColumnElement[bool]:
    """The cases read raw, in the words of their partial index (``ix_case_stats_unfolded``)."""
    return not_(models.Case.stats_folded)


def read(session: Session, definition_id: int) -> dict[str, dict[str, Any]]:
    """Per user task of the version: ``waiting``, ``completed``, ``avg_dwell_hours``."""
    task, case, kept = models.HumanTask, models.Case, models.StepStats
    raw = (
        select(
            task.spec_name,
            func.count(distinct(task.case_id)).filter(task.state.in_(OPEN_STATES)),
            *_sums(session.get_bind().dialect.name),
        )
        .join(case, case.id == task.case_id)
        .where(case.definition_id == definition_id, unfolded())
        .group_by(task.spec_name)
    )
    folded = select(
        kept.spec_name, literal(0), kept.completed, kept.dwell_count, kept.dwell_hours
    ).where(kept.definition_id == definition_id)
    found: dict[str, list[float]] = {}
    for spec, *figures in session.execute(union_all(raw, folded)):
        sums = found.setdefault(spec, [0, 0, 0, 0.0])
        for index, value in enumerate(figures):
            sums[index] += float(value or 0)  # PostgreSQL sums numeric, the table floats
    return {
        spec: {
            "waiting": int(waiting),
            "completed": int(completed),
            "avg_dwell_hours": round(hours / dwell_count, 2) if dwell_count else None,
        }
        for spec, (waiting, completed, dwell_count, hours) in found.items()
    }


def fold(uow: UnitOfWork, batch: int = FOLD_BATCH) -> int:
    """Fold up to ``batch`` cases ended since the last fold; returns how many.

    Their rows are locked first (``SKIP LOCKED``: two schedulers fold different cases), so the
    cases summed are exactly the cases marked.
    """
    case = models.Case
    ended = (
        select(case.id)
        .where(unfolded(), case.status.in_(ENDED_STATUSES))
        .order_by(case.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    ids = list(uow.session.scalars(ended))
    if ids:
        _add(uow.session.connection(), case.id.in_(ids))
        uow.session.execute(
            update(case).where(case.id.in_(ids)).values(stats_folded=True),
            execution_options={"synchronize_session": False},
        )
    return len(ids)


def fold_all(connection: Connection) -> None:
    """Fold every ended case at once, with nothing else running (the migration, a bulk load)."""
    case = models.Case
    ended = unfolded() & case.status.in_(ENDED_STATUSES)
    _add(connection, ended)
    connection.execute(update(case).where(ended).values(stats_folded=True))


def _add(connection: Connection, cases: ColumnElement[bool]) -> None:
    """Add the completed steps of the (ended) ``cases`` to the sums."""
    task, case, kept = models.HumanTask, models.Case, models.StepStats
    dialect_name = connection.dialect.name
    rows = (
        select(case.definition_id, task.spec_name, *_sums(dialect_name))
        .join(case, case.id == task.case_id)
        .where(cases)
        .group_by(case.definition_id, task.spec_name)
        .order_by(case.definition_id, task.spec_name)  # one lock order for concurrent folds
    )
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    for definition_id, spec, completed, dwell_count, dwell_hours in connection.execute(rows):
        if not completed:
            continue
        upsert = dialect.insert(kept).values(
            definition_id=definition_id,
            spec_name=spec,
            completed=completed,
            dwell_count=dwell_count,
            dwell_hours=float(dwell_hours),
        )
        connection.execute(
            upsert.on_conflict_do_update(
                index_elements=[kept.definition_id, kept.spec_name],
                set_={
                    "completed": kept.completed + upsert.excluded.completed,
                    "dwell_count": kept.dwell_count + upsert.excluded.dwell_count,
                    "dwell_hours": kept.dwell_hours + upsert.excluded.dwell_hours,
                },
            )
        )
