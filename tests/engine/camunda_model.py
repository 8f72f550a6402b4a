# ruff: noqa: E501 - the XML is kept as Camunda Modeler writes it
"""A model as Camunda Modeler 5 saves it for the Camunda 7 platform (fixture).

市场监督管理局 reviews an application in one user task: ``camunda:candidateGroups="amr:reviewer"``,
a ``camunda:formData`` form (boolean, string, long, enum, date, with validation constraints) and
``camunda:properties`` (``dueWorkingDays``). A Camunda-style unquoted ``PT2H`` boundary timer,
an exclusive gateway with Python conditions (``approved == True``) and end events whose
``camunda:properties`` name the result.
"""

from __future__ import annotations

MAIN = "camunda_review.bpmn"
PROCESS_ID = "Process_camunda_review"

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xmlns:camunda="http://camunda.org/schema/1.0/bpmn" \
xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_0k3x9rw" \
targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.20.0" \
modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.20.0">
  <bpmn:collaboration id="Collaboration_1y8n3sb">
    <bpmn:participant id="Participant_0d6k1ql" name="Camunda 审查" processRef="Process_camunda_review" />
  </bpmn:collaboration>
  <bpmn:process id="Process_camunda_review" name="Camunda 审查" isExecutable="true" \
camunda:historyTimeToLive="180">
    <bpmn:laneSet id="LaneSet_0t1c2xo">
      <bpmn:lane id="Lane_amr" name="市场监督管理局">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_approved</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_approved</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_rejected</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Timer_review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_timeout</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1" name="申请提交">
      <bpmn:outgoing>Flow_0start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="review" name="审查申请" camunda:candidateGroups="amr:reviewer">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="approved" label="是否准予" type="boolean">
            <camunda:validation>
              <camunda:constraint name="required" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="opinion" label="审查意见" type="string">
            <camunda:validation>
              <camunda:constraint name="maxlength" config="200" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="capital" label="注册资本（万元）" type="long">
            <camunda:validation>
              <camunda:constraint name="min" config="0" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="category" label="企业类型" type="enum" defaultValue="limited">
            <camunda:value id="limited" name="有限责任公司" />
            <camunda:value id="sole" name="个人独资企业" />
          </camunda:formField>
          <camunda:formField id="decided_on" label="决定日期" type="date" />
        </camunda:formData>
        <camunda:properties>
          <camunda:property name="dueWorkingDays" value="2" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_0start</bpmn:incoming>
      <bpmn:outgoing>Flow_0review</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_approved" name="是否准予？">
      <bpmn:incoming>Flow_0review</bpmn:incoming>
      <bpmn:outgoing>Flow_yes</bpmn:outgoing>
      <bpmn:outgoing>Flow_no</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="End_approved" name="准予">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="result" value="6" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_yes</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="End_rejected" name="不予许可">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="result" value="7" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_no</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:boundaryEvent id="Timer_review" name="审查超时" attachedToRef="review">
      <bpmn:outgoing>Flow_timeout</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="End_timeout" name="超时退回">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="result" value="1" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_timeout</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_0start" sourceRef="StartEvent_1" targetRef="review" />
    <bpmn:sequenceFlow id="Flow_0review" sourceRef="review" targetRef="Gateway_approved" />
    <bpmn:sequenceFlow id="Flow_yes" name="准予" sourceRef="Gateway_approved" targetRef="End_approved">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_no" name="不予" sourceRef="Gateway_approved" targetRef="End_rejected">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved == False</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_timeout" sourceRef="Timer_review" targetRef="End_timeout" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_1y8n3sb">
      <bpmndi:BPMNShape id="Participant_0d6k1ql_di" bpmnElement="Participant_0d6k1ql" isHorizontal="true">
        <dc:Bounds x="129" y="80" width="661" height="290" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_amr_di" bpmnElement="Lane_amr" isHorizontal="true">
        <dc:Bounds x="159" y="80" width="631" height="290" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1">
        <dc:Bounds x="212" y="182" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review">
        <dc:Bounds x="300" y="160" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_approved_di" bpmnElement="Gateway_approved" isMarkerVisible="true">
        <dc:Bounds x="455" y="175" width="50" height="50" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_approved_di" bpmnElement="End_approved">
        <dc:Bounds x="562" y="182" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_rejected_di" bpmnElement="End_rejected">
        <dc:Bounds x="562" y="282" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_timeout_di" bpmnElement="End_timeout">
        <dc:Bounds x="462" y="102" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Timer_review_di" bpmnElement="Timer_review">
        <dc:Bounds x="382" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_0start_di" bpmnElement="Flow_0start">
        <di:waypoint x="248" y="200" />
        <di:waypoint x="300" y="200" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_0review_di" bpmnElement="Flow_0review">
        <di:waypoint x="400" y="200" />
        <di:waypoint x="455" y="200" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_yes_di" bpmnElement="Flow_yes">
        <di:waypoint x="505" y="200" />
        <di:waypoint x="562" y="200" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_no_di" bpmnElement="Flow_no">
        <di:waypoint x="480" y="225" />
        <di:waypoint x="480" y="300" />
        <di:waypoint x="562" y="300" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_timeout_di" bpmnElement="Flow_timeout">
        <di:waypoint x="400" y="142" />
        <di:waypoint x="400" y="120" />
        <di:waypoint x="462" y="120" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

FILES = {MAIN: BPMN}


def variant(old: str, new: str) -> dict[str, str]:
    """The model with one fragment replaced (the fragment must occur)."""
    assert old in BPMN, old
    return {MAIN: BPMN.replace(old, new, 1)}


# The same gateway as Camunda Modeler writes an "Expression" condition: JUEL, not Python.
JUEL = variant("approved == True</bpmn", "${approved}</bpmn")
