"""Multi-instance (会签, 或签) and loop tasks that hold in every process and count their votes.

SpiffWorkflow 3.2.0 has three gaps here, each seen on a running case:

* A loop wires "an instance finished" into the instance's *spec* the first time it creates an
  instance, in that process's memory only. A process that restores the case (the other gunicorn
  worker, any restart) compiled its specs afresh and never created an instance, so completing
  the last instance there merges nothing: the case stays ``running`` with no open task, forever.
  ``connect_instances`` wires every loop of a model once, when the model is compiled.
* A completion condition sees only the last instance's data, in which the output collection is
  the stale copy it inherited when it was created. Here it sees the collection as it stands and
  Camunda's counters, so "2 of 3 approved" can be written down (``nrOfInstances``,
  ``nrOfCompletedInstances``, ``nrOfActiveInstances``).
* An instance refuses to start when the case already holds a variable named like its input or
  output item — and every step of a service item writes ``decision``. Here the item is the
  instance's own: the input item is set on the instance, and the output item starts empty.

Which user an instance belongs to (会签 over a list of usernames) is the service layer's call
(engine/services/progress.py ``sync_tasks``): ``instance_item`` exposes the element.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any, ClassVar

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    LoopTask,
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


class _InstancesOwnItems(MultiInstanceTask):
    """Instances with their own input and output items, and a condition that sees them all."""

    def create_child(self, my_task: Task, item: Any, key_or_index: Any = None) -> None:
        task_spec = my_task.workflow.spec.task_specs[self.task_spec]
        _connect(self, task_spec)
        child = my_task._add_child(task_spec, TaskState.WAITING)
        child.triggered = True
        if key_or_index is not None:
            child.internal_data["key_or_index"] = key_or_index
        else:
            child.internal_data["item"] = item
        child.task_spec._update(child)  # inherits the case data: the items are set after it
        if self.output_item is not None:
            child.data.pop(self.output_item.bpmn_id, None)
        if self.input_item is not None:
            self.input_item.set(child, deepcopy(item))

    def check_completion_condition(self, my_task: Task) -> bool:
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return False
        instances = list(self._instances(my_task))
        last = next(c for c in instances if str(c.id) == merged[-1])
        context = dict(last.data)
        if self.data_output is not None:
            context[self.data_output.bpmn_id] = self.data_output.get(my_task)
        done = sum(1 for c in instances if c.state == TaskState.COMPLETED)
        active = sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK))
        total = my_task.internal_data.get("cardinality") or len(instances)
        if self.data_input is not None and self.data_input.exists(my_task):
            total = len(self.data_input.get(my_task))
        context.update(nrOfInstances=total, nrOfCompletedInstances=done, nrOfActiveInstances=active)
        try:
            return bool(
                my_task.workflow.script_engine.environment.evaluate(self.condition, context)
            )
        except Exception as error:  # located like every other expression error of the model
            raise WorkflowTaskException(
                f"Error evaluating expression '{self.condition}'", task=last, exception=error
            ) from error

    def init_data_output_with_cardinality(self, my_task: Task) -> None:
        self._fresh_output(my_task, None)

    def init_data_output_with_input_data(self, my_task: Task, input_data: Any) -> None:
        self._fresh_output(my_task, input_data)

    def _fresh_output(self, my_task: Task, input_data: Any) -> None:
        """Each pass collects afresh: a 会签 reached again after a 退回 starts with no votes.

        The library refuses a non-empty output collection instead (and misspells a name on
        the way), so the second pass of a rework loop stopped the case.
        """
        if self.data_input is not None and self.data_input.bpmn_id == self.data_output.bpmn_id:
            return  # the input collection is updated in place
        self.data_output.set(my_task, {} if isinstance(input_data, Mapping) else [])


class ParallelInstances(_InstancesOwnItems, ParallelMultiInstanceTask):
    """会签/或签 with every instance open at once."""


class SequentialInstances(_InstancesOwnItems, SequentialMultiInstanceTask):
    """Instances one after another (依次审批)."""


def _connect(loop: LoopTask, instance_spec: Any) -> None:
    if not instance_spec.completed_event.is_connected(loop.merge_child):
        instance_spec.completed_event.connect(loop.merge_child)


def connect_instances(spec: BpmnProcessSpec) -> None:
    """Wire each loop's "instance finished" callback into its instance spec (see above)."""
    for task_spec in list(spec.task_specs.values()):
        if isinstance(task_spec, LoopTask) and task_spec.task_spec in spec.task_specs:
            _connect(task_spec, spec.task_specs[task_spec.task_spec])


def instance_item(task: Task) -> Any:
    """The collection element a multi-instance instance was created for (None otherwise)."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return None
    if parent.task_spec.data_input is None:
        return None
    key = task.internal_data.get("key_or_index")
    if key is None:
        return task.internal_data.get("item")
    collection = parent.task_spec.data_input.get(parent)
    try:
        return collection[key]
    except (KeyError, IndexError, TypeError):
        return None


def _with_instances(parser_class: type) -> type:
    return type(
        parser_class.__name__,
        (parser_class,),
        {"PARALLEL_MI_CLASS": ParallelInstances, "SEQUENTIAL_MI_CLASS": SequentialInstances},
    )


class OneWindowParser(SpiffBpmnParser):
    """SpiffWorkflow's parser, building multi-instance tasks from the classes above."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        tag: (
            _with_instances(parser) if issubclass(parser, SpiffTaskParser) else parser,
            spec,
        )
        for tag, (parser, spec) in SpiffBpmnParser.OVERRIDE_PARSER_CLASSES.items()
    }
