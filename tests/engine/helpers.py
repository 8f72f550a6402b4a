"""Story helpers for service-layer tests: act as a demo user in one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from engine import models
from engine.services import cases, materials, tasks
from engine.uow import UnitOfWork

UowFactory = Callable[[], UnitOfWork]

ENTERPRISE = {
    "kind": "enterprise",
    "name": "青山绿水商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91339901MA2H7K3Q05",
    "phone": "13812345678",
}


def user(uow: UnitOfWork, username: str) -> models.User:
    return uow.session.scalars(select(models.User).where(models.User.username == username)).one()


def item_code(uow: UnitOfWork, name: str) -> str:
    return uow.session.scalars(
        select(models.ServiceItem.code).where(models.ServiceItem.name == name)
    ).one()


def start(make_uow: UowFactory, item_name: str, username: str = "window1") -> str:
    """A case at the window with every mandatory material received, ready to accept."""
    with make_uow() as uow:
        started = cases.start_case(uow, user(uow, username), item_code(uow, item_name), ENTERPRISE)
        receive_materials(uow, started.case)
        return started.case.case_no


def receive_materials(uow: UnitOfWork, case: models.Case, username: str = "window1") -> None:
    """The window records every mandatory material on paper: the acceptance rule is met."""
    clerk = user(uow, username)
    for line in materials.item_materials(case.service_item):
        if line["mandatory"]:
            copies = max(line["copies"], 1)
            materials.record_receipt(uow, clerk, case, line["name"], line["originals"], copies)


def open_task(make_uow: UowFactory, case_no: str, name: str) -> str:
    with make_uow() as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        found = [
            t.id
            for t in cases.case_tasks(uow, case)
            if t.name == name and t.state in ("ready", "claimed")
        ]
    assert found, f"no open task {name} in {case_no}"
    return found[0]


def complete(make_uow: UowFactory, username: str, case_no: str, name: str, data: dict) -> Any:
    task_id = open_task(make_uow, case_no, name)
    with make_uow() as uow:
        return tasks.complete(uow, user(uow, username), task_id, data)


def case_row(make_uow: UowFactory, case_no: str) -> models.Case:
    with make_uow() as uow:
        return uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()


def open_names(make_uow: UowFactory, case_no: str) -> list[str]:
    with make_uow() as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return sorted(
            t.name for t in cases.case_tasks(uow, case) if t.state in ("ready", "claimed")
        )


def event_count(make_uow: UowFactory, case_no: str, action: str) -> int:
    """How many ``action`` events the case's history holds."""
    with make_uow() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(models.CaseEvent)
            .join(models.Case, models.Case.id == models.CaseEvent.case_id)
            .where(models.Case.case_no == case_no, models.CaseEvent.action == action)
        )
