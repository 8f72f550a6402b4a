"""The written notices a case produces (办件文书), built from what the case recorded.

行政许可法 wants every turn of a case in writing, dated and with reasons: the 受理通知书 and the
不予受理决定书 (art. 32), the 一次性告知书 listing everything missing (art. 32 (4)), the
准予 / 不予行政许可决定书 with appeal rights for a refusal (art. 38), the 延期告知书
(art. 42) and the 特别程序告知书 saying how long a special procedure takes (art. 45). A date
computed through a year whose holiday schedule is not announced yet is printed with 暂定 beside
it. Nothing here is stored: a notice is rebuilt from the case row, the completed steps
(``human_task.data`` is the form each step submitted), the approved extensions and the item's
guide (``service_item.guide``), so a reprint always says what the record says.

No Flask here; the web layer renders a :class:`Notice` as a print page or a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import select

from . import models
from .catalogue import PROCEDURES_BASIS, procedures
from .clock import ClockReading
from .definitions import model_elements
from .errors import NotFound
from .security import verify_query_password
from .services import clock as clock_service
from .services.cases import case_tasks
from .uow import UnitOfWork
from .workdays import calendar

# Settings of the demo county (青山县); in production they come from the deployment's config.
CENTER_NAME = "青山县政务服务中心"
RECONSIDERATION_BODY = "青山县人民政府"  # 行政复议机关 of a county department (行政复议法 art. 24)
COURT = "青山县人民法院"  # first-instance court where the deciding body sits (行政诉讼法 art. 18)

KINDS = ("acceptance", "rejection", "supplement", "decision", "extension", "special_procedure")
GRANTED_RESULTS = ("0", "6")  # 出证办结, 准予许可
REFUSED_RESULT = "7"  # 不予许可
LICENSING = "01"  # item type 行政许可: the 行政许可法 articles apply by name
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
BLANK = "＿＿＿＿＿＿"
BLANK_DATE = "＿＿＿＿年＿＿月＿＿日"
XZXKF = "《中华人民共和国行政许可法》"


@dataclass(frozen=True)
class NoticeRef:
    """One notice a case can print: ``ref`` picks the round (supplement) or the extension."""

    kind: str
    title: str
    ref: str | None = None
    round: int | None = None
    issued_on: date | None = None


@dataclass(frozen=True)
class NoticeTable:
    caption: str
    columns: list[str]
    rows: list[list[str]]
    # One class name per column, so a page (or a test) can tell the counts apart.
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    """A notice ready to lay out: title, number, addressee, body, lists, facts and footers.

    Layout order: title, doc_no, ``recipient：``, paragraphs, tables, closing (paragraphs that
    follow the lists), facts, footers, then the issuing body and the date at the bottom right.
    """

    kind: str
    ref: str | None
    title: str
    doc_no: str
    issued_on: date | None
    issue_date: str
    recipient: str
    case_no: str
    item_name: str
    department: str
    issuer: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[NoticeTable] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    footers: list[str] = field(default_factory=list)
    # The 查询密码 as printed (acceptance only, once verified); a print page passes it on to
    # its PDF link and nowhere else.
    query_password: str | None = None


# ---- formatting ----------------------------------------------------------------------------------


def local_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_TZ).date()


def cn_date(day: date | None, blank: str = "—", provisional: bool = False) -> str:
    """``2026年3月5日``, the way official documents write dates; ``（暂定）`` follows a date
    computed through a year whose holiday schedule is not announced yet."""
    if day is None:
        return blank
    return f"{day.year}年{day.month}月{day.day}日" + ("（暂定）" if provisional else "")


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def limit_text(limit: Any) -> str:
    """``{"days": 3, "unit": "working_day"}`` → ``3个工作日``; 0 days is an instant item."""
    if not isinstance(limit, dict) or limit.get("days") is None:
        return "—"
    days = limit["days"]
    if days == 0:
        return "即办（当场办结）"
    return f"{days}个工作日" if limit.get("unit", "working_day") == "working_day" else f"{days}日"


def _count(value: Any) -> str:
    return str(value) if isinstance(value, int) else "—"


# ---- reading the case ----------------------------------------------------------------------------


@dataclass
class _Facts:
    """What the notices of one case read, gathered once."""

    case: models.Case
    guide: dict[str, Any]
    steps: list[models.HumanTask]  # completed steps, in completion order
    all_tasks: list[models.HumanTask]
    clock: ClockReading

    @property
    def item_type(self) -> str:
        return str(self.guide.get("item_type") or self.case.service_item.item_type or "")

    @property
    def body(self) -> str:
        return str(self.guide.get("implementing_body") or CENTER_NAME)

    def is_intake(self, task: models.HumanTask) -> bool:
        meta = self.case.definition.task_meta.get(task.spec_name, {})
        return meta.get("clock") == "start" or task.spec_name == "intake"


def _facts(uow: UnitOfWork, case: models.Case) -> _Facts:
    tasks = case_tasks(uow, case)
    done = [t for t in tasks if t.state == "completed" and t.completed_at is not None]
    done.sort(key=lambda t: (_utc(t.completed_at), _utc(t.created_at)))
    clock = clock_service.reading(uow, case)
    return _Facts(case, dict(case.service_item.guide or {}), done, tasks, clock)


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _decision(task: models.HumanTask) -> str | None:
    return (task.data or {}).get("decision")


def _rejecting_intake(facts: _Facts) -> models.HumanTask | None:
    """The intake step that refused to take the case in (不予受理).

    An instant item decides at its intake step, so a refusal there that ended the case with
    result 7 is a 不予许可 decision, not a refusal to accept.
    """
    if facts.case.result == REFUSED_RESULT:
        return None
    found = [t for t in facts.steps if facts.is_intake(t) and _decision(t) == "reject"]
    return found[-1] if found else None


def _supplement_steps(facts: _Facts) -> list[models.HumanTask]:
    return [t for t in facts.steps if _decision(t) == "supplement"]


def _decision_result(case: models.Case) -> str | None:
    if case.status != "finished":
        return None
    if case.result in GRANTED_RESULTS:
        return "granted"
    if case.result == REFUSED_RESULT:
        return "refused"
    return None


def _extensions(uow: UnitOfWork, case: models.Case) -> list[models.ClockExtension]:
    return list(
        uow.session.scalars(
            select(models.ClockExtension)
            .where(models.ClockExtension.case_id == case.id)
            .order_by(models.ClockExtension.at, models.ClockExtension.id)
        )
    )


def _decision_title(facts: _Facts, granted: bool) -> str:
    if facts.item_type == LICENSING:
        return "准予行政许可决定书" if granted else "不予行政许可决定书"
    return "准予办理决定书" if granted else "不予办理决定书"


TITLES = {
    "acceptance": "受理通知书",
    "rejection": "不予受理决定书",
    "supplement": "一次性告知书",
    "extension": "延期告知书",
    "special_procedure": "特别程序告知书",
}


def available_notices(uow: UnitOfWork, case: models.Case) -> list[NoticeRef]:
    """Every notice the case's record supports, in the order the case produced them."""
    facts = _facts(uow, case)
    refs: list[NoticeRef] = []
    for number, step in enumerate(_supplement_steps(facts), start=1):
        refs.append(
            NoticeRef(
                "supplement",
                TITLES["supplement"],
                step.id,
                number,
                local_date(step.completed_at),
            )
        )
    rejecting = _rejecting_intake(facts)
    if rejecting is not None:
        refs.append(
            NoticeRef(
                "rejection", TITLES["rejection"], issued_on=local_date(rejecting.completed_at)
            )
        )
    if case.accepted_at is not None:
        refs.append(
            NoticeRef("acceptance", TITLES["acceptance"], issued_on=local_date(case.accepted_at))
        )
    for number, row in enumerate(_extensions(uow, case), start=1):
        refs.append(
            NoticeRef("extension", TITLES["extension"], str(row.id), number, local_date(row.at))
        )
    for number, row in enumerate(_special_procedures(uow, case), start=1):
        refs.append(
            NoticeRef(
                "special_procedure", TITLES["special_procedure"], str(row.id), number, row.start
            )
        )
    outcome = _decision_result(case)
    if outcome is not None:
        refs.append(
            NoticeRef(
                "decision",
                _decision_title(facts, outcome == "granted"),
                issued_on=local_date(case.finished_at),
            )
        )
    return refs


# ---- building one notice -------------------------------------------------------------------------


def build_notice(
    uow: UnitOfWork,
    case: models.Case,
    kind: str,
    ref: str | None = None,
    *,
    query_password: str | None = None,
) -> Notice:
    """The notice ``kind`` of the case; ``NotFound`` when the kind is unknown or not applicable.

    ``query_password`` is printed on the acceptance notice only when it matches the case's
    stored hash (the window prints right after creating the case); it is never stored.
    """
    if kind not in KINDS:
        raise NotFound(f"没有 {kind} 这种文书", code="notice_not_found")
    facts = _facts(uow, case)
    if kind == "acceptance":
        return _acceptance(facts, query_password)
    if kind == "rejection":
        return _rejection(facts)
    if kind == "supplement":
        return _supplement(uow, facts, ref)
    if kind == "decision":
        return _decision_notice(facts)
    if kind == "special_procedure":
        return _special_procedure(uow, facts, ref)
    return _extension(uow, facts, ref)


def _not_applicable(case: models.Case, title: str) -> NotFound:
    return NotFound(f"办件 {case.case_no} 没有{title}", code="notice_not_found")


def _doc_no(day: date | None, word: str, case_no: str, round_: int | None = None) -> str:
    year = (day or date.today()).year
    suffix = f"-{round_}" if round_ else ""
    return f"{CENTER_NAME}〔{year}〕{word}字第{case_no}{suffix}号"


def _notice(
    facts: _Facts,
    kind: str,
    title: str,
    word: str,
    day: date | None,
    *,
    ref: str | None = None,
    round_: int | None = None,
) -> Notice:
    case = facts.case
    return Notice(
        kind=kind,
        ref=ref,
        title=title,
        doc_no=_doc_no(day, word, case.case_no, round_),
        issued_on=day,
        issue_date=cn_date(day),
        recipient=case.applicant_name,
        case_no=case.case_no,
        item_name=case.service_item.name,
        department=facts.body,
        issuer=facts.body,
    )


def _applied_on(facts: _Facts) -> str:
    return cn_date(local_date(facts.case.created_at))


def _contact_facts(facts: _Facts) -> list[tuple[str, str]]:
    guide = facts.guide
    rows = [
        ("办理地点", str(guide.get("handling_place") or "")),
        ("咨询电话", str(guide.get("consult_phone") or "")),
        ("监督投诉电话", str(guide.get("complaint_phone") or "")),
    ]
    return [(k, v) for k, v in rows if v]


def _appeal_rights(facts: _Facts, what: str) -> str:
    guide = facts.guide
    reconsideration = guide.get("reconsideration_body") or RECONSIDERATION_BODY
    court = guide.get("court") or COURT
    return (
        f"如对{facts.body}作出的本{what}不服，可以自收到本{what}书之日起六十日内向"
        f"{reconsideration}申请行政复议，或者自收到本{what}书之日起六个月内依法向{court}"
        "提起行政诉讼。"
    )


def _legal_article(facts: _Facts, article: str) -> str:
    if facts.item_type == LICENSING:
        return f"根据{XZXKF}{article}的规定"
    return "根据有关法律法规的规定"


def _acceptance(facts: _Facts, query_password: str | None) -> Notice:
    case = facts.case
    if case.accepted_at is None:
        raise _not_applicable(case, TITLES["acceptance"])
    day = local_date(case.accepted_at)
    notice = _notice(facts, "acceptance", TITLES["acceptance"], "受", day)
    notice.paragraphs.extend(
        [
            f"你（单位）于{_applied_on(facts)}提交的{case.service_item.name}申请，经审查，"
            f"申请材料齐全、符合法定形式。{_legal_article(facts, '第三十二条')}，"
            "本机关决定予以受理。",
            "办理时限按工作日计算，不含法定节假日；依法需要听证、检验、检测、检疫、鉴定、"
            "专家评审等特别程序的，所需时间不计入办理时限，届时另行书面告知。",
        ]
    )
    password = BLANK + "（由受理窗口填写）"
    if query_password and verify_query_password(query_password, case.query_password_hash):
        password = query_password
        notice = replace(notice, query_password=query_password)
    notice.facts.extend(
        [
            ("办件编号", case.case_no),
            ("申请事项", case.service_item.name),
            ("申请人", case.applicant_name),
            ("受理日期", cn_date(day)),
            ("承诺办结时限", limit_text(facts.guide.get("promised_limit"))),
            ("法定办结时限", limit_text(facts.guide.get("legal_limit"))),
            ("预计办结日期", _due_text(facts)),
            ("查询密码", password),
            *_contact_facts(facts),
        ]
    )
    notice.footers.append(
        "请妥善保管本通知书和查询密码，凭办件编号和查询密码可查询办理进度。"
        "查询密码仅在受理时告知一次，请勿泄露。"
    )
    return notice


def _rejection(facts: _Facts) -> Notice:
    case = facts.case
    step = _rejecting_intake(facts)
    if step is None:
        raise _not_applicable(case, TITLES["rejection"])
    day = local_date(step.completed_at)
    reason = str((step.data or {}).get("reason") or "").strip() or "—"
    notice = _notice(facts, "rejection", TITLES["rejection"], "不受", day)
    basis = f"{XZXKF}第三十二条" if facts.item_type == LICENSING else "有关法律法规"
    notice.paragraphs.extend(
        [
            f"你（单位）于{_applied_on(facts)}提交的{case.service_item.name}申请，"
            "经审查，不符合受理条件，理由如下：",
            reason,
            f"{_legal_article(facts, '第三十二条第一款')}，本机关决定不予受理。",
        ]
    )
    notice.facts.extend(
        [
            ("办件编号", case.case_no),
            ("申请事项", case.service_item.name),
            ("决定日期", cn_date(day)),
            ("法律依据", basis),
            *_contact_facts(facts),
        ]
    )
    notice.footers.append(_appeal_rights(facts, "决定"))
    return notice


def _pick(steps: list[Any], ref: str | None, key: Any) -> tuple[int, Any] | None:
    """The round ``ref`` names (1-based number and row), or the latest when ``ref`` is empty."""
    if not steps:
        return None
    if not ref:
        return len(steps), steps[-1]
    for number, row in enumerate(steps, start=1):
        if key(row) == ref:
            return number, row
    return None


def _supplement(uow: UnitOfWork, facts: _Facts, ref: str | None) -> Notice:
    case = facts.case
    picked = _pick(_supplement_steps(facts), ref, lambda t: t.id)
    if picked is None:
        raise _not_applicable(case, TITLES["supplement"])
    number, step = picked
    data = step.data or {}
    day = local_date(step.completed_at)
    notice = _notice(
        facts, "supplement", TITLES["supplement"], "补", day, ref=step.id, round_=number
    )
    materials = {m.get("name"): m for m in facts.guide.get("materials", []) if isinstance(m, dict)}
    rows = []
    for index, name in enumerate(data.get("missing_materials") or [], start=1):
        spec = materials.get(name, {})
        rows.append(
            [
                str(index),
                str(name),
                _count(spec.get("originals")),
                _count(spec.get("copies")),
                str(spec.get("acceptance_standard") or "—"),
            ]
        )
    if case.accepted_at is None:
        clock = "补正期间不计入办理时限，办理时限自受理之日起计算。"
    else:
        clock = "补正期间暂停计算办理时限，补正材料齐全后继续计算。"
    notice.paragraphs.append(
        f"你（单位）于{_applied_on(facts)}提交的{case.service_item.name}申请，经审查，"
        f"申请材料不齐全或者不符合法定形式。{_legal_article(facts, '第三十二条第一款第（四）项')}，"
        "现一次性告知你（单位）需要补正的全部内容如下："
    )
    if rows:
        notice.tables.append(
            NoticeTable(
                "需补正的材料",
                ["序号", "材料名称", "原件（份）", "复印件（份）", "要求"],
                rows,
                ["no", "name", "originals", "copies", "standard"],
            )
        )
    reason = str(data.get("reason") or "").strip()
    if reason:
        notice.closing.append(f"补正说明：{reason}")
    deadline = _supplement_deadline(uow, facts, step)
    provisional = deadline is not None and calendar(uow).is_provisional(deadline)
    notice.closing.extend(
        [
            f"请于{cn_date(deadline, BLANK_DATE, provisional)}前补正上述全部材料。逾期未补正的，"
            "按补正超时办结，你（单位）可以重新提出申请。",
            "本告知书一次性告知需要补正的全部内容，本机关不再就本次提交的申请材料"
            "提出本告知书以外的补正要求。补正材料齐全、符合法定形式的，本机关将依法受理。",
            clock,
        ]
    )
    notice.facts.extend(
        [
            ("办件编号", case.case_no),
            ("申请事项", case.service_item.name),
            ("补正次数", f"第{number}次"),
            ("告知日期", cn_date(day)),
            *_contact_facts(facts),
        ]
    )
    return notice


def _supplement_deadline(uow: UnitOfWork, facts: _Facts, step: models.HumanTask) -> date | None:
    """The date set for supplementing, if the record knows one.

    The step's form may carry it; else the 补正 step that followed the notice may have a due
    date (a step limit), or the model's 补正期限届满 timer on that step's boundary says when the
    case ends unsupplemented. Unknown → the window writes it in by hand.
    """
    data = step.data or {}
    for key in ("supplement_deadline", "deadline"):
        found = _iso_date(str(data.get(key) or ""))
        if found:
            return found
    after = _utc(step.completed_at)
    follow = next(
        (t for t in facts.all_tasks if t.spec_name == "supplement" and _utc(t.created_at) >= after),
        None,
    )
    if follow is None:
        return None
    if follow.due_date:
        return follow.due_date
    return _boundary_timer_due(uow, facts.case, follow)


def _boundary_timer_due(uow: UnitOfWork, case: models.Case, task: models.HumanTask) -> date | None:
    """When a timer on ``task``'s boundary ends it: the waiting timer's row while the step is
    open; once it closed (the row is gone), the model's literal duration from the step's start."""
    start = _utc(task.created_at)
    timers = _boundary_timers(case.definition.files or {}, task.spec_name, start)
    if not timers:
        return None
    rows = uow.session.scalars(
        select(models.Timer).where(
            models.Timer.case_id == case.id, models.Timer.name.in_(list(timers))
        )
    ).all()
    waiting = sorted(_utc(row.due_at) for row in rows if _utc(row.due_at) >= start)
    if waiting:
        return local_date(waiting[0])
    literal = sorted(due for due in timers.values() if due is not None)
    return local_date(literal[0]) if literal else None


def _boundary_timers(
    files: dict[str, str], spec_name: str, start: datetime
) -> dict[str, datetime | None]:
    """The timers on a step's boundary by name, each with its due time when the model writes
    it as a literal duration (``"P30D"``); an expression of case data gives None."""
    found: dict[str, datetime | None] = {}
    for element in model_elements(files).values():
        facets = element["facets"]
        if facets.get("attached_to") != spec_name or "timer" not in facets:
            continue
        kind, _, expression = str(facets["timer"]).partition(": ")
        literal = expression.strip()
        due = None
        if kind == "timeDuration" and literal[:2] in ('"P', "'P"):
            try:
                parsed = TimerEventDefinition.parse_iso_duration(literal.strip("\"'"))
            except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration
                parsed = None
            if parsed is not None:
                due = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
        found[element["name"]] = due
    return found


def _decision_notice(facts: _Facts) -> Notice:
    case = facts.case
    outcome = _decision_result(case)
    if outcome is None:
        raise NotFound(f"办件 {case.case_no} 没有行政许可决定书", code="notice_not_found")
    granted = outcome == "granted"
    title = _decision_title(facts, granted)
    day = local_date(case.finished_at)
    notice = _notice(facts, "decision", title, "许" if granted else "不许", day)
    item = case.service_item.name
    accepted = cn_date(local_date(case.accepted_at)) if case.accepted_at else None
    intro = f"你（单位）于{_applied_on(facts)}提出的{item}申请"
    intro += f"，本机关于{accepted}受理。" if accepted else "。"
    licensing = facts.item_type == LICENSING
    legal_basis = str(facts.guide.get("legal_basis") or "").strip()
    if granted:
        basis = f"根据{legal_basis}" if legal_basis else "根据有关法律法规"
        if licensing:
            basis += f"及{XZXKF}第三十八条第一款的规定，本机关决定准予行政许可。"
        else:
            basis += "的规定，本机关决定准予办理。"
        notice.paragraphs.extend([intro + "经审查，该申请符合法定条件、标准。" + basis])
        result_name = str(facts.guide.get("result_name") or "").strip()
        notice.facts.extend(
            [
                ("办件编号", case.case_no),
                ("申请事项", item),
                ("办理结果", result_name or "准予"),
                ("决定日期", cn_date(day)),
                *_contact_facts(facts),
            ]
        )
        notice.footers.append(
            "本机关将自作出决定之日起十日内颁发、送达相关证件；"
            "请按约定的方式领取，窗口领取的请携带本决定书和有效身份证件。"
        )
        return notice
    refusing = [t for t in facts.steps if _decision(t) == "reject"]
    reason = "—"
    if refusing:
        data = refusing[-1].data or {}
        reason = str(data.get("opinion") or data.get("reason") or "").strip() or "—"
    if licensing:
        decided = f"{_legal_article(facts, '第三十八条第二款')}，本机关决定不予行政许可。"
    else:
        decided = "根据有关法律法规的规定，本机关决定不予办理。"
    notice.paragraphs.extend(
        [intro + "经审查，该申请不符合法定条件、标准，理由如下：", reason, decided]
    )
    notice.facts.extend(
        [
            ("办件编号", case.case_no),
            ("申请事项", item),
            ("办理结果", "不予许可" if licensing else "不予办理"),
            ("决定日期", cn_date(day)),
            *_contact_facts(facts),
        ]
    )
    notice.footers.append(_appeal_rights(facts, "决定"))
    return notice


def _extension(uow: UnitOfWork, facts: _Facts, ref: str | None) -> Notice:
    case = facts.case
    rows = _extensions(uow, case)
    picked = _pick(rows, ref, lambda r: str(r.id))
    if picked is None:
        raise _not_applicable(case, TITLES["extension"])
    number, row = picked
    day = local_date(row.at)
    notice = _notice(
        facts, "extension", TITLES["extension"], "延", day, ref=str(row.id), round_=number
    )
    approver = uow.session.scalar(
        select(models.User.display_name).where(models.User.username == row.approved_by)
    )
    # Only the newest extension's result is on the case; an older one's is not recorded.
    due = _due_text(facts) if row is rows[-1] else cn_date(None)
    accepted = cn_date(local_date(case.accepted_at)) if case.accepted_at else None
    intro = f"你（单位）于{_applied_on(facts)}提出的{case.service_item.name}申请"
    intro += f"，本机关已于{accepted}受理。" if accepted else "。"
    article = _legal_article(facts, "第四十二条第一款")
    notice.paragraphs.extend(
        [
            intro + f"因{row.reason.strip() or '—'}，不能在规定期限内作出决定。"
            f"经本机关负责人批准，{article}，办理期限延长{row.working_days}个工作日，现予告知。",
        ]
    )
    notice.facts.extend(
        [
            ("办件编号", case.case_no),
            ("申请事项", case.service_item.name),
            ("延长期限", f"{row.working_days}个工作日"),
            ("延期理由", row.reason.strip() or "—"),
            ("批准人", approver or row.approved_by),
            ("批准日期", cn_date(day)),
            ("延期后办结日期", due),
            *_contact_facts(facts),
        ]
    )
    return notice


def _due_text(facts: _Facts) -> str:
    """The case's due date as the clock reads it now, 暂定 when provisional."""
    return cn_date(facts.clock.due_date, provisional=facts.clock.provisional)


def _special_procedures(uow: UnitOfWork, case: models.Case) -> list[models.ClockPause]:
    return list(
        uow.session.scalars(
            select(models.ClockPause)
            .where(
                models.ClockPause.case_id == case.id,
                models.ClockPause.kind == "special_procedure",
            )
            .order_by(models.ClockPause.start, models.ClockPause.id)
        )
    )


def _special_procedure(uow: UnitOfWork, facts: _Facts, ref: str | None) -> Notice:
    """特别程序告知书 (art. 45): which procedure, why, under which law, and how long it takes —
    the time does not count towards the limit."""
    case = facts.case
    picked = _pick(_special_procedures(uow, case), ref, lambda r: str(r.id))
    if picked is None:
        raise _not_applicable(case, TITLES["special_procedure"])
    number, row = picked
    notice = _notice(
        facts,
        "special_procedure",
        TITLES["special_procedure"],
        "特",
        row.start,
        ref=str(row.id),
        round_=number,
    )
    basis = next(
        (p.basis for p in procedures(facts.guide) if p.name == row.procedure), PROCEDURES_BASIS
    )
    accepted = cn_date(local_date(case.accepted_at)) if case.accepted_at else None
    intro = f"你（单位）于{_applied_on(facts)}提出的{case.service_item.name}申请"
    intro += f"，本机关已于{accepted}受理。" if accepted else "。"
    planned = f"{row.planned_days}个工作日" if row.planned_days else "—"
    notice.paragraphs.append(
        intro + f"因{row.reason.strip() or '—'}，该申请依法需要{row.procedure}。根据{basis}的规定，"
        f"{row.procedure}所需时间不计算在办理期限内，预计需要{planned}，现予告知。"
        f"{row.procedure}结束后，本机关继续计算办理期限。"
    )
    end = "—"
    if row.planned_days:
        day, provisional = clock_service.planned_end(calendar(uow), row)
        end = cn_date(day, provisional=provisional)
    notice.facts.extend(
        [
            ("办件编号", case.case_no),
            ("申请事项", case.service_item.name),
            ("特别程序", row.procedure or "—"),
            ("法律依据", basis),
            ("开始日期", cn_date(row.start)),
            ("所需时间", planned),
            ("预计结束日期", end),
            *_contact_facts(facts),
        ]
    )
    return notice
