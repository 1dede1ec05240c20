"""Phase-out and referrals (issue 23): from a date the participant pays a charge; the pay
dates skip its periods from then on, never one they paid already; its money goes out
with the leefgeld. A referral is recorded once; a moratorium ending soon is a signal."""

from __future__ import annotations

from datetime import date

import pytest

from huishoudboekje.domain.errors import DomainError, HouseholdError
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.phase_out import self_paid_due
from huishoudboekje.domain.signals import MORATORIUM_ENDING, evaluate_signals
from tests.unit.build import charge, household, income

ACCOUNT = "NL39BNGH0285009999"
DEC, JAN = date(2026, 12, 1), date(2026, 12, 31)


def made():
    """Bijstand 1,000.00 on the 25th, rent 700.00 on the 1st, pay day 1."""
    return household("HHB-2026-0001", income("bijstand", "1000.00"), charge("huur", "700.00"))


def test_a_period_is_self_paid_from_its_date_on():
    plan = {"huur": "2027-01-01"}
    assert not self_paid_due(plan, "huur", date(2026, 12, 31))
    assert self_paid_due(plan, "huur", date(2027, 1, 1))
    assert not self_paid_due(plan, "energie", date(2027, 1, 1))


def test_the_pay_date_leaves_a_self_paid_charge_to_the_participant_with_its_money():
    household = made()
    household.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
    household.pay(DEC, ACCOUNT)
    household.phase_out(["huur"], date(2027, 1, 1), "t")
    household.book_income("t2", "bijstand", Money("1000.00"), date(2026, 12, 25), "t")
    household.pay(JAN, ACCOUNT)  # January's pay date: 1 January is a closing day
    assert {(i.kind, i.agreement_id): i.amount for i in household.instructions_of(JAN)} == \
        {("leefgeld", None): Money("1000.00")}
    assert household.forecast(date(2027, 1, 5)).expected_leefgeld == Money("1000.00")
    assert household.arrears == []


def test_a_phase_out_names_charges_not_yet_paid_and_only_once():
    household = made()
    household.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
    household.pay(DEC, ACCOUNT)
    with pytest.raises(DomainError) as income_error:
        household.phase_out(["bijstand"], date(2027, 1, 1), "t")
    assert income_error.value.field == "agreement"
    with pytest.raises(HouseholdError, match="2026-12-01"):
        household.phase_out(["huur"], date(2026, 12, 1), "t")  # the pay date paid it
    with pytest.raises(DomainError):
        household.phase_out([], date(2027, 1, 1), "t")
    household.phase_out(["huur"], date(2027, 1, 1), "t")
    with pytest.raises(HouseholdError, match="already"):
        household.phase_out(["huur"], date(2027, 2, 1), "t")


def test_a_referral_is_recorded_once_and_a_moratorium_ending_within_30_days_is_a_signal():
    household = made()
    first = household.record_referral(date(2026, 11, 10), "  Plangroep   Schuldhulp ", "t")
    household.record_referral(date(2026, 11, 10), "Plangroep Schuldhulp", "t")
    assert first["organisation"] == "Plangroep Schuldhulp" and len(household.referral_rows()) == 1
    with pytest.raises(DomainError):
        household.record_referral(date(2026, 11, 10), " ", "t")
    household.start_moratorium(date(2026, 11, 15), date(2027, 1, 20), "schuldhulp", "t")

    def ending(day):
        return [f.period for f in evaluate_signals(household, day, 3) if f.rule == MORATORIUM_ENDING]

    assert ending(date(2026, 12, 20)) == []
    assert ending(date(2026, 12, 21)) == ["2027-01-20"]
    assert ending(date(2027, 1, 20)) == ["2027-01-20"]
    assert ending(date(2027, 1, 21)) == []


def test_a_self_paid_quarterly_bill_sets_nothing_more_aside_and_what_was_set_aside_goes_to_the_participant():
    from dataclasses import replace

    from huishoudboekje.domain.schedule import Schedule

    water = replace(charge("water", "60.00"), category="water",
                    schedule=Schedule(every="quarter", start=date(2026, 11, 1), day=28, months=(2, 5, 8, 11)))
    household = made()
    household.add_agreement(water, "t")
    household.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
    household.pay(DEC, ACCOUNT)  # rent 700.00, 20.00 a month set aside for February's 60.00
    assert household.reserves == {"water": Money("20.00")}
    household.phase_out(["water"], date(2027, 1, 1), "t")
    household.book_income("t2", "bijstand", Money("1000.00"), date(2026, 12, 25), "t")
    household.pay(JAN, ACCOUNT)
    assert household.reserves == {}
    assert {(i.kind, i.agreement_id): i.amount for i in household.instructions_of(JAN)} == \
        {("charge", "huur"): Money("700.00"), ("leefgeld", None): Money("320.00")}
