"""What the scheduler runs on each pass: the due BPMN timers (services/timers.py), then the
督办 sweep — yellow and red lights, items the system opens, escalation (services/escalation.py).

Its own module because the sweep reads cases and ratings, which depend on the timer module.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from .escalation import sweep
from .timers import Clock, Scheduler, fire_due

log = logging.getLogger(__name__)


def run_pass(sessions: sessionmaker[Session], clock: Clock) -> int:
    """One pass; returns how many timers fired. A failing part is logged and stops neither
    the other part nor the next pass."""
    fired = 0
    try:
        fired = fire_due(sessions, clock)
    except Exception:  # a bad case must not stop every other timer
        log.exception("timer pass failed")
    try:
        sweep(sessions, clock)
    except Exception:
        log.exception("supervision sweep failed")
    return fired


def start_scheduler(sessions: sessionmaker[Session], clock: Clock, interval: float) -> Scheduler:
    return Scheduler(sessions, clock, interval, run_pass).start()
