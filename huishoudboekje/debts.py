"""Debts, payment arrangements and moratoria of households: the commands staff give
(CLI and API alike) and the list they read (issue 23; the rules are in domain/debts.py)."""

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
