"""Signals that belong to no household: the engine's own controls.

A payment file nobody released before its execution date, the bank's closing balance
and the books apart: such a problem is the municipality's, not a household's, and is
seen by the team leads and finance. One `Controls` aggregate per engine holds them.

Its interface is small on purpose, for every control to use:

- `raise_signal(rule, key, severity, details, on)`: idempotent by `key`. A key that is
  open, or was resolved within `KEEP_DAYS`, is not raised again, so a control that runs
  every night raises its problem once. Choose a key per occurrence, starting with the
  rule (`payment-file-unreleased:<file>`, `balance-difference:<account>:<date>`); a key
  is also the signal's id in `hhb signals`, so it holds no `|` (household signals'
  ids are `DOSSIER|…`).
- `resolve(key, on, actor, note)`: recorded with the actor; resolving a resolved
  signal changes nothing.

A detail named `amount` (euros as text, `"655.00"`) is what is at stake: signals are
ordered by it, as a household's are by theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import DomainError, NotFound
from .ids import NAMESPACE
from .signals import OPEN, RESOLVED, SEVERITY_RANK

CONTROLS_ID = uuid5(NAMESPACE, "/controls")
KEEP_DAYS = 100  # a resolved signal stays this long (business days of its resolution), then only its events keep it


class ControlsError(DomainError):
    """A control signal that cannot be raised as asked (a programming error of a control)."""


@dataclass(frozen=True)
class ControlSignal:
    key: str
    rule: str
    severity: str
    details: dict[str, str]
    raised_on: date
    status: str = OPEN
    changed_on: date | None = None
    history: tuple[dict[str, str], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status != RESOLVED


class Controls(Aggregate):
    """One per engine: the signals of controls that belong to no household."""

    @staticmethod
    def create_id() -> UUID:
        return CONTROLS_ID

    @event("Opened")
    def __init__(self) -> None:
        self.signals: dict[str, ControlSignal] = {}

    def raise_signal(self, rule: str, key: str, severity: str, details: dict[str, Any], on: date) -> bool:
        """Raise a signal once per key; returns whether it was raised now."""
        if not rule or not key or "|" in key:
            raise ControlsError(f"signal key {key!r}: name the rule and the occurrence, without '|'", field="key")
        if severity not in SEVERITY_RANK:
            raise ControlsError(f"severity {severity!r}: one of {', '.join(SEVERITY_RANK)}", field="severity")
        if key in self.signals:
            return False
        self._signal_raised(rule=rule, key=key, severity=severity,
                            details={str(k): str(v) for k, v in details.items()}, on=on)
        return True

    @event("SignalRaised")
    def _signal_raised(self, rule: str, key: str, severity: str, details: dict[str, str], on: date) -> None:
        self._forget_resolved(on)
        entry = {"on": on.isoformat(), "status": OPEN, "by": "system", "note": ""}
        self.signals[key] = ControlSignal(key, rule, severity, dict(details), on, OPEN, on, (entry,))

    def resolve(self, key: str, on: date, actor: str, note: str = "") -> bool:
        """Resolve a signal; returns False when it was resolved already."""
        signal = self.signals.get(key)
        if signal is None:
            raise NotFound(f"no signal {key}", field="signal")
        if not signal.is_open:
            return False
        self._signal_resolved(key=key, on=on, actor=actor, note=note)
        return True

    @event("SignalResolved")
    def _signal_resolved(self, key: str, on: date, actor: str, note: str) -> None:
        signal = self.signals[key]
        entry = {"on": on.isoformat(), "status": RESOLVED, "by": actor, "note": note}
        self.signals[key] = replace(signal, status=RESOLVED, changed_on=on, history=signal.history + (entry,))

    def _forget_resolved(self, on: date) -> None:
        """The state keeps open signals and those resolved within KEEP_DAYS: however many
        nights the controls run, it stays small (the events keep everything)."""
        horizon = on - timedelta(days=KEEP_DAYS)
        self.signals = {k: s for k, s in self.signals.items()
                        if s.is_open or (s.changed_on or s.raised_on) >= horizon}

    def open_signals(self) -> list[ControlSignal]:
        return sorted((s for s in self.signals.values() if s.is_open),
                      key=lambda s: (SEVERITY_RANK[s.severity], s.raised_on, s.key))
