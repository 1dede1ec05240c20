"""Debits that are not ours, booked by hand: a debit from the unmatched queue becomes a
deduction on a household (`hhb book TX DOSSIER --deduction KIND`, and the API's
`POST /unmatched/{transaction}/deduct`). The rules are the household's
(`domain/deductions.py`); an import books a clawback it can match by itself
(`statements._Bookkeeper`), and `statements.undo` gives any deduction back.
"""

from __future__ import annotations

from .domain.deductions import check_kind
from .domain.errors import HouseholdError
from .domain.ledger import DEDUCTION, IGNORED, UNMATCHED, Recorded
from .domain.money import Money
from .engine import Engine
from .statements import find_transaction


def book(engine: Engine, ident: str, dossier: str, kind: str, agreement_id: str | None, actor: str) -> Recorded:
    """Book a queued debit onto a household as a deduction of `kind`, set off against the
    income `agreement_id` if one is named (the zorgtoeslag the tax office recovers)."""
    check_kind(kind)

    def attempt() -> Recorded:
        ledger, recorded = find_transaction(engine, ident)
        if recorded.outcome not in (UNMATCHED, IGNORED):
            raise HouseholdError(f"{ident} is {recorded.outcome} already; undo that first")
        transaction = recorded.transaction
        if transaction.is_credit:
            raise HouseholdError(f"{ident} is a credit; only a debit someone else made is a deduction "
                                 "(book a credit onto an income agreement)")
        household = engine.household(dossier)
        household.book_deduction(ident, kind, Money(abs(transaction.amount)), transaction.value_date, agreement_id,
                                 transaction.counterparty_name, transaction.description, actor)
        ledger.resolve(ident, DEDUCTION, dossier, agreement_id, actor, reason=f"{kind}, booked by hand")
        engine.save(ledger, household)
        return ledger.get(ident)

    return engine.retrying(attempt)
