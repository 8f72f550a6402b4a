"""The sandbox must refuse what plain eval/exec would run, and still run ordinary BPMN logic."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import (
    SandboxEnvironment,
    SandboxError,
    compile_expression,
    evaluate,
    execute,
    script_engine,
)

# Reaches os.getcwd through dunder attributes; it returned the cwd under plain eval with
# RestrictedPython's safe_globals (ENGINE-NOTES.md).
ESCAPE = (
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__=='_wrap_close'][0]"
    ".__init__.__globals__['getcwd']()"
)


@pytest.fixture
def getcwd_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records calls to os.getcwd, the function every escape below tries to reach."""
    calls: list[bool] = []
    real_getcwd = os.getcwd

    def spy() -> str:
        calls.append(True)
        return real_getcwd()

    monkeypatch.setattr(os, "getcwd", spy)
    return calls


@pytest.fixture
def watchdog() -> Iterator[None]:
    """Fails a main-thread test after 5 s, so a broken sandbox fails instead of hanging."""

    def expire(signum: int, frame: object) -> None:
        raise AssertionError("the sandbox did not stop the code")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# --- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        ESCAPE,
        "__import__('os')",
        "open('/etc/hostname')",
        "getattr(x, '__class__')",
        "(lambda: 1).__globals__",
        "x.__class__",
        "(i for i in []).gi_frame",
        "eval('1')",
        "print(x)",
        "f'{x:{width}}'",  # computed format spec
        "f'{x:>1000000000}'",
    ],
)
def test_refused_when_compiling(source: str, getcwd_calls: list[bool]) -> None:
    with pytest.raises(SandboxError, match="rejected by the sandbox"):
        evaluate(source, {"x": 1, "width": 5})
    assert not getcwd_calls


@pytest.mark.parametrize(
    "script",
    [
        ESCAPE,
        "import os\nos.getcwd()",
        "from os import getcwd",
        "try:\n    x = 1\nexcept Exception:\n    pass",
        "class A:\n    pass",
    ],
)
def test_scripts_refused_when_compiling(script: str, getcwd_calls: list[bool]) -> None:
    data = {"x": 1}
    with pytest.raises(SandboxError, match="rejected by the sandbox"):
        execute(script, data)
    assert data == {"x": 1}
    assert not getcwd_calls


def test_import_message_is_readable() -> None:
    with pytest.raises(SandboxError, match="不允许导入模块") as info:
        execute("x = 1\nimport os", {})
    assert info.value.line == 2


@pytest.mark.parametrize(
    "source",
    [
        "type(x)",  # not a builtin in the sandbox
        "ValueError.mro()",  # would lead to BaseException and object
        "'{0.__class__}'.format(x)",  # str.format walks attributes
        "str.join",  # methods with size checks are only reachable on values
    ],
)
def test_refused_at_run_time(source: str) -> None:
    with pytest.raises((SandboxError, NameError, AttributeError, NotImplementedError)):
        evaluate(source, {"x": 1})


@pytest.mark.parametrize(
    "source",
    [
        "9**9**9",
        "pow(9, 9**9)",
        "'a'*10**10",
        "[0]*10**10",
        "10**4000 * 10**4000",
        "1 << 10**10",
        "list(range(10**12))",
        "'a'.ljust(10**10)",
        "('a'*10**6).replace('a', 'aa')",
        "'-'.join(['a'*10**5]*100)",
        "(1).to_bytes(10**10, 'big')",
        "'%*d' % (10**9, 1)",
        "'%1000000000d' % 1",
        "sum([[0]*10**3]*10**4, [])",
        "round(5, -10**9)",
        "int(Decimal('1e1000000'))",
        "int(Decimal('1e4000') ** 1000)",
    ],
)
def test_huge_single_operations_refused_quickly(source: str) -> None:
    started = time.monotonic()
    with pytest.raises((SandboxError, ArithmeticError)):
        evaluate(source, {})
    assert time.monotonic() - started < 0.5


@pytest.mark.usefixtures("watchdog")
def test_huge_growth_in_augmented_assignment_refused() -> None:
    data = {"x": "ab"}
    with pytest.raises(SandboxError, match="too large"):
        execute("for i in range(100):\n    x += x", data)


@pytest.mark.usefixtures("watchdog")
def test_infinite_loop_times_out() -> None:
    started = time.monotonic()
    with pytest.raises(SandboxError, match="timed out"):
        execute("while True: pass", {})
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "script",
    [
        "while 1:\n    continue",
        "n = 0\nwhile n >= 0:\n    n += 1",
        "def spin():\n    while True:\n        pass\nspin()",
        "total = sum(a * b for a in range(10**6) for b in range(10**6))",
    ],
)
@pytest.mark.usefixtures("watchdog")
def test_other_endless_scripts_time_out(script: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxError, match="timed out"):
        execute(script, {}, timeout=0.2)
    assert time.monotonic() - started < 1.0


def test_timeout_works_outside_the_main_thread() -> None:
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            evaluate("any(a + b < 0 for a in range(10**6) for b in range(10**6))", {}, timeout=0.2)
        except BaseException as exc:  # report whatever happened to the main thread
            outcome.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 1.5
    assert len(outcome) == 1 and isinstance(outcome[0], SandboxError)
    assert "timed out" in str(outcome[0])


@pytest.mark.usefixtures("watchdog")
def test_previous_tracer_is_restored() -> None:
    def tracer(frame: object, event: str, arg: object) -> None:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        with pytest.raises(SandboxError):
            execute("while True: pass", {}, timeout=0.05)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


# --- still works ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ('decision == "approve"', {"decision": "approve"}, True),
        ('capital >= 1000 and kind != "个体工商户"', {"capital": 5000, "kind": "有限公司"}, True),
        (
            'capital >= 1000 and kind != "个体工商户"',
            {"capital": 5000, "kind": "个体工商户"},
            False,
        ),
        ("len(missing_materials) > 0", {"missing_materials": ["营业执照"]}, True),
        ("(a + b) * 3 - c / 2 + a ** 2 + a % 2", {"a": 3, "b": 4, "c": 10}, 26.0),
        ("f'{name}：{fee:.2f} 元'", {"name": "登记费", "fee": 12.5}, "登记费：12.50 元"),
        ("Decimal('1.5') * 2", {}, Decimal("3.0")),
        ("isinstance(fee, Decimal)", {"fee": Decimal("9.99")}, True),
        ("[m['name'] for m in items if m['ok']]", {"items": [{"name": "a", "ok": True}]}, ["a"]),
        ("{k: v * 2 for k, v in fees.items()}", {"fees": {"a": 1}}, {"a": 2}),
        ("sorted(set(tags))[:2]", {"tags": ["b", "a", "b", "c"]}, ["a", "b"]),
        ("max(scores) - min(scores) + sum(scores)", {"scores": [1, 5, 3]}, 13),
        ("dict(zip(keys, range(len(keys))))", {"keys": ["x", "y"]}, {"x": 0, "y": 1}),
        ("'、'.join(str(n) for n in nums)", {"nums": [1, 2]}, "1、2"),
    ],
)
def test_ordinary_expressions(expression: str, data: dict, expected: object) -> None:
    assert evaluate(expression, data) == expected


def test_dates_and_tuple_unpacking() -> None:
    data = {"pairs": [("a", 1), ("b", 2)]}
    execute(
        "start = date(2024, 1, 31)\n"
        "due = start + timedelta(days=20)\n"
        "days = (due - start).days\n"
        "names = []\n"
        "for name, count in pairs:\n"
        "    names.append(name * count)\n"
        "first, second = names\n",
        data,
    )
    assert data["days"] == 20
    assert (data["first"], data["second"]) == ("a", "bb")


def test_execute_updates_data_and_drops_functions() -> None:
    data = {"amount": 5}
    result = execute(
        "def double(v):\n"
        "    return v * 2\n"
        "total = double(amount)\n"
        "total += 1\n"
        "squares = (n * n for n in range(3))\n"
        "del amount\n",
        data,
    )
    assert result is None
    assert data == {"total": 11}


def test_evaluate_does_not_modify_data() -> None:
    data = {"a": 1}
    assert evaluate("a + 1", data) == 2
    assert data == {"a": 1}


def test_runtime_error_keeps_its_type_and_data_guards_win() -> None:
    # Task data cannot replace a guard: names starting with "_" are the sandbox's own.
    with pytest.raises(ZeroDivisionError):
        evaluate("a / 0", {"a": 1, "_getattr_": "not a function"})
    with pytest.raises(AttributeError):
        evaluate("a.nothing", {"a": 1})


def test_compile_cache_returns_the_same_code() -> None:
    assert compile_expression("a + 1", "eval") is compile_expression("a + 1", "eval")


def test_environment_merges_like_spiffworkflow() -> None:
    environment = SandboxEnvironment({"rate": 2})
    context = {"amount": 3}
    assert environment.evaluate("amount * rate + bonus", context, {"bonus": 1}) == 7
    assert environment.execute("total = amount * rate + bonus", context, {"bonus": 1}) is True
    # Globals and external context are removed again, as TaskDataEnvironment does.
    assert context == {"amount": 3, "total": 7}
    with pytest.raises(ValueError, match="overwrites a predefined"):
        environment.execute("x = 1", {"rate": 5})


# --- through SpiffWorkflow -----------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="defs" targetNamespace="http://onewindow.example/test">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_small" />
    <bpmn:sequenceFlow id="f_big" sourceRef="gw" targetRef="work">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="gw" targetRef="end" />
    <bpmn:scriptTask id="work">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_work" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def run_workflow(condition: str, script: str, data: dict) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    xml = BPMN.format(process_id="p", condition=condition, script=script)
    parser.add_bpmn_xml(etree.fromstring(xml.encode()), "test.bpmn")
    workflow = BpmnWorkflow(
        parser.get_spec("p"), parser.get_subprocess_specs("p"), script_engine=script_engine()
    )
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    workflow.do_engine_steps()
    return workflow


@pytest.mark.parametrize(("amount", "expected"), [(20, {"amount": 20, "total": 40}), (5, None)])
def test_gateway_and_script_task(amount: int, expected: dict | None) -> None:
    workflow = run_workflow("amount &gt; 10", "total = amount * 2", {"amount": amount})
    assert workflow.is_completed()
    ran_script = [
        t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name == "work"
    ]
    if expected is None:
        assert not ran_script
        assert workflow.last_task.data == {"amount": 5}
    else:
        assert ran_script[0].data == expected


def test_escaping_script_task_fails_the_workflow(getcwd_calls: list[bool]) -> None:
    script = "cwd = " + ESCAPE.replace("'", "&apos;")
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow("amount &gt; 10", script, {"amount": 20})
    assert isinstance(info.value.__context__, SandboxError)
    assert info.value.error_type == "SandboxError"
    assert not getcwd_calls


def test_escaping_gateway_condition_fails_the_workflow(getcwd_calls: list[bool]) -> None:
    condition = ESCAPE.replace("'", "&apos;") + " != 1"
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow(condition, "total = 1", {"amount": 20})
    assert isinstance(info.value.__context__, SandboxError)
    assert not getcwd_calls


@pytest.mark.usefixtures("watchdog")
def test_endless_script_task_times_out_with_its_line() -> None:
    with pytest.raises(WorkflowTaskException, match="timed out") as info:
        run_workflow("amount &gt; 10", "x = 1\nwhile True:\n    x = 2", {"amount": 20})
    # The base engine looks for frames named "<string>" and would report line 0.
    assert info.value.line_number in (2, 3)


def test_service_tasks_fail_clearly() -> None:
    workflow = run_workflow("amount &gt; 10", "total = 1", {"amount": 20})
    task = workflow.last_task
    with pytest.raises(WorkflowTaskException, match="service tasks are not enabled"):
        script_engine().call_service(task, operation_name="x", operation_params={})


DMN_WORKFLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://onewindow.example/test">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:businessRuleTask id="decide">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>fee</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="fees" name="fees"
    namespace="http://onewindow.example/test">
  <decision id="fee" name="fee">
    <decisionTable id="table">
      <input id="in_kind" label="kind">
        <inputExpression id="expr_kind" typeRef="string"><text>kind</text></inputExpression>
      </input>
      <output id="out_fee" name="fee" typeRef="number" />
      <rule id="r1">
        <inputEntry id="e1"><text>"company"</text></inputEntry>
        <outputEntry id="o1"><text>Decimal("100.50")</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="e2"><text>"escape"</text></inputEntry>
        <outputEntry id="o2"><text>{escape}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def run_decision(kind: str) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(DMN_WORKFLOW.encode()), "p.bpmn")
    dmn = DMN.replace("{escape}", ESCAPE.replace("'", "&apos;"))
    parser.add_dmn_xml(etree.fromstring(dmn.encode()), "fees.dmn")
    workflow = BpmnWorkflow(
        parser.get_spec("p"), parser.get_subprocess_specs("p"), script_engine=script_engine()
    )
    workflow.get_next_task(state=TaskState.READY).data.update({"kind": kind})
    workflow.do_engine_steps()
    return workflow


def test_dmn_cells_run_in_the_sandbox(getcwd_calls: list[bool]) -> None:
    assert run_decision("company").last_task.data["fee"] == Decimal("100.50")
    with pytest.raises(WorkflowTaskException) as info:
        run_decision("escape")
    assert info.value.error_type == "SandboxError"
    assert not getcwd_calls
