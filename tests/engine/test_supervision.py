"""督办 through the services: issue, feedback, review; the scheduler's sweep opening items for
red cases and escalating late ones (orange 催办通知书, red 通报) with a controllable clock."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import sessionmaker

from engine import models, supervision_notices
from engine.clock import add_working_days
from engine.db import make_engine, make_session_factory
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.services import attachments, escalation, ratings, supervision
from engine.services.ratings import RatingInput
from engine.services.supervision import ItemInput
from engine.uow import UnitOfWork
from engine.workdays import LOCAL_TZ, calendar, today

from .helpers import case_row, complete, start, user

PDF = b"%PDF-1.4 feedback scan"


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def working_day(uow, start_day: date, days: int) -> date:
    with uow() as u:
        return add_working_days(calendar(u), start_day, days)[0]


def issue(uow, days: int = 2, **extra) -> dict:
    given = {
        "problem": "市场监管局营业执照审核积压，超过 10 件未在时限内办结",
        "lead_department": "amr",
        "required_action": "清理积压件，三日内书面反馈原因和措施",
        "due_working_days": days,
        **extra,
    }
    with uow() as u:
        return supervision.issue(u, user(u, "office1"), "manual", ItemInput(**given))


def answer(uow, username: str, no: str, text: str = "已组织专人清理", files=(), upload_dir=None):
    with uow() as u:
        uploads = [attachments.Upload(name, data) for name, data in files]
        return supervision.feedback(u, user(u, username), no, text, uploads, upload_dir)


def review(uow, no: str, verdict: str, comment: str = "", days: int | None = None) -> dict:
    with uow() as u:
        return supervision.review(u, user(u, "office1"), no, verdict, comment, days)


def notes(uow, username: str, needle: str) -> list[str]:
    with uow() as u:
        return list(
            u.session.scalars(
                select(models.Notification.message).where(
                    models.Notification.username == username,
                    models.Notification.message.contains(needle),
                )
            )
        )


def test_numbers_count_per_year_and_the_deadline_is_in_working_days(uow):
    first, second = issue(uow), issue(uow, days=5, assisting_departments=["tax"])
    year = today().year
    pattern = re.compile(rf"督办〔{year}〕第(\d+)号")
    assert pattern.fullmatch(first["no"]) and pattern.fullmatch(second["no"])
    assert int(pattern.match(second["no"])[1]) == int(pattern.match(first["no"])[1]) + 1
    assert second["due_date"] == working_day(uow, today(), 5).isoformat()
    assert (second["status"], second["level"], second["source"]) == ("issued", "blue", "manual")
    assert second["assisting_departments"] == ["tax"]
    assert second["responsible_person"] == "amr_chief"  # the lead department's head
    assert [e["action"] for e in second["events"]] == ["issue"]
    assert notes(uow, "amr_chief", second["no"]) and notes(uow, "tax1", second["no"])


def test_bad_input_is_refused_with_every_field_named(uow):
    with uow() as u, pytest.raises(ValidationFailed) as refused:
        supervision.issue(
            u,
            user(u, "office1"),
            "overdue",
            ItemInput(
                problem="  ",
                lead_department="nowhere",
                required_action="办结",
                due_working_days=0,
                assisting_departments=["amr", "ghost"],
                case_nos=["NO-SUCH-CASE"],
            ),
        )
    fields = refused.value.details["fields"]
    assert set(fields) == {
        "problem",
        "lead_department",
        "due_working_days",
        "assisting_departments",
        "case_nos",
        "source",
    }
    for days in (-1, True, "3", 1000):
        with uow() as u, pytest.raises(ValidationFailed):
            supervision.issue(
                u,
                user(u, "office1"),
                None,
                ItemInput("积压", "amr", "清理", days),
            )


@pytest.mark.parametrize("username", ["amr_chief", "admin", "monitor1", "window1"])
def test_only_supervisors_issue(uow, username):
    with uow() as u, pytest.raises(Forbidden):
        supervision.issue(u, user(u, username), None, ItemInput("积压", "amr", "清理", 3))


def test_feedback_send_back_feedback_close(uow, tmp_path):
    item = issue(uow, assisting_departments=["tax"])
    no = item["no"]
    with pytest.raises(Conflict):
        review(uow, no, "close")  # nothing to review yet
    helped = answer(uow, "tax1", no, "税务局已配合核查", upload_dir=tmp_path)
    assert helped["status"] == "issued", "an assisting department's feedback does not answer"
    answered = answer(uow, "amr_chief", no, files=[("清理台账.pdf", PDF)], upload_dir=tmp_path)
    assert answered["status"] == "feedback"
    [first, second] = answered["feedback"]
    assert (first["role"], second["role"]) == ("assist", "lead")
    assert second["files"] == [
        {"n": 1, "filename": "清理台账.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    with uow() as u:
        path, name, _type = supervision.feedback_file(
            u, user(u, "office1"), no, second["id"], 1, tmp_path
        )
    assert path.read_bytes() == PDF and name == "清理台账.pdf"
    assert notes(uow, "office1", f"{no} 已收到")

    with uow() as u, pytest.raises(ValidationFailed) as refused:
        supervision.review(u, user(u, "office1"), no, "send_back", "", 0)
    assert set(refused.value.details["fields"]) == {"comment", "due_working_days"}
    back = review(uow, no, "send_back", "措施不具体，请补充时间表", 3)
    assert (back["status"], back["round"], back["level"]) == ("issued", 2, "blue")
    assert back["due_date"] == working_day(uow, today(), 3).isoformat()
    assert notes(uow, "amr_chief", "退回重办")
    answer(uow, "amr_chief", no, "补充：本周五前全部办结", upload_dir=tmp_path)
    closed = review(uow, no, "close", "同意销号")
    assert (closed["status"], closed["closed_by"]) == ("closed", "office1")
    assert [e["action"] for e in closed["events"]] == [
        "issue",
        "feedback",
        "feedback",
        "send_back",
        "feedback",
        "close",
    ]
    with pytest.raises(Conflict):
        answer(uow, "amr_chief", no, upload_dir=tmp_path)
    with pytest.raises(Conflict):
        review(uow, no, "close")


def test_who_may_read_and_answer(uow, tmp_path):
    no = issue(uow)["no"]
    with pytest.raises(NotFound):
        answer(uow, "psb1", no, upload_dir=tmp_path)  # another department does not see it
    for reader in ("office1", "admin", "monitor1", "amr1", "amr_chief"):
        with uow() as u:
            assert supervision.get_item(u, user(u, reader), no)["no"] == no
    for stranger in ("psb1", "window1"):
        with uow() as u, pytest.raises(NotFound):
            supervision.get_item(u, user(u, stranger), no)
    for outsider in ("designer1", "commissioner1"):
        with uow() as u, pytest.raises(Forbidden):
            supervision.get_item(u, user(u, outsider), no)
    for read_only in ("monitor1", "admin", "office1"):
        with pytest.raises(Forbidden):
            answer(uow, read_only, no, upload_dir=tmp_path)
    with pytest.raises(Forbidden), uow() as u:
        supervision.review(u, user(u, "amr_chief"), no, "close", "")


def at_once(database_url: str, count: int, work: Callable[[sessionmaker], Any]) -> list[Any]:
    """``work`` run by ``count`` processes' worth of engines at the same moment (a barrier):
    what each returned."""
    engines = [make_engine(database_url) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list[Any] = []

    def run(engine) -> None:
        factory = make_session_factory(engine)
        barrier.wait()
        results.append(work(factory))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for engine in engines:
            engine.dispose()
    return results


def test_two_issuers_never_draw_the_same_number(uow, database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    numbers = at_once(database_url, 4, lambda factory: issue(lambda: UnitOfWork(factory))["no"])
    assert len(numbers) == 4 and len(set(numbers)) == 4


# ---- escalation ----------------------------------------------------------------------------------


def notice_kinds(uow, no: str) -> list[tuple[int, str]]:
    with uow() as u:
        item = u.session.scalars(
            select(models.SupervisionItem).where(models.SupervisionItem.no == no)
        ).one()
        return [(n.round, n.kind) for n in supervision_notices.available(u, item)]


def test_a_late_feedback_turns_orange_then_red_once(uow, sessions, tmp_path):
    item = issue(uow, days=1)
    no, due = item["no"], date.fromisoformat(item["due_date"])
    orange_day = working_day(uow, due, 1)
    red_day = working_day(uow, orange_day, 5)

    def sweep(day: date) -> escalation.Swept:
        return escalation.sweep(sessions, lambda: at(day))

    assert (no, "orange") not in sweep(due).escalated, "not on the deadline itself"
    assert (no, "orange") in sweep(orange_day).escalated
    assert (no, "orange") not in sweep(orange_day).escalated, "once"
    with uow() as u:
        view = supervision.get_item(u, user(u, "office1"), no)
    assert view["level"] == "orange" and [n["kind"] for n in view["notices"]] == ["urge"]
    assert notes(uow, "amr_chief", "橙色预警") and notes(uow, "office1", f"{no} 未按期反馈")
    with uow() as u:
        urge = supervision_notices.build(u, user(u, "amr_chief"), no, "urge")
    assert urge.title == "催办通知书" and urge.recipient == "市场监督管理局"
    assert any(no in p for p in urge.paragraphs)

    day_before_red = working_day(uow, orange_day, 4)
    assert (no, "red") not in sweep(day_before_red).escalated
    assert (no, "red") in sweep(red_day).escalated
    assert sweep(red_day + timedelta(days=3)).escalated.count((no, "red")) == 0
    assert notice_kinds(uow, no) == [(1, "urge"), (1, "circular")]
    with uow() as u:
        circular = supervision_notices.build(u, user(u, "office1"), no, "circular")
        assert supervision.get_item(u, user(u, "office1"), no)["level"] == "red"
    assert "通报" in circular.title and circular.recipient == "各有关单位"

    # Feedback stops the escalation; a send-back starts a new round at blue.
    answer(uow, "amr_chief", no, "已办结", upload_dir=tmp_path)
    back = review(uow, no, "send_back", "请补充问责情况", 1)
    assert (back["level"], back["round"]) == ("blue", 2)
    new_due = date.fromisoformat(back["due_date"])
    assert (no, "orange") in sweep(working_day(uow, new_due, 1)).escalated
    assert notice_kinds(uow, no)[-1] == (2, "urge")


def test_an_answered_item_is_not_escalated(uow, sessions, tmp_path):
    item = issue(uow, days=1)
    answer(uow, "amr_chief", item["no"], upload_dir=tmp_path)
    late = working_day(uow, date.fromisoformat(item["due_date"]), 10)
    swept = escalation.sweep(sessions, lambda: at(late))
    assert all(no != item["no"] for no, _level in swept.escalated)


def test_two_schedulers_never_escalate_twice(uow, database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    items = [issue(uow, days=1)["no"] for _ in range(4)]
    late = working_day(uow, today(), 10)
    at_once(database_url, 2, lambda factory: escalation.sweep(factory, lambda: at(late)))
    for no in items:
        assert notice_kinds(uow, no) == [(1, "urge"), (1, "circular")]
        with uow() as u:
            events = supervision.get_item(u, user(u, "office1"), no)["events"]
        assert [e["detail"]["level"] for e in events if e["action"] == "escalate"] == [
            "orange",
            "red",
        ]


# ---- cases: yellow and red -----------------------------------------------------------------------


def accepted_property_case(uow) -> str:
    case_no = start(uow, "不动产转移登记")
    complete(uow, "window1", case_no, "受理", {"decision": "accept"})
    return case_no


def case_events(uow, case_no: str, action: str) -> int:
    case = case_row(uow, case_no)
    with uow() as u:
        return u.session.scalar(
            select(func.count())
            .select_from(models.CaseEvent)
            .where(models.CaseEvent.case_id == case.id, models.CaseEvent.action == action)
        )


def test_yellow_tells_the_head_and_red_opens_one_item(uow, sessions):
    case_no = accepted_property_case(uow)
    due = case_row(uow, case_no).due_date
    swept = escalation.sweep(sessions, lambda: at(due))  # the last day: yellow
    assert case_no in swept.yellow
    assert case_no not in escalation.sweep(sessions, lambda: at(due)).yellow, "once"
    assert case_events(uow, case_no, "light_yellow") == 1
    assert notes(uow, "housing1", f"办件 {case_no}（不动产转移登记）亮黄灯")

    overdue = working_day(uow, due, 1)
    opened = escalation.sweep(sessions, lambda: at(overdue)).opened
    escalation.sweep(sessions, lambda: at(overdue + timedelta(days=1)))
    with uow() as u:
        items = u.session.scalars(
            select(models.SupervisionItem).where(
                models.SupervisionItem.origin == f"overdue:{case_no}"
            )
        ).all()
    assert len(items) == 1 and items[0].no in opened
    item = items[0]
    assert (item.source, item.lead_department, item.case_nos) == ("overdue", "housing", [case_no])
    assert item.issued_by == "system"
    assert case_events(uow, case_no, "supervised") == 1


def test_a_pass_over_many_red_cases_locks_them_a_batch_at_a_time(
    uow, sessions, monkeypatch: pytest.MonkeyPatch
):
    """A county's first pass finds thousands of red cases: each transaction locks at most
    ``LIGHT_BATCH`` of them (clerks are not held up for the whole pass), and every one gets
    its item all the same."""
    monkeypatch.setattr(escalation, "LIGHT_BATCH", 2)
    case_nos = [accepted_property_case(uow) for _ in range(5)]
    late = working_day(uow, max(case_row(uow, n).due_date for n in case_nos), 1)
    locks: list[str] = []

    def seen(_conn, _cursor, statement: str, parameters, *_args) -> None:
        locking = "clock_state" in statement and "due_date <=" not in statement
        if statement.lstrip().startswith("SELECT") and 'FROM "case"' in statement and locking:
            locks.append(statement)

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        opened = escalation.sweep(sessions, lambda: at(late)).opened
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with uow() as u:
        origins = set(
            u.session.scalars(
                select(models.SupervisionItem.origin).where(models.SupervisionItem.no.in_(opened))
            )
        )
    assert {f"overdue:{n}" for n in case_nos} <= origins
    assert len(locks) >= 3, locks  # 5 red cases or more, 2 a transaction


def test_red_cases_open_nothing_when_the_setting_is_off(uow, sessions):
    with uow() as u:
        supervision.save_settings(u, user(u, "admin"), {"open_for_red_cases": False})
    try:
        case_no = accepted_property_case(uow)
        late = working_day(uow, case_row(uow, case_no).due_date, 1)
        escalation.sweep(sessions, lambda: at(late))
        with uow() as u:
            assert not u.session.scalar(
                select(models.SupervisionItem.id).where(
                    models.SupervisionItem.origin == f"overdue:{case_no}"
                )
            )
    finally:
        with uow() as u:
            supervision.save_settings(u, user(u, "admin"), {"open_for_red_cases": True})


def test_settings_are_checked_and_only_admins_change_them(uow):
    with uow() as u, pytest.raises(ValidationFailed) as refused:
        supervision.save_settings(
            u, user(u, "admin"), {"red_after_working_days": 0, "notify_yellow": 1, "x": 1}
        )
    assert set(refused.value.details["fields"]) == {"red_after_working_days", "notify_yellow", "x"}
    with uow() as u, pytest.raises(Forbidden):
        supervision.save_settings(u, user(u, "office1"), {"red_after_working_days": 3})


INSTANT = {"decision": "approve", "operator_name": "张三", "credit_code": "92339901MA2H7K3Q0X"}


def badly_rated(uow) -> tuple[str, dict]:
    """个体工商户设立登记 finished on the spot, then rated 非常不满意 on the hall's pad."""
    case_no = start(uow, "个体工商户设立登记")
    complete(uow, "window1", case_no, "受理并当场办结", INSTANT)
    with uow() as u:
        link = ratings.create_link(u, user(u, "window1"), case_no, "acceptance")
    with uow() as u:
        choice = RatingInput(5, None, "等候太久")
        return case_no, ratings.rate_with_link(u, None, link.token, choice, "203.0.113.9")


def test_a_bad_rating_handled_late_opens_one_item(uow, sessions):
    case_no, rated = badly_rated(uow)
    handling = rated["handling"]
    late = date.fromisoformat(handling["due_date"]) + timedelta(days=1)
    escalation.sweep(sessions, lambda: at(late))
    escalation.sweep(sessions, lambda: at(late + timedelta(days=1)))
    with uow() as u:
        [item] = u.session.scalars(
            select(models.SupervisionItem).where(
                models.SupervisionItem.origin == f"rating:{rated['id']}"
            )
        ).all()
    assert item.source == "rating"
    assert item.case_nos == [case_no, handling["case_no"]]
    assert item.lead_department == handling["responsible_department"]
