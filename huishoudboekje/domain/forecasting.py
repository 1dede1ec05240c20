"""What the next pay date will pay, as the rules would run it on the agreements'
schedules, and which incomes are still expected. A mixin of `Household` (plain
methods, no events)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta

from .agreement import INCOME
from .bookings import Booking
from .calendar import next_business_day
from .money import Money, total
from .paydate import CycleResult

EARLY_DAYS = 7  # an income may arrive up to a week before its date and still count


@dataclass(frozen=True)
class Forecast:
    next_pay_date: date
    expected_leefgeld: Money
    shortfall: Money  # what the expected incomes do not cover: advanced + new arrears
    advance_needed: Money
    arrears_expected: Money


class Forecasting:
    """The forecast of a `Household` (see `domain/household.py`)."""

    def forecast(self, as_of: date) -> Forecast:
        """The next pay date as the rules would run it, from the agreements' schedules.

        Incomes expected after `as_of` and before that pay date are counted in; an
        income whose expected date has passed without arriving is not: a warning
        should come early rather than late.
        """
        tomorrow = as_of + timedelta(days=1)
        if self.planned_supplement(tomorrow, tomorrow) is not None:
            # A late income the next night uses in this cycle: the next pay date comes after that.
            supplemented = copy.deepcopy(self)
            supplemented.supplement_late_incomes(tomorrow, tomorrow, self.account or "")
            return supplemented.forecast(as_of)
        next_pay, result = self.forecast_cycle(as_of)
        if result is None:  # settled: nothing more will be paid
            return Forecast(next_pay, Money.zero(), Money.zero(), Money.zero(), Money.zero())
        shortfall = result.advanced + total(d.amount for d in result.new_arrears)
        return Forecast(next_pay, result.leefgeld, shortfall, result.advanced,
                        total(d.amount for d in result.new_arrears))

    def forecast_cycle(self, as_of: date, expected_since: date | None = None) -> tuple[date, CycleResult | None]:
        """The next pay date and what the rules would pay on it (see `forecast`); None
        once settled. `expected_since`: count incomes expected from that day on instead
        of after `as_of` (a household not onboarded yet has booked none of them)."""
        next_pay = self.next_unpaid_pay_date(as_of)
        final = self.end is not None and next_pay > self.end  # the settlement comes instead
        if final:
            settlement = self.settles_on(as_of)
            if settlement is None:
                return self.settled_on or next_pay, None
            next_pay = settlement
        cycle_end = next_pay.fromordinal(next_pay.toordinal() + 1) if final else self.next_pay_date(next_pay)
        received = total(b.amount for b in self.bookings.values() if final or b.value_date <= next_pay)
        since = as_of if expected_since is None else expected_since.fromordinal(expected_since.toordinal() - 1)
        expected = self.expected_incomes(since, next_pay)
        pot = self.pot + received + total(amount for _, _, amount in expected)
        deducted, advanced = self.pending_taken(pot, final)  # as `pay` takes pending deductions
        result, _, _ = self._cycle(next_pay, cycle_end, pot - deducted, final,
                                   outstanding=self.buffer_outstanding + advanced)
        return next_pay, result

    def next_unpaid_pay_date(self, as_of: date) -> date:
        """The day the job next pays this household, as `pay_dates_between` decides it:
        the regular pay date, or sooner the catch-up of one no run has paid (a household
        onboarded after its pay date), which the next night's run pays."""
        pay_date = self.pay_date_on_or_after(as_of)
        if self.last_pay_date is not None and pay_date <= self.last_pay_date:
            pay_date = self.next_pay_date(self.last_pay_date)
        if self._missed_pay_date(as_of) is not None:  # after today's run: the job pays it next night
            catch_up = next_business_day(as_of.fromordinal(as_of.toordinal() + 1))
            if catch_up < pay_date and (self.end is None or catch_up <= self.end):
                return catch_up
        return pay_date

    def expected_incomes(self, as_of: date, until: date) -> list[tuple[str, date, Money]]:
        """Income occurrences after `as_of` up to `until` that have not arrived yet."""
        expected = []
        after = as_of.fromordinal(as_of.toordinal() + 1)
        for agreement in self.agreements.values():
            if agreement.kind != INCOME:
                continue
            for day in agreement.schedule.occurrences(after, until):
                if not self.income_received(agreement.id, day):
                    expected.append((agreement.id, day, agreement.expected_on(day)))
        return expected

    def income_received(self, agreement_id: str, expected_on: date) -> Booking | None:
        """The booking that paid an expected income: the first on or after a week before it."""
        earliest = expected_on.toordinal() - EARLY_DAYS
        found = [b for b in self.recent_income
                 if b.agreement_id == agreement_id and b.value_date.toordinal() >= earliest]
        return min(found, key=lambda b: b.value_date) if found else None
