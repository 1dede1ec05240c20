"""Matching a bank credit to the income agreement it pays.

A candidate agreement has the transaction's counterparty IBAN, every match term in
the description (case- and accent-insensitive), the right direction, and is valid on
the value date. The amount does not exclude a candidate: an allowance cut by a
recovery still is that allowance — it is booked, and flagged as deviating.
Exactly one candidate is booked automatically; none or several go to staff.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from .agreement import INCOME, Agreement
from .money import Money
from .statement import BankTransaction


@dataclass(frozen=True)
class IncomeAgreement:
    """An income agreement together with the household it belongs to."""

    dossier: str
    agreement: Agreement

    @property
    def key(self) -> str:
        return f"{self.dossier}/{self.agreement.id}"


@dataclass(frozen=True)
class Candidate:
    income: IncomeAgreement
    difference: Money  # received minus expected
    within_tolerance: bool


@dataclass(frozen=True)
class MatchResult:
    candidates: tuple[Candidate, ...]  # best first
    reason: str | None  # why it was not booked automatically

    @property
    def booked(self) -> Candidate | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


class MatchIndex:
    """Income agreements by counterparty IBAN, built once per import."""

    def __init__(self, incomes: list[IncomeAgreement]) -> None:
        self._by_iban: dict[str, list[IncomeAgreement]] = {}
        for income in incomes:
            if income.agreement.kind == INCOME:
                self._by_iban.setdefault(income.agreement.counterparty.iban, []).append(income)
        self._terms = {
            income.key: [normalise(term) for term in income.agreement.match_terms]
            for income in incomes
        }

    def match(self, transaction: BankTransaction) -> MatchResult:
        if not transaction.is_credit:
            return MatchResult((), "a debit is never an income")
        if not transaction.counterparty_iban:
            return MatchResult((), "the statement gives no counterparty IBAN")
        same_iban = self._by_iban.get(transaction.counterparty_iban.upper(), [])
        if not same_iban:
            return MatchResult((), f"no income agreement with counterparty {transaction.counterparty_iban}")
        description = normalise(transaction.description)
        valid, missing_terms = [], []
        for income in same_iban:
            absent = [t for t in self._terms[income.key] if t not in description]
            if absent:
                missing_terms.append(f"{income.key} misses term '{absent[0]}'")
            elif not income.agreement.is_valid_on(transaction.value_date):
                missing_terms.append(f"{income.key} is not valid on {transaction.value_date}")
            else:
                valid.append(income)
        if not valid:
            return MatchResult((), "; ".join(missing_terms))
        candidates = sorted((self._candidate(income, transaction) for income in valid),
                            key=lambda c: (not c.within_tolerance, abs(c.difference), c.income.key))
        if len(candidates) > 1:
            return MatchResult(tuple(candidates), f"{len(candidates)} agreements match; choose one")
        return MatchResult(tuple(candidates), None)

    @staticmethod
    def _candidate(income: IncomeAgreement, transaction: BankTransaction) -> Candidate:
        expected = income.agreement.amount_on(transaction.value_date)
        difference = Money(transaction.amount) - expected
        tolerance = income.agreement.tolerance.amount
        return Candidate(income, difference, abs(difference) <= tolerance)


def normalise(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: 'Zorgtoeslag  Café' -> 'zorgtoeslag cafe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def as_money(amount: Decimal) -> Money:
    return Money(amount)
