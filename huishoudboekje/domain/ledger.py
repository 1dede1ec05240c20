"""The ledger of one managed bank account for one month of booking dates.

Every bank transaction the engine ever saw is recorded here exactly once, whatever
file it came in: two statements whose periods overlap carry the same transactions,
and the second import must find them here. Ledgers are split by month so a stream
stays short and a new import only reads the months it touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate, event

from .household import NAMESPACE
from .statement import BankTransaction



class Outcome(StrEnum):
    """What became of a bank transaction; members equal the strings stored in rows."""
    UNMATCHED = "unmatched"
    BOOKED = "booked"
    IGNORED = "ignored"
    CONFIRMATION = "confirmation"
    RETURN = "return"
    DEBIT = "debit"
    # The municipality's own money (2026-12): a credit from its funding account, or a
    # movement staff marked as its own (bank costs it bears, a refund of them).
    FUNDING = "funding"
    COST = "cost"
    DEDUCTION = "deduction"  # a debit booked to a household as a deduction (issue 20)


UNMATCHED, BOOKED, IGNORED, CONFIRMATION, RETURN, DEBIT, FUNDING, COST, DEDUCTION = Outcome


@dataclass(frozen=True)
class Recorded:
    """A bank transaction as recorded, with what the engine made of it."""

    id: str
    transaction: BankTransaction
    outcome: str  # unmatched | booked | ignored | confirmation | return | debit | deduction
    dossier: str | None = None
    agreement_id: str | None = None
    reason: str | None = None
    candidates: tuple[str, ...] = ()  # 'DOSSIER/agreement', best first
    import_id: str | None = None


class LedgerRow(NamedTuple):
    """The fields of a ledger row, in the order a row keeps them.

    Rows are stored and kept as plain JSON lists (see `Ledger`: orjson decodes a list at
    C speed, and a tuple subclass would not be written as one), so this names their
    places rather than being the row itself: `LedgerRow(*row).outcome`, or in a loop over
    thousands of rows `row[COLUMN.outcome]`.
    """

    id: str
    account: str
    booking_date: str  # ISO date
    value_date: str  # ISO date
    amount: str  # a decimal
    counterparty_iban: str | None
    counterparty_name: str | None
    description: str
    end_to_end_id: str | None
    bank_reference: str | None
    where: str | None
    outcome: str
    dossier: str | None
    agreement_id: str | None
    reason: str | None
    candidates: list[str]
    import_id: str | None


# Where each field sits in a row: `row[COLUMN.value_date]`. Loops over the rows of an
# import or a ledger load read one or two fields of each; a LedgerRow made of every row
# would cost ten times the indexing.
COLUMN = LedgerRow(*range(len(LedgerRow._fields)))


def row_of(ident: str, t: BankTransaction, outcome: str, dossier: str | None = None,
           agreement_id: str | None = None, reason: str | None = None, candidates: list[str] | None = None,
           import_id: str | None = None) -> list[Any]:
    """A transaction as recorded, as a list of plain JSON values (see `Ledger`).

    The same fields as `Recorded`, in `LedgerRow` order; an import makes one per
    transaction straight away, so the list is written out rather than made from a
    `LedgerRow` (a test holds the two to the same order).
    """
    return [ident, t.account, t.booking_date.isoformat(), t.value_date.isoformat(), str(t.amount),
            t.counterparty_iban, t.counterparty_name, t.description, t.end_to_end_id, t.bank_reference,
            t.where, outcome, dossier, agreement_id, reason, candidates or [], import_id]


def to_row(recorded: Recorded) -> list[Any]:
    return row_of(recorded.id, recorded.transaction, recorded.outcome, recorded.dossier,
                  recorded.agreement_id, recorded.reason, list(recorded.candidates), recorded.import_id)


def from_row(row: list[Any]) -> Recorded:
    r = LedgerRow(*row)
    transaction = BankTransaction.read(
        r.account, date.fromisoformat(r.booking_date), date.fromisoformat(r.value_date), Decimal(r.amount),
        r.counterparty_iban, r.counterparty_name, r.description, r.end_to_end_id, r.bank_reference, r.where)
    return Recorded(r.id, transaction, r.outcome, r.dossier, r.agreement_id, r.reason, tuple(r.candidates),
                    r.import_id)

# One `TransactionsImported` event carries at most this many rows, and at most this
# many bytes of rows (a row larger than that alone): no stored event grows with the
# size of a statement.
ROWS_PER_EVENT = 1000
BYTES_PER_EVENT = 256 * 1024


def chunked(rows: list[list[Any]]) -> list[list[list[Any]]]:
    """Consecutive runs of rows within ROWS_PER_EVENT and BYTES_PER_EVENT, as few as they allow.

    A row's size is its JSON as the store writes it (orjson, UTF-8). Counting the
    characters of its texts instead let an event of accented, quoted or emoji text grow
    to two or three times the bound, and it is slower than orjson's C code.
    """
    chunks: list[list[list[Any]]] = [[]]
    size = 1  # the list's brackets, less the comma its first row does not need
    for row in rows:
        length = len(orjson.dumps(row)) + 1  # and its comma
        if chunks[-1] and (len(chunks[-1]) >= ROWS_PER_EVENT or size + length > BYTES_PER_EVENT):
            chunks.append([])
            size = 1
        chunks[-1].append(row)
        size += length
    return [chunk for chunk in chunks if chunk]


class Ledger(Aggregate):
    """Transactions are kept as rows of plain JSON values, not as `Recorded` objects.

    A month of a busy account holds tens of thousands of transactions; as objects they
    would pass through the transcoder one field at a time on every import, load and
    snapshot. As rows they are encoded and decoded by the JSON library's C code, and
    turned into `Recorded` only when somebody asks for one.

    An import records its rows in events of bounded size (`chunked`), and ledgers are
    not snapshotted (see `Engine.snapshotting_intervals`): a snapshot holds the whole
    month, which at 100,000 transactions would be a row of 25 MB. Loading replays the
    month's chunks instead, which decodes the same rows a snapshot would.
    """

    # Version 2 keeps rows; snapshots of version 1 held `transactions` as `Recorded`s.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["rows"] = {ident: to_row(recorded) for ident, recorded in state.pop("transactions").items()}

    @staticmethod
    def create_id(account: str, month: str) -> UUID:
        return ledger_id(account, month)

    @event("Opened")
    def __init__(self, account: str, month: str) -> None:
        self.account = account
        self.month = month
        self.rows: dict[str, list[Any]] = {}
        self.newest_value_date: date | None = None

    def __contains__(self, transaction_id: str) -> bool:
        return transaction_id in self.rows

    def get(self, transaction_id: str) -> Recorded:
        return from_row(self.rows[transaction_id])

    def record(self, import_id: str, files: list[str], allow_unbalanced: bool,
               rows: list[list[Any]], actor: str) -> None:
        """Record new transactions (`row_of`); each carries the id of the import that brought it."""
        for row in rows:
            row[COLUMN.import_id] = import_id
        for chunk in chunked(rows):
            self._imported(import_id=import_id, files=files, allow_unbalanced=allow_unbalanced,
                           rows=chunk, actor=actor)

    @event("TransactionsImported")
    def _imported(self, import_id: str, files: list[str], allow_unbalanced: bool,
                  rows: list[list[Any]], actor: str) -> None:
        newest = self.newest_value_date.isoformat() if self.newest_value_date else ""
        ident, valued = COLUMN.id, COLUMN.value_date
        for row in rows:
            self.rows[row[ident]] = row
            newest = max(newest, row[valued])  # ISO dates sort as dates
        self.newest_value_date = date.fromisoformat(newest) if newest else None

    @event("TransactionsRecorded")
    def _recorded_as_objects(self, import_id: str, files: list[str], allow_unbalanced: bool,
                             transactions: list[Recorded], actor: str) -> None:
        """Ledgers written before rows: their first imports still load."""
        for recorded in transactions:
            self.rows[recorded.id] = to_row(recorded)
            if self.newest_value_date is None or recorded.transaction.value_date > self.newest_value_date:
                self.newest_value_date = recorded.transaction.value_date

    def resolve(self, transaction_id: str, outcome: str, dossier: str | None,
                agreement_id: str | None, actor: str, reason: str | None = None) -> None:
        self._resolved(transaction_id=transaction_id, outcome=outcome, dossier=dossier,
                       agreement_id=agreement_id, actor=actor, reason=reason)

    @event("TransactionResolved")
    def _resolved(self, transaction_id: str, outcome: str, dossier: str | None,
                  agreement_id: str | None, actor: str, reason: str | None) -> None:
        row = LedgerRow(*self.rows[transaction_id])
        self.rows[transaction_id] = list(row._replace(
            outcome=outcome, dossier=dossier, agreement_id=agreement_id,
            reason=reason if reason is not None else row.reason))

    def recorded(self) -> list[Recorded]:
        return [from_row(row) for row in self.rows.values()]

    def unmatched(self) -> list[Recorded]:
        return [from_row(row) for row in self.rows.values() if row[COLUMN.outcome] == UNMATCHED]


def ledger_id(account: str, month: str) -> UUID:
    return uuid5(NAMESPACE, f"ledger/{account}/{month}")


@lru_cache(maxsize=4096)  # asked once or twice per transaction; a statement has few days
def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
