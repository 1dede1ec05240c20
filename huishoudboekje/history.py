"""Read-side views straight from the event store (timelines, a household on a date) and
the shape in which the CLI and the API show one household."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from .domain.agreement import INCOME, Agreement
from .domain.household import ACTIVE, ENDED, Household, bookings_in
from .domain.money import total
from .engine import Engine

BUSINESS_DATE_FIELDS = ("day", "effective", "end", "pay_date", "value_date", "booking_date", "start",
                        "on")  # "day": the night a supplement was decided (PayDateSupplemented)


def timeline(engine: Engine, household_id: UUID) -> list[dict[str, Any]]:
    return [row for event in engine.events.get(household_id) for row in event_rows(event)]


def event_rows(event: Any) -> list[dict[str, Any]]:
    """One household event as the timeline shows it (an import's bookings one by one)."""
    rows = []
    name = type(event).__qualname__.split(".")[-1]
    fields = {k: v for k, v in event.__dict__.items()
              if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")}
    if name == "IncomesBooked":
        # One import's bookings arrive as one event; staff read them one by one.
        name, each = "IncomeBooked", [{**b.__dict__, "actor": fields["actor"]} for b in bookings_in(event)]
    else:
        each = [fields]
    for shown in each:
        business = next((shown[k] for k in BUSINESS_DATE_FIELDS if isinstance(shown.get(k), date)), None)
        rows.append({
            "version": event.originator_version,
            "event": name,
            "recorded": event.timestamp.isoformat(),
            "business_date": business.isoformat() if business else None,
            "actor": shown.get("actor"),
            "details": _details(shown),
        })
    return rows


def _details(fields: dict[str, Any]) -> str:
    if "agreement" in fields and hasattr(fields["agreement"], "id"):
        a = fields["agreement"]
        return f"{a.kind} {a.id} ({a.category}) {a.amount} to/from {a.counterparty.name}"
    if isinstance(fields.get("changes"), list):  # ChangesReplaced: what a document undid on purpose
        return "undid " + "; ".join(f"{c['command']} {c['agreement'] or ''} {c['value']} from {c['effective']} "
                                    f"by {c['actor']}".replace("  ", " ") for c in fields["changes"])
    if "instructions" in fields:
        taken = [str(m) for m in (fields.get("deducted"), fields.get("deduction_advanced")) if m]
        return (f"{len(fields['instructions'])} payments, leefgeld {fields['leefgeld']}, "
                f"advanced {fields['advanced']}, repaid {fields['repaid']}"
                + (f", deductions taken {fields.get('deducted') or '0.00'} (advanced "
                   f"{fields.get('deduction_advanced') or '0.00'})" if taken else ""))
    shown = {k: v for k, v in fields.items() if k not in ("actor", "participants", "after", "swept")}
    return ", ".join(f"{k}={v}" for k, v in shown.items() if v is not None)[:160]


def household_on(household: Household, day: date) -> dict[str, Any]:
    """The household as it stood on a business date: agreements valid then, amounts then."""
    return {
        "date": day.isoformat(),
        "dossier": household.dossier,
        "status": "not yet started" if day < household.start else (
            ENDED if household.end is not None and day > household.end else ACTIVE),
        "pay_day": household.pay_day_on(day),
        "next_pay_date": household.pay_date_on_or_after(day).isoformat(),
        "agreements": [
            {"id": a.id, "kind": a.kind, "category": a.category, "amount": str(a.amount_on(day)),
             "counterparty": a.counterparty.name, "schedule": a.schedule.to_dict()}
            for a in household.agreements_on(day)
        ],
    }


def household_detail(h: Household) -> dict[str, Any]:
    return {
        "dossier": h.dossier, "household_id": str(h.id), "team": h.team, "coach": h.coach, "status": h.status,
        "start": h.start.isoformat(), "end": h.end.isoformat() if h.end else None,
        "pay_day": h.pay_day_on(date.max),
        "pay_days": [{"effective": p.effective.isoformat(), "pay_day": p.pay_day} for p in h.pay_days],
        "paid_from": h.charges_paid_from().isoformat(),
        "buffer_limit": str(h.buffer_limit), "minimum_leefgeld": str(h.minimum_leefgeld),
        "leefgeld_schedule": h.leefgeld_schedule, "execute_on": h.execute_on, "account": h.account,
        "participants": [{"name": p.name, "iban": p.iban, "contact": p.contact} for p in h.participants],
        "agreements": [agreement_detail(a) for a in h.agreements.values()],
        "buffer_outstanding": str(h.buffer_outstanding),
        "arrears": {"count": len(h.arrears), "amount": str(total(d.amount for d in h.arrears))},
        "last_pay_date": h.last_pay_date.isoformat() if h.last_pay_date else None,
        # issue 23: referrals to debt counselling, moratoria, charges the participant pays (phase-out)
        "referrals": h.referral_rows(), "moratoria": h.moratorium_rows(), "self_paid": h.self_paid_rows(),
    }


def agreement_detail(a: Agreement) -> dict[str, Any]:
    income = a.kind == INCOME
    return {
        "id": a.id, "kind": a.kind, "category": a.category,
        "counterparty": {"name": a.counterparty.name, "iban": a.counterparty.iban},
        "amount": str(a.amount),
        "amounts": [{"effective": s.effective.isoformat(), "amount": str(s.amount)} for s in a.amounts],
        "schedule": a.schedule.to_dict(), "start": a.start.isoformat(),
        "end": a.end.isoformat() if a.end else None, "reference": a.reference, "priority": a.priority,
        "tolerance": {"days": a.tolerance.days, "amount": str(a.tolerance.amount)} if income else None,
        "match_terms": list(a.match_terms),
        # what the payer keeps back of each payment (issue 20); null: nothing
        "withheld": {"amount": str(a.withheld.amount), "kind": a.withheld.kind, "by": a.withheld.by}
        if a.withheld else None,
    }
