"""The service-item catalogue (事项目录), kept as one TOML file per item in workflows/."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from . import models
from .uow import UnitOfWork

REQUIRED = (
    "code",
    "name",
    "item_type",
    "case_type",
    "process_key",
    "legal_limit",
    "promised_limit",
    "departments",
    "materials",
)


def read_items(folder: Path) -> list[dict[str, Any]]:
    items = []
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            item = tomllib.load(fh)
        missing = [k for k in REQUIRED if k not in item]
        if missing:
            raise ValueError(f"{path.name}: 缺少字段 {', '.join(missing)}")
        items.append(item)
    return items


def upsert_item(uow: UnitOfWork, item: dict[str, Any]) -> models.ServiceItem:
    row = uow.session.get(models.ServiceItem, item["code"]) or models.ServiceItem(code=item["code"])
    row.name = item["name"]
    row.item_type = str(item["item_type"])
    row.case_type = item["case_type"]
    row.process_key = item["process_key"]
    row.departments = list(item["departments"])
    row.guide = item
    uow.session.add(row)
    return row


def item_view(item: models.ServiceItem) -> dict[str, Any]:
    """The API shape: the fixed fields of API.md first, then the whole guide."""
    guide = item.guide
    return {
        **guide,
        "code": item.code,
        "name": item.name,
        "item_type": item.item_type,
        "case_type": item.case_type,
        "legal_limit": guide.get("legal_limit"),
        "promised_limit": guide.get("promised_limit"),
        "departments": item.departments,
        "process_key": item.process_key,
        "materials": guide.get("materials", []),
    }
