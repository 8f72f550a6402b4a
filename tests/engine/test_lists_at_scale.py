"""Lists that stay cheap at a million cases (issue 16, must-show 3): the light filter in SQL
says what each case's own light says, counts stop at a limit, inboxes keep their rows and order,
and on PostgreSQL the partial indexes can serve those queries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import or_, select, update

from bench.explain import explain, selects_of
from engine import models, paging
from engine.services import cases as case_service
from engine.services import chains
from engine.services import clock as clock_service
from engine.services import tasks as task_service
from engine.uow import UnitOfWork
from engine.workdays import LOCAL_TZ, today

from .helpers import ENTERPRISE, complete, item_code, open_task, start, user
from .test_cases import SUPPLEMENT

ITEMS = ("个体工商户设立登记", "企业开办")  # a 即办件 (limit 0) and a promised limit


def _set(make_uow, case_no: str, **values: Any) -> None:
    with make_uow() as uow:
        uow.session.execute(
            update(models.Case).where(models.Case.case_no == case_no).values(**values)
        )


def _lights_listed(make_uow, case_no: str) -> tuple[list[str], str]:
    """The lights whose filter lists the case, and its own light."""
    with make_uow() as uow:
        admin = user(uow, "admin")
        listed = [
            light
            for light in case_service.LIGHTS
            if case_service.list_cases(uow, admin, q=case_no, light=light).items
        ]
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return listed, clock_service.list_light(uow, case)


def test_the_light_filter_says_what_each_case_light_says(uow) -> None:
    now = today()
    for item in ITEMS:
        case_no = start(uow, item)
        # a running clock, its due date from two days ago to well past every yellow window
        for offset in range(-2, 40):
            _set(
                uow,
                case_no,
                clock_state="running",
                status="running",
                due_date=now + timedelta(offset),
            )
            listed, own = _lights_listed(uow, case_no)
            assert listed == [own], (item, offset, listed, own)
        # finished: late from the first minute of the day after the due date, local time
        due = now - timedelta(days=3)
        midnight = datetime.combine(due + timedelta(days=1), time(), LOCAL_TZ).astimezone(UTC)
        for finished_at, light in (
            (midnight - timedelta(seconds=1), "none"),
            (midnight, "red"),
            (None, "none"),
        ):
            _set(
                uow,
                case_no,
                clock_state="stopped",
                status="finished",
                due_date=due,
                finished_at=finished_at,
            )
            assert _lights_listed(uow, case_no) == ([light], light), (item, finished_at)
        _set(
            uow,
            case_no,
            clock_state="not_started",
            status="running",
            due_date=None,
            finished_at=None,
        )
        assert _lights_listed(uow, case_no) == (["none"], "none")


def test_counts_stop_at_the_limit_and_say_so(uow, monkeypatch: pytest.MonkeyPatch) -> None:
    with uow() as u:
        code = item_code(u, "个体工商户设立登记")
    marker = f"限额测试{datetime.now().timestamp():.0f}"
    for _ in range(5):
        with uow() as u:
            case_service.start_case(u, user(u, "window1"), code, {**ENTERPRISE, "name": marker})
    monkeypatch.setattr(paging, "COUNT_LIMIT", 3)
    with uow() as u:
        admin = user(u, "admin")
        first = case_service.list_cases(u, admin, q=marker, per_page=2)
        last = case_service.list_cases(u, admin, q=marker, page=3, per_page=2)
        beyond = case_service.list_cases(u, admin, q=marker, page=4, per_page=2)
        whole = case_service.list_cases(u, admin, q=marker, per_page=5)
    assert (first.total, first.exact, first.has_more, len(first.items)) == (3, False, True, 2)
    assert (last.total, last.exact, last.has_more, len(last.items)) == (5, True, False, 1)
    assert (beyond.total, beyond.exact, beyond.has_more, beyond.items) == (3, False, False, [])
    assert (whole.total, whole.exact, whole.has_more) == (5, True, False)


def _inbox_as_one_query(u: UnitOfWork, clerk: models.User) -> list[str]:
    """``mine`` as a single OR, the way it read before it became a union of index scans."""
    task = models.HumanTask
    claimable = (
        task.assignee.is_(None)
        & chains.no_candidates()
        & (task.department_code == clerk.department_code)
        & or_(task.role.is_(None), task.role.in_(sorted(clerk.role_codes)))
    )
    named = task.assignee.is_(None) & chains.candidate_clause(clerk.username)
    rows = u.session.scalars(
        select(task.id)
        .where(task.state.in_(("ready", "claimed")))
        .where(or_(task.assignee == clerk.username, claimable, named))
        .order_by(task.due_date.is_(None), task.due_date, task.created_at, task.id)
    )
    return list(rows)


def test_an_inbox_pages_through_the_same_rows_in_the_same_order(uow) -> None:
    for _ in range(3):
        case_no = start(uow, "个体工商户设立登记")
        complete(uow, "window1", case_no, "受理并当场办结", SUPPLEMENT)
    step = open_task(uow, case_no, "补正材料")
    with uow() as u:  # one assigned, the others claimable
        task_service.claim(u, user(u, "window1"), step)
    for username in ("window1", "window2", "amr1"):
        with uow() as u:
            clerk = user(u, username)
            expected = _inbox_as_one_query(u, clerk)
            seen, page = [], 1
            while True:
                found = task_service.list_tasks(u, clerk, page=page, per_page=2)
                seen += [t["id"] for t in found.items]
                if not found.has_more:
                    break
                page += 1
        assert seen == expected, username


def _plans(u: UnitOfWork, call, table: str, *off: str) -> list[str]:
    """The plans of the SELECTs from ``table`` that ``call`` sends, sequential scans (and the
    ``off`` plan kinds) priced out: a test database is too small for the planner to choose an
    index on cost."""
    engine = u.session.get_bind()
    sent = [s for s in selects_of(engine, call) if f"FROM {table}" in s[0].split("WHERE")[0]]
    with engine.connect() as connection:
        for kind in ("seqscan", *off):
            connection.exec_driver_sql(f"SET enable_{kind} = off")
        return [explain(connection, statement) for statement in sent]


def test_postgresql_serves_inboxes_and_lights_from_partial_indexes(uow, backend) -> None:
    """Their conditions match the queries' own words — the values of ``state IN (…)`` written
    into the SQL, not parameters a prepared plan could not match."""
    if backend != "postgresql":
        pytest.skip("the partial and trigram indexes are planned by PostgreSQL here")
    with uow() as u:
        amr1, admin = user(u, "amr1"), user(u, "admin")
        department = _plans(
            u, lambda: task_service.list_tasks(u, amr1, scope="department"), "human_task"
        )
        mine = _plans(u, lambda: task_service.list_tasks(u, amr1), "human_task")
        red = _plans(u, lambda: case_service.list_cases(u, admin, light="red"), '"case"')
        search = lambda: case_service.list_cases(u, admin, q="2026010101")  # noqa: E731
        number = _plans(u, search, '"case"', "indexscan")  # the trigram indexes are bitmaps
    # which open-task index serves a department's inbox depends on the shared database's
    # statistics; that a partial index over open tasks does, not a scan of every task, does not
    assert "ix_human_task_open_" in department[0], department
    assert "Seq Scan on human_task" not in department[0], department
    assert "ix_human_task_open_" in mine[0] and "Seq Scan on human_task" not in mine[0], mine
    assert "ix_case_running_due" in red[0] and "ix_case_finished_late" in red[0], red
    assert "ix_case_case_no_trgm" in number[0] and "ix_case_applicant_trgm" in number[0], number
