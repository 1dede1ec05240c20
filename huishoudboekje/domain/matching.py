"""Matching a bank credit to the income agreement it pays.

A candidate agreement has the transaction's counterparty IBAN, every match term in
the description as whole words (ignoring case, accents and punctuation, so the term
HHB-2026-0001 never matches HHB-2026-00012), the right direction, and is valid on
the value date. The amount does not exclude a candidate: an allowance cut by a
recovery still is that allowance — it is booked, and flagged as deviating.
Exactly one candidate is booked automatically; none or several go to staff.

A debit that is not one of our payments is matched the same way to the income it
claws back (`MatchIndex.match_debit`), by an agreement with match terms only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from .agreement import Agreement, AmountFrom, amount_on, deviates_from
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
        # The amounts as they come in: less what the payer withholds (`Agreement.withheld`).
        return cls(dossier, agreement.id, agreement.counterparty.iban.upper(), tuple(agreement.match_terms),
                   tuple(agreement.expected_amounts()), agreement.tolerance.amount, agreement.start, agreement.end)

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
    def from_row(cls, dossier: str, row: list[Any], cache: dict[Any, Any] | None = None) -> IncomeAgreement:
        """`cache`: amounts and dates read so far, by their text (agreements share many)."""
        ident, iban, terms, amounts, tolerance, start, end = row
        cache = {} if cache is None else cache
        steps = []
        for day, amount in amounts:
            step = cache.get((day, amount))
            if step is None:
                step = cache[(day, amount)] = AmountFrom(_day(day, cache), _money(amount, cache))
            steps.append(step)
        return cls(dossier, ident, iban, tuple(terms), tuple(steps), _money(tolerance, cache),
                   _day(start, cache), _day(end, cache) if end else None)


def _money(text: str, cache: dict[Any, Any]) -> Money:
    money = cache.get(text)
    if money is None:
        money = cache[text] = Money(text)
    return money


def _day(text: str, cache: dict[Any, Any]) -> date:
    day = cache.get(text)
    if day is None:
        day = cache[text] = date.fromisoformat(text)
    return day


class Candidate(NamedTuple):  # NamedTuples: made once per transaction, cheaper than dataclasses
    income: IncomeAgreement
    expected: Money  # the agreement's amount on the value date
    difference: Money  # received minus expected
    within_tolerance: bool


class MatchResult(NamedTuple):
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
        by_iban: dict[str, list[_Entry]] = {}
        spaced: dict[str, str] = {}  # many agreements share a term ('zorgtoeslag')
        for income in incomes:
            terms = []
            for term in income.match_terms:
                found = spaced.get(term)
                if found is None:
                    found = spaced[term] = _spaced(words(normalise(term)))
                terms.append(found)
            group = by_iban.get(income.iban)
            if group is None:
                group = by_iban[income.iban] = []
            group.append(_Entry(income, income.key, tuple(terms)))
        self._by_iban = {iban: _Bucket(group) for iban, group in by_iban.items()}

    def match(self, transaction: BankTransaction) -> MatchResult:
        if not transaction.is_credit:
            return MatchResult((), "a debit is never an income")
        valid, reason = self._named(transaction, True)
        if not valid:
            return MatchResult((), reason)
        day = transaction.value_date
        received = Money(transaction.amount)
        candidates = []
        for income in valid:  # weighed by the rule of `Household.book_income`
            expected = amount_on(income.amounts, day)
            candidates.append(Candidate(income, expected, received - expected,
                                        not deviates_from(received, expected, income.tolerance)))
        if len(candidates) > 1:
            candidates.sort(key=lambda c: (not c.within_tolerance, abs(c.difference), c.income.key))
            return MatchResult(tuple(candidates), f"{len(candidates)} agreements match; choose one")
        return MatchResult(tuple(candidates), None)


    def match_debit(self, transaction: BankTransaction) -> MatchResult:
        """The income a debit claws back (`domain/deductions.py`): its payer's IBAN, and
        every match term of one income agreement in the description — the tax office's
        set-off names the allowance and the person. The amount weighs nothing, and neither
        does the agreement's validity: an allowance paid too much is recovered after it
        stopped, and for years before the household came to us. An agreement without
        match terms takes no debit by its IBAN alone. Exactly one candidate is booked
        automatically."""
        if transaction.is_credit:
            return MatchResult((), "a credit is never a deduction")
        named, reason = self._named(transaction, False)
        if any(not income.match_terms for income in named):  # the IBAN alone names no one
            named = [income for income in named if income.match_terms]
            reason = reason if named else "an agreement without match terms is never clawed back automatically"
        candidates = tuple(Candidate(income, income.amount_on(transaction.value_date), Money.zero(), True)
                           for income in sorted(named, key=lambda i: i.key))
        if len(candidates) > 1:
            return MatchResult(candidates, f"{len(candidates)} agreements match; choose one")
        return MatchResult(candidates, None if candidates else reason)

    def _named(self, transaction: BankTransaction, valid_only: bool) -> tuple[list[IncomeAgreement], str]:
        """The income agreements of the counterparty whose every term the description has
        (and valid on the value date, if `valid_only`), or why there are none."""
        if not transaction.counterparty_iban:
            return [], "the statement gives no counterparty IBAN"
        bucket = self._by_iban.get(transaction.counterparty_iban.upper())
        if bucket is None:
            return [], f"no income agreement with counterparty {transaction.counterparty_iban}"
        text = transaction.description
        # Only the words count: for ASCII text, lower case is all `normalise` would change.
        found = _WORD.findall(text.lower()) if text.isascii() else words(normalise(text))
        description = _spaced(found)
        day = transaction.value_date
        valid, missing_terms = [], []
        for entry in bucket.plausible(found):
            for term in entry.terms:
                if term not in description:
                    missing_terms.append(f"{entry.key} misses term '{term.strip()}'")
                    break
            else:
                if not valid_only or entry.income.is_valid_on(day):
                    valid.append(entry.income)
                else:
                    missing_terms.append(f"{entry.key} is not valid on {day}")
        return valid, "; ".join(missing_terms) or "no agreement's match terms are in the description"


class _Entry(NamedTuple):
    income: IncomeAgreement
    key: str
    terms: tuple[str, ...]  # normalised, spaced (see `_spaced`)


class _Bucket:
    """The income agreements of one counterparty IBAN, filed under their rarest word."""

    def __init__(self, entries: list[_Entry]) -> None:
        frequency: dict[str, int] = {}
        own_words = [" ".join(entry.terms).split() for entry in entries]  # terms are spaced words
        for own in own_words:
            for word in set(own):
                frequency[word] = frequency.get(word, 0) + 1
        self.unfiled: list[_Entry] = []
        self.by_word: dict[str, list[_Entry]] = {}
        for entry, own in zip(entries, own_words):
            if own:
                rarest = min(own, key=lambda w: (frequency[w], w))
                self.by_word.setdefault(rarest, []).append(entry)
            else:
                self.unfiled.append(entry)
        self.everything = [e for group in self.by_word.values() for e in group] + self.unfiled

    def plausible(self, found: list[str]) -> list[_Entry]:
        """Entries that might match the description's words; with few, all (clearer reasons)."""
        if len(self.everything) <= 8:
            return self.everything
        plausible = list(self.unfiled)
        for word in set(found):
            plausible.extend(self.by_word.get(word, ()))
        return plausible


_WORD = re.compile(r"[0-9a-z]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


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

