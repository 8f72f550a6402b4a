"""Call activities into other deployed models (一件事一次办)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task

from ..errors import EngineIntegrityError
from ..sandbox import script_engine
from .compiling import CompiledModel
from .state import REGISTRY, converter_for, restore_tasks

# ----- call activities into other deployed models (一件事一次办) ---------------------------------
# A call activity's calledElement may name the main process of another deployed model. The
# version of that model in force when the call starts is pinned for that call: its subprocess
# keeps that version's specs for good, stored with the case (``CALLS_KEY``) and restored from it
# in any process, while calls started after a new deploy run the new version.

CALLS_KEY = "onewindow_calls"


class CalledModels(Protocol):
    """Deployed models a case's call activities may run (engine/services/calls.py)."""

    def latest(self, process_id: str) -> tuple[int, CompiledModel]:
        """The version in force now of the model whose main process is ``process_id``."""
        ...

    def version(self, definition_id: int) -> CompiledModel:
        """A pinned version."""
        ...


class _SubprocessSpecs(dict):
    """The case model's own subprocess specs, answering ``in`` also for processes of other
    models, which ``CaseWorkflow.create_subprocess`` resolves (SpiffWorkflow checks ``in``
    before it creates a subprocess)."""

    def __init__(self, specs: dict[str, BpmnProcessSpec], workflow: CaseWorkflow):
        super().__init__(specs)
        self.workflow = workflow

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or self.workflow.calls is not None


class CaseWorkflow(BpmnWorkflow):
    """A case's ``BpmnWorkflow``: its call activities may run other deployed models."""

    def __init__(
        self, model: CompiledModel, calls: CalledModels | None, *, deserializing: bool = False
    ):
        self.calls = calls
        # parent task id of the call -> (definition id, model) of the version it runs
        self.pins: dict[UUID, tuple[int, CompiledModel]] = {}
        super().__init__(
            model.spec,
            model.subprocess_specs,
            script_engine=script_engine(),
            deserializing=deserializing,
        )

    @property
    def subprocess_specs(self) -> _SubprocessSpecs:
        return self._subprocess_specs

    @subprocess_specs.setter
    def subprocess_specs(self, specs: dict[str, BpmnProcessSpec]) -> None:
        # BpmnWorkflow and migration assign plain dicts; keep the resolving behaviour.
        self._subprocess_specs = _SubprocessSpecs(specs, self)

    def pin_of(self, workflow) -> tuple[int, CompiledModel] | None:
        """The pinned version ``workflow`` runs in: its own call's, or the nearest enclosing."""
        while workflow is not self and workflow is not None:
            pinned = self.pins.get(workflow.parent_task_id)
            if pinned is not None:
                return pinned
            workflow = workflow.parent_workflow
        return None

    def _spec_for(self, task: Task, name: str) -> BpmnProcessSpec:
        """The spec ``task`` (a call activity or subprocess) runs: from its own model's files
        first, else the version of another model pinned for it or, when it starts, in force."""
        pinned = self.pins.get(task.id)
        if pinned is not None:
            return pinned[1].spec
        owner = self.pin_of(task.workflow)
        own = (owner[1].subprocess_specs if owner else dict(self.subprocess_specs)).get(name)
        if own is not None:
            return own
        if self.calls is None:
            raise EngineIntegrityError(
                f"被调用的流程 {name} 不在本模型中，且没有可查找的已部署模型",
                {"called_element": name},
                code="called_process_missing",
            )
        self.pins[task.id] = self.calls.latest(name)
        return self.pins[task.id][1].spec

    def create_subprocess(self, my_task: Task, spec_name: str) -> BpmnSubWorkflow:
        subprocess = BpmnSubWorkflow(
            self._spec_for(my_task, spec_name), parent_task_id=my_task.id, top_workflow=self
        )
        self.subprocesses[my_task.id] = subprocess
        return subprocess

    def restore_pins(self, stored: dict[str, int]) -> None:
        for parent_id, definition_id in stored.items():
            if self.calls is None:
                raise EngineIntegrityError(
                    "办件调用了其他模型，加载时需要已部署模型",
                    {"definition_id": definition_id},
                    code="called_process_missing",
                )
            self.pins[UUID(parent_id)] = (definition_id, self.calls.version(definition_id))

    def pinned_versions(self) -> dict[str, int]:
        """``{parent task id: definition id}`` of the calls whose subprocess still exists."""
        return {
            str(parent): pinned[0]
            for parent, pinned in self.pins.items()
            if parent in self.subprocesses
        }


# SpiffWorkflow's serializer writes a case's workflow as the BpmnWorkflow it is.
REGISTRY.typenames[CaseWorkflow] = REGISTRY.typenames[BpmnWorkflow]


def restore_subprocesses(dct: dict[str, dict], workflow, top: CaseWorkflow) -> None:
    """SpiffWorkflow's ``subprocesses_from_dict``, but each subprocess gets the spec of the
    version it runs (a pinned call into another model) instead of one spec per process id."""
    converter = converter_for(BpmnSubWorkflow)
    for task in list(workflow.tasks.values()):
        if not isinstance(task.task_spec, SubWorkflowTask) or str(task.id) not in dct:
            continue
        props = dct.pop(str(task.id))
        spec = top._spec_for(task, task.task_spec.spec)
        subprocess = BpmnSubWorkflow(spec, task.id, top, deserializing=True)
        restore_tasks(props["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(props["root"]))
        converter.set_default_attributes(subprocess, props)
        top.subprocesses[task.id] = subprocess
        subprocess.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        restore_subprocesses(dct, subprocess, top)


def called_version(task: Task) -> int | None:
    top = task.workflow.top_workflow
    pinned = top.pin_of(task.workflow) if isinstance(top, CaseWorkflow) else None
    return pinned[0] if pinned else None
