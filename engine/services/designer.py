"""The process designer's workbench (流程设计): drafts, validation, deploy, diff, migration, stats.

- A **draft** is a model's files saved without deploying (one per model key, ``model_draft``).
  Reading a model that has none gives its newest version's files.
- **Validate** runs exactly what deploy runs — ``prepare_model`` (quote Camunda-style timers,
  generate ``camunda:formData`` forms) then every lint rule — and answers problems and notes
  instead of refusing.
- **Deploy** prepares, validates and stores the next version through
  ``services.models.deploy_model``; deploying the draft clears it.
- **Diff** compares two versions (or a version and the draft) element by element.
- **Migration** moves running cases to another version of their model, one savepoint per
  case inside the request's transaction, so one case that fails does not hold back the others;
  a dry run does the whole move in memory and keeps nothing.
- **Stats** count, per element, the cases waiting there now and the average dwell of completed
  steps, in SQL over the ``human_task`` projection.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import access, models, views
from ..camunda import BPMN_SUFFIXES
from ..definitions import check_model, diff_models, prepare_model
from ..errors import BadRequest, EngineIntegrityError, ModelInvalid, NotFound, TooLarge
from ..runtime import CaseRun, MigrationRefused
from ..uow import UnitOfWork
from . import models as model_service
from . import step_stats
from .common import RUNS, record, restore_run, save_run
from .deployed import callable_processes, database_of, definition_of, model_of
from .progress import finish_if_done, sync_tasks

DESIGN_ROLES = ("designer", "admin")
STATS_ROLES = (*DESIGN_ROLES, *sorted(access.READ_ALL_ROLES))
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 200
ENDED_STATUSES = ("finished", "closed", "cancelled")
_FORBIDDEN_IN_NAMES = re.compile(r"[\x00-\x1f\x7f\\:*?\"<>|]")


def _require_designer(user: models.User) -> None:
    access.require_role(user, *DESIGN_ROLES)


# ---- files ----------------------------------------------------------------------------------


def check_files(files: Any) -> dict[str, str]:
    """A model's files from a request: ``{name: UTF-8 text}``, names ``x.bpmn``, ``x.dmn`` or
    ``forms/x.json`` (no other folders), at most 2 MB each."""
    if not isinstance(files, dict) or not files:
        raise BadRequest(
            "files 应为非空对象 {文件名: 文件内容}", {"field": "files"}, "invalid_files"
        )
    if len(files) > MAX_FILES:
        raise TooLarge(f"文件过多（最多 {MAX_FILES} 个）", {"field": "files"}, "too_many_files")
    checked: dict[str, str] = {}
    for name, text in files.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise BadRequest("每个文件的名称和内容都应为文本", {"file": str(name)}, "invalid_files")
        try:
            name.encode("utf-8")
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise BadRequest(
                f"文件不是合法的 UTF-8 文本：{name!r}", {"file": name}, "invalid_encoding"
            ) from error
        if not _valid_name(name):
            raise BadRequest(
                f"文件名不允许：{name}（只允许 *.bpmn、*.bpmn20.xml、*.dmn 和 forms/*.json）",
                {"file": name},
                "invalid_file_name",
            )
        if size > MAX_FILE_BYTES:
            raise TooLarge(f"文件过大：{name}（最大 2 MB）", {"file": name}, "file_too_large")
        if name.endswith(".json"):
            _require_json(name, text)
        checked[name] = text
    return checked


def check_key(key: Any) -> str:
    """A model key as the designer pages, drafts and uploads all accept it."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise BadRequest(
            "模型标识须以小写字母开头，只含小写字母、数字和下划线（2–64 个字符）",
            {"field": "key"},
            "invalid_key",
        )
    return key


def _require_json(name: str, text: str) -> None:
    """Every form file parses, including one no task refers to yet (the checks of the model
    only read the forms its tasks name)."""
    try:
        json.loads(text)
    except (ValueError, RecursionError) as error:
        problem = {
            "file": name,
            "line": getattr(error, "lineno", None),
            "element_id": None,
            "message": f"表单文件不是合法的 JSON：{getattr(error, 'msg', error)}",
        }
        raise ModelInvalid([problem]) from error


def _valid_name(name: str) -> bool:
    folder, _, base = name.rpartition("/")
    if folder not in ("", "forms") or not base or base.startswith("."):
        return False
    if _FORBIDDEN_IN_NAMES.search(name) or len(name) > 200:
        return False
    suffixes = (".json",) if folder == "forms" else (*BPMN_SUFFIXES, ".dmn")
    return base.endswith(suffixes)


# ---- drafts ---------------------------------------------------------------------------------


def _draft_view(key: str, draft: models.ModelDraft) -> dict[str, Any]:
    return {
        "key": key,
        "files": draft.files,
        "base_version": draft.base_version,
        "updated_by": draft.updated_by,
        "updated_at": views.iso(draft.updated_at),
        "is_draft": True,
    }


def get_draft(uow: UnitOfWork, user: models.User, key: str) -> dict[str, Any]:
    """The draft, else the newest version's files (``is_draft`` false); 404 if neither."""
    _require_designer(user)
    draft = uow.session.get(models.ModelDraft, key)
    if draft is not None:
        return _draft_view(key, draft)
    latest = model_service.latest_version(uow, key)
    if latest is None:
        raise NotFound(f"流程模型 {key} 不存在", code="process_model_not_found")
    return {
        "key": key,
        "files": latest.files,
        "base_version": latest.version,
        "updated_by": latest.deployed_by,
        "updated_at": views.iso(latest.deployed_at),
        "is_draft": False,
    }


def save_draft(uow: UnitOfWork, user: models.User, key: str, files: Any) -> dict[str, Any]:
    """Keep the files as the model's draft; a new draft is based on the newest version."""
    _require_designer(user)
    check_key(key)
    checked = check_files(files)
    draft = uow.session.get(models.ModelDraft, key, with_for_update=True)
    now = models.utcnow()
    if draft is None:
        latest = model_service.latest_version(uow, key)
        draft = models.ModelDraft(
            key=key,
            files=checked,
            base_version=latest.version if latest else None,
            updated_by=user.username,
            updated_at=now,
        )
        uow.session.add(draft)
    else:
        draft.files, draft.updated_by, draft.updated_at = checked, user.username, now
    uow.session.flush()
    return _draft_view(key, draft)


def current_files(uow: UnitOfWork, key: str) -> dict[str, str]:
    draft = uow.session.get(models.ModelDraft, key)
    if draft is not None:
        return dict(draft.files)
    latest = model_service.latest_version(uow, key)
    if latest is None:
        raise NotFound(f"流程模型 {key} 不存在", code="process_model_not_found")
    return dict(latest.files)


# ---- validate and deploy ------------------------------------------------------------------


def validate(uow: UnitOfWork, user: models.User, key: str, files: Any = None) -> dict[str, Any]:
    """Problems and notes of the given files (default: the draft, else the newest version)."""
    _require_designer(user)
    checked = current_files(uow, key) if files is None else check_files(files)
    prepared = prepare_model(checked)
    report = check_model(
        prepared.files,
        model_service.department_lookup(uow),
        model_service.role_codes(uow),
        callable_processes(uow),
    )
    return {
        "key": key,
        "valid": not report.problems,
        "problems": report.problems,
        "notes": prepared.notes + report.notes,
    }


def deploy_draft(
    uow: UnitOfWork, user: models.User, key: str, note: str = ""
) -> model_service.Deployment:
    """Deploy the model's draft and clear it (it is kept when validation refuses it)."""
    _require_designer(user)
    draft = uow.session.get(models.ModelDraft, key, with_for_update=True)
    if draft is None:
        raise NotFound(f"流程模型 {key} 没有草稿", code="draft_not_found")
    latest = model_service.latest_version(uow, key)
    result = model_service.deploy_model(uow, user, key, dict(draft.files), note)
    if (
        draft.base_version is not None
        and latest is not None
        and draft.base_version < latest.version
    ):
        result.notes.append(
            {
                "file": "",
                "line": None,
                "element_id": None,
                "message": f"草稿基于版本 {draft.base_version}，编辑期间已有人部署了版本 "
                f"{latest.version}；本次部署以草稿为准",
                "level": "warning",
            }
        )
    uow.session.delete(draft)
    return result


def deployment_view(key: str, result: model_service.Deployment) -> dict[str, Any]:
    return {
        "key": key,
        **model_service.version_view(result.definition),
        "created": result.created,
        "notes": result.notes,
    }


# ---- diff -----------------------------------------------------------------------------------


def diff(
    uow: UnitOfWork, user: models.User, key: str, old: str | None, new: str | None
) -> dict[str, Any]:
    """Element-level diff of two versions; ``new`` defaults to the newest, ``old`` to the one
    before it; either may be ``draft``."""
    versions = model_service.versions(uow, key)
    newest = versions[-1].version
    new_ref = _version_ref(new, "to") if new else newest
    if old:
        old_ref = _version_ref(old, "from")
    elif new_ref == "draft":
        old_ref = newest
    else:
        old_ref = max(int(new_ref) - 1, 1)
    old_files, new_files = _files_of(uow, user, key, old_ref), _files_of(uow, user, key, new_ref)
    return {"key": key, "from": old_ref, "to": new_ref, **diff_models(old_files, new_files)}


def _version_ref(value: str, name: str) -> int | str:
    if value == "draft":
        return value
    try:
        number = int(value)
    except ValueError as error:
        raise BadRequest(f"{name} 应为版本号或 draft", {"field": name}) from error
    if number < 1:
        raise BadRequest(f"{name} 应为版本号或 draft", {"field": name})
    return number


def _files_of(uow: UnitOfWork, user: models.User, key: str, ref: int | str) -> dict[str, str]:
    if ref == "draft":
        _require_designer(user)
        draft = uow.session.get(models.ModelDraft, key)
        if draft is None:
            raise NotFound(f"流程模型 {key} 没有草稿", code="draft_not_found")
        return dict(draft.files)
    return dict(model_service.definition(uow, key, int(ref)).files)


# ---- migration ------------------------------------------------------------------------------


def migrate_cases(
    uow: UnitOfWork,
    user: models.User,
    key: str,
    to_version: Any,
    cases: Any,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Move cases of model ``key`` to ``to_version``: ``cases`` is a list of case numbers or
    ``"all"`` (every unfinished case of the model on another version). One result per case:
    ``{"case_no", "ok", "reason", "from_version", "to_version"}``."""
    _require_designer(user)
    if isinstance(to_version, bool) or not isinstance(to_version, int):
        raise BadRequest("to_version 应为版本号", {"field": "to_version"})
    target = model_service.definition(uow, key, to_version)
    if cases == "all":
        numbers = list(
            uow.session.scalars(
                select(models.Case.case_no)
                .join(models.ProcessDefinition)
                .where(
                    models.ProcessDefinition.key == key,
                    models.Case.definition_id != target.id,
                    models.Case.status.not_in(ENDED_STATUSES),
                )
                .order_by(models.Case.id)
            )
        )
    elif isinstance(cases, list) and cases and all(isinstance(c, str) for c in cases):
        numbers = list(dict.fromkeys(cases))
    else:
        raise BadRequest('cases 应为办件编号列表或 "all"', {"field": "cases"})
    return [_migrate_one(uow, user, key, target, number, dry_run) for number in numbers]


def _migrate_one(
    uow: UnitOfWork,
    user: models.User,
    key: str,
    target: models.ProcessDefinition,
    case_no: str,
    dry_run: bool,
) -> dict[str, Any]:
    session = uow.session
    result: dict[str, Any] = {
        "case_no": case_no,
        "ok": False,
        "reason": None,
        "from_version": None,
        "to_version": target.version,
    }
    case = session.scalars(
        select(models.Case).where(models.Case.case_no == case_no).with_for_update(of=models.Case)
    ).one_or_none()
    if case is None:
        return {**result, "reason": "办件不存在"}
    current = definition_of(session, case.definition_id)
    result["from_version"] = current.version
    if current.key != key:
        return {**result, "reason": "不属于该模型"}
    if case.status in ENDED_STATUSES:
        return {**result, "reason": "办件已办结，无需迁移"}
    if case.definition_id == target.id:
        return {**result, "reason": f"办件已在版本 {target.version} 上"}
    model = model_of(uow, target.id)
    run = _fresh_run(uow, case)
    try:
        run.migrate(model)
    except MigrationRefused as refused:
        return {**result, "reason": "；".join(refused.reasons)}
    except EngineIntegrityError as error:
        return {**result, "reason": error.message}
    except Exception as error:
        return {**result, "reason": f"迁移失败：{type(error).__name__}: {error}"}
    if dry_run:
        return {**result, "ok": True}
    try:
        with session.begin_nested():
            case.definition_id, case.definition = target.id, target
            save_run(uow, case, run)
            record(
                uow,
                case,
                user.username,
                "migrate",
                detail={"key": key, "from_version": current.version, "to_version": target.version},
            )
            sync_tasks(uow, case, run)
            finish_if_done(uow, case, run, user.username)
            session.flush()
    except SQLAlchemyError as error:
        return {**result, "reason": f"迁移失败，未保存：{type(error).__name__}"}
    finally:
        # any run of this case this process cached is of the old version
        RUNS.take((database_of(session), case.id), -1)
    return {**result, "ok": True}


def _fresh_run(uow: UnitOfWork, case: models.Case) -> CaseRun:
    """The case's workflow restored from the database, never the shared cached run (a dry run
    mutates it in memory)."""
    return restore_run(uow, case)


# ---- live view ------------------------------------------------------------------------------


def stats(uow: UnitOfWork, user: models.User, key: str, version: int | None) -> dict[str, Any]:
    """Per user task of a version: cases waiting there now, steps completed, average dwell —
    from the sums kept for ended cases and the raw steps of the others (step_stats.py)."""
    access.require_role(user, *STATS_ROLES)
    if version is None:
        definition = model_service.latest_version(uow, key)
        if definition is None:
            raise NotFound(f"流程模型 {key} 不存在", code="process_model_not_found")
    else:
        definition = model_service.definition(uow, key, version)
    elements: dict[str, dict[str, Any]] = {
        spec: {"waiting": 0, "completed": 0, "avg_dwell_hours": None}
        for spec in definition.task_meta
    }
    elements.update(step_stats.read(uow.session, definition.id))
    return {"key": key, "version": definition.version, "elements": elements}


def running_cases(uow: UnitOfWork, user: models.User, key: str) -> list[dict[str, Any]]:
    """The model's unfinished cases with their version and open steps, for migration.

    Designers work no department's cases, so the clerks' scoping shows them none; migrating
    needs to know which case runs on which version — number, item, version, status and open
    steps only, no applicant data.
    """
    _require_designer(user)
    rows = uow.session.execute(
        select(
            models.Case.id,
            models.Case.case_no,
            models.Case.status,
            models.Case.created_at,
            models.ServiceItem.name,
            models.ProcessDefinition.version,
        )
        .join(models.ProcessDefinition, models.Case.definition_id == models.ProcessDefinition.id)
        .join(models.ServiceItem, models.Case.service_item_code == models.ServiceItem.code)
        .where(models.ProcessDefinition.key == key, models.Case.status.not_in(ENDED_STATUSES))
        .order_by(models.Case.id)
    ).all()
    steps: dict[int, list[str]] = {}
    if rows:
        open_tasks = uow.session.execute(
            select(models.HumanTask.case_id, models.HumanTask.name).where(
                models.HumanTask.case_id.in_([r.id for r in rows]),
                models.HumanTask.state.in_(("ready", "claimed")),
            )
        )
        for case_id, task_name in open_tasks:
            steps.setdefault(case_id, []).append(task_name)
    return [
        {
            "case_no": r.case_no,
            "status": r.status,
            "service_item_name": r.name,
            "version": r.version,
            "created_at": views.iso(r.created_at),
            "open_steps": steps.get(r.id, []),
        }
        for r in rows
    ]
