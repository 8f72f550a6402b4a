"""What went wrong inside a model at run time, said in the clerk's words and located.

SpiffWorkflow reports a failing condition or script as a ``WorkflowException`` whose text is
English and whose useful parts (the element, the expression, the missing variable, the line)
sit in attributes and in the exception it wraps. ``explain`` turns it into a
``ModelRuntimeError`` (422): the message names the element, the expression and what is
missing; ``details`` carries the same as fields for programs and the administrator's
incident list.
"""

from __future__ import annotations

import re
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import WorkflowException

from .errors import ModelRuntimeError
from .sandbox import SandboxError

_EXPRESSION = re.compile(r"Error evaluating expression '(?P<expression>.*)'", re.S)
_NO_WAY_OUT = re.compile(r"No conditions satisfied")
_MISSING_NAME = re.compile(r"name '(?P<name>[^']+)' is not defined")

WHERE = "流程模型在“%(element)s”（%(element_id)s）出错："
MISSING_VARIABLE = "表达式 %(expression)s 引用了办件数据中没有的变量 %(name)s。"
NO_WAY_OUT = "没有一条出口的条件成立，也没有默认出口。"
SCRIPT_FAILED = "脚本第 %(line)s 行 %(code)s 执行失败（%(reason)s）。"
EXPRESSION_FAILED = "表达式 %(expression)s 无法求值（%(reason)s）。"
STEP_FAILED = "%(reason)s。"
SAVED_NOTHING = "本次办理未保存，请联系流程设计员修正模型。"


def explain(error: Exception) -> ModelRuntimeError:
    """The located, translatable form of an error raised while the engine ran the model."""
    spec = _spec_of(error)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None) or "?"
    params: dict[str, Any] = {
        "element": getattr(spec, "bpmn_name", None) or element_id,
        "element_id": element_id,
    }
    cause = _cause(error)
    reason = _reason(error, cause)
    text = str(error.args[0]) if error.args else str(error)  # without the "did you mean" notes
    found = _EXPRESSION.search(text)
    missing = _MISSING_NAME.search(str(cause) if cause is not None else text) or (
        _MISSING_NAME.search(text)
    )
    if found and missing:
        template = MISSING_VARIABLE
        params.update(expression=found["expression"], name=missing["name"])
    elif found:
        template = EXPRESSION_FAILED
        params.update(expression=found["expression"], reason=reason)
    elif _NO_WAY_OUT.search(text):
        template = NO_WAY_OUT
    elif getattr(error, "error_line", None) or getattr(error, "line_number", None):
        template = SCRIPT_FAILED
        params.update(
            line=getattr(error, "line_number", None) or "?",
            code=(getattr(error, "error_line", None) or "").strip(),
            reason=reason,
        )
        if missing:
            params["reason"] = f"变量 {missing['name']} 不存在"
    else:
        template = STEP_FAILED
        params.update(reason=reason)
    details = {key: value for key, value in params.items() if key not in ("element",)}
    details.update(element_name=params["element"], error_type=_error_type(error, cause))
    return ModelRuntimeError((WHERE, template, SAVED_NOTHING), params, details)


def is_model_error(error: Exception) -> bool:
    """Errors that come from the model and the case's data, not from our code or database."""
    return isinstance(error, WorkflowException | SandboxError)


def _spec_of(error: Exception) -> Any:
    task = getattr(error, "task", None)
    if task is not None:
        return task.task_spec
    return getattr(error, "task_spec", None)


def _cause(error: Exception) -> BaseException | None:
    return getattr(error, "exception", None) or error.__cause__ or error.__context__


def _reason(error: Exception, cause: BaseException | None) -> str:
    if isinstance(error, WorkflowTaskException) and ":" in str(error) and not cause:
        return str(error)
    if cause is not None:
        return f"{type(cause).__name__}: {cause}"
    return str(error)


def _error_type(error: Exception, cause: BaseException | None) -> str:
    if cause is not None:
        return type(cause).__name__
    return getattr(error, "error_type", None) or type(error).__name__
