"""A decision with a parallel reminder branch that ends after it (the result must hold)."""

from __future__ import annotations

PROPS = (
    "<bpmn:extensionElements><spiffworkflow:properties>{}"
    "</spiffworkflow:properties></bpmn:extensionElements>"
)


def _props(**values: str) -> str:
    return PROPS.format(
        "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
    )


RESULT_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs" targetNamespace="http://onewindow.test">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" processRef="result_paths"/>
  </bpmn:collaboration>
  <bpmn:process id="result_paths" name="结果测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_window" name="综合受理窗口">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>split</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>remind</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_note</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>decide</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_yes</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_no</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split" name="分支"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="remind"/>
    <bpmn:userTask id="review" name="审查">{_props(form="none")}</bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="decide"/>
    <bpmn:exclusiveGateway id="decide" name="结论" default="f_no"/>
    <bpmn:sequenceFlow id="f_yes" sourceRef="decide" targetRef="end_yes">
      <bpmn:conditionExpression>decision == "approve"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="decide" targetRef="end_no"/>
    <bpmn:endEvent id="end_yes" name="准予">{_props(result="1")}</bpmn:endEvent>
    <bpmn:endEvent id="end_no" name="不予">{_props(result="2")}</bpmn:endEvent>
    <bpmn:userTask id="remind" name="提醒">{_props(form="none", role="window")}</bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="remind" targetRef="end_note"/>
    <bpmn:endEvent id="end_note" name="提醒结束"/>
  </bpmn:process>
</bpmn:definitions>
"""
