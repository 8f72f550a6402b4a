"""BPMN constructs: what the engine runs works end to end; everything else is refused at deploy.

The supported ones run through the services with every step taken in a freshly started process
(the case restored from the database, no cached workflow or spec), on SQLite and PostgreSQL.
The refused ones name file, line and element, in Chinese (engine/constructs.py says why each
one cannot run here).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import models
from engine.errors import ModelInvalid
from engine.services import cases, tasks
from engine.services.models import deploy_model
from engine.services.timers import fire_due

from . import construct_models as cm
from .construct_models import end, flows, task
from .helpers import ENTERPRISE, case_row, complete, open_names, user
from .process_state import fresh_process

SIGNAL = '<bpmn:signal id="go" name="材料到齐"/>'
ERROR = '<bpmn:error id="refused" name="不予受理" errorCode="REFUSED"/>'
ESCALATION = '<bpmn:escalation id="urgent" name="加急" escalationCode="URGENT"/>'


def start_case(uow, code: str) -> str:
    with uow() as u:
        return cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no


def step(uow, case_no: str, name: str, data: dict | None = None) -> list[str]:
    """Complete a step in a freshly started process; the steps open afterwards."""
    fresh_process()
    complete(uow, "window1", case_no, name, data or {})
    return open_names(uow, case_no)


# ---- what runs ----------------------------------------------------------------------------------


def test_a_signal_thrown_in_one_branch_releases_the_other(uow):
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + task("a", "甲")
        + '<bpmn:intermediateThrowEvent id="send"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:intermediateThrowEvent>"
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:intermediateCatchEvent>"
        + task("b", "乙")
        + '<bpmn:parallelGateway id="join"/>'
        + end("done")
        + flows(
            ("start", "fork"),
            ("fork", "a"),
            ("fork", "wait"),
            ("a", "send"),
            ("send", "join"),
            ("wait", "b"),
            ("b", "join"),
            ("join", "done"),
        )
    )
    case_no = start_case(uow, cm.deploy(uow, body, SIGNAL))
    assert open_names(uow, case_no) == ["甲"], "乙 waits for the signal"
    assert step(uow, case_no, "甲") == ["乙"]
    assert step(uow, case_no, "乙") == []
    assert case_row(uow, case_no).status == "finished"


def test_a_signal_boundary_event_interrupts_its_task(uow):
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + task("a", "甲")
        + '<bpmn:intermediateThrowEvent id="send"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:intermediateThrowEvent>"
        + end("end_a")
        + task("b", "乙")
        + end("end_b")
        + '<bpmn:boundaryEvent id="stop_b" attachedToRef="b">'
        '<bpmn:signalEventDefinition signalRef="go"/></bpmn:boundaryEvent>'
        + task("c", "丙")
        + end("end_c")
        + flows(
            ("start", "fork"),
            ("fork", "a"),
            ("fork", "b"),
            ("a", "send"),
            ("send", "end_a"),
            ("b", "end_b"),
            ("stop_b", "c"),
            ("c", "end_c"),
        )
    )
    case_no = start_case(uow, cm.deploy(uow, body, SIGNAL))
    assert open_names(uow, case_no) == ["乙", "甲"]
    assert step(uow, case_no, "甲") == ["丙"]
    assert step(uow, case_no, "丙") == []
    assert case_row(uow, case_no).status == "finished"


ERROR_SUBPROCESS = (
    '<bpmn:startEvent id="start"/>'
    '<bpmn:subProcess id="review" name="审查">'
    '<bpmn:startEvent id="review_start"/>'
    + task("check", "审查材料")
    + '<bpmn:exclusiveGateway id="verdict" default="flow_verdict_review_end"/>'
    + '<bpmn:endEvent id="refuse"><bpmn:errorEventDefinition errorRef="refused"/></bpmn:endEvent>'
    + '<bpmn:endEvent id="review_end"/>'
    + flows(
        ("review_start", "check"),
        ("check", "verdict"),
        ("verdict", "refuse", 'decision == "reject"'),
        ("verdict", "review_end"),
    )
    + "</bpmn:subProcess>"
    + '<bpmn:boundaryEvent id="refused_boundary" attachedToRef="review">'
    '<bpmn:errorEventDefinition errorRef="refused"/></bpmn:boundaryEvent>'
    + task("return_files", "退件")
    + end("end_refused", "7")
    + task("deliver", "出件")
    + end("end_done", "0")
    + flows(
        ("start", "review"),
        ("review", "deliver"),
        ("deliver", "end_done"),
        ("refused_boundary", "return_files"),
        ("return_files", "end_refused"),
    )
)


@pytest.mark.parametrize(
    ("decision", "next_step", "result"), [("reject", "退件", "7"), ("approve", "出件", "0")]
)
def test_an_error_end_event_leaves_its_subprocess_by_the_error_boundary(
    uow, decision, next_step, result
):
    case_no = start_case(uow, cm.deploy(uow, ERROR_SUBPROCESS, ERROR))
    assert open_names(uow, case_no) == ["审查材料"]
    assert step(uow, case_no, "审查材料", {"decision": decision}) == [next_step]
    assert step(uow, case_no, next_step) == []
    assert (case_row(uow, case_no).status, case_row(uow, case_no).result) == ("finished", result)


def test_an_escalation_starts_a_side_path_without_stopping_the_subprocess(uow):
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:subProcess id="work" name="办理">'
        '<bpmn:startEvent id="work_start"/>'
        + task("a", "甲")
        + '<bpmn:intermediateThrowEvent id="raise">'
        '<bpmn:escalationEventDefinition escalationRef="urgent"/></bpmn:intermediateThrowEvent>'
        + task("b", "乙")
        + '<bpmn:endEvent id="work_end"/>'
        + flows(("work_start", "a"), ("a", "raise"), ("raise", "b"), ("b", "work_end"))
        + "</bpmn:subProcess>"
        '<bpmn:boundaryEvent id="urgent_boundary" attachedToRef="work" cancelActivity="false">'
        '<bpmn:escalationEventDefinition escalationRef="urgent"/></bpmn:boundaryEvent>'
        + task("notify", "通知督办")
        + end("end_notified")
        + task("deliver", "出件")
        + end("end_done")
        + flows(
            ("start", "work"),
            ("work", "deliver"),
            ("deliver", "end_done"),
            ("urgent_boundary", "notify"),
            ("notify", "end_notified"),
        )
    )
    case_no = start_case(uow, cm.deploy(uow, body, ESCALATION))
    assert step(uow, case_no, "甲") == ["乙", "通知督办"]
    assert step(uow, case_no, "通知督办") == ["乙"]
    assert step(uow, case_no, "乙") == ["出件"]
    assert step(uow, case_no, "出件") == []
    assert case_row(uow, case_no).status == "finished"


def test_a_terminate_end_event_ends_every_branch(uow):
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + task("a", "甲")
        + task("b", "乙")
        + end("stop", "0", "<bpmn:terminateEventDefinition/>")
        + end("end_b")
        + flows(("start", "fork"), ("fork", "a"), ("fork", "b"), ("a", "stop"), ("b", "end_b"))
    )
    case_no = start_case(uow, cm.deploy(uow, body))
    assert open_names(uow, case_no) == ["乙", "甲"]
    assert step(uow, case_no, "甲") == []
    assert case_row(uow, case_no).status == "finished"


INCLUSIVE = (
    '<bpmn:startEvent id="start"/>'
    + task("declare", "申报")
    + '<bpmn:inclusiveGateway id="split" default="flow_split_c"/>'
    + task("a", "甲")
    + task("b", "乙")
    + task("c", "丙")
    + '<bpmn:inclusiveGateway id="merge"/>'
    + end("done")
    + flows(
        ("start", "declare"),
        ("declare", "split"),
        ("split", "a", "amount &gt; 10"),
        ("split", "b", "amount &gt; 100"),
        ("split", "c"),
        ("a", "merge"),
        ("b", "merge"),
        ("c", "merge"),
        ("merge", "done"),
    )
)


@pytest.mark.parametrize(("amount", "branches"), [(500, ["乙", "甲"]), (50, ["甲"]), (5, ["丙"])])
def test_an_inclusive_gateway_takes_every_true_branch_and_waits_for_them(uow, amount, branches):
    case_no = start_case(uow, cm.deploy(uow, INCLUSIVE))
    assert step(uow, case_no, "申报", {"amount": amount}) == branches
    for name in branches:
        step(uow, case_no, name)
    assert case_row(uow, case_no).status == "finished"


def test_script_tasks_and_none_events_pass_through_and_notes_are_only_notes(uow):
    """Data objects without associations, text annotations and associations document."""
    body = (
        '<bpmn:startEvent id="start"/>'
        + task("declare", "申报")
        + '<bpmn:scriptTask id="fee" name="计费"><bpmn:script>fee = amount * 2</bpmn:script>'
        "</bpmn:scriptTask>"
        '<bpmn:intermediateThrowEvent id="milestone" name="已计费"/>'
        '<bpmn:dataObjectReference id="receipt" name="收费单" dataObjectRef="receipt_data"/>'
        '<bpmn:dataObject id="receipt_data"/>'
        '<bpmn:exclusiveGateway id="route" default="flow_route_b"/>'
        + task("a", "甲")
        + task("b", "乙")
        + end("end_a")
        + end("end_b")
        + flows(
            ("start", "declare"),
            ("declare", "fee"),
            ("fee", "milestone"),
            ("milestone", "route"),
            ("route", "a", "fee &gt; 100"),
            ("route", "b"),
            ("a", "end_a"),
            ("b", "end_b"),
        )
        + '<bpmn:textAnnotation id="note"><bpmn:text>按金额计费</bpmn:text></bpmn:textAnnotation>'
        '<bpmn:association id="note_link" sourceRef="fee" targetRef="note"/>'
    )
    code = cm.deploy(uow, body)
    case_no = start_case(uow, code)
    assert step(uow, case_no, "申报", {"amount": 100}) == ["甲"]
    assert case_row(uow, case_no).data["fee"] == 200
    case_no = start_case(uow, code)
    assert step(uow, case_no, "申报", {"amount": 10}) == ["乙"]


def test_manual_and_plain_tasks_are_steps_their_lanes_department_confirms(uow):
    """As SpiffWorkflow and SpiffArena run them; deploy notes the difference to a Camunda
    model, where they pass through."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:manualTask id="amr_stamp" name="盖章"/>'
        '<bpmn:task id="hand_over" name="送达"/>'
        + end("done")
        + flows(("start", "amr_stamp"), ("amr_stamp", "hand_over"), ("hand_over", "done"))
    )
    case_no = start_case(uow, cm.deploy(uow, body))
    with uow() as u:
        inbox, _total = tasks.list_tasks(u, user(u, "amr1"), per_page=200)
    assert [(t["name"], t["department"]) for t in inbox if t["case_no"] == case_no] == [
        ("盖章", "amr")
    ]
    fresh_process()
    complete(uow, "amr1", case_no, "盖章", {})
    assert step(uow, case_no, "送达") == []
    assert case_row(uow, case_no).status == "finished"

    camunda = cm.files(body).copy()
    camunda[cm.MAIN] = camunda[cm.MAIN].replace(
        "<bpmn:definitions ",
        '<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ',
    )
    with uow() as u:
        notes = deploy_model(u, None, "camunda_steps", camunda).notes
    assert {n["element_id"] for n in notes} == {"amr_stamp", "hand_over"}
    assert all("Camunda" in n["message"] for n in notes)


def test_an_error_end_event_outside_any_subprocess_ends_the_case_with_its_result(uow):
    body = (
        '<bpmn:startEvent id="start"/>'
        + task("a", "甲")
        + end("refuse", "1", '<bpmn:errorEventDefinition errorRef="refused"/>')
        + flows(("start", "a"), ("a", "refuse"))
    )
    case_no = start_case(uow, cm.deploy(uow, body, ERROR))
    assert step(uow, case_no, "甲") == []
    assert (case_row(uow, case_no).status, case_row(uow, case_no).result) == ("finished", "1")


def test_an_escalation_end_event_leaves_its_subprocess_by_an_interrupting_boundary(uow):
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:subProcess id="work" name="办理">'
        '<bpmn:startEvent id="work_start"/>'
        + task("a", "甲")
        + '<bpmn:endEvent id="raise"><bpmn:escalationEventDefinition escalationRef="urgent"/>'
        "</bpmn:endEvent>" + flows(("work_start", "a"), ("a", "raise")) + "</bpmn:subProcess>"
        '<bpmn:boundaryEvent id="urgent_boundary" attachedToRef="work">'
        '<bpmn:escalationEventDefinition escalationRef="urgent"/></bpmn:boundaryEvent>'
        + task("notify", "通知督办")
        + end("end_notified", "3")
        + task("deliver", "出件")
        + end("end_done")
        + flows(("start", "work"), ("work", "deliver"), ("deliver", "end_done"))
        + flows(("urgent_boundary", "notify"), ("notify", "end_notified"))
    )
    case_no = start_case(uow, cm.deploy(uow, body, ESCALATION))
    assert step(uow, case_no, "甲") == ["通知督办"]
    assert step(uow, case_no, "通知督办") == []
    assert (case_row(uow, case_no).status, case_row(uow, case_no).result) == ("finished", "3")


def fire_timers(uow, sessions, case_no: str) -> None:
    """Run the scheduler a minute after the case's timers are due, in a fresh process."""
    case = case_row(uow, case_no)
    with uow() as u:
        due = max(
            u.session.scalars(
                select(models.Timer.due_at).where(
                    models.Timer.case_id == case.id, models.Timer.fired_at.is_(None)
                )
            )
        )
    fresh_process()
    assert fire_due(sessions, lambda: due + timedelta(minutes=1)) >= 1


def test_an_intermediate_timer_holds_the_case_until_the_scheduler_fires_it(uow, sessions):
    body = (
        '<bpmn:startEvent id="start"/>'
        + task("a", "甲")
        + '<bpmn:intermediateCatchEvent id="cool_off" name="公示期"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>"P5D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
        "</bpmn:intermediateCatchEvent>"
        + task("b", "乙")
        + end("done")
        + flows(("start", "a"), ("a", "cool_off"), ("cool_off", "b"), ("b", "done"))
    )
    case_no = start_case(uow, cm.deploy(uow, body))
    assert step(uow, case_no, "甲") == []
    fire_timers(uow, sessions, case_no)
    assert open_names(uow, case_no) == ["乙"]


def test_a_non_interrupting_boundary_timer_adds_a_reminder_beside_the_task(uow, sessions):
    body = (
        '<bpmn:startEvent id="start"/>'
        + task("a", "甲")
        + '<bpmn:boundaryEvent id="remind" attachedToRef="a" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        + task("urge", "催办")
        + end("end_urged")
        + end("done")
        + flows(("start", "a"), ("a", "done"), ("remind", "urge"), ("urge", "end_urged"))
    )
    case_no = start_case(uow, cm.deploy(uow, body))
    fire_timers(uow, sessions, case_no)
    assert open_names(uow, case_no) == ["催办", "甲"]
    assert step(uow, case_no, "催办") == ["甲"]
    assert step(uow, case_no, "甲") == []
    assert case_row(uow, case_no).status == "finished"


# ---- what is refused ----------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
START = '<bpmn:startEvent id="start"/>' + task("declare", "申报")


def around(construct: str, first: str, last: str | None = None) -> str:
    """start → 申报 → ``construct`` (entered at ``first``, left at ``last``) → end."""
    leave = flows((last, "end")) if last else ""
    return START + construct + end("end") + flows(("start", "declare"), ("declare", first)) + leave


def beside(construct: str) -> str:
    """start → 申报 → end, and ``construct`` next to it."""
    return START + end("end") + flows(("start", "declare"), ("declare", "end")) + construct


def timer_start(event_id: str, extra: str = "") -> str:
    return (
        f'<bpmn:startEvent id="{event_id}" {extra}><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>"P5D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>'
    )


def event_subprocess(start_event: str) -> str:
    return beside(
        '<bpmn:subProcess id="side" name="催办" triggeredByEvent="true">'
        + start_event
        + task("urge", "催办")
        + '<bpmn:endEvent id="side_end"/>'
        + flows(("side_start", "urge"), ("urge", "side_end"))
        + "</bpmn:subProcess>"
    )


FEEL_CONDITION = (
    '<bpmn:exclusiveGateway id="gw" default="flow_gw_end"/>'
    + task("a", "甲")
    + '<bpmn:sequenceFlow id="feel" sourceRef="gw" targetRef="a">'
    '<bpmn:conditionExpression language="https://www.omg.org/spec/DMN/20191111/FEEL/">'
    "amount &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>"
    + end("end_a")
    + flows(("gw", "end"), ("a", "end_a"))
)

REFUSED = [
    pytest.param(
        around('<bpmn:complexGateway id="cx"/>', "cx", "cx"), "", "cx", "复杂网关", id="complex"
    ),
    pytest.param(
        around('<bpmn:serviceTask id="push" name="推送"/>', "push", "push"),
        "",
        "push",
        "服务任务",
        id="service-task",
    ),
    pytest.param(
        around(
            '<bpmn:adHocSubProcess id="adhoc" name="自由办理">'
            + task("x", "任选")
            + "</bpmn:adHocSubProcess>",
            "adhoc",
            "adhoc",
        ),
        "",
        "adhoc",
        "自由子流程",
        id="ad-hoc",
    ),
    pytest.param(
        around(
            '<bpmn:transaction id="tx" name="缴费"><bpmn:startEvent id="tx_start"/>'
            '<bpmn:endEvent id="tx_end"/>' + flows(("tx_start", "tx_end")) + "</bpmn:transaction>",
            "tx",
            "tx",
        ),
        "",
        "tx",
        "事务子流程",
        id="transaction",
    ),
    pytest.param(
        beside('<bpmn:dataStoreReference id="archive" name="档案库"/>'),
        "",
        "archive",
        "数据存储",
        id="data-store",
    ),
    pytest.param(
        around(
            '<bpmn:scriptTask id="calc" name="计费"><bpmn:dataOutputAssociation id="to_doc">'
            "<bpmn:targetRef>doc</bpmn:targetRef></bpmn:dataOutputAssociation>"
            "<bpmn:script>fee = 1</bpmn:script></bpmn:scriptTask>"
            '<bpmn:dataObjectReference id="doc" name="收费单" dataObjectRef="doc_object"/>'
            '<bpmn:dataObject id="doc_object"/>',
            "calc",
            "calc",
        ),
        "",
        "calc",
        "数据关联",
        id="data-association",
    ),
    pytest.param(
        beside(
            '<bpmn:boundaryEvent id="undo_hook" attachedToRef="declare">'
            "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
            '<bpmn:task id="undo" name="撤销" isForCompensation="true"/>'
            '<bpmn:association id="undo_link" sourceRef="undo_hook" targetRef="undo"/>'
        ),
        "",
        "undo_hook",
        "补偿",
        id="compensation",
    ),
    pytest.param(
        around(
            '<bpmn:intermediateCatchEvent id="when" name="金额到位">'
            "<bpmn:conditionalEventDefinition>"
            '<bpmn:condition xsi:type="bpmn:tFormalExpression">amount &gt; 1</bpmn:condition>'
            "</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>",
            "when",
            "when",
        ),
        "",
        "when",
        "条件事件",
        id="conditional-event",
    ),
    pytest.param(
        around(
            '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="L"/>'
            "</bpmn:intermediateThrowEvent>"
            '<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="L"/>'
            "</bpmn:intermediateCatchEvent>",
            "jump",
            "land",
        ),
        "",
        "jump",
        "链接事件",
        id="link-event",
    ),
    pytest.param(
        timer_start("start")
        + task("declare", "申报")
        + end("end")
        + flows(("start", "declare"), ("declare", "end")),
        "",
        "start",
        "定时器开始事件",
        id="timer-start",
    ),
    pytest.param(
        '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:startEvent>"
        + task("declare", "申报")
        + '<bpmn:intermediateThrowEvent id="send"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:intermediateThrowEvent>"
        + end("end")
        + flows(("start", "declare"), ("declare", "send"), ("send", "end")),
        SIGNAL,
        "start",
        "信号开始事件",
        id="signal-start",
    ),
    pytest.param(
        event_subprocess(timer_start("side_start", 'isInterrupting="false"')),
        "",
        "side",
        "事件子流程",
        id="timer-event-subprocess",
    ),
    pytest.param(
        event_subprocess(
            '<bpmn:startEvent id="side_start"><bpmn:errorEventDefinition errorRef="refused"/>'
            "</bpmn:startEvent>"
        ),
        ERROR,
        "side",
        "事件子流程",
        id="error-event-subprocess",
    ),
    pytest.param(
        beside(
            '<bpmn:startEvent id="start_again"/>'
            + end("end_again")
            + flows(("start_again", "end_again"))
        ),
        "",
        "start_again",
        "空开始事件",
        id="two-none-starts",
    ),
    pytest.param(
        around(
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="go"/>'
            "</bpmn:intermediateCatchEvent>",
            "wait",
            "wait",
        ),
        SIGNAL,
        "wait",
        "材料到齐",
        id="signal-nobody-throws",
    ),
    pytest.param(
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + task("declare", "申报")
        + end("send", "0", '<bpmn:signalEventDefinition signalRef="go"/>')
        + '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="go"/>'
        "</bpmn:intermediateCatchEvent>"
        + end("end")
        + flows(("start", "fork"), ("fork", "declare"), ("fork", "wait"), ("declare", "send"))
        + flows(("wait", "end")),
        SIGNAL,
        "send",
        "信号结束事件",
        id="signal-end-event",
    ),
    pytest.param(
        beside(
            '<bpmn:boundaryEvent id="failed" attachedToRef="declare">'
            '<bpmn:errorEventDefinition errorRef="refused"/></bpmn:boundaryEvent>'
            + end("end_failed")
            + flows(("failed", "end_failed"))
        ),
        ERROR,
        "failed",
        "永远不会触发",
        id="error-boundary-on-a-task",
    ),
    pytest.param(
        around('<bpmn:scriptTask id="calc" name="计费"/>', "calc", "calc"),
        "",
        "calc",
        "没有脚本",
        id="script-without-script",
    ),
    pytest.param(
        around(FEEL_CONDITION, "gw"), "", "feel", "请用 Python 表达式", id="feel-condition"
    ),
]


@pytest.mark.parametrize(("body", "definitions", "element", "words"), REFUSED)
def test_what_the_engine_cannot_run_is_refused_at_deploy_located_in_chinese(
    uow, body, definitions, element, words
):
    with uow() as u, pytest.raises(ModelInvalid) as caught:
        deploy_model(u, None, "refused_construct", cm.files(body, definitions))
    problems = caught.value.problems
    found = [p for p in problems if p["element_id"] == element and words in p["message"]]
    assert found, problems
    assert found[0]["file"] == cm.MAIN and found[0]["line"], found
    for problem in problems:
        assert CJK.search(problem["message"]) and "None" not in problem["message"], problem
