"""服务监督员 monitors: the scope an administrator sets, their 监督意见 (opinions), opinions turned
into supervision items (source ``monitor``), and the quarterly evaluation report (季度评议报告).

A monitor is outside the government: engine/access.py limits what they read to their scope, and
engine/masking.py masks personal data in every case they see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import delete, func, select

from .. import access, models, views
from ..errors import BadRequest, Conflict, NotFound, ValidationFailed
from ..uow import UnitOfWork
from ..workdays import LOCAL_TZ, local_date
from . import supervision
from .cases import department_names, visible_case

SCOPE_KINDS = ("service_items", "departments")
MAX_OPINION = 2000
SCORES = range(1, 6)  # 1 很差 … 5 很好
MONITOR = "monitor"


def _monitor(uow: UnitOfWork, username: str) -> models.User:
    user = uow.session.scalar(select(models.User).where(models.User.username == username))
    if user is None or MONITOR not in user.role_codes:
        raise NotFound(f"服务监督员 {username} 不存在", code="monitor_not_found")
    return user


def scope_view(uow: UnitOfWork, username: str) -> dict[str, Any]:
    rows = uow.session.execute(
        select(models.MonitorScope.kind, models.MonitorScope.code)
        .where(models.MonitorScope.username == username)
        .order_by(models.MonitorScope.code)
    ).all()
    return {
        "username": username,
        "service_items": [code for kind, code in rows if kind == "service_item"],
        "departments": [code for kind, code in rows if kind == "department"],
    }


def get_scope(uow: UnitOfWork, user: models.User, username: str) -> dict[str, Any]:
    """An administrator reads any monitor's scope; a monitor their own."""
    if user.username != username:
        access.require_role(user, "admin")
    return scope_view(uow, _monitor(uow, username).username)


def set_scope(uow: UnitOfWork, user: models.User, username: str, body: Any) -> dict[str, Any]:
    """PUT /monitors/{username}/scope: the whole scope at once; 422 names each unknown code."""
    access.require_role(user, "admin")
    monitor = _monitor(uow, username)
    body = body if isinstance(body, dict) else {}
    known = {
        "service_items": set(uow.session.scalars(select(models.ServiceItem.code))),
        "departments": set(uow.session.scalars(select(models.Department.code))),
    }
    given: dict[str, list[str]] = {}
    problems: dict[str, str] = {}
    for kind in SCOPE_KINDS:
        codes = body.get(kind) or []
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problems[kind] = "应为代码列表"
            continue
        unknown = sorted(set(codes) - known[kind])
        if unknown:
            problems[kind] = f"未知的代码：{'、'.join(unknown)}"
        given[kind] = sorted(set(codes))
    if problems:
        raise ValidationFailed("监督范围填写有误", {"fields": problems})
    uow.session.execute(
        delete(models.MonitorScope).where(models.MonitorScope.username == monitor.username)
    )
    for kind, codes in given.items():
        for code in codes:
            uow.session.add(
                models.MonitorScope(username=monitor.username, kind=kind[:-1], code=code)
            )
    uow.session.flush()
    return scope_view(uow, monitor.username)


# ---- opinions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpinionInput:
    text: Any
    case_no: Any = None
    service_item: Any = None
    department: Any = None
    score: Any = None


def _in_scope(uow: UnitOfWork, user: models.User, kind: str, code: str) -> bool:
    return code in set(uow.session.scalars(access.scope_codes(user, kind)))


def file_opinion(uow: UnitOfWork, user: models.User, given: OpinionInput) -> dict[str, Any]:
    """POST /monitor-opinions: about a case, a service item or a department in the scope."""
    access.require_role(user, MONITOR)
    problems: dict[str, str] = {}
    text = given.text.strip() if isinstance(given.text, str) else ""
    if not text or len(text) > MAX_OPINION:
        problems["text"] = f"请填写监督意见（不超过 {MAX_OPINION} 字）"
    if given.score is not None and (type(given.score) is not int or given.score not in SCORES):
        problems["score"] = "评分应为 1–5 的整数"
    for field in ("service_item", "department"):
        value = getattr(given, field)
        if value is not None and (
            not isinstance(value, str) or not _in_scope(uow, user, field, value)
        ):
            problems[field] = "不在您的监督范围内"
    if problems:
        raise ValidationFailed("监督意见填写有误", {"fields": problems})
    case_no = None
    if given.case_no is not None:
        case_no = visible_case(uow, user, str(given.case_no)).case_no  # out of scope: 404
    opinion = models.MonitorOpinion(
        author=user.username,
        case_no=case_no,
        service_item=given.service_item,
        department=given.department,
        text=text,
        score=given.score,
    )
    uow.session.add(opinion)
    uow.session.flush()
    return opinion_view(uow, opinion)


def _visible_opinions(user: models.User):
    """Supervisors and administrators read every opinion; a monitor their own."""
    query = select(models.MonitorOpinion)
    if access.reads_everything(user):
        return query
    access.require_role(user, MONITOR)
    return query.where(models.MonitorOpinion.author == user.username)


def opinion_view(uow: UnitOfWork, opinion: models.MonitorOpinion) -> dict[str, Any]:
    item = (
        uow.session.scalar(
            select(models.SupervisionItem).where(
                models.SupervisionItem.no == opinion.supervision_no
            )
        )
        if opinion.supervision_no
        else None
    )
    return {
        "id": opinion.id,
        "author": opinion.author,
        "case_no": opinion.case_no,
        "service_item": opinion.service_item,
        "department": opinion.department,
        "text": opinion.text,
        "score": opinion.score,
        "created_at": views.iso(opinion.created_at),
        "supervision_no": opinion.supervision_no,
        "supervision_status": item.status if item is not None else None,
    }


def list_opinions(
    uow: UnitOfWork, user: models.User, page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, Any]], int]:
    query = _visible_opinions(user)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(models.MonitorOpinion.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [opinion_view(uow, o) for o in rows], total


def supervise(
    uow: UnitOfWork, user: models.User, opinion_id: int, given: supervision.ItemInput
) -> dict[str, Any]:
    """POST /monitor-opinions/{id}/supervise: a supervisor opens an item (source ``monitor``)
    from the opinion, once; the opinion's case goes with it unless the item names its own."""
    supervision.require_supervisor(user)
    opinion = uow.session.scalar(
        select(models.MonitorOpinion)
        .where(models.MonitorOpinion.id == opinion_id)
        .with_for_update()
    )
    if opinion is None:
        raise NotFound(f"监督意见 {opinion_id} 不存在", code="opinion_not_found")
    if opinion.supervision_no:
        raise Conflict(
            f"该意见已转为督办事项 {opinion.supervision_no}",
            {"supervision_no": opinion.supervision_no},
            code="already_supervised",
        )
    if given.case_nos is None and opinion.case_no:
        given = supervision.ItemInput(**{**vars(given), "case_nos": [opinion.case_no]})
    item = supervision.issue(uow, user, MONITOR, given)
    opinion.supervision_no = item["no"]
    return {"opinion": opinion_view(uow, opinion), "supervision_item": item}


# ---- the quarterly evaluation report -------------------------------------------------------------


def quarter_of(value: str | None) -> tuple[int, int]:
    """``2026Q3`` → (2026, 3); none given: the current quarter."""
    if not value:
        day = local_date(models.utcnow())
        return day.year, (day.month - 1) // 3 + 1
    year, _q, quarter = value.upper().partition("Q")
    if not (year.isdigit() and quarter in ("1", "2", "3", "4")):
        raise BadRequest("季度格式应为 YYYYQn，如 2026Q3", {"field": "quarter"})
    return int(year), int(quarter)


def _bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return (
        datetime.combine(start, time.min, tzinfo=LOCAL_TZ),
        datetime.combine(end, time.min, tzinfo=LOCAL_TZ),
    )


OUTCOMES = {
    None: "未转督办",
    "issued": "督办中",
    "feedback": "已反馈待审核",
    "closed": "已销号",
}


def quarterly_report(
    uow: UnitOfWork, user: models.User, quarter: str | None = None
) -> dict[str, Any]:
    """The 季度评议报告: every opinion of the quarter and what came of it, with totals."""
    year, q = quarter_of(quarter)
    start, end = _bounds(year, q)
    rows = uow.session.scalars(
        _visible_opinions(user)
        .where(models.MonitorOpinion.created_at >= start, models.MonitorOpinion.created_at < end)
        .order_by(models.MonitorOpinion.created_at)
    ).all()
    names = department_names(uow)
    items = dict(
        uow.session.execute(select(models.ServiceItem.code, models.ServiceItem.name)).all()
    )
    opinions = []
    for opinion in rows:
        view = opinion_view(uow, opinion)
        view["service_item_name"] = items.get(opinion.service_item or "", "")
        view["department_name"] = names.get(opinion.department or "", "")
        view["outcome"] = OUTCOMES[view["supervision_status"]]
        opinions.append(view)
    scores = [o["score"] for o in opinions if o["score"] is not None]
    return {
        "quarter": f"{year}Q{q}",
        "title": f"{year}年第{q}季度服务监督评议报告",
        "opinions": opinions,
        "total": len(opinions),
        "supervised": sum(1 for o in opinions if o["supervision_no"]),
        "closed": sum(1 for o in opinions if o["supervision_status"] == "closed"),
        "average_score": round(sum(scores) / len(scores), 2) if scores else None,
    }


XLSX_COLUMNS = (
    ("序号", 6),
    ("提交时间", 18),
    ("监督员", 12),
    ("办件", 24),
    ("事项", 20),
    ("部门", 16),
    ("评分", 6),
    ("监督意见", 50),
    ("督办单号", 20),
    ("办理结果", 14),
)


def report_xlsx(report: dict[str, Any]) -> bytes:
    """The report as a spreadsheet, one row per opinion under a line of totals."""
    book = Workbook()
    sheet = book.active
    sheet.title = "季度评议"
    sheet.append([report["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    average = report["average_score"] if report["average_score"] is not None else "—"
    sheet.append(
        [
            f"意见 {report['total']} 条，转督办 {report['supervised']} 条，"
            f"已销号 {report['closed']} 条，平均评分 {average}"
        ]
    )
    sheet.append([name for name, _width in XLSX_COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for n, o in enumerate(report["opinions"], start=1):
        sheet.append(
            [
                n,
                (o["created_at"] or "")[:16].replace("T", " "),
                o["author"],
                o["case_no"] or "",
                o["service_item_name"],
                o["department_name"],
                o["score"] if o["score"] is not None else "",
                o["text"],
                o["supervision_no"] or "",
                o["outcome"],
            ]
        )
    for index, (_name, width) in enumerate(XLSX_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=3, column=index).column_letter].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    book.save(out)
    return out.getvalue()
