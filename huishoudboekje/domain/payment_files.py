"""Four eyes on every payment file: the job writes a pain.001 as *pending*, and a second
person (the role `finance`) releases it to the bank, or holds it.

Each file the job records gets a `PaymentFile` of its own (id: uuid5 of its name),
saved in the same write as the `Run`'s `PaymentFileWritten`, so a file no review knows
of cannot exist; the review's events (`Released`, `Held`) go to that small aggregate
and never contend with the `Run` the nightly job writes. A file recorded before this
existed has none: it went to the bank as written (`BEFORE_REVIEW`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .calendar import previous_business_day
from .errors import DomainError
from .ids import NAMESPACE
from .money import Money
from .roles import person
from .run import PaymentFileRecord

PENDING, HELD, RELEASED = "pending", "held", "released"
BEFORE_REVIEW = "before-review"  # recorded before four-eyes review existed: sent as written
PREPARER = "job"  # who records every payment file: the nightly job
NOT_A_PERSON = {"", "cli", "job", "system"}  # actors that name no one (the CLI's default is "cli")


# What a household is known by besides its dossier, to see one used by two households
# (onboarding warns; a payment file's review flags it).
PARTICIPANT_IBAN, CREDITOR_IBAN, REFERENCE = "participant-iban", "creditor-iban", "reference"
_SEPARATORS = re.compile(r"[\s.\-/]")


def key_of(text: str | None) -> str:
    """An IBAN or a payment reference as typed in any way (spaces, dots, full-width
    digits, lower case) reduced to what it says: '5012 3456.7890 1234' is '5012345678901234'."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def payment_file_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"/payment-files/{name}")


class ReleaseRefused(DomainError):
    """A release or hold the file's state, its bytes or the account do not allow."""

    field = "name"


class FourEyes(DomainError):
    """The person may not release this file: they prepared it, or changed a household it pays."""

    field = "actor"


@dataclass(frozen=True)
class FilePayment:
    """One transfer as the file itself carries it (read back from its bytes)."""

    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    amount: Money
    execution_date: date
    reference: str | None  # the structured creditor reference (betalingskenmerk), if any
    remittance: str | None  # the free text, if no structured reference


@dataclass(frozen=True)
class Change:
    """A change to a household by someone, recorded while the file could carry it."""

    actor: str
    dossier: str
    what: str  # the event's name: Onboarded, AgreementAmountChanged, …


class PaymentFile(Aggregate):
    """A payment file's review: pending → released, or pending → held → released."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return payment_file_id(name)

    @event("Pending")
    def __init__(self, name: str, record: PaymentFileRecord, first_execution: date,
                 prepared_by: str = PREPARER, preparers: tuple[str, ...] = ()) -> None:
        self.name = name
        self.record = record  # with its instruction ids: which payments are not sent while it waits
        self.first_execution = first_execution  # the earliest requested execution date in it
        self.prepared_by = prepared_by
        self.preparers = tuple(preparers)  # who else decided what it pays (a maatwerk case's approvers)
        self.state = PENDING
        self.history: list[dict[str, str]] = []

    @property
    def escalate_on(self) -> date:
        """The working day before its first execution date: unreleased then, it escalates."""
        return previous_business_day(date.fromordinal(self.first_execution.toordinal() - 1))

    def release(self, by: str, on: date, sha256: str, changes: Iterable[Change] = ()) -> None:
        """Release it to the bank. `sha256`: of the bytes about to be sent, which must be
        the bytes recorded; `changes`: who changed a household the file pays, lately."""
        if self.state == RELEASED:
            raise ReleaseRefused(f"{self.name}: al vrijgegeven door {self.released_by} op {self.released_on} / "
                                 f"already released by {self.released_by} on {self.released_on}")
        if sha256 != self.record.sha256:
            raise ReleaseRefused(f"{self.name}: de inhoud is veranderd sinds de nachtelijke run het bestand "
                                 f"vastlegde (sha256 {sha256[:16]}…, vastgelegd {self.record.sha256[:16]}…); "
                                 "niet vrijgegeven, stuur het niet naar de bank / the content changed since "
                                 "the job recorded it; not released, do not send it")
        self._check_four_eyes(by, changes)
        self._released(by=by, on=on, sha256=sha256)

    def _check_four_eyes(self, by: str, changes: Iterable[Change]) -> None:
        who = person(by)
        if who in NOT_A_PERSON or who == person(self.prepared_by) or by.partition(":")[0] == "job":
            raise FourEyes(f"{self.name}: vrijgeven doet een persoon met de rol finance, niet de nachtelijke "
                           f"run ({by!r}); geef uw naam (--actor) / release is by a person with the role "
                           "finance, not the job; give your name")
        if who in {person(p) for p in self.preparers}:
            raise FourEyes(f"{self.name}: {by} besloot mee over deze betaling; een ander moet het bestand "
                           f"vrijgeven (vier ogen) / {by} took part in deciding this payment; someone else must "
                           "release the file (four eyes)")
        mine: dict[str, set[str]] = {}
        for change in changes:
            if person(change.actor) == who:
                mine.setdefault(change.dossier, set()).add(change.what)
        if mine:
            what = ", ".join(f"{dossier} ({', '.join(sorted(names))})" for dossier, names in sorted(mine.items())[:5])
            what += f" +{len(mine) - 5}" if len(mine) > 5 else ""
            raise FourEyes(f"{self.name}: {by} heeft een huishouden in dit bestand gewijzigd: {what}; een ander "
                           f"moet het vrijgeven (vier ogen) / {by} changed a household this file pays: {what}; "
                           "someone else must release it (four eyes)")

    @event("Released")
    def _released(self, by: str, on: date, sha256: str) -> None:
        self.state = RELEASED
        self.history.append({"state": RELEASED, "by": by, "on": on.isoformat(), "reason": ""})

    def hold(self, by: str, on: date, reason: str) -> None:
        """Keep it from the bank, with the reason; released later it goes unchanged."""
        reason = " ".join(reason.split())
        if not reason:
            raise DomainError(f"{self.name}: zeg waarom (--reason) / say why the file is held", field="reason")
        if self.state == RELEASED:
            raise ReleaseRefused(f"{self.name}: al vrijgegeven door {self.released_by} op {self.released_on}, "
                                 "en naar de bank / already released, and sent to the bank")
        if self.state == HELD:
            last = self.history[-1]
            raise ReleaseRefused(f"{self.name}: al tegengehouden door {last['by']} op {last['on']}: "
                                 f"{last['reason']} / already held")
        self._held(by=by, on=on, reason=reason)

    @event("Held")
    def _held(self, by: str, on: date, reason: str) -> None:
        self.state = HELD
        self.history.append({"state": HELD, "by": by, "on": on.isoformat(), "reason": reason})

    @property
    def released_by(self) -> str | None:
        return self._last(RELEASED, "by")

    @property
    def released_on(self) -> str | None:
        return self._last(RELEASED, "on")

    @property
    def held_reason(self) -> str | None:
        return self._last(HELD, "reason") if self.state == HELD else None

    def _last(self, state: str, key: str) -> str | None:
        found = [entry[key] for entry in self.history if entry["state"] == state]
        return found[-1] if found else None
