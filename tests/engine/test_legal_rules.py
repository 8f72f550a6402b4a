"""行政许可法 through the services, on SQLite and PostgreSQL: extensions (art. 42) and who grants
them, special procedures (art. 45), acceptance with every mandatory material and the five-day
rule (art. 32), the calendar's recompute of open cases and steps, and 暂定 on notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import models, notices, workdays
from engine.catalogue import (
    EXTENSION_BASIS,
    ExtensionRule,
    extension_rule,
    problems_of,
    read_items,
    upsert_item,
)
from engine.clock import add_working_days
from engine.errors import BadRequest, Conflict, Forbidden, ValidationFailed
from engine.services import cases, clock, materials

from .helpers import ENTERPRISE, complete, receive_materials, start, user
from .test_operations import to_licence_review, to_parallel

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)


def case_of(uow, case_no: str) -> models.Case:
    return uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()


def accepted(make_uow, item: str = "企业开办", intake: dict | None = None) -> str:
    case_no = start(make_uow, item)
    complete(make_uow, "window1", case_no, "受理", {"decision": "accept", **(intake or {})})
    return case_no


def extend(make_uow, username: str, case_no: str, days, reason: str = "情形复杂，需征求意见"):
    with make_uow() as uow:
        return clock.extend(uow, user(uow, username), case_of(uow, case_no), days, reason)


# ---- art. 42: once, within the item's cap, by the deciding department's head -----------------


def test_an_extension_is_granted_once_and_within_the_item_s_law(uow):
    case_no = accepted(uow)  # 企业开办: 市场主体登记管理条例 art. 19, 3 working days once
    with pytest.raises(ValidationFailed) as too_long:
        extend(uow, "amr_chief", case_no, 4)
    assert too_long.value.code == "extension_limit"
    assert "《中华人民共和国市场主体登记管理条例》第十九条" in too_long.value.message
    assert too_long.value.details["max_working_days"] == 3
    extend(uow, "amr_chief", case_no, 3)
    with pytest.raises(ValidationFailed) as twice:
        extend(uow, "amr_chief", case_no, 1)
    assert (twice.value.details["granted"], twice.value.details["max_times"]) == (1, 1)


def test_without_a_setting_the_law_s_values_apply(uow):
    assert extension_rule({}) == ExtensionRule(1, 10, EXTENSION_BASIS)
    assert EXTENSION_BASIS == "《中华人民共和国行政许可法》第四十二条第一款"
    [guide] = [i for i in read_items(ROOT / "workflows") if i["name"] == "企业开办"]
    plain = {k: v for k, v in guide.items() if k != "extension"}
    with uow() as u:
        upsert_item(u, {**plain, "code": "TEST-ART-42", "name": "延期默认值测试事项"})
    case_no = accepted(uow, "延期默认值测试事项")
    with pytest.raises(ValidationFailed):
        extend(uow, "amr_chief", case_no, 11)
    extend(uow, "amr_chief", case_no, 10)


def test_an_item_whose_law_gives_no_extension_refuses_every_one(uow):
    case_no = accepted(uow, "不动产转移登记")
    with pytest.raises(ValidationFailed) as refused:
        extend(uow, "housing1", case_no, 1)
    assert "《不动产登记暂行条例》第二十条" in refused.value.details["rule"]


def test_only_the_approver_of_the_deciding_department_extends(uow):
    case_no = to_licence_review(uow)  # 市场监督管理局 decides now
    with uow() as u:
        case = case_of(u, case_no)
        # psb1 (an approver of 公安局) reads the case by a copy, as cc recipients do
        u.session.add(models.CaseCopy(case_id=case.id, username="psb1", copied_by="amr1"))
    for outsider in ("psb1", "window1", "admin", "amr1"):
        with pytest.raises(Forbidden) as refused:
            extend(uow, outsider, case_no, 1)
        assert refused.value.code == "not_deciding_approver", outsider
    with uow() as u:
        assert clock.may_extend(u, user(u, "amr_chief"), case_of(u, case_no))

    moved_on = to_parallel(uow)  # 公安、税务、人社 decide now; 市场监管 handled a step before
    with pytest.raises(Forbidden):
        extend(uow, "amr_chief", moved_on, 1)
    extend(uow, "psb1", moved_on, 1)


# ---- art. 45: only the listed procedures pause, with their planned duration -----------------


def test_only_art_45_procedures_or_one_with_a_basis_may_pause(uow):
    [food] = [i for i in read_items(ROOT / "workflows") if i["name"] == "食品经营许可"]
    assert "现场核查" not in food["special_procedures"], "现场核查 is part of the review"
    unfounded = {**food, "special_procedures": ["听证", "现场核查"]}
    assert "现场核查" in problems_of(unfounded)["special_procedures"]
    founded = {
        **unfounded,
        "special_procedure_settings": {"现场核查": {"basis": "某省食品经营许可审查细则第十条"}},
    }
    assert "special_procedures" not in problems_of(founded)

    with uow() as u:  # an item stored before the rule still cannot pause for it
        upsert_item(u, {**unfounded, "code": "TEST-ART-45", "name": "特别程序测试事项"})
    intake = {"business_scope": "预包装食品销售", "area_sqm": 60}
    case_no = accepted(uow, "特别程序测试事项", intake)
    with uow() as u, pytest.raises(BadRequest) as refused:
        clock.pause(
            u, user(u, "amr1"), case_of(u, case_no), "special_procedure", "核查", "现场核查"
        )
    assert refused.value.details["allowed"] == ["听证"]

    with uow() as u:  # the item's usual duration when the handler gives none
        row = clock.pause(
            u, user(u, "amr1"), case_of(u, case_no), "special_procedure", "申请听证", "听证"
        )
        assert row.planned_days == 20
        [event] = [
            e for e in cases.case_events(u, case_of(u, case_no)) if e.action == "clock_pause"
        ]
        assert event.detail["basis"] == "《中华人民共和国行政许可法》第四十五条、第四十七条"
        assert event.detail["planned_end"]


def test_the_applicant_is_told_the_planned_duration_in_writing(uow):
    case_no = accepted(uow, "食品经营许可", {"business_scope": "预包装食品销售", "area_sqm": 60})
    with uow() as u:
        clock.pause(
            u,
            user(u, "amr1"),
            case_of(u, case_no),
            "special_procedure",
            "利害关系人申请听证",
            "听证",
            600,  # long enough to reach a year whose schedule is not announced
        )
    with uow() as u:
        case = case_of(u, case_no)
        [ref] = [r for r in notices.available_notices(u, case) if r.kind == "special_procedure"]
        notice = notices.build_notice(u, case, "special_procedure", ref.ref)
    facts = dict(notice.facts)
    assert notice.title == "特别程序告知书"
    assert (facts["特别程序"], facts["所需时间"]) == ("听证", "600个工作日")
    assert facts["法律依据"] == "《中华人民共和国行政许可法》第四十五条、第四十七条"
    assert facts["预计结束日期"].endswith("（暂定）")
    assert "不计算在办理期限内" in notice.paragraphs[0]


# ---- art. 32: every mandatory material, and the five days for a 补正 notice -----------------


def test_acceptance_needs_every_mandatory_material_received_or_waived(uow):
    with uow() as u:
        case = cases.start_case(u, user(u, "window1"), item_code(u), ENTERPRISE).case
        case_no = case.case_no
    with pytest.raises(ValidationFailed) as refused:
        complete(uow, "window1", case_no, "受理", {"decision": "accept"})
    assert refused.value.code == "materials_incomplete"
    assert len(refused.value.details["missing"]) == 6
    with uow() as u:
        case = case_of(u, case_no)
        receive_materials(u, case)
        window1 = user(u, "window1")
        name = refused.value.details["missing"][0]
        materials.record_receipt(u, window1, case, name, 0, 0)  # taken back: not received
        with pytest.raises(Forbidden):  # sees every case, but is not the window
            materials.record_receipt(u, user(u, "admin"), case, name, 1, 0)
        with pytest.raises(ValidationFailed):
            materials.record_receipt(u, window1, case, "不在清单上的材料", 1, 0)
    with pytest.raises(ValidationFailed) as still:
        complete(uow, "window1", case_no, "受理", {"decision": "accept"})
    assert still.value.details["missing"] == [name]
    with uow() as u:  # verified in the e-licence library: waived
        materials.record_receipt(u, user(u, "window1"), case_of(u, case_no), name, 0, 0, True)
    complete(uow, "window1", case_no, "受理", {"decision": "accept"})
    with uow() as u:
        assert case_of(u, case_no).clock_state == "running"

    instant = start(uow, "个体工商户设立登记")
    decided = {"decision": "reject", "reason": "不属于本机关职权范围"}
    complete(uow, "window1", instant, "受理并当场办结", decided)
    with uow() as u, pytest.raises(Conflict):
        materials.record_receipt(u, user(u, "window1"), case_of(u, instant), "经营者身份证明", 1, 1)


def item_code(u) -> str:
    return u.session.scalars(
        select(models.ServiceItem.code).where(models.ServiceItem.name == "企业开办")
    ).one()


def received(make_uow, days_ago: int) -> str:
    """A case received ``days_ago`` calendar days ago, still awaiting the window's decision."""
    case_no = start(make_uow, "企业开办")
    with make_uow() as uow:
        case_of(uow, case_no).created_at = models.utcnow() - timedelta(days=days_ago)
    return case_no


def test_the_window_sees_the_five_day_deadline_coming(uow):
    fresh, late = received(uow, 0), received(uow, 30)
    with uow() as u:
        cal = workdays.calendar(u)
        watch = clock.notice_watch(u, case_of(u, fresh))
        assert watch["due_date"] == add_working_days(cal, workdays.today(), 5)[0]
        assert watch["light"] == "green"
        assert clock.notice_watch(u, case_of(u, late))["light"] == "red"
        listed = {w["case_no"]: w["light"] for w in clock.awaiting_notice(u, user(u, "window1"))}
        assert listed[late] == "red", "the oldest receipts come first"
        assert not clock.awaiting_notice(u, user(u, "amr1")), "the intake department's list"


def test_past_the_five_days_the_clock_runs_from_receipt(uow):
    late, told, fresh = received(uow, 30), received(uow, 30), received(uow, 0)
    notice = {"decision": "supplement", "reason": "章程未签字", "missing_materials": ["公司章程"]}
    complete(uow, "window1", told, "受理", notice)
    with uow() as u:
        started = clock.five_day_rule(u)
    assert late in started and told not in started and fresh not in started
    with uow() as u:
        case = case_of(u, late)
        assert (case.clock_state, case.accepted_at) == ("running", case.created_at)
        event = [e for e in cases.case_events(u, case) if e.action == "clock_start"][-1]
        assert event.detail["deemed"] is True and "第三十二条" in event.detail["basis"]
        assert clock.notice_watch(u, case) is None
        assert case_of(u, told).clock_state == "not_started"
    with uow() as u:
        assert late not in clock.five_day_rule(u), "once"


def test_accepting_after_the_five_days_counts_from_receipt(uow):
    case_no = received(uow, 30)
    complete(uow, "window1", case_no, "受理", {"decision": "accept"})
    with uow() as u:
        case = case_of(u, case_no)
        assert case.accepted_at == case.created_at
        limit = add_working_days(workdays.calendar(u), workdays.local_date(case.created_at), 3)
        assert case.due_date == limit[0], "already overdue: the law counts from receipt"
        assert clock.list_light(u, case) == "red"


# ---- the calendar: edits recompute open cases and steps; unannounced years are 暂定 ---------


@pytest.fixture
def calendar_admin(uow) -> Iterator[models.User]:
    """The administrator; every day and year a test changes is put back afterwards."""
    with uow() as u:
        years = {y.year: y.source for y in u.session.scalars(select(models.CalendarYear))}
        days = {d.day for d in u.session.scalars(select(models.CalendarDay))}
        admin = user(u, "admin")
    yield admin
    with uow() as u:
        for row in u.session.scalars(select(models.CalendarDay)):
            if row.day not in days:
                u.session.delete(row)
        for year, source in years.items():
            if u.session.get(models.CalendarYear, year) is None:
                u.session.add(models.CalendarYear(year=year, source=source))
        for row in u.session.scalars(select(models.CalendarYear)):
            if row.year not in years:
                u.session.delete(row)
        u.session.flush()
        clock.recompute_open(u)
        u.on_commit(workdays.forget)


def test_a_calendar_edit_moves_open_cases_and_steps(uow, calendar_admin):
    case_no = accepted(uow)
    with uow() as u:
        case = case_of(u, case_no)
        [step] = cases.case_tasks(u, case, open_only=True)
        before_case, before_step = case.due_date, step.due_date
        cal = workdays.calendar(u)
        holiday = add_working_days(cal, workdays.today(), 1)[0]
        clock.set_calendar_day(u, calendar_admin, holiday, "holiday", "临时停止办公", "县府通知")
    with uow() as u:
        case = case_of(u, case_no)
        [step] = cases.case_tasks(u, case, open_only=True)
        cal = workdays.calendar(u)
        assert case.due_date == add_working_days(cal, before_case, 1)[0], "one working day later"
        assert step.due_date == add_working_days(cal, before_step, 1)[0]
        clock.clear_calendar_day(u, calendar_admin, holiday)
    with uow() as u:
        assert case_of(u, case_no).due_date == before_case


def test_announcing_a_year_needs_its_schedule_and_ends_the_assumption(uow, calendar_admin):
    year = 2039
    with uow() as u, pytest.raises(ValidationFailed) as empty:
        clock.announce_calendar_year(u, calendar_admin, year, "国办发明电〔2038〕7号")
    assert empty.value.code == "calendar_year_empty"
    may_day = date(year, 5, 2)  # a Monday: 劳动节 assumed until announced
    with uow() as u:
        assert not workdays.calendar(u).is_workday(may_day)
        clock.set_calendar_day(u, calendar_admin, date(year, 5, 3), "holiday", "劳动节", "通知")
        clock.announce_calendar_year(u, calendar_admin, year, "国办发明电〔2038〕7号")
    with uow() as u:
        cal = workdays.calendar(u)
        assert cal.is_workday(may_day) and not cal.is_workday(date(year, 5, 3))
        assert not cal.is_provisional(may_day)
        assert clock.withdraw_calendar_year(u, calendar_admin, year)
    with pytest.raises(Forbidden), uow() as u:
        clock.announce_calendar_year(u, user(u, "window1"), year, "x")


def test_notices_print_provisional_dates_with_zanding(uow, calendar_admin):
    case_no = accepted(uow)
    with uow() as u:
        clock.withdraw_calendar_year(u, calendar_admin, workdays.today().year)
    with uow() as u:
        notice = notices.build_notice(u, case_of(u, case_no), "acceptance")
        assert dict(notice.facts)["预计办结日期"].endswith("日（暂定）")
    extend(uow, "amr_chief", case_no, 1)
    with uow() as u:
        notice = notices.build_notice(u, case_of(u, case_no), "extension")
        assert dict(notice.facts)["延期后办结日期"].endswith("日（暂定）")
        assert notices.cn_date(date(2027, 1, 5), provisional=True) == "2027年1月5日（暂定）"
        assert notices.cn_date(datetime(2026, 3, 5).date()) == "2026年3月5日"
