"""Approval chains (审批链) run by the engine beside SpiffWorkflow, and their administration.

Why beside the workflow, not inside it
    A chain is configuration, not a model: administrators change who approves, how and when
    without a redeploy, and a change must reach running cases at their *next* level. Generating
    BPMN per chain (or per case) would freeze the levels into the case's model version. So the
    BPMN declares a single user task with ``<spiffworkflow:property name="approvalChain"
    value="KEY"/>`` (keeping its ``role`` as the fallback when no chain is in force), and this
    module runs the levels as ``human_task`` rows of that one READY Spiff task — one generic
    mechanism for every chain. SpiffWorkflow sees one task completed once, with the decision.

Versions
    ``approval_chain`` rows are immutable versions of a key; the one in force is the newest
    version whose ``effective_at`` has passed. Each level is resolved with the version in force
    *when that level starts*: a case waiting at level 1 while the chain changes keeps its level
    1 tasks, and its level 2 follows the new version (levels are matched by position). Every
    level task records the version that resolved it (``human_task.chain_id``).

Rows
    When a chain step becomes READY, ``sync_tasks`` calls ``start_step``: the step's own row
    (id = the Spiff task id, state ``chain``) holds the chain's progress in ``data["chain"]``
    and never appears in an inbox. Each level is a set of rows with a new uuid4 id,
    ``parent_id`` = the step, ``chain_level`` = the level's 1-based position, ``chain_id``,
    the chain's department and ``candidates`` = the resolved usernames:

    * ``single`` / ``any``: one row, claimable by any candidate;
    * ``all`` / ``ratio``: one row per user, assigned to that user;
    * ``sequential``: the first user's row; each approval creates the next user's row.

    Candidates may sit in other departments (named users, the ``admin`` fallback): a task with
    ``candidates`` is seen and claimed by exactly those users (``access.is_candidate``,
    ``candidate_clause`` in the ``mine`` inbox).

Completing a level row (same form as the Spiff task, ``decision`` approve / reject / return)
    ``tasks.complete`` hands it to ``complete_level``. ``return`` ends the step at once, and so
    does ``reject`` except in ``ratio`` mode, where it is a vote against (the level is refused
    once the approvals can no longer reach the threshold). Otherwise the level passes when its
    mode is satisfied (any/single: the first approval; all: every row; ratio: ceil(ratio × n)
    approvals, the rest cancelled; sequential: the last user). A passed level starts the next
    level that applies — resolved now, with the chain version in force now — and after the
    last one the Spiff task is completed through the normal runtime path (``run.complete``,
    ``save_run``, ``sync_tasks``, ``finish_if_done``) with the deciding row's data and
    ``decision`` = ``approve``; a refused or returned step completes it with ``reject`` /
    ``return`` and the rest of its rows are cancelled. A step whose every level is skipped is
    approved by the system at once (``chain_done`` with ``auto``); a key with no version in
    force makes the step an ordinary task of its ``role`` slot (``chain_missing``).

    Case events: ``chain_level_start``, ``chain_level_skipped``, ``chain_fallback``,
    ``chain_applicant_removed``, ``chain_condition_error``, ``chain_level_next`` (sequential),
    ``chain_level_done``, ``chain_done``, ``chain_missing``; the level row's own completion is
    an ordinary ``complete`` event. Every new level row notifies its users (``Notification``
    kind ``new_task``).

Who, how and when are resolved by ``engine/chains.py`` (pure): rules, modes, conditions (run in
the sandbox), the approver-is-the-applicant rule and the empty-level fallback (department head,
else ``admin``) are documented there.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.sql.elements import ColumnElement

from .. import access, models, views
from ..chains import (
    Context,
    Directory,
    LevelPlan,
    Person,
    level_label,
    level_outcome,
    next_level,
    plan_chain,
    validate_levels,
    vote_of,
)
from ..errors import BadRequest, Conflict, NotFound, ValidationFailed
from ..runtime import CaseRun, UserTask
from ..uow import UnitOfWork
from ..workdays import step_due_date
from . import audit
from .common import LOCAL_TZ, load_run, record
from .notifications import notify

CHAIN_PROPERTY = "approvalChain"
STEP_STATE = "chain"  # the chain step's own row: not in any inbox
OPEN_STATES = ("ready", "claimed")
SYSTEM = "system"
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
MAX_NOTE = 2000
NAME_SEPARATOR = " · "


# ----- the organisation as plain data --------------------------------------------------------


def directory(uow: UnitOfWork) -> Directory:
    session = uow.session
    departments = list(session.scalars(select(models.Department)))
    codes = {d.id: d.code for d in departments}
    people = {
        u.username: Person(
            u.username, u.display_name, codes.get(u.department_id, ""), u.role_codes, u.active
        )
        for u in session.scalars(select(models.User))
    }
    lookup = {d.code: d.code for d in departments} | {d.name: d.code for d in departments}
    return Directory(
        people=people,
        heads={d.code: d.head_username for d in departments},
        departments=lookup,
        roles=frozenset(session.scalars(select(models.Role.code))),
    )


# ----- versions --------------------------------------------------------------------------------


def chain_in_force(uow: UnitOfWork, key: str, at: datetime | None = None):
    """The newest version of ``key`` whose effective time has passed (None if none has)."""
    moment = _utc(at or models.utcnow())
    return uow.session.scalars(
        select(models.ApprovalChain)
        .where(models.ApprovalChain.key == key, models.ApprovalChain.effective_at <= moment)
        .order_by(models.ApprovalChain.version.desc())
        .limit(1)
    ).first()


def _versions(uow: UnitOfWork, key: str) -> list[models.ApprovalChain]:
    return list(
        uow.session.scalars(
            select(models.ApprovalChain)
            .where(models.ApprovalChain.key == key)
            .order_by(models.ApprovalChain.version)
        )
    )


def _utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back naive."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def chain_view(
    row: models.ApprovalChain, in_force: bool | None = None, names: dict[str, str] | None = None
) -> dict[str, Any]:
    names = names or {}
    view = {
        "id": row.id,
        "key": row.key,
        "version": row.version,
        "service_item": row.service_item,
        "department": row.department,
        "department_name": names.get(row.department or "", row.department),
        "effective_at": views.iso(row.effective_at),
        "note": row.note,
        "levels": (row.levels or {}).get("levels", []),
        "created_by": row.created_by,
        "created_at": views.iso(row.created_at),
    }
    if in_force is not None:
        view["in_force"] = in_force
    return view


def _names(uow: UnitOfWork) -> dict[str, str]:
    return dict(uow.session.execute(select(models.Department.code, models.Department.name)).all())


def _item_names(uow: UnitOfWork) -> dict[str, str]:
    return dict(uow.session.execute(select(models.ServiceItem.code, models.ServiceItem.name)).all())


def list_chains(
    uow: UnitOfWork,
    user: models.User,
    *,
    service_item: str | None = None,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """One entry per chain key: the version in force (else the next scheduled one)."""
    now = _utc(models.utcnow())
    by_key: dict[str, list[models.ApprovalChain]] = {}
    for row in uow.session.scalars(
        select(models.ApprovalChain).order_by(
            models.ApprovalChain.key, models.ApprovalChain.version
        )
    ):
        by_key.setdefault(row.key, []).append(row)
    names, items = _names(uow), _item_names(uow)
    out = []
    for rows in by_key.values():
        current = [r for r in rows if _utc(r.effective_at) <= now]
        shown = current[-1] if current else rows[0]
        if service_item and service_item not in (
            shown.service_item,
            items.get(shown.service_item or ""),
        ):
            continue
        if department and department not in (shown.department, names.get(shown.department or "")):
            continue
        view = chain_view(shown, bool(current), names)
        view["service_item_name"] = items.get(shown.service_item or "")
        view["latest_version"] = rows[-1].version
        view["scheduled"] = [
            {"version": r.version, "effective_at": views.iso(r.effective_at)}
            for r in rows
            if _utc(r.effective_at) > now and r.version > shown.version
        ]
        out.append(view)
    return out


def get_chain(uow: UnitOfWork, user: models.User, key: str) -> dict[str, Any]:
    row = chain_in_force(uow, key)
    if row is None:
        if _versions(uow, key):
            raise NotFound(f"审批链 {key} 尚无生效的版本", code="chain_not_in_force")
        raise NotFound(f"审批链 {key} 不存在", code="chain_not_found")
    view = chain_view(row, True, _names(uow))
    view["service_item_name"] = _item_names(uow).get(row.service_item or "")
    return view


def chain_versions(uow: UnitOfWork, user: models.User, key: str) -> list[dict[str, Any]]:
    """Every version, newest first, with who saved it, when, the note and what changed."""
    rows = _versions(uow, key)
    if not rows:
        raise NotFound(f"审批链 {key} 不存在", code="chain_not_found")
    current = chain_in_force(uow, key)
    names = _names(uow)
    out = []
    previous: list[dict[str, Any]] = []
    for row in rows:
        levels = (row.levels or {}).get("levels", [])
        view = chain_view(row, current is not None and row.id == current.id, names)
        view["changes"] = describe_changes(previous, levels)
        out.append(view)
        previous = levels
    return list(reversed(out))


def describe_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """What a version changed, level by level (by position), for the history."""
    if not before:
        return [f"新建：{len(after)} 级"]
    changes = []
    for index in range(1, max(len(before), len(after)) + 1):
        old = before[index - 1] if index <= len(before) else None
        new = after[index - 1] if index <= len(after) else None
        if old is None:
            changes.append(f"新增{level_label(index, new.get('name'))}")
        elif new is None:
            changes.append(f"删除{level_label(index, old.get('name'))}")
        elif old != new:
            fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            changes.append(f"修改{level_label(index, new.get('name'))}（{', '.join(fields)}）")
    return changes or ["层级未变"]


def save_chain(
    uow: UnitOfWork, user: models.User, key: str, body: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """PUT /approval-chains/{key}: validate and store the next version (administrators)."""
    access.require_role(user, "admin")
    if not isinstance(body, dict):
        raise BadRequest("请求体应为 JSON 对象", code="malformed_json")
    problems: list[dict[str, Any]] = []

    def add(fieldname: str, message: str) -> None:
        problems.append({"level": None, "name": None, "field": fieldname, "message": message})

    if not KEY_PATTERN.fullmatch(key or ""):
        add("key", "审批链标识只能包含字母、数字、点、下划线和连字符（最长 64 位）")
    rows = _versions(uow, key) if not problems else []
    latest = rows[-1] if rows else None
    org = directory(uow)

    department = body.get("department", latest.department if latest else None)
    department_code = org.departments.get(department) if isinstance(department, str) else None
    if department in (None, ""):
        add("department", "缺少审批链所属部门（department）")
    elif department_code is None:
        add("department", f"未知的部门 {department!r}")

    item = body.get("service_item", latest.service_item if latest else None)
    item_code = None
    if item not in (None, ""):
        items = _item_names(uow)
        codes = {name: code for code, name in items.items()}
        item_code = item if item in items else codes.get(item)
        if item_code is None:
            add("service_item", f"未知的事项 {item!r}")

    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        add("note", f"说明应为不超过 {MAX_NOTE} 个字符的文本")
        note = ""
    try:
        effective_at = parse_moment(body.get("effective_at"))
    except ValueError as error:
        add("effective_at", str(error))
        effective_at = models.utcnow()

    levels, level_problems = validate_levels(body.get("levels"), org)
    problems.extend(level_problems)
    if problems:
        raise chain_invalid(problems)
    row = models.ApprovalChain(
        key=key,
        version=(latest.version if latest else 0) + 1,
        service_item=item_code,
        department=department_code,
        levels={"levels": levels},
        effective_at=effective_at,
        note=note,
        created_by=user.username,
        created_at=models.utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow, user.username, "approval_chain_saved", key, {"version": row.version})
    now = _utc(models.utcnow())
    view = chain_view(row, _utc(effective_at) <= now, _names(uow))
    view["changes"] = describe_changes(
        (latest.levels or {}).get("levels", []) if latest else [], levels
    )
    return view, latest is None


def chain_invalid(problems: list[dict[str, Any]]) -> ValidationFailed:
    """422 whose message names the (first) level and the problem; details list them all."""
    first = problems[0]
    message = first["message"]
    if len(problems) > 1:
        message += f"（另有 {len(problems) - 1} 处问题）"
    return ValidationFailed(
        message,
        {
            "problems": problems,
            "level": first.get("level"),
            "name": first.get("name"),
            "field": first.get("field"),
        },
        code="invalid_chain",
    )


def parse_moment(value: Any) -> datetime:
    """An ISO 8601 time (a naive one is Asia/Shanghai wall time) → UTC; empty means now."""
    if value in (None, ""):
        return models.utcnow()
    if not isinstance(value, str):
        raise ValueError("生效时间应为 ISO 8601 时间文本")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ValueError(f"生效时间 {value!r} 不是 ISO 8601 时间") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


def commissioner_of(uow: UnitOfWork, case: models.Case) -> str | None:
    """The commissioner assigned to the case's enterprise (None for a person's case)."""
    if case.applicant_kind != "enterprise":
        return None
    return uow.session.scalar(
        select(models.EnterpriseCommissioner.username).where(
            models.EnterpriseCommissioner.credit_code == case.applicant_id_number
        )
    )


def preview(uow: UnitOfWork, user: models.User, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """Who each level would go to for a case (``case_no``) or sample ``data``.

    ``levels`` (and ``department``) in the body preview a draft before it is saved.
    """
    access.require_role(user, "admin")
    if not isinstance(body, dict):
        raise BadRequest("请求体应为 JSON 对象", code="malformed_json")
    org = directory(uow)
    row = chain_in_force(uow, key)
    version = row.version if row else None
    if body.get("levels") is not None:
        levels, problems = validate_levels(body["levels"], org)
        department = body.get("department") or (row.department if row else None)
        department = org.departments.get(department) if isinstance(department, str) else None
        if department is None:
            problems.append(
                {"level": None, "name": None, "field": "department", "message": "缺少或未知的部门"}
            )
        if problems:
            raise chain_invalid(problems)
        version = None
    elif row is None:
        raise NotFound(f"审批链 {key} 不存在或尚未生效", code="chain_not_found")
    else:
        levels, department = row.levels.get("levels", []), row.department
    created_by = commissioner = None
    if body.get("case_no"):
        case = uow.session.scalars(
            select(models.Case).where(models.Case.case_no == str(body["case_no"]))
        ).one_or_none()
        if case is None:
            raise NotFound(f"办件 {body['case_no']} 不存在", code="case_not_found")
        data, created_by, source = dict(case.data or {}), case.created_by, "case"
        commissioner = commissioner_of(uow, case)
    elif isinstance(body.get("data"), dict):
        data, source = body["data"], "data"
    else:
        raise BadRequest(
            "请提供办件编号（case_no）或样例数据（data 对象）", {"fields": ["case_no", "data"]}
        )
    ctx = Context(data, department or "", created_by, commissioner)
    plans = plan_chain(levels, ctx, org)
    return {
        "key": key,
        "version": version,
        "draft": version is None,
        "department": department,
        "source": source,
        "case_no": body.get("case_no") if source == "case" else None,
        "levels": [p.as_dict(org) for p in plans],
    }


# ----- the inbox ----------------------------------------------------------------------------


def candidate_clause(username: str) -> ColumnElement[bool]:
    """SQL: the task names ``username`` among its ``candidates`` (a JSON list)."""
    token = json.dumps(username)
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(models.HumanTask.candidates, Text).like(f"%{escaped}%", escape="\\")


def no_candidates() -> ColumnElement[bool]:
    """SQL: the task has no named candidates (SQL NULL, JSON null or an empty list)."""
    column = models.HumanTask.candidates
    return or_(column.is_(None), cast(column, Text).in_(("null", "[]")))


# ----- running a chain step -------------------------------------------------------------------


@dataclass
class _Step:
    """The chain progress kept on the step's own row (``data["chain"]``)."""

    row: models.HumanTask

    @property
    def state(self) -> dict[str, Any]:
        return dict((self.row.data or {}).get("chain") or {})

    def update(self, **changes: Any) -> None:
        # JSON columns are not mutation-tracked: assign a new value.
        self.row.data = {**(self.row.data or {}), "chain": {**self.state, **changes}}


def _case_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if not str(k).startswith("_")}


def start_step(
    uow: UnitOfWork, case: models.Case, task: UserTask, info: dict[str, Any]
) -> list[models.HumanTask]:
    """A READY Spiff task with ``approvalChain``: its step row and the first level's rows."""
    key = task.properties[CHAIN_PROPERTY]
    due_days = int(info["due_working_days"]) if info.get("due_working_days") else None
    step = models.HumanTask(
        id=task.id,
        case=case,
        spec_name=task.spec_name,
        name=task.name,
        department_code=info.get("department") or case.intake_department,
        role=info.get("role"),
        state=STEP_STATE,
        due_working_days=due_days,
        due_date=step_due_date(uow, due_days),
        data={"chain": {"key": key, "levels": []}},
        created_at=models.utcnow(),
        definition_id=task.definition_id,
    )
    uow.session.add(step)
    if chain_in_force(uow, key) is None:
        # No chain in force: the step is an ordinary task of its role slot (the fallback).
        step.state, step.data = "ready", None
        record(uow, case, SYSTEM, "chain_missing", step, {"key": key, "role": step.role})
        return [step]
    rows = _start_next(uow, case, step, _case_data(task.data), after=0)
    if rows is None:
        _Step(step).update(auto=True)
        return []
    return rows


def _start_next(
    uow: UnitOfWork, case: models.Case, step_row: models.HumanTask, data: dict[str, Any], after: int
) -> list[models.HumanTask] | None:
    """Start the first level after ``after`` that applies (None: no level is left)."""
    step = _Step(step_row)
    chain = chain_in_force(uow, step.state["key"])
    if chain is None:
        return None
    org = directory(uow)
    department = chain.department or step_row.department_code
    ctx = Context(data, department, case.created_by, commissioner_of(uow, case))
    plan, skipped = next_level(chain.levels.get("levels", []), after, ctx, org)
    origin = {"key": chain.key, "version": chain.version, "chain_id": chain.id}
    for level in skipped:
        detail = {**origin, "level": level.index, "name": level.name, "reason": level.skip_reason}
        record(
            uow,
            case,
            SYSTEM,
            "chain_level_skipped",
            step_row,
            {**detail, "condition": level.condition},
        )
    if plan is None:
        return None
    where = {**origin, "level": plan.index, "name": plan.name}
    if plan.condition_error:
        record(
            uow,
            case,
            SYSTEM,
            "chain_condition_error",
            step_row,
            {**where, "condition": plan.condition, "error": plan.condition_error},
        )
    if plan.removed:
        record(
            uow, case, SYSTEM, "chain_applicant_removed", step_row, {**where, "users": plan.removed}
        )
    if plan.fallback:
        record(
            uow,
            case,
            SYSTEM,
            "chain_fallback",
            step_row,
            {**where, "to": plan.users, "fallback": plan.fallback, "resolved": plan.resolved},
        )
    first = plan.users[:1] if plan.mode == "sequential" else plan.users
    rows = _level_rows(uow, case, step_row, chain, plan, department, first)
    step_row.chain_id, step_row.chain_level = chain.id, plan.index
    step.update(
        current={
            **where,
            "mode": plan.mode,
            "ratio": plan.ratio,
            "users": plan.users,
            "required": plan.required,
            "department": department,
        },
        levels=[*step.state.get("levels", []), {**where, "users": plan.users}],
    )
    record(
        uow,
        case,
        SYSTEM,
        "chain_level_start",
        step_row,
        {
            **where,
            "mode": plan.mode,
            "ratio": plan.ratio,
            "users": plan.users,
            "required": plan.required,
            "tasks": [r.id for r in rows],
        },
    )
    return rows


def _level_rows(
    uow: UnitOfWork,
    case: models.Case,
    step_row: models.HumanTask,
    chain: models.ApprovalChain,
    plan: LevelPlan,
    department: str,
    users: list[str],
) -> list[models.HumanTask]:
    """``single``/``any``: one row for every candidate; otherwise one assigned row per user."""
    shared = plan.mode in ("single", "any")
    groups = [users] if shared else [[u] for u in users]
    now = models.utcnow()
    rows = []
    for group in groups:
        row = models.HumanTask(
            id=str(uuid.uuid4()),
            case=case,
            spec_name=step_row.spec_name,
            name=f"{step_row.name}{NAME_SEPARATOR}{plan.name}"[:128],
            department_code=department,
            role=None,
            assignee=None if shared else group[0],
            state="ready" if shared else "claimed",
            candidates=list(group),
            chain_id=chain.id,
            chain_level=plan.index,
            parent_id=step_row.id,
            due_working_days=step_row.due_working_days,
            due_date=step_due_date(uow, step_row.due_working_days),
            created_at=now,
        )
        uow.session.add(row)
        rows.append(row)
    _notify(uow, case, rows)
    return rows


def _notify(uow: UnitOfWork, case: models.Case, rows: list[models.HumanTask]) -> None:
    """``new_task`` to each user of the new rows, in-app and on the outbound channels."""
    for row in rows:
        message = f"新的审批待办：{row.name}（办件 {case.case_no}）"
        notify(uow, row.candidates or [row.assignee], "new_task", message, case, row.id)


def follow_steps(rows: list[models.HumanTask]) -> None:
    """Level rows end with their step: cancel open level rows whose step is no longer open."""
    open_steps = {r.id for r in rows if r.state == STEP_STATE}
    for row in rows:
        level = row.parent_id is not None and row.chain_id is not None
        if level and row.state in OPEN_STATES and row.parent_id not in open_steps:
            row.state = "cancelled"


@dataclass
class StepDecision:
    """A chain step decided (by its last level, or by the system when no level applied): its
    workflow task completes with ``data`` (``progress.finish_chain_step``)."""

    step_row: models.HumanTask
    data: dict[str, Any]
    actor: str
    run: CaseRun


def skipped_step(
    uow: UnitOfWork, case: models.Case, run: CaseRun, ready: dict[str, UserTask]
) -> StepDecision | None:
    """A chain step none of whose levels applied (all skipped): approved by the system."""
    if not any(CHAIN_PROPERTY in t.properties for t in ready.values()):
        return None
    steps = uow.session.scalars(
        select(models.HumanTask).where(
            models.HumanTask.case_id == case.id, models.HumanTask.state == STEP_STATE
        )
    ).all()
    waiting = [s for s in steps if _Step(s).state.get("auto")]
    if not waiting:
        return None
    step = waiting[0]
    record(
        uow,
        case,
        SYSTEM,
        "chain_done",
        step,
        {"decision": "approve", "auto": True, "key": _Step(step).state.get("key")},
    )
    return StepDecision(step, {"decision": "approve"}, SYSTEM, run)


def _open_rows(uow: UnitOfWork, case: models.Case) -> list[models.HumanTask]:
    return list(
        uow.session.scalars(
            select(models.HumanTask)
            .where(models.HumanTask.case_id == case.id, models.HumanTask.state.in_(OPEN_STATES))
            .order_by(models.HumanTask.created_at)
        )
    )


def complete_level(
    uow: UnitOfWork,
    user: models.User,
    row: models.HumanTask,
    data: dict[str, Any],
    comment: str | None,
) -> tuple[list[models.HumanTask], list[models.HumanTask]] | StepDecision:
    """A level row completed (its form already validated): ``(next tasks, open tasks)`` while
    the step goes on, else the step's decision for ``progress.finish_chain_step``."""
    case = row.case
    step_row = uow.session.get(models.HumanTask, row.parent_id)
    if step_row is None or step_row.state != STEP_STATE:
        raise Conflict("该审批步骤已结束", code="task_not_open")
    step = _Step(step_row)
    current = step.state.get("current") or {}
    now = models.utcnow()
    vote = vote_of(data)
    row.state, row.completed_at, row.completed_by = "completed", now, user.username
    row.assignee = row.assignee or user.username
    row.data, row.outcome = data, vote
    level = {"key": current.get("key"), "version": current.get("version"), "level": row.chain_level}
    record(
        uow,
        case,
        user.username,
        "complete",
        row,
        {"data": data, "comment": comment or "", "chain": {**level, "name": current.get("name")}},
    )
    siblings = [
        r
        for r in uow.session.scalars(
            select(models.HumanTask).where(
                models.HumanTask.parent_id == step_row.id,
                models.HumanTask.chain_level == row.chain_level,
            )
        )
    ]
    mode = current.get("mode", "single")
    users = list(current.get("users") or [])
    approvals = sum(1 for r in siblings if r.state == "completed" and r.outcome == "approve")
    refusals = sum(1 for r in siblings if r.state == "completed" and r.outcome == "reject")
    if vote == "return" or (vote == "reject" and mode != "ratio"):
        outcome = vote
    else:
        total = len(users) if mode == "sequential" else len(siblings)
        required = int(current.get("required") or 1)
        result = level_outcome(mode, required, total, approvals, refusals)
        if result == "pending":
            created = []
            if mode == "sequential" and vote == "approve" and approvals < len(users):
                chain = uow.session.get(models.ApprovalChain, row.chain_id)
                plan = LevelPlan(
                    row.chain_level or 0, current.get("name", ""), mode, None, None, True
                )
                department = current.get("department") or row.department_code
                created = _level_rows(
                    uow, case, step_row, chain, plan, department, [users[approvals]]
                )
                record(
                    uow,
                    case,
                    SYSTEM,
                    "chain_level_next",
                    step_row,
                    {
                        **level,
                        "name": current.get("name"),
                        "to": users[approvals],
                        "tasks": [r.id for r in created],
                    },
                )
            return created, _open_rows(uow, case)
        outcome = "approve" if result == "approved" else "reject"
    for sibling in siblings:
        if sibling.state in OPEN_STATES:
            sibling.state = "cancelled"
    record(
        uow,
        case,
        user.username,
        "chain_level_done",
        step_row,
        {
            **level,
            "name": current.get("name"),
            "outcome": outcome,
            "approvals": approvals,
            "refusals": refusals,
            "required": current.get("required"),
        },
    )
    run = load_run(uow, case)
    if outcome == "approve":
        spiff_task = run.find_ready(step_row.id)
        if spiff_task is None:
            raise Conflict("审批步骤已不在待办状态", code="task_not_open")
        rows = _start_next(uow, case, step_row, _case_data(spiff_task.data), row.chain_level or 0)
        if rows is not None:
            return rows, _open_rows(uow, case)
    final = {**data, "decision": outcome}
    record(
        uow,
        case,
        user.username,
        "chain_done",
        step_row,
        {"key": current.get("key"), "decision": outcome, "levels": step.state.get("levels", [])},
    )
    return StepDecision(step_row, final, user.username, run)


def close_step(uow: UnitOfWork, decided: StepDecision, now: datetime) -> None:
    """The decided step's open level rows end; the step row keeps the decision and the chain's
    record."""
    step_row = decided.step_row
    for row in uow.session.scalars(
        select(models.HumanTask).where(
            models.HumanTask.parent_id == step_row.id, models.HumanTask.state.in_(OPEN_STATES)
        )
    ):
        row.state = "cancelled"
    step_row.state, step_row.completed_at, step_row.completed_by = "completed", now, decided.actor
    step_row.outcome = decided.data.get("decision")
    step_row.data = {**decided.data, "chain": _Step(step_row).state}
