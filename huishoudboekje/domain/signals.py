"""Early signals for staff: the rules, as pure functions of a household on a date.

Each signal is identified by (household, rule, agreement, period), so a problem is
raised once, and one household's or agreement's problem never hides another's.
Signals whose cause can go away (the late income arrives, the advance is repaid)
resolve themselves when it does; the others wait for staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .calendar import add_business_days
from .money import Money

if TYPE_CHECKING:  # pragma: no cover
    from .household import Household

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
CRITICAL, HIGH, MEDIUM, LOW = "critical", "high", "medium", "low"
SEVERITY_RANK = {CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3}

INCOME_LATE = "income-late"
INCOME_DEVIATES = "income-deviates"
SHORTFALL_AHEAD = "shortfall-ahead"
BUFFER_DRAWN = "buffer-drawn"
BUFFER_NOT_REPAID = "buffer-not-repaid"
ARREARS = "arrears"
PAYMENT_RETURNED = "payment-returned"
PAID_AMOUNT_DIFFERS = "paid-amount-differs"
STRUCTURAL_DEFICIT = "structural-deficit"
EXTERNAL = "external"
LEEFGELD_HELD = "leefgeld-held"  # above the participant ceiling, waiting for a second person
PAYMENTS_HELD = "payments-held"  # the nightly job could not make or file this household's payments
BOOKING_CORRECTED = "booking-corrected"  # a booking taken back after it was paid out: a claim to settle
ECHO_REFUSED = "echo-refused"  # a statement line with our end-to-end id that does not fit the payment
LEEFGELD_BELOW_MINIMUM = "leefgeld-below-minimum"  # a pay date paid less than the minimum leefgeld
DEDUCTION_BOOKED = "deduction-booked"  # someone else took money from the household's account (issue 20)
TERM_MISSED = "term-missed"  # the pot could not pay a payment arrangement's term (issue 23)
MORATORIUM_ENDING = "moratorium-ending"  # a moratorium ends within 30 days: its arrangements resume (issue 23)

RULES = {
    INCOME_LATE: (HIGH, True),
    INCOME_DEVIATES: (MEDIUM, False),
    SHORTFALL_AHEAD: (HIGH, True),
    BUFFER_DRAWN: (LOW, True),
    BUFFER_NOT_REPAID: (MEDIUM, True),
    ARREARS: (CRITICAL, True),
    PAYMENT_RETURNED: (HIGH, False),
    PAID_AMOUNT_DIFFERS: (MEDIUM, False),
    STRUCTURAL_DEFICIT: (MEDIUM, True),
    EXTERNAL: (HIGH, False),
    ECHO_REFUSED: (HIGH, False),
    BOOKING_CORRECTED: (HIGH, False),
    PAYMENTS_HELD: (CRITICAL, True),
    LEEFGELD_HELD: (HIGH, True),  # clears itself once released  # clears itself once a night has paid the household
    LEEFGELD_BELOW_MINIMUM: (HIGH, True),  # clears itself once a pay date pays the minimum again
    # A clawback or a garnishment is news for the coach; bank costs less so (the severity
    # per kind is `domain/deductions.py`'s). Resolved by staff, or by undoing the booking.
    DEDUCTION_BOOKED: (HIGH, False),
    # A creditor ends an arrangement after missed terms: staff must know at once.
    TERM_MISSED: (HIGH, False),
    # Clears itself once the moratorium has ended, or was extended beyond the 30 days.
    MORATORIUM_ENDING: (MEDIUM, True),
}
LOOK_BACK = timedelta(days=62)  # how far back a late income is still worth a signal
PARTNER_TYPES = ("Energie", "Huur", "Water", "Zorgverzekering")


@dataclass(frozen=True)
class SignalFact:
    rule: str
    agreement_id: str | None
    period: str  # ISO date, or '-' for signals without a period
    severity: str
    amount: Money  # what is at stake, for ordering
    details: dict[str, str] = field(default_factory=dict)
    instance: str = ""  # tells apart facts of one period that each need staff (a second return)

    @property
    def key(self) -> str:
        key = f"{self.rule}:{self.agreement_id or '-'}:{self.period}"
        return f"{key}:{self.instance}" if self.instance else key


@dataclass(frozen=True)
class Signal:
    key: str
    rule: str
    agreement_id: str | None
    period: str
    severity: str
    amount: Money
    details: dict[str, str]
    status: str
    raised_on: date
    changed_on: date
    history: tuple[dict[str, str], ...] = ()

    @classmethod
    def raised(cls, fact: SignalFact, on: date) -> Signal:
        return cls(fact.key, fact.rule, fact.agreement_id, fact.period, fact.severity, fact.amount,
                   dict(fact.details), OPEN, on, on,
                   ({"on": on.isoformat(), "status": OPEN, "by": "system", "note": ""},))

    def changed(self, status: str, on: date, actor: str, note: str) -> Signal:
        entry = {"on": on.isoformat(), "status": status, "by": actor, "note": note}
        return replace(self, status=status, changed_on=on, history=self.history + (entry,))

    def reopened(self, fact: SignalFact, on: date) -> Signal:
        """Raised again: the cause it cleared itself of is back (arrears paid, and that
        payment returned too). The history keeps both times."""
        entry = {"on": on.isoformat(), "status": OPEN, "by": "system", "note": "cause back"}
        return replace(self, severity=fact.severity, amount=fact.amount, details=dict(fact.details), status=OPEN,
                       raised_on=on, changed_on=on, history=self.history + (entry,))

    @property
    def cleared_itself(self) -> bool:
        return self.status == RESOLVED and bool(self.history) and self.history[-1].get("by") == "system"

    @property
    def is_open(self) -> bool:
        return self.status != RESOLVED

    @property
    def clears_itself(self) -> bool:
        return RULES.get(self.rule, (None, False))[1]


def fact(rule: str, agreement_id: str | None, period: date | str, amount: Money, *, instance: str = "",
         **details: Any) -> SignalFact:
    severity = RULES[rule][0]
    text = period.isoformat() if isinstance(period, date) else period
    return SignalFact(rule, agreement_id, text, severity, amount, {k: str(v) for k, v in details.items()},
                      instance)


def evaluate_signals(household: Household, as_of: date, unrepaid_cycles: int) -> list[SignalFact]:
    if household.status != "active" or as_of < household.start:
        # What the household still owes stays in sight after it left: arrears, and an
        # advance its final settlement could not repay.
        return [*arrears(household), *buffer(household, unrepaid_cycles), *leefgeld_held(household)]
    return [
        *incomes_late(household, as_of),
        *incomes_deviating(household),
        *shortfall_ahead(household, as_of),
        *buffer(household, unrepaid_cycles),
        *arrears(household),
        *payments_returned(household),
        *paid_amounts_differing(household),
        *structural_deficit(household, as_of),
        *leefgeld_held(household),
        *leefgeld_below_minimum(household),
        *moratoria_ending(household, as_of),
    ]


def income_deadline(agreement: Any, expected_on: date) -> date:
    """The last day an income expected on `expected_on` may arrive before it is late:
    its agreement's tolerance in business days after it."""
    return add_business_days(expected_on, agreement.tolerance.days)


def incomes_late(household: Household, as_of: date) -> list[SignalFact]:
    facts = []
    for agreement in household.agreements.values():
        if agreement.kind != "income":
            continue
        for day in agreement.schedule.occurrences(max(household.start, as_of - LOOK_BACK), as_of):
            deadline = income_deadline(agreement, day)
            if deadline < as_of and not household.income_received(agreement.id, day):
                facts.append(fact(INCOME_LATE, agreement.id, day, agreement.expected_on(day),
                                  expected_on=day, deadline=deadline, expected=agreement.expected_on(day),
                                  counterparty=agreement.counterparty.name))
    return facts


def incomes_deviating(household: Household) -> list[SignalFact]:
    return [
        fact(INCOME_DEVIATES, b.agreement_id, b.value_date, abs(b.amount - b.expected),
             expected=b.expected, received=b.amount, difference=b.amount - b.expected)
        for b in household.recent_income if b.deviates
    ]


def shortfall_ahead(household: Household, as_of: date) -> list[SignalFact]:
    forecast = household.forecast(as_of)
    if not forecast.shortfall:
        return []
    return [fact(SHORTFALL_AHEAD, None, forecast.next_pay_date, forecast.shortfall,
                 pay_date=forecast.next_pay_date, shortfall=forecast.shortfall,
                 advance_needed=forecast.advance_needed, arrears_expected=forecast.arrears_expected)]


def buffer(household: Household, unrepaid_cycles: int) -> list[SignalFact]:
    if not household.buffer_outstanding or household.buffer_since is None:
        return []
    facts = [fact(BUFFER_DRAWN, None, household.buffer_since, household.buffer_outstanding,
                  outstanding=household.buffer_outstanding, limit=household.buffer_limit)]
    if household.buffer_cycles >= unrepaid_cycles:
        facts.append(fact(BUFFER_NOT_REPAID, None, household.buffer_since, household.buffer_outstanding,
                          outstanding=household.buffer_outstanding, cycles=household.buffer_cycles))
    return facts


def arrears(household: Household) -> list[SignalFact]:
    return [fact(ARREARS, due.agreement_id, due.due, due.amount, due=due.due, owed=due.amount,
                 creditor=due.creditor_name)
            for due in household.arrears]


def payments_returned(household: Household) -> list[SignalFact]:
    """One signal per returned payment: the arrears paid for a returned rent, returned
    in turn, or a second weekly leefgeld part, is news for staff of its own."""
    supplemented = {ident for ids in household.supplemented_on.values() for ident in ids}
    return [fact(PAYMENT_RETURNED, i.agreement_id or "leefgeld", i.period, i.amount,
                 instance=_returned_instance(i, i.id in supplemented), returned=i.amount,
                 creditor=i.creditor_name, pay_date=i.pay_date)
            for i in household.instructions.returned()]


def _returned_instance(instruction: Any, supplement: bool = False) -> str:
    if supplement:  # a late income's supplement pays the same period again: a signal of its own
        return f"supplement-{instruction.kind}-{instruction.id[:12]}"
    if instruction.kind == "charge" or (instruction.kind == "leefgeld" and instruction.part == 1):
        return ""  # the first payment of a period: the key signals have always had
    return f"{instruction.kind}-{instruction.pay_date.isoformat()}-{instruction.part}"


def paid_amounts_differing(household: Household) -> list[SignalFact]:
    """A charge paid with an amount its agreement no longer says for that period: an
    amount change recorded after the period was paid. Staff settle the difference."""
    facts = []
    for ident, agreement_id, period, amount in household.instructions.paid_charges():
        # `amount`: what the period came to when paid (a part-payment's with its other parts)
        agreement = household.agreements.get(agreement_id)
        if agreement is None:
            continue
        expected = agreement.amount_on(period)
        if expected != amount:
            i = household.instructions[ident]
            facts.append(fact(PAID_AMOUNT_DIFFERS, i.agreement_id, i.period, abs(expected - amount),
                              paid=amount, agreement_says=expected, difference=expected - amount,
                              creditor=i.creditor_name, pay_date=i.pay_date))
    return facts


def leefgeld_held(household: Household) -> list[SignalFact]:
    """Leefgeld above the participant ceiling waits for two people to release it."""
    held = getattr(household, "on_hold", None)
    if not held:
        return []
    approval = household.release_approval or {}
    return [fact(LEEFGELD_HELD, None, household.on_hold_since or "-", held, held=held,
                 ceiling=household.participant_ceiling or "HHB_PARTICIPANT_CEILING",
                 approved_by=approval.get("actor", "-"))]


def leefgeld_below_minimum(household: Household) -> list[SignalFact]:
    """The last pay date left the participant below the minimum leefgeld: the buffer had
    no room left (or may not pay leefgeld). Someone has to see this household now."""
    short_on = household.leefgeld_short_on
    if short_on is None or not household.leefgeld_short:
        return []
    minimum = household.minimum_leefgeld
    return [fact(LEEFGELD_BELOW_MINIMUM, None, short_on, household.leefgeld_short, pay_date=short_on,
                 minimum=minimum, paid=(minimum - household.leefgeld_short).max(Money.zero()),
                 short=household.leefgeld_short)]


def structural_deficit(household: Household, as_of: date) -> list[SignalFact]:
    """The agreements' charges plus the minimum leefgeld exceed the agreements' incomes,
    per year, as of today: a household cannot live on what comes in."""
    incomes, charges = Money.zero(), Money.zero()
    for agreement in household.agreements_on(as_of):
        amount = agreement.expected_on(as_of) if agreement.kind == "income" else agreement.amount_on(as_of)
        yearly = amount.times_fraction(agreement.schedule.periods_per_year(), 1)
        if agreement.kind == "income":
            incomes = incomes + yearly
        else:
            charges = charges + yearly
    needed = charges + household.minimum_leefgeld.times_fraction(12, 1)
    if needed <= incomes:
        return []
    gap = (needed - incomes).times_fraction(1, 12)
    return [fact(STRUCTURAL_DEFICIT, None, "-", gap, monthly_gap=gap,
                 monthly_incomes=incomes.times_fraction(1, 12), monthly_charges=charges.times_fraction(1, 12),
                 minimum_leefgeld=household.minimum_leefgeld)]


def moratoria_ending(household: Household, as_of: date) -> list[SignalFact]:
    """A moratorium ending within 30 days: the worklist shows it, so the coach hears from
    debt counselling before the arrangements' terms are paid again."""
    return [fact(MORATORIUM_ENDING, None, row["until"], Money.zero(), start=row["from"], until=row["until"],
                 reason=row["reason"])
            for row in household.moratoria_ending(as_of)]


def external(partner: str, amount: Money, start: date, signal_date: date, crisis: bool,
             reference: str = "") -> SignalFact:
    """A creditor's report of arrears (VNG vroegsignalering)."""
    if partner not in PARTNER_TYPES:
        raise ValueError(f"partner type: {partner!r} is not one of {', '.join(PARTNER_TYPES)}")
    return SignalFact(EXTERNAL, partner.lower(), start.isoformat(), CRITICAL if crisis else HIGH, amount,
                      {"partner": partner, "amount": str(amount), "arrears_since": start.isoformat(),
                       "signal_date": signal_date.isoformat(), "crisis": str(crisis).lower(),
                       "reference": reference})
