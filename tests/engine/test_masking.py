"""A monitor's view of personal data (engine/masking.py) over the deployed 企业开办 model: the
fields its forms mark ``"x-personal"`` are masked at any depth, a person's name too."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import masking, models
from engine.uow import UnitOfWork


def _enterprise_fields(sessions: sessionmaker[Session]) -> frozenset[str]:
    with UnitOfWork(sessions) as uow:
        definition = uow.session.scalars(
            select(models.ProcessDefinition)
            .where(models.ProcessDefinition.key == "enterprise_startup")
            .order_by(models.ProcessDefinition.version.desc())
        ).first()
        return masking.personal_fields(definition)


def test_fields_marked_personal_in_the_model_are_masked(sessions) -> None:
    fields = _enterprise_fields(sessions)
    assert "legal_representative" in fields
    assert "business_scope" not in fields
    view = {
        "data": {"legal_representative": "张三丰", "business_scope": "日用百货"},
        "steps": [{"data": {"legal_representative": "李四"}}],
        "applicant": {"kind": "person", "name": "王小明"},
        "agent": {"name": "赵六", "id_number": "330***1234"},
        "applicant_name": "王小明",
    }
    seen = masking.for_monitor(view, fields)
    assert seen["data"] == {"legal_representative": "张**", "business_scope": "日用百货"}
    assert seen["steps"][0]["data"]["legal_representative"] == "李*"
    assert (seen["applicant"]["name"], seen["agent"]["name"], seen["applicant_name"]) == (
        "王**",
        "赵*",
        "王**",
    )
    assert view["data"]["legal_representative"] == "张三丰", "the view itself is left alone"


def test_an_enterprise_name_is_not_masked() -> None:
    view = {"applicant": {"kind": "enterprise", "name": "青山商贸有限公司"}}
    assert masking.for_monitor(view, frozenset()) == view
