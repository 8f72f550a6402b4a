"""A 会签 model: 受理 → (signers set by a script) → the loop under test → 后续 → 办结.

``loop`` is the loop characteristics element of the 会签 task; a 退回 path after 会签 (when
``decisions`` holds a ``return``) goes back to 修改 and through 会签 again.
"""

from __future__ import annotations

import json

PARALLEL_3 = """<bpmn:multiInstanceLoopCharacteristics>
  <bpmn:loopCardinality>3</bpmn:loopCardinality>
</bpmn:multiInstanceLoopCharacteristics>"""

SEQUENTIAL_2 = """<bpmn:multiInstanceLoopCharacteristics isSequential="true">
  <bpmn:loopCardinality>2</bpmn:loopCardinality>
</bpmn:multiInstanceLoopCharacteristics>"""

STANDARD_LOOP = """<bpmn:standardLoopCharacteristics>
  <bpmn:loopCondition>decision != "approve"</bpmn:loopCondition>
</bpmn:standardLoopCharacteristics>"""


def over_signers(condition: str | None = None, sequential: bool = False) -> str:
    """One instance per username in ``signers``; each instance's ``decision`` → ``decisions``."""
    completion = f"<bpmn:completionCondition>{condition}</bpmn:completionCondition>"
    return f"""<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">
  <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>
  <bpmn:loopDataOutputRef>decisions</bpmn:loopDataOutputRef>
  <bpmn:inputDataItem id="signer" name="signer"/>
  <bpmn:outputDataItem id="decision" name="decision"/>
  {completion if condition else ""}
</bpmn:multiInstanceLoopCharacteristics>"""


FORM = {"formJsonSchemaFilename": "decision.schema.json"}
DECISION_FORM = json.dumps(
    {
        "type": "object",
        "properties": {
            "decision": {
                "type": "string",
                "title": "意见",
                "enum": ["accept", "approve", "reject", "return", "revise"],
            }
        },
        "required": ["decision"],
    },
    ensure_ascii=False,
)


def files(process_id: str, loop: str, signers: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        f"{process_id}.bpmn": model(process_id, loop, signers),
        "forms/decision.schema.json": DECISION_FORM,
    }


def _props(**values: str) -> str:
    rows = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
    return (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f"{rows}</spiffworkflow:properties></bpmn:extensionElements>"
    )


def model(process_id: str, loop: str, signers: tuple[str, ...] = ()) -> str:
    intake = _props(role="window", clock="start", **FORM)
    script = f"signers = {list(signers)!r}\ndecisions = []"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs" targetNamespace="http://onewindow.test">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" processRef="{process_id}"/>
  </bpmn:collaboration>
  <bpmn:process id="{process_id}" name="会签测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_window" name="综合受理窗口">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>intake</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>who</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>revise</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">
        <bpmn:flowNodeRef>sign</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>verdict</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>after</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intake"/>
    <bpmn:userTask id="intake" name="受理">{intake}</bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="who"/>
    <bpmn:scriptTask id="who" name="确定会签人">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="who" targetRef="merge"/>
    <bpmn:exclusiveGateway id="merge" name="合并"/>
    <bpmn:sequenceFlow id="f4" sourceRef="merge" targetRef="sign"/>
    <bpmn:userTask id="sign" name="会签">{_props(**FORM)}{loop}</bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="sign" targetRef="verdict"/>
    <bpmn:exclusiveGateway id="verdict" name="会签结论" default="f_on"/>
    <bpmn:sequenceFlow id="f_back" sourceRef="verdict" targetRef="revise">
      <bpmn:conditionExpression>"return" in decisions</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_on" sourceRef="verdict" targetRef="after"/>
    <bpmn:userTask id="revise" name="修改">{_props(role="window", form="none")}</bpmn:userTask>
    <bpmn:sequenceFlow id="f6" sourceRef="revise" targetRef="merge"/>
    <bpmn:userTask id="after" name="后续">{_props(form="none")}</bpmn:userTask>
    <bpmn:sequenceFlow id="f7" sourceRef="after" targetRef="end"/>
    <bpmn:endEvent id="end" name="办结">{_props(result="1")}</bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
