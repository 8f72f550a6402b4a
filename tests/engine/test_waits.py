"""engine/waits.py on its own: which message and call constructs deploy refuses, and where."""

from __future__ import annotations

from engine import waits
from engine.safexml import parse_xml

from . import message_models as mm

RECEIVE = mm.RECEIVE["msg_receive.bpmn"]
RECEIVE_TASK = '<bpmn:receiveTask id="wait" name="等待缴费" messageRef="msg_paid" />'


def problems(text: str, deployed: dict[str, list[str]] | None = None) -> list[tuple]:
    tree = parse_xml(text.encode(), "m.bpmn")
    return [(p[2], str(p[3])) for p in waits.problems([("m.bpmn", tree)], deployed)]


def refused(text: str, element: str, words: str, deployed=None) -> None:
    found = problems(text, deployed)
    assert any(e == element and words in m for e, m in found), found


def test_the_supported_waits_pass():
    for files in (mm.RECEIVE, mm.CATCH, mm.GATEWAY, mm.BOUNDARY, mm.START):
        [text] = files.values()
        assert problems(text) == []
    assert problems(mm.BUNDLE["call_bundle.bpmn"], {"call_item": ["call_item"]}) == []


def test_sending_a_message_is_refused():
    throw = RECEIVE.replace(
        RECEIVE_TASK,
        '<bpmn:intermediateThrowEvent id="wait" name="通知银行">'
        '<bpmn:messageEventDefinition id="def_throw" messageRef="msg_paid" />'
        "</bpmn:intermediateThrowEvent>",
    )
    refused(throw, "wait", "发送消息")
    send = RECEIVE.replace(
        RECEIVE_TASK, '<bpmn:sendTask id="wait" name="通知银行" messageRef="msg_paid" />'
    )
    refused(send, "wait", "发送任务")


def test_a_wait_for_an_unnamed_message_is_refused():
    refused(RECEIVE.replace(RECEIVE_TASK, '<bpmn:receiveTask id="wait" />'), "wait", "带名称的消息")
    refused(RECEIVE.replace('name="bank_paid"', 'name=""'), "wait", "带名称的消息")


def test_a_message_start_beside_another_start_or_in_a_subprocess_is_refused():
    start = mm.START["msg_start.bpmn"]
    two = start.replace(
        '<bpmn:startEvent id="start" name="收到网上申报">',
        '<bpmn:startEvent id="other" /><bpmn:startEvent id="start" name="收到网上申报">',
    )
    refused(two, "start", "只能有这一个启动事件")
    nested = RECEIVE.replace(
        RECEIVE_TASK,
        '<bpmn:subProcess id="wait"><bpmn:startEvent id="inner">'
        '<bpmn:messageEventDefinition id="def_inner" messageRef="msg_paid" /></bpmn:startEvent>'
        "</bpmn:subProcess>",
    )
    refused(nested, "inner", "子流程中的消息启动事件")


def test_an_event_gateway_waits_only_for_messages_and_one_timer():
    gateway = mm.GATEWAY["msg_gateway.bpmn"]
    signal = gateway.replace(
        '<bpmn:messageEventDefinition id="def_reply" messageRef="msg_reply" />',
        '<bpmn:signalEventDefinition id="def_reply" />',
    )
    refused(signal, "reply", "不是消息或定时器捕获事件")
    two_timers = gateway.replace(
        '<bpmn:messageEventDefinition id="def_reply" messageRef="msg_reply" />',
        '<bpmn:timerEventDefinition id="def_reply"><bpmn:timeDuration>"P1D"'
        "</bpmn:timeDuration></bpmn:timerEventDefinition>",
    )
    refused(two_timers, "race", "2 个定时器分支")


def test_a_correlation_property_must_compile():
    broken = RECEIVE.replace(
        "<bpmn:formalExpression>bank_ref</bpmn:formalExpression>",
        "<bpmn:formalExpression>bank_ref ==</bpmn:formalExpression>",
    )
    refused(broken, "bank_ref", "取值表达式无法编译")


def test_a_call_must_resolve_to_one_process():
    bundle = mm.BUNDLE["call_bundle.bpmn"]
    refused(bundle, "call_item", "不是任何已部署模型的主流程")
    refused(bundle, "call_item", "由多个已部署模型提供", {"call_item": ["a", "b"]})
    refused(bundle.replace(' calledElement="call_item"', ""), "call_item", "calledElement")
    pinned = bundle.replace(
        "<bpmn:definitions ",
        '<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ',
    ).replace(
        'calledElement="call_item"',
        'calledElement="call_item" '
        'camunda:calledElementBinding="version" camunda:calledElementVersion="2"',
    )
    refused(pinned, "call_item", "calledElementBinding", {"call_item": ["call_item"]})
