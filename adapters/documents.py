"""Reading onboarding documents (YAML or JSON) without losing exactness.

PyYAML would turn `1320.50` into a float and `2026-02-30` into a crash without a
field name. Our loader keeps numbers with decimals as exact text and dates as text,
so pydantic checks them and names the field that is wrong.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.onboarding import DocumentError, HouseholdSpec, Problem, canonical, parse_document


class _ExactLoader(yaml.SafeLoader):
    pass


def _keep_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _exact_number(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    text = loader.construct_scalar(node)  # type: ignore[arg-type]
    try:
        return Decimal(str(text).replace("_", ""))
    except ArithmeticError:
        return str(text)


_ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _keep_text)
_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_number)


def load_document(path: Path) -> Any:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(name, [Problem("", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise DocumentError(name, [Problem("", f"not UTF-8 text (byte {exc.start})")]) from None
    try:
        if path.suffix.lower() == ".json":
            return canonical(json.loads(text, parse_float=Decimal))
        return canonical(yaml.load(text, Loader=_ExactLoader))  # noqa: S506 - safe loader subclass
    except json.JSONDecodeError as exc:
        raise DocumentError(name, [Problem(f"line {exc.lineno}", f"malformed JSON: {exc.msg}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(name, [Problem(where, f"malformed YAML: {problem}")]) from None


def read_specs(paths: list[Path]) -> list[tuple[str, HouseholdSpec]]:
    """Every document checked; all problems of all files reported together."""
    specs, errors = [], []
    for path in paths:
        try:
            specs.append((str(path), parse_document(load_document(path), str(path))))
        except DocumentError as exc:
            errors.append(exc)
    if errors:
        raise DocumentErrors(errors)
    return specs


class DocumentErrors(DomainError):
    def __init__(self, errors: list[DocumentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
