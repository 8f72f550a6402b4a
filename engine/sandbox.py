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

- **Deep walks.** A structure can hold the same large object many times
  (``[[0]*10**6 for i in range(10**6)]`` is cheap to build), and ``str``, ``==``, ``hash``,
  ``sorted`` then walk every copy in one C call. Every such consumer checks the *deep size* of
  its operands first (items counted through every reference, characters for strings; at most
  ``MAX_SEQUENCE_LENGTH``): comparisons, f-string values, set and dict keys and stored
  subscripts go through ``_sized_``, reads through ``_getitem_``, and ``str``/``repr``/``hash``/
  ``sorted``/``min``/``max``/``set``/``dict``/``zip`` and the comparing or hashing methods of
  lists, tuples, dicts and sets are checked wrappers. What a script leaves in the case data and
  what an expression returns are checked the same way, so saving the case (JSON) stays bounded;
  so are the arguments of an error a script raises, which the engine formats and logs.
- **Memory.** Once a script has run for ``MEMORY_SAMPLE_AFTER`` the tracer samples the process's
  resident memory (``/proc/self/statm``) every ``MEMORY_SAMPLE_EVERY`` and stops it when it has
  grown by more than ``MAX_MEMORY_GROWTH``: a loop of capped allocations cannot fill the machine
  within the time budget. Ordinary conditions finish long before the first sample and pay nothing.
- **Refused when deploying.** Operations on constants (``10**10**8``, ``'x' * 10**10``,
  ``range(10**12)``) are checked while compiling, so the model is refused with the line.

Values that come from task data (e.g. a huge ``Decimal`` from a form) are not checked here: bound
them where they are parsed (engine/forms.py limits a submission's size).
"""

from __future__ import annotations

import ast
import copy
import decimal
import functools
import math
import operator
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sized
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
MAX_MODPOW_COST = MAX_INT_BITS * 1000  # exponent bits x modulus bits: ~40 ms at the largest
MAX_MEMORY_GROWTH = 256 * 2**20
MEMORY_SAMPLE_AFTER = 0.005
MEMORY_SAMPLE_EVERY = 0.002

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
        node = super().visit_Call(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in _CONSTANT_CHECKS
            and not node.keywords
        ):
            self._refuse_constant(node, _CONSTANT_CHECKS[node.func.id], *node.args)
        return node

    def _refuse_constant(self, node: ast.AST, check: Callable[..., Any], *args: ast.AST) -> None:
        """Refuse at deploy an operation on constants that would be refused at run time."""
        values = [_folded(arg) for arg in args]
        if any(value is _NOT_CONSTANT for value in values):
            return
        try:
            check(*values)
        except SandboxError as exc:
            self.error(node, exc.message)
        except (ArithmeticError, TypeError, ValueError):
            return  # an ordinary run-time error, reported with the element when it runs

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        node = super().visit_Compare(node)
        node.left = _sized_node(node.left)
        node.comparators = [_sized_node(item) for item in node.comparators]
        return node

    def visit_Set(self, node: ast.Set) -> ast.AST:
        node = super().visit_Set(node)
        node.elts = [_sized_node(item) for item in node.elts]
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        node = super().visit_Dict(node)
        node.keys = [None if key is None else _sized_node(key) for key in node.keys]
        return node

    def visit_SetComp(self, node: ast.SetComp) -> ast.AST:
        node = super().visit_SetComp(node)
        node.elt = _sized_node(node.elt)
        return node

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        node = super().visit_DictComp(node)
        node.key = _sized_node(node.key)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node = super().visit_Subscript(node)
        if isinstance(node, ast.Subscript):  # a store or delete; reads became _getitem_
            node.slice = _sized_node(node.slice)
        return node

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
        self._refuse_constant(
            node, functools.partial(_check_operation, symbol), node.left, node.right
        )
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
        node = super().visit_FormattedValue(node)
        node.value = _sized_node(node.value)
        return node


_NOT_CONSTANT = object()


def _folded(node: ast.AST) -> Any:
    """The value of a constant operand, folding guarded operations on constants (``10**8``);
    ``_NOT_CONSTANT`` otherwise. Folding runs the same checks first, so it stays cheap."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _folded(node.operand)
        return -value if isinstance(value, (int, float)) else _NOT_CONSTANT
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_binop_"
        and isinstance(node.args[0], ast.Constant)
    ):
        left, right = _folded(node.args[1]), _folded(node.args[2])
        if left is _NOT_CONSTANT or right is _NOT_CONSTANT:
            return _NOT_CONSTANT
        try:
            return _binop(node.args[0].value, left, right)
        except (SandboxError, ArithmeticError, TypeError, ValueError):
            return _NOT_CONSTANT
    return _NOT_CONSTANT


def _sized_node(node: ast.expr) -> ast.expr:
    """``_sized_(node)``: the operand of a walking operation, checked first (constants are not:
    the compiler made them and they are small)."""
    if isinstance(node, ast.Constant):
        return node
    if isinstance(node, ast.Starred):
        node.value = _sized_node(node.value)
        return node
    call = ast.Call(func=ast.Name("_sized_", ast.Load()), args=[node], keywords=[])
    copy_locations(call, node)
    return call


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
    return _sized(result, "表达式的值 (the value)")


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
    for name, value in data.items():
        _sized(value, name)  # the case is saved as JSON, which walks every reference


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


class _Budget:
    """The time and memory one run may spend; ``spend`` runs on every traced event."""

    def __init__(self, timeout: float) -> None:
        now = time.monotonic()
        self.timeout = timeout
        self.deadline = now + timeout
        self.next_sample = now + MEMORY_SAMPLE_AFTER
        self.baseline: int | None = None

    def spend(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise SandboxError(f"表达式或脚本运行超时 (timed out after {self.timeout:g} s)")
        if now >= self.next_sample:
            self.next_sample = now + MEMORY_SAMPLE_EVERY
            self._check_memory()

    def _check_memory(self) -> None:
        resident = _resident_bytes()
        if resident is None:
            self.next_sample = math.inf
        elif self.baseline is None:
            self.baseline = resident
        elif resident - self.baseline > MAX_MEMORY_GROWTH:
            raise SandboxError(
                f"表达式或脚本占用内存超过 {MAX_MEMORY_GROWTH // 2**20} MB "
                f"(used more than {MAX_MEMORY_GROWTH // 2**20} MB of memory)"
            )


def _resident_bytes() -> int | None:
    """The process's resident memory, or None where ``/proc`` is missing (then unchecked)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _run(code: CodeType, namespace: dict[str, Any], timeout: float) -> Any:
    """Run compiled sandbox code under the budget and the bounded decimal context."""
    budget = _Budget(timeout)

    def trace_lines(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        budget.spend()
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
    except SandboxError:
        raise
    except Exception as exc:
        # The engine formats and logs the error outside the sandbox.
        _sized(exc.args, "错误信息 (the error's arguments)")
        raise
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


_FLAT_TYPES = frozenset(
    {str, bytes, int, float, complex, bool, type(None), decimal.Decimal, date, datetime, timedelta}
)
_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))
_WALKED_TYPES = (list, tuple, set, frozenset, *_DICT_VIEWS)


def _deep_size(value: Any) -> int:
    """Items reachable from ``value``, counted again through every reference (what ``str``,
    ``==``, ``hash`` and JSON walk), characters for strings; stops once past the limit."""
    size = 0
    stack = [value]
    while stack and size <= MAX_SEQUENCE_LENGTH:
        item = stack.pop()
        size += len(item) if isinstance(item, (str, bytes)) else 1
        if isinstance(item, dict):
            size += len(item)
            if size <= MAX_SEQUENCE_LENGTH:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, _WALKED_TYPES):
            size += len(item)
            if size <= MAX_SEQUENCE_LENGTH:
                stack.extend(item)
    return size


def _sized(value: Any, what: str = "值 (value)") -> Any:
    """``value`` unchanged, once it is known to be small enough to walk in one C call."""
    if type(value) not in _FLAT_TYPES:
        _check_length(_deep_size(value), what)
    return value


def _items(iterable: Any, what: str) -> Any:
    """An iterable about to be walked by C code, checked; a one-shot iterator becomes a list
    first (its items are produced by traced code, so that part is bounded by time)."""
    if isinstance(iterable, Iterator):
        iterable = list(iterable)
    return _sized(iterable, what)


def _sized_key(key: Callable[[Any], Any] | None, what: str) -> Callable[[Any], Any] | None:
    if key is None:
        return None
    return lambda item: _sized(key(item), what)


def _bounded_sorted(iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list[Any]:
    return sorted(_items(iterable, "sorted()"), key=_sized_key(key, "sorted()"), reverse=reverse)


def _extreme(function: Callable[..., Any]) -> Callable[..., Any]:
    """``min``/``max`` that check what they compare."""
    what = f"{function.__name__}()"

    def bounded(*args: Any, key: Any = None, **kwargs: Any) -> Any:
        items = _items(args[0], what) if len(args) == 1 else _sized(args, what)
        return function(items, key=_sized_key(key, what), **kwargs)

    return bounded


def _walking(function: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin that walks its arguments in one C call (``repr``, ``hash``), checked first."""
    what = f"{function.__name__}()"

    def bounded(*args: Any, **kwargs: Any) -> Any:
        return function(*[_sized(arg, what) for arg in args], **kwargs)

    return bounded


class _BoundedZip:
    """``zip`` whose rows together hold at most ``MAX_SEQUENCE_LENGTH`` items:
    ``zip(*[r] * 10**6)`` would otherwise build 10**12 in one ``list()``."""

    def __init__(self, *iterables: Any, strict: bool = False) -> None:
        _check_length(len(iterables), "zip()")
        self._rows = zip(*iterables, strict=strict)
        self._produced = 0

    def __iter__(self) -> _BoundedZip:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = next(self._rows)
        self._produced += len(row)
        _check_length(self._produced, "zip()")
        return row


def _too_wide(numbers: list[str]) -> bool:
    return any(len(number) > 4 or int(number) > MAX_FORMAT_WIDTH for number in numbers)


def _check_power(base: Any, exponent: Any, modulus: Any = None) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)):
        return
    if isinstance(modulus, int):
        if exponent.bit_length() * modulus.bit_length() > MAX_MODPOW_COST:
            raise SandboxError("pow() 的模幂运算过大 (pow() with a modulus: numbers too large)")
    elif exponent > 0 and abs(base) > 1:
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
        _sized(right, "%")
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
    _check_power(base, exponent, mod)
    return pow(base, exponent, mod)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if numbers[MAX_SEQUENCE_LENGTH:]:
        _check_length(MAX_SEQUENCE_LENGTH + 1, "range()")
    return numbers


_CONSTANT_CHECKS: dict[str, Callable[..., Any]] = {"range": _bounded_range, "pow": _check_power}


def _bounded_sum(iterable: Any, /, start: Any = 0) -> Any:
    if isinstance(start, _SEQUENCES):
        raise SandboxError("sum() 只能累加数值 (sum() only adds numbers)")
    return sum(iterable, start)


def _bounded_round(number: Any, ndigits: int | None = None) -> Any:
    if isinstance(ndigits, int) and abs(ndigits) > MAX_INT_DIGITS:
        raise SandboxError(f"round() 的位数超过 {MAX_INT_DIGITS} (ndigits too large)")
    return round(number, ndigits)


class _StandIn(type):
    """A checked constructor standing in for the builtin type it derives from: a script's
    ``isinstance(x, Decimal)`` or ``isinstance(x, dict)`` accepts every instance of that type."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.__mro__[1])

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls.__mro__[1])


class _BoundedStr(str, metaclass=_StandIn):
    """``str(x)`` walks all of ``x``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> str:  # type: ignore[misc]
        return str(*[_sized(arg, "str()") for arg in args], **kwargs)


class _BoundedDict(dict, metaclass=_StandIn):
    """``dict(pairs)`` hashes every key."""

    def __new__(cls, *args: Any, **kwargs: Any) -> dict:  # type: ignore[misc]
        return dict(*[_items(arg, "dict()") for arg in args], **kwargs)


class _BoundedSet(set, metaclass=_StandIn):
    """``set(items)`` hashes every item."""

    def __new__(cls, *args: Any) -> set:  # type: ignore[misc]
        return set(*[_items(arg, "set()") for arg in args])


class BoundedDecimal(decimal.Decimal, metaclass=_StandIn):
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


_CONTAINERS = (list, tuple, dict, set)
_SHALLOW_METHODS = frozenset(
    {"append", "insert", "clear", "copy", "keys", "values", "items", "reverse", "popitem"}
)


def _walk_checked(owner: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """A container method that compares or hashes (``index``, ``count``, ``sort``, ``get``,
    ``add``, ``issubset``...): the container and the arguments are checked first."""
    what = f"{name}()"

    def checked(*args: Any, **kwargs: Any) -> Any:
        _sized(owner, what)
        args = tuple(_items(arg, what) for arg in args)
        if "key" in kwargs:
            kwargs["key"] = _sized_key(kwargs["key"], what)
        return method(*args, **{key: _sized(value, what) for key, value in kwargs.items()})

    return checked


def _guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name`` in a script: no ``_`` names or ``format`` (RestrictedPython), no ``mro``,
    size checks on the methods that can build huge results in one call, and deep-size checks
    on the container methods that walk their items."""
    if name == "mro":
        raise AttributeError('"mro" is not available in scripts')
    value = safer_getattr_raise(obj, name)
    if name in _METHOD_SIZES or name == "join":
        if isinstance(obj, type) and issubclass(obj, _SIZED_TYPES):
            raise SandboxError(f"请在值上调用 {name}() (call {name}() on a value, not its type)")
        if isinstance(obj, _SIZED_TYPES):
            return _size_checked(obj, name, value)
    elif _is_container(obj) and callable(value) and name not in _SHALLOW_METHODS:
        return _walk_checked(obj, name, value)
    return value


def _is_container(obj: Any) -> bool:
    """A list, tuple, dict or set, or one of those types (``dict.fromkeys``, ``list.sort``)."""
    return isinstance(obj, _CONTAINERS) or (isinstance(obj, type) and issubclass(obj, _CONTAINERS))


def _getitem(obj: Any, key: Any) -> Any:
    """``obj[key]``: a tuple key is hashed, walking all of it."""
    if type(key) is tuple:
        _sized(key, "[]")
    return obj[key]


def _tick() -> None:
    """Starts every ``while`` body. ``while True: pass`` compiles to a jump onto itself, which
    CPython 3.11 never reports as a line event; with a real first instruction the backward jump
    lands earlier and the tracer sees every iteration."""


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_apply_": _apply,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_tick_": _tick,
    "_sized_": _sized,
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
    "min": _extreme(min),
    "max": _extreme(max),
    "sum": _bounded_sum,
    "abs": abs,
    "round": _bounded_round,
    "pow": _bounded_pow,
    "sorted": _bounded_sorted,
    "any": any,
    "all": all,
    "str": _BoundedStr,
    "repr": _walking(repr),
    "hash": _walking(hash),
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": _BoundedDict,
    "set": _BoundedSet,
    "tuple": tuple,
    "range": _bounded_range,
    "enumerate": enumerate,
    "zip": _BoundedZip,
    "isinstance": isinstance,
    "Decimal": BoundedDecimal,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
}
