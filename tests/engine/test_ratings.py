"""好差评 through the service layer: rules, attribution, the bad-rating loop on the engine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine import access, models, workdays
from engine.db import make_engine, make_session_factory
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.services import cases, ratings, tasks
from engine.services.ratings import RatingFilter, RatingInput
from engine.services.scheduling import run_pass
from engine.uow import UnitOfWork

from ..fresh_database import fresh_database
from .helpers import ENTERPRISE, UowFactory, item_code, receive_materials, user

FOOD_STEPS = {
    "受理": {
        "decision": "accept",
        "materials_checked": True,
        "business_scope": "预包装食品销售",
        "area_sqm": 50,
    },
    "现场核查": {"inspection_result": "pass"},
    "审查决定": {"decision": "approve", "licence_no": "JY13399010012345"},
    "出件": {"delivery_method": "窗口领取"},
}
INSTANT = {"decision": "approve", "operator_name": "张三", "credit_code": "92339901MA2H7K3Q0X"}
ADDRESS = "203.0.113.7"


def started(make_uow: UowFactory, item: str) -> tuple[str, str]:
    with make_uow() as uow:
        case = cases.start_case(uow, user(uow, "window1"), item_code(uow, item), ENTERPRISE)
        receive_materials(uow, case.case)
        return case.case.case_no, case.query_password


def open_tasks(make_uow: UowFactory, case_no: str) -> list[tuple[str, str, str]]:
    """(task id, name, a demo user who may complete it) for each open task."""
    with make_uow() as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        people = uow.session.scalars(select(models.User).order_by(models.User.id)).all()
        return [
            (t.id, t.name, next(u.username for u in people if access.is_candidate(u, t)))
            for t in cases.case_tasks(uow, case, open_only=True)
        ]


def work(make_uow: UowFactory, case_no: str, steps: dict[str, dict]) -> None:
    """Complete the case's open tasks with ``steps`` until none of them is left open."""
    while todo := [t for t in open_tasks(make_uow, case_no) if t[1] in steps]:
        task_id, name, username = todo[0]
        with make_uow() as uow:
            tasks.complete(uow, user(uow, username), task_id, steps[name])


def instant_case(make_uow: UowFactory) -> tuple[str, str]:
    """个体工商户设立登记 accepted and finished on the spot by window1."""
    case_no, password = started(make_uow, "个体工商户设立登记")
    work(make_uow, case_no, {"受理并当场办结": INSTANT})
    return case_no, password


def food_case(make_uow: UowFactory) -> tuple[str, str]:
    """食品经营许可 through the window and 市场监督管理局 to 出件."""
    case_no, password = started(make_uow, "食品经营许可")
    work(make_uow, case_no, FOOD_STEPS)
    return case_no, password


def rate(make_uow, case_no, password, stage, level, reasons=None, comment=None, address=ADDRESS):
    with make_uow() as uow:
        return ratings.rate_with_password(
            uow,
            None,
            case_no,
            password,
            stage,
            RatingInput(level, reasons, comment),
            "web",
            address,
        )


def as_user(make_uow: UowFactory, username: str, call, *args, **kwargs):
    with make_uow() as uow:
        return call(uow, user(uow, username), *args, **kwargs)


def handling_tasks(make_uow: UowFactory, rating_id: int) -> list[dict]:
    view = as_user(make_uow, "office1", ratings.get_rating, rating_id)
    return [t for t in view["handling"]["tasks"] if t["state"] in ("ready", "claimed")]


def complete_handling(make_uow: UowFactory, rating_id: int, username: str, data: dict) -> None:
    [task] = handling_tasks(make_uow, rating_id)
    with make_uow() as uow:
        tasks.complete(uow, user(uow, username), task["id"], data)


CALLBACK = {"contacted": "reached", "callback_note": "申请人反映窗口等候时间长"}


# ---- rules ---------------------------------------------------------------------------------------


def test_applicant_rates_acceptance_and_finish_once_each(uow):
    case_no, password = instant_case(uow)
    first = rate(uow, case_no, password, "acceptance", 1, ["一次办成"])
    assert first["level_name"] == "非常满意" and not first["bad"] and first["handling"] is None
    assert first["clerks"] == ["window1"] and first["departments"] == ["window"]
    assert first["channel"] == "web" and first["counted"] and not first["default"]
    with pytest.raises(Conflict) as again:
        rate(uow, case_no, password, "acceptance", 2)
    assert again.value.code == "already_rated"
    assert rate(uow, case_no, password, "finish", 2)["stage"] == "finish"
    with uow() as u:
        events = [
            e.action for e in cases.case_events(u, cases.visible_case(u, user(u, "admin"), case_no))
        ]
    assert events.count("rated") == 2


def test_a_stage_is_rated_only_once_it_is_reached(uow):
    case_no, password = started(uow, "食品经营许可")
    for stage in ("acceptance", "finish", "rectification"):
        with pytest.raises(Conflict) as early:
            rate(uow, case_no, password, stage, 1)
        assert early.value.code == "rating_not_open"
    work(uow, case_no, {"受理": FOOD_STEPS["受理"]})
    assert rate(uow, case_no, password, "acceptance", 2)["level"] == 2
    with pytest.raises(Conflict):
        rate(uow, case_no, password, "finish", 1)


def test_a_wrong_password_answers_like_an_unknown_case(uow):
    case_no, password = instant_case(uow)
    wrong = "000000" if password != "000000" else "111111"
    with pytest.raises(NotFound) as unknown_password:
        rate(uow, case_no, wrong, "acceptance", 1, address="198.51.100.1")
    with pytest.raises(NotFound) as unknown_case:
        rate(uow, "339901000000000000000", password, "acceptance", 1, address="198.51.100.1")
    assert unknown_password.value.message == unknown_case.value.message


@pytest.mark.parametrize("level", [0, 6, "5", True, None, 2.0])
def test_the_level_is_one_to_five(uow, level):
    case_no, password = instant_case(uow)
    with pytest.raises(ValidationFailed):
        rate(uow, case_no, password, "acceptance", level)


def test_a_bad_rating_needs_a_reason_or_a_comment(uow):
    case_no, password = instant_case(uow)
    for level in (4, 5):
        with pytest.raises(ValidationFailed) as bare:
            rate(uow, case_no, password, "acceptance", level, [], "  ")
        assert bare.value.code == "bad_rating_needs_reason"
    assert rate(uow, case_no, password, "acceptance", 4, comment="等了很久")["bad"]
    assert rate(uow, case_no, password, "finish", 5, ["态度恶劣"])["reasons"] == ["态度恶劣"]


def test_reasons_are_those_the_settings_offer_for_the_level(uow):
    case_no, password = instant_case(uow)
    with pytest.raises(ValidationFailed):
        rate(uow, case_no, password, "acceptance", 1, ["态度恶劣"])  # a level-5 reason
    with pytest.raises(ValidationFailed):
        rate(uow, case_no, password, "acceptance", 1, comment="x" * 501)
    as_user(uow, "admin", ratings.save_settings, {"reasons": {**_reasons(), "1": ["窗口很热情"]}})
    try:
        assert rate(uow, case_no, password, "acceptance", 1, ["窗口很热情"])["reasons"]
    finally:
        as_user(uow, "admin", ratings.save_settings, {"reasons": _reasons()})


def _reasons() -> dict:
    return ratings.DEFAULT_SETTINGS["reasons"]


def test_no_staff_member_rates_for_an_applicant(uow):
    case_no, password = instant_case(uow)
    with uow() as u, pytest.raises(Forbidden):
        ratings.rate_with_password(
            u, user(u, "window1"), case_no, password, "acceptance", RatingInput(1), "web", ""
        )


def test_an_internal_handling_case_cannot_be_rated(uow):
    case_no, password = instant_case(uow)
    rated = rate(uow, case_no, password, "acceptance", 5, comment="态度差")
    with uow() as u, pytest.raises(NotFound):
        ratings._submit(u, rated["handling"]["case_no"], "finish", RatingInput(1), "web", "", None)


# ---- attribution and the bad-rating loop ---------------------------------------------------------


def test_a_bad_finish_rating_is_called_back_rectified_and_re_rated_once(uow):
    case_no, password = food_case(uow)
    rated = rate(uow, case_no, password, "finish", 5, comment="等了很久")
    assert set(rated["departments"]) == {"amr", "window"}
    assert "window1" in rated["clerks"] and len(rated["clerks"]) >= 2
    handling = rated["handling"]
    assert handling["state"] == "open" and handling["responsible_department"] == "amr"
    [callback] = [t for t in handling["tasks"] if t["state"] == "ready"]
    assert callback["name"] == "差评回访" and callback["department"] == "amr"
    assert (
        callback["due_working_days"] == 1 and callback["due_date"] and callback["light"] != "none"
    )
    with uow() as u:
        inbox, _total = tasks.list_tasks(u, user(u, "amr1"), scope="mine", per_page=200)
    assert callback["id"] in {t["id"] for t in inbox}, "in the department's ordinary inbox"

    with pytest.raises(Conflict):
        rate(uow, case_no, password, "rectification", 1)
    complete_handling(uow, rated["id"], "amr1", CALLBACK)
    complete_handling(uow, rated["id"], "amr1", {"decision": "rectify", "finding": "属实"})
    [rectify] = handling_tasks(uow, rated["id"])
    assert rectify["name"] == "差评整改" and rectify["due_working_days"] == 15
    complete_handling(uow, rated["id"], "amr1", {"measures": "增设窗口", "feedback": "已电话告知"})

    closed = as_user(uow, "office1", ratings.get_rating, rated["id"])
    assert closed["handling"]["state"] == "closed" and closed["handling"]["outcome"] == "rectify"
    assert closed["handling"]["on_time"] is True and closed["counted"]
    actions = [e["action"] for e in closed["history"]]
    assert actions[0] == "start" and actions.count("complete") == 3 and actions[-1] == "finish"

    again = rate(uow, case_no, password, "rectification", 2, ["服务规范"])
    assert again["clerks"] == ["amr1"] and again["departments"] == ["amr"]
    assert again["handling"] is None
    with pytest.raises(Conflict):
        rate(uow, case_no, password, "rectification", 1)


def test_a_bad_acceptance_rating_goes_to_the_window(uow):
    case_no, password = instant_case(uow)
    rated = rate(uow, case_no, password, "acceptance", 4, ["等候时间长"])
    assert rated["handling"]["responsible_department"] == "window"
    [callback] = [t for t in rated["handling"]["tasks"] if t["state"] == "ready"]
    assert callback["department"] == "window"


def test_an_upheld_appeal_excludes_the_rating_but_keeps_it(uow):
    case_no, password = instant_case(uow)
    rated = rate(uow, case_no, password, "acceptance", 5, comment="恶意差评")
    complete_handling(uow, rated["id"], "window1", CALLBACK)
    complete_handling(uow, rated["id"], "window1", {"decision": "appeal", "finding": "恶意"})
    [review] = handling_tasks(uow, rated["id"])
    assert review["name"] == "申诉复核" and review["department"] == "office"
    assert review["role"] == "supervisor" and review["due_working_days"] == 5
    with uow() as u, pytest.raises(NotFound):  # not the window's task, not even to see
        tasks.complete(u, user(u, "window1"), review["id"], {"verdict": "uphold"})
    complete_handling(uow, rated["id"], "office1", {"verdict": "uphold", "review_opinion": "成立"})
    kept = as_user(uow, "office1", ratings.get_rating, rated["id"])
    assert kept["excluded"] and not kept["counted"] and kept["level"] == 5
    assert kept["handling"]["outcome"] == "upheld"
    with pytest.raises(Conflict):
        rate(uow, case_no, password, "rectification", 1)


def test_a_rejected_appeal_goes_back_to_verification(uow):
    case_no, password = instant_case(uow)
    rated = rate(uow, case_no, password, "acceptance", 4, ["多次跑腿"])
    complete_handling(uow, rated["id"], "window1", CALLBACK)
    complete_handling(uow, rated["id"], "window1", {"decision": "appeal", "finding": "有误"})
    complete_handling(
        uow, rated["id"], "office1", {"verdict": "reject", "review_opinion": "不成立"}
    )
    [verify] = handling_tasks(uow, rated["id"])
    assert verify["name"] == "差评核实"
    complete_handling(uow, rated["id"], "window1", {"decision": "explain", "finding": "已核实"})
    complete_handling(uow, rated["id"], "window1", {"explanation": "材料须一次提交"})
    view = as_user(uow, "office1", ratings.get_rating, rated["id"])
    assert view["handling"]["outcome"] == "explain" and view["counted"]
    assert rate(uow, case_no, password, "rectification", 3)["stage"] == "rectification"


def test_the_limits_are_settings(uow):
    as_user(uow, "admin", ratings.save_settings, {"callback_working_days": 2})
    try:
        case_no, password = instant_case(uow)
        rated = rate(uow, case_no, password, "acceptance", 5, comment="慢")
        [callback] = [t for t in rated["handling"]["tasks"] if t["state"] == "ready"]
        assert callback["due_working_days"] == 2
    finally:
        as_user(uow, "admin", ratings.save_settings, {"callback_working_days": 1})


def test_handlings_past_their_limit_are_found_for_supervision(uow):
    case_no, password = instant_case(uow)
    rated = rate(uow, case_no, password, "acceptance", 5, comment="慢")
    due = rated["handling"]["due_date"]
    with uow() as u:
        late = ratings.handlings_past_limit(u, date.fromisoformat(due) + timedelta(days=1))
        on_time = ratings.handlings_past_limit(u, date.fromisoformat(due))
        assert rated["id"] in {r.id for r in late}
        assert rated["id"] not in {r.id for r in on_time}


# ---- links, settings, default ratings ------------------------------------------------------------


def test_a_rating_link_is_one_time_and_opened_by_a_clerk_who_served(uow):
    case_no, _password = instant_case(uow)
    with pytest.raises(Forbidden):
        as_user(uow, "window2", ratings.create_link, case_no, "acceptance")
    with pytest.raises(Forbidden):
        as_user(uow, "office1", ratings.create_link, case_no, "acceptance")
    with pytest.raises(ValidationFailed):
        as_user(uow, "window1", ratings.create_link, case_no, "delivery")
    link = as_user(uow, "window1", ratings.create_link, case_no, "acceptance")
    with uow() as u:
        shown = ratings.link_target(u, link.token)
        assert shown["open"] and shown["stage"] == "acceptance" and "applicant" not in shown
        rated = ratings.rate_with_link(u, None, link.token, RatingInput(2, ["服务规范"]), ADDRESS)
    assert rated["channel"] == "pad" and rated["clerks"] == ["window1"]
    with uow() as u, pytest.raises(Conflict):
        ratings.rate_with_link(u, None, link.token, RatingInput(1), ADDRESS)
    with uow() as u, pytest.raises(NotFound):
        ratings.rate_with_link(u, None, "no-such-token", RatingInput(1), ADDRESS)
    with pytest.raises(Conflict):  # the stage is rated: no new link for it
        as_user(uow, "window1", ratings.create_link, case_no, "acceptance")


def test_a_rating_link_expires_and_refuses_staff(uow):
    case_no, _password = instant_case(uow)
    link = as_user(uow, "window1", ratings.create_link, case_no, "finish", "qr")
    with uow() as u, pytest.raises(Forbidden):
        ratings.rate_with_link(u, user(u, "amr1"), link.token, RatingInput(1), ADDRESS)
    later = link.expires_at + timedelta(seconds=1)
    with uow() as u, pytest.raises(NotFound):
        ratings.rate_with_link(u, None, link.token, RatingInput(1), ADDRESS, later)
    with uow() as u:
        rated = ratings.rate_with_link(u, None, link.token, RatingInput(1), ADDRESS)
    assert rated["channel"] == "qr"


def test_only_administrators_change_the_settings_and_each_is_checked(uow):
    with uow() as u:
        current = ratings.settings(u)
    assert current["default_rating"]["after_days"] is None, "off by default"
    assert current["callback_working_days"] == 1 and current["rectification_working_days"] == 15
    with pytest.raises(Forbidden):
        as_user(uow, "office1", ratings.save_settings, {"callback_working_days": 3})
    for bad in (
        {"callback_working_days": 0},
        {"rectification_working_days": "15"},
        {"default_rating": {"after_days": 10, "level": 5}},
        {"reasons": {"1": ["x"]}},
        {"reasons": {**_reasons(), "2": [""]}},
    ):
        with pytest.raises(ValidationFailed):
            as_user(uow, "admin", ratings.save_settings, bad)


def test_default_ratings_are_off_by_default_and_never_proactive(uow):
    case_no, _password = instant_case(uow)
    later = models.utcnow() + timedelta(days=30)
    with uow() as u:
        assert ratings.apply_default_ratings(u, later) == []
    as_user(uow, "admin", ratings.save_settings, {"default_rating": {"after_days": 15, "level": 2}})
    try:
        with uow() as u:
            assert case_no not in ratings.apply_default_ratings(u, models.utcnow())
        with uow() as u:
            given = ratings.apply_default_ratings(u, later)
        assert case_no in given
        with uow() as u:
            rows = ratings.list_ratings(u, user(u, "office1"), RatingFilter(), per_page=200)[0]
        [default] = [r for r in rows if r["case_no"] == case_no]
        assert default["default"] and not default["counted"] and default["channel"] == "system"
        with uow() as u:
            assert case_no not in ratings.apply_default_ratings(u, later), "once"
    finally:
        as_user(
            uow,
            "admin",
            ratings.save_settings,
            {"default_rating": {"after_days": None, "level": 2}},
        )


def test_the_scheduler_gives_default_ratings_when_the_setting_is_on(database_url):
    """On a database of its own: the pass gives every finished, unrated case its rating."""
    with fresh_database(database_url) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)

        def own_uow():
            return UnitOfWork(sessions)

        try:
            case_no, _password = instant_case(own_uow)
            later = models.utcnow() + timedelta(days=30)
            as_user(
                own_uow,
                "admin",
                ratings.save_settings,
                {"default_rating": {"after_days": 15, "level": 2}},
            )
            run_pass(sessions, lambda: later)
            with own_uow() as u:
                rows = ratings.list_ratings(u, user(u, "office1"), RatingFilter(), per_page=200)[0]
            [default] = [r for r in rows if r["case_no"] == case_no]
            assert default["default"] and default["level"] == 2
        finally:
            engine.dispose()


# ---- who sees which rating -----------------------------------------------------------------------


def test_who_sees_which_rating_and_the_filters(uow):
    case_no, password = food_case(uow)
    rated = rate(uow, case_no, password, "finish", 4, ["办理超时"], address="192.0.2.44")
    amr_clerk = next(c for c in rated["clerks"] if c != "window1")

    def seen(username: str, **filters) -> set[int]:
        with uow() as u:
            rows = ratings.list_ratings(u, user(u, username), RatingFilter(**filters), per_page=200)
        return {r["id"] for r in rows[0]}

    for reader in ("office1", "admin", "monitor1", "amr_chief", "window1", amr_clerk):
        assert rated["id"] in seen(reader), reader
    assert rated["id"] in seen("amr1"), "the department handling it"
    for outsider in ("psb1", "window2", "designer1", "commissioner1"):
        assert rated["id"] not in seen(outsider), outsider
        with pytest.raises(NotFound):
            as_user(uow, outsider, ratings.get_rating, rated["id"])
    assert "client_address" in as_user(uow, "office1", ratings.get_rating, rated["id"])
    assert "client_address" not in as_user(uow, "monitor1", ratings.get_rating, rated["id"])

    today = workdays.today().isoformat()
    item = rated["service_item"]
    assert rated["id"] in seen("office1", level=4, bad=True, department="amr", clerk=amr_clerk)
    assert rated["id"] in seen("office1", service_item=item, date_from=today, date_to=today)
    assert rated["id"] not in seen("office1", bad=False)
    assert rated["id"] not in seen("office1", level=5)
    assert rated["id"] not in seen("office1", department="psb")
    assert rated["id"] not in seen("office1", date_to="2020-01-01")


def test_addresses_that_rated_many_cases_are_reported(uow):
    for _ in range(3):
        case_no, password = instant_case(uow)
        rate(uow, case_no, password, "acceptance", 1, address="192.0.2.99")
    report = as_user(uow, "office1", ratings.frequent_addresses, 3)
    [row] = [r for r in report if r["address"] == "192.0.2.99"]
    assert row["cases"] >= 3 and row["bad"] == 0
    with pytest.raises(Forbidden):
        as_user(uow, "amr_chief", ratings.frequent_addresses, 3)
