"""Every message model validation can show has its English, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from web.model_messages import EN

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("definitions.py", "constructs.py", "camunda.py", "dmn.py", "waits.py")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Chinese text that is no message: the comment written into a generated form file.
NOT_MESSAGES = {"由 ", " 的 camunda:formData 生成；请修改 BPMN，而非此文件"}


def chinese_texts(path: Path) -> list[str]:
    """String constants with Chinese in them, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
        and node.value not in NOT_MESSAGES
    ]


@pytest.mark.parametrize("module", MODULES)
def test_every_model_message_has_its_english(module):
    missing = [text for text in chinese_texts(ROOT / "engine" / module) if text not in EN]
    assert missing == []


def test_the_english_keeps_every_placeholder():
    for chinese, english in EN.items():
        assert set(PLACEHOLDER.findall(chinese)) == set(PLACEHOLDER.findall(english)), chinese
        assert not CJK.search(english), english
