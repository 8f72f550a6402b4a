"""What a monitor (服务监督员) sees of a case: personal data masked, always.

Staff see identifiers masked already (views.applicant_view); a monitor, who is outside the
government, also sees a natural person's name masked, the agent's name and every form field whose
schema marks it personal (``"x-personal": true``), wherever it appears in an answer — the case's
data, its steps' data and its history.
"""

from __future__ import annotations

import json
from typing import Any

from . import access, models
from .security import mask

PERSONAL_KEYWORD = "x-personal"


def personal_fields(definition: models.ProcessDefinition) -> frozenset[str]:
    """The names of the properties any form of the model marks personal."""
    found: set[str] = set()
    for file_name, text in (definition.files or {}).items():
        if file_name.endswith(".schema.json"):
            _collect(json.loads(text), found)
    return frozenset(found)


def _collect(schema: Any, found: set[str]) -> None:
    if isinstance(schema, dict):
        for key, value in (schema.get("properties") or {}).items():
            if isinstance(value, dict) and value.get(PERSONAL_KEYWORD):
                found.add(key)
        for value in schema.values():
            _collect(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _collect(value, found)


def name(value: str) -> str:
    """``张三丰`` → ``张**``: enough to tell two applicants apart in a list, no more."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return name(value) if len(value) <= 4 else mask(value, 1, 1)
    return "***" if value not in (None, "") else value


def for_monitor(value: Any, fields: frozenset[str]) -> Any:
    """``value`` (a case, a task, a list row, at any depth) as a monitor may read it: personal
    fields masked, a person's name (an enterprise's is public), an agent's name, and a bare
    ``applicant_name`` (a task row, which does not say whose it is)."""
    if isinstance(value, list):
        return [for_monitor(v, fields) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _masked(v) if k in fields else for_monitor(v, fields) for k, v in value.items()}
    if isinstance(out.get("applicant_name"), str):
        out["applicant_name"] = name(out["applicant_name"])
    applicant = out.get("applicant")
    if isinstance(applicant, dict) and applicant.get("kind") == "person":
        out["applicant"] = {**applicant, "name": name(str(applicant.get("name", "")))}
    agent = out.get("agent")
    if isinstance(agent, dict) and agent.get("name"):
        out["agent"] = {**agent, "name": name(str(agent["name"]))}
    return out


def for_reader(user: models.User, view: Any, fields: frozenset[str] = frozenset()) -> Any:
    """The view as ``user`` may read it: masked for a monitor, as it is for staff."""
    return for_monitor(view, fields) if access.is_monitor(user) else view
