"""Approval chains: pure resolution, then chains running in cases (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from engine import access, models
from engine.catalogue import read_items, upsert_item
from engine.chains import (
    Context,
    Directory,
    Person,
    level_outcome,
    plan_chain,
    plan_level,
    required_approvals,
    validate_levels,
)
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.services import cases, chains, tasks
from engine.services.models import deploy_model

from ..conftest import ROOT
from .helpers import ENTERPRISE, case_row, complete, start, user

# ----- pure: validation and resolution -----------------------------------------------------------

PEOPLE = {
    p.username: p
    for p in [
        Person("amr1", "市场监管审查员（赵敏）", "amr", frozenset({"reviewer"})),
        Person("amr_chief", "市场监管科长（钱伟）", "amr", frozenset({"approver"})),
        Person("amr_deputy", "副科长（孙七）", "amr", frozenset({"approver"})),
        Person("amr_gone", "已离职（周八）", "amr", frozenset({"approver"}), active=False),
        Person("psb1", "公安局办事员（孙丽）", "psb", frozenset({"reviewer", "approver"})),
        Person("commissioner1", "企业服务专员（蒋华）", "window", frozenset({"commissioner"})),
        Person("admin", "系统管理员", "office", frozenset({"admin"})),
    ]
}
ORG = Directory(
    people=PEOPLE,
    heads={"amr": "amr_chief", "psb": "psb1", "tax": None},
    departments={"amr": "amr", "市场监督管理局": "amr", "psb": "psb", "tax": "tax"},
    roles=frozenset({"reviewer", "approver", "admin", "commissioner"}),
)


def level(rule: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"name": extra.pop("name", "审核"), "assignees": {"rule": rule, "value": value}, **extra}


def test_valid_levels_are_normalised():
    clean, problems = validate_levels(
        [
            level("role", "approver", name=" 科长审核 "),
            level("department_head", "市场监督管理局"),
            level("users", "amr_chief, psb1", mode="all"),
            level("data_field", "contacts.approver", mode="ratio", ratio="0.5"),
            level("commissioner", condition=" registered_capital >= 1000 "),
        ],
        ORG,
    )
    assert problems == []
    assert clean[0] == {
        "name": "科长审核",
        "assignees": {"rule": "role", "value": "approver"},
        "mode": "single",
    }
    assert clean[1]["assignees"]["value"] == "amr"
    assert clean[2]["assignees"]["value"] == ["amr_chief", "psb1"]
    assert clean[3]["ratio"] == 0.5
    assert clean[4]["condition"] == "registered_capital >= 1000"


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (level("boss", "x"), "assignees.rule", "未知的审批人规则"),
        (level("role"), "assignees.value", "缺少角色"),
        (level("role", "chief"), "assignees.value", "未知的角色 'chief'"),
        (level("users", []), "assignees.value", "缺少人员"),
        (level("users", ["amr_chief", "nobody"]), "assignees.value", "nobody"),
        (level("users", ["amr_gone"]), "assignees.value", "amr_gone"),
        (level("department_head", "moon"), "assignees.value", "未知的部门"),
        (level("data_field", "a b"), "assignees.value", "数据字段名"),
        (level("role", "approver", mode="vote"), "mode", "未知的审批方式"),
        (level("role", "approver", mode="ratio"), "ratio", "0 < ratio ≤ 1"),
        (level("role", "approver", mode="ratio", ratio=1.5), "ratio", "0 < ratio ≤ 1"),
        (level("role", "approver", mode="ratio", ratio=True), "ratio", "0 < ratio ≤ 1"),
        (level("role", "approver", condition="registered_capital >="), "condition", "条件表达式"),
        (level("role", "approver", condition="import os"), "condition", "条件表达式"),
        (level("role", "approver", condition="x.__class__"), "condition", "条件表达式"),
        ({"assignees": {"rule": "role", "value": "approver"}}, "name", "缺少层级名称"),
    ],
)
def test_invalid_levels_name_the_level_and_the_problem(bad, field, words):
    good = level("role", "approver", name="科长审核")
    _clean, problems = validate_levels([good, bad], ORG)
    assert len(problems) == 1, problems
    [problem] = problems
    assert (problem["level"], problem["field"]) == (2, field)
    assert problem["message"].startswith("第 2 级")
    assert words in problem["message"]


def test_a_chain_needs_levels():
    for levels in (None, [], "x"):
        _clean, [problem] = validate_levels(levels, ORG)
        assert problem["field"] == "levels"


def ctx(data: dict | None = None, department: str = "amr", created_by: str | None = None):
    return Context(data or {}, department, created_by)


def test_rules_resolve_to_active_users_of_the_chain_department():
    def users(rule: str, value: Any = None, context: Context | None = None) -> list[str]:
        return plan_level(level(rule, value), 1, context or ctx(), ORG).users

    assert users("role", "approver") == ["amr_chief", "amr_deputy"]  # not amr_gone, not psb1
    assert users("department_head") == ["amr_chief"]
    assert users("department_head", "psb") == ["psb1"]
    assert users("users", ["psb1", "amr_gone", "psb1"]) == ["psb1"]
    assert users("data_field", "contacts.approver", ctx({"contacts": {"approver": "psb1"}})) == [
        "psb1"
    ]
    assert users("data_field", "reviewers", ctx({"reviewers": ["amr1", "psb1"]})) == [
        "amr1",
        "psb1",
    ]
    assert users("commissioner", None, ctx({"commissioner": "commissioner1"})) == ["commissioner1"]
    assert users("commissioner", None, ctx(created_by="commissioner1")) == ["commissioner1"]


def test_empty_level_falls_to_the_head_then_the_administrator():
    plan = plan_level(level("data_field", "nobody"), 1, ctx(), ORG)
    assert (plan.users, plan.fallback, plan.resolved) == (["amr_chief"], "department_head", [])
    plan = plan_level(level("users", ["psb1"]), 1, ctx(department="tax"), ORG)
    assert plan.users == ["psb1"] and plan.fallback is None
    plan = plan_level(level("role", "approver"), 1, ctx(department="tax"), ORG)
    assert (plan.users, plan.fallback) == (["admin"], "admin")  # tax has no head


def test_an_approver_who_is_the_applicant_is_removed():
    # 钱伟 is amr_chief's personal name (市场监管科长（钱伟）) and the department head.
    applicant = ctx({"applicant": {"kind": "person", "name": "钱伟"}})
    plan = plan_level(level("role", "approver"), 1, applicant, ORG)
    assert (plan.users, plan.removed, plan.fallback) == (["amr_deputy"], ["amr_chief"], None)
    plan = plan_level(level("department_head"), 1, applicant, ORG)
    assert (plan.users, plan.removed, plan.fallback) == (["admin"], ["amr_chief"], "admin")
    by_account = ctx({"applicant_username": "psb1"})
    assert plan_level(level("users", ["psb1", "amr1"]), 1, by_account, ORG).users == ["amr1"]
    legal = ctx({"legal_representative": "孙七"})
    assert plan_level(level("role", "approver"), 1, legal, ORG).users == ["amr_chief"]


def test_conditions_skip_levels_and_errors_keep_them():
    levels = [
        level("role", "approver", name="科长审核", condition='applicant["kind"] != "person"'),
        level("department_head", name="局长审批", condition="registered_capital >= 1000"),
    ]
    small = plan_chain(
        levels, ctx({"applicant": {"kind": "person"}, "registered_capital": 10}), ORG
    )
    assert [p.runs for p in small] == [False, False]
    assert small[0].skip_reason == "condition_false"
    big = plan_chain(
        levels, ctx({"applicant": {"kind": "enterprise"}, "registered_capital": 2000}), ORG
    )
    assert [p.runs for p in big] == [True, True]
    unknown = plan_chain(levels, ctx({"applicant": {"kind": "enterprise"}}), ORG)
    assert unknown[1].runs and "registered_capital" in unknown[1].condition_error


def test_modes_count_approvals():
    assert [required_approvals(m, 4, 0.5) for m in ("single", "any", "all", "sequential")] == [
        1,
        1,
        4,
        4,
    ]
    assert required_approvals("ratio", 4, 0.5) == 2
    assert required_approvals("ratio", 3, 2 / 3) == 2
    assert required_approvals("ratio", 3, 0.01) == 1
    assert level_outcome("all", 3, 3, 2, 0) == "pending"
    assert level_outcome("all", 3, 3, 3, 0) == "approved"
    assert level_outcome("ratio", 2, 3, 1, 1) == "pending"
    assert level_outcome("ratio", 2, 3, 0, 2) == "refused"
    assert level_outcome("ratio", 2, 4, 2, 2) == "approved"


# ----- running in cases --------------------------------------------------------------------

CHAIN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs" targetNamespace="http://onewindow.test">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="p" name="审批链测试" processRef="PROCESS"/>
  </bpmn:collaboration>
  <bpmn:process id="PROCESS" name="审批链测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_amr" name="市场监督管理局">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>approve</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>decide</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>rework</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_ok</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_no</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
    <bpmn:exclusiveGateway id="merge" name="汇合"/>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="approve"/>
    <bpmn:userTask id="approve" name="审批">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="approver"/>
          <spiffworkflow:property name="approvalChain" value="CHAIN_KEY"/>
          <spiffworkflow:property name="form" value="none"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="decide"/>
    <bpmn:exclusiveGateway id="decide" name="结论" default="f_ok"/>
    <bpmn:sequenceFlow id="f_ok" sourceRef="decide" targetRef="end_ok"/>
    <bpmn:sequenceFlow id="f_no" sourceRef="decide" targetRef="end_no">
      <bpmn:conditionExpression>decision == "reject"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_back" sourceRef="decide" targetRef="rework">
      <bpmn:conditionExpression>decision == "return"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="rework" name="重新承办">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="reviewer"/>
          <spiffworkflow:property name="form" value="none"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="rework" targetRef="merge"/>
    <bpmn:endEvent id="end_ok" name="准予">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="result" value="0"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:endEvent id="end_no" name="不予许可">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="result" value="7"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
APPROVE = {"decision": "approve", "opinion": "同意"}
REJECT = {"decision": "reject", "opinion": "不同意"}


def users(*names: str) -> dict[str, Any]:
    return {"rule": "users", "value": list(names)}


def save(make_uow, key: str, levels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    with make_uow() as u:
        view, _created = chains.save_chain(
            u, user(u, "admin"), key, {"department": "amr", "levels": levels, **extra}
        )
        return view


def chain_item(make_uow, levels: list[dict[str, Any]] | None) -> tuple[str, str]:
    """A one-step model whose 审批 runs a fresh chain (none saved when ``levels`` is None);
    returns (item code, chain key)."""
    tag = uuid.uuid4().hex[:10]
    key, process = f"test.{tag}", f"chain_test_{tag}"
    if levels is not None:
        save(make_uow, key, levels, note="v1")
    bpmn = CHAIN_BPMN.replace("PROCESS", process).replace("CHAIN_KEY", key)
    with make_uow() as u:
        deploy_model(u, None, process, {"chain.bpmn": bpmn}, "test")
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        code = f"TEST-CHAIN-{tag}"
        upsert_item(u, {**guide, "code": code, "name": f"审批链测试{tag}", "process_key": process})
    return code, key


def start_item(make_uow, code: str, applicant: dict | None = None, data: dict | None = None) -> str:
    with make_uow() as u:
        started = cases.start_case(u, user(u, "window1"), code, applicant or ENTERPRISE, data)
        return started.case.case_no


def rows(make_uow, case_no: str) -> list[models.HumanTask]:
    case = case_row(make_uow, case_no)
    with make_uow() as u:
        return list(
            u.session.scalars(
                select(models.HumanTask)
                .where(models.HumanTask.case_id == case.id)
                .order_by(models.HumanTask.created_at, models.HumanTask.id)
            )
        )


def open_levels(make_uow, case_no: str) -> list[models.HumanTask]:
    return [r for r in rows(make_uow, case_no) if r.parent_id and r.state in ("ready", "claimed")]


def act(make_uow, username: str, task_id: str, data: dict) -> tasks.Completion:
    with make_uow() as u:
        return tasks.complete(u, user(u, username), task_id, data)


def events(make_uow, case_no: str, prefix: str = "chain_") -> list[models.CaseEvent]:
    case = case_row(make_uow, case_no)
    with make_uow() as u:
        return [
            e
            for e in u.session.scalars(
                select(models.CaseEvent)
                .where(models.CaseEvent.case_id == case.id)
                .order_by(models.CaseEvent.id)
            )
            if e.action.startswith(prefix)
        ]


def mine(make_uow, username: str, case_no: str) -> list[str]:
    with make_uow() as u:
        items, _total = tasks.list_tasks(u, user(u, username), per_page=200)
    return [t["name"] for t in items if t["case_no"] == case_no]


def finished(make_uow, case_no: str) -> tuple[str, str | None]:
    case = case_row(make_uow, case_no)
    return case.status, case.result


LICENCE = {
    "company_name": "青山绿水商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "business_scope": "日用百货销售",
    "decision": "approve",
}


def at_licence_approval(make_uow, capital: int) -> str:
    case_no = start(make_uow, "企业开办")
    complete(make_uow, "window1", case_no, "受理", {"decision": "accept"})
    complete(make_uow, "amr1", case_no, "营业执照承办", {**LICENCE, "registered_capital": capital})
    return case_no


def test_small_enterprise_startup_passes_one_level(uow):
    case_no = at_licence_approval(uow, 100)
    [level1] = open_levels(uow, case_no)
    assert level1.name == "营业执照审核 · 科长审核"
    assert (level1.candidates, level1.assignee, level1.chain_level) == (["amr_chief"], None, 1)
    with uow() as u:
        in_force = chains.chain_in_force(u, "enterprise_startup.amr")
        step = u.session.get(models.HumanTask, level1.parent_id)
        assert step.state == "chain" and step.spec_name == "licence_approve"
        notes = u.session.scalars(
            select(models.Notification).where(models.Notification.task_id == level1.id)
        ).all()
    assert level1.chain_id == in_force.id
    assert [(n.username, n.kind) for n in notes] == [("amr_chief", "new_task")]
    assert mine(uow, "amr_chief", case_no) == ["营业执照审核 · 科长审核"]
    assert mine(uow, "amr1", case_no) == [], "a colleague who is not a candidate does not get it"

    done = act(uow, "amr_chief", level1.id, APPROVE)
    assert sorted(t.department_code for t in done.next_tasks) == ["hrss", "psb", "tax"]
    actions = [e.action for e in events(uow, case_no)]
    assert actions == [
        "chain_level_start",
        "chain_level_done",
        "chain_level_skipped",
        "chain_done",
    ]
    with uow() as u:
        step = u.session.get(models.HumanTask, level1.parent_id)
        assert (step.state, step.outcome, step.completed_by) == (
            "completed",
            "approve",
            "amr_chief",
        )


def test_large_enterprise_startup_goes_through_two_levels(uow):
    case_no = at_licence_approval(uow, 2000)
    [level1] = open_levels(uow, case_no)
    done = act(uow, "amr_chief", level1.id, APPROVE)
    [level2] = done.next_tasks
    assert level2.name == "营业执照审核 · 局长审批"
    assert (level2.candidates, level2.chain_level, level2.parent_id) == (
        ["amr_chief"],
        2,
        level1.parent_id,
    )
    assert case_row(uow, case_no).status == "running"
    done = act(uow, "amr_chief", level2.id, {"decision": "approve", "opinion": "准予登记"})
    assert sorted(t.department_code for t in done.next_tasks) == ["hrss", "psb", "tax"]
    assert case_row(uow, case_no).data["opinion"] == "准予登记"


def test_a_refusal_at_any_level_decides_the_step(uow):
    case_no = at_licence_approval(uow, 2000)
    [level1] = open_levels(uow, case_no)
    [level2] = act(uow, "amr_chief", level1.id, APPROVE).next_tasks
    act(uow, "amr_chief", level2.id, {"decision": "reject", "opinion": "经营范围涉及前置许可"})
    assert finished(uow, case_no) == ("finished", "7")
    assert [e.detail.get("outcome") for e in events(uow, case_no, "chain_level_done")] == [
        "approve",
        "reject",
    ]


def test_all_mode_needs_every_approval(uow):
    code, _key = chain_item(
        uow, [{"name": "会签", "assignees": users("amr_chief", "psb1", "tax1"), "mode": "all"}]
    )
    case_no = start_item(uow, code)
    level = open_levels(uow, case_no)
    assert sorted((r.assignee, r.state, r.candidates) for r in level) == [
        ("amr_chief", "claimed", ["amr_chief"]),
        ("psb1", "claimed", ["psb1"]),
        ("tax1", "claimed", ["tax1"]),
    ]
    assert mine(uow, "psb1", case_no) == ["审批 · 会签"], "named users of other departments too"
    by_user = {r.assignee: r.id for r in level}
    act(uow, "psb1", by_user["psb1"], APPROVE)
    act(uow, "amr_chief", by_user["amr_chief"], APPROVE)
    assert finished(uow, case_no) == ("running", None)
    act(uow, "tax1", by_user["tax1"], APPROVE)
    assert finished(uow, case_no) == ("finished", "0")


def test_any_mode_is_one_task_for_every_candidate(uow):
    code, _key = chain_item(
        uow, [{"name": "或签", "assignees": users("amr_chief", "psb1"), "mode": "any"}]
    )
    case_no = start_item(uow, code)
    [row] = open_levels(uow, case_no)
    assert (row.assignee, row.candidates) == (None, ["amr_chief", "psb1"])
    assert mine(uow, "amr_chief", case_no) == mine(uow, "psb1", case_no) == ["审批 · 或签"]
    with uow() as u, pytest.raises(Forbidden):
        tasks.claim(u, user(u, "amr1"), row.id)  # sees its department's task, not a candidate
    with uow() as u, pytest.raises(NotFound):
        tasks.claim(u, user(u, "tax1"), row.id)
    with uow() as u:
        tasks.claim(u, user(u, "psb1"), row.id)
    assert mine(uow, "amr_chief", case_no) == []
    act(uow, "psb1", row.id, APPROVE)
    assert finished(uow, case_no) == ("finished", "0")


def test_sequential_mode_goes_one_after_another(uow):
    code, _key = chain_item(
        uow,
        [{"name": "依次", "assignees": users("tax1", "amr_chief", "psb1"), "mode": "sequential"}],
    )
    case_no = start_item(uow, code)
    order = []
    for _ in range(3):
        [row] = open_levels(uow, case_no)
        order.append(row.assignee)
        act(uow, row.assignee, row.id, APPROVE)
    assert order == ["tax1", "amr_chief", "psb1"]
    assert finished(uow, case_no) == ("finished", "0")
    assert len(events(uow, case_no, "chain_level_next")) == 2


def test_ratio_mode_passes_at_the_threshold_and_cancels_the_rest(uow):
    code, _key = chain_item(
        uow,
        [
            {
                "name": "过半",
                "assignees": users("amr_chief", "psb1", "tax1", "hrss1"),
                "mode": "ratio",
                "ratio": 0.5,
            }
        ],
    )
    case_no = start_item(uow, code)
    by_user = {r.assignee: r.id for r in open_levels(uow, case_no)}
    act(uow, "amr_chief", by_user["amr_chief"], REJECT)  # a vote against, not a veto
    act(uow, "psb1", by_user["psb1"], APPROVE)
    assert finished(uow, case_no) == ("running", None)
    act(uow, "tax1", by_user["tax1"], APPROVE)
    assert finished(uow, case_no) == ("finished", "0")
    hrss = next(r for r in rows(uow, case_no) if r.id == by_user["hrss1"])
    assert hrss.state == "cancelled"


def test_ratio_mode_refuses_once_the_threshold_is_out_of_reach(uow):
    code, _key = chain_item(
        uow,
        [
            {
                "name": "三分之二",
                "assignees": users("amr_chief", "psb1", "tax1"),
                "mode": "ratio",
                "ratio": 0.6,
            }
        ],
    )
    case_no = start_item(uow, code)
    by_user = {r.assignee: r.id for r in open_levels(uow, case_no)}
    act(uow, "amr_chief", by_user["amr_chief"], REJECT)
    assert finished(uow, case_no) == ("running", None)
    act(uow, "psb1", by_user["psb1"], REJECT)
    assert finished(uow, case_no) == ("finished", "7")


def test_empty_assignees_fall_to_the_head_with_an_event(uow):
    code, _key = chain_item(
        uow, [{"name": "经办人", "assignees": {"rule": "data_field", "value": "handler"}}]
    )
    case_no = start_item(uow, code)
    [row] = open_levels(uow, case_no)
    assert row.candidates == ["amr_chief"]
    [fallback] = events(uow, case_no, "chain_fallback")
    assert fallback.detail["fallback"] == "department_head"
    assert fallback.detail["to"] == ["amr_chief"] and fallback.actor == "system"

    named = start_item(uow, code, data={"handler": "psb1"})
    assert [r.candidates for r in open_levels(uow, named)] == [["psb1"]]
    assert events(uow, named, "chain_fallback") == []


def test_the_applicant_does_not_approve_their_own_case(uow):
    code, _key = chain_item(
        uow, [{"name": "科长审核", "assignees": {"rule": "role", "value": "approver"}}]
    )
    person = {
        **ENTERPRISE,
        "kind": "person",
        "name": "钱伟",
        "id_type": "身份证",
        "id_number": "330102199001011234",
    }
    case_no = start_item(uow, code, applicant=person)
    [row] = open_levels(uow, case_no)
    assert row.candidates == ["admin"], "amr_chief is the applicant and the head"
    actions = [e.action for e in events(uow, case_no)]
    assert actions == ["chain_applicant_removed", "chain_fallback", "chain_level_start"]
    act(uow, "admin", row.id, APPROVE)
    assert finished(uow, case_no) == ("finished", "0")


def test_a_step_whose_levels_are_all_skipped_is_approved_by_the_system(uow):
    code, _key = chain_item(
        uow,
        [
            {
                "name": "科长审核",
                "assignees": {"rule": "role", "value": "approver"},
                "condition": 'applicant["kind"] != "person"',
            }
        ],
    )
    person = {
        **ENTERPRISE,
        "kind": "person",
        "name": "个体户张三",
        "id_type": "身份证",
        "id_number": "330102199001011234",
    }
    case_no = start_item(uow, code, applicant=person)
    assert finished(uow, case_no) == ("finished", "0")
    actions = [e.action for e in events(uow, case_no)]
    assert actions == ["chain_level_skipped", "chain_done"]
    assert events(uow, case_no, "chain_done")[0].detail["auto"] is True


def test_return_sends_the_case_back_and_the_chain_starts_again(uow):
    code, _key = chain_item(uow, [{"name": "科长审核", "assignees": users("amr_chief")}])
    case_no = start_item(uow, code)
    [row] = open_levels(uow, case_no)
    done = act(uow, "amr_chief", row.id, {"decision": "return", "opinion": "补充说明"})
    assert [t.name for t in done.next_tasks] == ["重新承办"]
    act(uow, "amr1", done.next_tasks[0].id, {})
    [again] = open_levels(uow, case_no)
    assert again.id != row.id and again.parent_id != row.parent_id
    act(uow, "amr_chief", again.id, APPROVE)
    assert finished(uow, case_no) == ("finished", "0")


def test_a_changed_chain_reaches_a_waiting_case_at_its_next_level(uow):
    code, key = chain_item(
        uow,
        [
            {"name": "初审", "assignees": users("amr_chief")},
            {"name": "复审", "assignees": users("psb1")},
        ],
    )
    with uow() as u:
        v1 = chains.get_chain(u, user(u, "admin"), key)
    case_no = start_item(uow, code)
    [level1] = open_levels(uow, case_no)
    assert (level1.candidates, level1.chain_id) == (["amr_chief"], v1["id"])

    v2 = save(
        uow,
        key,
        [
            {"name": "初审（新）", "assignees": users("tax1")},
            {"name": "复审（新）", "assignees": users("hrss1", "nr1"), "mode": "all"},
        ],
        note="复审改为会签",
    )
    assert v2["version"] == v1["version"] + 1
    [still] = open_levels(uow, case_no)
    assert (still.id, still.name, still.candidates, still.chain_id) == (
        level1.id,
        "审批 · 初审",
        ["amr_chief"],
        v1["id"],
    ), "the level in progress is untouched"

    level2 = act(uow, "amr_chief", level1.id, APPROVE).next_tasks
    assert sorted((r.name, r.assignee, r.chain_id, r.chain_level) for r in level2) == [
        ("审批 · 复审（新）", "hrss1", v2["id"], 2),
        ("审批 · 复审（新）", "nr1", v2["id"], 2),
    ]
    starts = events(uow, case_no, "chain_level_start")
    assert [(e.detail["level"], e.detail["version"]) for e in starts] == [
        (1, v1["version"]),
        (2, v2["version"]),
    ]
    for row in level2:
        act(uow, row.assignee, row.id, APPROVE)
    assert finished(uow, case_no) == ("finished", "0")


def test_a_future_version_waits_for_its_effective_time(uow):
    code, key = chain_item(uow, [{"name": "初审", "assignees": users("amr_chief")}])
    save(
        uow,
        key,
        [{"name": "初审", "assignees": users("psb1")}],
        effective_at="2999-01-01T00:00:00+08:00",
    )
    case_no = start_item(uow, code)
    assert [r.candidates for r in open_levels(uow, case_no)] == [["amr_chief"]]
    with uow() as u:
        assert chains.get_chain(u, user(u, "admin"), key)["version"] == 1
        [listed] = [c for c in chains.list_chains(u, user(u, "admin")) if c["key"] == key]
    assert listed["version"] == 1 and listed["in_force"]
    assert [s["version"] for s in listed["scheduled"]] == [2]


def test_no_chain_in_force_makes_an_ordinary_task_of_the_role_slot(uow):
    code, _key = chain_item(uow, None)
    case_no = start_item(uow, code)
    [row] = [r for r in rows(uow, case_no) if r.state == "ready"]
    assert (row.name, row.role, row.candidates, row.parent_id) == ("审批", "approver", None, None)
    assert [e.action for e in events(uow, case_no)] == ["chain_missing"]
    act(uow, "amr_chief", row.id, APPROVE)
    assert finished(uow, case_no) == ("finished", "0")


def test_invalid_chains_are_refused_naming_the_level(uow):
    with uow() as u, pytest.raises(ValidationFailed) as refused:
        chains.save_chain(
            u,
            user(u, "admin"),
            "test.invalid",
            {
                "department": "amr",
                "levels": [
                    {"name": "科长审核", "assignees": {"rule": "role", "value": "approver"}},
                    {
                        "name": "局长审批",
                        "assignees": {"rule": "department_head"},
                        "condition": "registered_capital >= ",
                    },
                ],
            },
        )
    error = refused.value
    assert error.status == 422 and error.code == "invalid_chain"
    assert error.message.startswith("第 2 级“局长审批”：条件表达式无效")
    assert (error.details["level"], error.details["name"], error.details["field"]) == (
        2,
        "局长审批",
        "condition",
    )
    with uow() as u:
        assert chains._versions(u, "test.invalid") == []


def test_only_administrators_save_chains(uow):
    with uow() as u, pytest.raises(Forbidden):
        chains.save_chain(
            u, user(u, "amr_chief"), "test.forbidden", {"department": "amr", "levels": []}
        )


def test_access_agrees_with_the_inbox_on_candidates(uow):
    code, _key = chain_item(uow, [{"name": "或签", "assignees": users("psb1"), "mode": "any"}])
    case_no = start_item(uow, code)
    [row] = open_levels(uow, case_no)
    with uow() as u:
        psb1, amr1, chief = user(u, "psb1"), user(u, "amr1"), user(u, "amr_chief")
        assert access.is_candidate(psb1, row) and access.can_see_task(psb1, row)
        assert not access.is_candidate(amr1, row) and not access.is_candidate(chief, row)
        assert access.can_see_task(amr1, row), "the department still sees its tasks"
    assert mine(uow, "psb1", case_no) == ["审批 · 或签"]
    assert mine(uow, "amr_chief", case_no) == []
