"""The benchmark's repeatable workload: the 即办件 model's 补正 loop, without its 30-day timer.

The demo model's boundary timer on 补正材料 adds two tree levels per round, so 200 rounds
would pass the engine's depth stop (runtime.MAX_SAFE_DEPTH); the benchmark measures how the
cost of a step grows with a case's history, so it deploys the same loop without the timer.
"""

from __future__ import annotations

from lxml import etree

from engine.definitions import read_model_folder

from .settings import MODEL, ROOT, SOURCE_MODEL

TIMER_IDS = ("supplement_timeout", "flow_supplement_timeout", "end_supplement_timeout")


def rework_files() -> dict[str, str]:
    """The source model's files with the supplement timeout removed (elements, lanes, shapes)."""
    files = read_model_folder(ROOT / "bpmn" / SOURCE_MODEL)
    name = f"{SOURCE_MODEL}.bpmn"
    root = etree.fromstring(files[name].encode())
    doomed = [
        element
        for element in root.iter()
        if element.get("id") in TIMER_IDS
        or element.get("bpmnElement") in TIMER_IDS
        or (element.tag.endswith("flowNodeRef") and element.text in TIMER_IDS)
    ]
    for element in doomed:
        element.getparent().remove(element)
    process = next(root.iter("{*}process"))
    process.set("id", MODEL)
    for participant in root.iter("{*}participant"):
        participant.set("processRef", MODEL)
    files.pop(name)
    files[f"{MODEL}.bpmn"] = etree.tostring(root, encoding="unicode")
    return files
