"""SMS through a pluggable gateway. The applicant hears of acceptance, of a 补正 notice and of
the finish, each with their case number and — at acceptance and finish — a one-time rating
link; no name, no ID number: only what the message needs, to the phone the case gives.

A gateway is anything with ``name`` and ``send(session, case, phone, kind, text)``. The one
this code base ships is ``RecordingGateway``: it writes the message to the ``sms_message``
outbox (shown at /admin/sms) and sends nothing, which is what the demo and the tests use. A
real gateway is installed with ``use_gateway`` by the deployment, never here.
"""

from __future__ import annotations

import os
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from . import models

PUBLIC_URL = os.environ.get("ONEWINDOW_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
KINDS = {"acceptance": "受理", "supplement": "补正", "finish": "办结"}


class Gateway(Protocol):
    name: str

    def send(
        self, session: Session, case: models.Case | None, phone: str, kind: str, text: str
    ) -> None: ...


_INSERT_MESSAGE = insert(models.SmsMessage)


class RecordingGateway:
    """The outbox: every message kept, none sent."""

    name = "recording"

    def send(
        self, session: Session, case: models.Case | None, phone: str, kind: str, text: str
    ) -> None:
        message = {
            "case_id": case.id if case is not None else None,
            "phone": phone,
            "kind": kind,
            "text": text,
            "gateway": self.name,
        }
        # A Core statement: one ORM mapper fewer in the flush of the step that texts (issue 16)
        session.connection().execute(_INSERT_MESSAGE, message)


_gateway: Gateway = RecordingGateway()


def use_gateway(gateway: Gateway) -> None:
    global _gateway
    _gateway = gateway


def gateway() -> Gateway:
    return _gateway


def rating_url(token: str) -> str:
    return f"{PUBLIC_URL}/pad/{token}"
