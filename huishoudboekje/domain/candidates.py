"""Ranking the households a queued bank credit may belong to, for the person who books it.

Automatic matching (matching.py) books a credit only when its counterparty and every
match term agree with exactly one agreement. What it leaves in the queue, a person books;
this ranks the income agreements they are offered, best first:

1. `exact`: same counterparty IBAN and exactly the amount expected on the value date —
   first even when the description lacks a match term (a payer that dropped the dossier
   number still pays the right household the right amount);
2. `counterparty`: same counterparty IBAN, another amount (closest amount first);
3. `amount`: exactly the amount expected, from another counterparty.

Only agreements valid on the value date are offered; nothing else is. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .matching import IncomeAgreement
from .money import Money
from .statement import BankTransaction

EXACT, COUNTERPARTY, AMOUNT = "exact", "counterparty", "amount"
_RANK = {EXACT: 0, COUNTERPARTY: 1, AMOUNT: 2}


class Ranked(NamedTuple):
    income: IncomeAgreement
    kind: str  # exact | counterparty | amount
    expected: Money  # the agreement's amount on the value date
    difference: Money  # received minus expected

    @property
    def key(self) -> str:
        return self.income.key  # 'DOSSIER/agreement'


def _kind(transaction: BankTransaction, income: IncomeAgreement, expected: Money) -> str | None:
    same_payer = bool(transaction.counterparty_iban) and \
        (transaction.counterparty_iban or "").replace(" ", "").upper() == income.iban
    same_amount = Money(transaction.amount) == expected
    if same_payer:
        return EXACT if same_amount else COUNTERPARTY
    return AMOUNT if same_amount else None


def rank_candidates(transaction: BankTransaction, incomes: Iterable[IncomeAgreement],
                    limit: int = 5) -> list[Ranked]:
    """The income agreements `transaction` (a credit) may be booked onto, best first; at
    most `limit`. Ties: smallest difference, then dossier and agreement, so the order
    is the same on every reading."""
    if not transaction.is_credit:
        return []
    day = transaction.value_date
    found = []
    for income in incomes:
        if not income.is_valid_on(day):
            continue
        expected = income.amount_on(day)
        kind = _kind(transaction, income, expected)
        if kind is not None:
            found.append(Ranked(income, kind, expected, Money(transaction.amount) - expected))
    found.sort(key=lambda r: (_RANK[r.kind], abs(r.difference.amount), r.income.dossier, r.income.agreement_id))
    return found[:limit]
