"""What the scheduler runs on each pass: the due BPMN timers (services/timers.py), the 督办
sweep — yellow and red lights, items the system opens, escalation (services/escalation.py) —
the default ratings (默认好评) of finished cases nobody rated, when that setting is on, and the
designer's step stats: the cases that ended since, folded into their sums (services/step_stats.py).

Its own module because the sweep reads cases and ratings, which depend on the timer module.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from ..uow import UnitOfWork
from .escalation import sweep
from .ratings import apply_default_ratings
from .step_stats import fold
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
    try:
        with UnitOfWork(sessions) as uow:
            apply_default_ratings(uow, clock())
    except Exception:  # another scheduler gave them first: the next pass finds none
        log.exception("default ratings failed")
    try:
        with UnitOfWork(sessions) as uow:
            fold(uow)
    except Exception:  # another scheduler folded first: the next pass folds what is left
        log.exception("step stats fold failed")
    return fired


def start_scheduler(sessions: sessionmaker[Session], clock: Clock, interval: float) -> Scheduler:
    return Scheduler(sessions, clock, interval, run_pass).start()
