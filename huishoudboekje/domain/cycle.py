"""Pay dates, and the inputs and outputs of a pay-date cycle (`paydate.run_cycle`).

Pure: no I/O, no clock. `paydate.py` holds the rules that turn these inputs into
these outputs; the types live here so that the rules read as a pipeline of steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import last_business_day, previous_business_day
from .agreement import Participant
from .money import Money

LAST_BUSINESS_DAY = "last-business-day"
_ZERO = Money.zero()
# The household's leefgeld reserve (a leefgeld target's excess) is kept among the
# reserves under this key, which no agreement id can be (ids have no spaces).
LEEFGELD_RESERVE = "leefgeld reserve"


class PayDateError(ValueError):
    """A pay day or cycle that cannot be: day 31, a next pay date before P, …"""


# -- pay dates -----------------------------------------------------------------------


def pay_date_in(year: int, month: int, pay_day: int | str) -> date:
    """The pay date belonging to `month`: day `pay_day` or its last business day.

    A nominal day that is a TARGET2 closing day moves to the business day *before* it
    (possibly into the previous month): income paid early is harmless, late is not.
    Days 29–31 are refused because not every month has them.
    """
    check_pay_day(pay_day)
    if pay_day == LAST_BUSINESS_DAY:
        return last_business_day(year, month)
    return previous_business_day(date(year, month, pay_day))  # type: ignore[arg-type]


def next_pay_date(after: date, pay_day: int | str) -> date:
    """The first pay date strictly after `after`."""
    check_pay_day(pay_day)
    # A month's pay date lies in that month or, moved back, at the end of the month
    # before; so no month before `after`'s own can hold a pay date after `after`.
    year, month = after.year, after.month
    while True:
        candidate = pay_date_in(year, month, pay_day)
        if candidate > after:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def pay_date_on_or_after(day: date, pay_day: int | str) -> date:
    return next_pay_date(day - timedelta(days=1), pay_day)


def check_pay_day(pay_day: object) -> None:
    if pay_day == LAST_BUSINESS_DAY:
        return
    if not isinstance(pay_day, int) or isinstance(pay_day, bool) or not 1 <= pay_day <= 28:
        raise PayDateError(f"pay day: {pay_day!r} is not 1–28 or '{LAST_BUSINESS_DAY}'")


def reservation_part(amount: Money, cycles_per_period: int) -> Money:
    """The part of an irregular charge set aside each cycle: amount / cycles, rounded UP.

    Rounding up makes the reserve reach the full amount in time; the few cents too
    much return to the pot when the charge is paid.
    """
    if not isinstance(cycles_per_period, int) or cycles_per_period < 1:
        raise PayDateError("an irregular charge is reserved over at least one cycle")
    if amount.is_negative:
        raise PayDateError("a reserved amount cannot be negative")
    return Money.from_cents(-(-amount.cents // cycles_per_period))


def reservation_with_catch_up(amount: Money, cycles_per_period: int, held: Money, cycles_left: int) -> Money:
    """What to set aside this cycle for an irregular charge of `amount`: its part, plus
    the parts missed in earlier cycles (a short pot, a household that came in halfway)
    spread over the `cycles_left` reserving cycles before its due date, this one
    included. On schedule the reserve holds all parts but one when the due cycle comes,
    which pays that last part from its own pot; never more than the amount is reserved.
    """
    if not isinstance(cycles_left, int) or cycles_left < 1:
        raise PayDateError("a reservation is set aside over at least one cycle")
    part = reservation_part(amount, cycles_per_period)
    target = Money.from_cents(part.cents * (cycles_per_period - 1)).min(amount)  # held when the due cycle comes
    missing = target.cents - held.cents - part.cents * cycles_left  # behind the parts' schedule
    catch_up = Money.from_cents(-(-missing // cycles_left)) if missing > 0 else _ZERO
    return (part + catch_up).min(amount - held).max(_ZERO)


# -- the inputs and outputs of a cycle ---------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One period of a charge that must be paid (current, or in arrears)."""

    agreement_id: str
    due: date  # nominal due date; with agreement_id it identifies the period
    amount: Money
    priority: int  # 1 = highest
    creditor_name: str
    creditor_iban: str
    reference: str | None = None
    returned: bool = False  # arrears of a payment the bank returned (its money is back in the pot)
    # What of the period was paid already (part-payments of arrears, since 2026-12):
    # `amount` is what is still owed, the agreement's amount less this.
    paid: Money = _ZERO

    def __post_init__(self) -> None:
        # Zero is allowed (an agreement may cost nothing for a while); run_cycle then
        # pays nothing for it, because a bank refuses a zero payment.
        if self.amount.is_negative:
            raise PayDateError(f"{self.agreement_id} {self.due}: a due amount cannot be negative")
        if self.paid.is_negative:
            raise PayDateError(f"{self.agreement_id} {self.due}: a paid amount cannot be negative")

    @property
    def period(self) -> tuple[str, date]:
        return (self.agreement_id, self.due)


@dataclass(frozen=True)
class Reservation:
    """An irregular (quarterly/yearly) charge NOT due this cycle: set aside a part."""

    agreement_id: str
    part: Money
    priority: int

    def __post_init__(self) -> None:
        if self.part.is_negative:
            raise PayDateError(f"{self.agreement_id}: a reservation part cannot be negative")


@dataclass(frozen=True)
class Policy:
    buffer_limit: Money
    minimum_leefgeld: Money
    leefgeld_weekly: bool
    execute_on_due_date: bool
    participant_name: str
    participant_iban: str
    # The most a cycle pays the participant; the rest is held for a second person's
    # approval (`CycleResult.on_hold`). None: no ceiling.
    participant_ceiling: Money | None = None
    # Whether the buffer advances the minimum leefgeld when the pot cannot pay it.
    buffer_covers_leefgeld: bool = True
    # The most repaid to the buffer in one cycle. None: no cap.
    buffer_repayment_max: Money | None = None
    # Leefgeld paid each cycle when the money allows; the excess is kept in the
    # leefgeld reserve, which tops up cycles below it. None: everything left is paid.
    leefgeld_target: Money | None = None
    # The participants who share the leefgeld, each with a `share` (`domain/shares.py`);
    # empty: all of it to `participant_name`/`participant_iban`, as before.
    leefgeld_shares: tuple[Participant, ...] = ()

    def __post_init__(self) -> None:
        if self.buffer_limit.is_negative or self.minimum_leefgeld.is_negative:
            raise PayDateError("buffer limit and minimum leefgeld cannot be negative")
        for name in ("participant_ceiling", "buffer_repayment_max", "leefgeld_target"):
            value = getattr(self, name)
            if value is not None and value.is_negative:
                raise PayDateError(f"{name.replace('_', ' ')} cannot be negative")


@dataclass(frozen=True)
class CycleState:
    """The household's money before (and after) a run."""

    pot: Money  # matched incomes with value date <= P, plus what earlier cycles left
    reserves: Mapping[str, Money]  # per irregular agreement id
    buffer_outstanding: Money
    arrears: tuple[Due, ...] = ()  # unpaid periods from earlier cycles

    def __post_init__(self) -> None:
        # Own copies, so a caller mutating its dict or list cannot change a state.
        object.__setattr__(self, "reserves", dict(self.reserves))
        object.__setattr__(self, "arrears", tuple(self.arrears))
        if self.pot.is_negative or self.buffer_outstanding.is_negative:
            raise PayDateError("pot and buffer outstanding cannot be negative")
        if any(m.is_negative for m in self.reserves.values()):
            raise PayDateError("a reserve cannot be negative")


@dataclass(frozen=True)
class Payment:
    kind: str  # "charge" | "arrears" | "leefgeld" | "arrangement" (a term, `arrangement_terms.py`)
    agreement_id: str | None  # None for leefgeld
    period: date  # charges/arrears: the Due.due; leefgeld: the pay date
    part: int  # leefgeld part number 1..n (1 for everything else)
    amount: Money  # > 0
    execution_date: date
    creditor_name: str
    creditor_iban: str
    reference: str | None
    # A part-payment of arrears: what of the period was paid before it, and what is
    # still owed after it (both zero for a payment of the whole period).
    settled_before: Money = _ZERO
    rest: Money = _ZERO
    # Leefgeld split over participants: the index of the participant it goes to (its id
    # tells the parts apart; 0, the first, keeps the id it always had).
    participant: int = 0

    def __post_init__(self) -> None:
        if not self.amount.is_positive:
            raise PayDateError("a payment amount must be > 0")


@dataclass(frozen=True)
class CycleResult:
    payments: tuple[Payment, ...]
    advanced: Money  # newly advanced by the buffer in this run
    repaid: Money  # buffer repaid in this run
    new_arrears: tuple[Due, ...]  # periods that could not be paid in this run
    paid_arrears: tuple[Due, ...]  # earlier arrears paid in this run
    reserved: Mapping[str, Money]  # added to each reserve (before payments from reserves)
    from_reserves: Mapping[str, Money]  # taken out of each reserve for due irregular charges
    leefgeld: Money
    after: CycleState
    on_hold: Money = _ZERO  # leefgeld above the participant ceiling, held for approval
    # How far the leefgeld stayed below the minimum (the buffer had no room left, or
    # may not pay leefgeld): a high signal for staff.
    leefgeld_short: Money = _ZERO
    part_paid: tuple[Due, ...] = ()  # arrears part-paid in this run, as they stand after it
    missed_terms: tuple[Due, ...] = ()  # terms of payment arrangements the pot could not pay
