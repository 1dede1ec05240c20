"""The bank's own word on a managed account, and the engine's account of the same money.

`AccountBook`: one per managed account; it remembers each statement's opening and
closing balance as the bank gave them. The earliest statement's opening balance is
the money the account held when the engine took it over.

`balance_terms`: the daily balance check (kasaansluiting), pure. The bank's closing
balance of a statement must equal, term by term:

    the opening balance when the engine took the account over
  + what the households hold (pots, incomes not yet swept, reserves, held leefgeld,
    less deductions not yet taken)
  - the buffer outstanding (advanced and not yet repaid: the municipality's money, paid out)
  - claims (paid out of a booking staff corrected afterwards)
  + payments instructed but not yet seen executed (still in the account)
  + the municipality's funding, less its own costs, and what staff marked as not ours
  - maatwerk paid from the account (the team's budget: the municipality's money), less
    what is instructed and not yet seen executed, plus what came back
  - every movement the engine knows of that the bank booked after the statement
  + the open items: transactions on the statement nobody has booked or marked yet.

What is left is the difference: it is never absorbed, and any is a critical signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .ids import NAMESPACE
from .money import Money


@dataclass(frozen=True)
class StatementBalance:
    """One statement's balances as the bank gave them."""

    key: str
    file: str
    statement_id: str | None
    opening_balance: Decimal | None
    opening_date: date | None
    closing_balance: Decimal | None
    closing_date: date | None
    import_id: str


def account_book_id(account: str) -> UUID:
    return uuid5(NAMESPACE, f"/accounts/{account}")


class AccountBook(Aggregate):
    """What the bank said a managed account held, statement by statement."""

    @staticmethod
    def create_id(account: str) -> UUID:
        return account_book_id(account)

    @event("Opened")
    def __init__(self, account: str) -> None:
        self.account = account
        self.statements: dict[str, StatementBalance] = {}

    def record(self, balance: StatementBalance, actor: str) -> bool:
        """Remember a statement's balances once; False when it was known already."""
        if balance.key in self.statements or balance.closing_balance is None or balance.closing_date is None:
            return False
        self._recorded(balance=balance, actor=actor)
        return True

    @event("StatementRecorded")
    def _recorded(self, balance: StatementBalance, actor: str) -> None:
        self.statements[balance.key] = balance

    @property
    def opening(self) -> StatementBalance | None:
        """The earliest statement that names its opening balance: the takeover."""
        known = [s for s in self.statements.values() if s.opening_balance is not None]
        return min(known, key=_order, default=None)

    def latest(self, on_or_before: date | None = None) -> StatementBalance | None:
        """The last statement closing on or before a day (default: the last of all)."""
        known = [s for s in self.statements.values()
                 if s.closing_date is not None and (on_or_before is None or s.closing_date <= on_or_before)]
        return max(known, key=lambda s: (s.closing_date, s.closing_balance is not None, s.key), default=None)


def _order(balance: StatementBalance) -> tuple[Any, ...]:
    return (balance.opening_date or balance.closing_date or date.max, balance.key)


def statement_key(statement_id: str | None, opening_date: date | None, closing_date: date | None,
                  opening_balance: Decimal | None, closing_balance: Decimal | None) -> str:
    """The same statement in two files (an overlap, a resend) has the same key."""
    return "|".join(str(part) if part is not None else "" for part in
                    (statement_id, opening_date, closing_date, opening_balance, closing_balance))


# -- the check ------------------------------------------------------------------------

# The terms, in the order they are shown, with the sign each adds with.
TERMS = (
    "opening", "households", "buffer_outstanding", "claims", "in_flight",
    "funding", "own_costs", "not_ours", "maatwerk", "after_statement",
)


@dataclass
class BalanceCheck:
    """One account on one statement's closing date: each term, the open items, the difference."""

    account: str
    statement: StatementBalance
    opening: Money
    households: Money = Money.zero()
    buffer_outstanding: Money = Money.zero()  # shown positive, subtracted
    claims: Money = Money.zero()  # shown positive, subtracted
    in_flight: Money = Money.zero()
    funding: Money = Money.zero()
    own_costs: Money = Money.zero()  # signed: costs are negative
    not_ours: Money = Money.zero()  # signed
    maatwerk: Money = Money.zero()  # signed: paid out is negative, a return positive
    after_statement: Money = Money.zero()  # signed, subtracted
    open_items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bank(self) -> Money:
        return Money(self.statement.closing_balance)

    @property
    def engine(self) -> Money:
        """The engine's own account of the money, without the open items."""
        return (self.opening + self.households - self.buffer_outstanding - self.claims + self.in_flight
                + self.funding + self.own_costs + self.not_ours + self.maatwerk - self.after_statement)

    @property
    def open_total(self) -> Money:
        return sum((Money(item["amount"]) for item in self.open_items), Money.zero())

    @property
    def difference(self) -> Money:
        """What neither the books nor the open items explain: zero, or a critical signal."""
        return self.bank - self.engine - self.open_total

    @property
    def in_order(self) -> bool:
        return not self.difference and not self.open_items

    def as_dict(self) -> dict[str, Any]:
        s = self.statement
        return {
            "account": self.account,
            "date": s.closing_date.isoformat() if s.closing_date else None,
            "statement": {"file": s.file, "id": s.statement_id, "import": s.import_id},
            "bank_closing_balance": str(self.bank),
            "terms": {name: str(getattr(self, name)) for name in TERMS},
            "engine": str(self.engine),
            "open_items": list(self.open_items),
            "open_total": str(self.open_total),
            "difference": str(self.difference),
            "in_order": self.in_order,
        }
