"""Matching a credit on the managed account to the income agreement it pays.

What staff see: an income is booked to the one household it belongs to, or it waits in
the unmatched queue; it is never booked to a look-alike household.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huishoudboekje.domain.agreement import AmountFrom
from huishoudboekje.domain.matching import IncomeAgreement, MatchIndex, normalise
from huishoudboekje.domain.money import Money

from .build import GEMEENTE, TOESLAGEN, credit, household, income

D1, D2 = "HHB-2026-0001", "HHB-2026-0002"


def toeslag(dossier: str, kind: str = "zorgtoeslag", amount: str = "154.00", **kwargs) -> IncomeAgreement:
    """An allowance of the tax office, told apart by its kind and the dossier number."""
    return IncomeAgreement.of(dossier, income(kind, amount, terms=(kind, dossier), iban=TOESLAGEN, **kwargs))


def crowd(count: int) -> list[IncomeAgreement]:
    """Other households the tax office pays: enough to make the index file by rarest word."""
    return [toeslag(f"HHB-2026-{9000 + n}", kind) for n in range(count) for kind in ("zorgtoeslag", "huurtoeslag")]


def test_an_income_is_booked_by_its_payers_iban_and_the_terms_in_the_description():
    index = MatchIndex([toeslag(D1)])
    result = index.match(credit("154.00", f"Zorgtoeslag 11-2026 {D1} BSN ***"))
    assert result.reason is None
    assert result.booked is not None
    assert result.booked.income.key == f"{D1}/zorgtoeslag"
    assert (result.booked.expected, result.booked.difference, result.booked.within_tolerance) == (
        Money("154.00"), Money("0.00"), True)


def test_case_accents_punctuation_and_the_ibans_case_do_not_stand_in_the_way():
    index = MatchIndex([IncomeAgreement.of(D1, income("loon", "1830.00", terms=("Café Smit", D1), iban=GEMEENTE))])
    result = index.match(credit("1830.00", f"SALARIS CAFÉ  SMIT / hhb 2026 0001", iban=GEMEENTE.lower()))
    assert result.booked is not None and result.booked.income.key == f"{D1}/loon"
    assert normalise("Zorgtoeslag  Café") == "zorgtoeslag cafe"


@pytest.mark.parametrize("received, within, difference", [
    ("129.00", True, "-25.00"),  # cut by exactly the tolerance
    ("128.99", False, "-25.01"),  # a cent more: booked, but a deviation for staff
    ("179.00", True, "25.00"),
    ("179.01", False, "25.01"),
])
def test_the_tolerance_is_inclusive_and_an_amount_outside_it_is_still_booked_as_deviating(received, within,
                                                                                          difference):
    # An allowance cut by a recovery is still that allowance: the amount never keeps it
    # from its household, it only decides whether staff hear of it.
    result = MatchIndex([toeslag(D1)]).match(credit(received, f"Zorgtoeslag {D1}"))
    assert result.booked is not None and result.reason is None
    assert result.booked.within_tolerance is within
    assert result.booked.difference == Money(difference)


@given(expected=st.integers(1, 500_000), received=st.integers(1, 500_000), tolerance=st.integers(0, 10_000))
def test_matching_weighs_an_amount_as_the_household_books_it(expected, received, tolerance):
    # The import books by the directory without loading the household: the two must agree
    # on what deviates, or the signal would say something else than the import report.
    amount, allowed = Money.from_cents(expected), Money.from_cents(tolerance)
    agreement = income("zorgtoeslag", str(amount), terms=(D1,), iban=TOESLAGEN, tolerance=str(allowed))
    line = credit(str(Money.from_cents(received)), f"Zorgtoeslag {D1}")
    candidate = MatchIndex([IncomeAgreement.of(D1, agreement)]).match(line).booked
    booking = household(D1, agreement).book_income("T1", "zorgtoeslag", Money.from_cents(received),
                                                   line.value_date, "test")
    assert candidate is not None
    assert candidate.within_tolerance is not booking.deviates
    assert candidate.expected == booking.expected


def test_the_amount_expected_is_the_one_in_force_on_the_value_date():
    raised = toeslag(D1, amount="154.00", changes=((date(2027, 1, 1), "161.00"),))
    index = MatchIndex([raised])
    december = index.match(credit("161.00", f"Zorgtoeslag {D1}", day=date(2026, 12, 31))).booked
    january = index.match(credit("161.00", f"Zorgtoeslag {D1}", day=date(2027, 1, 1))).booked
    assert december is not None and (december.expected, december.within_tolerance) == (Money("154.00"), True)
    assert january is not None and (january.expected, january.difference) == (Money("161.00"), Money("0.00"))


@pytest.mark.parametrize("others", [0, 10], ids=["few agreements", "many agreements (filed by rarest word)"])
@pytest.mark.parametrize("description, key", [
    (f"Zorgtoeslag 11-2026 {D1}", f"{D1}/zorgtoeslag"),
    (f"Huurtoeslag 11-2026 {D1}", f"{D1}/huurtoeslag"),
    (f"Zorgtoeslag 11-2026 {D2}", f"{D2}/zorgtoeslag"),
    (f"{D2} huurtoeslag", f"{D2}/huurtoeslag"),
])
def test_households_paid_from_one_payer_iban_are_told_apart_by_their_terms(others, description, key):
    index = MatchIndex([*crowd(others), *(toeslag(d, kind) for d in (D1, D2) for kind in ("zorgtoeslag", "huurtoeslag"))])
    result = index.match(credit("154.00", description))
    assert [c.income.key for c in result.candidates] == [key]
    assert result.booked is not None


@pytest.mark.parametrize("others", [0, 10], ids=["few agreements", "many agreements (filed by rarest word)"])
@pytest.mark.parametrize("description", [
    "Zorgtoeslag HHB-2026-00012",  # a longer dossier number that starts with 0001
    "Zorgtoeslag HHB-2026-000",
    "Zorgtoeslag HHB-2027-0001",
    "Zorgtoeslag HHB20260001",  # the words run together
    "Zorgtoeslag 0001-2026-HHB",  # the words of a term in another order
    "Zorgtoeslagen HHB-2026-0001",  # a longer word that starts with the term
    "Zorg toeslag HHB-2026-0001",
    "Huurtoeslag HHB-2026-0001",  # the right household, the wrong allowance (it has none)
])
def test_a_look_alike_description_is_never_booked(others, description):
    index = MatchIndex([*crowd(others), toeslag(D1, "zorgtoeslag")])
    result = index.match(credit("154.00", description))
    assert result.candidates == () and result.booked is None
    assert result.reason


def test_the_longer_dossier_number_goes_to_its_own_household_not_to_the_shorter_one():
    index = MatchIndex([toeslag(D1), toeslag("HHB-2026-00012")])
    result = index.match(credit("154.00", "Zorgtoeslag HHB-2026-00012"))
    assert [c.income.key for c in result.candidates] == ["HHB-2026-00012/zorgtoeslag"]


@pytest.mark.parametrize("line, reason", [
    (credit("154.00", f"Zorgtoeslag {D1}", iban=GEMEENTE), f"no income agreement with counterparty {GEMEENTE}"),
    (credit("-154.00", f"Zorgtoeslag {D1}"), "a debit is never an income"),
    (credit("154.00", f"Zorgtoeslag {D1}", iban=None), "the statement gives no counterparty IBAN"),
    (credit("154.00", f"Zorgtoeslag {D1}", day=date(2026, 10, 31)), f"{D1}/zorgtoeslag is not valid on 2026-10-31"),
    (credit("154.00", f"Zorgtoeslag {D1}", day=date(2027, 4, 1)), f"{D1}/zorgtoeslag is not valid on 2027-04-01"),
    (credit("154.00", "Zorgtoeslag 11-2026"), f"{D1}/zorgtoeslag misses term 'hhb 2026 0001'"),
])
def test_what_cannot_be_booked_says_why_for_staff(line, reason):
    index = MatchIndex([toeslag(D1, end=date(2027, 3, 31))])
    result = index.match(line)
    assert result.booked is None and result.candidates == ()
    assert result.reason == reason


def test_a_payment_two_agreements_fit_goes_to_the_queue_with_the_best_fit_first():
    # Bijzondere bijstand carries every term of the household's bijstand and one more:
    # the engine cannot know which was meant, so staff choose.
    index = MatchIndex([
        IncomeAgreement.of(D1, income("bijstand", "1100.00", terms=(D1,))),
        IncomeAgreement.of(D1, income("bijzonder", "150.00", terms=(D1, "bijzondere"))),
    ])
    result = index.match(credit("150.00", f"Bijzondere bijstand {D1}", iban=GEMEENTE))
    assert result.booked is None
    assert result.reason == "2 agreements match; choose one"
    assert [(c.income.key, c.within_tolerance, c.difference) for c in result.candidates] == [
        (f"{D1}/bijzonder", True, Money("0.00")),
        (f"{D1}/bijstand", False, Money("-950.00")),
    ]


def test_two_households_with_the_same_terms_both_wait_for_staff_never_one_of_them_by_chance():
    same = [IncomeAgreement.of(d, income("zorgtoeslag", amount, terms=("zorgtoeslag",), iban=TOESLAGEN))
            for d, amount in ((D2, "154.00"), (D1, "150.00"))]
    result = MatchIndex(same).match(credit("152.00", "Zorgtoeslag 11-2026"))
    assert result.booked is None
    # Both within the tolerance and equally far off: the order is still the same every time.
    assert [c.income.key for c in result.candidates] == [f"{D1}/zorgtoeslag", f"{D2}/zorgtoeslag"]


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
days = st.dates(date(2020, 1, 1), date(2035, 12, 31))
amounts = st.integers(0, 10**9).map(Money.from_cents)


@given(st.lists(st.tuples(days, amounts), min_size=1, max_size=4), st.lists(texts, max_size=4), amounts, days,
       st.one_of(st.none(), days))
def test_an_income_agreement_reads_back_from_its_directory_row_unchanged(steps, terms, tolerance, start, end):
    agreement = IncomeAgreement(D1, "zorgtoeslag", TOESLAGEN, tuple(terms),
                                tuple(AmountFrom(day, amount) for day, amount in sorted(steps)), tolerance, start, end)
    row = json.loads(json.dumps(agreement.to_row()))  # plain JSON: stored without any transcoding
    cache: dict = {}
    assert IncomeAgreement.from_row(D1, row, cache) == agreement
    assert IncomeAgreement.from_row(D1, row, cache) == agreement  # read again through what the cache holds
