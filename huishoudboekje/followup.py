"""Staff follow-up of signals: acknowledging and resolving them, and creditors' reports
(monthly overviews and team reports are in `reports.py`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import controls
from .domain.errors import HouseholdError
from .domain.money import Money, MoneyError, parse_money
from .domain.signals import external
from .engine import Engine, NotFound
from .onboarding import DocumentError, Problem


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


class CreditorSignal(BaseModel):
    """One report of arrears by a creditor (the fields of VNG's vroegsignalering exchange)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    dossier: str = Field(min_length=1)
    partner_type: str = Field(alias="partnerType")
    amount: str = Field(alias="bedrag")
    arrears_since: date = Field(alias="startdatumAchterstand")
    signal_date: date = Field(alias="signaalDatum")
    crisis: bool = Field(default=False, alias="crisisIndicatie")
    reference: str = Field(default="", alias="referentie")


class CreditorSignals(BaseModel):
    signals: list[CreditorSignal]


def import_creditor_signals(engine: Engine, data: Any, file: str, actor: str) -> dict[str, int]:
    """All or nothing: every report is checked (and its household found) before any is recorded."""
    try:
        parsed = CreditorSignals.model_validate(data if isinstance(data, dict) else {"signals": data})
    except ValidationError as exc:
        raise DocumentError(file, [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]) from None
    households, facts, problems = {}, [], []
    for index, report in enumerate(parsed.signals):
        path = f"signals[{index}]"
        try:
            amount = parse_money(report.amount)
            fact = external(report.partner_type, amount, report.arrears_since, report.signal_date,
                            report.crisis, report.reference)
        except (MoneyError, ValueError) as exc:
            problems.append(Problem(path, str(exc)))
            continue
        if report.dossier not in households:
            try:
                households[report.dossier] = engine.household(report.dossier)
            except NotFound as exc:
                problems.append(Problem(f"{path}.dossier", str(exc)))
                continue
        facts.append((report.dossier, fact, report.signal_date))
    if problems:
        raise DocumentError(file, problems)
    new = sum(households[d].receive_external_signal(f, on, actor) for d, f, on in facts)
    engine.save(*households.values())
    return {"signals": len(facts), "new": new, "known": len(facts) - new}


# -- the monthly overview (the paper many participants ask for) ---------------------------
