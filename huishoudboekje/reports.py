"""Reports from the events and read models: a household's monthly overview (what came
in, what was paid, what was kept) and the team lead's report."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from .domain.household import bookings_in
from .domain.money import Money
from .domain.signals import RESOLVED, SHORTFALL_AHEAD
from . import teams
from .engine import Engine
from .projections.views import Projections


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
        "contact": teams.contact(engine, household),  # the contact card: team, coach, phone, hours, e-mail
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
