"""The same step in SpiffWorkflow alone: restore from JSON, complete, engine steps, save.

No database and no web layer: ``SERIALIZER.deserialize_json`` → complete the READY user task →
``do_engine_steps`` → ``SERIALIZER.serialize_json``. Run with the library's own script engine
(pure library) and with OneWindow's sandbox engine (what the app evaluates gateways with).
"""

from __future__ import annotations

import time
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import read_model_folder
from engine.runtime import SERIALIZER, CompiledModel, compile_model
from engine.sandbox import script_engine
from engine.security import hash_password

from .settings import (
    AGE_ROUNDS,
    APPLICANT,
    LATENCY_CASES,
    LATENCY_ROUNDS,
    MODEL,
    ROOT,
    SAVE_SAMPLES,
    STEP_DATA,
)
from .stats import median, summary_ms

Engine = PythonScriptEngine


def load_model() -> CompiledModel:
    return compile_model(read_model_folder(ROOT / "bpmn" / MODEL), MODEL)


def new_state(model: CompiledModel, engine: Engine) -> str:
    """A fresh instance advanced to its first user task, as JSON."""
    wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=engine)
    start = wf.get_next_task(state=TaskState.READY)
    start.data.update({"case_no": "339901202501010100001", "applicant": APPLICANT})
    wf.do_engine_steps()
    return SERIALIZER.serialize_json(wf)


class Stalled(RuntimeError):
    """The library lost the loop's user task: its task lookups stop at depth 1000, which a
    loop with a boundary timer reaches within 200 rounds (ENGINE-NOTES.md)."""


def _complete_ready(wf: BpmnWorkflow) -> None:
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != 1:
        raise Stalled(f"{len(ready)} ready user tasks")
    [task] = ready
    task.data.update(STEP_DATA[task.task_spec.bpmn_id])
    task.run()
    wf.do_engine_steps()


def step(state: str, engine: Engine) -> tuple[str, float]:
    """One stateless step; returns the new JSON and its duration."""
    started = time.perf_counter()
    wf = SERIALIZER.deserialize_json(state)
    wf.script_engine = engine
    _complete_ready(wf)
    saved = SERIALIZER.serialize_json(wf)
    return saved, time.perf_counter() - started


def loop_samples(model: CompiledModel, engine: Engine) -> list[float]:
    """The HTTP latency workload without HTTP: LATENCY_CASES cases × LATENCY_ROUNDS rounds."""
    states = [new_state(model, engine) for _ in range(LATENCY_CASES)]
    samples = []
    for _ in range(LATENCY_ROUNDS * 2):
        for i, state in enumerate(states):
            states[i], elapsed = step(state, engine)
            samples.append(elapsed)
    return samples


def aged_state(model: CompiledModel, engine: Engine, rounds: int) -> str:
    """An instance taken ``rounds`` times round the loop in memory, then saved once."""
    wf = SERIALIZER.deserialize_json(new_state(model, engine))
    wf.script_engine = engine
    for _ in range(rounds * 2):
        _complete_ready(wf)
    return SERIALIZER.serialize_json(wf)


def aged(model: CompiledModel, engine: Engine, rounds: int) -> dict[str, Any]:
    """Size and stateless step cost (and its parts) of a case after ``rounds`` rework rounds
    (or that the library alone cannot take it that far: OneWindow prunes the history)."""
    try:
        state = aged_state(model, engine, rounds)
    except Stalled as error:
        return {"rounds": rounds, "stalled": str(error)}
    restore, run, save = [], [], []
    for _ in range(SAVE_SAMPLES):
        t0 = time.perf_counter()
        wf = SERIALIZER.deserialize_json(state)
        wf.script_engine = engine
        t1 = time.perf_counter()
        _complete_ready(wf)
        t2 = time.perf_counter()
        SERIALIZER.serialize_json(wf)
        t3 = time.perf_counter()
        restore.append(t1 - t0)
        run.append(t2 - t1)
        save.append(t3 - t2)
    return {
        "rounds": rounds,
        "json_bytes": len(state.encode()),
        "step": summary_ms([a + b + c for a, b, c in zip(restore, run, save, strict=True)]),
        "restore_ms": round(median(restore) * 1000, 3),
        "complete_ms": round(median(run) * 1000, 3),
        "serialize_ms": round(median(save) * 1000, 3),
    }


def hash_password_ms(samples: int = 3) -> float:
    """What ``start_case`` spends hashing the query password (scrypt), in process."""
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        hash_password("123456")
        durations.append(time.perf_counter() - started)
    return round(median(durations) * 1000, 1)


def measure() -> dict[str, Any]:
    model = load_model()
    library, sandbox = PythonScriptEngine(), script_engine()
    return {
        "step": summary_ms(loop_samples(model, library)),
        "step_sandbox": summary_ms(loop_samples(model, sandbox)),
        "aged": {str(rounds): aged(model, library, rounds) for rounds in AGE_ROUNDS},
        "hash_password_ms": hash_password_ms(),
    }
