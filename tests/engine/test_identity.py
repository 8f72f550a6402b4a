"""GB 11643 and GB 32100 check digits, on numbers published as valid and on one-character typos."""

from __future__ import annotations

import pytest

from engine.identity import id_number_problem


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("居民身份证", "11010519491231002X"),
        ("身份证", "440524188001010014"),
        ("居民身份证", "33990119900101123X"),  # the demo county: no region lookup
        ("统一社会信用代码", "91110000600037341L"),
        ("统一社会信用代码", "91339901MA2H7K3Q05"),
        ("护照", "E12345678"),  # no check digit to test
    ],
)
def test_valid_numbers_pass(id_type: str, number: str) -> None:
    assert id_number_problem(id_type, number) is None


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("居民身份证", "110105194912310021"),  # wrong check digit
        ("居民身份证", "110105194913310027"),  # no 13th month
        ("居民身份证", "11010519491231002"),  # 17 characters
        ("身份证", "1101051949123100AX"),
        ("统一社会信用代码", "91110000600037341M"),  # wrong check digit
        ("统一社会信用代码", "91110000600037341"),
    ],
)
def test_typos_are_named(id_type: str, number: str) -> None:
    assert "不正确" in (id_number_problem(id_type, number) or "")
