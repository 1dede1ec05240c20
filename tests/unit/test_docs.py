"""The README's "Design in a page" and docs/architecture.md name real modules and names.

A design page that names a module which moved or a function that was renamed sends the
next reader to the wrong place; this test fails as soon as that happens.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASES = (ROOT, ROOT / "huishoudboekje", ROOT / "adapters")
CODE = [p for base in ("huishoudboekje", "adapters") for p in (ROOT / base).rglob("*.py")]

# Names the pages take from the libraries and formats we use, not from our code.
EXTERNAL = {"CdtrRefInf", "EventSourcedLog", "dateutil", "rrule", "pg_stat_activity", "iterparse",
            "financial_holidays", "holidays"}
# A path: something with a slash or ending in .py; a name: Class, Class.member, module.name.
PATH = re.compile(r"^[\w./-]*(/|\.py)[\w./-]*$")
NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\(\.\.\.\)|\(\))?$")


def design_page() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Design in a page")
    return readme[start:readme.index("\n## ", start + 1)]


def quoted(text: str) -> list[str]:
    return sorted(set(re.findall(r"`([^`\n]+)`", text)))


def defined_names() -> set[str]:
    names: set[str] = set()
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", text, re.M))
        names.update(re.findall(r"^\s*(\w+)\s*(?::[^=\n]+)?=", text, re.M))
        names.update(re.findall(r"@event\(\"(\w+)\"\)", text))
        names.add(path.stem)
    return names


def path_exists(token: str) -> bool:
    """From the root, from a package, or (a path read in its context, `routes/` beside
    `adapters/api/`) as the end of a path in the code."""
    token = token.rstrip("/")
    if any((base / token).exists() for base in BASES):
        return True
    return any(str(path.relative_to(ROOT)).endswith("/" + token) or str(path.parent.relative_to(ROOT)).endswith(
        "/" + token) for path in CODE)


def code_names(token: str) -> list[str]:
    """The parts of a dotted name that must be defined in the code ('Household.pay' ->
    ['Household', 'pay']); words that are not code (settings, commands) give none."""
    if not NAME.match(token) or token.isupper() or token.startswith("HHB_"):
        return []
    parts = token.split("(")[0].split(".")
    if len(parts) == 1 and not (re.search(r"[A-Z]", token[1:]) and token[0].isupper()) and "_" not in token \
            and "(" not in token:
        return []  # a plain word (a status, a kind, a command) rather than a name in the code
    return parts


def documents() -> list[tuple[str, str]]:
    docs = [("README.md (Design in a page)", design_page())]
    architecture = ROOT / "docs" / "architecture.md"
    if architecture.exists():
        docs.append(("docs/architecture.md", architecture.read_text(encoding="utf-8")))
    return docs


def test_there_is_an_architecture_page():
    assert (ROOT / "docs" / "architecture.md").exists()


@pytest.mark.parametrize("name,text", documents(), ids=[d[0] for d in documents()])
def test_every_module_path_and_name_in_the_design_pages_exists(name: str, text: str):
    names = defined_names()
    missing_paths = [t for t in quoted(text) if PATH.match(t) and not t.startswith(("http", "../", "."))
                     and not any(c in t for c in "*{}") and not path_exists(t)]
    missing_names = [t for t in quoted(text) if not PATH.match(t)
                     for part in code_names(t) if part not in names and part not in EXTERNAL]
    assert not missing_paths, f"{name} names paths that do not exist: {missing_paths}"
    assert not missing_names, f"{name} names what the code does not define: {missing_names}"
