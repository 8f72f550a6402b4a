"""The designer's per-step stats from sums kept for ended cases (engine/services/step_stats.py,
issue 16): whatever has been folded, the figures are the ones computed raw from every step.

Cases run through the real engine on a model of their own; the raw computation below is the
one the stats made before the sums existed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import distinct, func, select

from engine import models
from engine.catalogue import read_items, upsert_item
from engine.services import cases, designer, step_stats
from engine.services.models import deploy_model

from .helpers import ENTERPRISE, complete, user
from .test_migration import ROOT, V1, linear_model

KEY, CODE = "step_stats_fold", "TEST-STEP-STATS"


def _raw(session, definition_id: int) -> dict[str, dict[str, Any]]:
    """Every step of the version's cases, grouped: what the stats must say."""
    task = models.HumanTask
    if session.get_bind().dialect.name == "postgresql":
        dwell = func.extract("epoch", task.completed_at - task.created_at) / 3600.0
    else:
        dwell = (func.julianday(task.completed_at) - func.julianday(task.created_at)) * 24.0
    completed = (task.state == "completed") & task.parent_id.is_(None)
    rows = session.execute(
        select(
            task.spec_name,
            func.count(distinct(when((task.state.in_(("ready", "claimed")), task.case_id)))),
            func.sum(when((completed, 1), else_=0)),
            func.avg(when((completed, dwell))),
        )
        .join(models.Case, models.Case.id == task.case_id)
        .where(models.Case.definition_id == definition_id)
        .group_by(task.spec_name)
    )
    found = {spec: {"waiting": 0, "completed": 0, "avg_dwell_hours": None} for spec, *_ in V1}
    for spec, waiting, done, avg in rows:
        found[spec] = {
            "waiting": int(waiting or 0),
            "completed": int(done or 0),
            "avg_dwell_hours": round(float(avg), 2) if avg is not None else None,
        }
    return found


def _agree(make_uow) -> dict[str, dict[str, Any]]:
    with make_uow() as uow:
        stats = designer.stats(uow, user(uow, "designer1"), KEY, None)
        definition = uow.session.scalars(
            select(models.ProcessDefinition).where(models.ProcessDefinition.key == KEY)
        ).one()
        assert stats["elements"] == _raw(uow.session, definition.id)
        return stats["elements"]


def _folded(make_uow, case_no: str) -> bool:
    with make_uow() as uow:
        return uow.session.scalars(
            select(models.Case.stats_folded).where(models.Case.case_no == case_no)
        ).one()


def _dwell(make_uow, case_no: str, spec: str, hours: float) -> None:
    """Give a completed step a dwell of ``hours`` (the engine's own take milliseconds)."""
    with make_uow() as uow:
        case_id = select(models.Case.id).where(models.Case.case_no == case_no).scalar_subquery()
        row = uow.session.scalars(
            select(models.HumanTask).where(
                models.HumanTask.case_id == case_id, models.HumanTask.spec_name == spec
            )
        ).one()
        start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        row.created_at, row.completed_at = start, start + timedelta(hours=hours)


def test_stats_from_the_sums_equal_the_raw_figures_whatever_was_folded(uow) -> None:
    with uow() as u:
        deploy_model(u, None, KEY, linear_model(V1, KEY))
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        upsert_item(u, {**guide, "code": CODE, "name": "分步统计测试事项", "process_key": KEY})
    numbers = []
    for number in range(5):
        with uow() as u:
            numbers.append(cases.start_case(u, user(u, "window1"), CODE, ENTERPRISE).case.case_no)
        complete(uow, "window1", numbers[-1], "受理", {})
        _dwell(uow, numbers[-1], "intake", 1.5 * (number + 1))
    for case_no in numbers[:3]:
        complete(uow, "amr1", case_no, "审查", {})
    for case_no in numbers[:2]:
        complete(uow, "window1", case_no, "出证", {})  # these two end
    before = _agree(uow)
    assert before["intake"] == {"waiting": 0, "completed": 5, "avg_dwell_hours": 4.5}
    assert before["review"]["waiting"] == 2 and before["issue"]["completed"] == 2

    with uow() as u:  # one case at a time (of this test's or another's: the sums are global)
        assert step_stats.fold(u, batch=1) == 1
    _agree(uow)
    with uow() as u:
        while step_stats.fold(u, batch=3):
            pass
    assert _agree(uow) == before
    assert [_folded(uow, n) for n in numbers] == [True, True, False, False, False]

    complete(uow, "window1", numbers[2], "出证", {})  # ended since the fold: read raw
    after = _agree(uow)
    assert after["issue"]["completed"] == 3 and not _folded(uow, numbers[2])
    with uow() as u:
        assert step_stats.fold(u) >= 1
    assert _agree(uow) == after and _folded(uow, numbers[2])

    complete(uow, "amr1", numbers[3], "审查", {})
    complete(uow, "window1", numbers[3], "出证", {})
    with uow() as u:  # the migration's way: everything ended, at once
        step_stats.fold_all(u.session.connection())
    assert _folded(uow, numbers[3]) and not _folded(uow, numbers[4])
    final = _agree(uow)
    assert (final["review"]["waiting"], final["review"]["completed"]) == (1, 4)
