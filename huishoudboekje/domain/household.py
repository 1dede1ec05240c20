"""The Household aggregate: who takes part, their agreements, and their money.

Every command is a method recorded as the event it causes (named in the past tense).
Every command carries the business date it takes effect and the actor who gave it;
the time an event was written is never used as a business date.
"""

from __future__ import annotations

import copy
import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent, event

from .agreement import CHARGE, INCOME, Agreement, Participant, deviates_from
from .calendar import add_business_days, next_business_day, previous_business_day
from .errors import DomainError
from .money import Money, total
from .signals import ACKNOWLEDGED, BOOKING_CORRECTED, ECHO_REFUSED, PAYMENTS_HELD, RESOLVED, Signal, SignalFact, evaluate_signals
from .signals import fact as signal_fact
from .paydate import (
    CycleResult,
    CycleState,
    Due,
    Policy,
    Reservation,
    next_pay_date,
    reservation_with_catch_up,
)
from .supplement import CycleInputs, CyclePaid, Supplement, charges_paid, supplement

NAMESPACE = uuid5(NAMESPACE_URL, "https://huishoudboekje.example/")


class Status(StrEnum):
    """A household's status; members equal the strings stored in events."""
    ACTIVE = "active"
    ENDED = "ended"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"


class PayRule(StrEnum):
    """When a charge is paid: on the pay date, or just before its due date."""
    PAY_DATE = "pay-date"
    DUE_DATE = "due-date"


ACTIVE, ENDED = Status.ACTIVE, Status.ENDED
MONTHLY, WEEKLY = Frequency.MONTHLY, Frequency.WEEKLY
PAY_DATE, DUE_DATE = PayRule.PAY_DATE, PayRule.DUE_DATE


class HouseholdError(DomainError):
    """A command the household cannot accept, with the reason in staff's words."""


class NotFound(HouseholdError):
    """An unknown dossier, agreement, transaction, signal or run."""


@dataclass(frozen=True)
class PayDayFrom:
    effective: date
    pay_day: int | str  # 1–28 or "last-business-day"


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


@dataclass(frozen=True)
class Instruction:
    """A payment the engine has instructed the bank to make (betaalopdracht)."""

    id: str
    end_to_end_id: str
    pay_date: date
    kind: str  # charge | arrears | leefgeld
    agreement_id: str | None
    period: date
    part: int
    amount: Money
    execution_date: date
    creditor_name: str
    creditor_iban: str
    reference: str | None
    status: str = "scheduled"  # scheduled | confirmed | returned
    # The transaction that confirmed it, kept when it is returned after: a return
    # changes the status, and a second debit must still be seen as one (2026-12).
    confirmed_by: str | None = None
    # A part-payment of arrears (2026-12): what of the period was paid before it, and
    # what was still owed after it. Zero for a payment of a whole period.
    settled_before: Money = Money.zero()
    rest: Money = Money.zero()
    # The booking date of the statement line that confirmed it (2026-12): what the
    # participant's page calls "betaald op …". None: not confirmed, or confirmed in a
    # snapshot written before it was kept.
    confirmed_on: date | None = None

    @property
    def period_amount(self) -> Money:
        """What the period this payment is (part of) came to when it was paid."""
        return self.settled_before + self.amount + self.rest


def instruction_row(instruction: Instruction) -> list[Any]:
    """An instruction as plain JSON values in field order: how snapshots keep it."""
    i = instruction
    return [i.id, i.end_to_end_id, i.pay_date.isoformat(), i.kind, i.agreement_id, i.period.isoformat(), i.part,
            str(i.amount), i.execution_date.isoformat(), i.creditor_name, i.creditor_iban, i.reference, i.status,
            i.confirmed_by, str(i.settled_before), str(i.rest),
            i.confirmed_on.isoformat() if i.confirmed_on else None]


def instruction_from_row(row: list[Any]) -> Instruction:
    """`instruction_row` read back; a row of twelve (written before `status`) is scheduled,
    one of thirteen (written before `confirmed_by`) names no confirming transaction, one
    of fourteen (written before part-payments) paid a whole period, one of sixteen
    (written before `confirmed_on`) keeps no confirmation date."""
    ident, e2e, pay_date, kind, agreement_id, period, part, amount, execution_date, *rest = row
    if len(rest) > 5:
        rest = [*rest[:5], _amount(rest[5]), _amount(rest[6]), *rest[7:]]
    if len(rest) > 7 and rest[7] is not None:
        rest[7] = date.fromisoformat(rest[7])
    return Instruction(ident, e2e, date.fromisoformat(pay_date), kind, agreement_id, date.fromisoformat(period),
                       part, _amount(amount), date.fromisoformat(execution_date), *rest)


# Where `instruction_row` keeps what the nightly checks read.
_PAY_DATE, _KIND, _AGREEMENT, _PERIOD, _AMOUNT, _STATUS, _SETTLED_BEFORE, _REST = 2, 3, 4, 5, 7, 12, 14, 15
_AMOUNTS: dict[str, Money] = {}  # the same rent comes back every month


def _amount(text: str) -> Money:
    money = _AMOUNTS.get(text)
    if money is None:
        money = Money(text)
        if len(_AMOUNTS) < 20_000:
            _AMOUNTS[text] = money
    return money


def _row_status(row: list[Any]) -> str:
    return row[_STATUS] if len(row) > _STATUS else "scheduled"


class Instructions(MutableMapping[str, Instruction]):
    """A household's recent payment instructions by id, each made into an object when
    it is first asked for.

    A household keeps about a hundred days of instructions (twenty or so), and every
    night's load decoded them all into objects, though a night reads only a few:
    loading a household with a year of history took 712 µs against 532 µs at one
    month; kept as rows, 489 against 390 µs. A snapshot holds them as one list of
    `instruction_row`s, and the nightly checks (`settled_before`, `returned`,
    `paid_charges`, `with_end_to_end_id`) read the rows without making objects.
    """

    def __init__(self, items: Iterable[Instruction | list[Any]] = ()) -> None:
        self._items: dict[str, Instruction | list[Any]] = {}
        for item in items:
            self._items[item[0] if type(item) is list else item.id] = item  # type: ignore[union-attr]

    def __getitem__(self, key: str) -> Instruction:
        item = self._items[key]
        if type(item) is list:
            item = self._items[key] = instruction_from_row(item)
        return item  # type: ignore[return-value]

    def __setitem__(self, key: str, value: Instruction) -> None:
        self._items[key] = value

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Instructions({list(self.values())!r})"

    def rows(self) -> list[list[Any]]:
        return [item if type(item) is list else instruction_row(item)  # type: ignore[misc, arg-type]
                for item in self._items.values()]

    def settled_before(self, day: date) -> list[str]:
        """Ids of instructions confirmed or returned, of a pay date before `day`."""
        iso = day.isoformat()
        return [key for key, item in self._items.items()
                if (_row_status(item) != "scheduled" and item[_PAY_DATE] < iso if type(item) is list
                    else item.status != "scheduled" and item.pay_date < day)]  # type: ignore[union-attr]

    def returned(self) -> list[Instruction]:
        return [self[key] for key, item in self._items.items()
                if (_row_status(item) if type(item) is list else item.status) == "returned"]  # type: ignore[union-attr]

    def paid_charges(self) -> Iterator[tuple[str, str, date, Money]]:
        """(id, agreement, period, amount) of every charge or arrears payment not returned;
        the amount is what the period came to (a part-payment's with its other parts)."""
        for key, item in self._items.items():
            if type(item) is list:
                if item[_KIND] != "leefgeld" and item[_AGREEMENT] is not None and _row_status(item) != "returned":
                    amount = _amount(item[_AMOUNT])
                    if len(item) > _REST:
                        amount = amount + _amount(item[_SETTLED_BEFORE]) + _amount(item[_REST])
                    yield key, item[_AGREEMENT], date.fromisoformat(item[_PERIOD]), amount
            elif item.kind != "leefgeld" and item.agreement_id is not None and item.status != "returned":  # type: ignore[union-attr]
                yield key, item.agreement_id, item.period, item.period_amount  # type: ignore[union-attr]

    def with_end_to_end_id(self, end_to_end_id: str) -> str | None:
        for key, item in self._items.items():
            if (item[1] if type(item) is list else item.end_to_end_id) == end_to_end_id:  # type: ignore[union-attr]
                return key
        return None


def _person(actor: str) -> str:
    """Who an actor is, for the two-person rule: an API actor is 'role:name' and one
    person may hold a token of each role, so the role goes, and the name counts
    without regard to case or spacing ('staff:Anna' and 'teamlead: anna ' are one)."""
    from .roles import ROLES

    role, sep, name = actor.partition(":")
    if sep and role.strip().lower() in ROLES:
        actor = name
    return " ".join(actor.split()).casefold()


class Household(Aggregate):
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

    def add_agreement(self, agreement: Agreement, actor: str) -> None:
        self.check_active()
        if agreement.id in self.agreements:
            raise HouseholdError(f"agreement '{agreement.id}' exists already")
        self._agreement_added(agreement=agreement, actor=actor)

    @event("AgreementAdded")
    def _agreement_added(self, agreement: Agreement, actor: str) -> None:
        self.agreements[agreement.id] = agreement
        self._past_is_settled(agreement.id)

    def revise_agreement(self, agreement: Agreement, actor: str) -> None:
        """Correct an agreement's definition (counterparty, schedule, terms, …)."""
        self.check_agreement(agreement.id)
        self._agreement_revised(agreement=agreement, actor=actor)

    @event("AgreementRevised")
    def _agreement_revised(self, agreement: Agreement, actor: str) -> None:
        self.agreements[agreement.id] = agreement
        self._past_is_settled(agreement.id)

    def _past_is_settled(self, agreement_id: str) -> None:
        """A charge added or changed after pay dates have run pays no period due on or
        before the last pay date: the engine decided those with what it knew then, and
        the household may have paid them itself (record such debts as arrears by hand).
        Periods after the last pay date are paid, on the next pay date if they are due
        by then. A charge that was offered periods before keeps its own count."""
        if self.last_pay_date is None:
            return
        through = dict(self.charged_through)
        if through.get(agreement_id, date.min) >= self.last_pay_date:
            return
        through[agreement_id] = self.last_pay_date
        schedules = dict(self.charged_schedule)
        schedules.pop(agreement_id, None)  # counted by date from here: the last pay date is no period of it
        self.charged_through, self.charged_schedule = through, schedules

    def change_amount(self, agreement_id: str, amount: Money, effective: date, actor: str,
                      via: str | None = None) -> None:
        """A new amount from a date on, e.g. the rent rise on 1 July. `via`: "onboard"
        when an onboarding document asked for it, None for a command of its own."""
        agreement = self.check_agreement(agreement_id)
        if effective < agreement.start:
            raise HouseholdError(
                f"{agreement_id}: the change on {effective} lies before the agreement starts"
            )
        if agreement.amount_on(effective) == amount:
            return
        self._amount_changed(agreement_id=agreement_id, amount=amount, effective=effective, actor=actor, via=via)

    @event("AgreementAmountChanged")
    def _amount_changed(self, agreement_id: str, amount: Money, effective: date, actor: str,
                        via: str | None = None) -> None:  # None in events before 2026-12
        agreement = self.agreements[agreement_id]
        self.agreements[agreement_id] = agreement.with_amount_from(effective, amount)

    def end_agreement(self, agreement_id: str, end: date, actor: str, via: str | None = None) -> None:
        agreement = self.check_agreement(agreement_id)
        if end < agreement.start:
            raise HouseholdError(f"{agreement_id}: cannot end on {end}, before it starts")
        if agreement.end is not None and agreement.end <= end:
            return
        self._agreement_ended(agreement_id=agreement_id, end=end, actor=actor, via=via)

    @event("AgreementEnded")
    def _agreement_ended(self, agreement_id: str, end: date, actor: str,
                         via: str | None = None) -> None:  # see change_amount; None before 2026-12
        self.agreements[agreement_id] = self.agreements[agreement_id].ended_on(end)

    # -- the household itself ---------------------------------------------------

    def change_pay_day(self, pay_day: int | str, effective: date, actor: str, via: str | None = None) -> None:
        """`via`: see change_amount (an onboarding with --replace puts a pay day back)."""
        self.check_active()
        check_pay_day(pay_day)
        if self.pay_day_on(effective) == pay_day:
            return
        if self.last_pay_date is not None and effective <= self.last_pay_date:
            raise HouseholdError(
                f"pay day: change on {effective} lies before the last pay date {self.last_pay_date}"
            )
        self._pay_day_changed(pay_day=pay_day, effective=effective, actor=actor, via=via)

    @event("PayDayChanged")
    def _pay_day_changed(self, pay_day: int | str, effective: date, actor: str,
                         via: str | None = None) -> None:  # None before 2026-12
        kept = [p for p in self.pay_days if p.effective < effective]
        self.pay_days = kept + [PayDayFrom(effective, pay_day)]

    def change_settings(self, changes: dict[str, Any], actor: str) -> None:
        """Team, buffer limit, minimum leefgeld, leefgeld schedule, participants, …"""
        self.check_active()
        unknown = set(changes) - SETTINGS
        if unknown:
            raise HouseholdError(f"cannot change {', '.join(sorted(unknown))}")
        repayment_max = changes.get("buffer_repayment_max")
        if repayment_max is not None and not repayment_max.is_positive:
            raise HouseholdError("buffer_repayment_max: must be more than 0.00 (leave it out to repay without a cap)")
        target = changes.get("leefgeld_target", self.leefgeld_target)
        minimum = changes.get("minimum_leefgeld", self.minimum_leefgeld)
        if target is not None and target < minimum:
            raise HouseholdError(f"leefgeld.target: {target} is below the minimum leefgeld {minimum}")
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if "paid_from" in real:
            self._check_paid_from(real["paid_from"])
        if real:
            self._settings_changed(changes=real, actor=actor)

    @event("SettingsChanged")
    def _settings_changed(self, changes: dict[str, Any], actor: str) -> None:
        for name, value in changes.items():
            setattr(self, name, list(value) if name == "participants" else value)

    def _check_paid_from(self, paid_from: date | None) -> None:
        if paid_from is not None and paid_from < self.start:
            raise HouseholdError(f"paid_from: {paid_from} lies before the start {self.start}")
        if self.last_pay_date is not None:
            raise HouseholdError(
                f"paid_from: cannot change once a pay date has run (the first ran on {self.first_pay_date}); "
                "what fell due since is paid, or in arrears, already")

    def charges_paid_from(self) -> date:
        """The first due date whose charges are ours to pay: `paid_from` where staff set it
        (the creditors' direct debits stop that day), otherwise the first pay date."""
        if self.paid_from is not None:
            return self.paid_from
        return self.first_pay_date or self.pay_date_on_or_after(self.start)

    def replace_changes(self, changes: list[dict[str, str]], actor: str) -> None:
        """Staff onboarded a document that undoes changes recorded by other commands
        since, on purpose (`--replace`): which ones, before the events that undo them."""
        self._changes_replaced(changes=changes, actor=actor)

    @event("ChangesReplaced")
    def _changes_replaced(self, changes: list[dict[str, str]], actor: str) -> None:
        pass

    def end_participation(self, end: date, actor: str) -> None:
        self.check_active()
        if end < self.start:
            raise HouseholdError(f"end: {end} lies before the start {self.start}")
        self._participation_ended(end=end, actor=actor)

    @event("ParticipationEnded")
    def _participation_ended(self, end: date, actor: str) -> None:
        self.status = ENDED
        self.end = end
        for agreement_id, agreement in self.agreements.items():
            self.agreements[agreement_id] = agreement.ended_on(end)

    # -- incomes booked from bank statements -----------------------------------

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
        expected = agreement.amount_on(value_date)
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

    @event("BookingCorrected")
    def _booking_corrected(self, transaction_id: str, agreement_id: str | None, amount: Money, from_held: Money,
                           from_pot: Money, from_reserves: dict[str, Money], claim: Money, on: date, reason: str,
                           signal: Signal, actor: str) -> None:
        self.on_hold = self.on_hold - from_held
        if not self.on_hold:
            self.on_hold_since, self.release_approval = None, None
        self.pot = self.pot - from_pot
        reserves = dict(self.reserves)
        for reserve_id, taken in from_reserves.items():
            reserves[reserve_id] = reserves[reserve_id] - taken
        self.reserves = {k: v for k, v in reserves.items() if v}
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

    def echo_problem(self, instruction_id: str, amount: Money, is_credit: bool, counterparty_iban: str | None,
                     fee_limit: Money) -> str | None:
        """Why a statement line carrying this payment's end-to-end id does not fit it
        (None: it fits). The id is no secret (every creditor sees it on its own
        statement), so only a line that fits what was sent may change money: a return
        is a credit from the account the payment went to, of at most what was paid and
        at least that less `fee_limit` (what a returning bank may keep), of a payment
        not returned before; a confirmation is a debit of exactly what was paid, to
        that account."""
        instruction = self.instructions[instruction_id]
        paid, to = instruction.amount, instruction.creditor_iban
        iban = (counterparty_iban or "").replace(" ", "").upper() or None
        if is_credit:
            if instruction.status == "returned":
                return f"returns {amount} of a payment of {paid} that came back already"
            if iban != to:
                return f"returns {amount} from {iban or 'no account'}, but the payment of {paid} went to {to}"
            if amount > paid:
                return f"returns {amount} of a payment of {paid}"
            if amount < paid - fee_limit:
                return (f"returns {amount} of a payment of {paid}: more short than a returning bank may keep "
                        f"({fee_limit}, HHB_RETURN_FEE_LIMIT)")
            return None
        if amount != paid:
            return f"debits {amount} for a payment of {paid}"
        if iban != to:
            return f"debits {amount} to {iban or 'no account'}, but the payment was made out to {to}"
        if instruction.status == "confirmed" or instruction.confirmed_by is not None:
            return f"debits {amount} for a payment that is confirmed already"
        return None

    def refuse_echo(self, instruction_id: str, transaction_id: str, booking_date: date, amount: Money,
                    counterparty_iban: str | None, reason: str, actor: str) -> None:
        """A line with our end-to-end id that does not fit (`echo_problem`): no money
        moves, and staff get a signal of its own for it (the line waits in the queue)."""
        instruction = self.instructions[instruction_id]
        signal = Signal.raised(signal_fact(
            ECHO_REFUSED, instruction.agreement_id or "leefgeld", instruction.period, amount,
            instance=transaction_id, transaction=transaction_id, reason=reason, received=amount,
            counterparty=counterparty_iban or "-", paid=instruction.amount, creditor=instruction.creditor_iban,
            pay_date=instruction.pay_date), booking_date)
        if signal.key in self.signals:
            return
        self._echo_refused(instruction_id=instruction_id, transaction_id=transaction_id,
                           booking_date=booking_date, reason=reason, signal=signal, actor=actor)

    @event("PaymentEchoRefused")
    def _echo_refused(self, instruction_id: str, transaction_id: str, booking_date: date, reason: str,
                      signal: Signal, actor: str) -> None:
        self.signals[signal.key] = signal

    def _check_echo(self, instruction_id: str, amount: Money, is_credit: bool, counterparty_iban: str | None,
                    fee_limit: Money | None) -> None:
        problem = self.echo_problem(instruction_id, amount, is_credit, counterparty_iban,
                                    fee_limit if fee_limit is not None else self.instructions[instruction_id].amount)
        if problem is not None:
            raise HouseholdError(f"{instruction_id}: a line that {problem}")

    def confirm_payment(self, instruction_id: str, transaction_id: str, booking_date: date,
                        amount: Money | None = None, counterparty_iban: str | None = None) -> bool:
        """The bank executed a payment; `amount` and `counterparty_iban` (given by an
        import) must be what was sent.

        A payment returned before its execution was imported keeps its status, but the
        execution is remembered (`confirmed_by`), so a second debit is seen as one;
        returns False then, as nothing is newly confirmed.
        """
        instruction = self.instructions.get(instruction_id)
        if instruction is None or instruction.confirmed_by is not None or instruction.status == "confirmed":
            return False
        if amount is not None:
            self._check_echo(instruction_id, amount, False, counterparty_iban, None)
        self._payment_confirmed(
            instruction_id=instruction_id, transaction_id=transaction_id, booking_date=booking_date
        )
        return instruction.status == "scheduled"

    @event("PaymentConfirmed")
    def _payment_confirmed(self, instruction_id: str, transaction_id: str, booking_date: date) -> None:
        """Events before 2026-12 confirm only scheduled payments; since, a payment that
        was returned first stays returned, with its execution remembered."""
        instruction = self.instructions[instruction_id]
        self.instructions[instruction_id] = replace(
            instruction, status="returned" if instruction.status == "returned" else "confirmed",
            confirmed_by=transaction_id, confirmed_on=booking_date)

    def return_payment(self, instruction_id: str, transaction_id: str, booking_date: date,
                       amount: Money | None = None, counterparty_iban: str | None = None,
                       fee_limit: Money | None = None) -> bool:
        """The bank sent a payment back: `amount` is what came back (a returning bank may
        keep a fee), never more than was paid; None: all of it. An import also gives
        the account it came from and the most a returning bank may keep (`echo_problem`)."""
        instruction = self.instructions.get(instruction_id)
        if instruction is None or instruction.status == "returned":
            return False
        if amount is not None and not Money.zero() < amount <= instruction.amount:
            raise HouseholdError(f"{instruction_id}: {amount} cannot come back of a payment of {instruction.amount}")
        if counterparty_iban is not None or fee_limit is not None:
            self._check_echo(instruction_id, amount or instruction.amount, True, counterparty_iban, fee_limit)
        self._payment_returned(
            instruction_id=instruction_id, transaction_id=transaction_id, booking_date=booking_date,
            amount=None if amount == instruction.amount else amount,
        )
        return True

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
            agreement = self.agreements[instruction.agreement_id]
            period = (agreement.id, instruction.period)
            open_due = next((d for d in self.arrears if d.period == period), None)
            if open_due is not None:  # a part-payment of a period still partly owed: owed again
                self.arrears = [replace(d, amount=d.amount + instruction.amount,
                                        paid=(d.paid - instruction.amount).max(Money.zero()), returned=True)
                                if d is open_due else d for d in self.arrears]
                return
            self.arrears.append(
                Due(
                    agreement_id=agreement.id,
                    due=instruction.period,
                    amount=instruction.amount,
                    priority=agreement.priority,
                    creditor_name=instruction.creditor_name,
                    creditor_iban=instruction.creditor_iban,
                    reference=instruction.reference,
                    returned=True,
                    paid=instruction.settled_before + instruction.rest,  # the other parts were paid
                )
            )

    # -- leefgeld held above the participant ceiling ---------------------------------

    def approve_release(self, on: date, actor: str) -> str:
        """Release what is held above the participant ceiling: it takes two people. The
        first approval records who and how much; a second, different person releases
        it, and the next pay date pays it (charges and arrears first, as always).
        Returns 'approved' or 'released'."""
        if not self.on_hold:
            raise HouseholdError(f"{self.dossier} holds nothing above its participant ceiling")
        if self.settled_on is not None:
            # No pay date comes after the final settlement: released, the money would
            # sit in the pot for good, and the signal would say it was dealt with.
            raise HouseholdError(
                f"{self.dossier}: participation ended and was settled on {self.settled_on}; no run pays "
                f"{self.on_hold} released now, so it stays held: pay it out to the participant by hand")
        first = self.release_approval
        if first is None:
            self._release_approved(amount=self.on_hold, on=on, actor=actor)
            return "approved"
        if _person(first["actor"]) == _person(actor):
            raise HouseholdError(f"release: {first['actor']} approved it already on {first['on']}; "
                                 "a second person must approve it (--actor)")
        self._held_released(amount=Money(first["amount"]), approved_by=first["actor"], on=on, actor=actor)
        return "released"

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

    def charges_paid_late(self) -> tuple[date, list[Due]]:
        """The next pay date, and the charge periods due before it that no cycle paid
        yet: a pay day moved later, a due day moved earlier, a charge added or started
        in a cycle that has run. The next pay date pays them, late."""
        if self.last_pay_date is None:
            return self.pay_date_on_or_after(self.start), []
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
            participant = self.participants[0]
            return replace(payment, creditor_name=participant.name, creditor_iban=participant.iban)
        agreement = self.agreements.get(payment.agreement_id)
        if agreement is None:
            return payment
        return replace(payment, creditor_name=agreement.counterparty.name, creditor_iban=agreement.counterparty.iban,
                       reference=agreement.reference)

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

    def supplements_of(self, pay_date: date) -> list[dict[str, Any]]:
        """What the supplements of a pay date's cycle did, oldest first."""
        return [s for s in self.supplements if s["pay_date"] == pay_date.isoformat()]

    def hold_payments(self, pay_date: date, reason: str, on: date) -> None:
        """The nightly job could not make or file this pay date's payments (`reason`):
        nothing was paid, and staff get a signal, one per household while it stays open
        (the next nights try again, on the day they run). It clears
        itself on the night that pays the household after staff corrected the cause."""
        held = signal_fact(PAYMENTS_HELD, None, "-", self.held(), reason=reason[:500], pay_date=pay_date)
        signal = self.signals.get(held.key)
        if signal is not None and signal.is_open:
            return
        self._payments_held(pay_date=pay_date, reason=reason[:500], on=on,
                            signal=Signal.raised(held, on) if signal is None else signal.reopened(held, on))

    @event("PaymentsHeld")
    def _payments_held(self, pay_date: date, reason: str, on: date, signal: Signal) -> None:
        self.signals[signal.key] = signal

    def _forget_settled(self, pay_date: date) -> None:
        """Keep the aggregate small: settled payments older than a few cycles live on
        only in the events (and the projections), so loading a household costs the
        same after five years as after one month."""
        horizon = pay_date.toordinal() - KEEP_DAYS
        for ident in self.instructions.settled_before(date.fromordinal(horizon)):
            del self.instructions[ident]
        for day in [d for d in self.paid_on if date.fromisoformat(d).toordinal() < horizon]:
            del self.paid_on[day]
        for day in [d for d in self.supplemented_on if date.fromisoformat(d).toordinal() < horizon]:
            del self.supplemented_on[day]
        self.supplements = [s for s in self.supplements if date.fromisoformat(s["day"]).toordinal() >= horizon]
        self.recent_income = [b for b in self.recent_income if b.value_date.toordinal() >= horizon]
        for key in [k for k, v in self.signals.items()
                    if v.status == RESOLVED and v.changed_on.toordinal() < horizon]:
            del self.signals[key]

    def instructions_of(self, pay_date: date) -> list[Instruction]:
        ids = self.paid_on.get(pay_date.isoformat(), [])
        return [self.instructions[i] for i in ids if i in self.instructions]

    def supplement_instructions_of(self, day: date) -> list[Instruction]:
        """The payments the supplements decided on night `day` (see `supplement_late_incomes`)."""
        ids = self.supplemented_on.get(day.isoformat(), [])
        return [self.instructions[i] for i in ids if i in self.instructions]

    def cycle_instructions(self, pay_date: date) -> list[Instruction]:
        """Every payment of a pay date's cycle: its own, then its supplements'."""
        extra = [self.instructions[i] for ids in self.supplemented_on.values() for i in ids
                 if i in self.instructions and self.instructions[i].pay_date == pay_date]
        return self.instructions_of(pay_date) + sorted(extra, key=lambda i: (i.execution_date, i.kind, i.part))

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
            dues = [self._due(agreement, d) for d in self._due_dates(agreement, first, last)]
            if not agreement.schedule.is_irregular():
                regular.extend(dues)
            elif dues:
                irregular.extend(dues)
            elif agreement.schedule.next_on_or_after(cycle_end) is not None:
                upcoming = agreement.schedule.next_on_or_after(cycle_end)
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

    def _kept_reserves(self, cycle_end: date) -> frozenset[str]:
        """Agreements whose reserve still has a purpose: an irregular charge still to
        come at a cost, or arrears of it. Any other reserve returns to the pot."""
        kept = {due.agreement_id for due in self.arrears}
        for agreement in self.agreements.values():
            if agreement.kind == CHARGE and agreement.schedule.is_irregular():
                upcoming = agreement.schedule.next_on_or_after(cycle_end)
                if upcoming is not None and agreement.amount_on(upcoming).is_positive:
                    kept.add(agreement.id)
        return frozenset(kept)

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

    def _instruction(self, pay_date: date, payment: Any, account: str, of: str | None = None) -> Instruction:
        key = f"{pay_date}|{payment.kind}|{payment.agreement_id}|{payment.period}|{payment.part}"
        if of is not None:  # a supplement's payment: its own id, never one of the pay date's
            key = f"{pay_date}|{of}|{payment.kind}|{payment.agreement_id}|{payment.period}|{payment.part}"
        settled_before = getattr(payment, "settled_before", Money.zero())
        rest = getattr(payment, "rest", Money.zero())
        if settled_before or rest:
            # A part-payment of arrears: which part it is tells it apart from a payment
            # of the whole period and from other parts, in this cycle or a later one.
            key += f"|{settled_before}|{rest}"
        instruction_id = uuid5(self.id, key).hex
        return Instruction(
            id=instruction_id,
            end_to_end_id=end_to_end_id(self.id, instruction_id),
            pay_date=pay_date,
            kind=payment.kind,
            agreement_id=payment.agreement_id,
            period=payment.period,
            part=payment.part,
            amount=payment.amount,
            execution_date=payment.execution_date,
            creditor_name=payment.creditor_name,
            creditor_iban=payment.creditor_iban,
            reference=payment.reference,
            settled_before=settled_before,
            rest=rest,
        )

    # -- forecast and signals -------------------------------------------------------

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
        result, _, _ = self._cycle(next_pay, cycle_end,
                                   self.pot + received + total(amount for _, _, amount in expected), final)
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
                    expected.append((agreement.id, day, agreement.amount_on(day)))
        return expected

    def income_received(self, agreement_id: str, expected_on: date) -> Booking | None:
        """The booking that paid an expected income: the first on or after a week before it."""
        earliest = expected_on.toordinal() - EARLY_DAYS
        found = [b for b in self.recent_income
                 if b.agreement_id == agreement_id and b.value_date.toordinal() >= earliest]
        return min(found, key=lambda b: b.value_date) if found else None

    def update_signals(self, as_of: date, unrepaid_cycles: int) -> int:
        """Raise what the rules find today; clear what has gone away. Returns changes."""
        facts = {fact.key: fact for fact in evaluate_signals(self, as_of, unrepaid_cycles)}
        changes = 0
        for key, fact in facts.items():
            signal = self.signals.get(key)
            if signal is None:
                self._signal_raised(signal=Signal.raised(fact, as_of), on=as_of)
                changes += 1
            elif signal.cleared_itself:  # its cause came back; one staff resolved stays resolved
                self._signal_raised(signal=signal.reopened(fact, as_of), on=as_of)
                changes += 1
        for key, signal in list(self.signals.items()):
            if signal.is_open and signal.clears_itself and key not in facts and self._cause_gone(signal):
                self._signal_cleared(key=key, on=as_of)
                changes += 1
        return changes

    def _cause_gone(self, signal: Signal) -> bool:
        """A late income is cleared by its arrival, not by growing old."""
        if signal.rule != "income-late" or signal.agreement_id not in self.agreements:
            return True
        expected_on = date.fromisoformat(signal.period)
        agreement = self.agreements[signal.agreement_id]
        return bool(self.income_received(agreement.id, expected_on)) or not agreement.is_valid_on(expected_on)

    @event("SignalRaised")
    def _signal_raised(self, signal: Signal, on: date) -> None:
        self.signals[signal.key] = signal

    @event("SignalCleared")
    def _signal_cleared(self, key: str, on: date) -> None:
        self.signals[key] = self.signals[key].changed(RESOLVED, on, "system", "cause gone")

    def receive_external_signal(self, fact: SignalFact, on: date, actor: str) -> bool:
        if fact.key in self.signals:
            return False
        self._external_signal(signal=Signal.raised(fact, on), on=on, actor=actor)
        return True

    @event("ExternalSignalReceived")
    def _external_signal(self, signal: Signal, on: date, actor: str) -> None:
        self.signals[signal.key] = signal

    def acknowledge_signal(self, key: str, on: date, actor: str, note: str = "") -> None:
        self._check_signal(key)
        self._signal_acknowledged(key=key, on=on, actor=actor, note=note)

    @event("SignalAcknowledged")
    def _signal_acknowledged(self, key: str, on: date, actor: str, note: str) -> None:
        self.signals[key] = self.signals[key].changed(ACKNOWLEDGED, on, actor, note)

    def resolve_signal(self, key: str, on: date, actor: str, note: str = "") -> None:
        self._check_signal(key)
        self._signal_resolved(key=key, on=on, actor=actor, note=note)

    @event("SignalResolved")
    def _signal_resolved(self, key: str, on: date, actor: str, note: str) -> None:
        self.signals[key] = self.signals[key].changed(RESOLVED, on, actor, note)

    def _check_signal(self, key: str) -> None:
        signal = self.signals.get(key)
        if signal is None:
            raise NotFound(f"{self.dossier} has no signal {key}", field="signal")
        if signal.status == RESOLVED:
            raise HouseholdError(f"signal {key} is resolved already")

    # -- checks -------------------------------------------------------------------

    def check_active(self) -> None:
        if self.status != ACTIVE:
            raise HouseholdError(f"{self.dossier} ended its participation on {self.end}", field="dossier")

    def check_agreement(self, agreement_id: str) -> Agreement:
        self.check_active()
        try:
            return self.agreements[agreement_id]
        except KeyError:
            raise NotFound(f"{self.dossier} has no agreement '{agreement_id}'", field="agreement") from None

    # -- reading -------------------------------------------------------------------

    def held(self) -> Money:
        """What the household's money in the managed account amounts to right now."""
        unswept = total(b.amount for b in self.bookings.values())
        return self.pot + unswept + total(self.reserves.values()) + self.on_hold

    def agreements_on(self, day: date) -> list[Agreement]:
        return [a for a in self.agreements.values() if a.is_valid_on(day)]


KEEP_DAYS = 100
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


EARLY_DAYS = 7  # an income may arrive up to a week before its date and still count


@dataclass(frozen=True)
class Forecast:
    next_pay_date: date
    expected_leefgeld: Money
    shortfall: Money  # what the expected incomes do not cover: advanced + new arrears
    advance_needed: Money
    arrears_expected: Money

SETTINGS = frozenset(
    {
        "team",
        "buffer_limit",
        "minimum_leefgeld",
        "leefgeld_schedule",
        "execute_on",
        "participants",
        "account",
        "participant_ceiling",
        "paid_from",
        "buffer_covers_leefgeld",
        "buffer_repayment_max",
        "leefgeld_target",
    }
)


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


def household_id(dossier: str) -> UUID:
    return uuid5(NAMESPACE, f"household/{dossier}")


def end_to_end_id(household: UUID, instruction_id: str) -> str:
    """Unique, deterministic, 35 characters at most, and traceable to the household.

    The bank echoes it in the statement of the executed payment; the first twelve
    characters say which household to confirm it on.
    """
    digest = hashlib.sha256(instruction_id.encode()).hexdigest()[:20]
    return f"{household.hex[:12]}-{digest}".upper()


def check_pay_day(pay_day: int | str) -> None:
    if pay_day == "last-business-day":
        return
    if not isinstance(pay_day, int) or isinstance(pay_day, bool) or not 1 <= pay_day <= 28:
        raise HouseholdError(f"pay day: {pay_day!r} is not 1–28 or last-business-day")
