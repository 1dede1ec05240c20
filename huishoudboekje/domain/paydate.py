"""Pay dates and the pay-date cycle: what happens to a household's money on pay date P.

Everything here is a pure function of its arguments: no I/O, no clock, no event store.
The application layer gathers the inputs (matched incomes, dues, reservations) and
records the result as events; this module only decides.

A cycle runs from pay date P up to (not including) the next pay date. `run_cycle`
applies the rules as a fixed pipeline of small steps (`STEPS`), each taking the
running books and returning new ones, in the spirit of beancount plugins:

1. `release_excess_reserves` + `pay_charges_due` — charges due in the cycle, by
   priority, each in full or not at all; pot first, then the buffer within its limit.
   A reserve beyond what its charge needs, or for a charge that ended, returns first.
   A charge that cannot be paid in full is in arrears from that moment.
2. `set_aside_minimum_leefgeld` — the participant's minimum leefgeld: pot first, then
   the household's leefgeld reserve, then the buffer's room (`buffer_covers_leefgeld`).
   The protected minimum to live on comes before old debts, as the beslagvrije voet does.
3. `pay_arrears` — unpaid periods (earlier ones and those step 1 could not pay),
   oldest first, part-payments allowed: a landlord takes part now over nothing (an
   irregular charge's arrears from its own reserve first); pot first, then the buffer.
3a. `pay_terms` (`arrangement_terms.py`) — the terms of payment arrangements on old
   debts, from the pot only, each in full or not at all; a term not paid is missed.
4. `reserve_irregular` — set aside a part for each irregular charge not due this cycle
   (the application adds parts missed earlier, `reservation_with_catch_up`).
5. `repay_buffer` — repay advances from what remains, at most `buffer_repayment_max`.
6. `pay_leefgeld` — the minimum set aside plus the rest goes to the participant
   (monthly or weekly); with a leefgeld target, up to the target, the excess kept in
   the household's leefgeld reserve that tops up months below it. Up to the
   participant ceiling; what is above it is held for a second person's approval.
Execution dates (`charge_execution_date`, `leefgeld_execution_date`) are applied
by the steps that create payments.

The books always balance: incomes in == paid out + pot + reserves + held - buffer outstanding
(the leefgeld reserve is one of the reserves, under `LEEFGELD_RESERVE`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .calendar import previous_business_day
from .cycle import (  # noqa: F401 - the cycle's types and pay dates, re-exported for the rules' callers
    LAST_BUSINESS_DAY,
    LEEFGELD_RESERVE,
    CycleResult,
    CycleState,
    Due,
    Payment,
    PayDateError,
    Policy,
    Reservation,
    check_pay_day,
    next_pay_date,
    pay_date_in,
    pay_date_on_or_after,
    reservation_part,
    reservation_with_catch_up,
)
from .arrangement_terms import pay_terms
from .shares import leefgeld_payments
from .money import Money

ONE_WEEK = timedelta(days=7)
_ZERO = Money.zero()


# -- the running books ------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """What a run is about; the same for every step."""

    pay_date: date
    next_pay_date: date
    policy: Policy
    charges_due: tuple[Due, ...]
    irregular_due: tuple[Due, ...]
    reservations: tuple[Reservation, ...]
    # Agreements whose reserve is still meant for something (an upcoming irregular
    # charge, or its arrears); any other reserve goes back to the pot. None: keep all.
    kept_reserves: frozenset[str] | None = None
    terms: tuple[Due, ...] = ()  # terms of payment arrangements (`arrangement_terms.py`)


@dataclass(frozen=True)
class Books:
    """The money while a run is under way; each step returns a new one.

    `reserves`, `reserved` and `from_reserves` are dicts that steps copy, never mutate.
    """

    pot: Money
    reserves: dict[str, Money]
    outstanding: Money
    open_arrears: tuple[Due, ...]  # earlier arrears not (yet) paid in this run
    payments: tuple[Payment, ...] = ()
    advanced: Money = _ZERO
    repaid: Money = _ZERO
    new_arrears: tuple[Due, ...] = ()
    paid_arrears: tuple[Due, ...] = ()
    reserved: dict[str, Money] = field(default_factory=dict)
    from_reserves: dict[str, Money] = field(default_factory=dict)
    leefgeld: Money = _ZERO
    on_hold: Money = _ZERO
    minimum_set_aside: Money = _ZERO  # the minimum leefgeld, paid out with the rest in step 6
    leefgeld_short: Money = _ZERO
    part_paid: tuple[Due, ...] = ()
    missed_terms: tuple[Due, ...] = ()

    def reserve(self, agreement_id: str) -> Money:
        return self.reserves.get(agreement_id, _ZERO)


Step = Callable[[Books, Cycle], Books]


def _room(books: Books, policy: Policy) -> Money:
    """What the buffer may still advance: its limit less what is outstanding (a limit
    lowered below what is outstanding leaves no room, and blocks nothing the pot pays)."""
    return (policy.buffer_limit - books.outstanding).max(_ZERO)


def _funding(books: Books, need: Money, policy: Policy) -> tuple[Money, Money] | None:
    """(from pot, advance) to pay `need`, or None when even the buffer cannot cover it."""
    from_pot = books.pot.min(need)
    advance = need - from_pot
    if advance > _room(books, policy):
        return None
    return from_pot, advance


def _spend(books: Books, from_pot: Money, advance: Money, payment: Payment) -> Books:
    return replace(
        books,
        pot=books.pot - from_pot,
        outstanding=books.outstanding + advance,
        advanced=books.advanced + advance,
        payments=books.payments + (payment,),
    )


def _add(mapping: dict[str, Money], key: str, amount: Money) -> dict[str, Money]:
    copy = dict(mapping)
    copy[key] = copy.get(key, _ZERO) + amount
    return copy


# -- step 6: execution dates --------------------------------------------------------------


def charge_execution_date(due: Due, cycle: Cycle) -> date:
    """P by default; on request the due date moved back to a business day, never before P.

    Moving back (not forward) keeps a charge from being late; P is the floor because
    before P the household's money is not there yet.
    """
    if not cycle.policy.execute_on_due_date:
        return cycle.pay_date
    return max(previous_business_day(due.due), cycle.pay_date)


def leefgeld_execution_date(part_date: date, pay_date: date) -> date:
    return max(previous_business_day(part_date), pay_date)


def _charge_payment(kind: str, due: Due, amount: Money, execution_date: date) -> Payment:
    return Payment(
        kind=kind,
        agreement_id=due.agreement_id,
        period=due.due,
        part=1,
        amount=amount,
        execution_date=execution_date,
        creditor_name=due.creditor_name,
        creditor_iban=due.creditor_iban,
        reference=due.reference,
    )


# -- step 1: charges due in the cycle -------------------------------------------------------


def release_excess_reserves(books: Books, cycle: Cycle) -> Books:
    """What a reserve holds beyond its irregular charges due now goes back to the pot.

    Done before any charge is paid: a charge its reserve fully covers is certain to be
    paid, so its excess is certain to come free, and releasing it first lets it help
    higher-priority charges too instead of only the ones sorted after it.
    """
    due_per_agreement: dict[str, Money] = {}
    for due in cycle.irregular_due:
        due_per_agreement = _add(due_per_agreement, due.agreement_id, due.amount)
    if cycle.kept_reserves is not None:
        # A reserve for nothing (its charge ended, stopped being irregular, or costs
        # nothing now) is the household's money: back to the pot, not held for ever.
        for agreement_id in books.reserves:
            if agreement_id not in due_per_agreement and agreement_id not in cycle.kept_reserves \
                    and agreement_id != LEEFGELD_RESERVE:
                due_per_agreement[agreement_id] = _ZERO
    if cycle.policy.leefgeld_target is None and books.reserve(LEEFGELD_RESERVE).is_positive:
        # No target (any more, or the final settlement): the leefgeld reserve has no
        # purpose left and is the household's money like the rest of the pot.
        due_per_agreement[LEEFGELD_RESERVE] = _ZERO
    for agreement_id, amount in due_per_agreement.items():
        excess = books.reserve(agreement_id) - amount
        if excess.is_positive:
            books = replace(
                books,
                pot=books.pot + excess,
                reserves={**books.reserves, agreement_id: amount},
            )
    return books


def pay_charges_due(books: Books, cycle: Cycle) -> Books:
    """Regular and irregular charges due in the cycle, by (priority, due, agreement).

    Each is paid in full or not at all: a part-payment leaves the creditor chasing the
    rest anyway and hides the arrears. An unpaid charge does not stop lower-priority
    charges that still fit.
    """
    irregular = {due.period for due in cycle.irregular_due}  # periods are unique per run
    dues = sorted(cycle.charges_due + cycle.irregular_due, key=_priority_order)
    for due in dues:
        books = _pay_charge_due(books, cycle, due, due.period in irregular)
    return books


def _pay_charge_due(books: Books, cycle: Cycle, due: Due, is_irregular: bool) -> Books:
    from_reserve = books.reserve(due.agreement_id).min(due.amount) if is_irregular else _ZERO
    funding = _funding(books, due.amount - from_reserve, cycle.policy)
    if funding is None:
        # The reserve is left untouched: it is still meant for this charge.
        return replace(books, new_arrears=books.new_arrears + (due,))
    payment = _charge_payment("charge", due, due.amount, charge_execution_date(due, cycle))
    books = _spend(books, *funding, payment)
    if is_irregular:
        books = replace(
            books,
            reserves=_add(books.reserves, due.agreement_id, -from_reserve),
            from_reserves=_add(books.from_reserves, due.agreement_id, from_reserve),
        )
    return books


def _priority_order(due: Due) -> tuple[int, date, str]:
    return (due.priority, due.due, due.agreement_id)


# -- step 2: the minimum leefgeld ------------------------------------------------------------


def set_aside_minimum_leefgeld(books: Books, cycle: Cycle) -> Books:
    """The participant's minimum leefgeld comes before arrears, reserves and repayment:
    pot first, then the household's leefgeld reserve, then as much as the buffer's room
    allows (unless `buffer_covers_leefgeld` is off). It is paid out with the rest of the
    leefgeld in the last step; what is missing of it (`leefgeld_short`) is a signal.
    """
    policy = cycle.policy
    minimum = policy.minimum_leefgeld
    if policy.participant_ceiling is not None:
        minimum = minimum.min(policy.participant_ceiling)  # never advance money only to hold it
    from_pot = books.pot.min(minimum)
    from_reserve = books.reserve(LEEFGELD_RESERVE).min(minimum - from_pot)
    advance = _ZERO
    if policy.buffer_covers_leefgeld:
        advance = _room(books, policy).min(minimum - from_pot - from_reserve)
    set_aside = from_pot + from_reserve + advance
    return replace(
        books,
        pot=books.pot - from_pot,
        reserves=_add(books.reserves, LEEFGELD_RESERVE, -from_reserve) if from_reserve else books.reserves,
        outstanding=books.outstanding + advance,
        advanced=books.advanced + advance,
        minimum_set_aside=set_aside,
        leefgeld_short=minimum - set_aside,
    )


# -- step 3: arrears --------------------------------------------------------------------


def pay_arrears(books: Books, cycle: Cycle) -> Books:
    """Unpaid periods, oldest first (then by priority), part-payments allowed: a landlord
    takes part now over nothing, and two months of rent arrears is when one reports.

    Earlier arrears and the current charges step 1 could not pay in full alike; they
    come after the current charges and the minimum leefgeld, so catching up never
    creates new arrears nor leaves the participant without the minimum. What stays
    owed of a part-paid period is paid (or part-paid) next cycle.
    """
    failed_now = {due.period for due in books.new_arrears}
    still_open: list[Due] = []
    new_open: list[Due] = []
    part_paid: list[Due] = []
    for due in sorted(books.open_arrears + books.new_arrears, key=_age_order):
        # An irregular charge that went into arrears kept its reserve: that pays first.
        # A returned payment's money came back to the pot, which pays it again; the
        # reserve is already saving for the next date.
        from_reserve = _ZERO if due.returned else books.reserve(due.agreement_id).min(due.amount)
        amount = from_reserve + (due.amount - from_reserve).min(books.pot + _room(books, cycle.policy))
        left = (new_open if due.period in failed_now else still_open)
        if not amount.is_positive:
            left.append(due)
            continue
        from_pot = books.pot.min(amount - from_reserve)
        rest = due.amount - amount
        payment = replace(_charge_payment("arrears", due, amount, cycle.pay_date), settled_before=due.paid, rest=rest)
        books = _spend(books, from_pot, amount - from_reserve - from_pot, payment)
        if from_reserve.is_positive:
            books = replace(
                books,
                reserves=_add(books.reserves, due.agreement_id, -from_reserve),
                from_reserves=_add(books.from_reserves, due.agreement_id, from_reserve),
            )
        if rest.is_positive:
            owed = replace(due, amount=rest, paid=due.paid + amount)
            left.append(owed)
            part_paid.append(owed)
        elif due.period not in failed_now:
            books = replace(books, paid_arrears=books.paid_arrears + (due,))
    return replace(books, open_arrears=tuple(still_open), new_arrears=tuple(new_open),
                   part_paid=books.part_paid + tuple(part_paid))


def _age_order(due: Due) -> tuple[date, int, str]:
    return (due.due, due.priority, due.agreement_id)


# -- step 4: equalising irregular charges ---------------------------------------------------


def reserve_irregular(books: Books, cycle: Cycle) -> Books:
    """Set aside each reservation's part, from the pot only.

    Never from the buffer: advancing money only to park it would put the household in
    debt for a bill that is not due. A short pot reserves what there is, possibly zero;
    the application adds what was missed to the parts of the cycles left
    (`reservation_with_catch_up`).
    """
    for reservation in sorted(cycle.reservations, key=lambda r: (r.priority, r.agreement_id)):
        amount = reservation.part.min(books.pot)
        books = replace(
            books,
            pot=books.pot - amount,
            reserves=_add(books.reserves, reservation.agreement_id, amount),
            reserved=_add(books.reserved, reservation.agreement_id, amount),
        )
    return books


# -- step 5: buffer repayment -----------------------------------------------------------------


def repay_buffer(books: Books, cycle: Cycle) -> Books:
    """Repay advances from what is left, at most `buffer_repayment_max` a cycle.

    The minimum leefgeld was set aside before: the household can live this month. The
    cap keeps a back-payment from vanishing into repayment in one go.
    """
    repay = books.pot.min(books.outstanding)
    if cycle.policy.buffer_repayment_max is not None:
        repay = repay.min(cycle.policy.buffer_repayment_max)
    if not repay.is_positive:
        return books
    return replace(
        books,
        pot=books.pot - repay,
        outstanding=books.outstanding - repay,
        repaid=books.repaid + repay,
    )


# -- step 6: leefgeld ---------------------------------------------------------------------


def leefgeld_part_dates(pay_date: date, next_pay_date: date, weekly: bool) -> list[date]:
    """Monthly: just P. Weekly: P, P+7, P+14, … while before the next pay date."""
    if not weekly:
        return [pay_date]
    dates = []
    day = pay_date
    while day < next_pay_date:
        dates.append(day)
        day += ONE_WEEK
    return dates


def pay_leefgeld(books: Books, cycle: Cycle) -> Books:
    """The minimum set aside and everything left go to the participant, up to the
    participant ceiling; the pot ends empty. With a leefgeld target, what is above the
    target goes into the household's leefgeld reserve, and a cycle below the target is
    topped up from it: steady leefgeld for irregular earners. What is above the ceiling
    is held (`on_hold`) until a second person approves it: a typo or a forged income
    must not leave the account at once.

    Weekly parts come from Money.split, so they add up exactly with the larger parts
    first. Zero parts (a remainder of a few cents) are left out: no zero payments. Each
    part is split over the participants by their shares (`shares.py`), if they have any.
    """
    leefgeld = books.minimum_set_aside + books.pot
    reserves = books.reserves
    target = cycle.policy.leefgeld_target
    if target is not None:
        goal = target.max(books.minimum_set_aside)
        if leefgeld >= goal:
            if leefgeld > goal:
                reserves = _add(reserves, LEEFGELD_RESERVE, leefgeld - goal)
            leefgeld = goal
        else:
            top_up = books.reserve(LEEFGELD_RESERVE).min(goal - leefgeld)
            if top_up.is_positive:
                reserves = _add(reserves, LEEFGELD_RESERVE, -top_up)
                leefgeld = leefgeld + top_up
    ceiling = cycle.policy.participant_ceiling
    payable = leefgeld if ceiling is None else leefgeld.min(ceiling)
    part_dates = leefgeld_part_dates(
        cycle.pay_date, cycle.next_pay_date, cycle.policy.leefgeld_weekly
    )
    payments = leefgeld_payments(cycle.policy, cycle.pay_date, [
        (leefgeld_execution_date(part_date, cycle.pay_date), amount)
        for part_date, amount in zip(part_dates, payable.split(len(part_dates)))])
    return replace(books, pot=_ZERO, reserves=reserves, leefgeld=payable, on_hold=leefgeld - payable,
                   payments=books.payments + payments)


# -- the pipeline ------------------------------------------------------------------------

STEPS: tuple[Step, ...] = (
    release_excess_reserves,
    pay_charges_due,
    set_aside_minimum_leefgeld,
    pay_arrears,
    reserve_irregular,
    repay_buffer,
    pay_leefgeld,
)
# What a run applies: the steps, with the terms of payment arrangements (step 3a) after
# the arrears and before the reserves. A household without arrangements has no terms,
# and the step then changes nothing.
_AFTER_ARREARS = STEPS.index(pay_arrears) + 1
PIPELINE: tuple[Step, ...] = STEPS[:_AFTER_ARREARS] + (pay_terms,) + STEPS[_AFTER_ARREARS:]


def run_cycle(
    pay_date: date,
    next_pay_date: date,
    state: CycleState,
    policy: Policy,
    charges_due: Sequence[Due],
    irregular_due: Sequence[Due],
    reservations: Sequence[Reservation],
    kept_reserves: frozenset[str] | None = None,
    terms: Sequence[Due] = (),
) -> CycleResult:
    """Decide every payment of the cycle starting at `pay_date`."""
    if next_pay_date <= pay_date:
        raise PayDateError(f"next pay date {next_pay_date} is not after {pay_date}")
    cycle = Cycle(
        pay_date=pay_date,
        next_pay_date=next_pay_date,
        policy=policy,
        charges_due=_owing(charges_due),
        irregular_due=_owing(irregular_due),
        reservations=tuple(reservations),
        kept_reserves=kept_reserves,
        terms=_owing(terms),
    )
    _check_periods_unique(cycle, state)
    books = Books(
        pot=state.pot,
        reserves=dict(state.reserves),
        outstanding=state.buffer_outstanding,
        open_arrears=_owing(state.arrears),
    )
    for step in PIPELINE:
        books = step(books, cycle)
    return _result(books)


def _owing(dues: Sequence[Due]) -> tuple[Due, ...]:
    """Dues with something to pay: a zero period is settled by itself, with no payment."""
    return tuple(due for due in dues if due.amount.is_positive)


def _check_periods_unique(cycle: Cycle, state: CycleState) -> None:
    """A period offered twice (say as current and as arrears) would be paid twice."""
    seen: set[tuple[str, date]] = set()
    for due in cycle.charges_due + cycle.irregular_due + state.arrears:
        if due.period in seen:
            raise PayDateError(f"{due.agreement_id} {due.due}: period offered twice")
        seen.add(due.period)


def _result(books: Books) -> CycleResult:
    after = CycleState(
        pot=books.pot,
        reserves=books.reserves,
        buffer_outstanding=books.outstanding,
        arrears=tuple(sorted(books.open_arrears + books.new_arrears, key=_age_order)),
    )
    return CycleResult(
        payments=books.payments,
        advanced=books.advanced,
        repaid=books.repaid,
        new_arrears=books.new_arrears,
        paid_arrears=books.paid_arrears,
        reserved=books.reserved,
        from_reserves={k: v for k, v in books.from_reserves.items() if v.is_positive},
        leefgeld=books.leefgeld,
        after=after,
        on_hold=books.on_hold,
        leefgeld_short=books.leefgeld_short,
        part_paid=books.part_paid,
        missed_terms=books.missed_terms,
    )
