"""The only package that drives SpiffWorkflow's ``BpmnWorkflow``.

Three jobs:

* compile a deployed model version into specs once per process (``compiled``);
* restore a case's workflow from its stored pieces and hand back only what changed, so a save
  costs what the step touched, not the whole history (``CaseRun.changes``);
* refuse to trust the engine where SpiffWorkflow 3.2.0 is known to lie: its task iterators stop
  at depth 1000 and then a deep case looks stalled or even completed (ENGINE-NOTES.md). Every
  run is checked against the complete task dictionary, which has no depth limit, and a case
  that grows too deep has its finished history pruned, and is stopped with a clear error
  only where pruning cannot help, before the library goes blind.

Modules, bottom up: ``state`` (how a case's workflow is stored), ``tree`` (walks with no depth
limit), ``events`` (messages and timers a case waits for), ``compiling`` (model versions into
specs), ``calls`` (call activities into other deployed models), ``migration`` (moving a case to
another version), ``case_run`` (``CaseRun``: one case for one unit of work).
"""

from .calls import CalledModels
from .case_run import MAX_SAFE_DEPTH, CaseRun, PendingTimer, UserTask
from .compiling import CompiledModel, compile_model, compiled, parse_model
from .events import MessageWait, start_messages
from .migration import MigrationRefused
from .state import REGISTRY, SERIALIZER, Changes

__all__ = [
    "MAX_SAFE_DEPTH",
    "REGISTRY",
    "SERIALIZER",
    "CalledModels",
    "CaseRun",
    "Changes",
    "CompiledModel",
    "MessageWait",
    "MigrationRefused",
    "PendingTimer",
    "UserTask",
    "compile_model",
    "compiled",
    "parse_model",
    "start_messages",
]
