"""The house keeps its floors: each folder imports only the ground and the folders below it, no two
modules import each other, the plumbing (`sms`, `audit`) knows no feature, and views leave the
database to services. Read from the code's own imports, so a new module is checked the day it lands."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "natteravn"

#: Bottom to top. A module may import its own floor and those below, never above.
FLOORS = (
    ("clock", "db", "i18n", "links", "config", "spreadsheets", "web", "extensions"),  # the ground
    ("sms", "audit"),  # plumbing, used by everything above
    ("accounts", "places"),
    ("shifts",),  # the parent's night
    ("roster", "people", "reports", "privacy", "admin"),  # the coordinator's and administrator's work, own data
    ("", "cli", "demo", "scheduler", "models", "health"),  # the shell: the app factory, commands, jobs, health
)

#: The only imports against the floors, each with its reason.
EXCEPTIONS = {
    ("natteravn.sms.outbox", "accounts"): "the outbox page names each recipient",
    ("natteravn.sms.outbox", "places"): "the outbox page shows a coordinator only their own regions' messages",
    ("natteravn.audit.log", "accounts"): "the audit log names who did what",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    """The folder (or ground/shell file) a module lives in: natteravn.roster.autofill.solver -> roster."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _floor(room: str) -> int:
    return next(level for level, rooms in enumerate(FLOORS) if room in rooms)


def _imports(path: Path) -> set[str]:
    """The natteravn modules a file imports, wherever in it, except those only a type checker sees."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checked_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in checked_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("natteravn"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _exists(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("natteravn"))
    return found


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


GRAPH = {_module_name(path): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_room_has_a_floor():
    unplaced = sorted({_room(module) for module in GRAPH} - {room for floor in FLOORS for room in floor})
    assert not unplaced


def test_no_module_imports_a_floor_above_its_own():
    upward = sorted(
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports
        if _floor(_room(imported)) > _floor(_room(module)) and (module, _room(imported)) not in EXCEPTIONS
    )
    assert upward == []


def test_plumbing_knows_no_feature_but_the_listed_exceptions():
    assert len({module for module, _room in EXCEPTIONS}) <= 3
    plumbing = {module: imports for module, imports in GRAPH.items() if _room(module) in ("sms", "audit")}
    features = {
        (module, _room(imported))
        for module, imports in plumbing.items()
        for imported in imports
        if _room(imported) not in ("sms", "audit") and _floor(_room(imported)) > 0
    }
    assert features == set(EXCEPTIONS)


def test_no_two_modules_import_each_other_even_through_others():
    circles = [component for component in _strongly_connected(GRAPH) if len(component) > 1]
    assert circles == []


@pytest.mark.parametrize("view", sorted(module for module in GRAPH if module.endswith(".views")))
def test_views_leave_the_database_to_services(view):
    tree = ast.parse((PACKAGE.parent / (view.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in modules if m and m.split(".")[0] == "sqlalchemy"}


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm over the modules of the package."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return components
