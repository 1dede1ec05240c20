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
from .arrangements import Arrangements
from .bookings import IncomeBookings
from .creditor_reports import ReportedArrears
from .consent import Consent
from .cycles import PayCalendar, schedule_key
from .debts import Debts
from .deductions import Deduction, Deductions
from .echoes import PaymentEchoes
from .forecasting import Forecasting
from .instructions import PaymentInstructions
from .late_incomes import LateIncomes
from .money import Money, total
from .moratoria import Moratoria
from .paying import PayDates
from .phase_out import PhaseOut
from .paydate import CycleState, Due, next_pay_date
from .release import HeldRelease
from .signalling import Signalling
from .signals import ACKNOWLEDGED, RESOLVED, Signal
from .supplement import CycleInputs, CyclePaid, charges_paid
from .terms import ACTIVE, ENDED, PayDayFrom, Terms

# Names other modules import from here, where they were before the aggregate's logic
# moved into mixins of their own.
from .bookings import Booking, booking_from_row, booking_row, bookings_in, row_of_booking  # noqa: F401, E402
from .errors import HouseholdError, NotFound  # noqa: F401
from .ids import NAMESPACE, household_id
from .instructions import Instruction, Instructions, instruction_row  # noqa: F401
from .terms import DUE_DATE, MONTHLY, PAY_DATE, WEEKLY, Frequency, PayRule, Status  # noqa: F401


class Household(Terms, Consent, IncomeBookings, Deductions, Debts, ReportedArrears, Arrangements, Moratoria,
                PhaseOut, PaymentEchoes, HeldRelease, Signalling, PaymentInstructions, PayCalendar, PayDates,
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
    end_reason: str | None = None  # why participation ended (issue 23); None: not given, or before
    coach: str | None = None  # the budget coach's name, for the contact card (issue 19); None: not named
    # Postcode, number, street, place (`creditor_reports.checked_address`), which creditors'
    # reports name (issue 23); None: not given, or before.
    address: dict[str, str | None] | None = None
    # The last pay date's leefgeld below the minimum: (pay date, how far), for a signal.
    leefgeld_short_on: date | None = None
    leefgeld_short = Money.zero()
    erased_on: date | None = None  # its personal data erased (issue 24, `huishoudboekje/erasure.py`)

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

    @event("CustomerNumberSet")
    def _customer_number_set(self, agreement_id: str, customer_number: str | None, actor: str) -> None:
        self.agreements[agreement_id] = replace(self.agreements[agreement_id], customer_number=customer_number)

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
    def _participation_ended(self, end: date, actor: str,
                             reason: str | None = None) -> None:  # None before issue 23 (END_REASONS)
        self.status = ENDED
        self.end = end
        self.end_reason = reason
        for agreement_id, agreement in self.agreements.items():
            self.agreements[agreement_id] = agreement.ended_on(end)

    def record_erasure(self, on: date, reason: str, actor: str, confirmed_by: str | None) -> None:
        self._erased(on=on, erasure_reason=reason, actor=actor, confirmed_by=confirmed_by)

    @event("Erased")
    def _erased(self, on: date, erasure_reason: str, actor: str, confirmed_by: str | None) -> None:
        """Its key is destroyed with this event (`erasure.py`): no personal data in here,
        and `erasure_reason` (not `reason`) stays in the clear, for the auditor."""
        self.erased_on = on

    @event("ConsentRecorded")
    def _consent_recorded(self, on: date, way: str, actor: str) -> None:
        self.consent = {"on": on.isoformat(), "way": way, "actor": actor, "withdrawn": None,
                        "withdrawn_by": None}

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, on: date, actor: str) -> None:
        self.consent = {**self.consent, "withdrawn": on.isoformat(), "withdrawn_by": actor}

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

    # -- debits that are not ours (domain/deductions.py) ----------------------------

    @event("DeductionBooked")
    def _deduction_booked(self, transaction_id: str, kind: str, amount: Money, on: date, agreement_id: str | None,
                          counterparty: str | None, description: str, from_pot: Money, pending: Money,
                          signal: Signal, actor: str) -> None:
        self._deduct(Deduction(transaction_id, kind, amount, on, agreement_id, counterparty, description, from_pot,
                               pending), signal)

    @event("DeductionUndone")
    def _deduction_undone(self, transaction_id: str, cancelled: Money, to_pot: Money, on: date, reason: str,
                          actor: str) -> None:
        self._give_back(transaction_id, cancelled, to_pot, on, reason, actor)

    # -- debts (domain/debts.py) -------------------------------------------------------

    @event("DebtAdded")
    def _debt_added(self, debt: dict[str, Any], actor: str) -> None:
        self.debts = {**self.debts, debt["id"]: dict(debt)}

    @event("DebtUpdated")
    def _debt_updated(self, debt_id: str, changes: dict[str, Any], actor: str) -> None:
        self._apply_debt_change(debt_id, changes)

    @event("DebtClosed")
    def _debt_closed(self, debt_id: str, on: date, reason: str, actor: str) -> None:
        self.debts = {**self.debts, debt_id: {**self.debts[debt_id], "status": "closed",
                                              "closed_on": on.isoformat(), "reason": reason}}

    @event("ArrangementAdded")
    def _arrangement_added(self, arrangement: dict[str, Any], actor: str) -> None:
        self.arrangements = {**self.arrangements, arrangement["id"]: dict(arrangement)}

    @event("MoratoriumStarted")
    def _moratorium_started(self, start: date, until: date, reason: str, actor: str) -> None:
        self.moratoria = [*self.moratoria, {"from": start.isoformat(), "until": until.isoformat(), "reason": reason,
                                            "extensions": []}]

    @event("MoratoriumExtended")
    def _moratorium_extended(self, until: date, reason: str, actor: str) -> None:
        last = self.moratoria[-1]
        extension = {"from": last["until"], "until": until.isoformat(), "reason": reason}
        self.moratoria = [*self.moratoria[:-1], {**last, "until": until.isoformat(),
                                                 "extensions": [*last["extensions"], extension]}]

    @event("ReferralRecorded")
    def _referral_recorded(self, on: date, organisation: str, actor: str) -> None:
        self.referrals = [*self.referrals, {"on": on.isoformat(), "organisation": organisation}]

    @event("AgreementsSelfPaid")
    def _agreements_self_paid(self, agreement_ids: list[str], start: date, actor: str) -> None:
        self.self_paid = {**self.self_paid, **{ident: start.isoformat() for ident in agreement_ids}}

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
            confirmed_by=transaction_id, confirmed_on=booking_date)

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
        self._terms_settled([instruction], None, -1)  # a term returned: its debt is owed again

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
        deducted: Money | None = None,  # taken from the pot for pending deductions; None: nothing (or before issue 20)
        deduction_advanced: Money | None = None,  # advanced by the buffer for them; None: nothing
        missed_terms: list[Signal] | None = None,  # arrangements' terms not paid (issue 23); None: none
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
        self._take_pending(pay_date, deducted, deduction_advanced)
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
        self.settled_on = pay_date if final else self.settled_on  # the final settlement, once
        self._count_offered(offered, instructions, new_arrears)
        self._terms_settled(instructions, missed_terms)

    # -- an income that came too late for its pay date -----------------------------------

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
        self._terms_settled(instructions, None)  # a missed term the late income pays
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
        """What the household's money in the managed account amounts to right now: less
        what deductions took that no pay date has taken from its pot yet."""
        unswept = total(b.amount for b in self.bookings.values())
        return self.pot + unswept + total(self.reserves.values()) + self.on_hold - self.pending_deduction
