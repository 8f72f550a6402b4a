"""Lint rules of model validation, and Camunda Modeler models deploying and running.

Each rule names the file, line and element; notes (accepted, but worth knowing) are kept apart
from problems. The Camunda part deploys tests/engine/camunda_model.py, starts a case on it and
completes the task through its generated form.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import demo, models
from engine.catalogue import read_items, upsert_item
from engine.definitions import check_model, prepare_model, read_model_folder
from engine.demo import deploy_folder
from engine.errors import ModelInvalid
from engine.forms import FormInvalid
from engine.runtime import compile_model, parse_model
from engine.services import cases, tasks
from engine.services.models import deploy_model

from . import camunda_model
from .helpers import ENTERPRISE, user

ROOT = Path(__file__).resolve().parents[2]
BASE = read_model_folder(ROOT / "bpmn" / "individual_business")
MAIN = "individual_business.bpmn"
DEPARTMENTS = {key: code for code, name in demo.DEPARTMENTS for key in (code, name)}
ROLES = {code for code, _name in demo.ROLES}


def with_main(old: str, new: str, files: dict[str, str] | None = None) -> dict[str, str]:
    files = files or BASE
    assert old in files[MAIN], old
    return {**files, MAIN: files[MAIN].replace(old, new, 1)}


def report(files: dict[str, str]):
    return check_model(files, DEPARTMENTS, ROLES)


def problems(files: dict[str, str]) -> list[dict]:
    return report(files).problems


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


# ---- the demo models ----------------------------------------------------------------------------


@pytest.mark.parametrize("folder", sorted(p.name for p in (ROOT / "bpmn").iterdir() if p.is_dir()))
def test_the_demo_models_pass_every_rule_unchanged(folder):
    files = read_model_folder(ROOT / "bpmn" / folder)
    checked = report(files)
    assert checked.problems == [] and checked.notes == []
    assert prepare_model(files).files == files


def test_redeploying_the_demo_folder_makes_no_new_version(uow):
    with uow() as u:
        assert all(not created for _name, _version, created in deploy_folder(u, ROOT / "bpmn"))


# ---- user tasks: department and form ------------------------------------------------------------


def test_a_user_task_needs_a_form_or_says_it_needs_none():
    no_form = with_main(
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="instant_decide.schema.json" />',
        "",
    )
    [problem] = problems(no_form)
    assert problem["element_id"] == "instant_decide" and problem["file"] == MAIN
    assert problem["line"] == line_of(no_form[MAIN], '<bpmn:userTask id="instant_decide"')
    assert "没有表单" in problem["message"] and "form = none" in problem["message"]

    for declaration in ('name="form" value="none"', 'name="formNone" value="true"'):
        says_none = with_main(
            '<spiffworkflow:property name="role" value="window" />',
            f'<spiffworkflow:property name="role" value="window" />'
            f"<spiffworkflow:property {declaration} />",
            no_form,
        )
        assert problems(says_none) == []


def test_a_user_task_outside_every_lane_is_refused():
    files = with_main("<bpmn:flowNodeRef>supplement</bpmn:flowNodeRef>", "")
    [problem] = problems(files)
    assert problem["element_id"] == "supplement" and "不在任何泳道" in problem["message"]


# ---- gateways, merges, flows ------------------------------------------------------------------


def test_an_exclusive_gateway_exit_without_condition_needs_to_be_the_default():
    files = with_main(' default="flow_approve"', "")
    [problem] = problems(files)
    assert problem["element_id"] == "flow_approve"
    assert problem["line"] == line_of(files[MAIN], '<bpmn:sequenceFlow id="flow_approve"')
    assert "既没有条件也不是默认流" in problem["message"] and "办理结论" in problem["message"]

    wrong_default = with_main(' default="flow_approve"', ' default="flow_start"')
    messages = [p["message"] for p in problems(wrong_default)]
    assert any("默认流 flow_start 不是它的出口" in m for m in messages)


def test_implicit_merges_are_refused_merges_need_a_gateway():
    files = with_main(
        '<bpmn:sequenceFlow id="flow_supplement_back" name="重新审查" sourceRef="supplement" '
        'targetRef="gw_intake_merge" />',
        '<bpmn:sequenceFlow id="flow_supplement_back" name="重新审查" sourceRef="supplement" '
        'targetRef="instant_decide" />',
    )
    [problem] = problems(files)
    assert problem["element_id"] == "instant_decide"
    assert "2 条输入顺序流" in problem["message"] and "网关" in problem["message"]


# ---- scripts and conditions compile in the sandbox ---------------------------------------------


def test_conditions_that_do_not_compile_name_their_flow_and_line():
    files = with_main('decision == "reject"', 'decision = = "reject"')
    [problem] = problems(files)
    assert problem["element_id"] == "flow_reject"
    assert problem["line"] == line_of(files[MAIN], 'decision = = "reject"')
    assert "条件表达式无法编译" in problem["message"]

    escaping = with_main('decision == "reject"', "__import__('os').system('id')")
    [problem] = problems(escaping)
    assert problem["element_id"] == "flow_reject" and "沙箱" in problem["message"]


def test_scripts_and_pre_scripts_compile_in_the_sandbox():
    transfer = read_model_folder(ROOT / "bpmn" / "property_transfer")
    name = "property_transfer.bpmn"
    script_start = transfer[name].index("<bpmn:script>") + len("<bpmn:script>")
    broken = {
        **transfer,
        name: transfer[name][:script_start] + "import os\n" + transfer[name][script_start:],
    }
    [problem] = problems_of_model(broken)
    assert problem["element_id"] == "clear_parallel_results"
    assert problem["line"] == line_of(broken[name], "import os")
    assert "脚本无法编译" in problem["message"] and "imports are not allowed" in problem["message"]

    pre = with_main(
        "<spiffworkflow:properties>",
        "<spiffworkflow:preScript>x = ().__class__</spiffworkflow:preScript>"
        "<spiffworkflow:properties>",
    )
    [problem] = problems(pre)
    assert problem["element_id"] == "instant_decide" and "前置脚本无法编译" in problem["message"]


def problems_of_model(files: dict[str, str]) -> list[dict]:
    return report(files).problems


# ---- timers ------------------------------------------------------------------------------------


def timer(text: str, kind: str = "timeDuration") -> dict[str, str]:
    return with_main(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P30D"</bpmn:timeDuration>',
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{text}</bpmn:{kind}>',
    )


def test_camunda_style_unquoted_timers_are_a_note_and_quoted_at_deploy():
    for kind, text in (
        ("timeDuration", "PT2H"),
        ("timeDuration", "P30D"),
        ("timeDate", "2026-01-01T00:00:00"),
    ):
        files = timer(text, kind)
        checked = report(files)
        assert checked.problems == []
        [note] = checked.notes
        assert note["element_id"] == "supplement_timeout" and note["level"] == "warning"
        assert f'"{text}"' in note["message"]

        prepared = prepare_model(files)
        assert (
            f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">"{text}"</bpmn:{kind}>'
            in (prepared.files[MAIN])
        )
        # nothing else of the file changed
        assert prepared.files[MAIN].replace(f'"{text}"', text, 1) == files[MAIN]
        [note] = prepared.notes
        assert note["element_id"] == "supplement_timeout"
        assert report(prepared.files).notes == []
        assert prepare_model(prepared.files).files == prepared.files  # idempotent


def test_an_unquoted_timer_stored_before_still_runs():
    spec = compile_model(timer("P30D"), "individual_business").spec
    assert spec.task_specs["supplement_timeout"].event_definition.expression == '"P30D"'


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ('"P30X"', "timeDuration", "不是合法的 ISO 8601 时长"),
        ("P3X0D", "timeDuration", "不是合法的 ISO 8601 时长"),
        ('"P"', "timeDuration", "不是合法的 ISO 8601 时长"),
        ("42", "timeDuration", "不是合法的 ISO 8601 时长"),
        ('"tomorrow"', "timeDate", "不是合法的 ISO 8601 日期时间"),
        ("2026-13-45", "timeDate", "不是合法的 ISO 8601 日期时间"),
        ("1 +", "timeDuration", "无法计算"),
        ("R3/PT1H", "timeCycle", "循环定时器"),
    ],
)
def test_invalid_timers_are_problems(text, kind, expected):
    [problem] = problems(timer(text, kind))
    assert problem["element_id"] == "supplement_timeout" and expected in problem["message"]


def test_a_timer_computed_from_case_data_is_a_note():
    checked = report(timer("supplement_deadline"))
    assert checked.problems == []
    [note] = checked.notes
    assert "取决于办件数据" in note["message"]
    assert report(timer('"P" + str(5) + "D"')).notes == []


# ---- Camunda Modeler -----------------------------------------------------------------------------


def camunda(old: str, new: str) -> dict[str, str]:
    return camunda_model.variant(old, new)


def prepared_camunda(files: dict[str, str] | None = None) -> dict[str, str]:
    return prepare_model(files or camunda_model.FILES).files


def test_a_camunda_model_validates_with_its_groups_form_and_properties():
    files = prepared_camunda()
    checked = report(files)
    assert checked.problems == [] and checked.notes == []
    meta = checked.validated.task_meta["review"]
    assert meta["department"] == "amr" and meta["role"] == "reviewer"
    assert meta["form"] == "forms/review.schema.json" and meta["due_working_days"] == "2"
    form = json.loads(files["forms/review.schema.json"])
    assert form["required"] == ["approved"]
    assert form["properties"]["approved"] == {"type": "boolean", "title": "是否准予"}
    assert form["properties"]["capital"]["type"] == "integer"
    assert form["properties"]["capital"]["minimum"] == 0
    assert form["properties"]["opinion"]["maxLength"] == 200
    assert form["properties"]["decided_on"]["format"] == "date"
    assert form["properties"]["category"]["oneOf"][0] == {
        "const": "limited",
        "title": "有限责任公司",
    }
    # the engine reads camunda:properties like spiffworkflow ones, on tasks and end events
    spec = parse_model(files).get_spec(camunda_model.PROCESS_ID)
    assert spec.task_specs["review"].extensions["properties"]["dueWorkingDays"] == "2"
    assert spec.task_specs["End_approved"].extensions["properties"] == {"result": "6"}


@pytest.mark.parametrize(
    ("groups", "department", "role"),
    [
        ("amr", "amr", None),
        ("reviewer", "amr", "reviewer"),
        ("市场监督管理局:approver", "amr", "approver"),
        ("amr, reviewer", "amr", "reviewer"),
    ],
)
def test_candidate_groups_name_a_department_and_or_a_role(groups, department, role):
    files = prepared_camunda(
        camunda('candidateGroups="amr:reviewer"', f'candidateGroups="{groups}"')
    )
    meta = report(files).validated.task_meta["review"]
    assert (meta["department"], meta["role"]) == (department, role)


def test_candidate_groups_that_resolve_to_nothing_or_disagree_are_refused():
    unknown = prepared_camunda(
        camunda('candidateGroups="amr:reviewer"', 'candidateGroups="clerks"')
    )
    [problem] = problems(unknown)
    assert problem["element_id"] == "review" and "clerks" in problem["message"]
    other_lane = prepared_camunda(
        camunda('candidateGroups="amr:reviewer"', 'candidateGroups="tax"')
    )
    [problem] = problems(other_lane)
    assert "候选组指向部门 tax" in problem["message"] and "amr" in problem["message"]
    # outside every lane, the candidate group's department is enough
    no_lane = prepared_camunda(camunda("<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", ""))
    assert report(no_lane).validated.task_meta["review"]["department"] == "amr"


def test_juel_expressions_are_refused_naming_the_element():
    [problem] = problems(prepared_camunda(camunda_model.JUEL))
    assert problem["element_id"] == "Flow_yes" and problem["file"] == camunda_model.MAIN
    assert "JUEL expressions are not supported" in problem["message"]
    assert "${approved}" in problem["message"]
    juel_timer = prepared_camunda(camunda(">PT2H<", ">${reviewTimeout}<"))
    [problem] = problems(juel_timer)
    assert problem["element_id"] == "Timer_review" and "JUEL" in problem["message"]


@pytest.mark.parametrize(
    ("old", "new", "element", "expected"),
    [
        (
            'camunda:candidateGroups="amr:reviewer"',
            'camunda:candidateGroups="amr:reviewer" camunda:assignee="amr1"',
            "review",
            "camunda:assignee",
        ),
        (
            "<camunda:formData>",
            '<camunda:taskListener class="gov.Notify" event="create" /><camunda:formData>',
            "review",
            "Java 监听器",
        ),
        (
            '<bpmn:exclusiveGateway id="Gateway_approved" name="是否准予？">',
            '<bpmn:exclusiveGateway id="Gateway_approved" name="是否准予？">'
            "<bpmn:extensionElements><camunda:executionListener "
            'delegateExpression="${logger}" event="start" /></bpmn:extensionElements>',
            "Gateway_approved",
            "执行监听器",
        ),
        (
            '<bpmn:sequenceFlow id="Flow_0start" sourceRef="StartEvent_1" targetRef="review" />',
            '<bpmn:sequenceFlow id="Flow_0start" sourceRef="StartEvent_1" targetRef="notify" />'
            '<bpmn:serviceTask id="notify" name="通知" camunda:class="gov.Notify">'
            "<bpmn:outgoing>Flow_n</bpmn:outgoing></bpmn:serviceTask>"
            '<bpmn:sequenceFlow id="Flow_n" sourceRef="notify" targetRef="review" />',
            "notify",
            "camunda:class",
        ),
        # a plain Python condition is no JUEL: accepted
        ("approved == True</bpmn", "approved</bpmn", None, None),
    ],
)
def test_what_cannot_run_here_is_refused_at_validation(old, new, element, expected):
    found = problems(prepared_camunda(camunda(old, new)))
    if expected is None:
        assert found == []
        return
    assert any(p["element_id"] == element and expected in p["message"] for p in found), found


def test_script_conditions_in_another_language_are_refused():
    files = prepared_camunda(
        camunda(
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved == True',
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">'
            "approved === true",
        )
    )
    [problem] = problems(files)
    assert problem["element_id"] == "Flow_yes" and "javascript" in problem["message"]


def test_form_data_that_cannot_become_a_form_is_refused():
    files = prepared_camunda(camunda('type="long"', 'type="com.example.MoneyType"'))
    [problem] = problems(files)
    assert problem["element_id"] == "review" and "com.example.MoneyType" in problem["message"]


def test_a_camunda_model_without_its_generated_form_is_refused():
    """`onewindow deploy` must not store a formData model whose form was never generated."""
    [problem] = problems(camunda_model.FILES)
    assert problem["element_id"] == "review" and "forms/review.schema.json" in problem["message"]


def test_a_camunda_model_deploys_and_runs_through_its_generated_form(uow):
    with uow() as u:
        deployed = deploy_model(
            u, user(u, "designer1"), "workbench_camunda", camunda_model.FILES, "Camunda 导入"
        )
        assert deployed.created
        stored = deployed.definition.files
        assert '"PT2H"</bpmn:timeDuration>' in stored[camunda_model.MAIN]
        assert "forms/review.schema.json" in stored
        assert {n["element_id"] for n in deployed.notes} == {"Timer_review", "review"}
        [guide] = [
            i for i in read_items(ROOT / "workflows") if i["process_key"] == "individual_business"
        ]
        upsert_item(
            u,
            {
                **guide,
                "code": "TEST-CAMUNDA",
                "name": "Camunda 审查事项",
                "process_key": "workbench_camunda",
            },
        )
    with uow() as u:
        again = deploy_model(u, user(u, "designer1"), "workbench_camunda", camunda_model.FILES)
        assert not again.created  # the prepared files are identical
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), "TEST-CAMUNDA", ENTERPRISE).case.case_no
    with uow() as u:
        inbox, _total = tasks.list_tasks(u, user(u, "amr1"), per_page=200)
        [task] = [t for t in inbox if t["case_no"] == case_no]
        assert (task["name"], task["department"], task["role"]) == ("审查申请", "amr", "reviewer")
        assert task["due_working_days"] == 2
        form = tasks.get_task(u, user(u, "amr1"), task["id"])["form"]["schema"]
        assert form["properties"]["approved"]["title"] == "是否准予"
        case = u.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        timers = u.session.scalars(select(models.Timer).where(models.Timer.case_id == case.id))
        assert [t.name for t in timers] == ["审查超时"]
    for bad in ({}, {"approved": "yes"}, {"approved": True, "capital": -5}):
        with uow() as u, pytest.raises(FormInvalid):
            tasks.complete(u, user(u, "amr1"), task["id"], bad)
    with uow() as u:
        done = tasks.complete(
            u, user(u, "amr1"), task["id"], {"approved": True, "opinion": "同意", "capital": 50}
        )
        assert (done.case.status, done.case.result) == ("finished", "6")


def test_a_juel_model_is_refused_at_deploy_never_at_run_time(uow):
    with uow() as u, pytest.raises(ModelInvalid) as refused:
        deploy_model(u, user(u, "designer1"), "workbench_juel", camunda_model.JUEL)
    [problem] = refused.value.problems
    assert problem["element_id"] == "Flow_yes" and "JUEL" in problem["message"]
    with uow() as u, pytest.raises(ModelInvalid):
        deploy_model(u, None, "workbench_juel", prepare_model(camunda_model.JUEL).files)
