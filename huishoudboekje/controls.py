"""The engine's own controls' signals (`domain/controls.py`), as every control raises and
staff resolve them: load the one `Controls` aggregate, change it, save, and on a
concurrent write load it again and retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from .domain.controls import CONTROLS_ID, ControlSignal, Controls
from .engine import Engine

T = TypeVar("T")


def controls(engine: Engine) -> Controls:
    """The controls as stored; a new, unsaved one in a store that has none yet."""
    return engine.get_or_none(CONTROLS_ID) or Controls()


def change(engine: Engine, command: Callable[[Controls], T]) -> T:
    """Apply `command` to the controls and save them; retried, from the stored controls,
    when another process wrote in between."""
    def attempt() -> T:
        found = controls(engine)
        result = command(found)
        if found.pending_events:
            engine.save(found)
        return result

    return engine.retrying(attempt)


def raise_signal(engine: Engine, rule: str, key: str, severity: str, details: dict[str, Any], on: date) -> bool:
    """Raise a control's signal once per key (see `Controls.raise_signal`); True if raised now."""
    return change(engine, lambda c: c.raise_signal(rule, key, severity, details, on))


def resolve(engine: Engine, key: str, on: date, actor: str, note: str = "") -> bool:
    """Resolve a control's signal; False if it was resolved already. NotFound for an unknown key."""
    return change(engine, lambda c: c.resolve(key, on, actor, note))


def open_signals(engine: Engine) -> list[ControlSignal]:
    return controls(engine).open_signals()

