"""A participant's own data (GDPR right of access): everything the engine holds about one
household, in one machine-readable answer (`hhb subject-access`).

Gathered from the household's own events (every payment instruction any pay date wrote,
not only the recent ones the household keeps), the statement lines booked to it from the
ledgers, its signals with their notes, its debts and arrangements, its notices and
personal links, and the access log's entries about it (given by the caller, who holds
the log). Nothing of another household: every part is read by the household's id or
dossier.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import access
from . import notices as notice_service
from .domain.access import PARTICIPANT
from .domain.household import Household
from .domain.instructions import Instruction, instruction_from_row, instruction_row
from .domain.signals import Signal
from .engine import Engine
from .history import agreement_detail, household_detail, timeline
from .statements import ledgers

PAYMENT_FIELDS = ("id", "end_to_end_id", "pay_date", "kind", "agreement_id", "period", "part", "amount",
                  "execution_date", "creditor_name", "creditor_iban", "reference", "status", "confirmed_by",
                  "settled_before", "rest", "confirmed_on")


def subject_access(engine: Engine, dossier: str, made_on: date,
                   access_log: list[dict[str, str]]) -> dict[str, Any]:
    """Everything held about the household `dossier`; NotFound if there is none."""
    household = engine.household(dossier)
    detail = household_detail(household)
    signals = [signal_row(s) for s in household.signals.values()]
    return {
        "dossier": dossier,
        "made_on": made_on.isoformat(),
        "household": {k: v for k, v in detail.items() if k not in ("participants", "agreements", "consent")},
        "end_reason": getattr(household, "end_reason", None),
        "erased_on": household.erased_on.isoformat() if household.erased_on else None,
        "participants": detail["participants"],
        "consent": detail["consent"],
        "agreements": [agreement_detail(a) for a in household.agreements.values()],
        "payments": payments(engine, household),
        "statement_lines": statement_lines(engine, dossier),
        "signals": signals,
        "notes": [{"signal": s["key"], "on": h["on"], "by": h["by"], "status": h["status"], "note": h["note"]}
                  for s in signals for h in s["history"] if h.get("note")],
        "debts": household.debt_rows(made_on),
        "arrangements": household.arrangement_rows(),
        "notices": notice_service.show(engine, dossier),
        "links": [{"id": c.short_id, "issued": c.issued.isoformat(),
                   "expires": c.expires.isoformat() if c.expires else None,
                   "revoked": c.revoked.isoformat() if c.revoked else None}
                  for c in access.credentials(engine) if c.role == PARTICIPANT and c.dossier == dossier],
        "access_log": access_log,
        "history": timeline(engine, household.id),
    }


def payments(engine: Engine, household: Household) -> list[dict[str, Any]]:
    """Every payment instruction of the household, from the events that wrote them, with
    the status the household knows now (confirmed, returned) where it still keeps it."""
    found: dict[str, Instruction] = {}
    for event in engine.events.get(household.id):
        for item in getattr(event, "instructions", None) or ():
            instruction = item if isinstance(item, Instruction) else instruction_from_row(list(item))
            found.setdefault(instruction.id, instruction)
    found.update({key: household.instructions[key] for key in household.instructions})
    rows = [dict(zip(PAYMENT_FIELDS, instruction_row(i))) for i in found.values()]
    return sorted(rows, key=lambda r: (r["pay_date"], r["id"]))


def statement_lines(engine: Engine, dossier: str) -> list[dict[str, Any]]:
    """The bank statement lines booked to the household (incomes, confirmations and
    returns of its payments, deductions), as the bank gave them."""
    rows = []
    for ledger in ledgers(engine):
        for recorded in ledger.recorded():
            if recorded.dossier != dossier:
                continue
            t = recorded.transaction
            rows.append({"id": recorded.id, "outcome": recorded.outcome, "agreement": recorded.agreement_id,
                         "booking_date": t.booking_date.isoformat(), "value_date": t.value_date.isoformat(),
                         "amount": str(t.amount), "counterparty_name": t.counterparty_name,
                         "counterparty_iban": t.counterparty_iban, "description": t.description,
                         "account": t.account})
    return sorted(rows, key=lambda r: (r["booking_date"], r["id"]))


def signal_row(signal: Signal) -> dict[str, Any]:
    return {"key": signal.key, "rule": signal.rule, "agreement": signal.agreement_id, "period": signal.period,
            "severity": signal.severity, "amount": str(signal.amount), "status": signal.status,
            "raised_on": signal.raised_on.isoformat(), "changed_on": signal.changed_on.isoformat(),
            "details": dict(signal.details), "history": [dict(h) for h in signal.history]}
