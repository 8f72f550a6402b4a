"""综合受理: the window takes a case in once — its applicant, materials and scans, and the
intake step's decision — in one transaction; the scans of a draft wait on disk meanwhile.
Above the materials it records (materials.py) and the task completion it ends with (tasks.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from .. import access, models
from ..errors import NotFound, ValidationFailed
from ..forms import validate_form
from ..uow import UnitOfWork
from . import tasks as task_service
from .cases import case_tasks, latest_definition, start_case
from .common import record
from .materials import (
    check_upload,
    file_path,
    incomplete,
    material_names,
    missing_mandatory,
    require_known,
    store_material,
    write_once,
)

# The page's three intake decisions; the step's form may spell 受理 ``approve`` (即办件).
INTAKE_DECISIONS = ("accept", "supplement", "reject")
DECISION_VALUES = {
    "accept": ("accept", "approve"),
    "supplement": ("supplement",),
    "reject": ("reject",),
}
# Properties of an intake form the intake page fills itself; the others are shown as they are.
STANDARD_FIELDS = ("decision", "reason", "missing_materials", "materials_checked")


@dataclass
class Received:
    """One checklist line as the window ticked it."""

    name: str
    received: bool
    originals: int = 0
    copies: int = 0


@dataclass
class Upload:
    name: str  # the checklist entry the scan belongs to
    filename: str
    content_type: str
    data: bytes


DRAFTS = "intake-drafts"


def _draft_manifest(upload_dir: Path, draft: str) -> Path:
    return Path(upload_dir) / DRAFTS / f"{sha256(draft.encode()).hexdigest()}.json"


def keep_draft_scans(upload_dir: Path, draft: str, uploads: list[Upload]) -> None:
    """Hold the scans of an intake the window must correct (补填), so a validation error never
    makes the clerk scan again: the content goes to the hashed store, a manifest names it.
    ``draft`` is the caller's key (one clerk's session and item); one draft per key."""
    manifest = _draft_manifest(upload_dir, draft)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    entries = []
    for upload in uploads:
        digest = sha256(upload.data).hexdigest()
        write_once(upload_dir, digest, upload.data)
        entries.append(
            {
                "name": upload.name,
                "filename": upload.filename,
                "content_type": upload.content_type,
                "sha256": digest,
            }
        )
    manifest.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")


def draft_scans(upload_dir: Path, draft: str) -> dict[str, Upload]:
    """The scans held for ``draft``, by checklist entry; a missing or damaged draft holds none."""
    try:
        entries = json.loads(_draft_manifest(upload_dir, draft).read_text(encoding="utf-8"))
        return {
            entry["name"]: Upload(
                entry["name"],
                entry["filename"],
                entry["content_type"],
                file_path(upload_dir, entry["sha256"]).read_bytes(),
            )
            for entry in entries
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def drop_draft_scans(upload_dir: Path, draft: str) -> None:
    """Forget a draft once its case exists or the clerk starts over; the content stays hashed."""
    _draft_manifest(upload_dir, draft).unlink(missing_ok=True)


@dataclass
class Intake:
    case: models.Case
    query_password: str
    intake_task: models.HumanTask | None
    decision: str | None  # the value sent to the step (``accept``, ``approve``, …)
    materials: list[models.Material] = field(default_factory=list)
    next_tasks: list[models.HumanTask] = field(default_factory=list)


def decision_options(schema: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The page's decisions the step supports: page value → the step's value and its title."""
    prop = (schema.get("properties") or {}).get("decision")
    if not isinstance(prop, dict):
        return {}
    if "enum" in prop:
        choices = [(v, str(v)) for v in prop["enum"]]
    elif isinstance(prop.get("oneOf") or prop.get("anyOf"), list):
        choices = [
            (a.get("const"), str(a.get("title") or a.get("const")))
            for a in prop.get("oneOf") or prop.get("anyOf")
            if isinstance(a, dict) and "const" in a
        ]
    else:  # a free text decision: the page's words go through as they are
        return {d: {"value": d, "title": d} for d in INTAKE_DECISIONS}
    titles = dict(choices)
    options = {}
    for decision, candidates in DECISION_VALUES.items():
        value = next((v for v in candidates if v in titles), None)
        if value is not None:
            options[decision] = {"value": value, "title": titles[value]}
    return options


def extra_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """The step's own fields beyond the intake's standard ones, as an object schema."""
    properties = {
        k: v for k, v in (schema.get("properties") or {}).items() if k not in STANDARD_FIELDS
    }
    required = [k for k in schema.get("required") or () if k in properties]
    return {"type": "object", "properties": properties, "required": required}


def intake_form(uow: UnitOfWork, item_code: str) -> dict[str, Any]:
    """The form the item's intake step will show, read from its newest model version.

    The intake step is the user task that starts the clock (``clock=start``), else the first
    one of the window lane. Used to lay the page out before a case exists; the submission is
    shaped again to the real open task.
    """
    item = _item(uow, item_code)
    definition = latest_definition(uow, item.process_key)
    meta = definition.task_meta or {}
    spec = next((k for k, v in meta.items() if v.get("clock") == "start"), None)
    if spec is None:
        spec = next((k for k, v in meta.items() if v.get("role") == "window"), None)
    info = meta.get(spec or "", {})
    files = definition.files or {}
    schema = json.loads(files[info["form"]]) if info.get("form") in files else {}
    ui_schema = json.loads(files[info["ui_form"]]) if info.get("ui_form") in files else {}
    return {
        "step": info.get("name"),
        "schema": schema,
        "ui_schema": ui_schema,
        "decisions": decision_options(schema),
        "extra": extra_fields(schema),
    }


def _item(uow: UnitOfWork, code: str) -> models.ServiceItem:
    item = uow.session.get(models.ServiceItem, code)
    if item is None:
        raise NotFound(f"事项 {code} 不存在", code="service_item_not_found")
    return item


def _intake_task(uow: UnitOfWork, user: models.User, case: models.Case) -> models.HumanTask | None:
    """The first open task of the intake department this user may complete."""
    for task in case_tasks(uow, case, open_only=True):
        if task.department_code == case.intake_department and access.is_candidate(user, task):
            return task
    return None


def step_data(
    schema: dict[str, Any],
    decision: str,
    *,
    reason: str = "",
    missing: list[str] | None = None,
    materials_checked: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The intake's outcome in the step's own vocabulary; only properties it declares."""
    properties = schema.get("properties") or {}
    data: dict[str, Any] = {}
    if "decision" in properties:
        options = decision_options(schema)
        if decision not in options:
            raise ValidationFailed(
                "该事项的受理环节不支持此受理决定",
                {"fields": {"decision": "请选择有效的选项"}},
                code="invalid_decision",
            )
        data["decision"] = options[decision]["value"]
    if "reason" in properties and reason:
        data["reason"] = reason
    if "missing_materials" in properties and decision == "supplement" and missing:
        data["missing_materials"] = list(dict.fromkeys(missing))
    if "materials_checked" in properties:
        data["materials_checked"] = materials_checked
    for key, value in (extra or {}).items():
        if key in properties and key not in STANDARD_FIELDS:
            data[key] = value
    return data


def take_in(
    uow: UnitOfWork,
    user: models.User,
    item_code: str,
    applicant: Any,
    *,
    decision: str,
    upload_dir: Path,
    received: list[Received] | None = None,
    uploads: list[Upload] | None = None,
    reason: str = "",
    missing: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    agent: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Intake:
    """综合受理: start the case, check and store its materials, decide the intake step.

    Everything that can be refused is checked before the first file is written, so a refusal
    leaves neither a case nor a file. A 受理 with a mandatory material neither ticked nor
    scanned is refused: the window gives a 一次性告知 instead (default: every such material).
    """
    access.require_role(user, "window")
    item = _item(uow, item_code)
    received = list(received or [])
    uploads = list(uploads or [])
    if decision not in INTAKE_DECISIONS:
        raise ValidationFailed(
            "请选择受理决定", {"fields": {"decision": "该字段为必填项"}}, code="invalid_decision"
        )
    for line in received:
        require_known(item, line.name)
        if line.originals < 0 or line.copies < 0:
            raise ValidationFailed(
                "原件、复印件份数不能为负数", {"fields": {line.name: "不能小于 0"}}
            )
    for upload in uploads:
        require_known(item, upload.name)
        check_upload(upload.filename, upload.data)

    have = {line.name for line in received if line.received} | {u.name for u in uploads}
    lacking = missing_mandatory(item, have)
    if decision == "accept" and lacking:  # before the case exists: refused, nothing is kept
        raise incomplete(lacking)
    if decision == "supplement" and not missing:
        missing = lacking

    started = start_case(uow, user, item.code, applicant, data or {}, channel="window", agent=agent)
    case = started.case
    task = _intake_task(uow, user, case)
    payload: dict[str, Any] | None = None
    if task is not None:
        schema = task_service.form_of(task)["schema"]
        payload = step_data(
            schema,
            decision,
            reason=reason.strip(),
            missing=missing,
            materials_checked=not lacking,
            extra=extra,
        )
        form_file = case.definition.task_meta.get(task.spec_name, {}).get("form")
        if form_file:
            validate_form(case.definition.files[form_file], payload)

    counts = {line.name: line for line in received}
    record(
        uow,
        case,
        user.username,
        "material_check",
        task,
        {
            "received": [
                {
                    "name": n,
                    "originals": counts[n].originals if n in counts else 0,
                    "copies": counts[n].copies if n in counts else 0,
                }
                for n in material_names(item)
                if n in have
            ],
            "missing": lacking,
        },
    )
    stored = []
    for upload in uploads:
        line = counts.get(upload.name)
        stored.append(
            store_material(
                uow,
                user,
                case,
                upload.name,
                upload.filename,
                upload.content_type,
                upload.data,
                upload_dir,
                originals=line.originals if line else 0,
                copies=line.copies if line else 0,
            )
        )
    result = Intake(case, started.query_password, task, None, stored, list(started.next_tasks))
    if task is not None and payload is not None:
        done = task_service.complete(uow, user, task.id, payload)
        result.decision = payload.get("decision")
        result.next_tasks = done.next_tasks
    return result
