"""Debts, payment arrangements, referrals, moratoria and phase-outs of households: the
commands staff give (CLI and API alike) and what they read (issue 23; the rules are in
domain/debts.py, arrangements.py, moratoria.py and phase_out.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from .domain.debts import INTAKE, split_debt_id
from .domain.errors import DomainError
from .domain.household import Household
from .engine import Engine


def add_debt(engine: Engine, dossier: str, *, creditor: str, iban: str, amount: Any, since: date, kind: str,
             reference: str | None, actor: str, source: str = INTAKE) -> dict[str, Any]:
    def command(household: Household) -> dict[str, Any]:
        ident = household.add_debt(creditor, iban, amount, since, kind, reference, source, actor)
        return household.debt_row(household.debt(split_debt_id(ident)[1]))

    return engine.change_household(dossier, command)


def update_debt(engine: Engine, ident: str, changes: dict[str, Any], actor: str) -> dict[str, Any]:
    dossier, local = split_debt_id(ident)
    return engine.change_household(dossier, lambda h: h.update_debt(local, changes, actor))


def close_debt(engine: Engine, ident: str, on: date, reason: str, actor: str) -> dict[str, Any]:
    dossier, local = split_debt_id(ident)
    return engine.change_household(dossier, lambda h: h.close_debt(local, on, reason, actor))


def debt_list(households: Iterable[Household], as_of: date | None = None) -> list[dict[str, Any]]:
    """Every debt of these households, recorded ones and the engine's own arrears; frozen
    when a moratorium covers `as_of`."""
    rows: list[dict[str, Any]] = []
    for household in households:
        rows.extend(household.debt_rows(as_of))
    return rows


def add_arrangement(engine: Engine, debt: str, monthly: Any, start: date, terms: int | None,
                    actor: str) -> dict[str, Any]:
    """A payment arrangement on a debt (DOSSIER:S1): its terms are paid from the pay date on or after `start`."""
    dossier, _ = split_debt_id(debt)

    def command(household: Household) -> dict[str, Any]:
        ident = household.add_arrangement(debt, monthly, start, terms, actor)
        return next(r for r in household.arrangement_rows() if r["arrangement"] == ident)

    return engine.change_household(dossier, command)


def moratorium(engine: Engine, dossier: str, start: date | None, until: date, reason: str, extend: bool,
               actor: str) -> dict[str, Any]:
    """Start a moratorium (`start` .. `until`), or extend the last one to `until` (`extend`)."""
    def command(household: Household) -> dict[str, Any]:
        if extend:
            return household.extend_moratorium(until, reason, actor)
        if start is None:
            raise DomainError("a moratorium needs --from (or --extend to extend the last one)", field="from")
        return household.start_moratorium(start, until, reason, actor)

    return engine.change_household(dossier, command)


def referral(engine: Engine, dossier: str, on: date, organisation: str, actor: str) -> dict[str, Any]:
    """Record the household's referral to debt counselling (schuldhulpverlening)."""
    return engine.change_household(dossier, lambda h: h.record_referral(on, organisation, actor))


def phase_out(engine: Engine, dossier: str, agreement_ids: list[str], start: date, actor: str) -> list[dict[str, Any]]:
    """From `start` on, the participant pays these charges themselves (domain/phase_out.py)."""
    return engine.change_household(dossier, lambda h: h.phase_out(agreement_ids, start, actor))


def debt_situation(household: Household, as_of: date) -> dict[str, Any]:
    """What a coach reads beside the debts: referrals, moratoria (and which one covers
    `as_of`), and the charges the participant pays during a phase-out."""
    current = household.moratorium_on(as_of)
    return {"dossier": household.dossier, "referrals": household.referral_rows(),
            "moratoria": household.moratorium_rows(),
            "moratorium_until": current["until"] if current else None,
            "self_paid": household.self_paid_rows()}
