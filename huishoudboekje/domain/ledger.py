"""The ledger of one managed bank account for one month of booking dates.

Every bank transaction the engine ever saw is recorded here exactly once, whatever
file it came in: two statements whose periods overlap carry the same transactions,
and the second import must find them here. Ledgers are split by month so a stream
stays short and a new import only reads the months it touches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .household import NAMESPACE
from .statement import BankTransaction

UNMATCHED, BOOKED, IGNORED, CONFIRMATION, RETURN, DEBIT = (
    "unmatched",
    "booked",
    "ignored",
    "confirmation",
    "return",
    "debit",
)


@dataclass(frozen=True)
class Recorded:
    """A bank transaction as recorded, with what the engine made of it."""

    id: str
    transaction: BankTransaction
    outcome: str  # unmatched | booked | ignored | confirmation | return | debit
    dossier: str | None = None
    agreement_id: str | None = None
    reason: str | None = None
    candidates: tuple[str, ...] = ()  # 'DOSSIER/agreement', best first
    import_id: str | None = None


class Ledger(Aggregate):
    @staticmethod
    def create_id(account: str, month: str) -> UUID:
        return ledger_id(account, month)

    @event("Opened")
    def __init__(self, account: str, month: str) -> None:
        self.account = account
        self.month = month
        self.transactions: dict[str, Recorded] = {}
        self.newest_value_date: date | None = None

    def __contains__(self, transaction_id: str) -> bool:
        return transaction_id in self.transactions

    @event("TransactionsRecorded")
    def record(self, import_id: str, files: list[str], allow_unbalanced: bool,
               transactions: list[Recorded], actor: str) -> None:
        for recorded in transactions:
            self.transactions[recorded.id] = recorded
            value_date = recorded.transaction.value_date
            if self.newest_value_date is None or value_date > self.newest_value_date:
                self.newest_value_date = value_date

    def resolve(self, transaction_id: str, outcome: str, dossier: str | None,
                agreement_id: str | None, actor: str, reason: str | None = None) -> None:
        self._resolved(transaction_id=transaction_id, outcome=outcome, dossier=dossier,
                       agreement_id=agreement_id, actor=actor, reason=reason)

    @event("TransactionResolved")
    def _resolved(self, transaction_id: str, outcome: str, dossier: str | None,
                  agreement_id: str | None, actor: str, reason: str | None) -> None:
        recorded = self.transactions[transaction_id]
        self.transactions[transaction_id] = replace(
            recorded, outcome=outcome, dossier=dossier, agreement_id=agreement_id,
            reason=reason if reason is not None else recorded.reason,
        )

    def unmatched(self) -> list[Recorded]:
        return [r for r in self.transactions.values() if r.outcome == UNMATCHED]


def ledger_id(account: str, month: str) -> UUID:
    return uuid5(NAMESPACE, f"ledger/{account}/{month}")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
