"""Read-side views straight from the event store (timelines, a household on a date)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from .domain.household import ACTIVE, ENDED, Household, bookings_in
from .engine import Engine

BUSINESS_DATE_FIELDS = ("effective", "end", "pay_date", "value_date", "booking_date", "start", "on")


def timeline(engine: Engine, household_id: UUID) -> list[dict[str, Any]]:
    rows = []
    for event in engine.events.get(household_id):
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
    if "instructions" in fields:
        return (f"{len(fields['instructions'])} payments, leefgeld {fields['leefgeld']}, "
                f"advanced {fields['advanced']}, repaid {fields['repaid']}")
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
