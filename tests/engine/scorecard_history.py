"""Cases with known histories for the 绩效考核 tests, in March 2019 (no other test writes there).

Two departments of their own (``scA``, ``scB``), their clerks and heads, cases with chosen
acceptance, due and finish days, pauses, steps, ratings and supervision items — rows as the
services leave them, so each figure of DOMAIN.md can be worked out by hand below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from engine import models
from engine.security import hash_password
from engine.services import scorecard_days
from engine.uow import UnitOfWork
from engine.workdays import LOCAL_TZ

from ..conftest import DEMO_PASSWORD

PERIOD = ("2019-03-01", "2019-03-31")
DEPARTMENTS = {"scA": ("绩效甲局", "sc_heada"), "scB": ("绩效乙局", "sc_headb")}
CLERKS = {"sc_a1": "scA", "sc_a2": "scA", "sc_b1": "scB", "sc_heada": "scA", "sc_headb": "scB"}
WINDOW = "scW"  # the intake window of every case below
STEP_WAITING, STEP_HANDLING = 1.0, 2.0  # c1's step 初审, in working days

# What DOMAIN.md's formulas give for the history below (worked out in the comments of ``build``).
EXPECTED = {
    ("department", "scA"): {
        "finished": 4,
        "on_time_rate": 0.75,
        "early_rate": 0.25,
        "overdue": 2,
        "avg_working_days": 2.75,
        "first_time_rate": 0.5,
        "supplement_rate": round(1 / 7, 4),
        "rejection_rate": round(1 / 7, 4),
        "ratings": 3,
        "good_rate": round(1 / 3, 4),
        "bad": 2,
        "rectified_rate": 0.5,
        "proactive_rate": 0.75,
        "supervision_on_time_rate": 0.5,
    },
    ("department", "scB"): {
        "finished": 1,
        "on_time_rate": 1.0,
        "early_rate": 0.0,
        "overdue": 0,
        "avg_working_days": 2.0,
        "ratings": 0,
        "good_rate": None,
        "rectified_rate": None,
        "proactive_rate": 0.0,
        "supervision_on_time_rate": None,
    },
    ("clerk", "sc_a1"): {"finished": 3, "on_time_rate": 1.0, "ratings": 2, "bad": 1},
    ("clerk", "sc_a2"): {"finished": 1, "on_time_rate": 0.0, "overdue": 1, "bad": 1},
}


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    """A local time, stored as the services store theirs: in UTC."""
    return datetime(2019, month, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


def build(uow: UnitOfWork) -> None:
    """The history, once per database (the database lives for the whole test session)."""
    session = uow.session
    if session.scalar(select(models.Department).where(models.Department.code == "scA")):
        return
    depts = {}
    for code, (name, head) in DEPARTMENTS.items():
        depts[code] = models.Department(code=code, name=name, head_username=head)
        session.add(depts[code])
    roles = {r.code: r for r in session.scalars(select(models.Role))}
    secret = hash_password(DEMO_PASSWORD)
    for username, dept in CLERKS.items():
        role = "approver" if username.startswith("sc_head") else "window"
        session.add(
            models.User(
                username=username,
                display_name=f"绩效{username}",
                password_hash=secret,
                department=depts[dept],
                roles=[roles[role]],
            )
        )
    session.flush()
    promised, instant, handling_item = _items(uow)

    def case(no: str, item: models.ServiceItem, **fields: Any) -> models.Case:
        row = models.Case(
            case_no=f"SC2019{no}",
            service_item_code=item.code,
            definition_id=_definition(uow, item),
            applicant_kind="person",
            applicant_name="绩效测试",
            applicant_id_type="居民身份证",
            applicant_id_number="330182199001011234",
            query_password_hash="-",
            intake_department=WINDOW,
            created_by="sc_a1",
            created_at=at(1, 9),
            status="finished" if fields.get("finished_at") else "running",
            clock_state="stopped" if fields.get("finished_at") else "running",
            **fields,
        )
        session.add(row)
        session.flush()
        return row

    def step(row: models.Case, dept: str, clerk: str | None, done: datetime | None) -> None:
        session.add(
            models.HumanTask(
                id=f"{row.case_no}-{dept}-{clerk}",
                case_id=row.id,
                spec_name="step",
                name="审查",
                department_code=dept,
                state="completed" if clerk else "ready",
                completed_by=clerk,
                completed_at=done,
                created_at=at(1, 9),
            )
        )

    # c1: scA/sc_a1, accepted Mon 4th, due Fri 8th, finished 7th — early; 3 working days.
    # Its step 初审 was created on the 4th, claimed on the 5th and completed on the 7th: it
    # waited 1 working day and was handled in 2 (STEP_WAITING, STEP_HANDLING).
    c1 = case("01", promised, accepted_at=at(4), due_date=date(2019, 3, 8), finished_at=at(7))
    session.add(
        models.HumanTask(
            id="SC201901-review",
            case_id=c1.id,
            spec_name="review",
            name="初审",
            department_code="scA",
            state="completed",
            completed_by="sc_a1",
            completed_at=at(7),
            created_at=at(4),
        )
    )
    session.add(
        models.CaseEvent(
            case_id=c1.id, at=at(5), actor="sc_a1", action="claim", task_id="SC201901-review"
        )
    )
    # c2: scA/sc_a1 and scB/sc_b1, finished on its due date; paused 5th–6th: 4 − 2 = 2 days;
    # one 补正 round
    c2 = case(
        "02",
        promised,
        accepted_at=at(4),
        due_date=date(2019, 3, 8),
        finished_at=at(8, 16),
        supplement_rounds=1,
    )
    session.add(
        models.ClockPause(
            case_id=c2.id,
            kind="supplement",
            start=date(2019, 3, 5),
            end=date(2019, 3, 6),
            started_by="sc_a1",
        )
    )
    step(c2, "scA", "sc_a1", at(5))
    step(c2, "scB", "sc_b1", at(8))
    # c3: scA/sc_a2, due 6th, finished 12th — late (6 working days); two visits
    c3 = case(
        "03",
        promised,
        accepted_at=at(4),
        due_date=date(2019, 3, 6),
        finished_at=at(12),
        visits=2,
    )
    step(c3, "scA", "sc_a2", at(12))
    # c4: scA, open on the 31st and past its due date (20th): overdue
    c4 = case("04", promised, accepted_at=at(1), due_date=date(2019, 3, 20))
    step(c4, "scA", None, None)
    # c5: a 即办件 of scA/sc_a1, taken in and finished on the 14th: on time, 0 days
    c5 = case("05", instant, accepted_at=at(14), finished_at=at(14, 11))
    step(c5, "scA", "sc_a1", at(14, 11))
    # c6: 不予受理 by scA/sc_a2 on the 15th
    c6 = case("06", promised, finished_at=at(15), result="1")
    step(c6, "scA", "sc_a2", at(15))
    # c7: accepted on the 25th by scA/sc_a1, finished in April: counted only as decided
    c7 = case(
        "07", promised, accepted_at=at(25), due_date=date(2019, 4, 10), finished_at=at(3, 10, 4)
    )
    step(c7, "scA", "sc_a1", at(25))
    # c8: scB, finished in February: outside the period
    c8 = case(
        "08",
        promised,
        accepted_at=at(20, 10, 2),
        due_date=date(2019, 3, 1),
        finished_at=at(27, 10, 2),
    )
    step(c8, "scB", "sc_b1", at(27, 10, 2))
    # A bad rating's handling (its own case): never a case of the scorecards
    handling = case("09", handling_item, accepted_at=at(13), finished_at=at(19), result="rectify")
    step(handling, "scA", "sc_heada", at(19))
    session.flush()

    def rating(row: models.Case, level: int, day: int, served: list[tuple[str, str]], **more):
        rated = models.Rating(
            case_id=row.id, stage="finish", level=level, channel="web", rated_at=at(day), **more
        )
        session.add(rated)
        session.flush()
        for dept, clerk in served:
            session.add(
                models.RatingAttribution(rating_id=rated.id, department_code=dept, username=clerk)
            )

    # scA: three counted ratings (one good, two bad), and a default one that never counts;
    # the bad ones' handling due on the 20th (closed on the 19th) and the 25th (still open)
    rating(c1, 1, 8, [("scA", "sc_a1")])
    rating(
        c3,
        5,
        13,
        [("scA", "sc_a2")],
        handling_case_id=handling.id,
        handling_due_date=date(2019, 3, 20),
    )
    rating(c2, 2, 9, [("scA", "sc_a1"), ("scB", "sc_b1")], is_default=True)
    rating(c5, 4, 14, [("scA", "sc_a1")], handling_due_date=date(2019, 3, 25))
    # 督办: two items led by scA due in March, one answered in time
    for seq, due, answered in ((9001, 20, at(19)), (9002, 22, None)):
        session.add(
            models.SupervisionItem(
                no=f"督办〔2019〕第{seq}号",
                year=2019,
                seq=seq,
                source="manual",
                problem="测试",
                required_action="测试",
                lead_department="scA",
                due_working_days=5,
                due_date=date(2019, 3, due),
                issued_by="office1",
                issued_at=at(11),
                feedback_at=answered,
            )
        )
    # rows written directly, not through the services: count the finished cases in as the
    # migration does
    session.flush()
    scorecard_days.rebuild(session.connection())


def _items(uow: UnitOfWork) -> tuple[models.ServiceItem, models.ServiceItem, models.ServiceItem]:
    items = list(uow.session.scalars(select(models.ServiceItem).order_by(models.ServiceItem.code)))
    promised = next(i for i in items if i.case_type == "promised" and not i.internal)
    instant = next(i for i in items if i.case_type == "instant" and not i.internal)
    handling = next(i for i in items if i.internal)
    return promised, instant, handling


def _definition(uow: UnitOfWork, item: models.ServiceItem) -> int:
    return uow.session.scalars(
        select(models.ProcessDefinition.id)
        .where(models.ProcessDefinition.key == item.process_key)
        .order_by(models.ProcessDefinition.version.desc())
    ).first()
