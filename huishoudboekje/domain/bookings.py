"""Bookings: a bank transaction booked as (part of) an income, and its row as an
import's `IncomesBooked` event stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .money import Money


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
