"""The use cases import downwards only: no module of engine/services imports, directly or
through others, a module that imports it back — neither at the top of the file nor inside a
function (where a circle used to hide)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "engine" / "services"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The sibling modules ``path`` imports, wherever in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [alias.name for alias in node.names]
            found |= {name.split(".")[0] for name in names} & modules
    return found


def circle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        module, path = stack.pop()
        for target in sorted(graph[module]):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_no_module_of_the_services_imports_itself_back() -> None:
    modules = {p.stem for p in SERVICES.glob("*.py") if p.stem != "__init__"}
    graph = {name: imports_of(SERVICES / f"{name}.py", modules) for name in modules}
    circles = [c for name in sorted(modules) if (c := circle_from(name, graph))]
    assert not circles, "\n".join(" -> ".join(c) for c in circles)
