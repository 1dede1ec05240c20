"""Leefgeld split over the participants of one household (issue 23): exact shares, the odd
cents to the first participant, an id of its own for each participant's payment, and
households of one participant as they always were."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huishoudboekje.domain.agreement import Participant
from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.shares import check_shares, split_by_shares
from tests.unit.build import MANAGED, PARTICIPANT, charge, household, income

OTHER = "NL69INGB0123456789"
DEC = date(2026, 12, 1)


def shared(*shares: str | None, weekly: bool = False):
    made = household("HHB-2026-0001", income("bijstand", "1000.00"), charge("huur", "700.00"))
    made.participants = [Participant("Sanne", PARTICIPANT, share=shares[0]), Participant("Joost", OTHER, share=shares[1])]
    if weekly:
        made.leefgeld_schedule = "weekly"
    return made


def leefgeld(made, pay_date=DEC):
    return sorted((i.creditor_iban, i.part, i.amount) for i in made.instructions_of(pay_date) if i.kind == "leefgeld")


@given(st.integers(0, 10**9), st.lists(st.integers(1, 1000), min_size=1, max_size=5))
def test_the_parts_add_up_to_the_whole_and_each_is_its_share_rounded_down_but_the_first(cents, weights):
    shares = [Fraction(w, sum(weights)) for w in weights]
    parts = split_by_shares(Money.from_cents(cents), shares)
    assert sum(p.cents for p in parts) == cents
    assert all(p.cents == cents * s.numerator // s.denominator for p, s in zip(parts[1:], shares[1:]))
    assert 0 <= parts[0].cents - cents * shares[0] < len(shares)


def test_a_pay_date_pays_each_participant_their_share_with_the_odd_cent_to_the_first():
    made = shared("1/3", "2/3")
    made.book_income("t1", "bijstand", Money("1000.01"), date(2026, 11, 25), "t")
    made.pay(DEC, MANAGED)
    # 300.01 of leefgeld: a third is 100.003…, two thirds 200.006…; 100.00 + 200.00 leaves a cent
    assert leefgeld(made) == [(PARTICIPANT, 1, Money("100.01")), (OTHER, 1, Money("200.00"))]
    first, second = [i.id for i in made.instructions_of(DEC) if i.kind == "leefgeld"]
    again = shared("1/3", "2/3")
    again.book_income("t1", "bijstand", Money("1000.01"), date(2026, 11, 25), "t")
    again.pay(DEC, MANAGED)
    assert [i.id for i in again.instructions_of(DEC)] == [i.id for i in made.instructions_of(DEC)]
    assert first != second


def test_weekly_parts_are_split_each_by_the_shares():
    made = shared("0.5", "0.5", weekly=True)
    made.book_income("t1", "bijstand", Money("1000.07"), date(2026, 11, 25), "t")
    made.pay(DEC, MANAGED)
    # 300.07 in five weekly parts (60.02, 60.02, 60.01, 60.01, 60.01), each split in halves
    assert leefgeld(made) == sorted(
        [(PARTICIPANT, n, Money(a)) for n, a in enumerate(["30.01", "30.01", "30.01", "30.01", "30.01"], 1)] +
        [(OTHER, n, Money(a)) for n, a in enumerate(["30.01", "30.01", "30.00", "30.00", "30.00"], 1)])
    assert sum((a for _, _, a in leefgeld(made)), Money.zero()) == Money("300.07")


def test_a_household_of_one_participant_keeps_its_payments_and_their_ids():
    made = household("HHB-2026-0001", income("bijstand", "1000.00"), charge("huur", "700.00"))
    made.participants = [Participant("Sanne", PARTICIPANT), Participant("Joost", OTHER)]  # no shares: all to the first
    plain = household("HHB-2026-0001", income("bijstand", "1000.00"), charge("huur", "700.00"))
    for one in (made, plain):
        one.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
        one.pay(DEC, MANAGED)
    assert leefgeld(made) == [(PARTICIPANT, 1, Money("300.00"))]
    assert [i.id for i in made.instructions_of(DEC)] == [i.id for i in plain.instructions_of(DEC)]


def test_a_late_income_tops_up_each_participants_share():
    made = shared("1/2", "1/2")
    made.book_income("t1", "bijstand", Money("1000.00"), date(2026, 11, 25), "t")
    made.pay(DEC, MANAGED)
    made.add_agreement(income("nabetaling", "100.01", day=30), "t")
    made.book_income("t2", "nabetaling", Money("100.01"), date(2026, 11, 30), "t")
    found = made.supplement_late_incomes(DEC + timedelta(days=1), DEC + timedelta(days=1), MANAGED)
    assert sorted((p.creditor_iban, p.amount) for p in found.payments) == [
        (PARTICIPANT, Money("50.01")), (OTHER, Money("50.00"))]


@pytest.mark.parametrize("shares, field, words", [
    (["1/2", "1/3"], "participants[0].share", "add up to 5/6"), (["1/2", None], "participants[1].share", "or none"),
    (["3/2", "-1/2"], "participants[0].share", "at most 1"), (["x", "1"], "participants[0].share", "not a fraction"),
    (["1/0", "1"], "participants[0].share", "not a fraction"),
    (["0.3333333333", "2/3"], "participants[0].share", "not 1")])  # a rounded third is not a third
def test_shares_that_do_not_make_the_whole_are_refused(shares, field, words):
    with pytest.raises(DomainError, match=words) as caught:
        check_shares(shares)
    assert caught.value.field == field
    assert check_shares([None, None]) == []
    assert check_shares(["1/3", " 2/3 "]) == [Fraction(1, 3), Fraction(2, 3)]


def test_participants_changed_later_must_share_the_whole_too():
    made = shared("1/2", "1/2")
    made.collect_events()
    with pytest.raises(DomainError, match="add up to 3/4") as caught:
        made.change_settings({"participants": [Participant("Sanne", PARTICIPANT, share="1/2"),
                                               Participant("Joost", OTHER, share="1/4")]}, "t")
    assert caught.value.field == "participants[0].share" and made.collect_events() == []
