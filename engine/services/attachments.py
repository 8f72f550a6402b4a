"""Attachments of comments and supervision replies: checked by their content, stored like
materials (on disk under their SHA-256, outside the workflow state)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import (
    NotFound,
    TooLarge,
    UnsupportedMedia,
    ValidationFailed,
)
from .materials import clean_filename, file_path, write_once
from .task_rules import MAX_FILE_SIZE, MAX_FILES, invalid

# ----- 意见与附件 ------------------------------------------------------------------------------

_ZIP_KINDS = (
    (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": _ZIP_KINDS[0][1],
    ".xlsx": _ZIP_KINDS[1][1],
}
_DEFAULT_EXTENSION = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    _ZIP_KINDS[0][1]: ".docx",
    _ZIP_KINDS[1][1]: ".xlsx",
}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def detect_attachment(data: bytes) -> str | None:
    """The type the content is (magic bytes; DOCX/XLSX by their ZIP directory), else None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())  # the central directory only: nothing inflated
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            for member, content_type in _ZIP_KINDS:
                if member in names:
                    return content_type
    return None


def check_attachment(filename: str, data: bytes) -> tuple[str, str]:
    """(clean file name, detected type), or 413 / 415 / 422 with the file named."""
    name = clean_filename(filename) or "attachment"
    if len(data) > MAX_FILE_SIZE:
        raise TooLarge(
            f"附件“{name}”超过 10 MB 的上限",
            {"filename": name, "size": len(data), "max_size": MAX_FILE_SIZE},
        )
    if not data:
        raise ValidationFailed(
            f"附件“{name}”是空文件", {"fields": {"files": "空文件"}}, code="empty_file"
        )
    detected = detect_attachment(data)
    if detected is None:
        raise UnsupportedMedia(
            f"附件“{name}”不是 PDF、JPEG、PNG、DOCX 或 XLSX 文件（按文件内容判断）",
            {"filename": name, "allowed": sorted(ATTACHMENT_TYPES)},
        )
    ext = PurePosixPath(name).suffix.lower()
    if not ext:
        name += _DEFAULT_EXTENSION[detected]
    elif ATTACHMENT_TYPES.get(ext) != detected:
        raise UnsupportedMedia(
            f"附件“{name}”的扩展名与内容不符（内容为 {_DEFAULT_EXTENSION[detected]}）",
            {"filename": name, "detected": detected},
            code="extension_mismatch",
        )
    return name, detected


def attachment_views(attachments: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The files of an attachment list as readers see them (no hash, no path)."""
    return [
        {k: f[k] for k in ("n", "filename", "content_type", "size")}
        for f in (attachments or {}).get("files", [])
    ]


def store_attachments(uploads: list[Upload], upload_dir: Path) -> dict[str, Any]:
    """Check every file (nothing is written when one is refused), then store each under its
    SHA-256; returns the attachment list a row keeps (a comment, a 督办 feedback)."""
    if len(uploads) > MAX_FILES:
        raise invalid("files", f"最多 {MAX_FILES} 个附件")
    checked = [(upload, *check_attachment(upload.filename, upload.data)) for upload in uploads]
    files = []
    for n, (upload, name, content_type) in enumerate(checked, start=1):
        digest = sha256(upload.data).hexdigest()
        write_once(upload_dir, digest, upload.data)
        files.append(
            {
                "n": n,
                "filename": name,
                "content_type": content_type,
                "size": len(upload.data),
                "sha256": digest,
            }
        )
    return {"files": files}


def attached_file(
    attachments: dict[str, Any] | None, n: int, upload_dir: Path
) -> tuple[Path, str, str]:
    """File ``n`` of an attachment list: (path, file name, type), or 404."""
    found = next((f for f in (attachments or {}).get("files", []) if f["n"] == n), None)
    path = file_path(upload_dir, found["sha256"]) if found else None
    if path is None or not path.is_file():
        raise NotFound(f"附件 {n} 不存在", code="file_not_found")
    return path, found["filename"], found["content_type"]
