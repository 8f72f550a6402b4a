"""Restricted evaluation of BPMN expressions and scripts.

SpiffWorkflow hands every gateway condition, script task, pre/post script, timer expression,
multi-instance expression and DMN cell to plain ``eval``/``exec``: a model author could import
``os``, and RestrictedPython's ``safe_globals`` alone still leaves
``().__class__.__base__.__subclasses__()`` open (ENGINE-NOTES.md). Everything here compiles with
RestrictedPython's ``compile_restricted`` plus a stricter policy, and runs under a time limit.

Refused when compiling (``SandboxError`` before anything runs):

- imports; any name or attribute starting with ``_`` (so no dunder walk to ``os``); frame and
  generator internals (``gi_frame``...);
- ``try``/``except``: a script must not be able to swallow the timeout error;
- class definitions, ``print`` (there is no console: assign results to variables), calls to
  ``eval``/``exec``/``compile``/``open``/``getattr``/``globals``/``vars``...;
- f-string format specs that are computed, or wider than ``MAX_FORMAT_WIDTH``.

Not available at run time: ``getattr``/``setattr``/``type``/``object``/``open``/``__import__``
and every other builtin outside ``_BUILTINS``; ``str.format``/``format_map`` and ``mro`` raise.

Bounded at run time:

- **Time.** A ``sys.settrace`` tracer, installed only for the current thread and only acting on
  frames of ``SCRIPT_FILENAME``, checks ``time.monotonic()`` on every call and line event (a loop
  fires one per iteration; ``while`` bodies get a ``_tick_()`` so even ``while True: pass`` does)
  and raises ``SandboxError`` once the budget (default 1 s) is spent. It works in any thread,
  unlike ``signal.alarm``, and the previous tracer is restored afterwards. Scripts cannot catch
  that error: ``try`` is refused.
- **Single operations a tracer cannot interrupt** (one C call): ``**``, ``*``, ``<<``, ``+`` and
  ``%`` are rewritten to ``_binop_`` (and augmented assignments go through ``_inplacevar_``),
  which refuses integers above ``MAX_INT_DIGITS`` digits (``9**9**9``), sequences above
  ``MAX_SEQUENCE_LENGTH`` items (``'a'*10**10``, ``x + x``) and ``%`` widths or precisions above
  ``MAX_FORMAT_WIDTH``. ``pow``, ``range`` (``list(range(10**12))``), ``sum`` (no list or string
  start: quadratic concatenation), ``round`` (huge ``ndigits``) are bounded builtins. The growing
  methods ``str/bytes.ljust/rjust/center/zfill/expandtabs/replace/translate/join``,
  ``int.to_bytes`` and ``list.extend`` check their result size first. ``Decimal`` refuses more
  than ``MAX_INT_DIGITS`` digits or exponent, and decimal arithmetic runs with ``Emax``/``Emin``
  of the same size (``int(Decimal('1e1000000'))`` alone takes 30 s).

Not bounded: total memory. Each operation is capped, but a loop can still allocate capped
objects for up to the time budget, and ``str()`` of a structure that repeats one large object
many times is a single C call. Run workers under a memory limit (cgroup/container) so the OS stops
a runaway worker, and treat model upload as a privileged action. Values that come from task data
(e.g. a huge ``Decimal`` from a form) are not checked here: bound them where they are parsed.
"""

from __future__ import annotations

import ast
import copy
import decimal
import functools
import math
import operator
import re
import sys
import time
import traceback
from collections.abc import Callable, Sized
from datetime import date, datetime, timedelta
from types import CodeType, FrameType, GeneratorType, ModuleType
from typing import Any, Literal

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

SCRIPT_FILENAME = "<bpmn-script>"
DEFAULT_TIMEOUT = 1.0
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_INT_DIGITS = 4300  # Python's own default limit for int <-> str conversion
MAX_INT_BITS = math.ceil(MAX_INT_DIGITS * math.log2(10))
MAX_FORMAT_WIDTH = 1000

_FORBIDDEN_CALLS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "dir",
        "breakpoint",
    }
)
_GUARDED_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Mult: "*",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
}
_BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "*": operator.mul,
    "%": operator.mod,
    "**": operator.pow,
    "<<": operator.lshift,
}
_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "@=": operator.imatmul,
}
_SEQUENCES = (str, bytes, list, tuple)
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?")
_ERROR_LINE = re.compile(r"^Line (\d+):")


class SandboxError(Exception):
    """A BPMN expression or script was refused or stopped; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened for BPMN and rewired so big operations are checked."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "表达式不允许导入模块 (imports are not allowed)")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "表达式不允许导入模块 (imports are not allowed)")
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        self.error(
            node, "脚本不能捕获异常 (try/except is not allowed: errors must reach the engine)"
        )
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "脚本不能定义类 (class definitions are not allowed)")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self.error(node, "脚本没有控制台，请把结果赋给变量 (print is not available)")
            return node
        return super().visit_Name(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f"不允许调用 {node.func.id} ({node.func.id}() is not allowed)")
            return node
        return super().visit_Call(node)

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        tick = ast.Expr(ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr):
            if not all(isinstance(part, ast.Constant) for part in spec.values):
                self.error(
                    node, "f-string 的格式说明必须是常量 (computed format specs not allowed)"
                )
            elif _too_wide(re.findall(r"\d+", "".join(part.value for part in spec.values))):
                self.error(node, f"格式宽度超过 {MAX_FORMAT_WIDTH} (format width too large)")
        return super().visit_FormattedValue(node)


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str, mode: Literal["eval", "exec"]) -> CodeType:
    """Compile ``source`` under the sandbox policy, cached because models repeat expressions."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename=SCRIPT_FILENAME, policy=_Policy)
    if result.errors:
        match = _ERROR_LINE.match(result.errors[0])
        raise SandboxError(
            "表达式被沙箱拒绝 (rejected by the sandbox): " + "; ".join(result.errors),
            line=int(match.group(1)) if match else None,
        )
    return result.code


def evaluate(expression: str, data: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Evaluate ``expression`` with ``data`` as its variables; ``data`` is not modified."""
    code = compile_expression(expression, "eval")
    result = _run(code, {**data, **_GUARDS, "__builtins__": _BUILTINS}, timeout)
    if isinstance(result, GeneratorType):
        # The caller would run it later, outside the time limit.
        raise SandboxError("表达式不能返回生成器 (an expression cannot return a generator)")
    return result


def execute(script: str, data: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run ``script`` with ``data`` as its globals, as SpiffWorkflow does: new and changed
    variables land in ``data``; functions, modules and generators are dropped because they are
    not case data (and could run later, outside the sandbox's time limit)."""
    code = compile_expression(script, "exec")
    data.update(_GUARDS)
    data["__builtins__"] = _BUILTINS
    try:
        _run(code, data, timeout)
    finally:
        for name in [name for name, value in data.items() if _not_data(name, value)]:
            del data[name]


class SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment with sandboxed ``evaluate``/``execute``.

    Same merge order as ``TaskDataEnvironment``: environment globals, then ``external_context``
    (data objects, DMN inputs), then task data. ``environment_globals`` are trusted helpers the
    application exposes; scripts reach them through the same attribute guard.
    """

    def __init__(
        self, environment_globals: dict[str, Any] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__(environment_globals)
        self.timeout = timeout

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        namespace = copy.copy(self.globals)
        self._prepare_context(context)
        namespace.update(external_context or {})
        namespace.update(context)
        return evaluate(expression, namespace, timeout=self.timeout)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> bool:
        self.check_for_overwrite(context, external_context or {})
        self._prepare_context(context)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            execute(script, context, timeout=self.timeout)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxScriptEngine(PythonScriptEngine):
    """The script engine every OneWindow workflow uses."""

    def __init__(self, environment: SandboxEnvironment | None = None) -> None:
        super().__init__(environment or SandboxEnvironment())

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """The base class fails here with a NameError; say plainly that nothing is wired up."""
        raise WorkflowTaskException("服务任务未配置 (service tasks are not enabled)", task=task)

    def get_error_line_number_and_content(self, script: str, err: BaseException) -> tuple[int, str]:
        """The base class looks for frames named ``<string>``; ours are ``SCRIPT_FILENAME``."""
        line = 0
        if isinstance(err, SandboxError) and err.line:
            line = err.line
        else:
            for frame in traceback.extract_tb(err.__traceback__):
                if frame.filename == SCRIPT_FILENAME:
                    line = frame.lineno or 0
        lines = script.splitlines()
        return line, lines[line - 1] if 0 < line <= len(lines) else ""


@functools.cache
def script_engine() -> SandboxScriptEngine:
    """One shared engine: it keeps no per-call state, so threads can share it."""
    return SandboxScriptEngine()


def _run(code: CodeType, namespace: dict[str, Any], timeout: float) -> Any:
    """Run compiled sandbox code under the time limit and the bounded decimal context."""
    deadline = time.monotonic() + timeout

    def trace_lines(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        if time.monotonic() > deadline:
            raise SandboxError(f"表达式或脚本运行超时 (timed out after {timeout:g} s)")
        return trace_lines

    def trace_calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None  # library and guard code: not traced, so it stays fast
        return trace_lines(frame, event, arg)

    previous = sys.gettrace()
    sys.settrace(trace_calls)
    try:
        with decimal.localcontext(Emax=MAX_INT_DIGITS, Emin=-MAX_INT_DIGITS):
            return eval(code, namespace)
    except MemoryError as exc:
        raise SandboxError("表达式或脚本内存不足 (out of memory)") from exc
    finally:
        sys.settrace(previous)


def _not_data(name: str, value: Any) -> bool:
    return (
        name == "__builtins__"
        or name in _GUARDS
        or callable(value)
        or isinstance(value, (ModuleType, GeneratorType))
    )


# --- size checks -------------------------------------------------------------------------


def _check_length(size: Any, what: str) -> None:
    if isinstance(size, (int, float)) and size > MAX_SEQUENCE_LENGTH:
        raise SandboxError(
            f"结果过大：{what} 超过 {MAX_SEQUENCE_LENGTH} 项 "
            f"(result too large: {what} exceeds {MAX_SEQUENCE_LENGTH} items)"
        )


def _check_int_bits(bits: float, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxError(
            f"数值过大：{what} 超过 {MAX_INT_DIGITS} 位 "
            f"(number too large: {what} exceeds {MAX_INT_DIGITS} digits)"
        )


def _too_wide(numbers: list[str]) -> bool:
    return any(len(number) > 4 or int(number) > MAX_FORMAT_WIDTH for number in numbers)


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _check_int_bits(exponent * math.log2(abs(base)), "**")


def _check_operation(symbol: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big, before Python builds it."""
    if symbol == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _check_length(len(left) + len(right), "+")
    elif symbol == "*":
        if isinstance(left, int) and isinstance(right, int):
            _check_int_bits(left.bit_length() + right.bit_length(), "*")
        elif isinstance(left, _SEQUENCES) and isinstance(right, int):
            _check_length(len(left) * right, "*")
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            _check_length(len(right) * left, "*")
    elif symbol == "**":
        _check_power(left, right)
    elif symbol == "<<":
        if isinstance(left, int) and isinstance(right, int):
            _check_int_bits(left.bit_length() + right, "<<")
    elif symbol == "%" and isinstance(left, (str, bytes)):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        numbers = [n for spec in _PRINTF_SPEC.findall(text) for n in spec if n]
        if "*" in numbers or _too_wide(numbers):
            raise SandboxError(f"格式宽度超过 {MAX_FORMAT_WIDTH} (format width too large)")


def _binop(symbol: str, left: Any, right: Any) -> Any:
    _check_operation(symbol, left, right)
    return _BINARY_OPERATORS[symbol](left, right)


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    """``x op= y``, which RestrictedPython rewrites to ``x = _inplacevar_('op=', x, y)``."""
    _check_operation(op[:-1], target, value)
    return _INPLACE_OPERATORS[op](target, value)


def _bounded_pow(base: Any, exponent: Any, mod: Any = None) -> Any:
    if mod is None:
        _check_power(base, exponent)
    return pow(base, exponent, mod)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if numbers[MAX_SEQUENCE_LENGTH:]:
        _check_length(MAX_SEQUENCE_LENGTH + 1, "range()")
    return numbers


def _bounded_sum(iterable: Any, /, start: Any = 0) -> Any:
    if isinstance(start, _SEQUENCES):
        raise SandboxError("sum() 只能累加数值 (sum() only adds numbers)")
    return sum(iterable, start)


def _bounded_round(number: Any, ndigits: int | None = None) -> Any:
    if isinstance(ndigits, int) and abs(ndigits) > MAX_INT_DIGITS:
        raise SandboxError(f"round() 的位数超过 {MAX_INT_DIGITS} (ndigits too large)")
    return round(number, ndigits)


class _DecimalType(type):
    """Lets ``isinstance(x, Decimal)`` in a script accept every ``decimal.Decimal``."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, decimal.Decimal)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, decimal.Decimal)


class BoundedDecimal(decimal.Decimal, metaclass=_DecimalType):
    """``Decimal`` as scripts see it: builds a plain ``decimal.Decimal`` of bounded size."""

    def __new__(cls, value: Any = "0", context: decimal.Context | None = None) -> decimal.Decimal:
        number = decimal.Decimal(value, context)
        if number.is_finite():
            _sign, digits, exponent = number.as_tuple()
            if len(digits) > MAX_INT_DIGITS or abs(int(exponent)) > MAX_INT_DIGITS:
                raise SandboxError(f"Decimal 超过 {MAX_INT_DIGITS} 位 (Decimal too large)")
        return number


def _pad_size(text: Any, width: Any, *_fill: Any) -> Any:
    return width


def _expandtabs_size(text: Any, tabsize: Any = 8) -> Any:
    return len(text) * tabsize


def _replace_size(text: Any, old: Any, new: Any, count: int = -1) -> Any:
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _translate_size(text: Any, table: Any, *_delete: Any) -> Any:
    if isinstance(table, dict):
        replacements = [len(v) for v in table.values() if isinstance(v, (str, bytes))]
        return len(text) * max(replacements, default=1)
    return len(text)


def _to_bytes_size(number: Any, length: Any = 1, *args: Any, **kwargs: Any) -> Any:
    return length


def _extend_size(items: Any, new_items: Any) -> Any:
    return len(items) + (len(new_items) if isinstance(new_items, Sized) else 0)


_METHOD_SIZES: dict[str, Callable[..., Any]] = {
    "ljust": _pad_size,
    "rjust": _pad_size,
    "center": _pad_size,
    "zfill": _pad_size,
    "expandtabs": _expandtabs_size,
    "replace": _replace_size,
    "translate": _translate_size,
    "to_bytes": _to_bytes_size,
    "extend": _extend_size,
}
_SIZED_TYPES = (str, bytes, int, list)


def _size_checked(owner: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if name == "join":

        def join(iterable: Any) -> Any:
            parts = list(iterable)
            texts = sum(len(part) for part in parts if isinstance(part, (str, bytes)))
            _check_length(texts + len(owner) * max(len(parts) - 1, 0), "join()")
            return method(parts)

        return join
    estimate = _METHOD_SIZES[name]

    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_length(estimate(owner, *args, **kwargs), f"{name}()")
        return method(*args, **kwargs)

    return checked


def _guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name`` in a script: no ``_`` names or ``format`` (RestrictedPython), no ``mro``,
    and size checks on the methods that can build huge results in one call."""
    if name == "mro":
        raise AttributeError('"mro" is not available in scripts')
    value = safer_getattr_raise(obj, name)
    if name in _METHOD_SIZES or name == "join":
        if isinstance(obj, type) and issubclass(obj, _SIZED_TYPES):
            raise SandboxError(f"请在值上调用 {name}() (call {name}() on a value, not its type)")
        if isinstance(obj, _SIZED_TYPES):
            return _size_checked(obj, name, value)
    return value


def _tick() -> None:
    """Starts every ``while`` body. ``while True: pass`` compiles to a jump onto itself, which
    CPython 3.11 never reports as a line event; with a real first instruction the backward jump
    lands earlier and the tracer sees every iteration."""


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_apply_": _apply,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_tick_": _tick,
}
_REMOVED_BUILTINS = frozenset(
    {
        "__build_class__",
        "_getattr_",
        "setattr",
        "delattr",
        # Raising these would bypass every ``except Exception`` up to the web server.
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
    }
)
_BUILTINS: dict[str, Any] = {
    name: value for name, value in safe_builtins.items() if name not in _REMOVED_BUILTINS
} | {
    "len": len,
    "min": min,
    "max": max,
    "sum": _bounded_sum,
    "abs": abs,
    "round": _bounded_round,
    "pow": _bounded_pow,
    "sorted": sorted,
    "any": any,
    "all": all,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "range": _bounded_range,
    "enumerate": enumerate,
    "zip": zip,
    "isinstance": isinstance,
    "Decimal": BoundedDecimal,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
}
