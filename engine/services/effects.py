"""What completing a step does beside the flow, as the step's BPMN properties declare: the
statutory clock, 补正 rounds and the applicant's visits (a step of a case or of an approval
chain's level alike)."""

from __future__ import annotations

from typing import Any

from .. import models
from ..uow import UnitOfWork
from . import clock, sms
from .common import record

ACCEPTING_DECISIONS = ("accept", "approve")
OFF_SITE_CHANNELS = ("网上提交", "邮寄")


def apply_effects(
    uow: UnitOfWork, case: models.Case, meta: dict[str, Any], data: dict[str, Any], now
) -> None:
    """What completing the step does beside the flow, as its BPMN properties declare.

    ``clock``: ``start`` on the intake step starts the clock when the case is taken in (a 即办件
    decided on the spot counts as taken in), never on a supplement notice, and only once — a
    case returned to the window keeps its running clock; ``pause``/``resume`` bracket a 补正
    after acceptance; ``stop`` ends it. A ``supplement`` decision counts a 补正 round; a step
    marked ``visit`` counts the applicant's trip to the window unless the materials came
    online or by post.
    """
    effect = meta.get("clock")
    if effect == "start" and data.get("decision") in ACCEPTING_DECISIONS:
        clock.start(uow, case, now)
    elif effect == "pause" and case.clock_state == "running":
        clock.pause(uow, None, case, "supplement", data.get("reason") or "补正材料")
    elif effect == "resume" and case.clock_state == "paused":
        clock.resume(uow, None, case)
    elif effect == "stop" and case.clock_state in ("running", "paused"):
        case.clock_state = "stopped"
        record(uow, case, "system", "clock_stop")
    if data.get("decision") == "supplement":
        case.supplement_rounds += 1
        sms.tell_applicant(uow, case, "supplement", data.get("missing_materials"))
    if meta.get("visit") and data.get("received_via") not in OFF_SITE_CHANNELS:
        case.visits += 1
