"""The calendar of a household's cycles: its pay dates, the final settlement, and
which charge periods each cycle is offered. A mixin of `Household` (plain methods,
no events: those stay on the aggregate, whose module names their stored topics)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from typing import Any

from .agreement import CHARGE, Agreement
from .calendar import add_business_days, next_business_day
from .money import Money
from .paydate import Due, Reservation, next_pay_date, reservation_with_catch_up

_TWO_MONTHS = timedelta(days=62)  # holds the pay date before any day

def schedule_key(schedule: Any) -> str:
    """A schedule's rule without its start and end: what makes its periods."""
    return (f"{schedule.every}|{schedule.day}|{int(schedule.last_business_day)}|"
            f"{','.join(map(str, schedule.months))}|{schedule.weekday}")


def _parse_schedule_key(key: str) -> tuple[str, tuple[int, ...]]:
    every, _, _, months, _ = key.split("|")
    return every, tuple(int(m) for m in months.split(",") if m)


def _period(every: str, months: tuple[int, ...], day: date) -> tuple[int, int]:
    """Which period of its year a due date is, when a schedule's due day or months
    moved: the month, or the n-th quarter or yearly date (by the schedule's months)."""
    if every == "month":
        return (day.year, day.month)
    ordered = sorted(months)
    return (day.year, bisect_right(ordered, day.month) - 1)


class PayCalendar:
    """The pay dates and charge periods of a `Household` (see `domain/household.py`)."""

    def pay_day_on(self, day: date) -> int | str:
        current = self.pay_days[0].pay_day
        for step in self.pay_days:
            if step.effective <= day:
                current = step.pay_day
        return current

    def pay_date_on_or_after(self, day: date) -> date:
        return self.next_pay_date(day.fromordinal(day.toordinal() - 1))

    def next_pay_date(self, after: date) -> date:
        """The household's first pay date strictly after `after`.

        A pay date is a month's pay date under the pay day in effect *on that date*, so
        the dates are the same whether the job runs every night or catches up a month
        in one go, also around a change of pay day.
        """
        if len(self.pay_days) == 1:
            return next_pay_date(after, self.pay_days[0].pay_day)
        candidates = {step.pay_day: next_pay_date(after, step.pay_day) for step in self.pay_days}
        while True:
            pay_day = min(candidates, key=candidates.__getitem__)
            found = candidates[pay_day]
            if self.pay_day_on(found) == pay_day:
                return found
            candidates[pay_day] = next_pay_date(found, pay_day)  # not in effect then: its next one

    def pay_dates_between(self, first: date, last: date) -> list[date]:
        """Pay dates in [first, last] on which this household must be paid, and the
        final settlement after its end if that falls there."""
        dates = self._regular_pay_dates(first, last)
        missed = self._missed_pay_date(first)
        if missed is not None:
            # A pay date before this run that no run paid (a pay day changed from a day
            # already past, a start recorded late): paid now, not skipped to the next.
            catch_up = next_business_day(first)
            if catch_up <= last and (not dates or catch_up < dates[0]) and \
                    (self.end is None or catch_up <= self.end):
                dates.insert(0, catch_up)
        settlement = self.settles_on(first)
        if settlement is not None and settlement <= last:
            dates.append(settlement)
        return dates

    def _regular_pay_dates(self, first: date, last: date) -> list[date]:
        dates = []
        day = max(first, self.start)
        while True:
            pay_date = self.pay_date_on_or_after(day)
            if pay_date > last or (self.end is not None and pay_date > self.end):
                return dates
            if self.last_pay_date is None or pay_date > self.last_pay_date:
                dates.append(pay_date)
            day = pay_date.fromordinal(pay_date.toordinal() + 1)

    def _missed_pay_date(self, first: date) -> date | None:
        after = self.start if self.last_pay_date is None else \
            max(self.start, self.last_pay_date.fromordinal(self.last_pay_date.toordinal() + 1))
        candidate = self.pay_date_on_or_after(after)
        if candidate < first and (self.end is None or candidate <= self.end):
            return candidate
        return None

    def settles_on(self, first: date) -> date | None:
        """The day a run from `first` on pays the final settlement: its own date, or,
        for an end recorded after that date had passed, the run's first business day."""
        settlement = self.settlement_date()
        return None if settlement is None else max(settlement, next_business_day(first))

    def settlement_date(self) -> date | None:
        """The business day after the end of participation, when what the household
        still holds is paid out: the last charges, the buffer repaid, the rest to the
        participant. None while it takes part, and once settled."""
        if self.end is None or self.settled_on is not None:
            return None
        day = add_business_days(self.end, 1)
        if self.last_pay_date is not None and day <= self.last_pay_date:
            day = add_business_days(self.last_pay_date, 1)
        return day

    def charges_paid_late(self, paid_on: date | None = None) -> tuple[date, list[Due]]:
        """The next pay date, and the charge periods due before it that no cycle paid
        yet: a pay day moved later, a due day moved earlier, a charge added or started
        in a cycle that has run. The next pay date pays them, late. `paid_on`: the day
        the job pays that cycle when it has passed the next pay date already; what
        falls due until then is late too."""
        if paid_on is not None:
            next_pay = paid_on
        elif self.last_pay_date is None:
            return self.pay_date_on_or_after(self.start), []
        else:
            next_pay = self.next_pay_date(self.last_pay_date)
        regular, irregular, _ = self.charges_between(self.charges_start(next_pay), next_pay)
        late = [d for d in regular + irregular if d.amount.is_positive]
        return next_pay, sorted(late, key=lambda d: (d.due, d.agreement_id))

    def charges_start(self, pay_date: date) -> date:
        """Where the cycle of `pay_date` begins: where the last cycle ended (the first
        cycle: at the household's first pay date).

        Cycles follow each other without gap or overlap: moved earlier, the pay day
        starts the next cycle after what the last one covered; moved later, the next
        cycle pays what fell due in between as its own charges (late, not forgotten).
        Which periods a cycle is offered is each charge's own count (`_due_dates`);
        a period due before this date is late and is paid as arrears.

        The first cycle begins at the pay date it belongs to even when a later run pays
        it (a household onboarded in the afternoon of its first pay date, or with a start
        a few days back): the rent due that day is owed all the same. Not further back:
        a household onboarded months after its start paid those months itself.
        """
        if self.charges_from is not None:
            return self.charges_from
        regular = self.pay_date_on_or_after(max(self.start, pay_date - _TWO_MONTHS))
        if regular > pay_date:
            return pay_date
        while (following := self.next_pay_date(regular)) <= pay_date:
            regular = following
        return regular

    def charges_between(
        self, first: date, cycle_end: date
    ) -> tuple[list[Due], list[Due], list[Reservation]]:
        """What falls due in [first, cycle_end) and no cycle offered yet (see
        `_due_dates`), and what to set aside for later."""
        last = cycle_end.fromordinal(cycle_end.toordinal() - 1)
        regular, irregular, reservations = [], [], []
        for agreement in self.agreements.values():
            if agreement.kind != CHARGE:
                continue
            # A period the participant pays (a phase-out, domain/phase_out.py) is never offered
            dues = [self._due(agreement, d) for d in self._due_dates(agreement, first, last)
                    if not self.self_paid_on(agreement.id, d)]
            if not agreement.schedule.is_irregular():
                regular.extend(dues)
            elif dues:
                irregular.extend(dues)
            elif (upcoming := agreement.schedule.next_on_or_after(cycle_end)) is not None and \
                    not self.self_paid_on(agreement.id, upcoming):
                cycles = agreement.schedule.months_since_previous(upcoming)  # one cycle a month
                held = self.reserves.get(agreement.id, Money.zero())
                part = reservation_with_catch_up(agreement.amount_on(upcoming), cycles, held,
                                                 self._cycles_left(cycle_end, upcoming, cycles))
                if part:
                    reservations.append(Reservation(agreement.id, part, agreement.priority))
        return regular, irregular, reservations

    def _cycles_left(self, cycle_end: date, upcoming: date, cycles: int) -> int:
        """The cycles that still set aside for a charge due on `upcoming`, the one ending
        on `cycle_end` included: those that end on or before it."""
        left, day = 1, cycle_end
        while left < cycles and (following := self.next_pay_date(day)) <= upcoming:
            left, day = left + 1, following
        return left

    def _due_dates(self, agreement: Agreement, first: date, last: date) -> list[date]:
        """A charge's due dates up to `last` that no cycle has offered yet.

        Each charge remembers the last period a cycle offered it (paid or left in
        arrears), so every period is offered exactly once even when staff change the
        charge: a due day moved from the 10th to the 20th does not pay that month twice,
        moved back from the 20th to the 10th does not skip it, and a charge added or
        started in a cycle that has run still has those periods paid (late). When staff
        move the due day or months of a monthly, quarterly or yearly charge, its periods
        are counted per month, or per n-th date of the year (`_period`). A charge never
        offered starts at the first pay date, or at `paid_from` where staff set it: a
        period due before it is the creditor's direct debit's to collect, one after it
        but before the first pay date is ours, paid late on that pay date.
        """
        through = self.charged_through.get(agreement.id)
        schedule = agreement.schedule
        if through is None:
            return schedule.occurrences(self.paid_from or self.first_pay_date or first, last)
        days = schedule.occurrences(through.fromordinal(through.toordinal() + 1), last)
        then = self.charged_schedule.get(agreement.id)
        if days and then is not None and then != schedule_key(schedule):  # staff changed the schedule
            every, months = _parse_schedule_key(then)
            if every == schedule.every and every in ("month", "quarter", "year"):
                done = _period(every, months, through)
                days = [d for d in days if _period(every, schedule.months, d) > done]
        return days

    def _kept_reserves(self, cycle_end: date) -> frozenset[str]:
        """Agreements whose reserve still has a purpose: an irregular charge still to
        come at a cost, or arrears of it. Any other reserve returns to the pot."""
        kept = {due.agreement_id for due in self.arrears}
        for agreement in self.agreements.values():
            if agreement.kind == CHARGE and agreement.schedule.is_irregular():
                upcoming = agreement.schedule.next_on_or_after(cycle_end)
                if upcoming is not None and agreement.amount_on(upcoming).is_positive and \
                        not self.self_paid_on(agreement.id, upcoming):
                    kept.add(agreement.id)
        return frozenset(kept)

    def _due(self, agreement: Agreement, day: date) -> Due:
        return Due(
            agreement_id=agreement.id,
            due=day,
            amount=agreement.amount_on(day),
            priority=agreement.priority,
            creditor_name=agreement.counterparty.name,
            creditor_iban=agreement.counterparty.iban,
            reference=agreement.reference,
        )
