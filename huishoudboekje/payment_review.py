"""What a payment file pays, grouped by creditor, with what is unusual flagged for the
person who reviews it before release (`hhb payment-files show`, the API's review).

The payments are read from the file's own bytes, what the bank would receive; each is
traced to its household by its end-to-end id, and flagged when:

- `same-reference-in-file`: another payment in the file carries the same creditor
  reference for another household, or for the same household's same period (one
  household's own periods, arrears and this month, share its contract's reference and
  are not flagged);
- `same-reference-in-month`: another household's payment with that reference executes
  in the same month, in another file;
- `above-agreement`: a charge paid above its agreement's amount;
- `new-creditor-iban`: a creditor's account no payment of ours went to before this
  month (as far as households remember their payments: about a hundred days);
- `shared-participant-iban`: leefgeld to an account that is a participant's of another
  household too;
- `not-in-books`: a payment no household's books (or maatwerk case) hold (any more).

A maatwerk case's payment (`MW-…`) is traced to its case, and its dossier if it has one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from .domain.household import Household, Instruction
from .domain.ids import household_prefix
from .domain.maatwerk import case_id, number_of
from .domain.money import total
from .domain.payment_files import (BEFORE_REVIEW, CREDITOR_IBAN, PARTICIPANT_IBAN, REFERENCE, FilePayment,
                                   key_of, payment_file_id)
from .domain.run import RUN_ID
from .engine import Engine, NotFound
from .payment_files import FileStore

SAME_IN_FILE, SAME_IN_MONTH = "same-reference-in-file", "same-reference-in-month"
ABOVE_AGREEMENT, NEW_CREDITOR_IBAN = "above-agreement", "new-creditor-iban"
SHARED_PARTICIPANT_IBAN, NOT_IN_BOOKS = "shared-participant-iban", "not-in-books"

WORDS = {
    "nl": {
        SAME_IN_FILE: "Betalingskenmerk {reference} staat vaker in dit bestand: ook voor {others}.",
        SAME_IN_MONTH: "Betalingskenmerk {reference} is deze maand ook betaald voor {others}.",
        ABOVE_AGREEMENT: "€ {amount} is meer dan de afspraak {agreement} (€ {expected}).",
        NEW_CREDITOR_IBAN: "Rekening {iban} van {name} krijgt deze maand voor het eerst geld van ons.",
        SHARED_PARTICIPANT_IBAN: "Leefgeldrekening {iban} hoort ook bij huishouden {others}.",
        NOT_IN_BOOKS: "Deze betaling staat niet (meer) bij een huishouden in de boeken.",
        "same": "hetzelfde huishouden, dezelfde periode",
    },
    "en": {
        SAME_IN_FILE: "Payment reference {reference} occurs more than once in this file: also for {others}.",
        SAME_IN_MONTH: "Payment reference {reference} was also paid this month for {others}.",
        ABOVE_AGREEMENT: "€ {amount} is more than agreement {agreement} (€ {expected}).",
        NEW_CREDITOR_IBAN: "Account {iban} of {name} is paid by us for the first time this month.",
        SHARED_PARTICIPANT_IBAN: "Leefgeld account {iban} also belongs to household {others}.",
        NOT_IN_BOOKS: "This payment is not (or no longer) in a household's books.",
        "same": "the same household, the same period",
    },
}
CHARGES = ("charge", "arrears")
SAME = ""  # in a flag's `others`: the payment's own household (its same period, twice)


class KeyIndex(Protocol):
    """Which active households are known by an IBAN or reference (the read model)."""

    def known_by(self, kind: str, values: Iterable[str]) -> dict[str, set[str]]: ...


@dataclass
class _Line:
    """A payment of the file, and what the books say of it."""

    payment: FilePayment
    dossier: str | None = None
    instruction: Instruction | None = None
    flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """The creditor's reference the payment carries, as the agreement has it."""
        typed = self.instruction.reference if self.instruction is not None else self.payment.reference
        return key_of(typed) if typed else ""

    @property
    def is_charge(self) -> bool:
        return self.instruction is not None and self.instruction.kind in CHARGES

    def flag(self, code: str, others: list[str] | None = None, **words: str) -> None:
        """`others`: the dossiers it concerns besides this one (`SAME`: this one, again)."""
        def text(lang: str) -> str:
            named = ", ".join(dict.fromkeys(WORDS[lang]["same"] if o == SAME else o for o in others or []))
            return WORDS[lang][code].format(others=named, **words)

        self.flags.append({"flag": code, "end_to_end_id": self.payment.end_to_end_id, "dossier": self.dossier,
                           "others": sorted({o for o in others or [] if o != SAME}),
                           "text": {lang: text(lang) for lang in WORDS}})


def show(engine: Engine, files: FileStore, index: KeyIndex, name: str) -> dict[str, Any]:
    """The file's header and review, its payments by creditor, and every flag."""
    head = _header(engine, name)
    content = files.read(name)
    head["on_disk"] = content is not None
    head["sha256_matches"] = content is not None and hashlib.sha256(content).hexdigest() == head["sha256"]
    if content is None:
        return {**head, "creditors": [], "flags": []}
    review = _Review(engine, index, files.payments(content))
    review.flag_all()
    return {**head, "creditors": review.by_creditor(), "flags": [f for line in review.lines for f in line.flags]}


def _header(engine: Engine, name: str) -> dict[str, Any]:
    review = engine.get_or_none(payment_file_id(name))
    if review is not None:
        record, state = review.record, review.state
        last = review.history[-1] if review.history else {}
    else:
        run = engine.get_or_none(RUN_ID)
        if run is None or name not in run.files:
            raise NotFound(f"no payment file {name}", field="name")
        record, state, last = run.files[name], BEFORE_REVIEW, {}
    return {"name": name, "state": state, "day": record.day.isoformat() if record.day else None,
            "first_execution": review.first_execution.isoformat() if review is not None else None,
            "debtor_account": record.debtor_account, "count": record.count, "control_sum": str(record.control_sum),
            "sha256": record.sha256, "changed_by": last.get("by"), "changed_on": last.get("on"),
            "reason": last.get("reason") or None}


class _Review:
    def __init__(self, engine: Engine, index: KeyIndex, payments: list[FilePayment]) -> None:
        self.engine, self.index = engine, index
        self.loaded: dict[str, Household] = {}
        by_prefix = {household_prefix(hid): dossier for hid, dossier in engine.household_ids()}
        self.lines = []
        for payment in payments:
            number = number_of(payment.end_to_end_id)
            if number is not None:  # a maatwerk case's payment: its case holds it
                self.lines.append(self._maatwerk(payment, number))
                continue
            line = _Line(payment, by_prefix.get(payment.end_to_end_id.split("-", 1)[0]))
            if line.dossier is not None:
                line.instruction = next((i for i in self.household(line.dossier).instructions.values()
                                         if i.end_to_end_id == payment.end_to_end_id), None)
            self.lines.append(line)
        self.in_file = {line.payment.end_to_end_id for line in self.lines}

    def _maatwerk(self, payment: FilePayment, number: str) -> _Line:
        found = self.engine.get_or_none(case_id(number))
        if found is None:
            return _Line(payment)
        fits = found.instruction is not None and found.instruction.end_to_end_id == payment.end_to_end_id
        return _Line(payment, found.proposal.dossier, found.instruction if fits else None)

    def household(self, dossier: str) -> Household:
        if dossier not in self.loaded:
            self.loaded[dossier] = self.engine.household(dossier)
        return self.loaded[dossier]

    def flag_all(self) -> None:
        self._same_reference_in_file()
        self._same_reference_in_month()
        for line in self.lines:
            if line.instruction is None:
                line.flag(NOT_IN_BOOKS)
            elif line.is_charge:
                self._above_agreement(line)
        self._new_creditor_ibans()
        self._shared_participant_ibans()

    def _same_reference_in_file(self) -> None:
        groups: dict[str, list[_Line]] = {}
        for line in self.lines:
            if line.is_charge and line.reference:
                groups.setdefault(line.reference, []).append(line)
        for reference, lines in groups.items():
            for line in lines:
                others = [_who(o, line) for o in lines if o is not line and _twice(o, line)]
                if others:
                    line.flag(SAME_IN_FILE, others, reference=reference)

    def _same_reference_in_month(self) -> None:
        charges = [line for line in self.lines if line.is_charge and line.reference]
        known = self.index.known_by(REFERENCE, [line.reference for line in charges])
        for line in charges:
            month = line.payment.execution_date.replace(day=1)
            others = set()
            for dossier in sorted(known.get(line.reference, set()) - {line.dossier}):
                if any(key_of(i.reference) == line.reference and i.end_to_end_id not in self.in_file
                       and i.execution_date.replace(day=1) == month
                       for i in self.household(dossier).instructions.values()):
                    others.add(dossier)
            if others:
                line.flag(SAME_IN_MONTH, sorted(others), reference=line.reference)

    def _above_agreement(self, line: _Line) -> None:
        instruction = line.instruction
        agreement = self.household(line.dossier or "").agreements.get(instruction.agreement_id or "")
        if agreement is None:
            return
        # arrears follow the amount the agreement has when they are paid
        expected = max(agreement.amount_on(instruction.period), agreement.amount_on(line.payment.execution_date))
        if line.payment.amount > expected:
            line.flag(ABOVE_AGREEMENT, amount=str(line.payment.amount), agreement=agreement.id,
                      expected=str(expected))

    def _new_creditor_ibans(self) -> None:
        charges = [line for line in self.lines if line.is_charge]
        known = self.index.known_by(CREDITOR_IBAN, [line.payment.creditor_iban for line in charges])
        seen: dict[tuple[str, date], bool] = {}
        for line in charges:
            iban, month = key_of(line.payment.creditor_iban), line.payment.execution_date.replace(day=1)
            if (iban, month) not in seen:
                dossiers = [line.dossier or "", *sorted(known.get(iban, set()) - {line.dossier})]
                seen[(iban, month)] = any(self._paid_before(d, iban, month) for d in dossiers if d)
            if not seen[(iban, month)]:
                line.flag(NEW_CREDITOR_IBAN, iban=line.payment.creditor_iban, name=line.payment.creditor_name)

    def _paid_before(self, dossier: str, iban: str, month: date) -> bool:
        return any(key_of(i.creditor_iban) == iban and i.execution_date < month
                   for i in self.household(dossier).instructions.values())

    def _shared_participant_ibans(self) -> None:
        leefgeld = [line for line in self.lines if line.instruction is not None and line.instruction.kind == "leefgeld"]
        known = self.index.known_by(PARTICIPANT_IBAN, [line.payment.creditor_iban for line in leefgeld])
        for line in leefgeld:
            others = sorted(known.get(key_of(line.payment.creditor_iban), set()) - {line.dossier})
            if others:
                line.flag(SHARED_PARTICIPANT_IBAN, others, iban=line.payment.creditor_iban)

    def by_creditor(self) -> list[dict[str, Any]]:
        groups: dict[tuple[str, str], list[_Line]] = {}
        for line in self.lines:
            groups.setdefault((line.payment.creditor_name, key_of(line.payment.creditor_iban)), []).append(line)
        return [{"creditor_name": name, "creditor_iban": lines[0].payment.creditor_iban, "count": len(lines),
                 "total": str(total(line.payment.amount for line in lines)),
                 "payments": [_payment_out(line) for line in lines]}
                for (name, _), lines in sorted(groups.items())]


def _twice(other: _Line, line: _Line) -> bool:
    """Two payments with one reference that look like one paid twice: for two households,
    or for one household's same agreement and period."""
    if other.dossier != line.dossier:
        return True
    a, b = other.instruction, line.instruction
    return a is not None and b is not None and (a.agreement_id, a.period) == (b.agreement_id, b.period)


def _who(other: _Line, line: _Line) -> str:
    return other.dossier or "?" if other.dossier != line.dossier else SAME


def _payment_out(line: _Line) -> dict[str, Any]:
    p, i = line.payment, line.instruction
    return {"end_to_end_id": p.end_to_end_id, "dossier": line.dossier, "kind": i.kind if i else None,
            "agreement": i.agreement_id if i else number_of(p.end_to_end_id), "period": i.period.isoformat() if i else None,
            "amount": str(p.amount), "execution_date": p.execution_date.isoformat(),
            "reference": p.reference or p.remittance, "flags": [f["flag"] for f in line.flags]}

