"""The pay date and its supplement: the household's books given to the pure rules of
`paydate.py` (`run_cycle`, through `supplement.CycleInputs`), and the result recorded.
A mixin of `Household` (plain methods: `PayDateRun` and `PayDateSupplemented` stay on the
aggregate, whose module names their stored topics)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from .cycles import schedule_key
from .instructions import Instruction
from .money import Money, total
from .paydate import CycleResult, CycleState, Due, Policy
from .supplement import CycleInputs, Supplement
from .terms import DUE_DATE, WEEKLY


class PayDates:
    """`pay`, the cycle it runs, and the night's supplement of the last pay date."""

    # Set by the aggregate; named here for readers and type checkers.
    agreements: dict[str, Any]
    arrears: list[Due]

    def pay(self, pay_date: date, account: str, participant_ceiling: Money | None = None) -> CycleResult | None:
        """Run the pay-date rules for `pay_date`; once per pay date, never twice.
        `participant_ceiling`: the municipality's (see `policy`)."""
        if self.last_pay_date is not None and pay_date <= self.last_pay_date:
            return None
        if getattr(self, "erased_on", None) is not None:
            return None  # erased (settled before): its IBANs read [verwijderd], nothing is paid to them
        final = self.end is not None and pay_date > self.end
        settlement = self.settlement_date()
        if pay_date < self.start or (final and (settlement is None or pay_date < settlement)):
            return None
        cycle_end = pay_date.fromordinal(pay_date.toordinal() + 1) if final else self.next_pay_date(pay_date)
        swept = [b for b in self.bookings.values() if final or b.value_date <= pay_date]
        # Deductions the pot could not cover when booked come off first: the rules see less.
        deducted, deduction_advanced = self.pending_taken(self.pot + total(b.amount for b in swept), final)
        pot_before = self.pot + total(b.amount for b in swept) - deducted
        result, offered, inputs = self._cycle(pay_date, cycle_end, pot_before, final, participant_ceiling,
                                              self.buffer_outstanding + deduction_advanced)
        instructions = [
            self._instruction(pay_date, payment, account) for payment in result.payments
        ]
        self._paid(
            pay_date=pay_date,
            next_pay_date=cycle_end,
            swept=[b.transaction_id for b in swept],
            pot_before=pot_before,
            instructions=instructions,
            advanced=result.advanced,
            repaid=result.repaid,
            new_arrears=list(result.new_arrears),
            paid_arrears=list(result.paid_arrears),
            reserved=dict(result.reserved),
            from_reserves=dict(result.from_reserves),
            leefgeld=result.leefgeld,
            after=result.after,
            account=account,
            offered=offered,
            final=final,
            charges_start=self.charges_start(pay_date) if self.first_pay_date is None else None,  # read once
            on_hold=result.on_hold if result.on_hold else None,
            leefgeld_short=result.leefgeld_short if result.leefgeld_short else None,
            inputs=None if final else inputs,
            deducted=deducted if deducted else None,
            deduction_advanced=deduction_advanced if deduction_advanced else None,
            missed_terms=self.missed_term_signals(result.missed_terms, pay_date) or None,
        )
        return result

    def _cycle(self, pay_date: date, cycle_end: date, pot: Money,
               final: bool = False, participant_ceiling: Money | None = None, outstanding: Money | None = None
               ) -> tuple[CycleResult, dict[str, date], CycleInputs]:
        """The rules run on the household's books (for a pay date, or its forecast), the
        last due date of each charge the cycle was offered, and what the rules were given.
        `outstanding`: the buffer outstanding as the rules start (with what it advanced
        for pending deductions); None: as it is.

        The final settlement runs the same rules with nothing kept back: every reserve
        returns, no new advance, the buffer repaid in full before any leefgeld."""
        window_start = self.charges_start(pay_date)
        charges_due, irregular_due, reservations = self.charges_between(window_start, cycle_end)
        offered = {d.agreement_id: d.due for d in sorted(charges_due + irregular_due, key=lambda d: d.due)}
        # Periods of an earlier cycle that none paid (see charges_paid_late) are owed
        # already: they come after this cycle's charges, as arrears, oldest first.
        late = [d for d in charges_due + irregular_due if d.due < window_start and d.amount.is_positive]
        state = CycleState(
            pot=pot,
            reserves=dict(self.reserves),
            buffer_outstanding=self.buffer_outstanding if outstanding is None else outstanding,
            arrears=self._arrears_now() + tuple(late),
        )
        policy = self.policy(participant_ceiling)
        if final:
            policy = replace(policy, buffer_limit=Money.zero(), minimum_leefgeld=Money.zero(),
                             leefgeld_weekly=False, buffer_repayment_max=None, leefgeld_target=None)
        inputs = CycleInputs(
            pay_date, cycle_end, state, policy,
            tuple(d for d in charges_due if d.due >= window_start),
            tuple(d for d in irregular_due if d.due >= window_start),
            () if final else tuple(reservations),
            () if final else tuple(sorted(self._kept_reserves(cycle_end))),
            () if final else tuple(self.terms_due(pay_date)),  # the final settlement pays out what is held
        )
        result = inputs.run()
        if late:  # report them as what they are: periods of this cycle's run, not old arrears
            periods = {d.period for d in late}
            result = replace(
                result,
                new_arrears=result.new_arrears + tuple(d for d in result.after.arrears if d.period in periods),
                paid_arrears=tuple(d for d in result.paid_arrears if d.period not in periods),
            )
        return result, offered, inputs

    def supplement_late_incomes(self, first: date, through: date, account: str) -> Supplement | None:
        """The night's supplement of the last pay date (see `domain/supplement.py`): what it
        would have paid with the late incomes in its pot, less what it paid, executed on
        the next business day. Also when a later pay date has run since the income's own:
        the money goes to the cycle the household lives in now, not a month later. Once per
        income: the incomes leave the bookings for the cycle's pot."""
        planned = self.planned_supplement(first, through)
        if planned is None:
            return None
        late, found = planned
        pay_date, day, execution_date = found.pay_date, found.day, found.execution_date
        instructions = [self._instruction(pay_date, self._paid_to_now(payment), account, f"supplement {day}")
                        for payment in found.payments]
        self._supplemented(
            pay_date=pay_date, day=day, execution_date=execution_date, swept=[b.transaction_id for b in late],
            incomes=sorted({b.agreement_id for b in late}), income=found.income, instructions=instructions,
            leefgeld=found.leefgeld, advanced=found.advanced, repaid=found.repaid, pot=found.pot,
            reserves=dict(found.reserves), on_hold=found.on_hold, arrears_paid=list(found.arrears_paid),
            paid=found.paid, leefgeld_short=found.leefgeld_short if found.leefgeld_short else None,
        )
        return found

    def _arrears_now(self) -> tuple[Due, ...]:
        """Arrears as the agreement says today: to the IBAN it has now (a payment
        returned because of a wrong IBAN must not go there again once staff corrected
        it), and for the amount it now says for that period (a correction recorded
        after the period fell due)."""
        current = []
        for due in self.arrears:
            agreement = self.agreements.get(due.agreement_id)
            if agreement is not None:  # less what part-payments paid of it already
                due = replace(due, amount=(agreement.amount_on(due.due) - due.paid).max(Money.zero()),
                              creditor_name=agreement.counterparty.name,
                              creditor_iban=agreement.counterparty.iban,
                              reference=agreement.reference, priority=agreement.priority)
            current.append(due)
        return tuple(current)

    def policy(self, participant_ceiling: Money | None = None) -> Policy:
        """The household's rules; `participant_ceiling` is the municipality's, which the
        household's own replaces. Money a second person released may go above it once."""
        participant = self.participants[0]
        ceiling = self.participant_ceiling if self.participant_ceiling is not None else participant_ceiling
        return Policy(
            buffer_limit=self.buffer_limit,
            minimum_leefgeld=self.minimum_leefgeld,
            leefgeld_weekly=self.leefgeld_schedule == WEEKLY,
            execute_on_due_date=self.execute_on == DUE_DATE,
            participant_name=participant.name,
            participant_iban=participant.iban,
            participant_ceiling=None if ceiling is None else ceiling + self.released,
            buffer_covers_leefgeld=self.buffer_covers_leefgeld,
            buffer_repayment_max=self.buffer_repayment_max,
            leefgeld_target=self.leefgeld_target,
            leefgeld_shares=tuple(self.participants) if any(p.share for p in self.participants) else (),
        )

    def _count_offered(self, offered: dict[str, date] | None, instructions: list[Instruction],
                       new_arrears: list[Due]) -> None:
        """Remember the last period of each charge a cycle was offered (see `_due_dates`)."""
        if offered is None:  # an older event: what it paid and left in arrears was offered
            offered = {}
            for due_date, agreement_id in sorted([(i.period, i.agreement_id) for i in instructions
                                                  if i.kind == "charge"] +
                                                 [(d.due, d.agreement_id) for d in new_arrears]):
                offered[agreement_id] = due_date
        through, schedules = dict(self.charged_through), dict(self.charged_schedule)
        for agreement_id, due_date in offered.items():
            if agreement_id in self.agreements and due_date > through.get(agreement_id, date.min):
                through[agreement_id] = due_date
                schedules[agreement_id] = schedule_key(self.agreements[agreement_id].schedule)
        self.charged_through, self.charged_schedule = through, schedules
