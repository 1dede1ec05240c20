"""An income that came too late for its pay date, used as if it had been in time.

Pure, like `paydate.py`: no I/O, no clock. A pay date's run records its inputs
(`CycleInputs`); what the cycle has paid so far is `CyclePaid` (the run's result, then
each supplement's). When an income meant for that pay date is booked after it ran, the
rules are run again on the same inputs with the income in the pot, and the household
is paid the difference (`supplement`): the leefgeld topped up, arrears paid, the
cycle's advance repaid, reserves filled, exactly as an on-time income would have left
them. The rules themselves stay a black box (`run_cycle`): whatever they decide with
the income in the pot is what the supplement makes true.

What was paid is never taken back: should the rules with more money pay some charge
less, or less leefgeld, than was paid already (they do not today), there is no
supplement, and the income waits for the next pay date as it always did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from .money import Money, total
from .shares import leefgeld_payments
from .paydate import (
    CycleResult,
    CycleState,
    Due,
    Payment,
    Policy,
    Reservation,
    leefgeld_execution_date,
    leefgeld_part_dates,
    run_cycle,
)

_ZERO = Money.zero()


@dataclass(frozen=True)
class CycleInputs:
    """Everything `run_cycle` was given on a pay date, so a later night can run it again."""

    pay_date: date
    next_pay_date: date
    state: CycleState
    policy: Policy
    charges_due: tuple[Due, ...] = ()
    irregular_due: tuple[Due, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    kept_reserves: tuple[str, ...] | None = None  # None: keep every reserve
    terms: tuple[Due, ...] = ()  # terms of payment arrangements (issue 23); none before

    def run(self, pot: Money | None = None) -> CycleResult:
        """The cycle's rules on these inputs; with `pot`: as if the pot had held that."""
        state = self.state if pot is None else replace(self.state, pot=pot)
        kept = None if self.kept_reserves is None else frozenset(self.kept_reserves)
        return run_cycle(self.pay_date, self.next_pay_date, state, self.policy, self.charges_due,
                         self.irregular_due, self.reservations, kept, self.terms)


def _key(agreement_id: str | None, period: date) -> str:
    return f"{agreement_id}|{period.isoformat()}"


@dataclass(frozen=True)
class CyclePaid:
    """What a pay date's cycle has paid so far: its run, then each supplement of it."""

    pay_date: date
    pot: Money  # the pot the cycle counts as having had: the run's, plus late incomes since
    after: CycleState
    leefgeld: Money
    on_hold: Money
    charges: Mapping[str, Money] = field(default_factory=dict)  # "agreement|period" -> paid (charges, arrears)

    @classmethod
    def of(cls, pay_date: date, pot: Money, result: CycleResult) -> CyclePaid:
        return cls(pay_date=pay_date, pot=pot, after=result.after, leefgeld=result.leefgeld,
                   on_hold=result.on_hold, charges=charges_paid(result.payments))


def charges_paid(payments: Iterable[Any]) -> dict[str, Money]:
    """What payments (or instructions) paid per charge period, as `CyclePaid.charges`."""
    paid: dict[str, Money] = {}
    for payment in payments:
        if payment.kind != "leefgeld":
            key = _key(payment.agreement_id, payment.period)
            paid[key] = paid.get(key, _ZERO) + payment.amount
    return paid


@dataclass(frozen=True)
class Supplement:
    """The difference an income that came late makes to its pay date's cycle."""

    pay_date: date
    day: date  # the night that decided it
    execution_date: date
    income: Money
    payments: tuple[Payment, ...]
    leefgeld: Money  # topped up, in `payments`
    advanced: Money  # newly advanced (only when more money lets the rules pay arrears with the buffer)
    repaid: Money  # buffer repaid
    pot: Money  # change of the pot (the rules leave it empty, so normally zero)
    reserves: Mapping[str, Money]  # change per reserve
    on_hold: Money  # more leefgeld held above the participant ceiling
    arrears_paid: tuple[Due, ...]  # arrears periods now paid, with the amount paid
    paid: CyclePaid  # what the cycle has paid with this supplement
    new_arrears: tuple[Due, ...] = ()  # never any: for the job's summary, like a CycleResult
    leefgeld_short: Money = _ZERO  # how far the cycle's leefgeld stays below the minimum now

    @property
    def paid_out(self) -> Money:
        return total(p.amount for p in self.payments)


def supplement(inputs: CycleInputs, paid: CyclePaid, income: Money, day: date,
               execution_date: date) -> Supplement | None:
    """What the cycle of `inputs` still owes now `income` has come in for it, paid on
    `execution_date`; None when it owes nothing more or would have to take money back.

    The leefgeld top-up of a weekly cycle is spread over the cycle's weekly parts not yet
    executed, the first of them brought forward to `execution_date`.
    """
    if not income.is_positive:
        return None
    on_time = inputs.run(paid.pot + income)
    charges = charges_paid(on_time.payments)
    if any(charges.get(key, _ZERO) < amount for key, amount in paid.charges.items()):
        return None
    if on_time.leefgeld < paid.leefgeld or on_time.on_hold < paid.on_hold:
        return None
    before = {d.period: d for d in paid.after.arrears}
    now = {d.period: d for d in on_time.after.arrears}
    if any(period not in before or due.amount > before[period].amount for period, due in now.items()):
        return None  # an on-time income would have left a period owed that is paid: not ours to undo

    payments = _charge_differences(on_time, paid, charges, before, execution_date)
    arrears_paid = tuple(
        replace(due, amount=due.amount - (now[period].amount if period in now else _ZERO))
        for period, due in sorted(before.items(), key=lambda item: (item[0][1], item[0][0]))
        if period not in now or now[period].amount < due.amount)

    top_up = on_time.leefgeld - paid.leefgeld
    if top_up.is_positive:
        payments.extend(_leefgeld_top_up(inputs, top_up, execution_date))

    reserves = {}
    for agreement_id in set(paid.after.reserves) | set(on_time.after.reserves):
        change = on_time.after.reserves.get(agreement_id, _ZERO) - paid.after.reserves.get(agreement_id, _ZERO)
        if change:
            reserves[agreement_id] = change
    buffer_change = on_time.after.buffer_outstanding - paid.after.buffer_outstanding
    result = Supplement(
        pay_date=inputs.pay_date, day=day, execution_date=execution_date, income=income,
        payments=tuple(payments), leefgeld=top_up, advanced=buffer_change.max(_ZERO),
        repaid=(-buffer_change).max(_ZERO), pot=on_time.after.pot - paid.after.pot, reserves=reserves,
        on_hold=on_time.on_hold - paid.on_hold, arrears_paid=arrears_paid,
        paid=CyclePaid.of(inputs.pay_date, paid.pot + income, on_time), leefgeld_short=on_time.leefgeld_short,
    )
    # Every euro of the income is accounted for: paid out, held, or repaid less advanced.
    held = result.pot + total(reserves.values()) + result.on_hold
    if income + result.advanced != result.paid_out + held + result.repaid:
        raise AssertionError(f"supplement of {inputs.pay_date}: {income} in, {result.paid_out} out, "
                             f"{held} held, {result.repaid} repaid, {result.advanced} advanced")
    return result


def _charge_differences(on_time: CycleResult, paid: CyclePaid, charges: Mapping[str, Money],
                        before: Mapping[tuple[str, date], Due], execution_date: date) -> list[Payment]:
    """The charge and arrears payments an on-time income would have made beyond what was paid."""
    payments: list[Payment] = []
    for payment in on_time.payments:
        if payment.kind == "leefgeld":
            continue
        already = paid.charges.get(_key(payment.agreement_id, payment.period), _ZERO)
        more = charges[_key(payment.agreement_id, payment.period)] - already
        if more.is_positive and all(p.period != payment.period or p.agreement_id != payment.agreement_id
                                    for p in payments):
            # What of the period was paid before this payment (before the cycle, and by
            # the pay date or an earlier supplement) and what stays owed after it: a period
            # the pay date left in arrears is paid (the rest of) as arrears, and a return
            # of this payment owes only this payment again.
            in_arrears = (payment.agreement_id, payment.period) in before
            payments.append(replace(payment, kind="arrears" if in_arrears else payment.kind, amount=more,
                                    settled_before=payment.settled_before + already,
                                    execution_date=max(payment.execution_date, execution_date)))
    return payments


def _leefgeld_top_up(inputs: CycleInputs, amount: Money, execution_date: date) -> list[Payment]:
    """The top-up: once (monthly), or over the weekly parts still to come, the first now."""
    policy = inputs.policy
    dates = [leefgeld_execution_date(d, inputs.pay_date)
             for d in leefgeld_part_dates(inputs.pay_date, inputs.next_pay_date, policy.leefgeld_weekly)]
    remaining = [d for d in dates if d >= execution_date]
    dates = [execution_date] + remaining[1:]
    return list(leefgeld_payments(policy, inputs.pay_date, list(zip(dates, amount.split(len(dates))))))
