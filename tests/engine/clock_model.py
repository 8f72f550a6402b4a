"""A model whose steps declare every clock effect (受理 starts, 补正 pauses, 补齐 resumes)."""

CLOCK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs" targetNamespace="http://onewindow.test">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" processRef="clock_flow" />
  </bpmn:collaboration>
  <bpmn:process id="clock_flow" name="计时测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_window" name="综合受理窗口">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>intake</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>arrive</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">
        <bpmn:flowNodeRef>ask</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intake" />
    <bpmn:userTask id="intake" name="受理">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="window" />
        <spiffworkflow:property name="form" value="none" />
        <spiffworkflow:property name="clock" value="start" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="ask" />
    <bpmn:userTask id="ask" name="受理后补正告知">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="reviewer" />
        <spiffworkflow:property name="form" value="none" />
        <spiffworkflow:property name="clock" value="pause" />
        <spiffworkflow:property name="dueWorkingDays" value="2" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="ask" targetRef="arrive" />
    <bpmn:userTask id="arrive" name="补正材料已补齐">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="window" />
        <spiffworkflow:property name="form" value="none" />
        <spiffworkflow:property name="clock" value="resume" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="arrive" targetRef="review" />
    <bpmn:userTask id="review" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="reviewer" />
        <spiffworkflow:property name="form" value="none" />
        <spiffworkflow:property name="clock" value="stop" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" name="办结">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="result" value="6" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
