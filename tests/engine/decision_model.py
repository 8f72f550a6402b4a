"""A model routed by a decision table (fixture): 申报 → 评定 (business rule task) → 核查 or 审批.

The window enters ``amount`` at 申报; the table ``risk_table`` (input ``amount``) decides; an
exclusive gateway sends the case to 现场核查 when ``condition`` holds, else to 书面审批. The table
is drawn per test: hit policy, aggregation, outputs (with their allowed values) and rules.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from engine.catalogue import read_items, upsert_item
from engine.services.models import deploy_model

ROOT = Path(__file__).resolve().parents[2]
DECISION = "risk_table"

FORM = json.dumps(
    {
        "type": "object",
        "properties": {"amount": {"type": "number", "title": "申报金额（万元）"}},
        "required": ["amount"],
    },
    ensure_ascii=False,
)

# Three rules that all match an amount of 5000: 中 (r_medium), 高 (r_high), 低 (r_low).
RISK_RULES = [("&gt; 100", '"medium"'), ("&gt; 1000", '"high"'), ("&gt;= 0", '"low"')]
FEE_RULES = [("&gt; 100", "100"), ("&gt; 1000", "300"), ("&gt;= 0", "50")]
RULE_IDS = ("r_medium", "r_high", "r_low")


def bpmn(process_id: str, condition: str, task_attributes: str = "", camunda: bool = False) -> str:
    """The process; ``camunda`` names the decision the Camunda way (``camunda:decisionRef``)."""
    if camunda:
        call = f'camunda:decisionRef="{DECISION}" {task_attributes}'
        extensions = ""
    else:
        call = task_attributes
        extensions = (
            "<bpmn:extensionElements><spiffworkflow:calledDecisionId>"
            f"{DECISION}</spiffworkflow:calledDecisionId></bpmn:extensionElements>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="defs_{process_id}" targetNamespace="http://onewindow.test">
  <bpmn:process id="{process_id}" name="决策表测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_window" name="综合受理窗口">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>declare</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>assess</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>route</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">
        <bpmn:flowNodeRef>inspect</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>approve</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="申请"/>
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="declare"/>
    <bpmn:userTask id="declare" name="申报">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="declare.schema.json"/>
        <spiffworkflow:property name="role" value="window"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_declared" sourceRef="declare" targetRef="assess"/>
    <bpmn:businessRuleTask id="assess" name="评定" {call}>{extensions}</bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f_assessed" sourceRef="assess" targetRef="route"/>
    <bpmn:exclusiveGateway id="route" name="是否核查" default="f_approve"/>
    <bpmn:sequenceFlow id="f_inspect" sourceRef="route" targetRef="inspect">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_approve" sourceRef="route" targetRef="approve"/>
    <bpmn:userTask id="inspect" name="现场核查">{_role("reviewer")}</bpmn:userTask>
    <bpmn:userTask id="approve" name="书面审批">{_role("reviewer")}</bpmn:userTask>
    <bpmn:sequenceFlow id="f_inspected" sourceRef="inspect" targetRef="merge"/>
    <bpmn:sequenceFlow id="f_approved" sourceRef="approve" targetRef="merge"/>
    <bpmn:exclusiveGateway id="merge" name="汇合"/>
    <bpmn:sequenceFlow id="f_end" sourceRef="merge" targetRef="end"/>
    <bpmn:endEvent id="end" name="办结">{_props(result="0")}</bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def _props(**values: str) -> str:
    pairs = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
    return (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f"{pairs}</spiffworkflow:properties></bpmn:extensionElements>"
    )


def _role(role: str) -> str:
    return _props(role=role, form="none")


def dmn(
    policy: str,
    rules: list[tuple[str, str]],
    output: str = "risk",
    aggregation: str | None = None,
    allowed: str | None = None,
    extra_outputs: str = "",
) -> str:
    """A one-input table; ``allowed`` is the output's ``outputValues`` (``"high","medium"``)."""
    values = f'<outputValues id="allowed"><text>{allowed}</text></outputValues>' if allowed else ""
    rows = "".join(
        f'<rule id="{rule_id}"><inputEntry id="{rule_id}_in"><text>{cell}</text></inputEntry>'
        f'<outputEntry id="{rule_id}_out"><text>{value}</text></outputEntry></rule>'
        for rule_id, (cell, value) in zip(RULE_IDS, rules, strict=False)
    )
    aggregate = f' aggregation="{aggregation}"' if aggregation else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_risk" name="风险评定"
  namespace="http://onewindow.test/dmn">
  <decision id="{DECISION}" name="风险评定">
    <decisionTable id="table" hitPolicy="{policy}"{aggregate}>
      <input id="in_amount" label="申报金额">
        <inputExpression id="in_amount_expr" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <output id="out_{output}" name="{output}" typeRef="string">{values}</output>{extra_outputs}
      {rows}
    </decisionTable>
  </decision>
</definitions>
"""


def deploy(uow_factory, dmn_text: str, condition: str, actor=None, **bpmn_options) -> str:
    """Deploy the model under a fresh key with a service item of its own; the item's code."""
    tag = uuid.uuid4().hex[:10]
    key = f"risk_{tag}"
    with uow_factory() as uow:
        deploy_model(uow, actor, key, files(key, bpmn(key, condition, **bpmn_options), dmn_text))
        upsert_item(uow, service_item(key, tag))
    return f"TEST-DMN-{tag}"


def files(key: str, bpmn_text: str, dmn_text: str) -> dict[str, str]:
    return {
        f"{key}.bpmn": bpmn_text,
        "risk.dmn": dmn_text,
        "forms/declare.schema.json": FORM,
    }


def service_item(key: str, tag: str) -> dict:
    [guide] = [
        i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
    ]
    return {
        **guide,
        "code": f"TEST-DMN-{tag}",
        "name": f"决策表测试{tag}",
        "process_key": key,
        "materials": [],
    }
