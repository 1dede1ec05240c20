"""Staff follow-up: signal status, creditors' reports, monthly overviews, team reports."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .domain.household import HouseholdError, bookings_in
from .domain.money import Money, MoneyError, parse_money
from .domain.signals import PARTNER_TYPES, RESOLVED, SHORTFALL_AHEAD, external
from .engine import Engine, NotFound
from .onboarding import DocumentError, Problem
from .projections.views import Projections


def split_signal_id(signal_id: str) -> tuple[str, str]:
    dossier, _, key = signal_id.partition("|")
    if not key:
        raise NotFound(f"no signal {signal_id} (ids look like DOSSIER|rule:agreement:period)")
    return dossier, key


def acknowledge(engine: Engine, signal_id: str, on: date, actor: str, note: str = "") -> None:
    dossier, key = split_signal_id(signal_id)
    engine.change_household(dossier, lambda h: h.acknowledge_signal(key, on, actor, note))


def resolve(engine: Engine, signal_id: str, on: date, actor: str, note: str = "") -> None:
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


def monthly_overview(engine: Engine, dossier: str, month: str) -> dict[str, Any]:
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise HouseholdError(f"--month: '{month}' is not a month (YYYY-MM)") from None
    if not 2000 <= year <= 2099:
        raise HouseholdError(f"--month: {month} is outside the years the engine works with (2000 to 2099)")
    last = date(year + (number == 12), number % 12 + 1, 1).fromordinal(
        date(year + (number == 12), number % 12 + 1, 1).toordinal() - 1)
    household = engine.household(dossier)
    came_in, paid, advanced, repaid = [], [], Money.zero(), Money.zero()
    for event in engine.events.get(household.id):
        name = type(event).__name__
        if name in ("IncomeBooked", "IncomesBooked"):
            for booking in bookings_in(event):
                if not first <= booking.value_date <= last:
                    continue
                agreement = household.agreements.get(booking.agreement_id)
                came_in.append({"transaction": booking.transaction_id, "date": booking.value_date,
                                "what": agreement.category if agreement else booking.agreement_id,
                                "from": agreement.counterparty.name if agreement else "",
                                "amount": booking.amount})
        elif name == "BookingUndone":
            came_in = [c for c in came_in if c.get("transaction") != event.transaction_id]
        elif (name == "PayDateRun" and first <= event.pay_date <= last) or \
                (name == "PayDateSupplemented" and first <= event.day <= last):  # a late income used after all
            advanced, repaid = advanced + event.advanced, repaid + event.repaid
            for i in event.instructions:
                paid.append({"date": i.execution_date, "to": i.creditor_name, "kind": i.kind,
                             "what": i.agreement_id or "leefgeld", "amount": i.amount})
    leefgeld = [p for p in paid if p["kind"] == "leefgeld"]
    return {
        "dossier": dossier,
        "participant": household.participants[0].name,
        "month": first,
        "came_in": sorted(came_in, key=lambda r: r["date"]),
        "paid": sorted([p for p in paid if p["kind"] != "leefgeld"], key=lambda r: r["date"]),
        "leefgeld": sorted(leefgeld, key=lambda r: r["date"]),
        "total_in": sum((c["amount"] for c in came_in), Money.zero()),
        "total_paid": sum((p["amount"] for p in paid if p["kind"] != "leefgeld"), Money.zero()),
        "total_leefgeld": sum((p["amount"] for p in leefgeld), Money.zero()),
        "advanced": advanced,
        "repaid": repaid,
        "buffer_owed": household.buffer_outstanding,
    }


# -- the team report ------------------------------------------------------------------------


def team_report(projections: Projections, team: str | None, month: str | None = None) -> dict[str, Any]:
    households = projections.households(team)
    signals = [s for s in projections.signals(team=team) if s["status"] != RESOLVED
               and (month is None or s["raised_on"].startswith(month))]
    by_rule = Counter(s["rule"] for s in signals)
    per_team: dict[str, dict[str, Any]] = defaultdict(lambda: {"households": 0})
    for h in households:
        per_team[h["team"]]["households"] += 1
    buffer_total = sum((Money(h["buffer_outstanding"]) for h in households), Money.zero())
    arrears_total = sum((Money(h["arrears_amount"]) for h in households), Money.zero())
    shortfall = sorted({s["dossier"] for s in signals if s["rule"] == SHORTFALL_AHEAD})
    return {
        "team": team,
        "month": month,
        "households": len(households),
        "open_signals": dict(sorted(by_rule.items())),
        "open_signals_total": len(signals),
        "buffer_outstanding": str(buffer_total),
        "arrears": {"count": sum(int(h["arrears_count"]) for h in households), "amount": str(arrears_total)},
        "households_with_shortfall_ahead": shortfall,
        "projection": projections.status().as_dict(),
    }


__all__ = ["acknowledge", "resolve", "import_creditor_signals", "monthly_overview", "team_report",
           "PARTNER_TYPES"]
