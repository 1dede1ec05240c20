"""Bookings: a bank transaction booked as (part of) an income, and its row as an
import's `IncomesBooked` event stores it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent

from .agreement import INCOME, deviates_from
from .errors import HouseholdError, NotFound
from .money import Money
from .signals import BOOKING_CORRECTED, Signal
from .signals import fact as signal_fact
from .terms import ACTIVE


@dataclass(frozen=True)
class Booking:
    """A bank transaction booked as (part of) an income of this household."""

    transaction_id: str
    agreement_id: str
    amount: Money
    value_date: date
    expected: Money
    deviates: bool
    # The occurrence of its agreement it pays (the one nearest its value date); None in
    # bookings made before 2026-12 and kept in older snapshots.
    period: date | None = None


def booking_row(booking: Booking) -> list[Any]:
    """A booking as plain JSON values, as `IncomesBooked` stores it."""
    return row_of_booking(booking.transaction_id, booking.agreement_id, booking.amount, booking.value_date,
                          booking.expected, booking.deviates)


def row_of_booking(transaction_id: str, agreement_id: str, amount: Money, value_date: date,
                   expected: Money, deviates: bool) -> list[Any]:
    """`booking_row` without making the `Booking` first (an import makes thousands)."""
    return [transaction_id, agreement_id, str(amount), value_date.isoformat(), str(expected), deviates]


def booking_from_row(row: list[Any]) -> Booking:
    """An import's row: the household works out the period it pays (`_add_booking`)."""
    transaction_id, agreement_id, amount, value_date, expected, deviates = row
    return Booking(transaction_id, agreement_id, Money(amount), date.fromisoformat(value_date),
                   Money(expected), deviates)


def bookings_in(event: Any) -> list[Booking]:
    """The bookings an IncomeBooked or IncomesBooked event made (none for other events)."""
    name = type(event).__name__
    if name == "IncomeBooked":
        return [Booking(event.transaction_id, event.agreement_id, event.amount, event.value_date,
                        event.expected, event.deviates, getattr(event, "period", None))]
    if name == "IncomesBooked":
        return [booking_from_row(row) for row in event.bookings]
    return []



class IncomeBookings:
    """The commands that book, undo and correct a `Household`'s incomes (see
    `domain/household.py`, where the events they record are)."""

    def book_income(
        self, transaction_id: str, agreement_id: str, amount: Money, value_date: date, actor: str
    ) -> Booking:
        if self.status != ACTIVE and (self.end is None or value_date > self.end or self.settled_on):
            # An income of the time it took part still counts, until the final settlement.
            self.check_active()
        agreement = self.agreements.get(agreement_id)
        if agreement is None:
            raise NotFound(f"{self.dossier} has no agreement '{agreement_id}'", field="agreement")
        if agreement.kind != INCOME:
            raise HouseholdError(f"{agreement_id} is not an income agreement")
        if transaction_id in self.bookings:
            raise HouseholdError(f"transaction {transaction_id} is booked already")
        expected = agreement.expected_on(value_date)  # less what its payer withholds
        deviates = deviates_from(amount, expected, agreement.tolerance.amount)
        self._income_booked(
            transaction_id=transaction_id,
            agreement_id=agreement_id,
            amount=amount,
            value_date=value_date,
            expected=expected,
            deviates=deviates,
            actor=actor,
            period=self.income_period(agreement_id, value_date),
        )
        return self.bookings[transaction_id]

    def _add_booking(self, booking: Booking) -> None:
        if booking.period is None:
            # An import's rows (and events written before 2026-12) leave it to the
            # household: the agreement as it stood at this event, so a replay finds the same.
            booking = replace(booking, period=self.income_period(booking.agreement_id, booking.value_date))
        self.bookings[booking.transaction_id] = booking
        self.recent_income.append(booking)
        self.totals["in"] = self.totals["in"] + booking.amount

    @classmethod
    def incomes_booked(cls, household_id: UUID, version: int, bookings: list[list[Any]],
                       actor: str) -> DomainEvent:
        """One import's bookings (`booking_row`s) on a household that is not loaded, as one event.

        An import books thousands of incomes; loading each household only to append
        to it would cost the import most of its time. The caller has checked what
        `book_income` checks (an active household, an income agreement valid on the
        value date, a transaction not booked before) against the income directory and
        the ledger, weighed each booking with `deviates_from`, and appends at `version`,
        the household's next: if the household moved on in between, the store refuses
        the event and the caller starts again.
        """
        return cls.IncomesBooked(  # type: ignore[attr-defined]
            originator_id=household_id,
            originator_version=version,
            timestamp=cls.IncomesBooked.create_timestamp(),  # type: ignore[attr-defined]
            bookings=bookings,
            actor=actor,
        )

    def income_period(self, agreement_id: str, value_date: date) -> date | None:
        """The occurrence of an income agreement a credit of `value_date` pays: the nearest
        one; of two as near, the later (halfway between is no reason to call it late, and a
        late income is what makes a supplement). None for an agreement without occurrences."""
        agreement = self.agreements.get(agreement_id)
        if agreement is None:
            return None
        for reach in (45, 400):
            days = agreement.schedule.occurrences(value_date - timedelta(days=reach),
                                                  value_date + timedelta(days=reach))
            if days:
                return min(days, key=lambda d: (abs(d.toordinal() - value_date.toordinal()), -d.toordinal()))
        return None

    def undo_booking(self, transaction_id: str, reason: str, actor: str) -> None:
        booking = self.bookings.get(transaction_id)
        if booking is None:
            raise HouseholdError(
                f"transaction {transaction_id} is not booked on {self.dossier}, or was paid out "
                "on a pay date already and can no longer be undone"
            )
        self._booking_undone(transaction_id=transaction_id, reason=reason, actor=actor)

    def correct_booking(self, transaction_id: str, agreement_id: str | None, amount: Money, on: date,
                        reason: str, actor: str) -> Money:
        """Take back a booking a pay date has paid out already (`undo_booking` is for one
        that has not): a new event, never an edit. What of it the household still holds
        (held above the ceiling, in the pot, in reserves) leaves its books; what was paid
        out is recorded as a claim, with a signal for staff. Returns the claim."""
        if transaction_id in self.bookings:
            raise HouseholdError(f"transaction {transaction_id} is not paid out yet: undo it instead")
        if not amount.is_positive:
            raise HouseholdError(f"transaction {transaction_id}: only a credit booked as income can be corrected")
        rest = amount
        from_held = self.on_hold.min(rest)
        rest = rest - from_held
        from_pot = self.pot.min(rest)
        rest = rest - from_pot
        from_reserves: dict[str, Money] = {}
        for reserve_id, held in sorted(self.reserves.items()):
            taken = held.min(rest)
            if taken:
                from_reserves[reserve_id] = taken
                rest = rest - taken
        signal = Signal.raised(signal_fact(
            BOOKING_CORRECTED, agreement_id, on, amount, instance=transaction_id, transaction=transaction_id,
            amount_booked=amount, claim=rest, reason=reason), on)
        self._booking_corrected(transaction_id=transaction_id, agreement_id=agreement_id, amount=amount,
                                from_held=from_held, from_pot=from_pot, from_reserves=from_reserves, claim=rest,
                                on=on, reason=reason, signal=signal, actor=actor)
        return rest

    def _take_back(self, from_held: Money, from_pot: Money, from_reserves: dict[str, Money]) -> None:
        """What of a corrected booking the household still held leaves its books
        (`BookingCorrected`)."""
        self.on_hold = self.on_hold - from_held
        if not self.on_hold:
            self.on_hold_since, self.release_approval = None, None
        self.pot = self.pot - from_pot
        reserves = dict(self.reserves)
        for reserve_id, taken in from_reserves.items():
            reserves[reserve_id] = reserves[reserve_id] - taken
        self.reserves = {k: v for k, v in reserves.items() if v}
