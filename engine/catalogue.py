"""The service-item catalogue (事项目录), kept as one TOML file per item in workflows/."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from . import access, models
from .errors import ValidationFailed
from .services import audit
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


CASE_TYPES = ("instant", "promised")
UNITS = ("working_day", "calendar_day")


def problems_of(item: dict[str, Any]) -> dict[str, str]:
    """Field → message for an item record that the catalogue cannot hold (DOMAIN.md rules)."""
    problems = {k: "该字段为必填项" for k in REQUIRED if item.get(k) in (None, "", [])}
    if item.get("case_type") not in CASE_TYPES:
        problems.setdefault("case_type", "应为 instant（即办件）或 promised（承诺件）")
    limits = {}
    for key in ("legal_limit", "promised_limit"):
        limit = item.get(key)
        if (
            not isinstance(limit, dict)
            or not isinstance(limit.get("days"), int)
            or limit.get("days") < 0
            or limit.get("unit") not in UNITS
        ):
            problems.setdefault(key, "应为 {days: 非负整数, unit: working_day|calendar_day}")
        else:
            limits[key] = limit
    if (
        len(limits) == 2
        and limits["legal_limit"]["unit"] == limits["promised_limit"]["unit"]
        and limits["promised_limit"]["days"] > limits["legal_limit"]["days"]
    ):
        problems["promised_limit"] = "承诺办结时限不得超过法定办结时限"
    if not isinstance(item.get("materials", []), list):
        problems["materials"] = "应为材料清单（列表）"
    return problems


def read_items(folder: Path) -> list[dict[str, Any]]:
    items = []
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            item = tomllib.load(fh)
        problems = problems_of(item)
        if problems:
            raise ValueError(f"{path.name}: {problems}")
        items.append(item)
    return items


def save_item(uow: UnitOfWork, user: models.User, code: str, item: dict[str, Any]):
    """PUT /service-items/{code}: the catalogue is maintained without code (administrators)."""
    access.require_role(user, "admin")
    item = {**item, "code": code}
    problems = problems_of(item)
    if problems:
        raise ValidationFailed("事项信息有误", {"fields": problems}, code="invalid_service_item")
    created = uow.session.get(models.ServiceItem, code) is None
    audit.record(uow, user.username, "service_item_saved", code, {"created": created})
    return upsert_item(uow, item), created


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
