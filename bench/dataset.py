"""A county's years of cases in minutes: bulk ``INSERT … SELECT generate_series`` on PostgreSQL.

Two years of cases over the demo's public items, oldest first: each one's steps as its model
lists them (``human_task``, with departments, roles and due dates), its history (``case_event``:
start, one completion per step, finish), its clock and light. The newest 5% are still running:
their current step is open in its department, the clock running (or not started, or paused) with
due dates around today — red, yellow and green — and about one finished case in five finished late.

Generated cases carry no workflow state (``workflow_task``): they are read — inboxes, searches,
lights, stats — while the completions of the benchmark run on cases it starts itself. The ended
ones are summed for the designer's stats as the migration sums existing cases
(``step_stats.fold_all``).

``python -m bench.dataset --keep NAME --cases N`` generates into a database that stays, for
``python -m bench.quickreads --database NAME`` to measure the reads again and again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.services import step_stats
from engine.services.scheduling import run_pass

from .databases import create_database, database_url, drop_database, prepared
from .settings import DATASET_CASES

RUNNING_SHARE = 0.05
DAYS = 730
ITEM_TYPE = "98"  # case numbers of their own: the day's counter never draws them
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞"


@dataclass(frozen=True)
class Step:
    definition_id: int
    position: int
    spec_name: str
    name: str
    department: str
    role: str | None
    due_days: int | None


def _items(engine: Engine) -> list[dict[str, Any]]:
    """The public items with their newest model version and promised limit."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                models.ServiceItem.code, models.ServiceItem.process_key, models.ServiceItem.guide
            )
        ).all()
        found = []
        for code, key, guide in rows:
            if (guide or {}).get("internal") or code.startswith("BENCH-"):
                continue
            definition = connection.execute(
                select(models.ProcessDefinition.id)
                .where(models.ProcessDefinition.key == key)
                .order_by(models.ProcessDefinition.version.desc())
                .limit(1)
            ).scalar_one()
            limit = guide.get("promised_limit") or guide.get("legal_limit") or {}
            found.append(
                {"code": code, "definition": definition, "days": int(limit.get("days", 0))}
            )
    return found


def _steps(engine: Engine, definitions: list[int]) -> list[Step]:
    """Each model's user tasks in the order it lists them, the 补正 step left out."""
    steps = []
    with engine.connect() as connection:
        for definition_id in definitions:
            meta = connection.execute(
                select(models.ProcessDefinition.task_meta).where(
                    models.ProcessDefinition.id == definition_id
                )
            ).scalar_one()
            specs = [(spec, info) for spec, info in meta.items() if spec != "supplement"]
            for position, (spec, info) in enumerate(specs, start=1):
                due = info.get("due_working_days")
                steps.append(
                    Step(
                        definition_id,
                        position,
                        spec,
                        info.get("name") or spec,
                        info.get("department") or "window",
                        info.get("role"),
                        int(due) if due else None,
                    )
                )
    return steps


def _values(rows: list[tuple[Any, ...]]) -> str:
    """A VALUES list of our own numbers and names (never user input), for a bulk statement."""

    def literal(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, int):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


CASES = """
INSERT INTO "case" (case_no, service_item_code, definition_id, status, result, applicant_kind,
    applicant_name, applicant_id_type, applicant_id_number, applicant_phone, channel,
    query_password_hash, intake_department, created_by, created_at, accepted_at, finished_at,
    due_date, clock_state, visits, supplement_rounds, data, workflow, version)
SELECT '339901' || to_char(g.at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '{item_type}'
        || lpad((g.i % 100000)::text, 5, '0'),
    it.code, it.definition,
    CASE WHEN g.running THEN 'running' ELSE 'finished' END,
    CASE WHEN g.running THEN NULL ELSE '1' END,
    CASE WHEN g.i % 3 = 0 THEN 'enterprise' ELSE 'person' END,
    CASE WHEN g.i % 3 = 0 THEN '青山' || substr(:given, 1 + g.i % {given}, 2) || '商贸有限公司'
         ELSE substr(:surnames, 1 + g.i % {surnames}, 1)
              || substr(:given, 1 + (g.i / {surnames}) % {given}, 1)
              || CASE WHEN g.i % 2 = 0
                      THEN substr(:given, 1 + (g.i / {surnames} / {given}) % {given}, 1)
                      ELSE '' END
    END,
    '居民身份证', lpad(((g.i::bigint * 7919) % 1000000000000000000)::text, 18, '3'),
    '138' || lpad((g.i % 100000000)::text, 8, '0'), 'window', 'generated', 'window',
    CASE WHEN g.i % 2 = 0 THEN 'window1' ELSE 'window2' END,
    g.at, g.at,
    CASE WHEN g.running THEN NULL
         ELSE g.at + interval '1 day' * (greatest(it.days, 1) * 1.6 * ((g.i * 37) % 100) / 100.0)
                   + interval '1 hour' END,
    (g.at AT TIME ZONE 'Asia/Shanghai')::date + ceil(it.days * 1.4)::int,
    CASE WHEN NOT g.running THEN 'stopped' WHEN g.i % 10 = 0 THEN 'not_started'
         WHEN g.i % 10 = 1 THEN 'paused' ELSE 'running' END,
    1, CASE WHEN g.i % 7 = 0 THEN 1 ELSE 0 END, '{{}}'::json, '{{}}'::json, 1
FROM (
    SELECT i, now() - interval '1 day' * {days} * (1 - i::float8 / :n) AS at,
        i > :n * (1 - {running}) AS running
    FROM generate_series(1, :n) AS i
) AS g
JOIN (VALUES {items}) AS it(k, code, definition, days) ON it.k = g.i % {item_count}
"""

# A running case has reached step ``1 + id % steps`` (open, in its department); every step
# before it, and every step of a finished case, is completed.
TASKS = """
INSERT INTO human_task (id, case_id, spec_name, name, department_code, role, state, created_at,
    completed_at, completed_by, due_date, due_working_days)
SELECT md5(c.id || '/' || s.position)::uuid::text, c.id, s.spec, s.name, s.department, s.role,
    CASE WHEN c.status = 'running' AND s.position = 1 + c.id % s.steps THEN 'ready'
         ELSE 'completed' END,
    c.created_at + (c.finished_at_or_now - c.created_at) * (s.position - 1) / s.steps,
    CASE WHEN c.status = 'running' AND s.position = 1 + c.id % s.steps THEN NULL
         ELSE c.created_at + (c.finished_at_or_now - c.created_at) * s.position / s.steps END,
    CASE WHEN s.department = 'window' THEN c.created_by ELSE s.department || '1' END,
    (c.created_at AT TIME ZONE 'Asia/Shanghai')::date + coalesce(s.due_days, 0) + s.position,
    s.due_days
FROM (
    SELECT id, definition_id, status, created_at, created_by,
        coalesce(finished_at, now()) AS finished_at_or_now
    FROM "case" WHERE id > :after
) AS c
JOIN (
    SELECT v.*, count(*) OVER (PARTITION BY v.definition) AS steps
    FROM (VALUES {steps}) AS v(definition, position, spec, name, department, role, due_days)
) AS s ON s.definition = c.definition_id
WHERE c.status = 'finished' OR s.position <= 1 + c.id % s.steps
"""

EVENTS = [
    """INSERT INTO case_event (case_id, at, actor, action, detail)
    SELECT id, created_at, created_by, 'start', '{}'::json FROM "case" WHERE id > :after""",
    """INSERT INTO case_event (case_id, at, actor, action, task_id, task_name, detail)
    SELECT case_id, completed_at, completed_by, 'complete', id, name, '{}'::json
    FROM human_task WHERE state = 'completed' AND case_id > :after""",
    """INSERT INTO case_event (case_id, at, actor, action, detail)
    SELECT id, finished_at, 'system', 'finish', '{"result": "1"}'::json
    FROM "case" WHERE status = 'finished' AND id > :after""",
]


# Each step's 新待办 to the users of its department, as announce_new_tasks writes them: read
# once the step is done (close_settled), unread while it is open — what every completion's
# close_settled searches by case (issue 16: it once read every user's unread notices).
NOTICES = """
INSERT INTO notification (username, kind, case_id, task_id, message, created_at, read_at)
SELECT u.username, 'new_task', t.case_id, t.id, '新待办：' || t.name, t.created_at,
    CASE WHEN t.state IN ('ready', 'claimed') THEN NULL ELSE t.completed_at END
FROM human_task t
JOIN department d ON d.code = t.department_code
JOIN user_account u ON u.department_id = d.id
WHERE t.case_id > :after
"""


def progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def generate(engine: Engine, cases: int, progress=print) -> dict[str, Any]:
    """Add ``cases`` generated cases with their steps and history; returns counts and times."""
    items = _items(engine)
    steps = _steps(engine, sorted({i["definition"] for i in items}))
    item_rows = [(k, i["code"], i["definition"], i["days"]) for k, i in enumerate(items)]
    step_rows = [
        (s.definition_id, s.position, s.spec_name, s.name, s.department, s.role, s.due_days)
        for s in steps
    ]
    timings: dict[str, float] = {}
    with engine.begin() as connection:
        after = connection.execute(text('SELECT coalesce(max(id), 0) FROM "case"')).scalar_one()
        started = time.perf_counter()
        progress(f"dataset: {cases:,} cases")
        connection.execute(
            text(
                CASES.format(
                    item_type=ITEM_TYPE,
                    days=DAYS,
                    running=RUNNING_SHARE,
                    items=_values(item_rows),
                    item_count=len(item_rows),
                    given=len(GIVEN),
                    surnames=len(SURNAMES),
                )
            ),
            {"n": cases, "given": GIVEN, "surnames": SURNAMES},
        )
        timings["cases_s"] = time.perf_counter() - started
        progress("dataset: their steps (human_task)")
        connection.execute(text(TASKS.format(steps=_values(step_rows))), {"after": after})
        timings["tasks_s"] = time.perf_counter() - started - timings["cases_s"]
        progress("dataset: their history (case_event)")
        for statement in EVENTS:
            connection.execute(text(statement), {"after": after})
        timings["events_s"] = time.perf_counter() - started - sum(timings.values())
        progress("dataset: the steps' notices (notification)")
        connection.execute(text(NOTICES), {"after": after})
        timings["notices_s"] = time.perf_counter() - started - sum(timings.values())
        progress("dataset: the ended cases' steps summed for the stats (step_stats.fold_all)")
        step_stats.fold_all(connection)
        timings["fold_s"] = time.perf_counter() - started - sum(timings.values())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # the fold rewrote every ended case: without a vacuum their old versions stay in the
        # partial indexes (twice the entries to read) until autovacuum comes round
        progress("dataset: VACUUM ANALYZE")
        connection.execute(text("VACUUM ANALYZE"))
        counts = {
            table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in ("case", "human_task", "case_event", "notification")
        }
    timings["total_s"] = time.perf_counter() - started
    scorecards = generate_ratings(engine, after, progress)
    return {
        "cases": cases,
        "rows": counts,
        **{k: round(v, 1) for k, v in timings.items()},
        **scorecards,
    }


# What the 绩效考核 scorecards read besides cases and steps (engine/services/scorecards.py):
# a finish rating for about one finished case in three — mostly 非常满意 and 满意, one in
# twenty-five bad (levels 4–5, their handling due ten days on), one in 97 a default rating
# (never counted), attributed to every department and clerk of the case's steps.
RATINGS = [
    """INSERT INTO rating (case_id, stage, level, reasons, comment, channel, client_address,
        is_default, rated_at, handling_due_date)
    SELECT id, 'finish', r.level, '[]'::json, '', 'web', '', id % 97 = 0,
        finished_at + interval '2 hours',
        CASE WHEN r.level >= 4
             THEN (finished_at AT TIME ZONE 'Asia/Shanghai')::date + 10 END
    FROM (
        SELECT id, finished_at,
            CASE WHEN id % 25 = 1 THEN 4 + id % 2 WHEN id % 5 = 2 THEN 3
                 WHEN id % 2 = 0 THEN 1 ELSE 2 END AS level
        FROM "case" WHERE status = 'finished' AND id > :after AND id % 3 = 0
    ) AS r""",
    """INSERT INTO rating_attribution (rating_id, department_code, username)
    SELECT DISTINCT r.id, t.department_code, t.completed_by
    FROM rating r JOIN human_task t ON t.case_id = r.case_id AND t.state = 'completed'
    WHERE r.case_id > :after""",
]


def generate_ratings(engine: Engine, after: int = 0, progress=print) -> dict[str, Any]:
    """Ratings for the generated cases above id ``after``, then the scorecards' day counts
    rebuilt: the cases were written in bulk, not finished through the services."""
    from engine.services.scorecard_days import rebuild

    started = time.perf_counter()
    with engine.begin() as connection:
        progress("dataset: ratings and their attribution")
        for statement in RATINGS:
            connection.execute(text(statement), {"after": after})
        rated = time.perf_counter() - started
        progress("dataset: the scorecards' day counts (scorecard_day, scorecard_rating_day)")
        days = rebuild(connection)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(
            text("ANALYZE rating, rating_attribution, scorecard_day, scorecard_rating_day")
        )
    return {
        "scorecard_rows": days,
        "ratings_s": round(rated, 1),
        "scorecard_day_s": round(time.perf_counter() - started - rated, 1),
    }


def first_pass(sessions: sessionmaker[Session]) -> float:
    """Seconds of one scheduler pass, the first after the data set arrived: its 督办 sweep
    meets a county's red cases at once."""
    started = time.perf_counter()
    run_pass(sessions, models.utcnow)
    return round(time.perf_counter() - started, 1)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dataset",
        description="Generate a data set into a PostgreSQL database that is kept, for "
        "`python -m bench.quickreads --database NAME` to read again and again.",
    )
    parser.add_argument("--keep", required=True, metavar="NAME", help="the database's name")
    parser.add_argument("--cases", type=int, default=DATASET_CASES)
    parser.add_argument("--drop", action="store_true", help="drop the database NAME and stop")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.drop:
        drop_database(args.keep)
        return 0
    with prepared("postgresql", create_database(args.keep)) as db:
        found = generate(db.engine, args.cases, progress)
        progress("dataset: the scheduler's first pass over them (the 督办 sweep: minutes)")
        found["first_scheduler_pass_s"] = first_pass(db.sessions)
        print(json.dumps(found, indent=2))
    print(f"kept: {database_url(args.keep)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
