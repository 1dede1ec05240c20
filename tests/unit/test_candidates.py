"""Ranking the households a queued credit may be booked onto (the staff web app's
Bankafschriften page offers them in this order)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huishoudboekje.domain.agreement import AmountFrom
from huishoudboekje.domain.candidates import AMOUNT, COUNTERPARTY, EXACT, rank_candidates
from huishoudboekje.domain.matching import IncomeAgreement
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.statement import BankTransaction

GEMEENTE, UWV = "NL14BNGH0285001234", "NL22INGB0001234567"
DAY = date(2026, 11, 30)


def income(dossier, amount, iban=GEMEENTE, terms=(), start=date(2026, 1, 1), end=None, ident="bijstand"):
    return IncomeAgreement(dossier, ident, iban, tuple(terms), (AmountFrom(start, Money(amount)),),
                           Money("25.00"), start, end)


def credit(amount, iban=GEMEENTE, description="Uitkering november"):
    return BankTransaction("NL39BNGH0285009999", DAY, DAY, Decimal(amount), iban, "Gemeente Utrecht",
                           description, None, None)


def keys(ranked):
    return [(r.key, r.kind) for r in ranked]


def test_exact_amount_from_the_same_payer_ranks_first_even_without_its_match_term():
    incomes = [income("HHB-1", "1190.00", terms=["HHB-1"]), income("HHB-3", "1120.00", terms=["HHB-3"]),
               income("HHB-9", "1120.00", iban=UWV)]
    ranked = rank_candidates(credit("1120.00"), incomes)
    assert keys(ranked) == [("HHB-3/bijstand", EXACT), ("HHB-1/bijstand", COUNTERPARTY),
                            ("HHB-9/bijstand", AMOUNT)]
    assert ranked[1].expected == Money("1190.00") and ranked[1].difference == Money("-70.00")


def test_same_payer_closest_amount_first_and_unrelated_agreements_not_offered():
    incomes = [income("HHB-1", "1500.00"), income("HHB-2", "1100.00"), income("HHB-4", "980.00", iban=UWV)]
    assert keys(rank_candidates(credit("1120.00"), incomes)) == [("HHB-2/bijstand", COUNTERPARTY),
                                                                 ("HHB-1/bijstand", COUNTERPARTY)]


def test_agreements_not_valid_on_the_value_date_debits_and_the_limit():
    ended = income("HHB-5", "1120.00", end=date(2026, 10, 31))
    later = income("HHB-6", "1120.00", start=date(2026, 12, 1))
    assert rank_candidates(credit("1120.00"), [ended, later]) == []
    assert rank_candidates(credit("-1120.00"), [income("HHB-3", "1120.00")]) == []
    many = [income(f"HHB-{n}", "1120.00") for n in range(9)]
    assert [r.key for r in rank_candidates(credit("1120.00"), many, limit=3)] == [
        "HHB-0/bijstand", "HHB-1/bijstand", "HHB-2/bijstand"]


def test_the_amount_expected_on_the_value_date_counts():
    raised = IncomeAgreement("HHB-3", "bijstand", GEMEENTE, (), (AmountFrom(date(2026, 1, 1), Money("1100.00")),
                                                              AmountFrom(date(2026, 11, 1), Money("1120.00"))),
                             Money("25.00"), date(2026, 1, 1), None)
    assert keys(rank_candidates(credit("1120.00"), [raised])) == [("HHB-3/bijstand", EXACT)]
    assert keys(rank_candidates(credit("1100.00"), [raised])) == [("HHB-3/bijstand", COUNTERPARTY)]
