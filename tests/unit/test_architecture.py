"""The shape of the code: no import cycle among our modules, none hidden inside a function.

Imports inside functions count too: they are how a cycle hides (the API's app, its
routes and the participant page once imported each other that way).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("huishoudboekje", "adapters")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ours that `name` imports anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if _type_checking_only(node):
            node.body = []  # never imported when the program runs
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    return {t for t in targets if t in known and t != name}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_module_of_ours_imports_itself_round_a_circle():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    hidden = tmp_path / "m.py"
    hidden.write_text("def f():\n    from adapters.api import app\n", encoding="utf-8")
    assert imports_of("adapters.web.m", hidden, {"adapters.api.app": hidden, "adapters.web.m": hidden}) == \
        {"adapters.api.app"}


# What the pure domain may use besides the standard library: libraries that compute, never
# reach a file, a socket, a clock or a database.
DOMAIN_MAY_USE = {"eventsourcing", "dateutil", "holidays", "schwifty", "orjson", "text_unidecode"}
STDLIB_IO = {"os", "io", "socket", "sqlite3", "subprocess", "shutil", "pathlib", "time", "random", "urllib",
             "http", "logging", "tempfile", "threading", "multiprocessing", "asyncio"}


def test_the_domain_imports_nothing_of_the_outside_world():
    """Dependencies point inwards: the domain knows no service, adapter, store or file."""
    import sys

    wrong = []
    for path in (ROOT / "huishoudboekje" / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue  # relative imports stay inside the domain package
            for name in names:
                top = name.split(".")[0]
                ours = top in PACKAGES
                outside = top not in sys.stdlib_module_names and top not in DOMAIN_MAY_USE
                if ours or outside or top in STDLIB_IO:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong
