"""BPMN messages through the service layer: every wait ends when its message comes, never before.

Receive tasks, intermediate catch events, event-based gateways (message against timer), message
boundary events and message start events, delivered by case number or by correlation, from a
process that has never seen the case (caches cleared, another database engine).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import models
from engine.db import make_engine, make_session_factory
from engine.errors import Conflict, Forbidden, ModelInvalid, NotFound, ValidationFailed
from engine.services import cases, messages
from engine.services.models import deploy_model
from engine.services.timers import fire_due
from engine.uow import UnitOfWork

from . import message_models as mm
from .helpers import ENTERPRISE, case_row, complete, open_names, user
from .process_state import fresh_process


@pytest.fixture(autouse=True)
def deployed(uow):
    mm.deploy_items(uow, mm.ITEMS)
    mm.ensure_sender(uow)


def start(uow, item: str, data: dict | None = None) -> str:
    with uow() as u:
        return cases.start_case(u, user(u, "window1"), item, ENTERPRISE, data).case.case_no


def send(uow, name: str, body: dict, sender: str = mm.SENDER) -> messages.Delivery:
    with uow() as u:
        delivery = messages.deliver(u, user(u, sender), name, body)
        delivery.case_no = delivery.case.case_no
        return delivery


def waits(uow, case_no: str) -> list[str]:
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return sorted(
            u.session.scalars(
                select(models.MessageWait.name).where(models.MessageWait.case_id == case.id)
            )
        )


def events(uow, case_no: str, action: str) -> list[dict]:
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return [e.detail for e in cases.case_events(u, case) if e.action == action]


def test_a_receive_task_waits_until_the_message_then_continues_with_its_payload(uow):
    case_no = start(uow, "TEST-MSG-RECEIVE", {"bank_ref": "R-001"})
    assert open_names(uow, case_no) == []
    assert case_row(uow, case_no).status == "running"
    assert waits(uow, case_no) == ["bank_paid"]
    delivered = send(uow, "bank_paid", {"case_no": case_no, "payload": {"amount": 120}})
    assert delivered.case_no == case_no and not delivered.started
    assert [t.name for t in delivered.open_tasks] == ["缴费后审核"]
    case = case_row(uow, case_no)
    assert case.data["amount"] == 120 and case.data["bank_ref"] == "R-001"
    assert open_names(uow, case_no) == ["缴费后审核"]
    assert waits(uow, case_no) == []
    assert events(uow, case_no, "message") == [{"message": "bank_paid", "payload": {"amount": 120}}]
    with pytest.raises(NotFound):  # it waits no more
        send(uow, "bank_paid", {"case_no": case_no, "payload": {"amount": 1}})
    complete(uow, "amr1", case_no, "缴费后审核", {})
    assert case_row(uow, case_no).result == "1"


def test_correlation_by_a_declared_property_reaches_the_one_matching_case(uow):
    first, second, third = (
        start(uow, "TEST-MSG-RECEIVE", {"bank_ref": ref, "county": "青山"})
        for ref in ("R-101", "R-102", "R-103")
    )
    delivered = send(uow, "bank_paid", {"correlation": {"bank_ref": "R-102"}, "payload": {}})
    assert delivered.case_no == second
    assert open_names(uow, first) == [] and open_names(uow, second) == ["缴费后审核"]
    with pytest.raises(Conflict) as ambiguous:  # two waiting cases share the data field
        send(uow, "bank_paid", {"correlation": {"county": "青山"}, "payload": {}})
    assert {first, third} <= set(ambiguous.value.details["case_nos"])
    assert open_names(uow, first) == [] and open_names(uow, third) == []
    with pytest.raises(NotFound):
        send(uow, "bank_paid", {"correlation": {"bank_ref": "R-999"}})
    send(uow, "bank_paid", {"correlation": {"bank_ref": "R-101", "county": "青山"}})
    assert open_names(uow, first) == ["缴费后审核"]


def test_only_integration_or_admin_users_deliver_and_bad_bodies_are_refused(uow):
    case_no = start(uow, "TEST-MSG-RECEIVE", {"bank_ref": "R-201"})
    with pytest.raises(Forbidden):
        send(uow, "bank_paid", {"case_no": case_no}, sender="window1")
    for body in (
        {"case_no": case_no, "payload": ["not", "an", "object"]},
        {"case_no": case_no, "payload": {"case_no": "another"}},
        {"case_no": case_no, "priority": "high"},
        {"correlation": {}},
        {"correlation": {"bank_ref": ["R-201"]}},
    ):
        with pytest.raises(ValidationFailed):
            send(uow, "bank_paid", body)
    with pytest.raises(NotFound):
        send(uow, "no_such_message", {"case_no": case_no})
    assert open_names(uow, case_no) == []
    send(uow, "bank_paid", {"case_no": case_no}, sender="admin")
    assert open_names(uow, case_no) == ["缴费后审核"]


def test_an_intermediate_catch_event_puts_the_payload_under_its_message_variable(uow):
    case_no = start(uow, "TEST-MSG-CATCH")
    assert open_names(uow, case_no) == [] and waits(uow, case_no) == ["materials_ready"]
    send(uow, "materials_ready", {"case_no": case_no, "payload": {"files": 3}})
    assert case_row(uow, case_no).data["materials"] == {"files": 3}
    assert open_names(uow, case_no) == ["材料审核"]


def timer_due(uow, case_no: str):
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return u.session.scalars(
            select(models.Timer.due_at).where(
                models.Timer.case_id == case.id, models.Timer.fired_at.is_(None)
            )
        ).all()


def test_an_event_gateway_takes_the_message_and_forgets_its_timer(uow, sessions):
    case_no = start(uow, "TEST-MSG-GATEWAY")
    [due] = timer_due(uow, case_no)
    assert waits(uow, case_no) == ["platform_reply"]
    send(uow, "platform_reply", {"case_no": case_no, "payload": {"reply": "同意"}})
    assert open_names(uow, case_no) == ["按回复办理"]
    assert timer_due(uow, case_no) == [] and waits(uow, case_no) == []
    fire_due(sessions, lambda: due + timedelta(days=1))
    assert open_names(uow, case_no) == ["按回复办理"]


def test_an_event_gateway_takes_the_timer_when_no_message_comes(uow, sessions):
    case_no = start(uow, "TEST-MSG-GATEWAY")
    [due] = timer_due(uow, case_no)
    assert fire_due(sessions, lambda: due - timedelta(minutes=1)) == 0
    assert open_names(uow, case_no) == []
    assert fire_due(sessions, lambda: due + timedelta(minutes=1)) >= 1
    assert open_names(uow, case_no) == ["超时处理"]
    assert waits(uow, case_no) == []
    with pytest.raises(NotFound):
        send(uow, "platform_reply", {"case_no": case_no})
    complete(uow, "amr1", case_no, "超时处理", {})
    assert case_row(uow, case_no).result == "5"


def test_a_message_boundary_event_interrupts_the_task_it_is_attached_to(uow):
    case_no = start(uow, "TEST-MSG-BOUNDARY")
    assert open_names(uow, case_no) == ["部门审查"]
    delivered = send(uow, "applicant_withdraw", {"case_no": case_no, "payload": {"why": "撤回"}})
    assert [t.name for t in delivered.open_tasks] == ["撤件登记"]
    assert open_names(uow, case_no) == ["撤件登记"]
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        states = {t.name: t.state for t in cases.case_tasks(u, case)}
    assert states == {"部门审查": "cancelled", "撤件登记": "ready"}
    complete(uow, "window1", case_no, "撤件登记", {})
    case = case_row(uow, case_no)
    assert (case.status, case.result, case.data["why"]) == ("finished", "3", "撤回")


def test_a_non_interrupting_message_boundary_event_adds_a_branch_once(uow):
    files = {
        "msg_beside.bpmn": mm.BOUNDARY["msg_boundary.bpmn"]
        .replace('attachedToRef="review">', 'attachedToRef="review" cancelActivity="false">')
        .replace("msg_boundary", "msg_beside")
    }
    mm.deploy_items(uow, {"TEST-MSG-BESIDE": ("msg_beside", files)})
    case_no = start(uow, "TEST-MSG-BESIDE")
    send(uow, "applicant_withdraw", {"case_no": case_no})
    assert open_names(uow, case_no) == ["撤件登记", "部门审查"]
    with pytest.raises(NotFound):  # it caught its message; it waits for no second one
        send(uow, "applicant_withdraw", {"case_no": case_no})
    complete(uow, "amr1", case_no, "部门审查", {})
    complete(uow, "window1", case_no, "撤件登记", {})
    assert case_row(uow, case_no).status == "finished"


def test_a_message_start_event_opens_a_case_of_its_item(uow):
    body = {"applicant": ENTERPRISE, "payload": {"online_no": "ZJ-2026-1"}}
    delivered = send(uow, "online_application", body)
    assert delivered.started
    case = case_row(uow, delivered.case_no)
    assert case.service_item_code == "TEST-MSG-START" and case.channel == "online"
    assert case.data["online_no"] == "ZJ-2026-1"
    assert open_names(uow, delivered.case_no) == ["网上申报预审"]
    with pytest.raises(ValidationFailed):  # a case needs its applicant
        send(uow, "online_application", {"payload": {}})
    with pytest.raises(NotFound):
        send(uow, "online_application", {"service_item": "TEST-MSG-RECEIVE", **body})
    # the window may open such a case too: it starts at once, it does not wait at its start
    window_case = start(uow, "TEST-MSG-START")
    assert open_names(uow, window_case) == ["网上申报预审"]


def test_a_message_reaches_a_case_restored_by_a_process_that_never_saw_it(uow, database_url):
    case_no = start(uow, "TEST-MSG-BOUNDARY")
    fresh_process()
    engine = make_engine(database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as u:
            messages.deliver(u, user(u, mm.SENDER), "applicant_withdraw", {"case_no": case_no})
    finally:
        engine.dispose()
    assert open_names(uow, case_no) == ["撤件登记"]


def deploy_problems(uow, files: dict[str, str]) -> list[dict]:
    with pytest.raises(ModelInvalid) as refused, uow() as u:
        deploy_model(u, None, "msg_refused", files, "refused")
    return refused.value.problems


def test_what_cannot_run_is_refused_at_deploy_with_the_element(uow):
    receive = mm.RECEIVE["msg_receive.bpmn"]
    throw = receive.replace(
        '<bpmn:receiveTask id="wait" name="等待缴费" messageRef="msg_paid" />',
        '<bpmn:intermediateThrowEvent id="wait" name="通知银行">'
        '<bpmn:messageEventDefinition id="def_throw" messageRef="msg_paid" />'
        "</bpmn:intermediateThrowEvent>",
    )
    send_task = receive.replace(
        '<bpmn:receiveTask id="wait" name="等待缴费" messageRef="msg_paid" />',
        '<bpmn:sendTask id="wait" name="通知银行" messageRef="msg_paid" />',
    )
    unnamed = receive.replace('messageRef="msg_paid" />', "/>", 1)
    two_starts = mm.START["msg_start.bpmn"].replace(
        '<bpmn:startEvent id="start" name="收到网上申报">',
        '<bpmn:startEvent id="other_start" /><bpmn:startEvent id="start" name="收到网上申报">',
    )
    signal_branch = mm.GATEWAY["msg_gateway.bpmn"].replace(
        '<bpmn:messageEventDefinition id="def_reply" messageRef="msg_reply" />',
        '<bpmn:signalEventDefinition id="def_reply" />',
    )
    for files, element, words in (
        (throw, "wait", "发送消息"),
        (send_task, "wait", "发送任务"),
        (unnamed, "wait", "没有引用带名称的消息"),
        (two_starts, "start", "只能有这一个启动事件"),
        (signal_branch, "reply", "不是消息或定时器捕获事件"),
    ):
        problems = deploy_problems(uow, {"refused.bpmn": files})
        found = [p for p in problems if p["element_id"] == element and words in p["message"]]
        assert found, problems
        assert found[0]["line"] and found[0]["file"] == "refused.bpmn"


def test_the_sender_role_exists_for_other_systems(uow):
    with uow() as u:
        assert u.session.scalars(select(models.Role).where(models.Role.code == "integration")).one()
