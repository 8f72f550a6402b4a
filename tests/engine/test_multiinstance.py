"""会签, 或签 and loops through the services, each step as if in a freshly started process.

The stall these guard against only shows in a process that restored the case instead of
creating its instances: ``fresh_process`` empties every per-process cache (restored workflows,
definitions, compiled specs), exactly what a restart or the other gunicorn worker starts with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalogue import read_items, upsert_item
from engine.errors import Forbidden
from engine.services import cases, tasks
from engine.services.models import deploy_model

from . import multiinstance_model as mi
from .helpers import ENTERPRISE, case_row, receive_materials, user
from .process_state import fresh_process

ROOT = Path(__file__).resolve().parents[2]
SIGNERS = ("amr1", "amr_chief", "tax1")


def setup_item(uow, key: str, loop: str, signers: tuple[str, ...] = ()) -> str:
    code = f"TEST-MI-{key.upper()}"
    with uow() as u:
        deploy_model(u, None, key, mi.files(key, loop, signers))
        [guide] = [i for i in read_items(ROOT / "workflows") if i["name"] == "企业开办"]
        upsert_item(u, {**guide, "code": code, "name": f"会签测试 {key}", "process_key": key})
    with uow() as u:
        started = cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case
        receive_materials(u, started)
        case_no = started.case_no
    act(uow, "window1", case_no, "受理", {"decision": "accept"})
    return case_no


def open_steps(uow, case_no: str) -> list:
    with uow() as u:
        case = cases.visible_case(u, user(u, "admin"), case_no)
        return [
            (t.id, t.name, t.assignee, t.candidates)
            for t in cases.case_tasks(u, case, open_only=True)
        ]


def act(uow, username: str, case_no: str, name: str, data: dict, task_id: str | None = None):
    fresh_process()
    if task_id is None:
        task_id = next(t[0] for t in open_steps(uow, case_no) if t[1] == name)
    with uow() as u:
        return tasks.complete(u, user(u, username), task_id, data)


def names(uow, case_no: str) -> list[str]:
    return sorted(t[1] for t in open_steps(uow, case_no))


@pytest.mark.parametrize(
    ("key", "loop", "rounds"),
    [("mi_parallel", mi.PARALLEL_3, 3), ("mi_sequential", mi.SEQUENTIAL_2, 2)],
)
def test_completing_the_last_instance_in_another_process_moves_the_case_on(uow, key, loop, rounds):
    case_no = setup_item(uow, key, loop)
    for _ in range(rounds):
        assert "会签" in names(uow, case_no)
        act(uow, "amr1", case_no, "会签", {"decision": "approve"})
    assert names(uow, case_no) == ["后续"]
    act(uow, "amr1", case_no, "后续", {})
    assert case_row(uow, case_no).status == "finished"


def test_a_standard_loop_repeats_until_its_condition_and_then_moves_on(uow):
    case_no = setup_item(uow, "std_loop", mi.STANDARD_LOOP)
    act(uow, "amr1", case_no, "会签", {"decision": "revise"})
    assert names(uow, case_no) == ["会签"]
    act(uow, "amr1", case_no, "会签", {"decision": "approve"})
    assert names(uow, case_no) == ["后续"]


def test_each_signer_gets_the_instance_made_for_them_and_no_other(uow):
    case_no = setup_item(uow, "mi_users", mi.over_signers(), SIGNERS)
    steps = open_steps(uow, case_no)
    assert sorted(s[2] for s in steps) == sorted(SIGNERS)
    assert all(s[3] == [s[2]] for s in steps)
    chief_task = next(s[0] for s in steps if s[2] == "amr_chief")
    with pytest.raises(Forbidden):
        act(uow, "amr1", case_no, "会签", {"decision": "approve"}, task_id=chief_task)
    for signer, decision in zip(SIGNERS, ("approve", "reject", "approve"), strict=True):
        mine = next(s[0] for s in open_steps(uow, case_no) if s[2] == signer)
        act(uow, signer, case_no, "会签", {"decision": decision}, task_id=mine)
    assert names(uow, case_no) == ["后续"]
    assert sorted(case_row(uow, case_no).data["decisions"]) == ["approve", "approve", "reject"]


def test_a_ratio_condition_ends_the_countersign_at_two_approvals_of_three(uow):
    case_no = setup_item(
        uow,
        "mi_ratio",
        mi.over_signers('decisions.count("approve") * 3 >= nrOfInstances * 2'),
        SIGNERS,
    )
    for signer in ("tax1", "amr_chief"):
        mine = next(s[0] for s in open_steps(uow, case_no) if s[2] == signer)
        act(uow, signer, case_no, "会签", {"decision": "approve"}, task_id=mine)
    assert names(uow, case_no) == ["后续"], "amr1's instance closes once 2 of 3 approved"
    assert case_row(uow, case_no).data["decisions"] == ["approve", "approve"]


def test_any_approval_closes_an_or_sign(uow):
    case_no = setup_item(uow, "mi_any", mi.over_signers('decision == "approve"'), SIGNERS)
    mine = next(s[0] for s in open_steps(uow, case_no) if s[2] == "amr1")
    act(uow, "amr1", case_no, "会签", {"decision": "reject"}, task_id=mine)
    assert len(open_steps(uow, case_no)) == 2
    mine = next(s[0] for s in open_steps(uow, case_no) if s[2] == "tax1")
    act(uow, "tax1", case_no, "会签", {"decision": "approve"}, task_id=mine)
    assert names(uow, case_no) == ["后续"]


def test_a_countersign_reached_again_after_a_return_collects_afresh(uow):
    case_no = setup_item(uow, "mi_again", mi.over_signers(sequential=True), SIGNERS[:2])
    act(uow, "amr1", case_no, "会签", {"decision": "return"})
    act(uow, "amr_chief", case_no, "会签", {"decision": "approve"})
    assert names(uow, case_no) == ["修改"]
    act(uow, "window1", case_no, "修改", {})
    act(uow, "amr1", case_no, "会签", {"decision": "approve"})
    act(uow, "amr_chief", case_no, "会签", {"decision": "approve"})
    assert names(uow, case_no) == ["后续"]
    assert case_row(uow, case_no).data["decisions"] == ["approve", "approve"]


def test_the_cache_of_a_live_process_agrees_with_a_fresh_one(uow):
    """The same steps without a restart in between (the cached run) end the same way."""
    case_no = setup_item(uow, "mi_cached", mi.PARALLEL_3)
    for _ in range(3):
        task_id = next(t[0] for t in open_steps(uow, case_no) if t[1] == "会签")
        with uow() as u:
            tasks.complete(u, user(u, "amr1"), task_id, {"decision": "approve"})
    assert names(uow, case_no) == ["后续"]
