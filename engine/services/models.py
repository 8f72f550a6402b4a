"""Process-model use cases: deploy a version, list models and versions, read a deployed file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import access, models, views
from ..definitions import check_model, files_hash, prepare_model
from ..errors import ModelInvalid, NotFound
from ..uow import UnitOfWork
from .deployed import callable_processes


@dataclass
class Deployment:
    definition: models.ProcessDefinition
    created: bool
    notes: list[dict[str, Any]] = field(default_factory=list)


def department_lookup(uow: UnitOfWork) -> dict[str, str]:
    """Lane names resolve to departments by name or by code."""
    lookup: dict[str, str] = {}
    for code, name in uow.session.execute(select(models.Department.code, models.Department.name)):
        lookup[code] = code
        lookup[name] = code
    return lookup


def deploy_model(
    uow: UnitOfWork,
    actor: models.User | None,
    key: str,
    files: dict[str, str],
    note: str = "",
) -> Deployment:
    """Prepare, validate and store the files as the next version of ``key`` — the one way
    every caller (API, designer draft, CLI, demo) deploys.

    Files identical (once prepared: timers quoted, Camunda forms generated) to the newest
    version make none and answer that version. A refusal is ``ModelInvalid`` with
    ``details.problems`` and ``details.notes``. ``actor`` is None only for the demo loader and
    the CLI, which act as the system.
    """
    if actor is not None:
        access.require_role(actor, "designer", "admin")
    prepared = prepare_model(files)
    files, digest = prepared.files, files_hash(prepared.files)
    session = uow.session
    latest = latest_version(uow, key)
    if latest is not None and latest.hash == digest:
        return Deployment(latest, created=False)
    report = check_model(files, department_lookup(uow), role_codes(uow), callable_processes(uow))
    notes = prepared.notes + report.notes
    if report.problems or report.validated is None:
        error = ModelInvalid(report.problems)
        error.details["notes"] = notes
        raise error
    checked = report.validated
    definition = models.ProcessDefinition(
        key=key,
        version=(latest.version if latest else 0) + 1,
        name=checked.name,
        hash=digest,
        process_id=checked.process_id,
        files=files,
        task_meta=checked.task_meta,
        deployed_by=actor.username if actor else "system",
        deployed_at=models.utcnow(),
        note=note,
    )
    session.add(definition)
    session.flush()
    return Deployment(definition, created=True, notes=notes)


def latest_version(uow: UnitOfWork, key: str) -> models.ProcessDefinition | None:
    return uow.session.scalars(
        select(models.ProcessDefinition)
        .where(models.ProcessDefinition.key == key)
        .order_by(models.ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def role_codes(uow: UnitOfWork) -> set[str]:
    return set(uow.session.scalars(select(models.Role.code)))


def version_view(d: models.ProcessDefinition) -> dict[str, Any]:
    return {
        "version": d.version,
        "hash": d.hash,
        "deployed_at": views.iso(d.deployed_at),
        "deployed_by": d.deployed_by,
        "note": d.note,
        "files": sorted(d.files),
    }


def list_models(uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = uow.session.scalars(
        select(models.ProcessDefinition).order_by(
            models.ProcessDefinition.key, models.ProcessDefinition.version
        )
    ).all()
    by_key: dict[str, dict[str, Any]] = {}
    for d in rows:
        entry = by_key.setdefault(d.key, {"key": d.key, "versions": []})
        entry.update(name=d.name, latest_version=d.version)
        entry["versions"].append(d.version)
    return list(by_key.values())


def versions(uow: UnitOfWork, key: str) -> list[models.ProcessDefinition]:
    rows = list(
        uow.session.scalars(
            select(models.ProcessDefinition)
            .where(models.ProcessDefinition.key == key)
            .order_by(models.ProcessDefinition.version)
        )
    )
    if not rows:
        raise NotFound(f"流程模型 {key} 不存在", code="process_model_not_found")
    return rows


def definition(uow: UnitOfWork, key: str, version: int) -> models.ProcessDefinition:
    found = uow.session.scalars(
        select(models.ProcessDefinition).where(
            models.ProcessDefinition.key == key, models.ProcessDefinition.version == version
        )
    ).first()
    if found is None:
        raise NotFound(f"流程模型 {key} 没有版本 {version}", code="version_not_found")
    return found


def version_file(uow: UnitOfWork, key: str, version: int, name: str) -> str:
    files = definition(uow, key, version).files
    if name not in files:
        raise NotFound(f"版本 {version} 中没有文件 {name}", code="file_not_found")
    return files[name]
