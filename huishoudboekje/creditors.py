"""The register of creditor organisations as the CLI and the staff web app use it
(`domain/creditors.py`): import a list, add one, list them."""

from __future__ import annotations

from typing import Any

from .domain.creditors import CREDITORS_ID, Creditor, CreditorError, CreditorRegister, clean_creditor
from .engine import Engine


def register(engine: Engine) -> CreditorRegister:
    """The register as stored; a new, unsaved one in a store that has none yet."""
    return engine.get_or_none(CREDITORS_ID) or CreditorRegister()


def record(engine: Engine, entries: Any, actor: str, where: str = "") -> dict[str, Any]:
    """Add or update every entry of a list, all or nothing: the first wrong entry is
    refused naming its place (`[2].ibans[0]`, prefixed with `where`) and field."""
    if not isinstance(entries, list):
        raise CreditorError(f"{where or 'file'}: a list of creditors (name, ibans, category, reference_format)",
                            field=where or "file")
    cleaned = [(f"{where}[{i}]", clean_creditor(raw, f"{where}[{i}]")) for i, raw in enumerate(entries)]

    def attempt() -> dict[str, Any]:
        found = register(engine)
        changed = found.record(cleaned, actor)
        if changed:
            engine.save(found)  # a conflict (another process wrote it first) is retried
        return {"creditors": len(cleaned), "changed": changed}

    return engine.retrying(attempt)


def listing(engine: Engine) -> list[dict[str, Any]]:
    return [c.as_dict() for c in register(engine).creditors]


def find(engine: Engine, name: str) -> Creditor:
    return register(engine).get(name)
