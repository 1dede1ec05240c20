"""Payment instructions: the `Instruction`, its row as snapshots keep it, and a
household's `Instructions` kept as rows until one is asked for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .ids import end_to_end_id, instruction_id
from .money import Money
from .signals import RESOLVED

KEEP_DAYS = 100


@dataclass(frozen=True)
class Instruction:
    """A payment the engine has instructed the bank to make (betaalopdracht)."""

    id: str
    end_to_end_id: str
    pay_date: date
    kind: str  # charge | arrears | leefgeld
    agreement_id: str | None
    period: date
    part: int
    amount: Money
    execution_date: date
    creditor_name: str
    creditor_iban: str
    reference: str | None
    status: str = "scheduled"  # scheduled | confirmed | returned
    # The transaction that confirmed it, kept when it is returned after: a return
    # changes the status, and a second debit must still be seen as one (2026-12).
    confirmed_by: str | None = None
    # A part-payment of arrears (2026-12): what of the period was paid before it, and
    # what was still owed after it. Zero for a payment of a whole period.
    settled_before: Money = Money.zero()
    rest: Money = Money.zero()
    # The booking date of the statement line that confirmed it (2026-12): what the
    # participant's page calls "betaald op …". None: not confirmed, or confirmed in a
    # snapshot written before it was kept.
    confirmed_on: date | None = None

    @property
    def period_amount(self) -> Money:
        """What the period this payment is (part of) came to when it was paid."""
        return self.settled_before + self.amount + self.rest


def instruction_row(instruction: Instruction) -> list[Any]:
    """An instruction as plain JSON values in field order: how snapshots keep it."""
    i = instruction
    return [i.id, i.end_to_end_id, i.pay_date.isoformat(), i.kind, i.agreement_id, i.period.isoformat(), i.part,
            str(i.amount), i.execution_date.isoformat(), i.creditor_name, i.creditor_iban, i.reference, i.status,
            i.confirmed_by, str(i.settled_before), str(i.rest),
            i.confirmed_on.isoformat() if i.confirmed_on else None]


def instruction_from_row(row: list[Any]) -> Instruction:
    """`instruction_row` read back; a row of twelve (written before `status`) is scheduled,
    one of thirteen (written before `confirmed_by`) names no confirming transaction, one
    of fourteen (written before part-payments) paid a whole period, one of sixteen
    (written before `confirmed_on`) keeps no confirmation date."""
    ident, e2e, pay_date, kind, agreement_id, period, part, amount, execution_date, *rest = row
    if len(rest) > 5:
        rest = [*rest[:5], _amount(rest[5]), _amount(rest[6]), *rest[7:]]
    if len(rest) > 7 and rest[7] is not None:
        rest[7] = date.fromisoformat(rest[7])
    return Instruction(ident, e2e, date.fromisoformat(pay_date), kind, agreement_id, date.fromisoformat(period),
                       part, _amount(amount), date.fromisoformat(execution_date), *rest)


# Where `instruction_row` keeps what the nightly checks read.
_PAY_DATE, _KIND, _AGREEMENT, _PERIOD, _AMOUNT, _STATUS, _SETTLED_BEFORE, _REST = 2, 3, 4, 5, 7, 12, 14, 15
_AMOUNTS: dict[str, Money] = {}  # the same rent comes back every month


def _amount(text: str) -> Money:
    money = _AMOUNTS.get(text)
    if money is None:
        money = Money(text)
        if len(_AMOUNTS) < 20_000:
            _AMOUNTS[text] = money
    return money


def _row_status(row: list[Any]) -> str:
    return row[_STATUS] if len(row) > _STATUS else "scheduled"


class Instructions(MutableMapping[str, Instruction]):
    """A household's recent payment instructions by id, each made into an object when
    it is first asked for.

    A household keeps about a hundred days of instructions (twenty or so), and every
    night's load decoded them all into objects, though a night reads only a few:
    loading a household with a year of history took 712 µs against 532 µs at one
    month; kept as rows, 489 against 390 µs. A snapshot holds them as one list of
    `instruction_row`s, and the nightly checks (`settled_before`, `returned`,
    `paid_charges`, `with_end_to_end_id`) read the rows without making objects.
    """

    def __init__(self, items: Iterable[Instruction | list[Any]] = ()) -> None:
        self._items: dict[str, Instruction | list[Any]] = {}
        for item in items:
            self._items[item[0] if type(item) is list else item.id] = item  # type: ignore[union-attr]

    def __getitem__(self, key: str) -> Instruction:
        item = self._items[key]
        if type(item) is list:
            item = self._items[key] = instruction_from_row(item)
        return item  # type: ignore[return-value]

    def __setitem__(self, key: str, value: Instruction) -> None:
        self._items[key] = value

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Instructions({list(self.values())!r})"

    def rows(self) -> list[list[Any]]:
        return [item if type(item) is list else instruction_row(item)  # type: ignore[misc, arg-type]
                for item in self._items.values()]

    def settled_before(self, day: date) -> list[str]:
        """Ids of instructions confirmed or returned, of a pay date before `day`."""
        iso = day.isoformat()
        return [key for key, item in self._items.items()
                if (_row_status(item) != "scheduled" and item[_PAY_DATE] < iso if type(item) is list
                    else item.status != "scheduled" and item.pay_date < day)]  # type: ignore[union-attr]

    def returned(self) -> list[Instruction]:
        return [self[key] for key, item in self._items.items()
                if (_row_status(item) if type(item) is list else item.status) == "returned"]  # type: ignore[union-attr]

    def paid_charges(self) -> Iterator[tuple[str, str, date, Money]]:
        """(id, agreement, period, amount) of every charge or arrears payment not returned;
        the amount is what the period came to (a part-payment's with its other parts)."""
        for key, item in self._items.items():
            if type(item) is list:
                if item[_KIND] != "leefgeld" and item[_AGREEMENT] is not None and _row_status(item) != "returned":
                    amount = _amount(item[_AMOUNT])
                    if len(item) > _REST:
                        amount = amount + _amount(item[_SETTLED_BEFORE]) + _amount(item[_REST])
                    yield key, item[_AGREEMENT], date.fromisoformat(item[_PERIOD]), amount
            elif item.kind != "leefgeld" and item.agreement_id is not None and item.status != "returned":  # type: ignore[union-attr]
                yield key, item.agreement_id, item.period, item.period_amount  # type: ignore[union-attr]

    def with_end_to_end_id(self, end_to_end_id: str) -> str | None:
        for key, item in self._items.items():
            if (item[1] if type(item) is list else item.end_to_end_id) == end_to_end_id:  # type: ignore[union-attr]
                return key
        return None



class PaymentInstructions:
    """A `Household`'s payment instructions: made for a pay date's payments, and read
    back per pay date (see `domain/household.py`)."""

    def instructions_of(self, pay_date: date) -> list[Instruction]:
        ids = self.paid_on.get(pay_date.isoformat(), [])
        return [self.instructions[i] for i in ids if i in self.instructions]

    def supplement_instructions_of(self, day: date) -> list[Instruction]:
        """The payments the supplements decided on night `day` (see `supplement_late_incomes`)."""
        ids = self.supplemented_on.get(day.isoformat(), [])
        return [self.instructions[i] for i in ids if i in self.instructions]

    def cycle_instructions(self, pay_date: date) -> list[Instruction]:
        """Every payment of a pay date's cycle: its own, then its supplements'."""
        extra = [self.instructions[i] for ids in self.supplemented_on.values() for i in ids
                 if i in self.instructions and self.instructions[i].pay_date == pay_date]
        return self.instructions_of(pay_date) + sorted(extra, key=lambda i: (i.execution_date, i.kind, i.part))

    def _instruction(self, pay_date: date, payment: Any, account: str, of: str | None = None) -> Instruction:
        settled_before = getattr(payment, "settled_before", Money.zero())
        rest = getattr(payment, "rest", Money.zero())
        ident = instruction_id(self.id, pay_date, payment, of)
        return Instruction(
            id=ident,
            end_to_end_id=end_to_end_id(self.id, ident),
            pay_date=pay_date,
            kind=payment.kind,
            agreement_id=payment.agreement_id,
            period=payment.period,
            part=payment.part,
            amount=payment.amount,
            execution_date=payment.execution_date,
            creditor_name=payment.creditor_name,
            creditor_iban=payment.creditor_iban,
            reference=payment.reference,
            settled_before=settled_before,
            rest=rest,
        )

    def _forget_settled(self, pay_date: date) -> None:
        """Keep the aggregate small: settled payments older than a few cycles live on
        only in the events (and the projections), so loading a household costs the
        same after five years as after one month."""
        horizon = pay_date.toordinal() - KEEP_DAYS
        for ident in self.instructions.settled_before(date.fromordinal(horizon)):
            del self.instructions[ident]
        for day in [d for d in self.paid_on if date.fromisoformat(d).toordinal() < horizon]:
            del self.paid_on[day]
        for day in [d for d in self.supplemented_on if date.fromisoformat(d).toordinal() < horizon]:
            del self.supplemented_on[day]
        self.supplements = [s for s in self.supplements if date.fromisoformat(s["day"]).toordinal() >= horizon]
        self.recent_income = [b for b in self.recent_income if b.value_date.toordinal() >= horizon]
        for key in [k for k, v in self.signals.items()
                    if v.status == RESOLVED and v.changed_on.toordinal() < horizon]:
            del self.signals[key]
