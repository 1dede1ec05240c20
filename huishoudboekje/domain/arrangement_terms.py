"""The pay-date step that pays the terms of payment arrangements (issue 23).

Pure, like the other steps of `paydate.py`'s pipeline, where it runs after the running
charges, the minimum leefgeld and the arrears of running charges, and before reserves,
buffer repayment and the rest of the leefgeld: running charges come first, or the
household falls behind again; the protected minimum comes before old debts.

Each term is paid from the pot only (the buffer never advances money for an old debt)
and in full or not at all: a creditor counts a part of a term as a missed term anyway.
A term the pot cannot pay is missed (`Books.missed_terms`): a signal for staff.
A term is a `Due` whose `agreement_id` is the arrangement's (`TERM_PREFIX` + its id)
and whose `due` is the pay date; its payment is of kind `arrangement`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .cycle import Due, Payment

ARRANGEMENT = "arrangement"  # the kind of a term's payment and instruction
TERM_PREFIX = "regeling:"  # never an agreement id (onboarding's pattern has no colon)


def pay_terms(books: Any, cycle: Any) -> Any:
    """Pay each term of `cycle.terms` the pot can pay in full, in the order of the
    arrangements' ids; the others are missed."""
    for term in sorted(cycle.terms, key=lambda t: (t.due, t.agreement_id)):
        if term.amount > books.pot:
            books = replace(books, missed_terms=books.missed_terms + (term,))
            continue
        books = replace(books, pot=books.pot - term.amount, payments=books.payments + (term_payment(term, cycle),))
    return books


def term_payment(term: Due, cycle: Any) -> Payment:
    return Payment(kind=ARRANGEMENT, agreement_id=term.agreement_id, period=term.due, part=1, amount=term.amount,
                   execution_date=cycle.pay_date, creditor_name=term.creditor_name,
                   creditor_iban=term.creditor_iban, reference=term.reference)
