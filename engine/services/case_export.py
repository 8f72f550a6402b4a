"""办件查询 as a spreadsheet: every case a search matches, not one page of it.

The rows are read a page at a time and written by openpyxl's write-only workbook, so an export
of many thousands of cases never holds them all in memory as cells.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .. import models
from ..uow import UnitOfWork
from .cases import list_cases
from .list_filters import CHANNELS, Filters
from .public import STATUSES

BATCH = 500
COLUMNS = (  # header, width, how a case summary gives the value
    ("办件编号", 24, lambda c: c["case_no"]),
    ("事项", 22, lambda c: c["service_item_name"]),
    ("申请人", 24, lambda c: c["applicant"]["name"]),
    ("渠道", 10, lambda c: CHANNELS.get(c["channel"], c["channel"] or "")),
    ("状态", 10, lambda c: STATUSES.get(c["status"], c["status"])),
    ("计时灯", 8, lambda c: LIGHT_NAMES.get(c["light"], "")),
    ("创建时间", 18, lambda c: _minutes(c["created_at"])),
    ("受理时间", 18, lambda c: _minutes(c["accepted_at"])),
    ("截止日期", 12, lambda c: c["due_date"] or ""),
    ("办结时间", 18, lambda c: _minutes(c["finished_at"])),
    ("办结结果", 14, lambda c: c["result_name"] or ""),
)
LIGHT_NAMES = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": "未计时"}


def _minutes(moment: str | None) -> str:
    """A local ISO moment as ``YYYY-MM-DD HH:MM``."""
    return moment[:16].replace("T", " ") if moment else ""


def cases_xlsx(
    uow: UnitOfWork, user: models.User, filters: Filters, **criteria: Any
) -> tuple[str, bytes]:
    """(file name, bytes) of the cases ``list_cases`` finds with these ``criteria``/``filters``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("办件")
    for index, (_header, width, _value) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    header = []
    for title, _width, _value in COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    page = 1
    while True:
        found = list_cases(uow, user, page=page, per_page=BATCH, filters=filters, **criteria)
        for case in found.items:
            sheet.append([value(case) for _title, _width, value in COLUMNS])
        if not found.has_more:
            break
        page += 1
    out = io.BytesIO()
    book.save(out)
    return "办件查询.xlsx", out.getvalue()
