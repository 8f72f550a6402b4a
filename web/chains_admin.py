"""审批链配置: administrators edit approval chains in the browser (``/admin/chains/``).

The list shows every chain with the version in force. A chain's page edits its levels — name,
who (rule and value), how (mode, ratio), when (condition) — adds, removes and reorders them,
previews who would approve a case number or sample data (the draft on the page, unsaved), and
saves a new version with a note and an effective time; the version history below says who
saved what, when and why. Everything goes through ``engine/services/chains.py``, the same
service the REST API uses, so the rules and the 422 messages are the same.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import access, models
from engine.chains import MODE_LABELS, MODES, RULE_LABELS, RULES
from engine.errors import BadRequest, DomainError, NotFound, ValidationFailed
from engine.services import chains as chain_service
from engine.services.cases import latest_definition
from engine.services.common import LOCAL_TZ

from .auth import login_required, page_user
from .i18n import gettext as _

bp = Blueprint("chains_admin", __name__, url_prefix="/admin/chains")

_LEVEL_FIELD = re.compile(r"level-(\d+)-(\w+)")
LEVEL_FIELDS = ("name", "rule", "value", "mode", "ratio", "condition", "order", "remove")


@bp.get("/")
@login_required
def chain_list() -> Any:
    with page_user() as (uow, user):
        access.require_role(user, "admin")
        chains = chain_service.list_chains(
            uow,
            user,
            service_item=request.args.get("service_item") or None,
            department=request.args.get("department") or None,
        )
        options = _options(uow)
    return render_template("chains/list.html", chains=chains, filters=request.args, **options)


@bp.get("/new")
@login_required
def new_chain() -> Any:
    key = (request.args.get("key") or "").strip()
    if not chain_service.KEY_PATTERN.fullmatch(key):
        flash(_("审批链标识只能包含字母、数字、点、下划线和连字符"), "error")
        return redirect(url_for("chains_admin.chain_list"))
    args = {k: request.args[k] for k in ("service_item", "department") if request.args.get(k)}
    return redirect(url_for("chains_admin.chain_page", key=key, **args))


@bp.get("/<key>")
@login_required
def chain_page(key: str) -> Any:
    with page_user() as (uow, user):
        access.require_role(user, "admin")
        versions = _versions(uow, user, key)
        wanted = request.args.get("version", type=int)
        base = next((v for v in versions if v["version"] == wanted), None)
        if base is None:
            base = next((v for v in versions if v.get("in_force")), None)
        if base is None and versions:
            base = versions[0]
        form = _form_from_chain(base, request.args)
        options = _options(uow)
    return _render(key, form, versions, options)


@bp.post("/<key>")
@login_required
def chain_post(key: str) -> Any:
    form = _form_from_request()
    action = request.form.get("action", "save")
    preview = None
    errors: dict[str, Any] = {}
    try:
        if action == "preview":
            with page_user() as (uow, user):
                preview = chain_service.preview(uow, user, key, _preview_body(form))
        else:
            with page_user(write=True) as (uow, user):
                saved, _created = chain_service.save_chain(uow, user, key, _save_body(form))
            flash(
                _("已保存审批链 %(key)s 第 %(version)s 版", key=key, version=saved["version"]),
                "success",
            )
            return redirect(url_for("chains_admin.chain_page", key=key))
    except ValidationFailed as failure:
        errors = _errors_of(failure)
        flash(failure.message, "error")
    except (BadRequest, NotFound) as failure:
        errors = {"general": failure.message}
        flash(failure.message, "error")
    with page_user() as (uow, user):
        access.require_role(user, "admin")
        versions = _versions(uow, user, key)
        options = _options(uow)
    status = 422 if errors else 200
    return _render(key, form, versions, options, preview=preview, errors=errors), status


# ----- helpers ---------------------------------------------------------------------------------


def _render(key, form, versions, options, *, preview=None, errors=None) -> str:
    return render_template(
        "chains/edit.html",
        key=key,
        form=form,
        versions=versions,
        preview=preview,
        errors=errors or {},
        rules=[(r, RULE_LABELS[r]) for r in RULES],
        modes=[(m, MODE_LABELS[m]) for m in MODES],
        **options,
    )


def _versions(uow, user, key: str) -> list[dict[str, Any]]:
    try:
        return chain_service.chain_versions(uow, user, key)
    except NotFound:
        return []


def _options(uow) -> dict[str, Any]:
    session = uow.session
    return {
        "departments": session.execute(
            select(models.Department.code, models.Department.name).order_by(models.Department.id)
        ).all(),
        "items": session.execute(
            select(models.ServiceItem.code, models.ServiceItem.name).order_by(
                models.ServiceItem.name
            )
        ).all(),
        "roles": session.execute(
            select(models.Role.code, models.Role.name).order_by(models.Role.id)
        ).all(),
        "users": session.execute(
            select(models.User.username, models.User.display_name)
            .where(models.User.active.is_(True))
            .order_by(models.User.username)
        ).all(),
        "form_fields": _form_fields(uow),
    }


def _form_fields(uow) -> dict[str, list[dict[str, Any]]]:
    """Per service item, the fields its deployed model's forms declare (name, title, type,
    options): what the condition builder offers. An item without a deployed model has none."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in uow.session.scalars(select(models.ServiceItem)):
        try:
            definition = latest_definition(uow, item.process_key)
        except NotFound:
            continue
        files = definition.files or {}
        fields: dict[str, dict[str, Any]] = {}
        for meta in (definition.task_meta or {}).values():
            try:
                schema = json.loads(files.get(meta.get("form") or "", "") or "{}")
            except ValueError:
                continue
            for name, spec in (schema.get("properties") or {}).items():
                if not isinstance(spec, dict):
                    continue
                field = fields.setdefault(
                    name,
                    {
                        "name": name,
                        "title": str(spec.get("title") or name),
                        "type": spec.get("type") or "string",
                        "options": [],
                    },
                )
                known = {o["value"] for o in field["options"]}  # steps may share a field
                field["options"].extend(
                    {"value": o["const"], "title": str(o.get("title") or o["const"])}
                    for o in spec.get("oneOf") or []
                    if isinstance(o, dict) and "const" in o and o["const"] not in known
                )
        found[item.code] = sorted(fields.values(), key=lambda f: f["title"])
    return found


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _form_from_chain(chain: dict[str, Any] | None, args: Any) -> dict[str, Any]:
    levels = []
    for level in (chain or {}).get("levels", []):
        assignees = level.get("assignees") or {}
        levels.append(
            {
                "name": level.get("name", ""),
                "rule": assignees.get("rule", "role"),
                "value": _value_text(assignees.get("value")),
                "mode": level.get("mode", "single"),
                "ratio": "" if level.get("ratio") is None else str(level.get("ratio")),
                "condition": level.get("condition") or "",
            }
        )
    return {
        "service_item": (chain or {}).get("service_item") or args.get("service_item", ""),
        "department": (chain or {}).get("department") or args.get("department", ""),
        "levels": levels or [_blank_level()],
        "note": "",
        "effective_at": "",
        "case_no": "",
        "sample": json.dumps(
            {"registered_capital": 2000, "applicant": {"kind": "enterprise", "name": "示例公司"}},
            ensure_ascii=False,
            indent=2,
        ),
        "base_version": (chain or {}).get("version"),
    }


def _blank_level() -> dict[str, str]:
    return {"name": "", "rule": "role", "value": "", "mode": "single", "ratio": "", "condition": ""}


def _form_from_request() -> dict[str, Any]:
    """The levels as posted (``level-<i>-<field>``), ordered by their 序号, removed ones dropped."""
    raw: dict[int, dict[str, str]] = {}
    for name, value in request.form.items():
        match = _LEVEL_FIELD.fullmatch(name)
        if match and match.group(2) in LEVEL_FIELDS:
            raw.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    levels = []
    for position, (index, fields) in enumerate(sorted(raw.items())):
        if fields.get("remove"):
            continue
        if not any(fields.get(k) for k in ("name", "value", "condition")):
            continue  # the spare blank level
        try:
            order = float(fields.get("order") or position + 1)
        except ValueError:
            order = position + 1
        levels.append((order, index, {k: fields.get(k, "") for k in LEVEL_FIELDS[:6]}))
    levels.sort(key=lambda item: (item[0], item[1]))
    return {
        "service_item": request.form.get("service_item", "").strip(),
        "department": request.form.get("department", "").strip(),
        "levels": [level for _o, _i, level in levels] or [_blank_level()],
        "note": request.form.get("note", "").strip(),
        "effective_at": request.form.get("effective_at", "").strip(),
        "case_no": request.form.get("case_no", "").strip(),
        "sample": request.form.get("sample", ""),
        "base_version": request.form.get("base_version", type=int),
    }


def _levels_body(form: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for level in form["levels"]:
        if not any(level.get(k) for k in ("name", "value", "condition")):
            continue
        value: Any = level["value"] or None
        body: dict[str, Any] = {
            "name": level["name"],
            "assignees": {"rule": level["rule"], "value": value},
            "mode": level["mode"] or "single",
        }
        if level["mode"] == "ratio":
            body["ratio"] = level["ratio"]
        if level["condition"]:
            body["condition"] = level["condition"]
        out.append(body)
    return out


def _save_body(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "levels": _levels_body(form),
        "note": form["note"],
        "department": form["department"] or None,
        "service_item": form["service_item"] or None,
    }
    if form["effective_at"]:
        body["effective_at"] = _local_time(form["effective_at"])
    return body


def _local_time(text: str) -> str:
    """``datetime-local`` input (``2026-05-01T08:00``) → ISO with the service center's offset."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).isoformat()
    except ValueError:
        return text  # the service names the field


def _preview_body(form: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"levels": _levels_body(form), "department": form["department"]}
    if form["case_no"]:
        body["case_no"] = form["case_no"]
        return body
    try:
        data = json.loads(form["sample"] or "{}")
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"样例数据不是合法的 JSON：第 {error.lineno} 行 {error.msg}", {"field": "sample"}
        ) from error
    if not isinstance(data, dict):
        raise BadRequest("样例数据应为 JSON 对象", {"field": "sample"})
    body["data"] = data
    return body


def _errors_of(failure: DomainError) -> dict[str, Any]:
    """Problems by level position (1-based, as the page lists them) and by top-level field."""
    levels: dict[int, list[str]] = {}
    fields: dict[str, str] = {}
    for problem in failure.details.get("problems", []):
        if problem.get("level"):
            levels.setdefault(int(problem["level"]), []).append(problem["message"])
        else:
            field = problem.get("field") or "general"
            fields["levels_field" if field == "levels" else field] = problem["message"]
    if not levels and not fields:
        fields["general"] = failure.message
    return {"levels": levels, **fields}
