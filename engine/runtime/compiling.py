"""A deployed model version compiled into specs once per process and shared by its cases."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from ..camunda import is_bpmn, to_spiff
from ..dmn import ModelParser
from ..multiinstance import connect_instances
from ..safexml import parse_xml
from .events import take_correlations


@dataclass(frozen=True)
class CompiledModel:
    """A model version's specs, parsed once and shared by every case on that version."""

    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


def parse_model(files: dict[str, str], process_id: str | None = None) -> ModelParser:
    """Parse BPMN/DMN texts with XXE-safe lxml trees into a parser holding their specs.

    Camunda Modeler files and Camunda-style unquoted timers are read through ``to_spiff``
    (engine/camunda.py), which rewrites them into the spiffworkflow dialect in memory, so one
    parser, one set of task specs and one serializer serve every model. Business rule tasks
    run ``DecisionEngine`` (engine/dmn.py), which honours every DMN hit policy. The XSD check
    is deploy's (engine/definitions.py), which reports every error rather than the first.
    """
    parser = ModelParser()
    for name, text in sorted(files.items()):
        if is_bpmn(name):
            parser.add_bpmn_xml(to_spiff(parse_xml(text.encode(), name)), name)
        elif name.endswith(".dmn"):
            parser.add_dmn_xml(parse_xml(text.encode(), name).getroot(), name)
    return parser


def compile_model(files: dict[str, str], process_id: str) -> CompiledModel:
    parser = parse_model(files)
    model = CompiledModel(
        process_id, parser.get_spec(process_id), own_subprocess_specs(parser, process_id)
    )
    for spec in (model.spec, *model.subprocess_specs.values()):
        connect_instances(spec)
        take_correlations(spec)
    return model


_compiled: dict[tuple[int, str], CompiledModel] = {}
_compiled_lock = threading.Lock()


def compiled(definition_id: int, definition_hash: str, files_loader, process_id: str):
    """The cached ``CompiledModel`` of a definition; ``files_loader`` is only called on a miss."""
    key = (definition_id, definition_hash)
    model = _compiled.get(key)
    if model is None:
        model = compile_model(files_loader(), process_id)
        with _compiled_lock:
            _compiled[key] = model
    return model


def own_subprocess_specs(parser, process_id: str) -> dict[str, BpmnProcessSpec]:
    """The specs the model's own files hold; calls into other models are resolved when run."""
    specs = parser.get_subprocess_specs(process_id, require_call_activity_specs=False)
    return {name: spec for name, spec in specs.items() if spec is not None}
