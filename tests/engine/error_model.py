"""Models that fail at run time: a condition on a missing variable, no way out, a bad script,
and a timer whose path fails (fixed in a second version with a default flow)."""

from __future__ import annotations

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs" targetNamespace="http://onewindow.test">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" processRef="{pid}"/>
  </bpmn:collaboration>
  <bpmn:process id="{pid}" name="出错测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_window" name="综合受理窗口">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>intake</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">{refs}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="intake"/>
    <bpmn:userTask id="intake" name="受理">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="window"/>
        <spiffworkflow:property name="form" value="none"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="intake" targetRef="{first}"/>
"""
TAIL = """    <bpmn:endEvent id="end" name="办结"/>
    <bpmn:endEvent id="end2" name="另一结束"/>
  </bpmn:process>
</bpmn:definitions>
"""
REVIEW = """    <bpmn:userTask id="review" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form" value="none"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_review" sourceRef="review" targetRef="end"/>
"""


def _model(pid: str, first: str, body: str, nodes: tuple[str, ...]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in (*nodes, "end", "end2"))
    return HEAD.format(pid=pid, first=first, refs=refs) + body + TAIL


def gateway(pid: str, first_condition: str, default: bool = False) -> str:
    default_attr = ' default="f_b"' if default else ""
    second = (
        ""
        if default
        else '<bpmn:conditionExpression>decision == "never"</bpmn:conditionExpression>'
    )
    body = f"""    <bpmn:exclusiveGateway id="route" name="分流"{default_attr}/>
    <bpmn:sequenceFlow id="f_a" sourceRef="route" targetRef="review">
      <bpmn:conditionExpression>{first_condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_b" sourceRef="route" targetRef="end2">{second}</bpmn:sequenceFlow>
{REVIEW}"""
    return _model(pid, "route", body, ("route", "review"))


def failing_script(pid: str) -> str:
    body = f"""    <bpmn:scriptTask id="compute" name="计算费用">
      <bpmn:script>ratio = 1 / 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_s" sourceRef="compute" targetRef="review"/>
{REVIEW}"""
    return _model(pid, "compute", body, ("compute", "review"))


def timer_path(pid: str, fixed: bool = False) -> str:
    """审查 with a boundary timer (PT2H) whose path reads a variable the case lacks."""
    default_attr = ' default="f_t2"' if fixed else ""
    condition = 'decision == "escalate"' if fixed else "escalation_level &gt; 1"
    second = (
        "" if fixed else '<bpmn:conditionExpression>decision == "never"</bpmn:conditionExpression>'
    )
    body = f"""    <bpmn:userTask id="review" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form" value="none"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_review" sourceRef="review" targetRef="end"/>
    <bpmn:boundaryEvent id="late" name="审查超时" attachedToRef="review">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="escalate"/>
    <bpmn:exclusiveGateway id="escalate" name="超时处理"{default_attr}/>
    <bpmn:sequenceFlow id="f_t1" sourceRef="escalate" targetRef="end3">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_t2" sourceRef="escalate" targetRef="end2">{second}</bpmn:sequenceFlow>
"""
    body += '    <bpmn:endEvent id="end3" name="升级督办"/>\n'
    return _model(pid, "review", body, ("review", "late", "escalate", "end3"))


def failing_at_start(pid: str) -> str:
    """A script right after the start event: it runs while the case is being created."""
    return (
        failing_script(pid)
        .replace(
            '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="intake"/>',
            '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="boot"/>\n'
            '    <bpmn:scriptTask id="boot" name="初始化"><bpmn:script>fee = base_fee * 2'
            "</bpmn:script></bpmn:scriptTask>\n"
            '    <bpmn:sequenceFlow id="f0b" sourceRef="boot" targetRef="intake"/>',
        )
        .replace(
            "<bpmn:flowNodeRef>start</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>boot</bpmn:flowNodeRef>",
        )
    )
