"""One case's workflow for one unit of work: act on it, check what SpiffWorkflow concluded, keep
its history bounded, and hand back what changed."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.diff import migrate_workflow
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..errors import EngineIntegrityError
from ..model_errors import explain, is_model_error
from ..multiinstance import instance_item
from .calls import CALLS_KEY, CalledModels, CaseWorkflow, called_version, restore_subprocesses
from .compiling import CompiledModel
from .events import (
    MessageWait,
    correlation_values,
    message_definitions,
    timer_definition,
)
from .migration import TIMER_STAMPS, MigrationRefused, diff_of, migration_problems
from .state import (
    REGISTRY,
    TIMERS_FLAG,
    Changes,
    all_tasks,
    all_workflows,
    converter_for,
    dumps,
    ordered,
    process_properties,
    restore_tasks,
)
from .tree import descendants, lineage, merged_branches, stale_merges

# SpiffWorkflow walks some structures recursively (a boundary event's join checks ancestry one
# frame per tree level); with Python's default of 1000 frames a deep case would die with a
# RecursionError before the depth guard below could stop it cleanly. Leave room above the guard.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))
# SpiffWorkflow's iterators stop at depth 1000; stop well before the library goes blind.
MAX_SAFE_DEPTH = 900
# A case reworked again and again (补正, 退回) grows its task tree by a few levels a round.
# Once the tasks still to run lie deeper than PRUNE_AT_DEPTH, the finished history above the
# last KEEP_DEPTH levels is dropped (CaseRun._prune_history): the case keeps advancing and
# costs what a young case costs; case_event keeps the history.
PRUNE_AT_DEPTH = 160
KEEP_DEPTH = 80
PRUNED_KEY = "onewindow_pruned"


@dataclass
class UserTask:
    """A READY user task as the rest of the engine sees it."""

    id: str
    spec_name: str
    name: str
    lane: str | None
    properties: dict[str, str]
    data: dict[str, Any]
    # The collection element a multi-instance instance was created for (会签: a username).
    item: Any = None
    # The deployed version of another model the task belongs to (a call activity into it);
    # None: the case's own model.
    definition_id: int | None = None


@dataclass(frozen=True)
class PendingTimer:
    task_id: str
    name: str
    due: datetime


def _due_from(task: Task, definition: Any, now: datetime) -> datetime:
    expression = task.workflow.script_engine.evaluate(task, definition.expression)
    if isinstance(definition, DurationTimerEventDefinition):
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    return TimerEventDefinition.get_datetime(expression)


def _saved_timers(stored: Any) -> tuple[str, ...] | None:
    """The saved waiting timers; cases saved before the ids were kept stored a flag, and a
    case that had timers then must read its rows once."""
    if isinstance(stored, list):
        return tuple(stored)
    return None if stored else ()


def _depth(task: Task, known: dict[UUID, int]) -> int:
    """``task.depth``, remembering the depth of every ancestor on the way up."""
    path = []
    node: Task | None = task
    while node is not None and node.id not in known:
        path.append(node)
        node = node.parent
    depth = known[node.id] if node is not None else -1
    for step in reversed(path):
        depth += 1
        known[step.id] = depth
    return depth


def _parsed(rows: list[tuple[str, str]]) -> dict[str, dict[str, dict]]:
    """``{process: {task id: task dict}}`` from the stored rows, one JSON array parsed per
    process: ``json.loads`` per row cost half again as much as the parsing itself."""
    payloads: dict[str, list[str]] = {}
    for process, payload in rows:
        payloads.setdefault(process, []).append(payload)
    return {
        process: {dct["id"]: dct for dct in json.loads(f"[{','.join(texts)}]")}
        for process, texts in payloads.items()
    }


class CaseRun:
    """One case's workflow, loaded for one unit of work."""

    def __init__(
        self,
        wf: BpmnWorkflow,
        known_ids: set[UUID],
        loaded_at: float,
        saved_timers: tuple[str, ...] | None = (),
    ):
        self.wf = wf
        self._known = known_ids
        self._loaded_at = loaded_at
        # The task ids of the timers the last save left waiting in the ``timer`` table, saved
        # with the instance: a save whose waiting timers are the same writes no timer row and
        # reads none. ``None``: not known (a case saved before this was kept), read the rows.
        self.saved_timers = saved_timers
        # BPMN ids of finished steps whose tasks were pruned (the diagram still shows them done).
        self.pruned: set[str] = set()

    # ----- lifecycle -------------------------------------------------------------------------
    @classmethod
    def start(
        cls, model: CompiledModel, data: dict[str, Any], calls: CalledModels | None = None
    ) -> CaseRun:
        wf = CaseWorkflow(model, calls)
        run = cls(wf, set(), 0.0)
        start = wf.get_next_task(state=TaskState.READY)
        start.data.update(data)
        run._advance()
        run._start_by_message()
        return run

    @classmethod
    def restore(
        cls,
        model: CompiledModel,
        workflow: dict[str, Any],
        rows: list[tuple[str, str]],
        calls: CalledModels | None = None,
    ) -> CaseRun:
        """Rebuild from the case's properties and its ``(process, payload)`` task rows;
        ``calls`` gives the pinned versions of other models its call activities run."""
        loaded_at = time.time()
        by_process = _parsed(rows)
        wf = CaseWorkflow(model, calls, deserializing=True)
        wf_props = dict(workflow)
        wf.restore_pins(wf_props.get(CALLS_KEY, {}))
        wf.tasks = restore_tasks(ordered(by_process.get("", {}), wf_props["root"]), wf)
        wf.task_tree = wf.tasks[UUID(wf_props["root"])]
        wf_converter = converter_for(BpmnWorkflow)
        wf_converter.set_default_attributes(wf, wf_props)
        subprocesses = {
            key: {**props, "tasks": ordered(by_process.get(key, {}), props["root"])}
            for key, props in wf_props.get("subprocesses", {}).items()
        }
        restore_subprocesses(subprocesses, wf, wf)
        wf.bpmn_events = REGISTRY.restore(wf_props.get("bpmn_events", []))
        known = {t.id for t in all_tasks(wf)}
        run = cls(wf, known, loaded_at, _saved_timers(workflow.get(TIMERS_FLAG)))
        run.pruned = set(workflow.get(PRUNED_KEY, ()))
        return run

    # ----- queries ---------------------------------------------------------------------------
    def ready_user_tasks(self) -> list[UserTask]:
        """READY manual tasks found through the full task dictionary (no depth limit)."""
        return [
            user_task(t)
            for t in all_tasks(self.wf)
            if t.state == TaskState.READY and t.task_spec.manual
        ]

    def find_ready(self, task_id: str) -> Task | None:
        try:
            task = self.wf.get_task_from_id(UUID(task_id))
        except (WorkflowException, ValueError):
            return None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            return None
        return task

    @property
    def finished(self) -> bool:
        return self.wf.completed

    @property
    def data(self) -> dict[str, Any]:
        """The case data as of the latest completed step."""
        last = self.wf.last_task
        source = last.data if last is not None else self.wf.data
        return {k: v for k, v in source.items() if not k.startswith("_")}

    def result(self) -> str | None:
        """The case result (办结结果): the ``result`` of the first end event that declares one.

        The decision's path ends on an end event naming the result; a parallel reminder or
        notice branch may end after it, on an end event naming none, and must not erase it.
        """
        ends = [
            t
            for t in self.wf.tasks.values()
            if t.state == TaskState.COMPLETED
            and isinstance(t.task_spec, EndEvent)
            and "result" in t.task_spec.extensions.get("properties", {})
        ]
        if not ends:
            return None
        first = min(ends, key=lambda t: t.last_state_change)
        return first.task_spec.extensions["properties"]["result"]

    def element_states(self) -> dict[str, list[str]]:
        """BPMN element ids that are finished, active and still pending, for the diagram."""
        finished, active = set(), set()
        for t in all_tasks(self.wf):
            bpmn_id = getattr(t.task_spec, "bpmn_id", None)
            if not bpmn_id:
                continue
            if t.state == TaskState.COMPLETED:
                finished.add(bpmn_id)
            elif t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                active.add(bpmn_id)
        finished |= self.pruned
        every = {getattr(s, "bpmn_id", None) for s in self.wf.spec.task_specs.values()}
        pending = {b for b in every if b} - finished - active
        return {
            "finished": sorted(finished - active),
            "active": sorted(active),
            "pending": sorted(pending),
        }

    def max_depth(self) -> int:
        return max((t.depth for t in all_tasks(self.wf)), default=0)

    # ----- timers ----------------------------------------------------------------------------
    def waiting_timers(self, now: datetime) -> list[PendingTimer]:
        """Timers waiting in the case, each due at a moment counted from ``now`` when it began.

        SpiffWorkflow stamps a duration timer with the wall clock when it first checks it; the
        scheduler is the authority on time here (tests drive it with a controlled clock), so a
        newly waiting timer is re-stamped from ``now`` once and keeps that due moment.
        """
        pending = []
        for task in all_tasks(self.wf):
            if task.state != TaskState.WAITING:
                continue
            definition = timer_definition(task)
            if definition is None:
                continue
            if "onewindow_due" not in task.internal_data:
                due = _due_from(task, definition, now)
                task.internal_data["event_value"] = due.isoformat()
                task.internal_data["onewindow_due"] = due.isoformat()
                task.last_state_change = time.time()  # so the next save writes the stamp
            due = datetime.fromisoformat(task.internal_data["onewindow_due"])
            pending.append(PendingTimer(str(task.id), task.task_spec.bpmn_name or "", due))
        return pending

    def fire_timer(self, task_id: str) -> bool:
        """Fire one waiting timer now; False if it no longer waits (the case moved on)."""
        try:
            task = self.wf.get_task_from_id(UUID(task_id))
        except (WorkflowException, ValueError):
            return False
        if task is None or task.state != TaskState.WAITING:
            return False
        task.internal_data["event_fired"] = True
        task.last_state_change = time.time()
        with located_errors():
            self.wf.refresh_timers()
        self._advance()
        return True

    # ----- actions ---------------------------------------------------------------------------
    def complete(self, task: Task, data: dict[str, Any]) -> None:
        task.data.update(data)
        with located_errors():
            task.run()
        self._advance()

    def _advance(self) -> None:
        with located_errors():
            self.wf.do_engine_steps()
        # Events no task caught (a signal or escalation thrown for nobody) are SpiffWorkflow's
        # report to the application; nothing here acts on them, and kept they would be saved
        # with the case at every step and never emptied.
        self.wf.bpmn_events.clear()
        self._check_integrity()

    def _check_integrity(self) -> None:
        """Compare what the depth-limited iterators concluded with the full task dictionary."""
        unfinished, deepest = self._unfinished()
        if deepest > PRUNE_AT_DEPTH and self._prune_history():
            unfinished, deepest = self._unfinished()
        if deepest > MAX_SAFE_DEPTH:
            raise EngineIntegrityError(
                f"办件流程树深度 {deepest} 超过安全上限 {MAX_SAFE_DEPTH}（补正或退回次数过多），"
                "操作未保存；请联系管理员迁移此办件",
                {"depth": deepest, "limit": MAX_SAFE_DEPTH},
                code="workflow_too_deep",
            )
        stalled = [t for t in unfinished if t.state == TaskState.READY and not t.task_spec.manual]
        if stalled:
            raise EngineIntegrityError(
                "流程引擎未能推进以下步骤，操作未保存："
                + ", ".join(t.task_spec.name for t in stalled),
                {"stalled": [t.task_spec.name for t in stalled]},
                code="workflow_stalled",
            )
        if self.wf.is_completed() and unfinished:
            raise EngineIntegrityError(
                "流程引擎误报办结（仍有未完成的步骤），操作未保存",
                {"unfinished": [t.task_spec.name for t in unfinished]},
                code="workflow_false_completion",
            )

    def _unfinished(self) -> tuple[list[Task], int]:
        """The unfinished tasks and the deepest one's depth, every depth computed once:
        ``Task.depth`` walks up to the root each time, which at every step cost time
        proportional to the tasks times the depth of a long-lived case."""
        depths: dict[UUID, int] = {}
        unfinished = [t for t in all_tasks(self.wf) if t.has_state(TaskState.NOT_FINISHED_MASK)]
        deepest = max((_depth(t, depths) for t in unfinished), default=0)
        return unfinished, deepest

    def _prune_history(self) -> bool:
        """Drop the finished history above the last ``KEEP_DEPTH`` levels; True if any went.

        The cut is a task every unfinished task of the case's process descends from, so what
        goes is finished: steps that ran, branches that were cancelled, subprocesses that
        ended. The cut task becomes the root's child (its row is rewritten, its data being
        stored relative to its parent). What is lost: 退回 to a step older than the kept
        window (the return list offers only what is kept) — never a step still to run.
        """
        wf = self.wf
        open_tasks = [t for t in wf.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
        if not open_tasks:
            return False
        common: list[Task] | None = None
        for task in open_tasks:
            line = list(reversed(list(lineage(task))))  # root first
            if common is None:
                common = line
                continue
            shared = 0
            while shared < min(len(common), len(line)) and common[shared] is line[shared]:
                shared += 1
            common = common[:shared]
        cut_depth = len(common) - 1 - KEEP_DEPTH
        if cut_depth < 2:
            return False
        cut, root = common[cut_depth], wf.task_tree
        kept = {t.id for t in descendants(cut)} | {root.id}
        gone = [t for t in wf.tasks.values() if t.id not in kept]
        self.pruned.update(
            t.task_spec.bpmn_id
            for t in gone
            if t.state == TaskState.COMPLETED and getattr(t.task_spec, "bpmn_id", None)
        )
        for task in gone:
            del wf.tasks[task.id]
        for key in [k for k, sp in wf.subprocesses.items() if sp.parent_task_id not in kept]:
            del wf.subprocesses[key]
        root._children, cut._parent = [cut.id], root.id
        root.last_state_change = cut.last_state_change = time.time()
        if wf.last_task is not None and wf.last_task.id not in kept:
            wf.last_task = None
        return True

    # ----- migration to another version of the model -----------------------------------------
    def migration_problems(self, model: CompiledModel) -> list[str]:
        """Why the case cannot move to ``model`` (empty: it can).

        A case can move when every step it has finished or is waiting at exists in the new
        version unchanged — connections and documentation aside: waiting steps are re-predicted
        on the new version, and finished ones have already taken their path.
        """
        return migration_problems(self._migration_plan(model))

    def migrate(self, model: CompiledModel) -> None:
        """Move the workflow onto ``model``'s specs (SpiffWorkflow's ``migrate_workflow``).

        Raises ``MigrationRefused`` (nothing changed) when ``migration_problems`` names any.
        Waiting steps are reset and re-predicted on the new version, keeping their task ids (so
        inbox rows stay) and the due moments of waiting timers. The next ``changes()`` writes
        every task row: each one now points at the new version's specs.
        """
        plan = self._migration_plan(model)
        problems = migration_problems(plan)
        if problems:
            raise MigrationRefused(problems)
        stamps = {
            task.id: {k: v for k, v in task.internal_data.items() if k in TIMER_STAMPS}
            for task in all_tasks(self.wf)
            if task.state == TaskState.WAITING
        }
        last_tasks = {id(wf): wf.last_task for _, wf in all_workflows(self.wf)}
        self.wf.subprocess_specs = dict(model.subprocess_specs)
        for workflow, new_spec, (_spec_diff, workflow_diff) in plan:
            migrate_workflow(workflow_diff, workflow, new_spec)
            last = last_tasks.get(id(workflow))
            # migrate_workflow drops last_task whatever happens (it compares a Task to uuid keys)
            workflow.last_task = last if last is not None and last.id in workflow.tasks else None
        for task in all_tasks(self.wf):
            kept = stamps.get(task.id)
            if kept and task.state == TaskState.WAITING:
                task.internal_data.update(kept)
        leftovers = sorted(
            {
                t.task_spec.bpmn_name or t.task_spec.name
                for workflow, new_spec, _ in plan
                for t in workflow.tasks.values()
                if new_spec.task_specs.get(t.task_spec.name) is not t.task_spec
            }
        )
        if leftovers:  # pragma: no cover - the plan refuses these; fail loudly if it did not
            raise EngineIntegrityError(
                "迁移后仍有步骤指向旧版本：" + "、".join(leftovers),
                {"steps": leftovers},
                code="migration_incomplete",
            )
        self._advance()
        self._loaded_at = 0.0  # every task changed: the next save rewrites all rows

    def _migration_plan(self, model: CompiledModel) -> list[tuple[Any, BpmnProcessSpec, Any]]:
        """(workflow, its new spec, its ``WorkflowDiff``) for the case and each subprocess —
        what SpiffWorkflow's ``diff_workflow`` computes, keeping each ``SpecDiff`` for the
        attribute-level comparison."""
        plan = [(self.wf, model.spec, diff_of(self.wf, model.spec))]
        for sp in self.wf.subprocesses.values():
            if self.wf.pin_of(sp) is not None:
                continue  # a call into another model keeps the version it started on
            new_spec = model.subprocess_specs.get(sp.spec.name)
            plan.append((sp, new_spec, diff_of(sp, new_spec) if new_spec is not None else None))
        return plan

    # ----- going back: 退回 and 撤回 (engine/services/operations.py) ---------------------------
    def passed_steps(self, task_id: str) -> list[UserTask]:
        """The completed user tasks the case went through to reach ``task_id``: where it may
        go back to (退回), one per step (its latest pass), oldest first, its own step left out.

        That is the task's ancestors in the task tree and, behind every parallel join on the
        way, the branches merged into it: SpiffWorkflow carries on under the branch that
        arrived last and ends the others in a cancelled join task. A sibling branch running in
        parallel with ``task_id`` is not behind it, so its steps are not listed.
        """
        task = self._task(task_id)
        if task is None:
            return []
        found: dict[UUID, Task] = {}
        seen: set[UUID] = set()

        def walk(start: Task) -> None:
            for step in lineage(start):
                if step.id in seen:
                    return
                seen.add(step.id)
                if step.state == TaskState.COMPLETED and step.task_spec.manual:
                    found[step.id] = step
                if isinstance(step.task_spec, Join) and step.state == TaskState.COMPLETED:
                    for branch_end in merged_branches(step):
                        walk(branch_end)

        walk(task)
        latest: dict[str, Task] = {}
        for step in found.values():
            name = step.task_spec.name
            if name == task.task_spec.name:
                continue
            if name not in latest or step.last_state_change > latest[name].last_state_change:
                latest[name] = step
        return [user_task(t) for t in sorted(latest.values(), key=lambda t: t.last_state_change)]

    def reset_impact(self, step: str) -> list[tuple[str, str]] | None:
        """What ``reset_to(step)`` would undo: ``(task id, state)`` of each user task it would
        close (READY) or make to be done again (COMPLETED). None: no such completed step."""
        task = self._completed_step(step)
        if task is None:
            return None
        undone = descendants(task)[1:]
        for join in stale_merges(task):
            undone.extend(descendants(join)[1:])
        return [
            (str(t.id), TaskState.get_name(t.state))
            for t in undone
            if t.task_spec.manual and t.has_state(TaskState.READY | TaskState.COMPLETED)
        ]

    def reset_to(self, step: str) -> UserTask | None:
        """Send the case back to a completed user task: its task id, or its BPMN id for the
        latest completed pass. None (nothing changed) when there is no such step.

        ``BpmnWorkflow.reset_from_task_id`` drops the task's descendants and makes it READY
        again with the data it had before it ran (its parent's). It keeps its task id.

        Inside a parallel section that is not enough: when the join already fired through a
        sibling branch, the steps after the join hang below *that* branch and stay READY next
        to the reopened one (checked on 3.2.0: 出件 stayed open beside a reopened 发票申领).
        Those are dropped here, so the case waits at the join again; the sibling branches stay
        completed, and when the reopened branch arrives the join fires and merges all of them
        (SpiffWorkflow's ``UnstructuredJoin`` counts a completed branch whose join instance
        already ran or was cancelled).
        """
        task = self._completed_step(step)
        if task is None:
            return None
        self.wf.reset_from_task_id(task.id)
        for join in stale_merges(task):
            join._drop_children(force=True)
            join.last_state_change = time.time()  # its stored row must forget those children
        self._advance()
        return user_task(task)

    def _task(self, task_id: str) -> Task | None:
        try:
            return self.wf.get_task_from_id(UUID(task_id))
        except (WorkflowException, ValueError):
            return None

    def _completed_step(self, step: str) -> Task | None:
        task = self._task(step)
        if task is None:
            passes = [
                t
                for t in all_tasks(self.wf)
                if t.state == TaskState.COMPLETED
                and t.task_spec.manual
                and step in (t.task_spec.bpmn_id, t.task_spec.name)
            ]
            task = max(passes, key=lambda t: t.last_state_change, default=None)
        if task is None or task.state != TaskState.COMPLETED or not task.task_spec.manual:
            return None
        return task

    # ----- messages and calls into other models (engine/services/messages.py, deployed.py) ------
    # The message waits as last written to the database (the service keeps it current).
    saved_waits: tuple[MessageWait, ...] = ()

    def use_models(self, calls: CalledModels) -> None:
        """Where call activities find other deployed models for this unit of work."""
        self.wf.calls = calls

    def message_waits(self) -> list[MessageWait]:
        """Every message the case waits for, with the correlation values its model declares."""
        data = self.data
        return [
            MessageWait(str(task.id), definition.name, correlation_values(definition, data))
            for task in self.wf.event_manager.tasks.values()
            if task.state == TaskState.WAITING
            for definition in message_definitions(task.task_spec)
        ]

    def deliver(self, name: str, payload: dict[str, Any]) -> bool:
        """Catch message ``name`` wherever the case waits for it; False: it waits for none.

        The payload lands in the case data: under the message's ``spiffworkflow:messageVariable``
        when the model names one (SpiffArena), else merged at the top level (Camunda).
        """
        correlations = {k: v for _, w in all_workflows(self.wf) for k, v in w.correlations.items()}
        event = BpmnEvent(MessageEventDefinition(name), payload=payload, correlations=correlations)
        catching = [
            t for t in list(self.wf.event_manager.tasks.values()) if t.task_spec.catches(t, event)
        ]
        if not catching:
            return False
        self.wf.catch(event)
        for task in catching:
            named = [d for d in message_definitions(task.task_spec) if d.name == name]
            if not any(d.message_var for d in named):
                task.data.update(deepcopy(payload))
            task.last_state_change = time.time()
        self._advance()
        return True

    def _start_by_message(self) -> None:
        """A process that starts with a message start event (消息启动) starts when the case is
        created: the message that created it is the one its start event waits for."""
        for task in list(self.wf.event_manager.tasks.values()):
            if task.workflow is self.wf and isinstance(task.task_spec, StartEvent):
                for definition in message_definitions(task.task_spec):
                    self.deliver(definition.name, {})

    # ----- persistence -----------------------------------------------------------------------
    def changes(self) -> Changes:
        """Task rows touched since load (and their children, whose deltas depend on them)."""
        # One pass over the tree with plain attribute reads: this loop is what a save costs on an
        # old case, so no UUID-to-str conversions or method calls per task.
        loaded_at, known, unfinished = self._loaded_at, self._known, TaskState.NOT_FINISHED_MASK
        dirty: set[UUID] = set()
        current: set[UUID] = set()
        for _, workflow in all_workflows(self.wf):
            for task_id, t in workflow.tasks.items():
                current.add(task_id)
                if (
                    t.last_state_change >= loaded_at
                    or t._state & unfinished
                    or task_id not in known
                ):
                    dirty.add(task_id)
                    dirty.update(t._children)
        out = Changes(workflow=self._workflow_properties())
        for process, workflow in all_workflows(self.wf):
            for task_id in dirty.intersection(workflow.tasks):
                task = workflow.tasks[task_id]
                out.upserts.append((str(task_id), process, dumps(REGISTRY.convert(task))))
        out.deletes = sorted(str(task_id) for task_id in known - current)
        self._known = current
        self._loaded_at = time.time()
        return out

    def _workflow_properties(self) -> dict[str, Any]:
        props = process_properties(self.wf)
        props["bpmn_events"] = REGISTRY.convert(self.wf.bpmn_events)
        props[TIMERS_FLAG] = None if self.saved_timers is None else list(self.saved_timers)
        props[CALLS_KEY] = self.wf.pinned_versions()
        props[PRUNED_KEY] = sorted(self.pruned)
        props["subprocesses"] = {
            str(key): {
                **process_properties(sp),
                "parent_task_id": str(sp.parent_task_id),
                "spec": sp.spec.name,
                "typename": "BpmnSubWorkflow",
            }
            for key, sp in self.wf.subprocesses.items()
        }
        return json.loads(dumps(props))


@contextmanager
def located_errors() -> Iterator[None]:
    """A condition, script or gateway of the model failed: say where and why (422)."""
    try:
        yield
    except Exception as error:
        if is_model_error(error):
            raise explain(error) from error
        raise


def user_task(task: Task) -> UserTask:
    spec = task.task_spec
    return UserTask(
        id=str(task.id),
        spec_name=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.name,
        lane=spec.lane,
        properties=dict(spec.extensions.get("properties", {})),
        data=task.data,
        item=instance_item(task),
        definition_id=called_version(task),
    )
