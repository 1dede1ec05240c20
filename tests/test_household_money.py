"""The money invariants on the Household aggregate itself, over 24 months (hypothesis).

The pure rules are property-tested in test_paydate.py; here the whole aggregate is:
schedules, amount changes, reservations, bookings, returns and the pay dates together.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from huishoudboekje.domain.agreement import CHARGE, DEFAULT_PRIORITY, INCOME, Agreement, AmountFrom, Counterparty, Participant
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money, total
from huishoudboekje.domain.schedule import Schedule

START = date(2026, 11, 1)
CREDITORS = ["NL20INGB0001234567", "NL91ABNA0417164300", "NL28RABO0300400500", "NL49INGB0002343434",
             "NL67INGB0006543210", "NL34INGB0417164301"]
PARTICIPANT = "NL44RABO0123456789"
CATEGORIES = ["huur", "energie", "water", "zorgverzekering", "gemeentelijke-belastingen", "overig"]

cents = st.integers(min_value=1, max_value=150_000).map(Money.from_cents)


@st.composite
def charges(draw, index):
    category = draw(st.sampled_from(CATEGORIES))
    kind = draw(st.sampled_from(["month", "month", "quarter", "year"]))
    day = draw(st.integers(1, 31))
    months = {"month": (), "quarter": (2, 5, 8, 11), "year": (draw(st.integers(1, 12)),)}[kind]
    amounts = [AmountFrom(START, draw(cents))]
    if draw(st.booleans()):
        amounts.append(AmountFrom(START + timedelta(days=draw(st.integers(30, 500))), draw(cents)))
    return Agreement(id=f"c{index}", kind=CHARGE, category=category,
                     counterparty=Counterparty(f"Creditor {index}", CREDITORS[index % len(CREDITORS)]),
                     amounts=tuple(amounts), schedule=Schedule(every=kind, start=START, day=day, months=months),
                     priority=DEFAULT_PRIORITY[category])


@st.composite
def households(draw):
    household = Household(dossier="HHB-PROP", team="T", start=START,
                          pay_day=draw(st.sampled_from([1, 15, 25, 28, "last-business-day"])),
                          buffer_limit=draw(st.integers(0, 300_000).map(Money.from_cents)),
                          minimum_leefgeld=draw(st.integers(0, 50_000).map(Money.from_cents)),
                          leefgeld_schedule=draw(st.sampled_from(["monthly", "weekly"])),
                          execute_on=draw(st.sampled_from(["pay-date", "due-date"])),
                          participants=[Participant("P", PARTICIPANT)], account=None, actor="t")
    for index in range(draw(st.integers(1, 6))):
        household.add_agreement(draw(charges(index)), "t")
    household.add_agreement(Agreement(
        id="inkomen", kind=INCOME, category="bijstand", counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
        amounts=(AmountFrom(START, Money("1000.00")),),
        schedule=Schedule(every="month", start=START, day=25)), "t")
    return household


@settings(max_examples=150)
@given(households(), st.lists(st.integers(0, 400_000), min_size=24, max_size=24), st.data())
def test_every_euro_is_accounted_for_at_every_pay_date(household, incomes, data):
    booked, paid_periods = 0, set()
    creditors = {a.counterparty.iban for a in household.agreements.values()} | {PARTICIPANT}
    day = START
    for month, income in enumerate(incomes):
        if income:
            household.book_income(f"t{month}", "inkomen", Money.from_cents(income), day + timedelta(days=3), "t")
            booked += income
        for pay_date in household.pay_dates_between(day, day + timedelta(days=31)):
            household.pay(pay_date, "NL39BNGH0285009999")
            issued = household.instructions_of(pay_date)
            for instruction in issued:
                assert instruction.amount.is_positive and instruction.creditor_iban in creditors
                if instruction.kind != "leefgeld":  # a charge period is paid once, unless returned
                    key = (instruction.agreement_id, instruction.period)
                    assert key not in paid_periods
                    paid_periods.add(key)
            if issued and data.draw(st.integers(0, 9)) == 0:  # now and then the bank returns one
                household.return_payment(issued[0].id, f"r{month}", pay_date)
                paid_periods.discard((issued[0].agreement_id, issued[0].period))
            out = household.totals["out"].cents
            returned = household.totals["returned"].cents
            assert booked + returned == out + household.held().cents - household.buffer_outstanding.cents
            assert Money.zero() <= household.buffer_outstanding <= household.buffer_limit.max(Money.zero())
        day += timedelta(days=31)
    assert total(household.reserves.values()) >= Money.zero()
