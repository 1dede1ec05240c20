"""The Household aggregate: who takes part, their agreements, and their money.

Every command is a method recorded as the event it causes (named in the past tense).
Every command carries the business date it takes effect and the actor who gave it;
the time an event was written is never used as a business date.
The events stay here (their stored topics name this module); the commands and rules
are the mixins `Household` inherits, each in its own module (see the README).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from .agreement import CHARGE, Agreement, Participant
from .bookings import IncomeBookings
from .cycles import PayCalendar, schedule_key
from .echoes import PaymentEchoes
from .forecasting import Forecasting
from .instructions import PaymentInstructions
from .late_incomes import LateIncomes
from .money import Money, total
from .paydate import CycleResult, CycleState, Due, Policy, next_pay_date
from .release import HeldRelease
from .signalling import Signalling
from .signals import ACKNOWLEDGED, RESOLVED, Signal
from .supplement import CycleInputs, CyclePaid, Supplement, charges_paid
from .terms import ACTIVE, DUE_DATE, ENDED, WEEKLY, PayDayFrom, Terms

# Names other modules import from here, where they were before the aggregate's logic
# moved into mixins of their own.
from .bookings import Booking, booking_from_row, booking_row, bookings_in, row_of_booking  # noqa: F401, E402
from .errors import HouseholdError, NotFound  # noqa: F401
from .ids import NAMESPACE, household_id
from .instructions import Instruction, Instructions, instruction_row  # noqa: F401
from .terms import MONTHLY, PAY_DATE, Frequency, PayRule, Status  # noqa: F401


class Household(Terms, IncomeBookings, PaymentEchoes, HeldRelease, Signalling, PaymentInstructions, PayCalendar,
                LateIncomes, Forecasting, Aggregate):
    # Version 2 (2026-11) remembers where cycles ended and which period of each charge
    # was offered; snapshots of version 1 get them from what version 1 would have run.
    # Version 3 (2026-12) keeps its instructions in an `Instructions`, as rows.
    # Version 4 (2026-12) holds leefgeld above the participant ceiling for approval.
    # Version 5 (2026-12) remembers its last pay date's inputs, to supplement it when an
    # income meant for it comes late.
    class_version = 5
    # The first due date whose charges are ours to pay (`paid_from`, 2026-12); None: the
    # first pay date, as before. A class default, so households and projected rows of
    # earlier versions read as None without an upcast.
    paid_from = None  # date | None

    # Settings of 2026-12 (issue 18), read from the class where a household's events
    # or snapshot predate them: the defaults are the rules' defaults.
    buffer_covers_leefgeld = True  # the buffer may advance the minimum leefgeld
    buffer_repayment_max: Money | None = None  # the most repaid a cycle; None: no cap
    leefgeld_target: Money | None = None  # steady leefgeld; the excess kept in the leefgeld reserve
    # The last pay date's leefgeld below the minimum: (pay date, how far), for a signal.
    leefgeld_short_on: date | None = None
    leefgeld_short = Money.zero()

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        last = state.get("last_pay_date")
        state.setdefault("settled_on", None)
        state.setdefault("first_pay_date", last)  # only for charges never offered: none before `last`
        if last is None:
            state.setdefault("charges_from", None)
            state.setdefault("charged_through", {})
            state.setdefault("charged_schedule", {})
            return
        pay_day = state["pay_days"][0].pay_day
        for step in state["pay_days"]:
            if step.effective <= last:
                pay_day = step.pay_day
        ended = next_pay_date(last, pay_day)  # the cycle end version 1 used
        state.setdefault("charges_from", ended)
        through, schedules = {}, {}
        for agreement in state["agreements"].values():
            if agreement.kind != CHARGE:
                continue
            days = agreement.schedule.occurrences(ended.fromordinal(ended.toordinal() - 400),
                                                 ended.fromordinal(ended.toordinal() - 1))
            if days:
                through[agreement.id] = days[-1]
                schedules[agreement.id] = schedule_key(agreement.schedule)
        state.setdefault("charged_through", through)
        state.setdefault("charged_schedule", schedules)

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Instructions were a dict of objects. Also for household rows of the
        projections, which carry no version: a state already upcast is left as it is."""
        held = state.get("instructions")
        if not isinstance(held, Instructions):
            state["instructions"] = Instructions((held or {}).values())

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """Nothing was ever held before version 4. Also for household rows of the projections."""
        state.setdefault("participant_ceiling", None)
        state.setdefault("on_hold", Money.zero())
        state.setdefault("on_hold_since", None)
        state.setdefault("release_approval", None)
        state.setdefault("released", Money.zero())
        state.setdefault("claim", Money.zero())

    @staticmethod
    def upcast_v4_v5(state: dict[str, Any]) -> None:
        """A pay date run before version 5 recorded no inputs: it gets no supplement.
        Also for household rows of the projections."""
        state.setdefault("cycle_inputs", None)
        state.setdefault("cycle_paid", None)
        state.setdefault("supplemented_on", {})
        state.setdefault("supplements", [])

    @staticmethod
    def create_id(dossier: str) -> UUID:
        return household_id(dossier)

    @event("Onboarded")
    def __init__(
        self,
        dossier: str,
        team: str,
        start: date,
        pay_day: int | str,
        buffer_limit: Money,
        minimum_leefgeld: Money,
        leefgeld_schedule: str,
        execute_on: str,
        participants: list[Participant],
        account: str | None,
        actor: str,
    ) -> None:
        self.dossier = dossier
        self.team = team
        self.start = start
        self.end: date | None = None
        self.status = ACTIVE
        self.pay_days = [PayDayFrom(start, pay_day)]
        self.buffer_limit = buffer_limit
        self.minimum_leefgeld = minimum_leefgeld
        self.leefgeld_schedule = leefgeld_schedule
        self.execute_on = execute_on
        self.participants = list(participants)
        self.account = account
        self.agreements: dict[str, Agreement] = {}
        # Money held for the household
        self.pot = Money.zero()
        self.reserves: dict[str, Money] = {}
        self.buffer_outstanding = Money.zero()
        self.arrears: list[Due] = []
        self.bookings: dict[str, Booking] = {}
        self.instructions = Instructions()
        self.last_pay_date: date | None = None
        self.charges_from: date | None = None  # where the last cycle ended: see charges_start
        self.first_pay_date: date | None = None
        self.settled_on: date | None = None  # the final settlement after the end, once run
        self.charged_through: dict[str, date] = {}  # charge -> last due date offered to a cycle
        self.charged_schedule: dict[str, str] = {}  # charge -> its schedule then (schedule_key)
        self.paid_on: dict[str, list[str]] = {}  # pay date (ISO) -> instruction ids, recent ones
        self.recent_income: list[Booking] = []  # bookings of the last KEEP_DAYS, for signals
        self.buffer_since: date | None = None  # pay date the current advance began
        self.buffer_cycles = 0  # pay dates since then with something still owed
        self.signals: dict[str, Signal] = {}
        self.totals = {"in": Money.zero(), "out": Money.zero(), "returned": Money.zero()}
        # Leefgeld above the participant ceiling waits for two people (`approve_release`).
        self.participant_ceiling: Money | None = None  # None: the municipality's (HHB_PARTICIPANT_CEILING)
        self.on_hold = Money.zero()
        self.on_hold_since: date | None = None  # the pay date the oldest held money is of
        self.release_approval: dict[str, str] | None = None  # the first approval: actor, amount, on
        self.released = Money.zero()  # approved: the next pay date may pay this much above the ceiling
        self.claim = Money.zero()  # paid out of a booking staff corrected afterwards: owed back
        # The last pay date's inputs and what its cycle paid so far, to supplement it when an
        # income meant for it is booked after it ran (`supplement_late_incomes`).
        self.cycle_inputs: CycleInputs | None = None
        self.cycle_paid: CyclePaid | None = None
        self.supplemented_on: dict[str, list[str]] = {}  # night (ISO) -> instruction ids, recent ones
        self.supplements: list[dict[str, Any]] = []  # what recent supplements did, for the household to read

    # -- agreements -------------------------------------------------------------

    @event("AgreementAdded")
    def _agreement_added(self, agreement: Agreement, actor: str) -> None:
        self.agreements[agreement.id] = agreement
        self._past_is_settled(agreement.id)

    @event("AgreementRevised")
    def _agreement_revised(self, agreement: Agreement, actor: str) -> None:
        self.agreements[agreement.id] = agreement
        self._past_is_settled(agreement.id)

    @event("AgreementAmountChanged")
    def _amount_changed(self, agreement_id: str, amount: Money, effective: date, actor: str,
                        via: str | None = None) -> None:  # None in events before 2026-12
        agreement = self.agreements[agreement_id]
        self.agreements[agreement_id] = agreement.with_amount_from(effective, amount)

    @event("AgreementEnded")
    def _agreement_ended(self, agreement_id: str, end: date, actor: str,
                         via: str | None = None) -> None:  # see change_amount; None before 2026-12
        self.agreements[agreement_id] = self.agreements[agreement_id].ended_on(end)

    # -- the household itself ---------------------------------------------------

    @event("PayDayChanged")
    def _pay_day_changed(self, pay_day: int | str, effective: date, actor: str,
                         via: str | None = None) -> None:  # None before 2026-12
        kept = [p for p in self.pay_days if p.effective < effective]
        self.pay_days = kept + [PayDayFrom(effective, pay_day)]

    @event("SettingsChanged")
    def _settings_changed(self, changes: dict[str, Any], actor: str) -> None:
        for name, value in changes.items():
            setattr(self, name, list(value) if name == "participants" else value)

    @event("ChangesReplaced")
    def _changes_replaced(self, changes: list[dict[str, str]], actor: str) -> None:
        pass

    @event("ParticipationEnded")
    def _participation_ended(self, end: date, actor: str) -> None:
        self.status = ENDED
        self.end = end
        for agreement_id, agreement in self.agreements.items():
            self.agreements[agreement_id] = agreement.ended_on(end)

    # -- incomes booked from bank statements -----------------------------------

    @event("IncomeBooked")
    def _income_booked(
        self,
        transaction_id: str,
        agreement_id: str,
        amount: Money,
        value_date: date,
        expected: Money,
        deviates: bool,
        actor: str,
        period: date | None = None,  # None in events written before 2026-12
    ) -> None:
        self._add_booking(Booking(transaction_id, agreement_id, amount, value_date, expected, deviates, period))

    @event("IncomesBooked")
    def _incomes_booked(self, bookings: list[list[Any]], actor: str) -> None:
        for row in bookings:
            self._add_booking(booking_from_row(row))

    @event("BookingCorrected")
    def _booking_corrected(self, transaction_id: str, agreement_id: str | None, amount: Money, from_held: Money,
                           from_pot: Money, from_reserves: dict[str, Money], claim: Money, on: date, reason: str,
                           signal: Signal, actor: str) -> None:
        self._take_back(from_held, from_pot, from_reserves)
        self.claim = self.claim + claim
        self.totals["in"] = self.totals["in"] - amount
        self.recent_income = [b for b in self.recent_income if b.transaction_id != transaction_id]
        self.signals[signal.key] = signal

    @event("BookingUndone")
    def _booking_undone(self, transaction_id: str, reason: str, actor: str) -> None:
        booking = self.bookings.pop(transaction_id)
        self.recent_income = [b for b in self.recent_income if b.transaction_id != transaction_id]
        self.totals["in"] = self.totals["in"] - booking.amount

    # -- payment confirmations from bank statements ------------------------------

    @event("PaymentEchoRefused")
    def _echo_refused(self, instruction_id: str, transaction_id: str, booking_date: date, reason: str,
                      signal: Signal, actor: str) -> None:
        self.signals[signal.key] = signal

    @event("PaymentConfirmed")
    def _payment_confirmed(self, instruction_id: str, transaction_id: str, booking_date: date) -> None:
        """Events before 2026-12 confirm only scheduled payments; since, a payment that
        was returned first stays returned, with its execution remembered."""
        instruction = self.instructions[instruction_id]
        self.instructions[instruction_id] = replace(
            instruction, status="returned" if instruction.status == "returned" else "confirmed",
            confirmed_by=transaction_id)

    @event("PaymentReturned")
    def _payment_returned(self, instruction_id: str, transaction_id: str, booking_date: date,
                          amount: Money | None = None) -> None:
        """The money is back in the pot; an unpaid charge becomes arrears again, for its
        whole amount: the creditor has been paid nothing. `amount`: what came back when
        less than the payment (None: all of it, as every event before 2026-12 says)."""
        instruction = replace(self.instructions[instruction_id], status="returned")
        self.instructions[instruction_id] = instruction
        back = instruction.amount if amount is None else amount
        self.pot = self.pot + back
        self.totals["returned"] = self.totals["returned"] + back
        if instruction.kind in ("charge", "arrears") and instruction.agreement_id:
            self._owed_again(instruction)

    # -- leefgeld held above the participant ceiling ---------------------------------

    @event("HeldReleaseApproved")
    def _release_approved(self, amount: Money, on: date, actor: str) -> None:
        self.release_approval = {"actor": actor, "amount": str(amount), "on": on.isoformat()}

    @event("HeldReleased")
    def _held_released(self, amount: Money, approved_by: str, on: date, actor: str) -> None:
        amount = amount.min(self.on_hold)  # what the first person approved, never more than is held
        self.on_hold = self.on_hold - amount
        self.pot = self.pot + amount
        self.released = self.released + amount
        self.release_approval = None
        if not self.on_hold:
            self.on_hold_since = None

    # -- the pay date ---------------------------------------------------------------

    def pay(self, pay_date: date, account: str, participant_ceiling: Money | None = None) -> CycleResult | None:
        """Run the pay-date rules for `pay_date`; once per pay date, never twice.
        `participant_ceiling`: the municipality's (see `policy`)."""
        if self.last_pay_date is not None and pay_date <= self.last_pay_date:
            return None
        final = self.end is not None and pay_date > self.end
        settlement = self.settlement_date()
        if pay_date < self.start or (final and (settlement is None or pay_date < settlement)):
            return None
        cycle_end = pay_date.fromordinal(pay_date.toordinal() + 1) if final else self.next_pay_date(pay_date)
        swept = [b for b in self.bookings.values() if final or b.value_date <= pay_date]
        pot_before = self.pot + total(b.amount for b in swept)
        result, offered, inputs = self._cycle(pay_date, cycle_end, pot_before, final, participant_ceiling)
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
        )
        return result

    def _cycle(self, pay_date: date, cycle_end: date, pot: Money,
               final: bool = False, participant_ceiling: Money | None = None
               ) -> tuple[CycleResult, dict[str, date], CycleInputs]:
        """The rules run on the household's books (for a pay date, or its forecast), the
        last due date of each charge the cycle was offered, and what the rules were given.

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
            buffer_outstanding=self.buffer_outstanding,
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

    @event("PayDateRun")
    def _paid(
        self,
        pay_date: date,
        next_pay_date: date,
        swept: list[str],
        pot_before: Money,
        instructions: list[Instruction],
        advanced: Money,
        repaid: Money,
        new_arrears: list[Due],
        paid_arrears: list[Due],
        reserved: dict[str, Money],
        from_reserves: dict[str, Money],
        leefgeld: Money,
        after: CycleState,
        account: str,
        offered: dict[str, date] | None = None,  # None in events written before 2026-11
        final: bool = False,  # the settlement after the end of participation
        charges_start: date | None = None,  # where the cycle's charges began; None before 2026-12
        on_hold: Money | None = None,  # leefgeld held above the participant ceiling; None: nothing
        leefgeld_short: Money | None = None,  # how far leefgeld stayed below the minimum; None: not
        inputs: CycleInputs | None = None,  # what the rules were given; None before 2026-12 and when settled
    ) -> None:
        self.cycle_inputs = inputs
        self.cycle_paid = None if inputs is None else CyclePaid(
            pay_date=pay_date, pot=pot_before, after=after, leefgeld=leefgeld, on_hold=on_hold or Money.zero(),
            charges=charges_paid(instructions))
        for transaction_id in swept:
            del self.bookings[transaction_id]  # in the pot now; the event keeps the history
        for instruction in instructions:
            self.instructions[instruction.id] = instruction
            self.totals["out"] = self.totals["out"] + instruction.amount
        self.paid_on[pay_date.isoformat()] = [i.id for i in instructions]
        self._forget_settled(pay_date)
        self.pot = after.pot
        self.released = Money.zero()  # an approval counts for the pay date after it
        if on_hold:
            self.on_hold = self.on_hold + on_hold
            self.on_hold_since = self.on_hold_since or pay_date
        self.reserves = {k: v for k, v in after.reserves.items() if v}
        if not after.buffer_outstanding:
            self.buffer_since, self.buffer_cycles = None, 0
        else:
            if self.buffer_since is None:
                self.buffer_since = pay_date
            self.buffer_cycles += 1
        self.buffer_outstanding = after.buffer_outstanding
        self.arrears = list(after.arrears)
        self.leefgeld_short_on, self.leefgeld_short = (pay_date, leefgeld_short) if leefgeld_short else \
            (None, Money.zero())
        self.last_pay_date = pay_date
        self.first_pay_date = self.first_pay_date or charges_start or pay_date
        self.charges_from = max(next_pay_date, self.charges_from or next_pay_date)
        if final:
            self.settled_on = pay_date
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

    # -- an income that came too late for its pay date -----------------------------------

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

    @event("PayDateSupplemented")
    def _supplemented(self, pay_date: date, day: date, execution_date: date, swept: list[str], incomes: list[str],
                      income: Money, instructions: list[Instruction], leefgeld: Money, advanced: Money,
                      repaid: Money, pot: Money, reserves: dict[str, Money], on_hold: Money,
                      arrears_paid: list[Due], paid: CyclePaid,
                      leefgeld_short: Money | None = None,  # still below the minimum; None: not (or before 2026-12)
                      ) -> None:
        for transaction_id in swept:
            del self.bookings[transaction_id]  # in the supplemented cycle's pot now
        for instruction in instructions:
            self.instructions[instruction.id] = instruction
            self.totals["out"] = self.totals["out"] + instruction.amount
        key = day.isoformat()
        self.supplemented_on[key] = self.supplemented_on.get(key, []) + [i.id for i in instructions]
        self.pot = self.pot + pot
        reserves_now = dict(self.reserves)
        for agreement_id, change in reserves.items():
            reserves_now[agreement_id] = reserves_now.get(agreement_id, Money.zero()) + change
        self.reserves = {k: v for k, v in reserves_now.items() if v}
        if on_hold:
            self.on_hold = self.on_hold + on_hold
            self.on_hold_since = self.on_hold_since or pay_date
        self.buffer_outstanding = self.buffer_outstanding + advanced - repaid
        if not self.buffer_outstanding:
            self.buffer_since, self.buffer_cycles = None, 0
        elif self.buffer_since is None:
            self.buffer_since, self.buffer_cycles = pay_date, 1
        arrears = []
        settled = {due.period: due.amount for due in arrears_paid}
        for due in self.arrears:
            if due.period in settled:
                # Also a period a return made owed again since: the return added what came
                # back, the supplement pays what the pay date could not.
                part = settled.pop(due.period)
                rest = due.amount - part
                if rest.is_positive:  # part-paid: the next pay date owes the agreement's amount less `paid`
                    arrears.append(replace(due, amount=rest, paid=due.paid + part))
                continue
            arrears.append(due)
        self.arrears = arrears
        self.cycle_paid = paid
        if self.leefgeld_short_on == pay_date:  # topped up to the minimum: the signal clears itself
            self.leefgeld_short_on, self.leefgeld_short = (pay_date, leefgeld_short) if leefgeld_short else \
                (None, Money.zero())
        self.supplements = self.supplements + [{
            "pay_date": pay_date.isoformat(), "day": key, "execution_date": execution_date.isoformat(),
            "incomes": list(incomes), "income": str(income), "leefgeld": str(leefgeld), "repaid": str(repaid),
            "arrears": str(total(d.amount for d in arrears_paid))}]

    @event("PaymentsHeld")
    def _payments_held(self, pay_date: date, reason: str, on: date, signal: Signal) -> None:
        self.signals[signal.key] = signal

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
        )

    # -- signals -------------------------------------------------------------------

    @event("SignalRaised")
    def _signal_raised(self, signal: Signal, on: date) -> None:
        self.signals[signal.key] = signal

    @event("SignalCleared")
    def _signal_cleared(self, key: str, on: date) -> None:
        self.signals[key] = self.signals[key].changed(RESOLVED, on, "system", "cause gone")

    @event("ExternalSignalReceived")
    def _external_signal(self, signal: Signal, on: date, actor: str) -> None:
        self.signals[signal.key] = signal

    @event("SignalAcknowledged")
    def _signal_acknowledged(self, key: str, on: date, actor: str, note: str) -> None:
        self.signals[key] = self.signals[key].changed(ACKNOWLEDGED, on, actor, note)

    @event("SignalResolved")
    def _signal_resolved(self, key: str, on: date, actor: str, note: str) -> None:
        self.signals[key] = self.signals[key].changed(RESOLVED, on, actor, note)

    # -- reading -------------------------------------------------------------------

    def held(self) -> Money:
        """What the household's money in the managed account amounts to right now."""
        unswept = total(b.amount for b in self.bookings.values())
        return self.pot + unswept + total(self.reserves.values()) + self.on_hold
