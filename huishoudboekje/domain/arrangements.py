"""Payment arrangements (betalingsregelingen) on a household's debts (issue 23).

An arrangement pays a debt's creditor an amount a month from a date on, on the pay date,
until the debt is paid or its number of terms is (`terms`; one term: a one-off payment).
Each pay date on or after its start offers one term (`terms_due`) to the rules
(`arrangement_terms.pay_terms`, a step of `paydate.py`'s pipeline): the monthly amount,
or what is left of the debt when that is less. A paid term lowers the debt's remaining
amount (`PayDateRun`), a returned one raises it again (`PaymentReturned`); a missed term
is a signal for staff (`term-missed`), raised with the pay date's event.

Arrangements are plain JSON values on the household, like its debts (`domain/debts.py`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .arrangement_terms import ARRANGEMENT, TERM_PREFIX
from .cycle import Due
from .debts import debt_id, split_debt_id
from .errors import DomainError, HouseholdError, NotFound
from .money import Money, MoneyError, parse_money
from .signals import TERM_MISSED, Signal
from .signals import fact as signal_fact

ACTIVE, COMPLETED = "active", "completed"
TERM_PRIORITY = 50  # after every charge; only orders terms among themselves


def _money(text: str) -> Money:
    return Money(text)


class Arrangements:
    """The commands and reading of a `Household`'s arrangements (events in `domain/household.py`)."""

    arrangements: dict[str, dict[str, Any]] = {}  # a class default: households of earlier versions have none

    def add_arrangement(self, debt: str, monthly: Any, start: date, terms: int | None, actor: str) -> str:
        """`debt`: the debt's id (DOSSIER:S1) or its local id (S1)."""
        self.check_active()
        local = split_debt_id(debt)[1] if ":" in debt else debt
        if ":" in debt and split_debt_id(debt)[0] != self.dossier:
            raise NotFound(f"{self.dossier} has no debt '{debt}'", field="debt")
        owed = self.open_debt(local)
        try:
            amount = parse_money(monthly)
        except MoneyError as exc:
            raise DomainError(f"monthly: {exc}", field="monthly") from None
        if not amount.is_positive:
            raise DomainError("a term must be more than 0.00", field="monthly")
        if terms is not None and terms < 1:
            raise DomainError("an arrangement has one term at least", field="terms")
        if any(a["debt"] == local and a["status"] == ACTIVE for a in self.arrangements.values()):
            raise HouseholdError(f"debt {debt_id(self.dossier, local)} has a running arrangement already",
                                 field="debt")
        if not _money(owed["remaining"]).is_positive:
            raise HouseholdError(f"debt {debt_id(self.dossier, local)} is paid", field="debt")
        ident = f"R{len(self.arrangements) + 1}"
        arrangement = {"id": ident, "debt": local, "monthly": str(amount), "start": start.isoformat(),
                       "terms": terms, "paid_terms": 0, "paid": "0.00", "missed": 0, "status": ACTIVE}
        self._arrangement_added(arrangement=arrangement, actor=actor)
        return debt_id(self.dossier, ident)

    def terms_due(self, pay_date: date) -> list[Due]:
        """The term each running arrangement asks of the pay date `pay_date`."""
        due = []
        for arrangement in self.arrangements.values():
            debt = self.debts.get(arrangement["debt"])
            if arrangement["status"] != ACTIVE or debt is None or debt["status"] != "open":
                continue
            if date.fromisoformat(arrangement["start"]) > pay_date or self.paused_on(pay_date):
                continue
            amount = _money(arrangement["monthly"]).min(_money(debt["remaining"]))
            if amount.is_positive:
                due.append(Due(agreement_id=TERM_PREFIX + arrangement["id"], due=pay_date, amount=amount,
                               priority=TERM_PRIORITY, creditor_name=debt["creditor"], creditor_iban=debt["iban"],
                               reference=debt["reference"]))
        return due

    def missed_term_signals(self, missed: tuple[Due, ...], pay_date: date) -> list[Signal]:
        return [Signal.raised(signal_fact(TERM_MISSED, term.agreement_id, pay_date, term.amount,
                                          creditor=term.creditor_name, term=term.amount,
                                          arrangement=debt_id(self.dossier, term.agreement_id[len(TERM_PREFIX):])),
                              pay_date)
                for term in missed]

    def _terms_settled(self, instructions: list[Any], missed: list[Signal] | None, sign: int = 1) -> None:
        """What a pay date (or a return, `sign` -1) did to the arrangements and their debts."""
        arrangements, debts = dict(self.arrangements), dict(self.debts)
        for instruction in instructions:
            if instruction.kind != ARRANGEMENT:
                continue
            arrangement = dict(arrangements[instruction.agreement_id[len(TERM_PREFIX):]])
            debt = dict(debts[arrangement["debt"]])
            amount = instruction.amount if sign > 0 else -instruction.amount
            debt["remaining"] = str(_money(debt["remaining"]) - amount)
            arrangement["paid"] = str(_money(arrangement["paid"]) + amount)
            arrangement["paid_terms"] += sign
            done = not _money(debt["remaining"]).is_positive or (
                arrangement["terms"] is not None and arrangement["paid_terms"] >= arrangement["terms"])
            arrangement["status"] = COMPLETED if done else ACTIVE
            arrangements[arrangement["id"]], debts[debt["id"]] = arrangement, debt
        for signal in missed or ():
            local = signal.agreement_id[len(TERM_PREFIX):]
            arrangements[local] = {**arrangements[local], "missed": arrangements[local]["missed"] + 1}
            self.signals[signal.key] = signal
        self.arrangements, self.debts = arrangements, debts

    def arrangement_rows(self) -> list[dict[str, Any]]:
        return [{"arrangement": debt_id(self.dossier, a["id"]), "debt": debt_id(self.dossier, a["debt"]),
                 "monthly": a["monthly"], "from": a["start"], "terms": a["terms"], "paid_terms": a["paid_terms"],
                 "paid": a["paid"], "missed": a["missed"], "status": a["status"]}
                for a in self.arrangements.values()]
