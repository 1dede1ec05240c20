"""Matching a bank credit to the income agreement it pays.

A candidate agreement has the transaction's counterparty IBAN, every match term in
the description as whole words (ignoring case, accents and punctuation, so the term
HHB-2026-0001 never matches HHB-2026-00012), the right direction, and is valid on
the value date. The amount does not exclude a candidate: an allowance cut by a
recovery still is that allowance — it is booked, and flagged as deviating.
Exactly one candidate is booked automatically; none or several go to staff.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from .agreement import Agreement, AmountFrom, amount_on
from .money import Money
from .statement import BankTransaction


@dataclass(frozen=True)
class IncomeAgreement:
    """What matching needs of one income agreement, with the household it belongs to.

    Lean on purpose: an import matches against every income agreement the engine
    manages, so these are kept in the income directory in compact rows (`to_row`)
    rather than rebuilt from thousands of households.
    """

    dossier: str
    agreement_id: str
    iban: str
    match_terms: tuple[str, ...]
    amounts: tuple[AmountFrom, ...]
    tolerance: Money
    start: date
    end: date | None

    @classmethod
    def of(cls, dossier: str, agreement: Agreement) -> IncomeAgreement:
        return cls(dossier, agreement.id, agreement.counterparty.iban.upper(), tuple(agreement.match_terms),
                   tuple(agreement.amounts), agreement.tolerance.amount, agreement.start, agreement.end)

    @property
    def key(self) -> str:
        return f"{self.dossier}/{self.agreement_id}"

    def amount_on(self, day: date) -> Money:
        return amount_on(self.amounts, day)

    def is_valid_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def to_row(self) -> list[Any]:
        """Plain JSON values only: stored and read back without any transcoding."""
        return [self.agreement_id, self.iban, list(self.match_terms),
                [[a.effective.isoformat(), str(a.amount)] for a in self.amounts],
                str(self.tolerance), self.start.isoformat(), self.end.isoformat() if self.end else None]

    @classmethod
    def from_row(cls, dossier: str, row: list[Any]) -> IncomeAgreement:
        ident, iban, terms, amounts, tolerance, start, end = row
        return cls(dossier, ident, iban, tuple(terms),
                   tuple(AmountFrom(date.fromisoformat(d), Money(a)) for d, a in amounts),
                   Money(tolerance), date.fromisoformat(start), date.fromisoformat(end) if end else None)


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
    """Income agreements by counterparty IBAN, built once per import.

    One payer (the tax office, a municipality) pays thousands of households, so an
    IBAN alone narrows little. Within an IBAN, each agreement is filed under the
    rarest word of its match terms; a transaction only looks at the agreements filed
    under words its description contains, then checks all their terms.
    """

    def __init__(self, incomes: list[IncomeAgreement]) -> None:
        self._terms: dict[str, list[str]] = {}
        by_iban: dict[str, list[IncomeAgreement]] = {}
        for income in incomes:
            by_iban.setdefault(income.iban, []).append(income)
            self._terms[income.key] = [_spaced(words(normalise(t))) for t in income.match_terms]
        self._by_iban = {iban: _Bucket(group, self._terms) for iban, group in by_iban.items()}

    def match(self, transaction: BankTransaction) -> MatchResult:
        if not transaction.is_credit:
            return MatchResult((), "a debit is never an income")
        if not transaction.counterparty_iban:
            return MatchResult((), "the statement gives no counterparty IBAN")
        bucket = self._by_iban.get(transaction.counterparty_iban.upper())
        if bucket is None:
            return MatchResult((), f"no income agreement with counterparty {transaction.counterparty_iban}")
        description = _spaced(words(normalise(transaction.description)))
        valid, missing_terms = [], []
        for income in bucket.plausible(description):
            absent = [t for t in self._terms[income.key] if t not in description]
            if absent:
                missing_terms.append(f"{income.key} misses term '{absent[0].strip()}'")
            elif not income.is_valid_on(transaction.value_date):
                missing_terms.append(f"{income.key} is not valid on {transaction.value_date}")
            else:
                valid.append(income)
        if not valid:
            return MatchResult((), "; ".join(missing_terms) or "no agreement's match terms are in the description")
        candidates = sorted((self._candidate(income, transaction) for income in valid),
                            key=lambda c: (not c.within_tolerance, abs(c.difference), c.income.key))
        if len(candidates) > 1:
            return MatchResult(tuple(candidates), f"{len(candidates)} agreements match; choose one")
        return MatchResult(tuple(candidates), None)

    @staticmethod
    def _candidate(income: IncomeAgreement, transaction: BankTransaction) -> Candidate:
        expected = income.amount_on(transaction.value_date)
        difference = Money(transaction.amount) - expected
        return Candidate(income, difference, abs(difference) <= income.tolerance)


class _Bucket:
    """The income agreements of one counterparty IBAN, filed under their rarest word."""

    def __init__(self, incomes: list[IncomeAgreement], terms: dict[str, list[str]]) -> None:
        frequency: dict[str, int] = {}
        for income in incomes:
            for word in set(words(" ".join(terms[income.key]))):
                frequency[word] = frequency.get(word, 0) + 1
        self.unfiled: list[IncomeAgreement] = []
        self.by_word: dict[str, list[IncomeAgreement]] = {}
        for income in incomes:
            own = words(" ".join(terms[income.key]))
            if own:
                rarest = min(own, key=lambda w: (frequency[w], w))
                self.by_word.setdefault(rarest, []).append(income)
            else:
                self.unfiled.append(income)
        self.size = len(incomes)

    def plausible(self, description: str) -> list[IncomeAgreement]:
        """Agreements that might match; with few, just all of them (clearer reasons)."""
        if self.size <= 8:
            return [i for group in self.by_word.values() for i in group] + self.unfiled
        found = list(self.unfiled)
        for word in set(words(description)):
            found.extend(self.by_word.get(word, ()))
        return found


def words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text)


def _spaced(parts: list[str]) -> str:
    """Words joined and padded, so 'in' tests whole words: 0001 never matches 00012."""
    return f" {' '.join(parts)} "


def normalise(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: 'Zorgtoeslag  Café' -> 'zorgtoeslag cafe'."""
    if text.isascii():  # nearly every bank text: nothing to decompose
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())

