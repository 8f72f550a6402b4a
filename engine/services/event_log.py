"""A period's case history as an event log process-mining tools read (过程挖掘): XES (IEEE 1849)
and OCEL 2.0 JSON.

Each completed step (办理环节) of a case is an event: its step name, when it was completed, by
whom and in which department. A case is in the log when one of its steps was completed in the
period (local dates). Event logs name the clerks, so only the center (supervisors and
administrators) exports them. Rows are read in one ordered query and streamed, case by case.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from sqlalchemy import select

from .. import models
from ..errors import Forbidden
from ..uow import UnitOfWork
from .scorecard_rules import Period, period_of
from .scorecards import CENTER_ROLES

XES_NS = "http://www.xes-standard.org/"
# IEEE 1849-2016's schema types ``xes.version`` as xs:decimal, so not "1849-2016".
XES_VERSION = "1849.2016"
XES_EXTENSIONS = (
    ("Concept", "concept"),
    ("Time", "time"),
    ("Lifecycle", "lifecycle"),
    ("Organizational", "org"),
)
# (type, key, default) of the attributes every trace and every event has. org:resource is not
# one: a completed step's clerk may be unrecorded, and the event then has none.
TRACE_GLOBALS = (("string", "concept:name", "__INVALID__"), ("string", "service_item", ""))
EVENT_GLOBALS = (
    ("string", "concept:name", "__INVALID__"),
    ("string", "lifecycle:transition", "complete"),
    ("date", "time:timestamp", "1970-01-01T00:00:00+00:00"),
    ("string", "org:group", ""),
)
BATCH = 1000


@dataclass(frozen=True)
class Step:
    case_no: str
    service_item: str
    task_id: str
    name: str
    department: str
    clerk: str | None
    completed_at: datetime


def _require_center(user: models.User) -> None:
    if not user.role_codes & CENTER_ROLES:
        raise Forbidden("只有督办员和管理员可以导出事件日志", code="event_log_forbidden")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _steps(uow: UnitOfWork, period: Period, service_item: str | None) -> Iterator[Step]:
    """Completed steps of the cases with a step completed in the period, case by case."""
    task, case = models.HumanTask, models.Case
    in_period = select(task.case_id).where(
        task.state == "completed", period.holds(task.completed_at)
    )
    query = (
        select(
            case.case_no,
            case.service_item_code,
            task.id,
            task.name,
            task.department_code,
            task.completed_by,
            task.completed_at,
        )
        .join(case, case.id == task.case_id)
        .where(task.state == "completed", task.completed_at.is_not(None))
        .where(task.case_id.in_(in_period))
        .order_by(case.id, task.completed_at, task.id)
    )
    if service_item:
        query = query.where(case.service_item_code == service_item)
    for row in uow.session.execute(query.execution_options(yield_per=BATCH)):
        yield Step(*row[:6], _utc(row[6]))


def _grouped(steps: Iterator[Step]) -> Iterator[list[Step]]:
    trace: list[Step] = []
    for step in steps:
        if trace and trace[0].case_no != step.case_no:
            yield trace
            trace = []
        trace.append(step)
    if trace:
        yield trace


def _attribute(parent: etree._Element, kind: str, key: str, value: str) -> None:
    etree.SubElement(parent, kind, key=key, value=value)


def xes(
    uow: UnitOfWork, user: models.User, date_from: Any, date_to: Any, service_item: str | None
) -> bytes:
    """The log as XES: one trace per case (``concept:name`` its number), one event per step
    with the concept, lifecycle, time and organizational extensions.

    The header follows IEEE 1849's order (extensions, globals, classifiers, log attributes):
    the attributes every trace and every event carries are declared global, and the
    ``Activity`` classifier (the step name) names what tools take as the activity; a
    classifier's keys must be global event attributes."""
    _require_center(user)
    period = period_of(date_from, date_to)
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="utf-8") as document:
        document.write_declaration()
        with document.element("log", {"xes.version": XES_VERSION, "xmlns": XES_NS}):
            for name, prefix in XES_EXTENSIONS:
                document.write(
                    etree.Element(
                        "extension", name=name, prefix=prefix, uri=f"{XES_NS}{prefix}.xesext"
                    )
                )
            for scope, attributes in (("trace", TRACE_GLOBALS), ("event", EVENT_GLOBALS)):
                declared = etree.Element("global", scope=scope)
                for kind, key, value in attributes:
                    _attribute(declared, kind, key, value)
                document.write(declared)
            document.write(etree.Element("classifier", name="Activity", keys="concept:name"))
            for key, value in (
                ("concept:name", f"OneWindow {period.first.isoformat()}/{period.last.isoformat()}"),
                ("lifecycle:model", "standard"),
            ):
                document.write(etree.Element("string", key=key, value=value))
            for trace_steps in _grouped(_steps(uow, period, service_item)):
                trace = etree.Element("trace")
                _attribute(trace, "string", "concept:name", trace_steps[0].case_no)
                _attribute(trace, "string", "service_item", trace_steps[0].service_item)
                for step in trace_steps:
                    event = etree.SubElement(trace, "event")
                    _attribute(event, "string", "concept:name", step.name)
                    _attribute(event, "string", "lifecycle:transition", "complete")
                    _attribute(event, "date", "time:timestamp", step.completed_at.isoformat())
                    _attribute(event, "string", "org:group", step.department)
                    if step.clerk:
                        _attribute(event, "string", "org:resource", step.clerk)
                document.write(trace)
    return out.getvalue()


def ocel(
    uow: UnitOfWork, user: models.User, date_from: Any, date_to: Any, service_item: str | None
) -> bytes:
    """The log as OCEL 2.0 JSON: objects are the cases, departments and clerks; each step's
    event relates to its case, its department and the clerk who completed it."""
    _require_center(user)
    period = period_of(date_from, date_to)
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    events, event_types = [], set()
    for step in _steps(uow, period, service_item):
        objects.setdefault(
            ("case", step.case_no),
            {
                "id": step.case_no,
                "type": "case",
                "attributes": [
                    {
                        "name": "service_item",
                        "time": "1970-01-01T00:00:00Z",
                        "value": step.service_item,
                    }
                ],
            },
        )
        related = [{"objectId": step.case_no, "qualifier": "case"}]
        objects.setdefault(
            ("department", step.department),
            {"id": f"department:{step.department}", "type": "department", "attributes": []},
        )
        related.append({"objectId": f"department:{step.department}", "qualifier": "department"})
        if step.clerk:
            objects.setdefault(
                ("clerk", step.clerk),
                {"id": f"clerk:{step.clerk}", "type": "clerk", "attributes": []},
            )
            related.append({"objectId": f"clerk:{step.clerk}", "qualifier": "resource"})
        event_types.add(step.name)
        events.append(
            {
                "id": step.task_id,
                "type": step.name,
                "time": step.completed_at.isoformat(),
                "attributes": [],
                "relationships": related,
            }
        )
    log = {
        "objectTypes": [
            {"name": "case", "attributes": [{"name": "service_item", "type": "string"}]},
            {"name": "department", "attributes": []},
            {"name": "clerk", "attributes": []},
        ],
        "eventTypes": [{"name": name, "attributes": []} for name in sorted(event_types)],
        "objects": list(objects.values()),
        "events": events,
    }
    return json.dumps(log, ensure_ascii=False).encode()
