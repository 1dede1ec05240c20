"""The money invariants on the Household aggregate itself, over 24 months (hypothesis).

The pure rules are property-tested in test_paydate.py; here the whole aggregate is:
schedules, amount changes, reservations, bookings, returns and the pay dates together.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huishoudboekje.domain.agreement import CHARGE, DEFAULT_PRIORITY, INCOME, Agreement, AmountFrom, Counterparty, Participant
from huishoudboekje.domain.household import Household, HouseholdError
from huishoudboekje.domain.money import Money, total
from huishoudboekje.domain.schedule import Schedule

START = date(2026, 11, 1)
CREDITORS = ["NL20INGB0001234567", "NL91ABNA0417164300", "NL28RABO0300400500", "NL49INGB0002343434",
             "NL67INGB0006543210", "NL34INGB0417164301"]
PARTICIPANT = "NL44RABO0123456789"
PARTNER = "NL69INGB0123456789"  # a second adult with leefgeld of their own
SHARES = [None, ("1/2", "1/2"), ("1/3", "2/3"), ("0.99", "0.01")]
DEBT_CREDITORS = ["NL02ABNA0123456789", "NL69INGB0123456789", "NL86INGB0002445588"]
CATEGORIES = ["huur", "energie", "water", "zorgverzekering", "gemeentelijke-belastingen", "overig"]

cents = st.integers(min_value=1, max_value=150_000).map(Money.from_cents)


@st.composite
def charges(draw, index):
    category = draw(st.sampled_from(CATEGORIES))
    kind = draw(st.sampled_from(["month", "month", "quarter", "year"]))
    day = draw(st.integers(1, 31))
    months = {"month": (), "quarter": draw(st.sampled_from([(2, 5, 8, 11), (1, 3, 7, 9)])),
              "year": tuple(sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=2))))}[kind]
    amounts = [AmountFrom(START, draw(cents))]
    if draw(st.booleans()):
        amounts.append(AmountFrom(START + timedelta(days=draw(st.integers(30, 500))), draw(cents)))
    return Agreement(id=f"c{index}", kind=CHARGE, category=category,
                     counterparty=Counterparty(f"Creditor {index}", CREDITORS[index % len(CREDITORS)]),
                     amounts=tuple(amounts), schedule=Schedule(every=kind, start=START, day=day, months=months),
                     priority=DEFAULT_PRIORITY[category])


def participants(shares: tuple[str, str] | None) -> list[Participant]:
    if shares is None:
        return [Participant("P", PARTICIPANT)]
    return [Participant("P", PARTICIPANT, share=shares[0]), Participant("Q", PARTNER, share=shares[1])]


@st.composite
def households(draw):
    household = Household(dossier="HHB-PROP", team="T", start=START,
                          pay_day=draw(st.sampled_from([1, 15, 25, 28, "last-business-day"])),
                          buffer_limit=draw(st.integers(0, 300_000).map(Money.from_cents)),
                          minimum_leefgeld=draw(st.integers(0, 50_000).map(Money.from_cents)),
                          leefgeld_schedule=draw(st.sampled_from(["monthly", "weekly"])),
                          execute_on=draw(st.sampled_from(["pay-date", "due-date"])),
                          participants=participants(draw(st.sampled_from(SHARES))), account=None, actor="t")
    settings = {"buffer_covers_leefgeld": draw(st.booleans()),
                "buffer_repayment_max": draw(st.none() | st.integers(1, 100_000).map(Money.from_cents))}
    if draw(st.booleans()):
        settings["leefgeld_target"] = household.minimum_leefgeld + draw(st.integers(0, 100_000).map(Money.from_cents))
    household.change_settings(settings, "t")
    for index in range(draw(st.integers(1, 6))):
        household.add_agreement(draw(charges(index)), "t")
    household.add_agreement(Agreement(
        id="inkomen", kind=INCOME, category="bijstand", counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
        amounts=(AmountFrom(START, Money("1000.00")),),
        schedule=Schedule(every="month", start=START, day=25)), "t")
    add_debts(draw, household)
    return household


@st.composite
def debt_terms(draw):
    """A debt and, perhaps, its arrangement: (amount, monthly or None, first term's month, terms or None)."""
    amount = draw(st.integers(1, 300_000).map(Money.from_cents))
    if not draw(st.booleans()):
        return amount, None, 0, None
    return (amount, draw(st.integers(1, 60_000).map(Money.from_cents)), draw(st.integers(0, 12)),
            draw(st.none() | st.integers(1, 12)))


def add_debts(draw, household: Household) -> None:
    """Up to three debts at intake, some with a payment arrangement (a one-off when it has one
    term), and perhaps a moratorium that pauses them (issue 23)."""
    for index, (amount, monthly, month, terms) in enumerate(draw(st.lists(debt_terms(), max_size=3))):
        household.add_debt(f"Schuldeiser {index}", DEBT_CREDITORS[index], amount, date(2025, 6, 1),
                           "overig", f"KENMERK-{index}", "intake", "t")
        if monthly is not None:
            household.add_arrangement(f"S{index + 1}", monthly, START + timedelta(days=31 * month), terms, "t")
    if household.arrangements and draw(st.booleans()):
        start = START + timedelta(days=draw(st.integers(0, 400)))
        household.start_moratorium(start, start + timedelta(days=draw(st.integers(0, 180))), "schuldhulp", "t")


PAY_DAYS = [1, 15, 25, 28, "last-business-day"]


def assert_shares_kept(household: Household, issued: list) -> None:
    """Each leefgeld part goes to the participants by their shares: a second participant's
    share is its exact share rounded down; without shares it all goes to the first."""
    parts: dict[int, dict[str, Money]] = {}
    for i in issued:
        if i.kind == "leefgeld":
            parts.setdefault(i.part, {})[i.creditor_iban] = i.amount
    second = household.participants[-1]
    for paid in parts.values():
        whole = total(paid.values())
        if second.share is None:
            assert set(paid) == {PARTICIPANT}
        else:
            share = Fraction(second.share)
            assert paid.get(PARTNER, Money.zero()).cents == whole.cents * share.numerator // share.denominator


def assert_terms_accounted_for(household: Household, pay_date: date | None = None) -> None:
    """Every term paid (and not returned) is off its debt, and no more than the debt, its monthly
    amount or its number of terms allow; a moratorium's pay date pays none; each arrangement is
    paid at most one term a pay date, and a term the pot could not pay is missed, not part-paid."""
    terms = [i for i in household.instructions.values() if i.kind == "arrangement" and i.status != "returned"]
    for row in household.arrangement_rows():
        arrangement = household.arrangements[row["arrangement"].rsplit(":", 1)[1]]
        debt = household.debts[arrangement["debt"]]
        mine = [i for i in terms if i.agreement_id == f"regeling:{arrangement['id']}"]
        paid = total(i.amount for i in mine)
        assert Money(debt["amount"]) - Money(debt["remaining"]) == paid == Money(row["paid"])
        assert Money(debt["remaining"]) >= Money.zero() and row["paid_terms"] == len(mine)
        assert all(i.amount <= Money(arrangement["monthly"]) and i.pay_date >= date.fromisoformat(arrangement["start"])
                   and not household.paused_on(i.pay_date) for i in mine)
        assert len({i.pay_date for i in mine}) == len(mine)
        assert arrangement["terms"] is None or len(mine) <= arrangement["terms"]
    if pay_date is not None:
        missed = {s.agreement_id for s in household.signals.values()
                  if s.rule == "term-missed" and s.period == pay_date.isoformat()}
        paid_now = {i.agreement_id for i in terms if i.pay_date == pay_date}
        assert not missed & paid_now


@settings(max_examples=150)
@given(households(), st.lists(st.integers(0, 400_000), min_size=24, max_size=24), st.data())
def test_every_euro_is_accounted_for_at_every_pay_date(household, incomes, data):
    booked, paid_periods, ids = 0, set(), set()
    creditors = {a.counterparty.iban for a in household.agreements.values()} | {PARTICIPANT, PARTNER}
    creditors |= set(DEBT_CREDITORS)
    change_in = data.draw(st.one_of(st.none(), st.integers(1, 22)), label="pay day changes in month")
    end_in = data.draw(st.one_of(st.none(), st.integers(1, 22)), label="participation ends in month")
    day = START
    for month, income in enumerate(incomes):
        active = household.status == "active"
        income = income if active else 0
        if active and month == change_in and household.last_pay_date is not None:  # staff moves the pay day
            household.change_pay_day(data.draw(st.sampled_from(PAY_DAYS), label="new pay day"),
                                     max(day, household.last_pay_date + timedelta(days=1)), "t")
        if active and month == end_in:  # the household leaves; its last income still comes in
            household.end_participation(day + timedelta(days=data.draw(st.integers(4, 30))), "t")
        if income:
            household.book_income(f"t{month}", "inkomen", Money.from_cents(income), day + timedelta(days=3), "t")
            booked += income
        for pay_date in household.pay_dates_between(day, day + timedelta(days=31)):
            household.pay(pay_date, "NL39BNGH0285009999")
            issued = household.instructions_of(pay_date)
            for instruction in issued:
                assert instruction.amount.is_positive and instruction.creditor_iban in creditors
                assert instruction.id not in ids  # a part-payment has an id of its own, too
                ids.add(instruction.id)
                # A charge period is paid in full once, unless returned (part-payments and
                # the payment of the rest after them are in arrears in between).
                if instruction.kind != "leefgeld" and not instruction.rest:
                    key = (instruction.agreement_id, instruction.period)
                    assert key not in paid_periods
                    paid_periods.add(key)
            if household.settled_on == pay_date:  # nothing held but a reserve for a charge still owed
                assert household.pot == Money.zero()
                assert set(household.reserves) <= {d.agreement_id for d in household.arrears}
            if issued and data.draw(st.integers(0, 9)) == 0:  # now and then the bank returns one,
                kept = data.draw(st.integers(0, issued[0].amount.cents - 1), label="fee kept by the bank")
                back = Money.from_cents(issued[0].amount.cents - kept)  # less what a returning bank keeps
                household.return_payment(issued[0].id, f"r{month}", pay_date, back)
                paid_periods.discard((issued[0].agreement_id, issued[0].period))
            out = household.totals["out"].cents
            returned = household.totals["returned"].cents
            assert booked + returned == out + household.held().cents - household.buffer_outstanding.cents
            assert Money.zero() <= household.buffer_outstanding <= household.buffer_limit.max(Money.zero())
            assert_terms_accounted_for(household, pay_date)
            assert_shares_kept(household, issued)
        # An income of a period on or before the last pay date that it did not have (its value
        # date came after): the next night supplements that pay date with it.
        found = household.supplement_late_incomes(day, day + timedelta(days=31), "NL39BNGH0285009999")
        for payment in found.payments if found else ():
            assert payment.amount.is_positive and payment.creditor_iban in creditors
            if payment.kind != "leefgeld" and not payment.rest:  # a part-payment leaves the period in arrears
                assert (payment.agreement_id, payment.period) not in paid_periods
                paid_periods.add((payment.agreement_id, payment.period))
        out, returned = household.totals["out"].cents, household.totals["returned"].cents
        assert booked + returned == out + household.held().cents - household.buffer_outstanding.cents
        assert Money.zero() <= household.buffer_outstanding <= household.buffer_limit.max(Money.zero())
        assert_terms_accounted_for(household)
        day += timedelta(days=31)
    if household.status != "active":
        assert household.settled_on is not None  # once, at the first business day after the end
    assert total(household.reserves.values()) >= Money.zero()
    # Every period of every charge from the first pay date on is paid or in arrears: none
    # is forgotten, also when the pay day moved (and none was paid twice, above).
    first = household.pay_date_on_or_after(START)
    due = {(a.id, d) for a in household.agreements.values() if a.kind == CHARGE
           for d in a.schedule.occurrences(first, household.charges_from - timedelta(days=1))}
    covered = {(a, d) for a, d in paid_periods if not a.startswith("regeling:")}  # the terms are checked above
    covered |= {(d.agreement_id, d.due) for d in household.arrears}
    assert due <= covered
    # More only after the end: a cycle that ran before the end was recorded offered them.
    assert all(household.end is not None and day > household.end for _, day in covered - due)


# -- a change of pay day: cycles follow each other without gap or overlap -------------------


def monthly_household(pay_day, due_days=(1, 5, 12, 20, 27)) -> Household:
    household = Household(dossier="HHB-PAYDAY", team="T", start=START, pay_day=pay_day,
                          buffer_limit=Money("5000.00"), minimum_leefgeld=Money("0.00"),
                          leefgeld_schedule="monthly", execute_on="pay-date",
                          participants=[Participant("P", PARTICIPANT)], account=None, actor="t")
    for n, day in enumerate(due_days):
        household.add_agreement(Agreement(
            id=f"due-{day}", kind=CHARGE, category="overig",
            counterparty=Counterparty(f"Creditor {n}", CREDITORS[n % len(CREDITORS)]),
            amounts=(AmountFrom(START, Money("10.00")),),
            schedule=Schedule(every="month", start=START, day=day), priority=1), "t")
    return household


def run_nightly(household: Household, until: date, change=None) -> dict:
    """Every night from START to `until`, as the job runs; `change`: (night, pay day, effective)."""
    return run_nightly_from(household, START, until, change)


def run_nightly_from(household: Household, first: date, until: date, change=None) -> dict:
    """The (agreement, period)s paid, as charges or arrears, and on which pay dates."""
    paid: dict = {}
    night = first
    while night <= until:
        if change and night == change[0]:
            household.change_pay_day(change[1], change[2], "t")
        for pay_date in household.pay_dates_between(night, night):
            household.pay(pay_date, "NL39BNGH0285009999")
            for instruction in household.instructions_of(pay_date):
                if instruction.kind in ("charge", "arrears"):
                    paid.setdefault((instruction.agreement_id, instruction.period), []).append(pay_date)
        night += timedelta(days=1)
    return paid


def test_moving_the_pay_day_earlier_pays_no_period_twice():
    # Paid on 24 December for the cycle up to 25 January; from 25 December the pay day is
    # the 1st, so the next pay date is 31 December (1 January is closed). Charges due up
    # to 25 January were paid on 24 December and are not paid again on 31 December.
    household = monthly_household(25)
    paid = run_nightly(household, date(2027, 3, 31), change=(date(2026, 12, 25), 1, date(2026, 12, 25)))
    assert {p: v for p, v in paid.items() if len(v) > 1} == {}
    assert paid[("due-12", date(2027, 1, 12))] == [date(2026, 12, 24)]
    assert paid[("due-27", date(2027, 1, 27))] == [date(2026, 12, 31)]  # after 25 January: next cycle
    assert paid[("due-1", date(2027, 2, 1))] == [date(2027, 2, 1)]


def test_moving_the_pay_day_later_pays_what_fell_due_in_between():
    # Paid on 31 December for the cycle up to 1 February; from 20 January the pay day is
    # the 15th, so 1 February is no pay date: what falls due from 1 to 15 February is
    # paid on 15 February, late but not forgotten.
    household = monthly_household(1)
    paid = run_nightly(household, date(2027, 3, 31), change=(date(2027, 1, 10), 15, date(2027, 1, 20)))
    assert [d for d in household.pay_dates_between(START, date(2027, 3, 31))] == []  # all paid
    assert sorted({p for v in paid.values() for p in v}) == [
        date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 15), date(2027, 3, 15)]
    assert paid[("due-1", date(2027, 2, 1))] == [date(2027, 2, 15)]
    assert paid[("due-12", date(2027, 2, 12))] == [date(2027, 2, 15)]
    assert paid[("due-20", date(2027, 2, 20))] == [date(2027, 2, 15)]
    assert {p: v for p, v in paid.items() if len(v) > 1} == {}
    first_pay_date = date(2026, 12, 1)
    expected = {(f"due-{d}", o) for d in (1, 5, 12, 20, 27) for o in
                household.agreements[f"due-{d}"].schedule.occurrences(first_pay_date, date(2027, 4, 14))}
    assert set(paid) == expected


@pytest.mark.parametrize("change", [(date(2026, 12, 2), 15, date(2027, 1, 20)),
                                    (date(2026, 12, 2), "last-business-day", date(2027, 1, 2)),
                                    (date(2026, 12, 2), 28, date(2027, 1, 29))])
def test_pay_dates_are_the_same_whether_run_nightly_or_caught_up(change):
    nightly, caught_up = monthly_household(1), monthly_household(1)
    run_nightly(nightly, date(2027, 6, 30), change=change)
    caught_up.change_pay_day(change[1], change[2], "t")
    for pay_date in caught_up.pay_dates_between(START, date(2027, 6, 30)):  # one catch-up run
        caught_up.pay(pay_date, "NL39BNGH0285009999")
    assert sorted(caught_up.paid_on) == sorted(nightly.paid_on)
    assert caught_up.charges_from == nightly.charges_from


# -- staff change a charge: every period once, and no money held for nothing -------------------


def charge(agreement_id: str, amount: str, every="month", day=1, months=(), start=START, priority=1,
           iban="NL20INGB0001234567") -> Agreement:
    return Agreement(id=agreement_id, kind=CHARGE, category="overig", counterparty=Counterparty("Creditor", iban),
                     amounts=(AmountFrom(start, Money(amount)),),
                     schedule=Schedule(every=every, start=start, day=day, months=months), priority=priority)


def with_income(household: Household, amount: str = "1000.00") -> Household:
    household.add_agreement(Agreement(
        id="inkomen", kind=INCOME, category="bijstand", counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
        amounts=(AmountFrom(START, Money(amount)),), schedule=Schedule(every="month", start=START, day=25)), "t")
    return household


def months_of(household: Household, first: date, last: date, income: str = "1000.00") -> list:
    """Book the income on the 25th and run every pay date, month by month; the instructions."""
    issued = []
    day = first
    while day <= last:
        booked = date(day.year, day.month, 25)
        if first <= booked <= last and f"t{booked}" not in household.bookings and Money(income):
            household.book_income(f"t{booked}", "inkomen", Money(income), booked, "t")
        for pay_date in household.pay_dates_between(day, day):
            household.pay(pay_date, "NL39BNGH0285009999")
            issued += household.instructions_of(pay_date)
        day += timedelta(days=1)
    return issued


@pytest.mark.parametrize("change", ["ended", "monthly now", "costs nothing now"])
def test_a_reserve_goes_back_to_the_household_once_its_charge_no_longer_needs_it(change):
    household = with_income(monthly_household(1, due_days=()))
    household.add_agreement(charge("belasting", "1200.00", every="year", day=15, months=(10,)), "t")
    months_of(household, START, date(2027, 4, 30))
    held = household.reserves["belasting"]
    assert held.is_positive  # reserved a part every cycle for October
    if change == "ended":
        household.end_agreement("belasting", date(2027, 5, 1), "t")
    elif change == "monthly now":
        household.revise_agreement(charge("belasting", "100.00", every="month", day=15), "t")
    else:
        household.change_amount("belasting", Money("0.00"), date(2027, 5, 1), "t")
    issued = months_of(household, date(2027, 5, 1), date(2027, 6, 1))  # pay date 1 June
    assert "belasting" not in household.reserves
    leefgeld = total(i.amount for i in issued if i.kind == "leefgeld")
    # Monthly from now: 15 May (after the last pay date, so paid late) and 15 June.
    monthly = Money("200.00") if change == "monthly now" else Money("0.00")
    assert leefgeld == Money("1000.00") - monthly + held  # the reserve is paid out with the leefgeld


def test_arrears_of_an_irregular_charge_are_paid_from_its_own_reserve():
    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"buffer_limit": Money("0.00")}, "t")
    household.add_agreement(charge("huur", "600.00"), "t")
    household.add_agreement(charge("belasting", "1200.00", every="year", day=15, months=(11,), priority=5), "t")
    months_of(household, START, date(2027, 10, 24))
    assert household.reserves["belasting"] == Money("1100.00")
    household.book_income("short", "inkomen", Money("600.00"), date(2027, 10, 25), "t")  # only part arrives
    issued = months_of(household, date(2027, 10, 26), date(2027, 11, 5))
    # Not in full: the reserve pays what it holds at once, the rest is in arrears.
    assert [(d.agreement_id, d.due, d.amount) for d in household.arrears] == [
        ("belasting", date(2027, 11, 15), Money("100.00"))]
    assert [(i.period, i.amount, i.rest) for i in issued if i.kind == "arrears"] == [
        (date(2027, 11, 15), Money("1100.00"), Money("100.00"))]
    assert "belasting" not in household.reserves
    household.book_income("rest", "inkomen", Money("400.00"), date(2027, 11, 3), "t")
    issued = months_of(household, date(2027, 11, 25), date(2027, 12, 31))
    assert household.arrears == []
    [paid] = [i for i in issued if i.kind == "arrears"]
    assert (paid.agreement_id, paid.period, paid.amount, paid.settled_before) == (
        "belasting", date(2027, 11, 15), Money("100.00"), Money("1100.00"))


def test_arrears_are_paid_to_the_iban_the_agreement_has_now():
    household = with_income(monthly_household(1, due_days=()))
    household.add_agreement(charge("huur", "600.00", iban="NL20INGB0001234567"), "t")
    [rent] = [i for i in months_of(household, START, date(2026, 12, 1)) if i.kind == "charge"]
    household.return_payment(rent.id, "R1", date(2026, 12, 3))  # wrong account: the bank sends it back
    household.revise_agreement(charge("huur", "600.00", iban="NL91ABNA0417164300"), "t")
    issued = months_of(household, date(2026, 12, 2), date(2027, 1, 1))
    assert {(i.kind, i.creditor_iban) for i in issued if i.agreement_id == "huur"} == {
        ("charge", "NL91ABNA0417164300"), ("arrears", "NL91ABNA0417164300")}


@pytest.mark.parametrize("old_day, new_day", [(10, 20), (20, 10)])
def test_moving_a_charges_due_day_pays_each_month_once(old_day, new_day):
    household = monthly_household(15, due_days=(old_day,))
    paid = run_nightly(household, date(2026, 12, 20))
    household.revise_agreement(charge(f"due-{old_day}", "10.00", day=new_day), "t")
    paid.update({k: paid.get(k, []) + v for k, v in run_nightly_from(household, date(2026, 12, 21),
                                                                      date(2027, 4, 30)).items()})
    months = sorted((period.year, period.month) for (_, period) in paid)
    assert months == sorted(set(months))  # no month twice
    assert months == [(2026, 11), (2026, 12), (2027, 1), (2027, 2), (2027, 3), (2027, 4), (2027, 5)][
        :len(months)] or months[0] == (2026, 12)
    first, last = months[0], months[-1]
    assert len(months) == (last[0] - first[0]) * 12 + last[1] - first[1] + 1  # no month skipped


@pytest.mark.parametrize("how", ["added", "started earlier"])
def test_a_charge_added_in_a_cycle_that_has_run_is_paid_late_not_forgotten(how):
    household = monthly_household(25, due_days=(1,))
    run_nightly(household, date(2027, 1, 10))  # the cycle of 24 December runs to 25 January
    energie = charge("energie", "80.00", day=15, start=date(2027, 1, 15))
    if how == "added":
        household.add_agreement(energie, "t")
    else:
        household.add_agreement(charge("energie", "80.00", day=15, start=date(2027, 3, 15)), "t")
        household.revise_agreement(energie, "t")
    next_pay, late = household.charges_paid_late()
    assert (next_pay, [(d.agreement_id, d.due) for d in late]) == (date(2027, 1, 25), [("energie", date(2027, 1, 15))])
    paid = run_nightly_from(household, date(2027, 1, 11), date(2027, 3, 31))
    assert paid[("energie", date(2027, 1, 15))] == [date(2027, 1, 25)]  # late, after the current charges
    assert paid[("energie", date(2027, 2, 15))] == [date(2027, 1, 25)]
    assert paid[("energie", date(2027, 3, 15))] == [date(2027, 2, 25)]


def replayed_as_written_before(household: Household, field: str) -> Household:
    """The household replayed from its events, its PayDateRuns without `field`, as an
    older version wrote them."""
    events = household.collect_events()
    for e in events:
        if type(e).__name__ == "PayDateRun":
            del e.__dict__[field]
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    return replayed


def test_pay_dates_recorded_before_charges_remembered_their_periods_still_replay():
    # Events written before 2026-11 carry no `offered`: what they paid, or left in
    # arrears, counts as offered, and the household replays to the same periods.
    household = monthly_household(1, due_days=(5, 20))
    run_nightly(household, date(2027, 1, 31))
    replayed = replayed_as_written_before(household, "offered")
    assert replayed.charged_through == household.charged_through == {
        "due-5": date(2027, 1, 5), "due-20": date(2027, 1, 20)}
    assert replayed.pay_dates_between(START, date(2027, 3, 31)) == [date(2027, 2, 1), date(2027, 3, 1)]


# -- the end of participation: what is held is paid out, once ---------------------------------


def test_ending_participation_pays_out_what_the_household_holds_the_next_business_day():
    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"buffer_limit": Money("500.00")}, "t")
    household.add_agreement(charge("huur", "600.00"), "t")
    household.add_agreement(charge("belasting", "1200.00", every="year", day=15, months=(10,), priority=5), "t")
    months_of(household, START, date(2027, 2, 24))
    household.book_income("short", "inkomen", Money("550.00"), date(2027, 2, 25), "t")  # short of rent + reserve
    months_of(household, date(2027, 2, 26), date(2027, 3, 1))
    owed, reserves = household.buffer_outstanding, total(household.reserves.values())
    assert owed.is_positive and reserves.is_positive
    household.book_income("march", "inkomen", Money("1000.00"), date(2027, 3, 10), "t")
    household.end_participation(date(2027, 3, 13), "t")  # a Saturday
    assert household.pay_dates_between(date(2027, 3, 2), date(2027, 12, 31)) == [date(2027, 3, 15)]
    result = household.pay(date(2027, 3, 15), "NL39BNGH0285009999")
    paid = household.instructions_of(date(2027, 3, 15))
    assert [(i.kind, i.amount) for i in paid] == [("leefgeld", Money("1000.00") + reserves - owed)]
    assert result.repaid == owed and household.buffer_outstanding == Money("0.00")
    assert household.held() == Money("0.00") and household.reserves == {}
    assert household.pay_dates_between(date(2027, 3, 2), date(2028, 12, 31)) == []  # settled once
    assert household.pay(date(2027, 3, 16), "NL39BNGH0285009999") is None
    assert household.totals["in"] == household.totals["out"] + household.held() - household.buffer_outstanding


def test_the_final_settlement_pays_no_new_advance_and_keeps_what_is_still_owed():
    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"buffer_limit": Money("700.00")}, "t")
    household.add_agreement(charge("huur", "600.00"), "t")
    months_of(household, START, date(2026, 12, 1), income="0.00")  # no income: the buffer pays the rent
    assert household.buffer_outstanding == Money("600.00")
    household.book_income("some", "inkomen", Money("100.00"), date(2026, 12, 10), "t")
    household.end_participation(date(2026, 12, 15), "t")
    result = household.pay(date(2026, 12, 16), "NL39BNGH0285009999")
    assert result.repaid == Money("100.00") and result.advanced == Money("0.00")
    assert household.instructions_of(date(2026, 12, 16)) == []  # nothing left for leefgeld
    assert household.buffer_outstanding == Money("500.00")  # still owed: the buffer signal says so
    household.update_signals(date(2026, 12, 16), unrepaid_cycles=3)
    assert [(s.rule, s.amount) for s in household.signals.values() if s.is_open] == [
        ("buffer-drawn", Money("500.00"))]


def test_an_income_of_the_time_it_took_part_is_booked_after_the_end_until_the_settlement():
    household = with_income(monthly_household(1, due_days=()))
    household.end_participation(date(2027, 3, 31), "t")  # recorded ahead of time
    household.book_income("march", "inkomen", Money("1000.00"), date(2027, 3, 25), "t")
    with pytest.raises(HouseholdError, match="ended its participation"):
        household.book_income("april", "inkomen", Money("1000.00"), date(2027, 4, 25), "t")
    for pay_date in household.pay_dates_between(START, date(2027, 4, 30)):
        household.pay(pay_date, "NL39BNGH0285009999")
    assert household.settled_on == date(2027, 4, 1)
    assert [(i.kind, i.amount) for i in household.instructions_of(date(2027, 4, 1))] == [
        ("leefgeld", Money("1000.00"))]
    with pytest.raises(HouseholdError, match="ended its participation"):
        household.book_income("late", "inkomen", Money("5.00"), date(2027, 3, 30), "t")


def test_an_amount_changed_after_its_period_was_paid_is_a_signal_and_arrears_follow_it():
    household = with_income(monthly_household(25, due_days=()))
    household.change_settings({"buffer_limit": Money("0.00")}, "t")
    household.add_agreement(charge("huur", "700.00"), "t")
    household.add_agreement(charge("water", "900.00", day=5, priority=3), "t")
    # 24 December pays January's rent; water cannot be paid in full, and is part-paid
    # with what is left (300.00 on 25 November and 300.00 on 24 December).
    months_of(household, START, date(2026, 12, 24))
    assert [(d.agreement_id, d.due, d.amount, d.paid) for d in household.arrears] == [
        ("water", date(2026, 12, 5), Money("300.00"), Money("600.00")),
        ("water", date(2027, 1, 5), Money("900.00"), Money("0.00"))]
    household.change_amount("huur", Money("750.00"), date(2027, 1, 1), "t")  # the rise, recorded late
    household.change_amount("water", Money("40.00"), date(2026, 12, 1), "t")  # corrected: it was 40
    household.update_signals(date(2026, 12, 28), unrepaid_cycles=3)
    differs = [s for s in household.signals.values() if s.rule == "paid-amount-differs"]
    assert sorted((s.agreement_id, s.period, s.details["difference"]) for s in differs) == [
        ("huur", "2027-01-01", "50.00"), ("water", "2026-12-05", "-860.00")]  # part-paid as a 900.00 period
    issued = months_of(household, date(2026, 12, 25), date(2027, 1, 25))
    # December's water owes nothing more (600.00 paid of 40.00: the signal is staff's to
    # settle); January's follows the corrected amount.
    assert sorted((i.period, i.amount) for i in issued if i.kind == "arrears") == [
        (date(2027, 1, 5), Money("40.00"))]
    assert household.arrears == []


def test_an_end_recorded_after_its_settlement_date_is_settled_by_the_next_run():
    household = with_income(monthly_household(1, due_days=()))
    run_nightly(household, date(2026, 12, 9))
    household.book_income("dec", "inkomen", Money("1000.00"), date(2026, 12, 10), "t")
    run_nightly_from(household, date(2026, 12, 10), date(2026, 12, 14))
    household.end_participation(date(2026, 12, 11), "t")  # recorded on the 15th: its settlement date has passed
    assert household.pay_dates_between(date(2026, 12, 15), date(2026, 12, 15)) == [date(2026, 12, 15)]
    run_nightly_from(household, date(2026, 12, 15), date(2027, 1, 31))
    assert household.settled_on == date(2026, 12, 15)
    assert [(i.kind, i.amount) for i in household.instructions_of(date(2026, 12, 15))] == [
        ("leefgeld", Money("1000.00"))]
    assert household.held() == Money("0.00")


def test_a_returned_irregular_payment_is_paid_again_from_the_pot_it_came_back_to():
    # The returned 300 is back in the pot; the reserve keeps saving for May, so the
    # household's leefgeld stays level instead of paying for the return twice.
    household = with_income(monthly_household(1, due_days=()))
    household.add_agreement(charge("water", "300.00", every="quarter", day=15, months=(2, 5, 8, 11), priority=3), "t")
    issued = months_of(household, START, date(2027, 2, 2))
    [water] = [i for i in issued if i.agreement_id == "water" and i.pay_date == date(2027, 2, 1)]
    household.return_payment(water.id, "R", date(2027, 2, 3))
    issued = months_of(household, date(2027, 2, 3), date(2027, 5, 2))
    assert [(i.pay_date, i.amount) for i in issued if i.kind == "leefgeld"] == [
        (date(2027, 3, 1), Money("900.00")), (date(2027, 4, 1), Money("900.00")), (date(2027, 4, 30), Money("900.00"))]
    assert [(i.kind, i.period) for i in issued if i.agreement_id == "water"] == [
        ("arrears", date(2027, 2, 15)), ("charge", date(2027, 5, 15))]


def test_a_late_period_that_cannot_be_paid_is_reported_as_new_arrears():
    household = monthly_household(1, due_days=())
    household.change_settings({"buffer_limit": Money("0.00")}, "t")
    run_nightly(household, date(2027, 1, 5))  # paid on 1 December and 31 December
    household.add_agreement(charge("energie", "80.00", day=10, start=date(2027, 1, 10)), "t")
    result = household.pay(date(2027, 2, 1), "NL39BNGH0285009999")
    assert sorted(d.due for d in result.new_arrears) == [date(2027, 1, 10), date(2027, 2, 10)]
    assert result.paid_arrears == ()


def test_a_snapshot_from_before_charges_remembered_their_periods_continues_the_same():
    # A snapshot of version 1 has no charges_from, charged_through, ...: the upcast
    # derives them from what version 1 ran, so the next pay date neither repeats nor
    # skips a period (it paid 10 January twice, or crashed on "period offered twice").
    from eventsourcing.domain import Snapshot

    household = monthly_household(15, due_days=(10, 27))
    household.add_agreement(charge("water", "90.00", every="quarter", day=5, months=(2, 5, 8, 11)), "t")
    run_nightly(household, date(2027, 1, 20))
    snapshot = Snapshot.take(household)
    assert snapshot.state.pop("class_version") == 5
    snapshot.state["instructions"] = dict(snapshot.state["instructions"])  # a dict, up to version 2
    for new in ("charges_from", "first_pay_date", "settled_on", "charged_through", "charged_schedule",
                "participant_ceiling", "on_hold", "on_hold_since", "release_approval", "released",
                "cycle_inputs", "cycle_paid", "supplemented_on", "supplements"):
        del snapshot.state[new]
    old = snapshot.mutate(None)
    assert (old.charges_from, old.charged_through) == (household.charges_from, household.charged_through)
    paid_old = run_nightly_from(old, date(2027, 1, 21), date(2027, 6, 30))
    paid_new = run_nightly_from(household, date(2027, 1, 21), date(2027, 6, 30))
    assert paid_old == paid_new and all(len(v) == 1 for v in paid_new.values())


def test_before_and_after_the_settlement_the_forecast_and_whats_left_show_it():
    from huishoudboekje.projections.left import what_is_left

    household = with_income(monthly_household(1, due_days=()))
    run_nightly(household, date(2026, 12, 9))
    household.book_income("dec", "inkomen", Money("1000.00"), date(2026, 12, 10), "t")
    household.end_participation(date(2026, 12, 15), "t")
    forecast = household.forecast(date(2026, 12, 11))
    assert (forecast.next_pay_date, forecast.expected_leefgeld) == (date(2026, 12, 16), Money("1000.00"))
    run_nightly_from(household, date(2026, 12, 10), date(2026, 12, 31))
    left = what_is_left(household, date(2026, 12, 20), None)
    assert left["cycle"]["pay_date"] == "2026-12-16" and left["leefgeld"]["paid"] == "1000.00"
    assert household.forecast(date(2026, 12, 20)).expected_leefgeld == Money("0.00")


def test_a_pay_date_no_run_could_pay_is_paid_by_the_next_run_not_skipped():
    # On 20 December staff move the pay day to the 15th from 10 December: 15 December
    # became a pay date after the night that would have paid it. The next night pays
    # that cycle, so the household does not wait until 15 January for its leefgeld.
    household = with_income(monthly_household(1, due_days=(5,)))
    run_nightly(household, date(2026, 12, 19))
    household.book_income("dec", "inkomen", Money("1000.00"), date(2026, 12, 12), "t")
    household.change_pay_day(15, date(2026, 12, 10), "t")
    assert household.pay_dates_between(date(2026, 12, 20), date(2026, 12, 20)) == []  # a Sunday
    assert household.pay_dates_between(date(2026, 12, 20), date(2026, 12, 21)) == [date(2026, 12, 21)]
    paid = run_nightly_from(household, date(2026, 12, 20), date(2027, 2, 28))
    assert [(i.kind, i.amount) for i in household.instructions_of(date(2026, 12, 21))] == [
        ("charge", Money("10.00")), ("leefgeld", Money("980.00"))]  # January's 5th, December's advance back
    assert all(len(v) == 1 for v in paid.values())
    assert household.pay_dates_between(date(2026, 12, 22), date(2027, 2, 28)) == []


@pytest.mark.parametrize("pay_day, first_night, due, first_pay_date", [
    (1, date(2026, 12, 2), date(2026, 12, 1), date(2026, 12, 1)),     # onboarded in the afternoon of 1 Dec
    (15, date(2026, 11, 20), date(2026, 11, 17), date(2026, 11, 13)),  # onboarded on 19 Nov, start 1 Nov
])
def test_the_first_cycle_paid_by_a_later_run_pays_every_charge_due_in_it(pay_day, first_night, due,
                                                                         first_pay_date):
    # The first pay date passed before any run saw the household: the next night pays
    # the first cycle, and a charge due between that pay date and that night is paid
    # then, not dropped without a trace.
    household = with_income(monthly_household(pay_day, due_days=(due.day,)))
    household.book_income("early", "inkomen", Money("1000.00"), START, "t")
    assert household.pay_date_on_or_after(START) == first_pay_date
    paid = run_nightly_from(household, first_night, date(2027, 2, 28))
    assert paid[(f"due-{due.day}", due)] == [first_night]
    assert all(len(v) == 1 for v in paid.values()) and household.arrears == []


@pytest.mark.parametrize("new_rent_starts", [date(2027, 1, 16), date(2027, 2, 1)])
def test_participation_ends_before_an_agreement_that_has_not_started(new_rent_starts):
    # Moving house: the new rent starts after the end. Ending participation must work
    # (it stopped with a schedule error) and the settlement must not pay the new rent,
    # also when it starts between the end and the settlement day.
    household = with_income(monthly_household(1, due_days=()))
    household.add_agreement(charge("huur", "600.00"), "t")
    household.add_agreement(charge("huur-nieuw", "750.00", day=new_rent_starts.day, start=new_rent_starts), "t")
    months_of(household, START, date(2026, 12, 20))
    household.end_participation(date(2027, 1, 15), "t")  # recorded before the cycle of 31 December
    assert household.status == "ended" and household.settlement_date() == date(2027, 1, 18)
    assert household.agreements["huur-nieuw"].schedule.occurrences(START, date(2028, 1, 1)) == []
    issued = months_of(household, date(2026, 12, 21), date(2027, 1, 10))
    assert "huur-nieuw" not in {i.agreement_id for i in issued}
    household.book_income("jan", "inkomen", Money("1000.00"), date(2027, 1, 12), "t")
    [settlement] = household.pay_dates_between(date(2027, 1, 11), date(2027, 3, 1))
    household.pay(settlement, "NL39BNGH0285009999")
    assert [(i.kind, i.amount) for i in household.instructions_of(settlement)] == [("leefgeld", Money("1000.00"))]
    assert household.held() == Money("0.00")


def test_rent_back_in_arrears_after_a_second_return_has_open_signals_again():
    # The rent is returned (wrong IBAN), paid again as arrears (its arrears signal clears
    # itself), and that payment is returned too: the rent is owed again, and staff must
    # see it, although they resolved the first return's signal.
    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"buffer_limit": Money("0.00")}, "t")
    household.add_agreement(charge("huur", "700.00"), "t")
    [rent] = [i for i in months_of(household, START, date(2026, 12, 1)) if i.kind == "charge"]
    household.return_payment(rent.id, "R1", date(2026, 12, 3))
    household.update_signals(date(2026, 12, 3), 3)
    arrears_key = "arrears:huur:2026-12-01"
    assert household.signals[arrears_key].is_open
    household.resolve_signal("payment-returned:huur:2026-12-01", date(2026, 12, 4), "staff", "IBAN corrected")
    [again] = [i for i in months_of(household, date(2026, 12, 2), date(2026, 12, 31)) if i.kind == "arrears"]
    household.update_signals(date(2026, 12, 31), 3)
    assert not household.signals[arrears_key].is_open  # paid: cleared itself
    household.return_payment(again.id, "R2", date(2027, 1, 5))
    household.update_signals(date(2027, 1, 5), 3)
    reopened = household.signals[arrears_key]
    assert reopened.is_open and [h["status"] for h in reopened.history] == ["open", "resolved", "open"]
    returned = [s for s in household.signals.values() if s.rule == "payment-returned" and s.is_open]
    assert [(s.period, s.amount) for s in returned] == [("2026-12-01", Money("700.00"))]
    assert not household.signals["payment-returned:huur:2026-12-01"].is_open  # staff's decision stands
    assert household.update_signals(date(2027, 1, 6), 3) == 0  # raised once, not every night


def test_a_quarterly_charge_in_uneven_months_is_spread_over_the_months_before_each_date():
    # 300.00 in January, March, July and September: the two months up to March bear
    # 150.00 each, the four up to July 75.00 each. Spread as if every quarter were three
    # months, March took 200.00 from the pot and leefgeld swung between 800 and 1000.
    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"buffer_limit": Money("0.00")}, "t")
    household.add_agreement(charge("water", "300.00", every="quarter", day=15, months=(1, 3, 7, 9)), "t")
    months_of(household, START, date(2027, 12, 31))
    leefgeld = []
    for pay_date in household.pay_dates_between(date(2028, 1, 2), date(2028, 9, 1)):  # February to September
        household.book_income(f"i{pay_date}", "inkomen", Money("1000.00"), pay_date, "t")
        leefgeld.append(str(household.pay(pay_date, "NL39BNGH0285009999").leefgeld))
    assert leefgeld == ["850.00"] * 2 + ["925.00"] * 4 + ["850.00"] * 2


def test_a_household_onboarded_months_after_its_start_pays_from_the_current_cycle_on():
    # Onboarded on 10 March with a start of 1 November: the months before were paid by
    # the household itself. The first run pays the cycle of 1 March (its rent, late),
    # not every rent since November from the buffer.
    household = with_income(monthly_household(1, due_days=(1,)))
    household.book_income("march", "inkomen", Money("1000.00"), date(2027, 3, 10), "t")
    paid = run_nightly_from(household, date(2027, 3, 11), date(2027, 3, 31))
    assert paid == {("due-1", date(2027, 3, 1)): [date(2027, 3, 11)]}
    assert household.buffer_outstanding == Money("0.00") and household.arrears == []


def test_a_first_pay_date_recorded_before_its_charges_start_replays_as_it_was_paid():
    # PayDateRun events written before 2026-12 say nothing of where the first cycle's
    # charges began: they replay as the code of then paid them (from the pay date on),
    # so a store gives the same household with or without a snapshot.
    household = with_income(monthly_household(15, due_days=(17,)))
    household.book_income("early", "inkomen", Money("1000.00"), START, "t")
    run_nightly_from(household, date(2026, 11, 20), date(2026, 11, 20))
    assert household.first_pay_date == date(2026, 11, 13)  # the catch-up of the pay date of 13 November
    replayed = replayed_as_written_before(household, "charges_start")
    assert replayed.first_pay_date == date(2026, 11, 20)


def test_each_returned_weekly_leefgeld_part_has_its_own_signal():
    # Part 1 comes back, staff resolve it (IBAN fixed); part 2 comes back too: news again.
    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"leefgeld_schedule": "weekly"}, "t")
    parts = [i for i in months_of(household, START, date(2026, 12, 1)) if i.kind == "leefgeld"]
    household.return_payment(parts[0].id, "R1", date(2026, 12, 2))
    household.update_signals(date(2026, 12, 2), 3)
    household.resolve_signal("payment-returned:leefgeld:2026-12-01", date(2026, 12, 3), "staff", "IBAN fixed")
    household.return_payment(parts[1].id, "R2", date(2026, 12, 9))
    household.update_signals(date(2026, 12, 9), 3)
    returned = [s for s in household.signals.values() if s.rule == "payment-returned" and s.is_open]
    assert [s.amount for s in returned] == [parts[1].amount]


def test_before_and_after_a_late_onboarded_households_first_run_the_forecast_and_whats_left_tell_the_truth():
    # Onboarded on 10 March (start 1 November), nothing received yet: the next night
    # pays March's rent from the buffer. The forecast says so, not '300.00 on 1 April'.
    from huishoudboekje.projections.left import what_is_left

    household = with_income(monthly_household(1, due_days=()))
    household.add_agreement(charge("huur", "700.00"), "t")
    forecast = household.forecast(date(2027, 3, 10))
    assert (forecast.next_pay_date, forecast.advance_needed) == (date(2027, 3, 11), Money("700.00"))
    run_nightly_from(household, date(2027, 3, 11), date(2027, 3, 11))
    assert household.buffer_outstanding == Money("700.00")
    left = what_is_left(household, date(2027, 3, 15), None)
    assert [(c["due"], c["status"], c["paid_on"]) for c in left["charges"]] == [("2027-03-01", "paid", "2027-03-11")]
