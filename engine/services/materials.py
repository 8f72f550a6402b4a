"""Materials (申请材料) and the one-window intake (综合受理) that checks them.

An uploaded scan lives on disk under its SHA-256 (``<upload_dir>/<sha[:2]>/<sha>``), written to
a temporary file and renamed into place, so a reader never sees half a file and identical
content is stored once; the ``material`` row keeps its name on the item's checklist, the file
name, type, size, the paper originals and copies the window received, and who uploaded it.
Files never enter the workflow JSON.

``take_in`` is the window's intake in one unit of work: start the case, record the material
check, store the scans and complete the intake step with the decision (受理 / 不予受理 /
一次性告知补正), shaped to whatever that step's form declares.

One rule decides whether a case may be accepted, whichever way it comes in (the intake page,
``POST /tasks/{id}/complete``, an online application): every mandatory material is received —
ticked at the window, recorded on paper (``record_receipt``), scanned, or supplied in a 补正 —
or waived (免于提交, e.g. verified through the e-licence library). ``missing_mandatory`` is it.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select

from .. import access, models
from ..errors import Conflict, DomainError, Forbidden, NotFound, TooLarge, ValidationFailed
from ..uow import UnitOfWork
from .cases import case_tasks, visible_case
from .common import LOCAL_TZ, record

MAX_SIZE = 10 * 1024 * 1024  # 10 MB per file
APPLICANT = "applicant"  # the uploader of a file the applicant sent online

# What the content says it is (magic bytes) → MIME type; the extension must agree.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
_DEFAULT_EXTENSION = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class UnsupportedType(DomainError):
    """Not a PDF, JPEG or PNG by its content, or its extension says otherwise (422)."""

    status = 422
    code = "unsupported_type"


class UnknownMaterial(ValidationFailed):
    """The name is not on the item's materials list (422)."""

    code = "unknown_material"


# ---- files -------------------------------------------------------------------------------------


def detect_type(data: bytes) -> str | None:
    """The MIME type the magic bytes announce, or None for anything else."""
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def clean_filename(filename: str) -> str:
    """The last path part, without control characters, at most 200 characters."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def check_upload(filename: str, data: bytes, max_size: int = MAX_SIZE) -> tuple[str, str]:
    """Refuse what may not be stored; returns the clean file name and the detected type."""
    name = clean_filename(filename) or "scan"
    if len(data) > max_size:
        raise TooLarge(
            f"文件“{name}”大小为 {_size_text(len(data))}，超过 {_size_text(max_size)} 的上限",
            {"filename": name, "size": len(data), "max_size": max_size},
        )
    if not data:
        raise UnsupportedType(f"文件“{name}”是空文件", {"filename": name}, code="empty_file")
    detected = detect_type(data)
    if detected is None:
        raise UnsupportedType(
            f"文件“{name}”不是 PDF、JPEG 或 PNG 文件（按文件内容判断），不能上传",
            {"filename": name, "allowed": sorted(set(_EXTENSIONS.values()))},
        )
    ext = PurePosixPath(name).suffix.lower()
    if not ext:
        name += _DEFAULT_EXTENSION[detected]
    elif _EXTENSIONS.get(ext) != detected:
        raise UnsupportedType(
            f"文件“{name}”的扩展名与内容不符（内容为 {detected}）",
            {"filename": name, "detected": detected},
        )
    return name, detected


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def file_path(upload_dir: Path, digest: str) -> Path:
    return Path(upload_dir) / digest[:2] / digest


def write_once(upload_dir: Path, digest: str, data: bytes) -> Path:
    """Write the content under its hash unless it is there: temp file, fsync, atomic rename."""
    path = file_path(upload_dir, digest)
    if path.is_file() and path.stat().st_size == len(data):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


# ---- the item's checklist ----------------------------------------------------------------------


def item_materials(item: models.ServiceItem) -> list[dict[str, Any]]:
    """The materials list of the 办事指南, each entry with every field filled in."""
    return [
        {
            "name": str(m.get("name") or ""),
            "issuer": str(m.get("issuer") or ""),
            "originals": _count(m.get("originals")),
            "copies": _count(m.get("copies")),
            "mandatory": bool(m.get("mandatory", True)),
            "media": m.get("media") or "both",
            "acceptance_standard": str(m.get("acceptance_standard") or ""),
        }
        for m in (item.guide or {}).get("materials") or []
        if isinstance(m, dict) and m.get("name")
    ]


def _count(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def material_names(item: models.ServiceItem) -> list[str]:
    return [m["name"] for m in item_materials(item)]


def require_known(item: models.ServiceItem, name: str) -> None:
    if name not in material_names(item):
        raise UnknownMaterial(
            f"“{name}”不在事项“{item.name}”的申请材料清单中",
            {"fields": {"name": "请选择有效的选项"}, "name": name},
        )


# ---- store, list, read -------------------------------------------------------------------------


def _may_upload(uow: UnitOfWork, user: models.User, case: models.Case) -> bool:
    """A window clerk of the intake department, or whoever may act on its open window task."""
    if "window" in user.role_codes and user.department_code == case.intake_department:
        return True
    for task in case_tasks(uow, case, open_only=True):
        if task.department_code != case.intake_department:
            continue
        if task.assignee == user.username or (
            not task.assignee and access.is_candidate(user, task)
        ):
            return True
    return False


def _require_window(uow: UnitOfWork, user: models.User, case: models.Case) -> None:
    """Materials are the intake window's to record; a finished case takes none."""
    if not _may_upload(uow, user, case):
        visible = uow.session.scalar(
            select(models.Case.id).where(models.Case.id == case.id, access.visible_cases(user))
        )
        if visible is None:  # an invisible case answers exactly like a missing one
            raise NotFound(f"办件 {case.case_no} 不存在或无权查看", code="case_not_found")
        raise Forbidden("只有受理窗口的办理人可以上传材料", code="not_window")
    if case.status == "finished":
        raise Conflict("办件已办结，不能再上传材料", code="case_finished")


def store_material(
    uow: UnitOfWork,
    user: models.User,
    case: models.Case,
    name: str,
    filename: str,
    content_type: str,
    data: bytes,
    upload_dir: Path,
    originals: int = 0,
    copies: int = 0,
) -> models.Material:
    """Keep one scan of the case's material ``name``; records a ``material_upload`` event.

    ``content_type`` is what the client claimed; the stored type is what the content is.
    """
    _require_window(uow, user, case)
    return _store(
        uow, user.username, case, name, filename, content_type, data, upload_dir, originals, copies
    )


def store_applicant_file(
    uow: UnitOfWork, case: models.Case, name: str, filename: str, data: bytes, upload_dir: Path
) -> models.Material:
    """An applicant's own upload (网上申报, a 补正 answered online), by case number and
    password; the same type and size checks, until the case is finished."""
    if case.status == "finished":
        raise Conflict("办件已办结，不能再上传材料", code="case_finished")
    return _store(uow, APPLICANT, case, name, filename, "", data, upload_dir)


def _store(
    uow: UnitOfWork,
    actor: str,
    case: models.Case,
    name: str,
    filename: str,
    content_type: str,
    data: bytes,
    upload_dir: Path,
    originals: int = 0,
    copies: int = 0,
) -> models.Material:
    require_known(case.service_item, name)
    clean, detected = check_upload(filename, data)
    if originals < 0 or copies < 0:
        raise ValidationFailed(
            "原件、复印件份数不能为负数", {"fields": {"originals": "不能小于 0"}}
        )
    digest = sha256(data).hexdigest()
    write_once(upload_dir, digest, data)
    material = models.Material(
        case_id=case.id,
        name=name,
        filename=clean,
        content_type=detected,
        size=len(data),
        sha256=digest,
        originals=originals,
        copies=copies,
        uploaded_by=actor,
        uploaded_at=models.utcnow(),
    )
    uow.session.add(material)
    uow.session.flush()
    record(
        uow,
        case,
        actor,
        "material_upload",
        detail={
            "material_id": material.id,
            "name": name,
            "filename": clean,
            "content_type": detected,
            "claimed_type": content_type or "",
            "size": len(data),
            "sha256": digest,
            "originals": originals,
            "copies": copies,
        },
    )
    return material


def _materials(uow: UnitOfWork, case: models.Case) -> list[models.Material]:
    return list(
        uow.session.scalars(
            select(models.Material)
            .where(models.Material.case_id == case.id)
            .order_by(models.Material.id)
        )
    )


def material_view(m: models.Material) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "filename": m.filename,
        "content_type": m.content_type,
        "size": m.size,
        "size_text": _size_text(m.size),
        "sha256": m.sha256,
        "originals": m.originals,
        "copies": m.copies,
        "uploaded_by": m.uploaded_by,
        "uploaded_at": m.uploaded_at.isoformat() if m.uploaded_at else None,
        "uploaded_at_local": _local_text(m.uploaded_at),
    }


def _local_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def list_materials(uow: UnitOfWork, case: models.Case) -> list[dict[str, Any]]:
    """The case's uploaded scans, oldest first (the caller has checked the case is visible)."""
    return [material_view(m) for m in _materials(uow, case)]


def material_file(
    uow: UnitOfWork, user: models.User, case_no: str, material_id: int, upload_dir: Path
) -> tuple[Path, str, str]:
    """The stored file of a material of a case the user may see: (path, file name, type)."""
    case = visible_case(uow, user, case_no)
    material = uow.session.scalars(
        select(models.Material).where(
            models.Material.id == material_id, models.Material.case_id == case.id
        )
    ).one_or_none()
    if material is None:
        raise NotFound(f"材料 {material_id} 不存在", code="material_not_found")
    path = file_path(upload_dir, material.sha256)
    if not path.is_file():
        raise NotFound(f"材料“{material.filename}”的文件已缺失", code="material_file_missing")
    return path, material.filename, material.content_type


NOTE_MAX = 500


def record_receipt(
    uow: UnitOfWork,
    user: models.User,
    case: models.Case,
    name: str,
    originals: Any,
    copies: Any,
    waived: Any = False,
    note: Any = "",
) -> None:
    """What arrived on paper of material ``name`` (``PUT .../materials/{name}``), or that it is
    waived; a later record replaces an earlier one (0 and 0, not waived: not received)."""
    _require_window(uow, user, case)
    require_known(case.service_item, name)
    fields = {
        key: "应为非负整数"
        for key, value in (("originals", originals), ("copies", copies))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0
    }
    if not isinstance(waived, bool):
        fields["waived"] = "应为 true 或 false"
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        fields["note"] = f"应为不超过 {NOTE_MAX} 字的文本"
    if fields:
        raise ValidationFailed("材料收取记录有误", {"fields": fields})
    record(
        uow,
        case,
        user.username,
        "material_receipt",
        detail={
            "name": name,
            "originals": originals,
            "copies": copies,
            "waived": waived,
            "note": note,
        },
    )


def _recorded_lines(uow: UnitOfWork, case: models.Case) -> dict[str, dict[str, Any]]:
    """Per material, the latest thing the window recorded: the intake check's tick, or a
    paper receipt (which may also waive it or take it back)."""
    lines: dict[str, dict[str, Any]] = {}
    for event in uow.session.scalars(
        select(models.CaseEvent)
        .where(
            models.CaseEvent.case_id == case.id,
            models.CaseEvent.action.in_(("material_check", "material_receipt")),
        )
        .order_by(models.CaseEvent.id)
    ):
        detail = event.detail or {}
        if event.action == "material_receipt":
            lines[detail["name"]] = {
                **detail,
                "received": bool(detail.get("originals") or detail.get("copies")),
            }
            continue
        for line in detail.get("received") or []:
            if isinstance(line, dict) and line.get("name"):
                lines[line["name"]] = {**line, "received": True}
    return lines


def missing_mandatory(item: models.ServiceItem, satisfied: set[str]) -> list[str]:
    """The one acceptance rule: mandatory materials neither received nor waived."""
    mandatory = [m["name"] for m in item_materials(item) if m["mandatory"]]
    return [name for name in mandatory if name not in satisfied]


def require_acceptable(uow: UnitOfWork, case: models.Case) -> None:
    """Refuse a 受理 while a mandatory material is missing: the window gives a 一次性告知 of
    everything missing instead (行政许可法 art. 32 (4)); 422 with ``details.missing``."""
    lacking = [line["name"] for line in checklist(uow, case) if line["missing"]]
    if lacking:
        raise incomplete(lacking)


def incomplete(lacking: list[str]) -> ValidationFailed:
    return ValidationFailed(
        "必要材料未收齐，不能受理；请一次性告知需补正的全部材料：" + "、".join(lacking),
        {"fields": {"decision": "必要材料未收齐"}, "missing": lacking},
        code="materials_incomplete",
    )


def checklist(uow: UnitOfWork, case: models.Case) -> list[dict[str, Any]]:
    """The item's materials with what the window has: received (paper or scan), waived, or
    missing.

    A material counts as received when the intake check ticked it, a paper receipt recorded
    copies or originals, a scan of it was uploaded, or a 补正 step recorded it among the
    materials received.
    """
    ticked = _recorded_lines(uow, case)
    supplied: set[str] = set()
    for task in case_tasks(uow, case):
        if task.state == "completed" and isinstance(task.data, dict):
            received = task.data.get("received_materials")
            if isinstance(received, list):
                supplied.update(str(n) for n in received)
    scans: dict[str, list[models.Material]] = {}
    for m in _materials(uow, case):
        scans.setdefault(m.name, []).append(m)
    rows = []
    satisfied = set()
    for entry in item_materials(case.service_item):
        name = entry["name"]
        line = ticked.get(name) or {}
        files = scans.get(name, [])
        received = bool(line.get("received")) or bool(files) or name in supplied
        waived = bool(line.get("waived"))
        if received or waived:
            satisfied.add(name)
        rows.append(
            {
                **entry,
                "received": received,
                "waived": waived,
                "note": str(line.get("note") or ""),
                "files": [material_view(f) for f in files],
                "received_originals": _count(line.get("originals"))
                if line
                else max((f.originals for f in files), default=0),
                "received_copies": _count(line.get("copies"))
                if line
                else max((f.copies for f in files), default=0),
                "scans": len(files),
            }
        )
    lacking = set(missing_mandatory(case.service_item, satisfied))
    return [{**row, "missing": row["name"] in lacking} for row in rows]


def checklist_view(uow: UnitOfWork, case: models.Case) -> list[dict[str, Any]]:
    """The checklist in the shape of API.md (``GET /cases/{case_no}/materials``)."""
    return [
        {
            "name": row["name"],
            "mandatory": row["mandatory"],
            "originals": row["originals"],
            "copies": row["copies"],
            "received": {"originals": row["received_originals"], "copies": row["received_copies"]},
            "waived": row["waived"],
            "missing": row["missing"],
            "note": row["note"],
            "files": row["files"],
        }
        for row in checklist(uow, case)
    ]
