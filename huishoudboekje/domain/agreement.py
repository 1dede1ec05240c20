"""Agreements (afspraken): a recurring income or fixed charge with a counterparty."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from .money import Money
from .schedule import Schedule



class Kind(StrEnum):
    """An agreement's kind; members equal the strings stored in events."""
    INCOME = "income"
    CHARGE = "charge"


INCOME, CHARGE = Kind.INCOME, Kind.CHARGE

INCOME_CATEGORIES = (
    "loon",
    "uitkering",
    "bijstand",
    "toeslag",
    "kinderbijslag",
    "alimentatie",
    "overig",
)
CHARGE_CATEGORIES = (
    "huur",
    "energie",
    "water",
    "stadsverwarming",
    "zorgverzekering",
    "gemeentelijke-belastingen",
    "overig",
)
# The cost of falling behind decides the order: eviction first, then cut-offs.
DEFAULT_PRIORITY = {
    "huur": 1,
    "energie": 2,
    "stadsverwarming": 2,
    "water": 3,
    "zorgverzekering": 4,
    "gemeentelijke-belastingen": 5,
    "overig": 9,
}


@dataclass(frozen=True)
class Counterparty:
    name: str
    iban: str  # validated on the way in (domain.iban.Iban)


@dataclass(frozen=True)
class Participant:
    name: str
    iban: str
    contact: str | None = None
    # The participant's share of the leefgeld, an exact fraction as text ("1/2"); None for
    # all participants: the first gets all of it (`domain/shares.py`). Added last: older
    # rows read with None.
    share: str | None = None


@dataclass(frozen=True)
class Tolerance:
    """How far an income may drift from the agreement before it is a signal."""

    days: int = 0
    amount: Money = field(default_factory=Money.zero)


@dataclass(frozen=True)
class AmountFrom:
    effective: date
    amount: Money


WITHHOLDING_KINDS = ("beslag", "verrekening", "overig")


@dataclass(frozen=True)
class Withholding:
    """Part of an income its payer keeps back for someone else, so the household gets
    less: a garnishment of a fixed amount (beslag) or a set-off (verrekening). The
    forecast and the matching expect the income less this."""

    amount: Money
    kind: str = "beslag"  # one of WITHHOLDING_KINDS
    by: str | None = None  # who gets it (the bailiff), as the participant reads it


@dataclass(frozen=True)
class Agreement:
    id: str
    kind: str  # INCOME or CHARGE
    category: str
    counterparty: Counterparty
    amounts: tuple[AmountFrom, ...]  # sorted by effective date; first is from the start
    schedule: Schedule
    tolerance: Tolerance = field(default_factory=Tolerance)
    match_terms: tuple[str, ...] = ()
    reference: str | None = None
    priority: int = 9
    # What the payer keeps back of each payment (an income only); None in agreements
    # made before issue 20 and where nothing is withheld.
    withheld: Withholding | None = None
    # The creditor's customer number for this household (a charge only), which creditors'
    # reports name; None in agreements made before issue 23 and where staff gave none.
    customer_number: str | None = None

    @property
    def amount(self) -> Money:
        """The latest amount (the one staff see on the agreement today)."""
        return self.amounts[-1].amount

    @property
    def start(self) -> date:
        return self.schedule.start

    @property
    def end(self) -> date | None:
        return self.schedule.end

    def amount_on(self, day: date) -> Money:
        return amount_on(self.amounts, day)

    def is_valid_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def expected_on(self, day: date) -> Money:
        """What comes in on `day`: the amount less what the payer withholds."""
        return net(self.amount_on(day), self.withheld)

    def expected_amounts(self) -> tuple[AmountFrom, ...]:
        """The amount history as it comes in: each step less what is withheld."""
        if self.withheld is None:
            return self.amounts
        return tuple(AmountFrom(step.effective, net(step.amount, self.withheld)) for step in self.amounts)

    def with_amount_from(self, effective: date, amount: Money) -> Agreement:
        kept = [a for a in self.amounts if a.effective < effective]
        if not kept:
            return replace(self, amounts=(AmountFrom(effective, amount),))
        return replace(self, amounts=tuple(kept) + (AmountFrom(effective, amount),))

    def ended_on(self, end: date) -> Agreement:
        return replace(self, schedule=self.schedule.ending(end))

    def definition(self) -> Agreement:
        """Comparable form for 'did staff change anything?' (amount history aside)."""
        return replace(self, amounts=())


def amount_on(amounts: tuple[AmountFrom, ...], day: date) -> Money:
    """The amount in force on `day`: the last step effective by then (the first before it)."""
    if len(amounts) == 1:  # most agreements never changed their amount
        return amounts[0].amount
    current = amounts[0].amount
    for step in amounts:
        if step.effective <= day:
            current = step.amount
        else:
            break
    return current


def net(amount: Money, withheld: Withholding | None) -> Money:
    """An income's amount less what its payer withholds, never below zero."""
    if withheld is None:
        return amount
    return (amount - withheld.amount).max(Money.zero())


def deviates_from(amount: Money, expected: Money, tolerance: Money) -> bool:
    """An income deviates when it differs from its agreement by more than the tolerance."""
    return abs(amount.amount - expected.amount) > tolerance.amount  # exact Decimals, no Money in between
