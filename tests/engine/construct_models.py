"""Small models for the BPMN constructs the engine runs or refuses (fixture builder).

``model(body)`` wraps flow elements into a process with the lanes of 综合受理窗口 and
市场监督管理局; ``task(id, name)`` is a user task (role ``window``) with the form below, which
asks for ``decision`` and ``amount``. ``flows`` writes sequence flows with optional conditions.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from engine.catalogue import read_items, upsert_item
from engine.services.models import deploy_model

ROOT = Path(__file__).resolve().parents[2]
MAIN = "construct.bpmn"
FORM_NAME = "step.schema.json"
FORM = json.dumps(
    {
        "type": "object",
        "properties": {
            "decision": {"type": "string", "enum": ["approve", "reject"]},
            "amount": {"type": "number"},
        },
    }
)


def task(task_id: str, name: str, attributes: str = "") -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="{name}" {attributes}>'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{FORM_NAME}"/>'
        '<spiffworkflow:property name="role" value="window"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )


def end(end_id: str, result: str = "0", definition: str = "") -> str:
    return (
        f'<bpmn:endEvent id="{end_id}"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="result" value="{result}"/>'
        f"</spiffworkflow:properties></bpmn:extensionElements>{definition}</bpmn:endEvent>"
    )


def flows(*pairs: tuple[str, ...]) -> str:
    """``(source, target)`` or ``(source, target, condition)``, ids ``flow_<source>_<target>``."""
    out = []
    for source, target, *condition in pairs:
        body = (
            f"<bpmn:conditionExpression>{condition[0]}</bpmn:conditionExpression>"
            if condition
            else ""
        )
        out.append(
            f'<bpmn:sequenceFlow id="flow_{source}_{target}" sourceRef="{source}" '
            f'targetRef="{target}">{body}</bpmn:sequenceFlow>'
        )
    return "".join(out)


def model(body: str, definitions: str = "", process_id: str = "construct") -> str:
    """Steps whose id starts with ``amr_`` sit in the lane of 市场监督管理局, the others in
    综合受理窗口's."""
    steps = re.findall(r'<bpmn:(?:userTask|manualTask|task) id="([^"]+)"', body)
    refs = "".join(f"<bpmn:flowNodeRef>{t}</bpmn:flowNodeRef>" for t in steps if t[:4] != "amr_")
    amr = "".join(f"<bpmn:flowNodeRef>{t}</bpmn:flowNodeRef>" for t in steps if t[:4] == "amr_")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="defs_{process_id}" targetNamespace="http://onewindow.test">
  {definitions}
  <bpmn:process id="{process_id}" name="结构测试" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_window" name="综合受理窗口">{refs}</bpmn:lane>
      <bpmn:lane id="lane_amr" name="市场监督管理局">{amr}</bpmn:lane>
    </bpmn:laneSet>
    {body}
  </bpmn:process>
</bpmn:definitions>
"""


def files(body: str, definitions: str = "", process_id: str = "construct") -> dict[str, str]:
    return {MAIN: model(body, definitions, process_id), f"forms/{FORM_NAME}": FORM}


def deploy(uow_factory, body: str, definitions: str = "") -> str:
    """Deploy under a fresh key with its own service item (no materials); the item's code."""
    tag = uuid.uuid4().hex[:10]
    key = f"construct_{tag}"
    with uow_factory() as uow:
        deploy_model(uow, None, key, files(body, definitions, key))
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        code = f"TEST-BPMN-{tag}"
        upsert_item(
            uow,
            {**guide, "code": code, "name": f"结构测试{tag}", "process_key": key, "materials": []},
        )
    return code
