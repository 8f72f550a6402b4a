"""What restoring a case costs, in process: ``python -m bench.restore_profile [--profile]``.

The demo's 补正 loop (bench/settings.py) run for 10 and 200 rounds on rows kept in memory as
save_run writes them; ``CaseRun.restore`` of each case is timed (CPU, min and median) and, with
``--profile``, profiled on the older one. No database: this is the engine's part only.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

from engine.definitions import read_model_folder
from engine.runtime import CaseRun, compile_model
from engine.runtime.compiling import CompiledModel

from .settings import AGE_ROUNDS, MODEL, ROOT, STEP_DATA, TASK_NAMES

START = {"case_no": "B-1", "service_item": "bench", "applicant": {"kind": "person", "name": "张三"}}


class StoredCase:
    """A case's instance properties and task rows, updated from ``CaseRun.changes``."""

    def __init__(self, model: CompiledModel, rounds: int):
        self.model, self.workflow, self.rows = model, {}, {}
        run = CaseRun.start(model, START)
        self.save(run)
        for _ in range(rounds * 2):
            run = self.restore()
            [task] = run.ready_user_tasks()
            run.complete(run.find_ready(task.id), STEP_DATA[TASK_NAMES[task.name]])
            self.save(run)

    def save(self, run: CaseRun) -> None:
        changes = run.changes()
        self.workflow = changes.workflow
        for task_id in changes.deletes:
            del self.rows[task_id]
        self.rows.update((task_id, (process, text)) for task_id, process, text in changes.upserts)

    def restore(self) -> CaseRun:
        return CaseRun.restore(self.model, self.workflow, list(self.rows.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300, help="restores timed per case")
    parser.add_argument("--profile", action="store_true", help="cProfile the older case")
    args = parser.parse_args()
    model = compile_model(read_model_folder(ROOT / "bpmn" / MODEL), MODEL)
    cases = {rounds: StoredCase(model, rounds) for rounds in AGE_ROUNDS}
    for rounds, case in cases.items():
        times = []
        for _ in range(args.count):
            cpu = time.process_time()
            case.restore()
            times.append((time.process_time() - cpu) * 1000)
        size = sum(len(text) for _, text in case.rows.values())
        print(
            f"{rounds} rounds ({len(case.rows)} rows, {size // 1024} KB): restore "
            f"min {min(times):.2f} ms, median {statistics.median(times):.2f} ms"
        )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.count):
            cases[max(cases)].restore()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
