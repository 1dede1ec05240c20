"""Incomes that came too late for their pay date, and the supplement they make (see
`domain/supplement.py`). A mixin of `Household` (plain methods: the command that
records a supplement and its event stay on the aggregate)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from .bookings import Booking
from .calendar import next_business_day, previous_business_day
from .money import total
from .supplement import Supplement, supplement


class LateIncomes:
    """A `Household`'s late incomes and their supplement (see `domain/household.py`)."""

    def late_incomes(self, through: date) -> list[Booking]:
        """Bookings meant for the last pay date or one before it (by their period) that it
        did not have: booked after it ran, or of a value date after it, and in the account
        by `through`. Only a pay date that recorded its inputs can be supplemented."""
        if self.cycle_inputs is None or self.cycle_paid is None or self.last_pay_date is None or \
                self.settled_on is not None:
            return []
        # An income due on a closing day (New Year's Day) is paid the business day before,
        # as the pay date is: it belongs to the pay date of that business day.
        return sorted((b for b in self.bookings.values()
                       if b.period is not None and previous_business_day(b.period) <= self.last_pay_date
                       and b.value_date <= through),
                      key=lambda b: (b.value_date, b.transaction_id))

    def planned_supplement(self, first: date, through: date) -> tuple[list[Booking], Supplement] | None:
        """The late incomes and the supplement a job over [first, through] would record
        (nothing is recorded): what the forecast tells before the night comes."""
        late = self.late_incomes(through)
        if not late or self.cycle_inputs is None or self.cycle_paid is None or self.last_pay_date is None:
            return None
        pay_date = self.last_pay_date
        latest = max(max(b.value_date for b in late), pay_date)
        day = max(first, min(through, latest + timedelta(days=1)))
        if day <= pay_date:
            return None
        found = supplement(self.cycle_inputs, self.cycle_paid, total(b.amount for b in late), day,
                           next_business_day(day))
        return None if found is None else (late, found)

    def _paid_to_now(self, payment: Any) -> Any:
        """A supplement's payment to the account its payee has now: an IBAN staff corrected
        after the pay date (its leefgeld came back) must not be paid again (see `_arrears_now`)."""
        if payment.kind == "leefgeld":
            participant = self.participants[payment.participant if payment.participant < len(self.participants) else 0]
            return replace(payment, creditor_name=participant.name, creditor_iban=participant.iban)
        agreement = self.agreements.get(payment.agreement_id)
        if agreement is None:
            return payment
        return replace(payment, creditor_name=agreement.counterparty.name, creditor_iban=agreement.counterparty.iban,
                       reference=agreement.reference)

    def supplements_of(self, pay_date: date) -> list[dict[str, Any]]:
        """What the supplements of a pay date's cycle did, oldest first."""
        return [s for s in self.supplements if s["pay_date"] == pay_date.isoformat()]
