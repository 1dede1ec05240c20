"""Payment arrangements on debts (issue 23): paid on the pay date after the running
charges, the minimum leefgeld and the arrears of running charges, before reserves, buffer
repayment and the rest of the leefgeld; from the pot only; in full or not at all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huishoudboekje.domain.errors import DomainError, HouseholdError
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.paydate import PIPELINE, STEPS
from tests.unit.build import charge, household, income

WOONSTAD = "NL91ABNA0417164300"
ACCOUNT = "NL39BNGH0285009999"
DEC, JAN, FEB = date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 1)


def with_arrangement(monthly="72.00", terms=None, debt="1500.00", minimum="100.00", buffer_limit="0.00"):
    """Bijstand 1,000.00 on the 25th, rent 700.00 on the 1st, pay day 1; a debt of 1,500.00 with the
    landlord of last year, 72.00 a month from December."""
    made = household("HHB-2026-0001", income("bijstand", "1000.00"), charge("huur", "700.00"),
                     buffer_limit=buffer_limit)
    made.change_settings({"minimum_leefgeld": Money(minimum)}, "t")
    made.add_debt("Woonstad", WOONSTAD, debt, date(2025, 10, 1), "huur", "HUUR-2025-77", "intake", "t")
    ident = made.add_arrangement("HHB-2026-0001:S1", monthly, DEC, terms, "t")
    return made, ident


def paid(made, pay_date):
    return {(i.kind, i.agreement_id): i.amount for i in made.instructions_of(pay_date)}


def test_the_terms_step_runs_after_the_arrears_and_before_the_reserves():
    assert [step.__name__ for step in PIPELINE] == [
        "release_excess_reserves", "pay_charges_due", "set_aside_minimum_leefgeld", "pay_arrears", "pay_terms",
        "reserve_irregular", "repay_buffer", "pay_leefgeld"]
    assert [s for s in PIPELINE if s.__name__ != "pay_terms"] == list(STEPS)


def test_a_term_is_paid_after_the_rent_with_the_creditors_reference_and_the_debt_goes_down():
    made, ident = with_arrangement()
    assert ident == "HHB-2026-0001:R1"
    made.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
    made.pay(DEC, ACCOUNT)
    assert paid(made, DEC) == {("charge", "huur"): Money("700.00"), ("arrangement", "regeling:R1"): Money("72.00"),
                               ("leefgeld", None): Money("228.00")}
    [term] = [i for i in made.instructions_of(DEC) if i.kind == "arrangement"]
    assert (term.creditor_name, term.creditor_iban, term.reference, term.execution_date) == \
        ("Woonstad", WOONSTAD, "HUUR-2025-77", DEC)
    assert made.debt_rows()[0]["remaining"] == "1428.00"
    [row] = made.arrangement_rows()
    assert (row["paid_terms"], row["paid"], row["missed"], row["status"]) == (1, "72.00", 0, "active")


def test_a_short_month_skips_the_whole_term_with_a_signal_and_never_draws_the_buffer():
    made, _ = with_arrangement(buffer_limit="1200.00")
    made.book_income("t1", "bijstand", Money("850.00"), date(2026, 11, 25), "t")  # 150 less than usual
    made.pay(DEC, ACCOUNT)
    # rent 700, then the minimum 100: 50.00 is left, less than the term, so no part of it is paid
    assert paid(made, DEC) == {("charge", "huur"): Money("700.00"), ("leefgeld", None): Money("150.00")}
    assert made.buffer_outstanding == Money.zero()
    assert made.debt_rows()[0]["remaining"] == "1500.00"
    [signal] = [s for s in made.signals.values() if s.rule == "term-missed"]
    assert (signal.agreement_id, signal.period, signal.amount, signal.details["arrangement"]) == \
        ("regeling:R1", "2026-12-01", Money("72.00"), "HHB-2026-0001:R1")
    assert made.arrangement_rows()[0]["missed"] == 1


def test_arrears_of_running_charges_come_before_a_term():
    made, _ = with_arrangement()
    made.pay(DEC, ACCOUNT)  # nothing came in: the December rent is in arrears, the term missed
    made.book_income("t1", "bijstand", Money("1500.00"), date(2026, 12, 24), "t")
    made.pay(JAN, ACCOUNT)
    # January's rent 700, the minimum 100, then December's rent 700; 0.00 left for the term
    assert paid(made, JAN) == {("charge", "huur"): Money("700.00"), ("arrears", "huur"): Money("700.00"),
                               ("leefgeld", None): Money("100.00")}
    assert made.debt_rows()[0]["remaining"] == "1500.00"
    assert len([s for s in made.signals.values() if s.rule == "term-missed"]) == 2


def test_a_term_comes_before_buffer_repayment():
    made, _ = with_arrangement(buffer_limit="1200.00")
    made.pay(DEC, ACCOUNT)  # the buffer advances the rent and the minimum: 800.00 outstanding
    assert made.buffer_outstanding == Money("800.00")
    made.book_income("t1", "bijstand", Money("1000.00"), date(2026, 12, 24), "t")
    made.pay(JAN, ACCOUNT)
    # rent 700, minimum 100, term 72, then 128.00 repays the buffer and no leefgeld is left above the minimum
    assert paid(made, JAN) == {("charge", "huur"): Money("700.00"), ("arrangement", "regeling:R1"): Money("72.00"),
                               ("leefgeld", None): Money("100.00")}
    assert made.buffer_outstanding == Money("672.00")


def test_a_one_off_payment_is_one_term_and_the_last_term_is_what_is_left():
    made, _ = with_arrangement(monthly="150.00", terms=1, debt="1500.00")
    for month, day in enumerate([DEC, JAN]):
        made.book_income(f"t{month}", "bijstand", Money("1000.00"), day - timedelta(days=6), "t")
        made.pay(day, ACCOUNT)
    assert paid(made, DEC)[("arrangement", "regeling:R1")] == Money("150.00")
    assert ("arrangement", "regeling:R1") not in paid(made, JAN)
    assert made.arrangement_rows()[0]["status"] == "completed"
    small, _ = with_arrangement(monthly="72.00", debt="100.00")
    for month, day in enumerate([DEC, JAN, FEB]):
        small.book_income(f"t{month}", "bijstand", Money("1000.00"), day - timedelta(days=6), "t")
        small.pay(day, ACCOUNT)
    assert [paid(small, d).get(("arrangement", "regeling:R1")) for d in (DEC, JAN, FEB)] == \
        [Money("72.00"), Money("28.00"), None]
    assert small.debt_rows()[0]["remaining"] == "0.00" and small.arrangement_rows()[0]["status"] == "completed"


def test_a_returned_term_is_owed_again_and_a_pay_date_pays_once():
    made, _ = with_arrangement()
    made.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
    made.pay(DEC, ACCOUNT)
    assert made.pay(DEC, ACCOUNT) is None  # run again: nothing more
    [term] = [i for i in made.instructions_of(DEC) if i.kind == "arrangement"]
    made.return_payment(term.id, "ret1", date(2026, 12, 3))
    assert made.debt_rows()[0]["remaining"] == "1500.00"
    assert made.arrangement_rows()[0]["paid_terms"] == 0 and made.pot == Money("72.00")


def test_the_same_events_give_the_same_instruction_ids():
    first, _ = with_arrangement()
    second, _ = with_arrangement()
    for made in (first, second):
        made.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
        made.pay(DEC, ACCOUNT)
    assert [i.id for i in first.instructions_of(DEC)] == [i.id for i in second.instructions_of(DEC)]


@pytest.mark.parametrize("debt, monthly, terms, words", [
    ("S9", "72.00", None, "no debt"), ("S1", "0.00", None, "more than 0.00"), ("S1", "72.00", 0, "one term"),
    ("OTHER:S1", "72.00", None, "no debt")])
def test_a_wrong_arrangement_is_refused_and_nothing_is_written(debt, monthly, terms, words):
    made, _ = with_arrangement()
    made.collect_events()
    with pytest.raises(DomainError, match=words):
        made.add_arrangement(debt, monthly, DEC, terms, "t")
    assert made.collect_events() == []


def test_a_debt_has_one_running_arrangement():
    made, _ = with_arrangement()
    with pytest.raises(HouseholdError, match="running arrangement"):
        made.add_arrangement("S1", "50.00", DEC, None, "t")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 150_000), min_size=8, max_size=8), st.integers(1, 30_000),
       st.integers(0, 150_000), st.integers(0, 20_000), st.integers(0, 1))
def test_the_books_balance_with_arrangements(incomes, monthly, limit, minimum, returns):
    made, _ = with_arrangement(monthly=str(Money.from_cents(monthly)), debt="900.00",
                               minimum=str(Money.from_cents(minimum)), buffer_limit=str(Money.from_cents(limit)))
    booked, day = Money.zero(), date(2026, 11, 20)
    for month, cents in enumerate(incomes):
        if cents:
            made.book_income(f"t{month}", "bijstand", Money.from_cents(cents), day, "t")
            booked = booked + Money.from_cents(cents)
        for pay_date in made.pay_dates_between(day, day + timedelta(days=31)):
            made.pay(pay_date, ACCOUNT)
            terms = [i for i in made.instructions_of(pay_date) if i.kind == "arrangement"]
            assert all(i.amount == min(Money.from_cents(monthly), i.amount) for i in terms)
            if terms and returns:
                made.return_payment(terms[0].id, f"r{month}", pay_date)
        out, back = made.totals["out"], made.totals["returned"]
        assert booked + back == out + made.held() - made.buffer_outstanding  # incomes in == paid out + held - buffer
        paid_terms = sum((i.amount for i in made.instructions.values() if i.kind == "arrangement"
                          and i.status != "returned"), Money.zero())
        assert Money(made.debt_rows()[0]["remaining"]) == Money("900.00") - paid_terms >= Money.zero()
        day += timedelta(days=31)


def test_a_late_income_pays_the_missed_term_as_an_on_time_income_would_have():
    made, _ = with_arrangement()
    made.book_income("t1", "bijstand", Money("850.00"), date(2026, 11, 25), "t")
    made.pay(DEC, ACCOUNT)  # 50.00 left after rent and the minimum: the term is missed
    made.add_agreement(income("nabetaling", "100.00", day=30), "t")
    made.book_income("t2", "nabetaling", Money("100.00"), date(2026, 11, 30), "t")  # booked after the pay date
    found = made.supplement_late_incomes(date(2026, 12, 2), date(2026, 12, 2), ACCOUNT)
    assert found is not None
    assert {(p.kind, p.agreement_id): p.amount for p in found.payments} == {
        ("arrangement", "regeling:R1"): Money("72.00"), ("leefgeld", None): Money("28.00")}
    assert made.debt_rows()[0]["remaining"] == "1428.00" and made.arrangement_rows()[0]["paid_terms"] == 1


# -- moratoria -------------------------------------------------------------------------------


def test_a_moratorium_pauses_the_terms_freezes_the_debt_and_the_terms_resume_after_it():
    made, _ = with_arrangement()
    made.start_moratorium(date(2027, 1, 15), date(2027, 3, 15), "schuldhulpverlening Plangroep", "t")
    days, runs = [DEC, JAN, FEB, date(2027, 3, 1), date(2027, 4, 1)], []
    for month, day in enumerate(days):
        made.book_income(f"t{month}", "bijstand", Money("1000.00"), day - timedelta(days=6), "t")
        made.pay(day, ACCOUNT)
        runs.append(paid(made, day))
    # the rent is paid every month; the terms of February and March are paused, not missed
    assert [run.get(("arrangement", "regeling:R1")) for run in runs] == \
        [Money("72.00"), Money("72.00"), None, None, Money("72.00")]
    assert all(run[("charge", "huur")] == Money("700.00") for run in runs)
    assert [s for s in made.signals.values() if s.rule == "term-missed"] == []
    assert made.debt_rows(date(2027, 2, 2))[0]["frozen"] is True
    assert made.debt_rows(date(2027, 2, 2))[0]["frozen_until"] == "2027-03-15"
    assert made.debt_rows(date(2027, 4, 2))[0]["frozen"] is False
    assert made.debt_rows(date(2027, 4, 2))[0]["remaining"] == "1284.00"  # three terms paid


def test_a_moratorium_lasts_six_months_at_most_and_is_extended_with_a_reason():
    made, _ = with_arrangement()
    with pytest.raises(DomainError, match="at most 6 months") as caught:
        made.start_moratorium(date(2027, 1, 1), date(2027, 7, 2), "x", "t")
    assert caught.value.field == "until"
    made.start_moratorium(date(2027, 1, 1), date(2027, 7, 1), "schuldhulp", "t")
    with pytest.raises(HouseholdError, match="overlaps"):
        made.start_moratorium(date(2027, 3, 1), date(2027, 4, 1), "again", "t")
    with pytest.raises(DomainError, match="needs a reason"):
        made.extend_moratorium(date(2027, 9, 1), " ", "t")
    with pytest.raises(DomainError, match="at most 6 months"):
        made.extend_moratorium(date(2028, 1, 2), "onderhandeling loopt", "t")
    row = made.extend_moratorium(date(2027, 10, 1), "onderhandeling loopt", "t")
    assert (row["from"], row["until"], row["extensions"]) == (
        "2027-01-01", "2027-10-01", [{"from": "2027-07-01", "until": "2027-10-01", "reason": "onderhandeling loopt"}])
    assert made.paused_on(date(2027, 9, 30)) and not made.paused_on(date(2027, 10, 2))
    assert [type(e).__name__ for e in made.collect_events()][-2:] == ["MoratoriumStarted", "MoratoriumExtended"]
