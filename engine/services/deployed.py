"""Deployed model versions as the engine uses them, and the ones call activities resolve to.

Versions never change once deployed, so each process reads a version once and compiles it once.
Call activities (一件事一次办: a bundle calls its items' own models): a ``calledElement`` names a
process of the model's own files or the main process of another deployed model. The version in
force when the call starts is the newest deployed version of the model whose newest version has
that main process; the runtime pins it for the call (``CaseWorkflow`` in
engine/runtime/calls.py), so a later deploy changes only calls started after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import models
from ..errors import EngineIntegrityError
from ..runtime import CalledModels, CompiledModel, compiled
from ..uow import UnitOfWork


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


@dataclass(frozen=True)
class Definition:
    """A deployed model version as the engine uses it; versions never change once deployed,
    so each process reads a version once and keeps it."""

    id: int
    key: str
    version: int
    hash: str
    process_id: str
    task_meta: dict[str, dict[str, Any]]
    files: dict[str, str]

    def meta(self, spec_name: str) -> dict[str, Any]:
        return self.task_meta.get(spec_name, {})


# Keyed by database as well: one process may serve several (the tests run two side by side).
_definitions: dict[tuple[str, int], Definition] = {}


def database_of(session: Session) -> str:
    return str(session.get_bind().url)


def definition_of(session: Session, definition_id: int) -> Definition:
    key = (database_of(session), definition_id)
    found = _definitions.get(key)
    if found is None:
        row = session.get(models.ProcessDefinition, definition_id)
        found = Definition(
            row.id, row.key, row.version, row.hash, row.process_id, row.task_meta, row.files
        )
        _definitions[key] = found
    return found


def model_of(uow: UnitOfWork, definition_id: int) -> CompiledModel:
    found = definition_of(uow.session, definition_id)
    return compiled(found.id, found.hash, lambda: found.files, found.process_id)


def task_definition(session: Session, task: models.HumanTask) -> Definition:
    """The model version a human task's step belongs to: a called model's, or the case's."""
    return definition_of(session, task.definition_id or task.case.definition_id)


def called_models(uow: UnitOfWork) -> CalledModels:
    """Other deployed models, for call activities."""
    return DeployedModels(uow)
