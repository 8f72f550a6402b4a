"""What a freshly started server process has: none of the per-process caches."""

from __future__ import annotations

from engine.runtime import compiling
from engine.services import common, deployed


def fresh_process() -> None:
    """Forget restored workflows, deployed definitions and compiled specs, as a restart does."""
    with common.RUNS._lock:
        common.RUNS._runs.clear()
    deployed._definitions.clear()
    with compiling._compiled_lock:
        compiling._compiled.clear()
