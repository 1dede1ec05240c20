"""Erasing a household: destroy its key, so its personal data reads as ERASED (stub)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from .engine import Engine

Purge = Callable[[Engine, Any, str], None]


def refusal(engine: Engine, dossier: str, today: date) -> str | None:
    """Why `dossier` may not be erased yet (None: it may)."""
    return None


def erase(engine: Engine, dossier: str, *, reason: str, actor: str, confirmed_by: str | None,
          today: date) -> dict[str, Any]:
    raise NotImplementedError
