"""Small models with message waits and call activities, deployed as service items of their own.

Used by the engine and the API tests of BPMN messages and call activities.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine import models
from engine.catalogue import read_items, upsert_item
from engine.security import hash_password
from engine.services.models import deploy_model

from ..conftest import DEMO_PASSWORD
from .helpers import UowFactory

ROOT = Path(__file__).resolve().parents[2]
SENDER = "platform_test"  # a user of the integration (系统对接) role

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs_{key}" targetNamespace="http://onewindow.test">
  {messages}
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_window" name="综合受理窗口">{window}</bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">{amr}</bpmn:lane>
    </bpmn:laneSet>
    {body}
  </bpmn:process>
</bpmn:definitions>
"""


def user_task(task_id: str, name: str, role: str = "reviewer") -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="{name}"><bpmn:extensionElements>'
        "<spiffworkflow:properties>"
        f'<spiffworkflow:property name="role" value="{role}" />'
        '<spiffworkflow:property name="form" value="none" />'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )


def end(end_id: str, result: str) -> str:
    return (
        f'<bpmn:endEvent id="{end_id}"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="result" value="{result}" />'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:endEvent>"
    )


def flow(flow_id: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'


def model(key: str, body: str, window: list[str], amr: list[str], messages: str = "") -> dict:
    refs = lambda ids: "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)  # noqa: E731
    text = HEAD.format(key=key, messages=messages, window=refs(window), amr=refs(amr), body=body)
    return {f"{key}.bpmn": text}


PAID = (
    '<bpmn:message id="msg_paid" name="bank_paid" />'
    '<bpmn:correlationProperty id="bank_ref" name="银行流水号">'
    '<bpmn:correlationPropertyRetrievalExpression messageRef="msg_paid">'
    "<bpmn:formalExpression>bank_ref</bpmn:formalExpression>"
    "</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>"
)


def wait_then_review(key: str, wait: str, review: str, messages: str) -> dict[str, str]:
    """start → the wait (element id ``wait``) → a department review → end (准予)."""
    return model(
        key,
        '<bpmn:startEvent id="start" />'
        + wait
        + user_task("review", review)
        + end("done", "1")
        + flow("f1", "start", "wait")
        + flow("f2", "wait", "review")
        + flow("f3", "review", "done"),
        ["start", "wait"],
        ["review", "done"],
        messages,
    )


# 缴费: the case waits in a receive task until the bank reports the payment.
RECEIVE = wait_then_review(
    "msg_receive",
    '<bpmn:receiveTask id="wait" name="等待缴费" messageRef="msg_paid" />',
    "缴费后审核",
    PAID,
)
# 材料流转: an intermediate catch event; the payload lands under ``materials``.
CATCH = wait_then_review(
    "msg_catch",
    '<bpmn:intermediateCatchEvent id="wait" name="等待材料流转">'
    '<bpmn:messageEventDefinition id="def_ready" messageRef="msg_ready">'
    "<bpmn:extensionElements><spiffworkflow:messageVariable>materials"
    "</spiffworkflow:messageVariable></bpmn:extensionElements>"
    "</bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>",
    "材料审核",
    '<bpmn:message id="msg_ready" name="materials_ready" />',
)

# 省平台回复 or, after five days, 超时: an event-based gateway.
GATEWAY = model(
    "msg_gateway",
    '<bpmn:startEvent id="start" />'
    '<bpmn:eventBasedGateway id="race" name="等待回复或超时" />'
    '<bpmn:intermediateCatchEvent id="reply" name="省平台回复">'
    '<bpmn:messageEventDefinition id="def_reply" messageRef="msg_reply" />'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:intermediateCatchEvent id="late" name="五日未回复">'
    '<bpmn:timerEventDefinition id="def_late"><bpmn:timeDuration>"P5D"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    + user_task("answered", "按回复办理")
    + user_task("overdue", "超时处理")
    + end("done", "1")
    + end("timed_out", "5")
    + flow("f1", "start", "race")
    + flow("f2", "race", "reply")
    + flow("f3", "race", "late")
    + flow("f4", "reply", "answered")
    + flow("f5", "late", "overdue")
    + flow("f6", "answered", "done")
    + flow("f7", "overdue", "timed_out"),
    ["start", "race", "reply", "late"],
    ["answered", "overdue", "done", "timed_out"],
    '<bpmn:message id="msg_reply" name="platform_reply" />',
)

# 撤件: the applicant withdraws online while the department reviews.
BOUNDARY = model(
    "msg_boundary",
    '<bpmn:startEvent id="start" />'
    + user_task("review", "部门审查")
    + '<bpmn:boundaryEvent id="withdrawn" name="申请人撤件" attachedToRef="review">'
    '<bpmn:messageEventDefinition id="def_withdraw" messageRef="msg_withdraw" />'
    "</bpmn:boundaryEvent>"
    + user_task("record", "撤件登记", "window")
    + end("done", "1")
    + end("withdrawn_end", "3")
    + flow("f1", "start", "review")
    + flow("f2", "review", "done")
    + flow("f3", "withdrawn", "record")
    + flow("f4", "record", "withdrawn_end"),
    ["start", "record", "withdrawn_end"],
    ["review", "withdrawn", "done"],
    '<bpmn:message id="msg_withdraw" name="applicant_withdraw" />',
)

# 网上申报: the provincial platform's message opens the case.
START = model(
    "msg_start",
    '<bpmn:startEvent id="start" name="收到网上申报">'
    '<bpmn:messageEventDefinition id="def_apply" messageRef="msg_apply" /></bpmn:startEvent>'
    + user_task("review", "网上申报预审")
    + end("done", "1")
    + flow("f1", "start", "review")
    + flow("f2", "review", "done"),
    ["start"],
    ["review", "done"],
    '<bpmn:message id="msg_apply" name="online_application" />',
)


def callee(label: str) -> dict[str, str]:
    """An item's own model (个体工商户登记, say) that a bundle calls."""
    return model(
        "call_item",
        '<bpmn:startEvent id="start" />'
        + user_task("item_review", label)
        + end("item_done", "1")
        + flow("f1", "start", "item_review")
        + flow("f2", "item_review", "item_done"),
        ["start"],
        ["item_review", "item_done"],
    )


# 一件事一次办: the bundle calls the item's model, then issues the result at the window.
BUNDLE = model(
    "call_bundle",
    '<bpmn:startEvent id="start" />'
    '<bpmn:callActivity id="call_item" name="办理单项事项" calledElement="call_item" />'
    + user_task("issue", "统一出件", "window")
    + end("done", "1")
    + flow("f1", "start", "call_item")
    + flow("f2", "call_item", "issue")
    + flow("f3", "issue", "done"),
    ["start", "call_item", "issue", "done"],
    [],
)

ITEMS = {
    "TEST-MSG-RECEIVE": ("msg_receive", RECEIVE),
    "TEST-MSG-CATCH": ("msg_catch", CATCH),
    "TEST-MSG-GATEWAY": ("msg_gateway", GATEWAY),
    "TEST-MSG-BOUNDARY": ("msg_boundary", BOUNDARY),
    "TEST-MSG-START": ("msg_start", START),
}


def deploy_items(uow: UowFactory, items: dict[str, tuple[str, dict[str, str]]]) -> None:
    """Deploy each model (idempotent: identical files make no version) with its item."""
    [guide] = [
        i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
    ]
    with uow() as u:
        for code, (key, files) in items.items():
            deploy_model(u, None, key, files, "test")
            upsert_item(u, {**guide, "code": code, "name": f"消息测试 {code}", "process_key": key})


def ensure_sender(uow: UowFactory) -> None:
    """A user of the integration role, as the provincial platform's account would be."""
    with uow() as u:
        if u.session.scalars(select(models.User).where(models.User.username == SENDER)).first():
            return
        role = u.session.scalars(select(models.Role).where(models.Role.code == "integration")).one()
        office = u.session.scalars(
            select(models.Department).where(models.Department.code == "office")
        ).one()
        u.session.add(
            models.User(
                username=SENDER,
                display_name="省政务服务平台（测试）",
                password_hash=hash_password(DEMO_PASSWORD),
                department_id=office.id,
                roles=[role],
            )
        )
