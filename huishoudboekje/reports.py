"""Reports from the events and read models: a household's monthly overview (what came
in, what was paid, what was kept) and the team lead's report."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from .domain.household import HouseholdError, bookings_in
from .domain.money import Money
from .domain.signals import RESOLVED, SHORTFALL_AHEAD
from .domain.team import REGISTER_ID
from .engine import Engine
from .projections.views import Projections


def monthly_overview(engine: Engine, dossier: str, month: str, as_of: date | None = None) -> dict[str, Any]:
    """What came in, what was paid (and what is still planned), what was kept and why,
    the reserves and the advance of one month, as the events say on `as_of` (the day the
    overview is made; default today): a payment whose execution date is after it is
    planned, one a statement confirmed by then is paid."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise HouseholdError(f"--month: '{month}' is not a month (YYYY-MM)") from None
    if not 2000 <= year <= 2099:
        raise HouseholdError(f"--month: {month} is outside the years the engine works with (2000 to 2099)")
    made_on = as_of or date.today()
    last = date(year + (number == 12), number % 12 + 1, 1).fromordinal(
        date(year + (number == 12), number % 12 + 1, 1).toordinal() - 1)
    household = engine.household(dossier)
    came_in, paid, advanced, repaid = [], [], Money.zero(), Money.zero()
    swept_on: dict[str, date] = {}  # transaction -> the pay date whose pot it went into
    confirmed: dict[str, date] = {}
    returned: set[str] = set()
    reserves: dict[str, Money] | None = None  # after the month's last pay date; None: none ran
    on_hold, pay_dates = Money.zero(), []
    for event in engine.events.get(household.id):
        name = type(event).__name__
        if name in ("IncomeBooked", "IncomesBooked"):
            for booking in bookings_in(event):
                if not first <= booking.value_date <= last:
                    continue
                agreement = household.agreements.get(booking.agreement_id)
                came_in.append({"transaction": booking.transaction_id, "date": booking.value_date,
                                "agreement": booking.agreement_id,
                                "what": agreement.category if agreement else booking.agreement_id,
                                "from": agreement.counterparty.name if agreement else "",
                                "amount": booking.amount})
        elif name == "BookingUndone":
            came_in = [c for c in came_in if c.get("transaction") != event.transaction_id]
        elif name == "PaymentConfirmed" and event.booking_date <= made_on:
            confirmed[event.instruction_id] = event.booking_date
        elif name == "PaymentReturned" and event.booking_date <= made_on:
            returned.add(event.instruction_id)
        if name in ("PayDateRun", "PayDateSupplemented"):
            for transaction in event.swept:
                swept_on.setdefault(transaction, event.pay_date)
        if (name == "PayDateRun" and first <= event.pay_date <= last) or \
                (name == "PayDateSupplemented" and first <= event.day <= last):  # a late income used after all
            advanced, repaid = advanced + event.advanced, repaid + event.repaid
            on_hold = on_hold + (event.on_hold or Money.zero())
            if name == "PayDateRun":
                pay_dates.append(event.pay_date)
                reserves = dict(event.after.reserves)
            elif reserves is not None:
                for reserve, change in event.reserves.items():
                    reserves[reserve] = reserves.get(reserve, Money.zero()) + change
            for i in event.instructions:
                paid.append({"id": i.id, "date": i.execution_date, "to": i.creditor_name, "kind": i.kind,
                             "what": i.agreement_id or "leefgeld", "amount": i.amount})
    for row in paid:
        row["status"], row["status_date"] = _payment_status(row, confirmed, returned, made_on)
    for row in came_in:  # money that waited in the account for a later pay date, and which
        used = swept_on.get(row["transaction"])
        row["kept_for"] = None if used is not None and used <= last else \
            used or household.pay_date_on_or_after(row["date"])
    kept = [r for r in came_in if r["kept_for"] is not None]
    leefgeld = [p for p in paid if p["kind"] == "leefgeld"]
    charges = [p for p in paid if p["kind"] != "leefgeld"]
    agreements = household.agreements
    return {
        "dossier": dossier,
        "participant": household.participants[0].name,
        "team": household.team,
        "contact": team_contact(engine, household.team),
        "month": first,
        "made_on": made_on,
        "came_in": sorted(came_in, key=lambda r: r["date"]),
        "paid": sorted(charges, key=lambda r: r["date"]),
        "leefgeld": sorted(leefgeld, key=lambda r: r["date"]),
        "total_in": sum((c["amount"] for c in came_in), Money.zero()),
        "total_paid": sum((p["amount"] for p in charges), Money.zero()),
        "total_leefgeld": sum((p["amount"] for p in leefgeld), Money.zero()),
        "planned_paid": sum((p["amount"] for p in charges if p["status"] == "planned"), Money.zero()),
        "planned_leefgeld": sum((p["amount"] for p in leefgeld if p["status"] == "planned"), Money.zero()),
        "pay_dates": pay_dates,
        "kept": _kept_for(kept),
        "on_hold": on_hold,
        "reserves": [{"agreement": reserve, "what": agreements[reserve].category if reserve in agreements
                      else reserve, "amount": amount}
                     for reserve, amount in sorted((reserves or {}).items()) if amount.is_positive],
        "advanced": advanced,
        "repaid": repaid,
        "buffer_owed": household.buffer_outstanding,
    }


def _payment_status(row: dict[str, Any], confirmed: dict[str, date], returned: set[str],
                    made_on: date) -> tuple[str, date]:
    """planned (its day has not come), sent (in a payment file, not yet on a statement),
    paid (a statement confirmed it, on that day) or returned."""
    if row["id"] in returned:
        return "returned", row["date"]
    if row["id"] in confirmed:
        return "paid", confirmed[row["id"]]
    if row["date"] > made_on:
        return "planned", row["date"]
    return "sent", row["date"]


def _kept_for(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The money that came in this month and waits for (or went to) a later pay date, per pay date."""
    by_day: dict[date, Money] = {}
    for row in kept:
        by_day[row["kept_for"]] = by_day.get(row["kept_for"], Money.zero()) + row["amount"]
    return [{"pay_date": day, "amount": amount} for day, amount in sorted(by_day.items())]


def team_contact(engine: Engine, team: str) -> dict[str, Any] | None:
    """How a participant reaches the team (the team register's card), or None when the
    register holds no phone, e-mail or hours for it. Reads only: never opens the register."""
    register = engine.get_or_none(REGISTER_ID)
    card = register.teams.get(team) if register is not None else None
    if not card or not any(v for k, v in card.items() if k != "name"):
        return None
    return dict(card)


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
