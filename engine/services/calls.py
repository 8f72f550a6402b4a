"""Call activities into other deployed models (一件事一次办: a bundle calls its items' own models).

A call activity's ``calledElement`` names a process of the model's own files or the main process
of another deployed model. The version in force when the call starts is the newest deployed
version of the model whose newest version has that main process; the runtime pins it for the
call (``CaseWorkflow`` in engine/runtime/calls.py), so a later deploy changes only calls
started after it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import models
from ..errors import EngineIntegrityError
from ..runtime import CompiledModel
from ..uow import UnitOfWork
from .common import model_of


def newest_versions(session: Session) -> list[tuple[int, str, str]]:
    """``(definition id, key, main process id)`` of every model's newest version."""
    definition = models.ProcessDefinition
    newest = (
        select(definition.key, func.max(definition.version).label("version"))
        .group_by(definition.key)
        .subquery()
    )
    rows = session.execute(
        select(definition.id, definition.key, definition.process_id).join(
            newest,
            (definition.key == newest.c.key) & (definition.version == newest.c.version),
        )
    )
    return [tuple(row) for row in rows]


def providers(session: Session) -> dict[str, list[tuple[int, str]]]:
    """Main process id -> ``(definition id, key)`` of each model's newest version having it."""
    found: dict[str, list[tuple[int, str]]] = {}
    for definition_id, key, process_id in newest_versions(session):
        found.setdefault(process_id, []).append((definition_id, key))
    return found


def callable_processes(uow: UnitOfWork) -> dict[str, list[str]]:
    """What deploy checks a ``calledElement`` against: process id -> keys of the models
    providing it (more than one key: the call is ambiguous and refused)."""
    return {
        process: sorted(key for _, key in found)
        for process, found in providers(uow.session).items()
    }


class DeployedModels:
    """The runtime's ``CalledModels`` over the database, for one unit of work."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def latest(self, process_id: str) -> tuple[int, CompiledModel]:
        found = providers(self._uow.session).get(process_id, [])
        if len(found) != 1:
            raise EngineIntegrityError(
                f"调用活动要调用的流程 {process_id} "
                + ("没有已部署的模型" if not found else "由多个模型提供")
                + "，操作未保存",
                {"called_element": process_id, "models": sorted(key for _, key in found)},
                code="called_process_unresolved",
            )
        definition_id = found[0][0]
        return definition_id, model_of(self._uow, definition_id)

    def version(self, definition_id: int) -> CompiledModel:
        return model_of(self._uow, definition_id)
