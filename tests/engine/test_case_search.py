"""Searching by case number at a million cases (issue 16): a query that starts a case number
matches the numbers that start with it — an index range — and any other query still matches
part of the applicant's name or of the number."""

from __future__ import annotations

import pytest

from engine.services import cases as case_service
from engine.services import tasks as task_service
from engine.services.list_filters import REGION_CODE, Filters, _next_prefix

from .helpers import start, user
from .test_lists_at_scale import _plans


def _listed(make_uow, q: str) -> set[str]:
    with make_uow() as uow:
        found = case_service.list_cases(uow, user(uow, "admin"), q=q, per_page=200)
        return {case["case_no"] for case in found.items}


def test_a_number_or_its_start_finds_the_cases_numbered_so(uow) -> None:
    first, second = start(uow, "企业开办"), start(uow, "企业开办")
    assert first.startswith(REGION_CODE) and first[:-5] == second[:-5]  # one day, one item type
    assert _listed(uow, first) == {first}
    day = _listed(uow, first[:14])  # the region and the day: that day's cases
    assert {first, second} <= day and all(n.startswith(first[:14]) for n in day)
    assert {first, second} <= _listed(uow, first[6:14])  # the day alone: part of the number
    above = first[:-1] + str((int(first[-1]) + 1) % 10)
    assert first not in _listed(uow, above)
    with uow() as u:  # the inbox's applicant filter searches the same way
        found = task_service.list_tasks(
            u, user(u, "window1"), scope="department", filters=Filters(applicant=first)
        )
        assert {task["case_no"] for task in found.items} == {first}


def test_the_range_above_a_number_start() -> None:
    assert _next_prefix("3399010") == "3399011"
    assert _next_prefix("33990129") == "3399013"
    assert _next_prefix("3399") == "34"
    assert _next_prefix("999") is None


def test_postgresql_finds_a_number_by_its_unique_index(uow, backend) -> None:
    if backend != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    case_no = start(uow, "企业开办")
    with uow() as u:
        admin = user(u, "admin")
        [plan] = _plans(u, lambda: case_service.list_cases(u, admin, q=case_no), '"case"')
    assert "case_case_no_key" in plan and "trgm" not in plan, plan
