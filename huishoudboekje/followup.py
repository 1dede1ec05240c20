"""Staff follow-up of signals: acknowledging and resolving them, and creditors' reports
(monthly overviews and team reports are in `reports.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from . import controls
from .domain.errors import HouseholdError
from .creditor_reports import CreditorSignal, CreditorSignals, import_reports  # noqa: F401 - the API's model
from .engine import Engine, NotFound


def split_signal_id(signal_id: str) -> tuple[str, str]:
    dossier, _, key = signal_id.partition("|")
    if not key:
        raise NotFound(f"no signal {signal_id} (ids look like DOSSIER|rule:agreement:period)")
    return dossier, key


def is_control(signal_id: str) -> bool:
    """A signal of the engine's own controls (`domain/controls.py`): its id is its key,
    without the `DOSSIER|` of a household's."""
    return "|" not in signal_id


def acknowledge(engine: Engine, signal_id: str, on: date, actor: str, note: str = "") -> None:
    if is_control(signal_id):
        if signal_id not in controls.controls(engine).signals:
            raise NotFound(f"no signal {signal_id}", field="signal")
        raise HouseholdError(f"{signal_id}: een signaal van een controle wordt opgelost, niet bevestigd "
                             "(hhb signals resolve) / a control's signal is resolved, not acknowledged",
                             field="signal")
    dossier, key = split_signal_id(signal_id)
    engine.change_household(dossier, lambda h: h.acknowledge_signal(key, on, actor, note))


def resolve(engine: Engine, signal_id: str, on: date, actor: str, note: str = "") -> None:
    if is_control(signal_id):
        controls.resolve(engine, signal_id, on, actor, note)
        return
    dossier, key = split_signal_id(signal_id)
    engine.change_household(dossier, lambda h: h.resolve_signal(key, on, actor, note))


def import_creditor_signals(engine: Engine, data: Any, file: str, actor: str, index: Any,
                            partner_types: Sequence[str] = ()) -> dict[str, Any]:
    """Creditors' reports: matched to households, or queued (`creditor_reports.py`)."""
    return import_reports(engine, index, data, file, actor, partner_types)

