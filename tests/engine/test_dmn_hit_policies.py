"""Decision tables run their hit policy, and a gateway routes the case on the result.

Each case is started, then its table runs in a process that has just restored the case (no
cached workflow, definition or compiled spec), as after a restart or on another server. Three
rules match an amount of 5000 (tests/engine/decision_model.py): what the case does then is the
hit policy's answer — SpiffWorkflow 3.2.0 alone answers "the first match" for all of them.
"""

from __future__ import annotations

import pytest

from engine.errors import ModelInvalid, ModelRuntimeError
from engine.services import cases
from engine.services.models import deploy_model

from . import decision_model as dm
from .helpers import ENTERPRISE, case_row, complete, open_names, user
from .process_state import fresh_process

LEVELS = '"high","medium","low"'
INSPECT, APPROVE = "现场核查", "书面审批"


def decide(uow, code: str, amount: float) -> str:
    """A case of the item, its amount declared in a freshly started process."""
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no
    fresh_process()
    complete(uow, "window1", case_no, "申报", {"amount": amount})
    return case_no


@pytest.mark.parametrize(
    ("policy", "allowed", "condition", "expected", "route"),
    [
        ("FIRST", None, 'risk == "high"', "medium", APPROVE),
        ("PRIORITY", LEVELS, 'risk == "high"', "high", INSPECT),
        ("RULE ORDER", None, 'risk[0] == "medium"', ["medium", "high", "low"], INSPECT),
        ("OUTPUT ORDER", LEVELS, 'risk[0] == "high"', ["high", "medium", "low"], INSPECT),
        ("COLLECT", None, '"high" in risk and len(risk) == 3', ["medium", "high", "low"], INSPECT),
    ],
)
def test_each_hit_policy_gives_its_answer_and_the_gateway_routes_on_it(
    uow, policy, allowed, condition, expected, route
):
    code = dm.deploy(uow, dm.dmn(policy, dm.RISK_RULES, allowed=allowed), condition)
    case_no = decide(uow, code, 5000)
    assert case_row(uow, case_no).data["risk"] == expected
    assert open_names(uow, case_no) == [route]


@pytest.mark.parametrize(
    ("aggregation", "amount", "fee", "route"),
    [
        ("SUM", 5000, 450, INSPECT),
        ("COUNT", 5000, 3, APPROVE),
        ("MIN", 5000, 50, APPROVE),
        ("MAX", 5000, 300, INSPECT),
        ("COUNT", 50, 1, APPROVE),
        ("SUM", 50, 50, APPROVE),
    ],
)
def test_collect_aggregations_sum_count_min_and_max(uow, aggregation, amount, fee, route):
    table = dm.dmn("COLLECT", dm.FEE_RULES, output="fee", aggregation=aggregation)
    code = dm.deploy(uow, table, "fee >= 300")
    case_no = decide(uow, code, amount)
    assert case_row(uow, case_no).data["fee"] == fee
    assert open_names(uow, case_no) == [route]


def test_a_unique_table_answers_when_one_rule_matches_and_stops_when_rules_overlap(uow):
    code = dm.deploy(uow, dm.dmn("UNIQUE", dm.RISK_RULES), 'risk == "low"')
    case_no = decide(uow, code, 50)  # only r_low matches
    assert case_row(uow, case_no).data["risk"] == "low"
    assert open_names(uow, case_no) == [INSPECT]

    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no
    fresh_process()
    with pytest.raises(ModelRuntimeError) as caught:  # every rule matches: no "first wins"
        complete(uow, "window1", case_no, "申报", {"amount": 5000})
    message = str(caught.value)
    assert "UNIQUE" in message and dm.DECISION in message
    assert all(rule in message for rule in dm.RULE_IDS), message
    assert open_names(uow, case_no) == ["申报"], "nothing of the refused step is kept"


def test_an_any_table_takes_agreeing_rules_and_stops_on_disagreeing_ones(uow):
    agreeing = [("&gt; 100", '"high"'), ("&gt; 1000", '"high"'), ("&lt; 100", '"low"')]
    code = dm.deploy(uow, dm.dmn("ANY", agreeing), 'risk == "high"')
    case_no = decide(uow, code, 5000)
    assert case_row(uow, case_no).data["risk"] == "high"
    assert open_names(uow, case_no) == [INSPECT]

    code = dm.deploy(uow, dm.dmn("ANY", dm.RISK_RULES), 'risk == "high"')
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no
    with pytest.raises(ModelRuntimeError) as caught:
        complete(uow, "window1", case_no, "申报", {"amount": 5000})
    assert "ANY" in str(caught.value) and "r_high" in str(caught.value)
    assert open_names(uow, case_no) == ["申报"]


def test_a_cell_reading_data_the_case_lacks_names_the_decision_rule_and_variable(uow):
    table = dm.dmn("FIRST", dm.RISK_RULES).replace("<text>amount</text>", "<text>turnover</text>")
    code = dm.deploy(uow, table, 'risk == "high"')
    with uow() as u:
        case_no = cases.start_case(u, user(u, "window1"), code, ENTERPRISE).case.case_no
    with pytest.raises(ModelRuntimeError) as caught:
        complete(uow, "window1", case_no, "申报", {"amount": 5000})
    message = str(caught.value)
    assert dm.DECISION in message and "r_medium" in message and "turnover" in message
    assert caught.value.details["element_id"] == "assess"


def test_no_matching_rule_leaves_no_stale_value(uow):
    """A single-hit table with no match writes None (DMN's null), a multi-hit one an empty list."""
    rules = [("&gt; 100", '"medium"'), ("&gt; 1000", '"high"')]
    code = dm.deploy(uow, dm.dmn("FIRST", rules), "risk is None")
    case_no = decide(uow, code, 5)
    assert case_row(uow, case_no).data["risk"] is None
    assert open_names(uow, case_no) == [INSPECT]
    code = dm.deploy(uow, dm.dmn("RULE ORDER", rules), "risk == []")
    assert open_names(uow, decide(uow, code, 5)) == [INSPECT]


@pytest.mark.parametrize(
    ("policy", "mapping", "expected"),
    [
        ("FIRST", "singleEntry", "medium"),
        ("FIRST", "singleResult", {"risk": "medium"}),
        ("COLLECT", "collectEntries", ["medium", "high", "low"]),
        ("RULE ORDER", "resultList", [{"risk": "medium"}, {"risk": "high"}, {"risk": "low"}]),
    ],
)
def test_camunda_decision_ref_runs_with_its_result_variable(uow, policy, mapping, expected):
    """``camunda:decisionRef`` with ``resultVariable`` and ``mapDecisionResult``, as Camunda
    Modeler writes a business rule task: the result lands in that one variable, shaped as
    Camunda shapes it."""
    attributes = f'camunda:resultVariable="assessment" camunda:mapDecisionResult="{mapping}"'
    table = dm.dmn(policy, dm.RISK_RULES)
    code = dm.deploy(
        uow, table, f"assessment == {expected!r}", camunda=True, task_attributes=attributes
    )
    case_no = decide(uow, code, 5000)
    data = case_row(uow, case_no).data
    assert data["assessment"] == expected and "risk" not in data
    assert open_names(uow, case_no) == [INSPECT]


def test_camunda_decision_ref_without_result_variable_writes_the_outputs(uow):
    code = dm.deploy(
        uow, dm.dmn("PRIORITY", dm.RISK_RULES, allowed=LEVELS), 'risk == "high"', camunda=True
    )
    assert open_names(uow, decide(uow, code, 5000)) == [INSPECT]


@pytest.mark.parametrize(
    ("attributes", "refused"),
    [
        ('camunda:decisionRefBinding="deployment"', None),
        ('camunda:decisionRefBinding="latest" camunda:mapDecisionResult="singleEntry"', None),
        ('camunda:decisionRefBinding="version"', "camunda:decisionRefBinding"),
        ('camunda:decisionRefVersion="3"', "camunda:decisionRefVersion"),
        ('camunda:decisionRefTenantId="county"', "camunda:decisionRefTenantId"),
        ('camunda:mapDecisionResult="firstEntry"', "camunda:mapDecisionResult"),
    ],
)
def test_camunda_decision_bindings_the_model_version_cannot_honour_are_refused(
    uow, attributes, refused
):
    key = f"risk_binding_{abs(hash(attributes)) % 10**8}"
    bpmn = dm.bpmn(key, "True", task_attributes=attributes, camunda=True)
    files = dm.files(key, bpmn, dm.dmn("FIRST", dm.RISK_RULES))
    with uow() as u:
        if refused is None:
            assert deploy_model(u, None, key, files).created
            return
        with pytest.raises(ModelInvalid) as caught:
            deploy_model(u, None, key, files)
    [problem] = caught.value.problems
    assert problem["element_id"] == "assess" and refused in problem["message"]


def problems(uow, table: str) -> list[dict]:
    files = dm.files("risk_refused", dm.bpmn("risk_refused", "True"), table)
    with uow() as u, pytest.raises(ModelInvalid) as caught:
        deploy_model(u, None, "risk_refused", files)
    return caught.value.problems


def only(found: list[dict]) -> dict:
    assert len(found) == 1, found
    problem = found[0]
    assert problem["file"] == "risk.dmn" and problem["line"], problem
    return problem


def test_priority_without_allowed_values_is_refused(uow):
    problem = only(problems(uow, dm.dmn("PRIORITY", dm.RISK_RULES)))
    assert problem["element_id"] == "table"
    assert "PRIORITY" in problem["message"] and "outputValues" in problem["message"]


def test_a_priority_output_outside_its_allowed_values_is_refused(uow):
    table = dm.dmn("PRIORITY", dm.RISK_RULES, allowed='"high","medium"')
    problem = only(problems(uow, table))
    assert problem["element_id"] == "r_low" and "'low'" in problem["message"]


def test_an_aggregation_needs_collect_and_a_single_output(uow):
    second = '<output id="out_note" name="note" typeRef="string"/>'
    table = dm.dmn("COLLECT", dm.FEE_RULES, output="fee", aggregation="SUM", extra_outputs=second)
    problem = only(problems(uow, table))
    assert "SUM" in problem["message"] and "一个输出列" in problem["message"]
    problem = only(problems(uow, dm.dmn("FIRST", dm.FEE_RULES, output="fee", aggregation="MAX")))
    assert "COLLECT" in problem["message"] and "FIRST" in problem["message"]


@pytest.mark.parametrize(
    ("cell", "python"),
    [('"a","b"', '? in ("a", "b")'), ("[1..5]", "1 &lt;= ? &lt;= 5"), ('not("a")', '? != "x"')],
)
def test_a_feel_cell_is_refused_with_its_python_spelling(uow, cell, python):
    """``"a","b"`` would compare the amount with a tuple in Python and never match."""
    rules = [(cell, '"high"'), *dm.RISK_RULES[1:]]
    problem = only(problems(uow, dm.dmn("FIRST", rules)))
    assert problem["element_id"] == "r_medium_in" and "FEEL" in problem["message"]
    assert python.replace("&lt;", "<") in problem["message"]


def test_feel_as_the_tables_language_is_refused(uow):
    table = dm.dmn("FIRST", dm.RISK_RULES).replace(
        'namespace="http://onewindow.test/dmn"',
        'namespace="http://onewindow.test/dmn" '
        'expressionLanguage="https://www.omg.org/spec/DMN/20191111/FEEL/"',
    )
    problem = only(problems(uow, table))
    assert "FEEL" in problem["message"] and "Python" in problem["message"]


def test_a_decision_that_is_no_table_or_needs_another_decision_is_refused(uow):
    literal = dm.dmn("FIRST", dm.RISK_RULES)
    start, end = literal.index("<decisionTable"), literal.index("</decisionTable>") + 16
    literal = literal[:start] + '<literalExpression id="lit"><text>1</text></literalExpression>'
    literal += dm.dmn("FIRST", dm.RISK_RULES)[end:]
    problem = only(problems(uow, literal))
    assert problem["element_id"] == dm.DECISION and "decisionTable" in problem["message"]

    required = dm.dmn("FIRST", dm.RISK_RULES).replace(
        '<decision id="risk_table" name="风险评定">',
        '<decision id="risk_table" name="风险评定"><informationRequirement id="req">'
        '<requiredDecision href="#other"/></informationRequirement>',
    )
    problem = only(problems(uow, required))
    assert "informationRequirement" in problem["message"]
