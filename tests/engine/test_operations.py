"""Task operations and notifications on the demo models, run on SQLite and PostgreSQL.

退回 into one branch of 企业开办's parallel section (刻制印章 / 发票申领 / 社保登记 → 出件) is the
case SpiffWorkflow's ``reset_from_task_id`` alone gets wrong: the join had fired through the
branch that arrived last, so 出件 stayed open beside the reopened branch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine import models
from engine.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from engine.services import attachments, cases, notifications, operations, signing, tasks
from engine.services import comments as comment_service
from engine.services import copies as copy_service

from .helpers import case_row, start, user

LICENCE = {
    "company_name": "青山绿水商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}
PARALLEL = {
    "刻制印章": ("psb1", {"seal_count": 4, "seal_maker": "县公章刻制中心"}),
    "发票申领": ("tax1", {"invoice_type": "数电发票（普通发票）", "invoice_quantity": 25}),
    "社保登记": ("hrss1", {"insured_count": 5}),
}
DELIVERY = {"delivery_method": "窗口领取", "recipient": "张三"}


# ----- story helpers ---------------------------------------------------------------------------


def rows(make_uow, case_no: str) -> list[models.HumanTask]:
    with make_uow() as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return cases.case_tasks(uow, case)


def open_rows(make_uow, case_no: str, states=("ready", "claimed")) -> list[models.HumanTask]:
    return [t for t in rows(make_uow, case_no) if t.state in states]


def opened(make_uow, case_no: str) -> list[str]:
    return sorted(t.name for t in open_rows(make_uow, case_no))


def task_of(make_uow, case_no: str, name: str, states=("ready", "claimed")) -> models.HumanTask:
    """The open row of a step, or of a level of that step's approval chain."""
    found = [
        t
        for t in open_rows(make_uow, case_no, states)
        if t.name == name or t.name.startswith(f"{name} · ")
    ]
    assert found, f"no open {name}: {opened(make_uow, case_no)}"
    return found[0]


def do(make_uow, username: str, case_no: str, name: str, data: dict):
    task_id = task_of(make_uow, case_no, name).id
    with make_uow() as uow:
        return tasks.complete(uow, user(uow, username), task_id, data)


def act(make_uow, username: str, operation, *args):
    with make_uow() as uow:
        return operation(uow, user(uow, username), *args)


def events(make_uow, case_no: str, action: str) -> list[models.CaseEvent]:
    with make_uow() as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return list(
            uow.session.scalars(
                select(models.CaseEvent)
                .where(models.CaseEvent.case_id == case.id, models.CaseEvent.action == action)
                .order_by(models.CaseEvent.id)
            )
        )


def inbox_notes(make_uow, username: str, case_no: str, kind: str) -> list[models.Notification]:
    with make_uow() as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        return list(
            uow.session.scalars(
                select(models.Notification)
                .where(
                    models.Notification.username == username,
                    models.Notification.case_id == case.id,
                    models.Notification.kind == kind,
                )
                .order_by(models.Notification.id)
            )
        )


def to_licence_review(make_uow) -> str:
    case_no = start(make_uow, "企业开办")
    do(make_uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    do(make_uow, "amr1", case_no, "营业执照承办", LICENCE)
    return case_no


def to_parallel(make_uow) -> str:
    case_no = to_licence_review(make_uow)
    do(make_uow, "amr_chief", case_no, "营业执照审核", {"decision": "approve", "opinion": "同意"})
    assert opened(make_uow, case_no) == ["刻制印章", "发票申领", "社保登记"]
    return case_no


def to_delivery(make_uow) -> str:
    case_no = to_parallel(make_uow)
    for name, (username, data) in PARALLEL.items():
        do(make_uow, username, case_no, name, data)
    assert opened(make_uow, case_no) == ["出件"]
    return case_no


# ----- 退回 -------------------------------------------------------------------------------------


def test_return_targets_are_the_steps_behind_the_task_not_its_parallel_siblings(uow):
    case_no = to_parallel(uow)
    do(uow, "tax1", case_no, "发票申领", PARALLEL["发票申领"][1])
    seal = task_of(uow, case_no, "刻制印章")
    names = [t["name"] for t in act(uow, "psb1", operations.return_targets, seal.id)]
    assert names == ["受理", "营业执照承办", "营业执照审核"], "发票申领 runs beside it"

    for name in ("刻制印章", "社保登记"):
        username, data = PARALLEL[name]
        do(uow, username, case_no, name, data)
    delivery = task_of(uow, case_no, "出件")
    targets = act(uow, "window1", operations.return_targets, delivery.id)
    assert [t["name"] for t in targets] == [
        "受理",
        "营业执照承办",
        "营业执照审核",
        "发票申领",
        "刻制印章",
        "社保登记",
    ], "every branch merged into the join is behind 出件, in the order they were done"
    invoice = next(t for t in targets if t["name"] == "发票申领")
    assert (invoice["to"], invoice["department"], invoice["completed_by"]) == (
        "invoice",
        "tax",
        "tax1",
    )


@pytest.mark.parametrize("branch", ["刻制印章", "发票申领", "社保登记"])
def test_return_into_one_parallel_branch_reopens_only_it_and_the_join_waits(uow, branch):
    """Whichever branch the join fired under, only the chosen one reopens; 出件 waits for it."""
    case_no = to_delivery(uow)
    delivery = task_of(uow, case_no, "出件")
    username, data = PARALLEL[branch]
    to = {"刻制印章": "seal", "发票申领": "invoice", "社保登记": "social_insurance"}[branch]
    result = act(uow, "window1", operations.return_task, delivery.id, to, "发票数量填写有误")

    assert opened(uow, case_no) == [branch], "the other branches stay done, 出件 waits"
    reopened = task_of(uow, case_no, branch)
    assert result["task"]["id"] == reopened.id
    assert (reopened.state, reopened.assignee) == ("claimed", username), "back to who did it"
    assert reopened.data == data, "the earlier submission is the draft"
    old = [t for t in rows(uow, case_no) if t.name == branch and t.state == "completed"]
    assert len(old) == 1 and old[0].id != reopened.id, "the first pass stays in the history"
    with uow() as u:
        assert u.session.get(models.HumanTask, delivery.id).state == "cancelled"
        view = tasks.get_task(u, user(u, username), reopened.id)
        assert view["can_complete"] and view["data"]["seal_count" if to == "seal" else "case_no"]
    [event] = events(uow, case_no, "return")
    assert (event.actor, event.task_id) == ("window1", reopened.id)
    assert event.detail["reason"] == "发票数量填写有误" and event.detail["closed"] == ["出件"]
    [note] = inbox_notes(uow, username, case_no, "returned")
    assert "发票数量填写有误" in note.message and note.task_id == reopened.id
    with uow() as u:
        ops = operations.task_operations(u, user(u, username), reopened.id)
    assert ops["returned"]["reason"] == "发票数量填写有误" and ops["returned"]["by"] == "window1"

    do(uow, username, case_no, branch, data)
    assert opened(uow, case_no) == ["出件"], "the join fires again with all three branches"
    case = case_row(uow, case_no)
    assert {"seal_count", "invoice_quantity", "insured_count"} <= set(case.data)
    do(uow, "window1", case_no, "出件", DELIVERY)
    case = case_row(uow, case_no)
    assert (case.status, case.result) == ("finished", "0")


def test_return_to_a_step_before_the_split_closes_every_branch(uow):
    case_no = to_parallel(uow)
    do(uow, "tax1", case_no, "发票申领", PARALLEL["发票申领"][1])
    seal = task_of(uow, case_no, "刻制印章")
    act(uow, "psb1", operations.return_task, seal.id, "licence_handle", "经营范围需调整")
    assert opened(uow, case_no) == ["营业执照承办"]
    states = {t.name: t.state for t in rows(uow, case_no) if t.name in ("刻制印章", "社保登记")}
    assert states == {"刻制印章": "cancelled", "社保登记": "cancelled"}
    case = case_row(uow, case_no)
    assert "business_scope" not in case.data, "the data is as it was before the step"
    do(uow, "amr1", case_no, "营业执照承办", LICENCE)
    do(uow, "amr_chief", case_no, "营业执照审核", {"decision": "approve", "opinion": "同意"})
    assert opened(uow, case_no) == ["刻制印章", "发票申领", "社保登记"]


def test_return_is_only_to_a_passed_step_by_who_may_complete_an_open_task(uow):
    case_no = to_licence_review(uow)
    handle = task_of(uow, case_no, "营业执照承办", states=("completed",))
    review = task_of(uow, case_no, "营业执照审核")
    with pytest.raises(ValidationFailed) as caught:
        act(uow, "amr_chief", operations.return_task, review.id, "seal", "还没到")
    assert caught.value.details["targets"] == ["intake", "licence_handle"]
    with pytest.raises(ValidationFailed):
        act(uow, "amr_chief", operations.return_task, review.id, "intake", "  ")
    with pytest.raises(Forbidden):
        act(uow, "amr1", operations.return_task, review.id, "intake", "不是我的")
    with pytest.raises(NotFound):
        act(uow, "tax1", operations.return_task, review.id, "intake", "看不到")
    with pytest.raises(Conflict):
        act(uow, "amr1", operations.return_task, handle.id, "intake", "已办完")
    assert events(uow, case_no, "return") == []


# ----- 转办 and 委派 ----------------------------------------------------------------------------


def test_transfer_to_a_candidate_colleague(uow):
    case_no = start(uow, "企业开办")
    intake = task_of(uow, case_no, "受理")
    with pytest.raises(ValidationFailed):
        act(uow, "window1", operations.transfer, intake.id, "amr1", "")  # another department
    act(uow, "window1", operations.transfer, intake.id, "window2", "我明天休假")
    with uow() as u:
        row = u.session.get(models.HumanTask, intake.id)
        assert (row.assignee, row.state) == ("window2", "claimed")
    with pytest.raises(Forbidden):
        act(uow, "window1", operations.transfer, intake.id, "window1", "拿回来")
    [event] = events(uow, case_no, "transfer")
    assert event.detail == {
        "from": "window1",
        "to": "window2",
        "reason": "我明天休假",
        "comment": "我明天休假",
    }
    [note] = inbox_notes(uow, "window2", case_no, "transferred")
    assert "我明天休假" in note.message

    handle_case = to_licence_review(uow)
    review = task_of(uow, handle_case, "营业执照审核")
    with pytest.raises(ValidationFailed):  # amr1 is a reviewer, not in the approver slot
        act(uow, "amr_chief", operations.transfer, review.id, "amr1", "")


def test_a_delegated_task_comes_back_to_its_owner_who_completes_it(uow):
    case_no = start(uow, "企业开办")
    do(uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    handle = task_of(uow, case_no, "营业执照承办")
    act(uow, "amr1", tasks.claim, handle.id)
    act(uow, "amr1", operations.delegate, handle.id, "amr_chief", "请先帮我审一下")
    with uow() as u:
        row = u.session.get(models.HumanTask, handle.id)
        assert (row.owner, row.assignee, row.state) == ("amr1", "amr_chief", "claimed")
    assert inbox_notes(uow, "amr_chief", case_no, "delegated")
    with pytest.raises(Conflict):
        do(uow, "amr1", case_no, "营业执照承办", LICENCE)  # the owner waits for the delegate
    with pytest.raises(Conflict):
        act(uow, "amr_chief", operations.delegate, handle.id, "amr1", "")

    draft = {**LICENCE, "opinion": "经营范围表述需规范"}
    back = do(uow, "amr_chief", case_no, "营业执照承办", draft)
    assert back.next_tasks == [] and opened(uow, case_no) == ["营业执照承办"], "not completed"
    with uow() as u:
        row = u.session.get(models.HumanTask, handle.id)
        assert (row.owner, row.assignee, row.state) == (None, "amr1", "claimed")
        assert row.data == draft
        assert (
            tasks.get_task(u, user(u, "amr1"), handle.id)["data"]["opinion"] == "经营范围表述需规范"
        )
    [resolved] = events(uow, case_no, "delegate_resolve")
    assert resolved.actor == "amr_chief" and resolved.detail["data"] == draft
    assert inbox_notes(uow, "amr1", case_no, "delegated")

    do(uow, "amr1", case_no, "营业执照承办", LICENCE)
    assert task_of(uow, case_no, "营业执照审核")
    [done] = [e for e in events(uow, case_no, "complete") if e.task_id == handle.id]
    assert done.actor == "amr1"


def test_a_delegate_of_another_department_may_read_the_case(uow):
    case_no = start(uow, "企业开办")
    intake = task_of(uow, case_no, "受理")
    with pytest.raises(NotFound):
        act(uow, "tax1", cases.get_case, case_no)
    act(uow, "window1", operations.delegate, intake.id, "tax1", "请核一下税务信息")
    assert act(uow, "tax1", cases.get_case, case_no)["case_no"] == case_no
    act(uow, "tax1", tasks.complete, intake.id, {"decision": "accept", "materials_checked": True})
    assert opened(uow, case_no) == ["受理"], "back with window1"


# ----- 加签 and 减签 ----------------------------------------------------------------------------


def test_add_sign_before_the_task_waits_for_the_signers(uow):
    case_no = start(uow, "企业开办")
    intake = task_of(uow, case_no, "受理")
    result = act(uow, "window1", signing.add_sign, intake.id, ["window2"], "before")
    [signer] = result["signers"]
    assert (signer["assignee"], signer["state"], signer["name"]) == (
        "window2",
        "claimed",
        "受理（加签）",
    )
    with uow() as u:
        assert u.session.get(models.HumanTask, intake.id).state == "waiting_sign"
    with pytest.raises(Conflict):
        act(uow, "window1", tasks.complete, intake.id, {"decision": "accept"})
    assert opened(uow, case_no) == ["受理（加签）"]
    with pytest.raises(ValidationFailed):
        act(uow, "window2", tasks.complete, signer["id"], {"decision": "maybe"})
    act(
        uow, "window2", tasks.complete, signer["id"], {"decision": "approve", "opinion": "材料齐全"}
    )
    with uow() as u:
        row = u.session.get(models.HumanTask, intake.id)
        assert (row.state, row.assignee) == ("claimed", "window1")
        ops = operations.task_operations(u, user(u, "window1"), intake.id)
    assert ops["signs"][0]["decision"] == "approve" and ops["signs"][0]["opinion"] == "材料齐全"
    assert inbox_notes(uow, "window1", case_no, "signed")
    do(uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    assert opened(uow, case_no) == ["营业执照承办"]
    [sign] = events(uow, case_no, "sign")
    assert sign.detail["opinion"] == "材料齐全"


def test_add_sign_after_the_step_completes_only_once_the_signers_approved(uow):
    case_no = start(uow, "企业开办")
    intake = task_of(uow, case_no, "受理")
    act(uow, "window1", signing.add_sign, intake.id, ["window2"], "after")
    assert opened(uow, case_no) == ["受理"], "the signer waits for the assignee"
    with pytest.raises(ValidationFailed):
        act(uow, "window1", signing.add_sign, intake.id, ["window2"], "after")
    submitted = {"decision": "accept", "materials_checked": True}
    done = do(uow, "window1", case_no, "受理", submitted)
    assert [t.name for t in done.next_tasks] == ["受理（加签）"]
    assert opened(uow, case_no) == ["受理（加签）"], "the workflow task is not completed yet"
    signer = task_of(uow, case_no, "受理（加签）")
    act(uow, "window2", tasks.complete, signer.id, {"decision": "reject", "opinion": "缺公章"})
    with uow() as u:
        row = u.session.get(models.HumanTask, intake.id)
        assert (row.state, row.assignee, row.data) == ("claimed", "window1", submitted)

    do(uow, "window1", case_no, "受理", submitted)  # asks the signer again
    signer = task_of(uow, case_no, "受理（加签）")
    finished = act(uow, "window2", tasks.complete, signer.id, {"decision": "approve"})
    assert [t.name for t in finished.next_tasks] == ["营业执照承办"]
    with uow() as u:
        row = u.session.get(models.HumanTask, intake.id)
        assert (row.state, row.completed_by) == ("completed", "window1")
    assert [e.detail["decision"] for e in events(uow, case_no, "sign")] == ["reject", "approve"]


def test_remove_sign_cancels_a_signer_and_the_task_resumes_when_none_is_left(uow):
    case_no = start(uow, "企业开办")
    intake = task_of(uow, case_no, "受理")
    act(uow, "window1", signing.add_sign, intake.id, ["window2", "amr1"], "before")
    with pytest.raises(Conflict):  # the task waits: nothing more to add before it
        act(uow, "window1", signing.add_sign, intake.id, ["window2"], "before")
    with pytest.raises(Forbidden):
        act(uow, "window2", signing.remove_sign, intake.id, ["amr1"])
    act(uow, "window1", signing.remove_sign, intake.id, ["amr1"])
    assert opened(uow, case_no) == ["受理（加签）"]
    with uow() as u:
        assert u.session.get(models.HumanTask, intake.id).state == "waiting_sign"
    act(uow, "window1", signing.remove_sign, intake.id, ["window2"])
    with uow() as u:
        assert u.session.get(models.HumanTask, intake.id).state == "claimed"
    assert opened(uow, case_no) == ["受理"]
    removed = [t for t in rows(uow, case_no) if t.role == "sign_before"]
    assert {(t.assignee, t.state, t.outcome) for t in removed} == {
        ("window2", "cancelled", "removed"),
        ("amr1", "cancelled", "removed"),
    }
    assert len(events(uow, case_no, "remove_sign")) == 2


def test_an_added_signer_stays_while_other_branches_move(uow):
    case_no = to_parallel(uow)
    seal = task_of(uow, case_no, "刻制印章")
    act(uow, "psb1", signing.add_sign, seal.id, ["hrss1"], "before")
    do(uow, "tax1", case_no, "发票申领", PARALLEL["发票申领"][1])
    assert opened(uow, case_no) == ["刻制印章（加签）", "社保登记"]
    signer = task_of(uow, case_no, "刻制印章（加签）")
    act(uow, "hrss1", tasks.complete, signer.id, {"decision": "approve"})
    assert opened(uow, case_no) == ["刻制印章", "社保登记"]


# ----- 撤回 -------------------------------------------------------------------------------------


def test_withdraw_while_the_next_step_is_untouched(uow):
    case_no = start(uow, "企业开办")
    intake = task_of(uow, case_no, "受理")
    do(uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    handle = task_of(uow, case_no, "营业执照承办")
    with pytest.raises(Forbidden):
        act(uow, "window2", operations.withdraw, intake.id)
    with uow() as u:
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        assert [t["name"] for t in operations.withdrawable(u, user(u, "window1"), case)] == ["受理"]
    act(uow, "window1", operations.withdraw, intake.id)
    assert opened(uow, case_no) == ["受理"]
    reopened = task_of(uow, case_no, "受理")
    assert reopened.id == intake.id and (reopened.state, reopened.assignee) == (
        "claimed",
        "window1",
    )
    with uow() as u:
        assert u.session.get(models.HumanTask, handle.id).state == "cancelled"
    [event] = events(uow, case_no, "withdraw")
    assert event.detail["closed"] == ["营业执照承办"]
    assert len(inbox_notes(uow, "window2", case_no, "new_task")) == 1, "only when it first came"

    do(uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    handle = task_of(uow, case_no, "营业执照承办")
    act(uow, "amr1", tasks.claim, handle.id)
    with pytest.raises(Conflict) as caught:
        act(uow, "window1", operations.withdraw, intake.id)
    assert caught.value.code == "next_step_touched"
    act(uow, "amr1", tasks.unclaim, handle.id)
    with pytest.raises(Conflict):  # claimed and let go is still touched: an event of a person
        act(uow, "window1", operations.withdraw, intake.id)


def test_withdraw_in_a_parallel_branch_after_the_join_fired(uow):
    case_no = to_delivery(uow)
    seal = next(t for t in rows(uow, case_no) if t.name == "刻制印章")
    act(uow, "psb1", operations.withdraw, seal.id)
    assert opened(uow, case_no) == ["刻制印章"]
    do(uow, "psb1", case_no, "刻制印章", PARALLEL["刻制印章"][1])
    assert opened(uow, case_no) == ["出件"]
    do(uow, "window1", case_no, "出件", DELIVERY)
    assert case_row(uow, case_no).status == "finished"
    with pytest.raises(Conflict):
        act(uow, "window1", operations.withdraw, task_of(uow, case_no, "出件", ("completed",)).id)


# ----- 催办, 抄送 and notifications ------------------------------------------------------------


def test_urge_notifies_the_candidates_then_the_assignee(uow):
    case_no = start(uow, "企业开办")
    do(uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    handle = task_of(uow, case_no, "营业执照承办")
    result = act(uow, "window1", operations.urge, handle.id, "申请人在窗口等候")
    assert result["notified"] == ["amr1"], "the reviewers of 市场监督管理局"
    act(uow, "amr1", tasks.claim, handle.id)
    act(uow, "office1", operations.urge, handle.id, "")
    assert len(inbox_notes(uow, "amr1", case_no, "urged")) == 2
    assert [e.actor for e in events(uow, case_no, "urge")] == ["window1", "office1"]
    with pytest.raises(NotFound):
        act(uow, "nr1", operations.urge, handle.id, "看不到这个办件")


def test_cc_lets_the_user_read_the_case_and_lists_it(uow):
    case_no = start(uow, "企业开办")
    with pytest.raises(NotFound):
        act(uow, "designer1", cases.get_case, case_no)
    act(uow, "window1", copy_service.copy_case, case_no, ["designer1", "commissioner1"], "供参阅")
    assert act(uow, "designer1", cases.get_case, case_no)["case_no"] == case_no
    assert act(uow, "commissioner1", cases.get_case, case_no)["case_no"] == case_no
    with uow() as u:
        items, total = copy_service.list_copies(u, user(u, "designer1"), per_page=200)
    mine = [c for c in items if c["case_no"] == case_no]
    assert total >= 1 and mine[0]["copied_by"] == "window1" and mine[0]["note"] == "供参阅"
    assert not mine[0]["read"]
    assert act(uow, "designer1", copy_service.read_copy, mine[0]["id"])["read"]
    with pytest.raises(NotFound):
        act(uow, "tax1", copy_service.read_copy, mine[0]["id"])
    assert inbox_notes(uow, "designer1", case_no, "cc")
    with pytest.raises(ValidationFailed):
        act(uow, "window1", copy_service.copy_case, case_no, ["nobody"], "")
    with pytest.raises(ValidationFailed, match="nr1"):  # 自然资源局 takes no part in the case
        act(uow, "designer1", copy_service.copy_case, case_no, ["nr1"], "")
    with pytest.raises(Forbidden):
        act(uow, "monitor1", copy_service.copy_case, case_no, ["office1"], "")


def test_a_new_department_task_notifies_its_candidates_once(uow):
    case_no = start(uow, "企业开办")
    assert inbox_notes(uow, "window1", case_no, "new_task")
    assert inbox_notes(uow, "window2", case_no, "new_task")
    do(uow, "window1", case_no, "受理", {"decision": "accept", "materials_checked": True})
    [note] = inbox_notes(uow, "amr1", case_no, "new_task")
    assert "营业执照承办" in note.message
    assert not inbox_notes(uow, "amr_chief", case_no, "new_task"), "not in the reviewer slot"
    with uow() as u:
        items, _ = notifications.list_notifications(u, user(u, "amr1"), unread=True, per_page=200)
        assert any(i["id"] == note.id for i in items)
        notifications.mark_read(u, user(u, "amr1"), note.id)
    with uow() as u:
        items, _ = notifications.list_notifications(u, user(u, "amr1"), unread=True, per_page=200)
        assert all(i["id"] != note.id for i in items)
        with pytest.raises(NotFound):
            notifications.mark_read(u, user(u, "amr_chief"), note.id)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, username: str, message: str) -> None:
        self.sent.append((username, message))


def test_outbound_channels_send_after_commit_only(uow):
    recorder = Recorder()
    previous = notifications.set_channels([recorder])
    try:
        case_no = start(uow, "企业开办")
        intake = task_of(uow, case_no, "受理")
        act(uow, "window1", operations.transfer, intake.id, "window2", "请接手")
        assert recorder.sent[-1][0] == "window2" and "请接手" in recorder.sent[-1][1]
        count = len(recorder.sent)
        with pytest.raises(RuntimeError), uow() as u:
            operations.urge(u, user(u, "window2"), intake.id, "回滚")
            raise RuntimeError("the unit of work rolls back")
        assert len(recorder.sent) == count, "nothing sent for a rolled-back operation"
    finally:
        notifications.set_channels(previous)
    assert isinstance(notifications.channels()[0], notifications.LoggingChannel)


# ----- 意见与附件 ------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def docx_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_comments_keep_their_files_on_disk_by_hash(uow, tmp_path: Path):
    case_no = start(uow, "企业开办")
    uploads = [
        attachments.Upload("意见.pdf", PDF),
        attachments.Upload("核查表.docx", docx_bytes()),
    ]
    with uow() as u:
        view = comment_service.add_comment(
            u, user(u, "window1"), case_no, "材料已核", uploads, tmp_path
        )
    assert [f["content_type"] for f in view["files"]] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    with uow() as u:
        path, name, kind = comment_service.comment_file(
            u, user(u, "window1"), case_no, view["id"], 1, tmp_path
        )
        assert path.read_bytes() == PDF and name == "意见.pdf" and kind == "application/pdf"
        assert path.parent.parent == tmp_path
        items, total = comment_service.list_comments(u, user(u, "window2"), case_no)
        assert total == 1 and items[0]["text"] == "材料已核"
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        assert "意见.pdf" not in str(case.workflow), "files stay out of the workflow state"
    [event] = events(uow, case_no, "comment")
    assert event.detail["files"] == ["意见.pdf", "核查表.docx"]

    def refused(filename: str, data: bytes) -> DomainError:
        with pytest.raises(DomainError) as caught, uow() as u:
            comment_service.add_comment(
                u,
                user(u, "window1"),
                case_no,
                "x",
                [attachments.Upload(filename, data)],
                tmp_path,
            )
        return caught.value

    assert refused("big.pdf", PDF + b"0" * (10 * 1024 * 1024)).status == 413
    assert refused("tool.exe", b"MZ\x90\x00").status == 415
    assert refused("renamed.docx", PDF).status == 415
    assert refused("zip.docx", b"PK\x03\x04 not really a zip").status == 415
    assert refused("empty.pdf", b"").status == 422
    with pytest.raises(ValidationFailed), uow() as u:
        comment_service.add_comment(u, user(u, "window1"), case_no, "  ", [], tmp_path)
    with pytest.raises(NotFound), uow() as u:
        comment_service.list_comments(u, user(u, "nr1"), case_no)


# ----- with approval chains (services/chains.py) -----------------------------------------------


def test_return_to_an_approval_chain_step_starts_its_levels_again(uow):
    case_no = to_delivery(uow)
    delivery = task_of(uow, case_no, "出件")
    act(uow, "window1", operations.return_task, delivery.id, "licence_approve", "需局长复核")
    [level] = open_rows(uow, case_no)
    assert level.name.startswith("营业执照审核 · ") and level.parent_id, "a level row again"
    states = {t.state for t in rows(uow, case_no) if t.name in PARALLEL}
    assert states == {"completed"}, "the first pass stays as history, none is open"
    [event] = events(uow, case_no, "return")
    assert event.task_id == level.parent_id, "the reason is on the step"
    assert event.detail["to"] == "licence_approve" and event.detail["reason"] == "需局长复核"
    assert inbox_notes(uow, "amr_chief", case_no, "returned")
    do(uow, "amr_chief", case_no, "营业执照审核", {"decision": "approve", "opinion": "同意"})
    assert opened(uow, case_no) == ["刻制印章", "发票申领", "社保登记"]


def test_add_sign_on_an_approval_chain_level(uow):
    case_no = to_licence_review(uow)
    level = task_of(uow, case_no, "营业执照审核")
    act(uow, "amr_chief", tasks.claim, level.id)
    act(uow, "amr_chief", signing.add_sign, level.id, ["amr1"], "before")
    with uow() as u:
        assert u.session.get(models.HumanTask, level.id).state == "waiting_sign"
    signer = task_of(uow, case_no, "营业执照审核", states=("claimed",))
    assert signer.role == "sign_before" and signer.assignee == "amr1"
    act(uow, "amr1", tasks.complete, signer.id, {"decision": "approve", "opinion": "可以"})
    do(uow, "amr_chief", case_no, "营业执照审核", {"decision": "approve", "opinion": "同意"})
    assert opened(uow, case_no) == ["刻制印章", "发票申领", "社保登记"]
