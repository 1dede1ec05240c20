"""A dry run of onboarding: what it would write, and the first pay date it leads to."""

from __future__ import annotations

from datetime import date
from typing import Any

from .domain.household import Household


def dry_run(status: str, household: Household, as_of: date) -> dict[str, Any]:
    """The events onboarding would write for one document (none are written) and the
    forecast of the household's next pay date (for a new household its first): the
    charges it pays, what the buffer advances, the leefgeld. A new household has booked
    no income yet, so every income expected from its start counts in."""
    from .history import event_rows

    since = household.start if status == "created" else None
    as_of = max(as_of, household.start)  # no pay date comes before the start
    pay_date, result = household.forecast_cycle(as_of, expected_since=since)
    report: dict[str, Any] = {
        "dossier": household.dossier, "household_id": str(household.id), "status": status,
        "events": [row for event in household.pending_events for row in event_rows(event)],
        "paid_from": household.charges_paid_from().isoformat(), "forecast": None,
    }
    if result is None:
        return report
    after = as_of if since is None else since.fromordinal(since.toordinal() - 1)
    booked = [(b.agreement_id, b.value_date, b.amount) for b in household.bookings.values()
              if b.value_date <= pay_date]
    incomes = booked + household.expected_incomes(after, pay_date)
    report["forecast"] = {
        "pay_date": pay_date.isoformat(),
        "pot_before": str(household.pot),
        "incomes": [{"agreement": a, "date": d.isoformat(), "amount": str(m)} for a, d, m in sorted(
            incomes, key=lambda i: (i[1], i[0]))],
        "charges": [{"agreement": p.agreement_id, "kind": p.kind, "due": p.period.isoformat(),
                     "amount": str(p.amount)} for p in result.payments if p.kind != "leefgeld"],
        "unpaid": [{"agreement": d.agreement_id, "due": d.due.isoformat(), "amount": str(d.amount)}
                   for d in result.new_arrears],
        "reserved": {k: str(v) for k, v in result.reserved.items() if v},
        "advanced": str(result.advanced),
        "repaid": str(result.repaid),
        "leefgeld": str(result.leefgeld),
    }
    return report
