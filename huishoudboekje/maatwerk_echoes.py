"""A statement line carrying a maatwerk payment's end-to-end id (`MW-2026-0001-…`):
the bank executed it (a confirmation) or sent it back (a return, which puts the money
back on the team's budget). Called by the statement import (`statements._Bookkeeper`)
before it looks for a household's payment: a maatwerk id never has a household's shape.
A line that does not fit the payment (another account, another amount) moves nothing
and waits in staff's queue with the reason, as a household's does.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from .domain.ledger import CONFIRMATION, RETURN, UNMATCHED, row_of
from .domain.limits import Limits
from .domain.maatwerk import PAID, MaatwerkBudget, MaatwerkCase, budget_id, case_id, number_of
from .domain.money import Money
from .domain.statement import BankTransaction
from .engine import Engine


class MaatwerkEchoes:
    def __init__(self, engine: Engine, actor: str, limits: Limits) -> None:
        self.engine = engine
        self.actor = actor
        self.limits = limits
        self._changed: dict[UUID, Any] = {}

    def _load(self, ident: UUID) -> Any:
        if ident not in self._changed:
            found = self.engine.get_or_none(ident)
            if found is None:
                return None
            self._changed[ident] = found
        return self._changed[ident]

    def case_of(self, transaction: BankTransaction) -> MaatwerkCase | None:
        e2e = (transaction.end_to_end_id or "").upper()
        number = number_of(e2e)
        if number is None:
            return None
        found = self._load(case_id(number))
        if found is None or found.status != PAID or found.instruction is None \
                or found.instruction.end_to_end_id != e2e:
            return None
        return found

    def handle(self, ident: str, transaction: BankTransaction, found: MaatwerkCase, result: Any) -> list[Any]:
        amount = Money(abs(transaction.amount))
        what = f"maatwerk {found.number}"
        problem = found.echo_problem(amount, transaction.is_credit, transaction.counterparty_iban,
                                     self.limits.return_fee)
        if problem is not None:
            result.unmatched += 1
            return row_of(ident, transaction, UNMATCHED, agreement_id=found.number,
                          reason=f"{problem}, by its end-to-end id ({what}); check with the bank")
        if transaction.is_credit:
            found.give_back(ident, transaction.booking_date, amount, self.actor)
            assert found.paid_on is not None
            budget: MaatwerkBudget = self._load(budget_id(found.team, found.paid_on.year))
            budget.give_back(case=found.number, amount=amount, on=transaction.booking_date, actor=self.actor)
            result.payments_returned += 1
            return row_of(ident, transaction, RETURN, agreement_id=found.number, reason=what)
        found.confirm(ident, transaction.booking_date, self.actor)
        result.payments_confirmed += 1
        return row_of(ident, transaction, CONFIRMATION, agreement_id=found.number, reason=what)

    def aggregates(self) -> list[Any]:
        return [a for a in self._changed.values() if a.pending_events]
