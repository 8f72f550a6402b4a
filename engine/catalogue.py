"""The service-item catalogue (事项目录), kept as one TOML file per item in workflows/.

Besides the guide's fields, an item carries the clock's legal settings, each with the law's
value when the item says nothing (行政许可法; other laws may set other values per item):

- ``[extension]`` 延期 (art. 42): ``max_times`` (1), ``max_working_days`` (10), ``basis``;
- ``special_procedures`` 特别程序 (art. 45): names from :data:`STATUTORY_PROCEDURES`, or others
  an administrator adds with their ``basis`` in ``[special_procedure_settings."<name>"]``, where
  ``planned_working_days`` may give the usual duration;
- ``[acceptance]`` ``notice_working_days`` (art. 32: 5): the days to give a 补正 notice.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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


XZXKF = "《中华人民共和国行政许可法》"
# Art. 45: only these pause the licensing clock, unless another law adds one for an item.
STATUTORY_PROCEDURES = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审")
PROCEDURES_BASIS = f"{XZXKF}第四十五条"
EXTENSION_BASIS = f"{XZXKF}第四十二条第一款"
NOTICE_BASIS = f"{XZXKF}第三十二条第一款第（四）项"
DEFAULT_EXTENSION_TIMES, DEFAULT_EXTENSION_DAYS = 1, 10
DEFAULT_NOTICE_DAYS = 5


@dataclass(frozen=True)
class ExtensionRule:
    """How often and how long a case of the item may be extended (延期), and under which law."""

    max_times: int
    max_working_days: int
    basis: str


@dataclass(frozen=True)
class Procedure:
    """A special procedure (特别程序) the item allows, the law that allows it, its usual length."""

    name: str
    basis: str
    planned_working_days: int | None


def extension_rule(guide: dict[str, Any]) -> ExtensionRule:
    settings = guide.get("extension") or {}
    return ExtensionRule(
        int(settings.get("max_times", DEFAULT_EXTENSION_TIMES)),
        int(settings.get("max_working_days", DEFAULT_EXTENSION_DAYS)),
        str(settings.get("basis") or EXTENSION_BASIS),
    )


def notice_rule(guide: dict[str, Any]) -> tuple[int, str]:
    """Working days after receipt to give the 补正 notice, and the basis (art. 32, art. 82)."""
    settings = guide.get("acceptance") or {}
    return (
        int(settings.get("notice_working_days", DEFAULT_NOTICE_DAYS)),
        str(settings.get("basis") or NOTICE_BASIS),
    )


def procedures(guide: dict[str, Any]) -> list[Procedure]:
    """The special procedures a case of the item may pause for: art. 45's, or one with a basis.

    Read again at every pause, so an item stored before this rule (现场核查 without a basis)
    cannot pause the clock either.
    """
    settings = guide.get("special_procedure_settings") or {}
    allowed = []
    for name in guide.get("special_procedures") or []:
        own = settings.get(name) or {}
        basis = str(own.get("basis") or "").strip()
        if not basis and name in STATUTORY_PROCEDURES:
            basis = PROCEDURES_BASIS
        if basis:
            allowed.append(Procedure(name, basis, own.get("planned_working_days")))
    return allowed


def _setting_problems(item: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    extension = item.get("extension", {})
    if not isinstance(extension, dict) or any(
        not _count(extension.get(key, 0)) for key in ("max_times", "max_working_days")
    ):
        problems["extension"] = "应为 {max_times: 非负整数, max_working_days: 非负整数, basis}"
    acceptance = item.get("acceptance", {})
    if not isinstance(acceptance, dict) or not _count(acceptance.get("notice_working_days", 0)):
        problems["acceptance"] = "应为 {notice_working_days: 非负整数, basis}"
    names = item.get("special_procedures", [])
    settings = item.get("special_procedure_settings", {})
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        problems["special_procedures"] = "应为特别程序名称的列表"
    elif not isinstance(settings, dict) or not all(isinstance(v, dict) for v in settings.values()):
        problems["special_procedure_settings"] = "应为 {名称: {basis, planned_working_days}}"
    else:
        unfounded = [n for n in names if n not in {p.name for p in procedures(item)}]
        if unfounded:
            problems["special_procedures"] = (
                f"{'、'.join(unfounded)}不属于{PROCEDURES_BASIS}所列的特别程序"
                "（听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审），须注明其法律依据"
            )
        planned = [s.get("planned_working_days", 1) for s in settings.values()]
        if not all(_count(p) and p > 0 for p in planned):
            problems["special_procedure_settings"] = "planned_working_days 应为正整数"
    return problems


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
    return {**_setting_problems(item), **problems}


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
