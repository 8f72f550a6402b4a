"""Approval chains (审批链), the pure part: the shape of a level, its validation, and who it
resolves to for a given case. No database and no workflow here: ``engine/services/chains.py``
hands in the organisation as plain data (``Directory``) and the case data, and runs the steps.

A level is ``{"name", "assignees": {"rule", "value"}, "mode", "ratio"?, "condition"?}``:

``assignees.rule`` (who)
    ``role``            value: a role code; the active users holding it in the chain's department.
    ``department_head`` value (optional): a department code or name, default the chain's
                        department; its head (``department.head_username``).
    ``users``           value: usernames (a list, or one string separated by commas/spaces).
    ``data_field``      value: a path into the case data (``reviewer`` or ``contacts.approver``)
                        holding a username or a list of usernames.
    ``commissioner``    value (optional): the data field naming the enterprise's service
                        commissioner (企业服务专员), default ``commissioner``; without it, the
                        commissioner an administrator assigned to the applicant enterprise
                        (by credit code); without one, the case's filer when that user holds
                        the ``commissioner`` role (帮办代办).
``mode`` (how)
    ``single`` one person; ``any`` (或签) any one of the candidates — both make ONE task
    claimable by every candidate, the first approval decides. ``all`` (会签) one task per user,
    every one must approve. ``sequential`` (依次) one user after another in the listed order.
    ``ratio`` one task per user; the level passes once approvals ≥ ceil(ratio × users).
``condition`` (when)
    An expression over the case data, run in the sandbox; the level is skipped when it is false.
    A condition that fails at run time (a missing field …) does not skip the level: an
    approval too many is safer than one too few. The error is reported with the level.

Two rules keep a level staffed and impartial:

* **Approver is the applicant** (回避): a user is the applicant when the case data's
  ``applicant_username`` is their username, or their personal name equals the applicant's
  name (``applicant.name``) or the enterprise's legal representative (``legal_representative``).
  A user's personal name is their display name, or the name inside its trailing parentheses
  (``市场监管科长（钱伟）`` → ``钱伟``). Such users are removed from the level.
* **Empty level** (no one resolved, or everyone removed): the level falls to the head of the
  chain's department (unless the head is the applicant), else to the administrator ``admin``.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .sandbox import SandboxError, compile_expression, evaluate

RULES = ("role", "department_head", "users", "data_field", "commissioner")
MODES = ("single", "all", "any", "sequential", "ratio")
RULE_LABELS = {
    "role": "部门角色",
    "department_head": "部门负责人",
    "users": "指定人员",
    "data_field": "办件数据中的人员",
    "commissioner": "企业服务专员",
}
MODE_LABELS = {
    "single": "单人审批",
    "all": "会签（全部同意）",
    "any": "或签（任一人）",
    "sequential": "依次审批",
    "ratio": "按比例通过",
}
ADMINISTRATOR = "admin"
MAX_LEVELS = 20
MAX_NAME = 64
MAX_CONDITION = 1000
DEFAULT_COMMISSIONER_FIELD = "commissioner"
_FIELD_PATH = re.compile(r"[A-Za-z\u4e00-\u9fff][\w\u4e00-\u9fff]*(\.[\w\u4e00-\u9fff]+)*")
_PERSONAL_NAME = re.compile(r"[（(]([^（）()]+)[）)]\s*$")
_SPLIT = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    department: str
    roles: frozenset[str]
    active: bool = True


@dataclass(frozen=True)
class Directory:
    """The organisation as resolution needs it: people, department heads, known codes."""

    people: dict[str, Person]
    heads: dict[str, str | None]
    departments: dict[str, str]  # department name or code → code
    roles: frozenset[str]

    def active(self, username: str) -> bool:
        person = self.people.get(username)
        return person is not None and person.active

    def holders(self, role: str, department: str) -> list[str]:
        return sorted(
            p.username
            for p in self.people.values()
            if p.active and p.department == department and role in p.roles
        )


@dataclass(frozen=True)
class Context:
    """What a level is resolved against: the case data, the chain's department, the filer and
    the commissioner assigned to the applicant enterprise."""

    data: dict[str, Any]
    department: str
    created_by: str | None = None
    commissioner: str | None = None  # the enterprise's assigned 企业服务专员


@dataclass
class LevelPlan:
    """One level resolved for one case: does it run, for whom, and how many must approve."""

    index: int  # 1-based position in the chain version that resolved it
    name: str
    mode: str
    ratio: float | None
    condition: str | None
    runs: bool
    users: list[str] = field(default_factory=list)
    required: int = 0
    skip_reason: str | None = None
    condition_error: str | None = None
    removed: list[str] = field(default_factory=list)  # approvers who are the applicant
    fallback: str | None = None  # "department_head" | "admin" when the level was empty
    resolved: list[str] = field(default_factory=list)  # what the rule itself gave

    def as_dict(self, directory: Directory | None = None) -> dict[str, Any]:
        def person(username: str) -> dict[str, str]:
            found = directory.people.get(username) if directory else None
            return {"username": username, "display_name": found.display_name if found else ""}

        return {
            "index": self.index,
            "name": self.name,
            "mode": self.mode,
            "ratio": self.ratio,
            "condition": self.condition,
            "runs": self.runs,
            "skipped": not self.runs,
            "skip_reason": self.skip_reason,
            "condition_error": self.condition_error,
            "users": [person(u) for u in self.users],
            "required": self.required,
            "removed_applicants": self.removed,
            "fallback": self.fallback,
            "resolved": self.resolved,
        }


# ----- validation ------------------------------------------------------------------------------


def level_label(index: int, name: Any) -> str:
    return f"第 {index} 级“{name}”" if name else f"第 {index} 级"


def _problem(index: int | None, name: Any, fieldname: str, message: str) -> dict[str, Any]:
    where = level_label(index, name) if index else "审批链"
    return {
        "level": index,
        "name": name if isinstance(name, str) else None,
        "field": fieldname,
        "message": f"{where}：{message}",
    }


def _usernames(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [u for u in _SPLIT.split(value.strip()) if u]
    if isinstance(value, list) and all(isinstance(u, str) for u in value):
        return [u.strip() for u in value if u.strip()]
    return None


def validate_levels(
    levels: Any, directory: Directory
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Check and normalise a chain's levels; returns ``(levels, problems)``.

    Each problem names the level (1-based ``level`` and ``name``), the ``field`` and a message
    that starts with the level, e.g. ``第 2 级“局长审批”：条件表达式无效 …``.
    """
    if not isinstance(levels, list) or not levels:
        return [], [_problem(None, None, "levels", "至少需要一个审批层级（levels 应为非空列表）")]
    if len(levels) > MAX_LEVELS:
        return [], [_problem(None, None, "levels", f"审批层级不能超过 {MAX_LEVELS} 级")]
    clean: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for index, level in enumerate(levels, start=1):
        level_clean, level_problems = _validate_level(index, level, directory)
        clean.append(level_clean)
        problems.extend(level_problems)
    return clean, problems


def _validate_level(
    index: int, level: Any, directory: Directory
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if not isinstance(level, dict):
        return {}, [_problem(index, None, "level", "应为对象")]
    problems: list[dict[str, Any]] = []
    name = level.get("name")
    label = name if isinstance(name, str) else None

    def add(fieldname: str, message: str) -> None:
        problems.append(_problem(index, label, fieldname, message))

    if not isinstance(name, str) or not name.strip():
        add("name", "缺少层级名称")
        name = ""
    elif len(name.strip()) > MAX_NAME:
        add("name", f"层级名称不能超过 {MAX_NAME} 个字符")
    out: dict[str, Any] = {"name": name.strip()}

    assignees = level.get("assignees")
    if not isinstance(assignees, dict):
        add("assignees", "缺少审批人规则（assignees 应为 {rule, value}）")
        assignees = {}
    rule, value = assignees.get("rule"), assignees.get("value")
    out["assignees"] = {"rule": rule, "value": value}
    if rule not in RULES:
        add("assignees.rule", f"未知的审批人规则 {rule!r}（可选：{'/'.join(RULES)}）")
    else:
        fixed, message = _check_value(rule, value, directory)
        out["assignees"]["value"] = fixed
        if message:
            add("assignees.value", message)

    mode = level.get("mode") or "single"
    out["mode"] = mode
    if mode not in MODES:
        add("mode", f"未知的审批方式 {mode!r}（可选：{'/'.join(MODES)}）")
    if mode == "ratio":
        ratio = level.get("ratio")
        if isinstance(ratio, str):
            with contextlib.suppress(ValueError):
                ratio = float(ratio)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            add("ratio", "按比例通过须给出 0 < ratio ≤ 1 的比例")
        else:
            out["ratio"] = float(ratio)

    condition = level.get("condition")
    if condition not in (None, ""):
        if not isinstance(condition, str):
            add("condition", "条件应为表达式文本")
        elif len(condition) > MAX_CONDITION:
            add("condition", f"条件表达式不能超过 {MAX_CONDITION} 个字符")
        elif condition.strip():
            try:
                compile_expression(condition.strip(), "eval")
            except SandboxError as error:
                add("condition", f"条件表达式无效：{error.message}")
            except (SyntaxError, ValueError) as error:
                add("condition", f"条件表达式无效：{error}")
            out["condition"] = condition.strip()
    return out, problems


def _check_value(rule: str, value: Any, directory: Directory) -> tuple[Any, str | None]:
    """The normalised value of an assignee rule, and what is wrong with it (if anything)."""
    if rule == "role":
        if not isinstance(value, str) or not value.strip():
            return value, "规则 role 缺少角色代码（value）"
        if value.strip() not in directory.roles:
            return value, f"未知的角色 {value.strip()!r}"
        return value.strip(), None
    if rule == "department_head":
        if value in (None, ""):
            return None, None
        code = directory.departments.get(str(value).strip()) if isinstance(value, str) else None
        if code is None:
            return value, f"未知的部门 {value!r}"
        return code, None
    if rule == "users":
        names = _usernames(value)
        if not names:
            return value, "规则 users 缺少人员（value 应为用户名列表）"
        unknown = [u for u in names if not directory.active(u)]
        if unknown:
            return names, f"未知或已停用的用户 {', '.join(unknown)}"
        return list(dict.fromkeys(names)), None
    if rule == "data_field":
        if not isinstance(value, str) or not value.strip():
            return value, "规则 data_field 缺少数据字段名（value）"
        if not _FIELD_PATH.fullmatch(value.strip()):
            return value, f"数据字段名 {value!r} 无效（如 reviewer 或 contacts.approver）"
        return value.strip(), None
    # commissioner
    if value in (None, ""):
        return None, None
    if not isinstance(value, str) or not _FIELD_PATH.fullmatch(value.strip()):
        return value, f"企业服务专员的数据字段名 {value!r} 无效"
    return value.strip(), None


# ----- resolution --------------------------------------------------------------------------


def condition_holds(condition: str | None, data: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether a level runs; ``(True, error)`` when the condition cannot be evaluated."""
    if not condition:
        return True, None
    try:
        return bool(evaluate(condition, data)), None
    except SandboxError as error:
        return True, error.message
    except Exception as error:  # any failure on the case data is reported, not raised
        return True, f"{type(error).__name__}: {error}"


def data_path(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def resolve_rule(assignees: dict[str, Any], ctx: Context, directory: Directory) -> list[str]:
    """The active users an assignee rule names for this case (in a stable order)."""
    rule, value = assignees.get("rule"), assignees.get("value")
    if rule == "role":
        return directory.holders(value, ctx.department)
    if rule == "department_head":
        head = directory.heads.get(value or ctx.department)
        return [head] if head and directory.active(head) else []
    if rule == "users":
        names = _usernames(value) or []
    elif rule == "data_field":
        names = _usernames(data_path(ctx.data, value)) or []
    elif rule == "commissioner":
        names = _usernames(data_path(ctx.data, value or DEFAULT_COMMISSIONER_FIELD)) or []
        if not names and ctx.commissioner:
            names = [ctx.commissioner]
        filer = directory.people.get(ctx.created_by or "")
        if not names and filer is not None and "commissioner" in filer.roles:
            names = [filer.username]
    else:
        names = []
    return [u for u in dict.fromkeys(names) if directory.active(u)]


def personal_name(display_name: str) -> str:
    match = _PERSONAL_NAME.search(display_name or "")
    return match.group(1).strip() if match else (display_name or "").strip()


def is_applicant(person: Person | None, data: dict[str, Any]) -> bool:
    """The 回避 rule of the module docstring."""
    if person is None:
        return False
    if data.get("applicant_username") == person.username:
        return True
    applicant = data.get("applicant")
    names = {
        applicant.get("name") if isinstance(applicant, dict) else None,
        data.get("legal_representative"),
    }
    names = {n.strip() for n in names if isinstance(n, str) and n.strip()}
    own = {personal_name(person.display_name), (person.display_name or "").strip()}
    return bool(names & own)


def required_approvals(mode: str, users: int, ratio: float | None = None) -> int:
    if users <= 0:
        return 0
    if mode in ("single", "any"):
        return 1
    if mode == "ratio":
        return min(users, max(1, math.ceil(round((ratio or 1) * users, 9))))
    return users  # all, sequential


def plan_level(level: dict[str, Any], index: int, ctx: Context, directory: Directory) -> LevelPlan:
    """Resolve one level for a case: condition, assignees, 回避, empty-level fallback."""
    mode = level.get("mode") or "single"
    plan = LevelPlan(
        index=index,
        name=level.get("name") or f"第{index}级",
        mode=mode,
        ratio=level.get("ratio") if mode == "ratio" else None,
        condition=level.get("condition") or None,
        runs=True,
    )
    holds, plan.condition_error = condition_holds(plan.condition, ctx.data)
    if not holds:
        plan.runs, plan.skip_reason = False, "condition_false"
        return plan
    plan.resolved = resolve_rule(level.get("assignees") or {}, ctx, directory)
    plan.removed = [u for u in plan.resolved if is_applicant(directory.people.get(u), ctx.data)]
    plan.users = [u for u in plan.resolved if u not in plan.removed]
    if not plan.users:
        head = directory.heads.get(ctx.department)
        if head and directory.active(head) and not is_applicant(directory.people[head], ctx.data):
            plan.users, plan.fallback = [head], "department_head"
        else:
            plan.users, plan.fallback = [ADMINISTRATOR], "admin"
    plan.required = required_approvals(mode, len(plan.users), plan.ratio)
    return plan


def plan_chain(levels: Iterable[dict[str, Any]], ctx: Context, directory: Directory):
    """Every level resolved for a case: what a preview shows."""
    return [plan_level(level, i, ctx, directory) for i, level in enumerate(levels, start=1)]


def next_level(
    levels: list[dict[str, Any]], after: int, ctx: Context, directory: Directory
) -> tuple[LevelPlan | None, list[LevelPlan]]:
    """The first level after position ``after`` that runs, and the levels skipped on the way."""
    skipped = []
    for index in range(after + 1, len(levels) + 1):
        plan = plan_level(levels[index - 1], index, ctx, directory)
        if plan.runs:
            return plan, skipped
        skipped.append(plan)
    return None, skipped


def level_outcome(mode: str, required: int, total: int, approvals: int, refusals: int) -> str:
    """``approved``, ``refused`` or ``pending`` for a level after a vote.

    In ``ratio`` mode a refusal is a vote: the level is refused only once the approvals can no
    longer reach the threshold. In every other mode one refusal refuses the level.
    """
    if approvals >= required:
        return "approved"
    if mode == "ratio":
        return "refused" if total - refusals < required else "pending"
    return "refused" if refusals else "pending"


def vote_of(data: dict[str, Any]) -> str:
    """A level task's decision: ``reject`` and ``return`` as given, anything else approves."""
    decision = data.get("decision")
    return decision if decision in ("reject", "return") else "approve"
