"""BPMN events a case waits for: messages with the correlation values its model declares, and
the timers beside them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task

from ..sandbox import SandboxError, evaluate

if TYPE_CHECKING:
    from .compiling import CompiledModel


# ----- BPMN messages ------------------------------------------------------------------------------


TIMER_TYPES = (DurationTimerEventDefinition, TimeDateEventDefinition)


@dataclass(frozen=True)
class MessageWait:
    """A task waiting for a message (消息), and the correlation values its model declares."""

    task_id: str
    name: str
    correlation: dict[str, Any]


def message_definitions(spec) -> list[MessageEventDefinition]:
    """The messages a task spec catches; an event-based gateway holds its branches' events."""
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, MessageEventDefinition)]
    return [definition] if isinstance(definition, MessageEventDefinition) else []


def timer_definition(task: Task) -> TimerEventDefinition | None:
    """The timer a task waits for: its own, or the timer branch of an event-based gateway."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        timers = [d for d in definition.event_definitions if isinstance(d, TIMER_TYPES)]
        return timers[0] if timers else None
    return definition if isinstance(definition, TIMER_TYPES) else None


def take_correlations(spec: BpmnProcessSpec) -> None:
    """Correlation is the delivery service's job (engine/services/messages.py), over case data.

    SpiffWorkflow would evaluate each correlation property's retrieval expression over the
    message payload when it catches the message, and fail the delivery when the payload does
    not repeat the value the case was found by; it also matches them against correlations
    only its own message throws set, which are refused here. So the properties move aside,
    where ``message_waits`` reads them.
    """
    for task_spec in spec.task_specs.values():
        for definition in message_definitions(task_spec):
            definition.onewindow_correlations = definition.correlation_properties
            definition.correlation_properties = []
            definition.process_correlations = []


def correlation_values(definition: MessageEventDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """The model's correlation properties of the message, read from the case data with their
    retrieval expressions; a property the data cannot answer yet is left out."""
    values = {}
    for prop in getattr(definition, "onewindow_correlations", ()):
        try:
            values[prop.name] = evaluate(prop.retrieval_expression, data)
        except (SandboxError, NameError, KeyError, TypeError, AttributeError):
            continue
    return values


def start_messages(model: CompiledModel) -> set[str]:
    """Names of the messages whose arrival starts a case of ``model`` (message start events)."""
    return {
        definition.name
        for spec in model.spec.start.outputs
        if isinstance(spec, StartEvent)
        for definition in message_definitions(spec)
    }
