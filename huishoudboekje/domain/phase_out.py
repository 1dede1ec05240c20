"""Phase-out (issue 23): the gradual hand-over at the end of a trajectory. From a date
the participant pays some charges themselves: those agreements are self-paid, the pay
dates no longer pay their periods due on or after that date (nor set money aside for
them), and their money goes to the participant with the leefgeld. They stay on the
household, shown and forecast as self-paid. A phase-out ends with `end_participation`,
whose final settlement pays out what is still held.

Kept as plain JSON values on the household (`AgreementsSelfPaid` in
`domain/household.py`): agreement id -> the first due date the participant pays (ISO).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .agreement import CHARGE
from .errors import DomainError, HouseholdError


def self_paid_due(self_paid: dict[str, str], agreement_id: str, due: date) -> bool:
    """Whether the participant pays this period of the charge (due on or after its date)."""
    start = self_paid.get(agreement_id)
    return start is not None and due >= date.fromisoformat(start)


class PhaseOut:
    """The commands on a `Household`'s phase-out (the event is in `domain/household.py`)."""

    self_paid: dict[str, str] = {}  # a class default: households of earlier versions have none

    def phase_out(self, agreement_ids: list[str], start: date, actor: str) -> list[dict[str, Any]]:
        """From `start` on, the participant pays these charges themselves."""
        self.check_active()
        if not agreement_ids:
            raise DomainError("a phase-out names at least one agreement (--agreement)", field="agreement")
        if start < self.start:
            raise DomainError(f"--from {start} lies before the start {self.start}", field="from")
        for ident in dict.fromkeys(agreement_ids):
            agreement = self.check_agreement(ident)
            if agreement.kind != CHARGE:
                raise DomainError(f"{ident} is an income: only charges can be paid by the participant",
                                  field="agreement")
            if ident in self.self_paid:
                raise HouseholdError(f"{ident} is paid by the participant from {self.self_paid[ident]} already",
                                     field="agreement")
            offered = self.charged_through.get(ident)
            if offered is not None and offered >= start:
                raise HouseholdError(f"{ident}: a pay date paid its period due {offered} already; the "
                                     f"participant can take it over from {offered.fromordinal(offered.toordinal() + 1)}",
                                     field="from")
        self._agreements_self_paid(agreement_ids=list(dict.fromkeys(agreement_ids)), start=start, actor=actor)
        return self.self_paid_rows()

    def self_paid_on(self, agreement_id: str, due: date) -> bool:
        return self_paid_due(self.self_paid, agreement_id, due)

    def self_paid_rows(self, as_of: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
        """Each self-paid charge; with `as_of` and `until`, its periods due in (as_of, until]
        the participant pays (`due`), for the forecast."""
        rows = []
        for ident, start in sorted(self.self_paid.items(), key=lambda item: (item[1], item[0])):
            agreement = self.agreements.get(ident)
            if agreement is None:
                continue
            row = {"dossier": self.dossier, "agreement": ident, "creditor": agreement.counterparty.name,
                   "from": start, "amount": str(agreement.amount_on(max(date.fromisoformat(start), agreement.start)))}
            if as_of is not None and until is not None:
                first = max(as_of.fromordinal(as_of.toordinal() + 1), date.fromisoformat(start))
                row["due"] = [{"date": day.isoformat(), "amount": str(agreement.amount_on(day))}
                              for day in agreement.schedule.occurrences(first, until)]
            rows.append(row)
        return rows
