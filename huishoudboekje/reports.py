"""Reports from the events and read models: a household's monthly overview (what came
in, what was paid, what was kept) and the team lead's report."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from . import teams
from .domain.household import HouseholdError, bookings_in
from .domain.money import Money
from .domain.signal_cap import held_back
from .domain.signals import RESOLVED, SHORTFALL_AHEAD
from .domain.terms import ENDED
from .engine import Engine
from .history import BUSINESS_DATE_FIELDS
from .projections.views import Projections

DAYS_A_MONTH = Decimal("30.44")  # 365.25 / 12, for the average time in the programme in months
Unreleased = Callable[[Iterable[str]], set[str]]  # which of these payment ids wait for a file's release


def _month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of `month` (YYYY-MM), or a HouseholdError naming --month."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise HouseholdError(f"--month: '{month}' is not a month (YYYY-MM)") from None
    if not 2000 <= year <= 2099:
        raise HouseholdError(f"--month: {month} is outside the years the engine works with (2000 to 2099)")
    following = date(year + (number == 12), number % 12 + 1, 1)
    return first, following.fromordinal(following.toordinal() - 1)


class _MonthOfEvents:
    """One walk over a household's events, keeping what the overview of a month needs."""

    def __init__(self, household: Any, first: date, last: date, made_on: date) -> None:
        self.household, self.first, self.last, self.made_on = household, first, last, made_on
        self.came_in: list[dict[str, Any]] = []
        self.deducted: list[dict[str, Any]] = []  # what someone else took (domain/deductions.py)
        self.paid: list[dict[str, Any]] = []
        self.advanced = self.repaid = self.on_hold = Money.zero()
        self.swept_on: dict[str, date] = {}  # transaction -> the pay date whose pot it went into
        self.confirmed: dict[str, date] = {}
        self.returned: set[str] = set()
        self.reserves: dict[str, Money] | None = None  # after the month's last pay date; None: none ran
        self.pay_dates: list[date] = []

    def read(self, event: Any) -> None:
        name = type(event).__name__
        if name in ("IncomeBooked", "IncomesBooked"):
            self._booked(event)
        elif name == "BookingUndone":
            self.came_in = [c for c in self.came_in if c.get("transaction") != event.transaction_id]
        elif name == "DeductionBooked" and self.first <= event.on <= self.last:
            agreement = self.household.agreements.get(event.agreement_id or "")
            self.deducted.append({"transaction": event.transaction_id, "date": event.on, "kind": event.kind,
                                  "agreement": event.agreement_id, "category": agreement.category if agreement
                                  else None, "who": event.counterparty or (agreement.counterparty.name if agreement
                                                                           else None), "amount": event.amount})
        elif name == "DeductionUndone":
            self.deducted = [d for d in self.deducted if d["transaction"] != event.transaction_id]
        elif name == "PaymentConfirmed" and event.booking_date <= self.made_on:
            self.confirmed[event.instruction_id] = event.booking_date
        elif name == "PaymentReturned" and event.booking_date <= self.made_on:
            self.returned.add(event.instruction_id)
        if name in ("PayDateRun", "PayDateSupplemented"):
            for transaction in event.swept:
                self.swept_on.setdefault(transaction, event.pay_date)
        if (name == "PayDateRun" and self.first <= event.pay_date <= self.last) or \
                (name == "PayDateSupplemented" and self.first <= event.day <= self.last):  # a late income used
            self._paid(name, event)

    def _booked(self, event: Any) -> None:
        for booking in bookings_in(event):
            if not self.first <= booking.value_date <= self.last:
                continue
            agreement = self.household.agreements.get(booking.agreement_id)
            self.came_in.append({"transaction": booking.transaction_id, "date": booking.value_date,
                                 "agreement": booking.agreement_id,
                                 "what": agreement.category if agreement else booking.agreement_id,
                                 "from": agreement.counterparty.name if agreement else "",
                                 "amount": booking.amount})

    def _paid(self, name: str, event: Any) -> None:
        self.advanced, self.repaid = self.advanced + event.advanced, self.repaid + event.repaid
        self.on_hold = self.on_hold + (event.on_hold or Money.zero())
        if name == "PayDateRun":
            self.pay_dates.append(event.pay_date)
            self.reserves = dict(event.after.reserves)
        elif self.reserves is not None:
            for reserve, change in event.reserves.items():
                self.reserves[reserve] = self.reserves.get(reserve, Money.zero()) + change
        for i in event.instructions:
            self.paid.append({"id": i.id, "date": i.execution_date, "to": i.creditor_name, "kind": i.kind,
                              "what": i.agreement_id or "leefgeld", "amount": i.amount})

    def finish(self, unreleased: Unreleased | None = None) -> list[dict[str, Any]]:
        """Each payment's status on the day made, and each income's pay date; returns what was kept."""
        waiting = unreleased([row["id"] for row in self.paid]) if unreleased and self.paid else set()
        for row in self.paid:
            row["status"], row["status_date"] = _payment_status(row, self.confirmed, self.returned, self.made_on,
                                                                waiting)
        for row in self.came_in:  # money that waited in the account for a later pay date, and which
            used = self.swept_on.get(row["transaction"])
            row["kept_for"] = None if used is not None and used <= self.last else \
                used or self.household.pay_date_on_or_after(row["date"])
        return [r for r in self.came_in if r["kept_for"] is not None]


def monthly_overview(engine: Engine, dossier: str, month: str, as_of: date | None = None,
                     unreleased: Unreleased | None = None) -> dict[str, Any]:
    """What came in, what was paid (and what is still planned), what was kept and why,
    the reserves and the advance of one month, as the events say on `as_of` (the day the
    overview is made; default today): a payment whose execution date is after it is
    planned, one a statement confirmed by then is paid. `unreleased`: which of some
    payment ids wait in a payment file nobody released yet (`Projections.unreleased`):
    planned too, whatever their date."""
    first, last = _month_bounds(month)
    made_on = as_of or date.today()
    household = engine.household(dossier)
    walk = _MonthOfEvents(household, first, last, made_on)
    for event in engine.events.get(household.id):
        walk.read(event)
    kept = walk.finish(unreleased)
    leefgeld = [p for p in walk.paid if p["kind"] == "leefgeld"]
    charges = [p for p in walk.paid if p["kind"] != "leefgeld"]
    agreements = household.agreements
    return {
        "dossier": dossier,
        "participant": household.participants[0].name,
        "team": household.team,
        "month": first,
        "made_on": made_on,
        "came_in": sorted(walk.came_in, key=lambda r: r["date"]),
        "deducted": sorted(walk.deducted, key=lambda r: (r["date"], r["transaction"])),
        "total_deducted": sum((d["amount"] for d in walk.deducted), Money.zero()),
        "paid": sorted(charges, key=lambda r: r["date"]),
        "leefgeld": sorted(leefgeld, key=lambda r: r["date"]),
        "total_in": sum((c["amount"] for c in walk.came_in), Money.zero()),
        "total_paid": sum((p["amount"] for p in charges), Money.zero()),
        "total_leefgeld": sum((p["amount"] for p in leefgeld), Money.zero()),
        "planned_paid": sum((p["amount"] for p in charges if p["status"] == "planned"), Money.zero()),
        "planned_leefgeld": sum((p["amount"] for p in leefgeld if p["status"] == "planned"), Money.zero()),
        "pay_dates": walk.pay_dates,
        "kept": _kept_for(kept),
        "on_hold": walk.on_hold,
        "reserves": [{"agreement": reserve, "what": agreements[reserve].category if reserve in agreements
                      else reserve, "amount": amount}
                     for reserve, amount in sorted((walk.reserves or {}).items()) if amount.is_positive],
        "advanced": walk.advanced,
        "repaid": walk.repaid,
        "buffer_owed": household.buffer_outstanding,
        "contact": teams.contact(engine, household),  # the contact card: team, coach, phone, hours, e-mail
    }


def _payment_status(row: dict[str, Any], confirmed: dict[str, date], returned: set[str],
                    made_on: date, waiting: set[str] = frozenset()) -> tuple[str, date]:
    """planned (its day has not come, or its payment file waits for a person's release),
    sent (in a released payment file, not yet on a statement), paid (a statement confirmed
    it, on that day) or returned."""
    if row["id"] in returned:
        return "returned", row["date"]
    if row["id"] in confirmed:
        return "paid", confirmed[row["id"]]
    if row["date"] > made_on or row["id"] in waiting:
        return "planned", row["date"]
    return "sent", row["date"]


def _kept_for(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The money that came in this month and waits for (or went to) a later pay date, per pay date."""
    by_day: dict[date, Money] = {}
    for row in kept:
        by_day[row["kept_for"]] = by_day.get(row["kept_for"], Money.zero()) + row["amount"]
    return [{"pay_date": day, "amount": amount} for day, amount in sorted(by_day.items())]


# -- the team report ------------------------------------------------------------------------


def team_report(projections: Projections, team: str | None, month: str | None = None,
                signal_cap: int | None = None) -> dict[str, Any]:
    """`signal_cap`: signals per team per month (HHB_SIGNAL_CAP); those it holds back from
    the worklist are counted here (`signals_held_back`), of `month` where one is asked for."""
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
        "endings": _endings(projections, households),
        "time_in_programme": _time_in_programme(projections, households),
        "signal_cap": signal_cap,
        "signals_held_back": _held_back(projections, team, month, signal_cap),
        "projection": projections.status().as_dict(),
    }


def _endings(projections: Projections, households: list[dict[str, Any]]) -> dict[str, int]:
    """Households that ended, by the reason staff gave (issue 23); `not-given` without one."""
    reasons: Counter[str] = Counter()
    for row in households:
        if row["status"] == ENDED:
            household = projections.household(row["dossier"])
            reasons[getattr(household, "end_reason", None) or "not-given"] += 1
    return dict(sorted(reasons.items()))


def _time_in_programme(projections: Projections, households: list[dict[str, Any]]) -> dict[str, Any]:
    """How long the ended participations lasted, start to end, on average (issue 23): in
    days, and in months of 30.44 days, each to one decimal; null averages when none ended."""
    days = []
    for row in households:
        if row["status"] == ENDED:
            household = projections.household(row["dossier"])
            if household is not None and household.end is not None:
                days.append((household.end - household.start).days)
    if not days:
        return {"ended": 0, "average_days": None, "average_months": None}
    average = Decimal(sum(days)) / len(days)
    return {"ended": len(days), "average_days": str(average.quantize(Decimal("0.1"), ROUND_HALF_UP)),
            "average_months": str((average / DAYS_A_MONTH).quantize(Decimal("0.1"), ROUND_HALF_UP))}


def _held_back(projections: Projections, team: str | None, month: str | None,
               cap: int | None) -> dict[str, Any]:
    """The signals the cap holds back from the worklist, by rule (domain/signal_cap.py)."""
    if cap is None:
        return {"total": 0, "by_rule": {}}
    rows = projections.signals(None, team)
    ids = held_back(rows, cap)
    held = [r for r in rows if r["id"] in ids and (month is None or r["raised_on"].startswith(month))]
    return {"total": len(held), "by_rule": dict(sorted(Counter(r["rule"] for r in held).items()))}


# -- the buffer's exposure over time --------------------------------------------------------


def buffer_exposure(engine: Engine, household_ids: Iterable[UUID], last_month: str,
                    months: int = 12) -> dict[str, str]:
    """The buffer these households owed together at the end of each month (YYYY-MM:
    amount), from the first month one owed anything to `last_month`, at most `months`.

    Read from each household's events: the household as its events leave it, after each
    one, its buffer owed on the event's business date (a pay date, the night of a
    supplement). Nothing is written."""
    changes = [change for ident in household_ids for change in _buffer_changes(engine, ident)]
    if not changes:
        return {}
    shown = _months_between(min(day for _, day, _ in changes).strftime("%Y-%m"), last_month)[-months:]
    by_household: dict[UUID, list[tuple[date, Money]]] = defaultdict(list)
    for ident, day, owed in sorted(changes, key=lambda c: c[1]):  # stable: recorded order within a day
        by_household[ident].append((day, owed))
    exposure = {}
    for month in shown:
        end = _month_bounds(month)[1]
        exposure[month] = str(sum((next((owed for day, owed in reversed(rows) if day <= end), Money.zero())
                                   for rows in by_household.values()), Money.zero()))
    return exposure


def _buffer_changes(engine: Engine, ident: UUID) -> list[tuple[UUID, date, Money]]:
    found, household, before = [], None, Money.zero()
    for event in engine.events.get(ident):
        household = event.mutate(household)
        owed = getattr(household, "buffer_outstanding", None) or Money.zero()
        if owed != before:
            day = next((value for value in (getattr(event, k, None) for k in BUSINESS_DATE_FIELDS)
                        if isinstance(value, date)), event.timestamp.date())
            found.append((ident, day, owed))
            before = owed
    return found


def _months_between(first: str, last: str) -> list[str]:
    year, month = (int(part) for part in first.split("-"))
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = year + (month == 12), month % 12 + 1
    return found


__all__ = ["acknowledge", "resolve", "import_creditor_signals", "monthly_overview", "team_report",
           "buffer_exposure", "PARTNER_TYPES"]
