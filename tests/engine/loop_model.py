"""A small rework loop (审查 → 退回 → 补正 → 审查 …) used by the runtime tests."""

LOOP_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs" targetNamespace="http://onewindow.test">
  <bpmn:process id="rework_loop" name="补正循环" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
    <bpmn:exclusiveGateway id="merge" name="合并"/>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="review"/>
    <bpmn:userTask id="review" name="审查"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="decide"/>
    <bpmn:exclusiveGateway id="decide" name="结论" default="f_approve"/>
    <bpmn:sequenceFlow id="f_return" sourceRef="decide" targetRef="rework">
      <bpmn:conditionExpression>decision == "return"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_approve" sourceRef="decide" targetRef="parallel"/>
    <bpmn:userTask id="rework" name="补正"/>
    <bpmn:sequenceFlow id="f4" sourceRef="rework" targetRef="merge"/>
    <bpmn:parallelGateway id="parallel" name="并行"/>
    <bpmn:sequenceFlow id="f5" sourceRef="parallel" targetRef="a"/>
    <bpmn:sequenceFlow id="f6" sourceRef="parallel" targetRef="b"/>
    <bpmn:userTask id="a" name="甲"/>
    <bpmn:userTask id="b" name="乙"/>
    <bpmn:sequenceFlow id="f7" sourceRef="a" targetRef="join"/>
    <bpmn:sequenceFlow id="f8" sourceRef="b" targetRef="join"/>
    <bpmn:parallelGateway id="join" name="汇合"/>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end" name="办结">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="result" value="0"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

FILES = {"loop.bpmn": LOOP_BPMN}

# The same loop beside a branch that stays open (a 会商 never answered): nothing above the
# parallel split can be pruned, so only the depth guard can stop the case.
PINNED_BPMN = LOOP_BPMN.replace('id="rework_loop"', 'id="pinned_loop"').replace(
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>',
    """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork" name="分叉"/>
    <bpmn:sequenceFlow id="f1a" sourceRef="fork" targetRef="merge"/>
    <bpmn:sequenceFlow id="f1b" sourceRef="fork" targetRef="consult"/>
    <bpmn:userTask id="consult" name="会商"/>
    <bpmn:sequenceFlow id="f1c" sourceRef="consult" targetRef="consult_end"/>
    <bpmn:endEvent id="consult_end" name="会商结束"/>""",
)
PINNED_FILES = {"pinned.bpmn": PINNED_BPMN}
