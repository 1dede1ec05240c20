"""Four eyes on every payment file: listing, release, hold, and the escalation of a file
nobody released in time. What a file pays, and what is unusual in it, is read by
`payment_review.py`.

The nightly job writes every file *pending* (`reconcile.py`, `domain/payment_files.py`).
A person with the role `finance` releases it: not the job, and not someone who changed
a household the file pays while the file could carry that change. Release reads the
file's bytes again, refuses them when their hash is not the one recorded, asks whether
the account holds the money (`available`), and only then copies the file to the outbox
a bank connection collects from (`HHB_OUTBOX_DIR`). A held file stays where it is, its
payments not sent; released later, it goes as it was written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol
from uuid import UUID

from . import controls
from .domain.controls import CONTROLS_ID, Controls
from .domain.errors import NotFound
from .domain.ids import household_prefix
from .domain.money import Money
from .domain.payment_files import (BEFORE_REVIEW, PENDING, RELEASED, Change, FilePayment, PaymentFile,
                                   ReleaseRefused, payment_file_id)
from .domain.run import RUN_ID, PaymentFileRecord
from .domain.signals import CRITICAL, HIGH
from .engine import Engine
from .projections.views import Projections, file_row, review_row

UNRELEASED = "payment-file-unreleased"  # the control's rule: a pending file on the day before it executes
EVENTS_PAGE = 25  # a household's newest events read at a time, looking for today's changes


class FileStore(Protocol):
    """Where files are: the job's pending ones, and the outbox (adapters/payments.py)."""

    def read(self, name: str) -> bytes | None: ...

    def payments(self, content: bytes) -> list[FilePayment]: ...

    def stage(self, name: str, content: bytes) -> str:
        """A copy beside the outbox, not yet in it; returns which copy."""

    def publish(self, name: str, staged: str) -> None:
        """Every other staged copy away, then `staged` into the outbox, atomically."""

    def staged(self, name: str) -> list[str]: ...

    def discard(self, name: str, staged: str | None = None) -> None: ...

    def in_outbox(self, name: str) -> bool: ...


Available = Callable[[str], Money | None]  # what the account holds for payments; None: not known


def unknown(account: str) -> Money | None:
    """The default of `available`: not known, so not checked."""
    return None


def control_key(name: str) -> str:
    return f"{UNRELEASED}:{name}"


# -- reading ---------------------------------------------------------------------------


def review_of(engine: Engine, name: str) -> PaymentFile:
    """A file's review; ReleaseRefused for a file written before reviews existed."""
    found = engine.get_or_none(payment_file_id(name))
    if found is not None:
        return found
    run = engine.get_or_none(RUN_ID)
    if run is not None and name in run.files:
        raise ReleaseRefused(f"{name}: geschreven voordat betaalbestanden werden gecontroleerd; het ging zo "
                             "naar de bank / written before payment files were reviewed; it went to the bank "
                             "as written")
    raise NotFound(f"no payment file {name}", field="name")


def listing(engine: Engine, projections: Projections, states: tuple[str, ...] = (),
            others: Iterable[PaymentFileRecord] = ()) -> list[dict[str, Any]]:
    """Every payment file with its review's state, by name (`states`: only those).

    From the read model; a file it does not hold yet (not projected, or recorded before
    the read model kept files) is read from the `Run` (or `others`: files recorded
    elsewhere, a maatwerk case's) and its review."""
    rows = {row["name"]: row for row in projections.payment_files()}
    run = engine.get_or_none(RUN_ID)
    recorded = [*(run.files.values() if run is not None else ()), *others]
    for name, record in ((r.name, r) for r in recorded):
        if name not in rows:
            review = engine.get_or_none(payment_file_id(name))
            rows[name] = review_row(review) if review is not None else file_row(record, BEFORE_REVIEW)
    return [_listed(rows[name]) for name in sorted(rows) if not states or rows[name]["state"] in states]


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "state": row["state"], "day": row["file_day"],
            "first_execution": row["first_execution"], "sha256": row["sha256"], "count": row["payments"],
            "control_sum": row["control_sum"], "debtor_account": row["debtor_account"],
            "message_id": row["message_id"], "version": row["pain_version"], "instructions": row["payments"],
            "changed_by": row["changed_by"], "changed_on": row["changed_on"], "reason": row["reason"]}


def answer(review: PaymentFile, files: FileStore, **more: Any) -> dict[str, Any]:
    last = review.history[-1] if review.history else {}
    return {"name": review.name, "state": review.state, "by": last.get("by"), "on": last.get("on"),
            "reason": last.get("reason") or None, "in_outbox": files.in_outbox(review.name), **more}


# -- release and hold --------------------------------------------------------------------


def release(engine: Engine, files: FileStore, name: str, actor: str, today: date, *, zone: tzinfo,
            available: Available = unknown, now: datetime | None = None) -> dict[str, Any]:
    """Release a pending or held file to the bank: checked, recorded, then in the outbox.

    A release that was recorded and then interrupted before the file reached the outbox
    is completed by releasing it again."""
    def attempt() -> dict[str, Any]:
        review = review_of(engine, name)
        if review.state == RELEASED:
            return _complete(review, files, actor, today)
        content = files.read(name)
        if content is None:
            raise ReleaseRefused(f"{name}: het bestand staat niet bij de betaalbestanden; draai de nachtelijke run "
                                 "opnieuw, die schrijft het opnieuw / the file is not on disk; run the job again, "
                                 "it writes it again")
        digest = hashlib.sha256(content).hexdigest()
        paid = households_paid(engine, files.payments(content)) if digest == review.record.sha256 else {}
        review.release(actor, today, digest, changes_to(engine, paid, window_start(review, zone)))
        _check_cover(review, available)
        staged = files.stage(name, content)
        try:
            _save(engine, review, actor, today, "vrijgegeven / released")
        except BaseException:
            files.discard(name, staged)
            raise
        files.publish(name, staged)
        return answer(review, files, completed=False)

    return engine.retrying(attempt)


def _complete(review: PaymentFile, files: FileStore, actor: str, today: date) -> dict[str, Any]:
    """A released file: if its copy never reached the outbox, it does now; else refused."""
    staged = files.staged(review.name)
    if not staged:
        review.release(actor, today, review.record.sha256)  # refuses: released already, by whom
    files.publish(review.name, staged[0])
    return answer(review, files, completed=True)


def _check_cover(review: PaymentFile, available: Available) -> None:
    record = review.record
    there = available(record.debtor_account)
    if there is not None and record.control_sum > there:
        short = record.control_sum - there
        raise ReleaseRefused(f"{review.name}: rekening {record.debtor_account} dekt het bestand niet: nodig "
                             f"{record.control_sum}, beschikbaar {there}, tekort {short} / the account does not "
                             f"cover the file: needed {record.control_sum}, available {there}, shortfall {short}")


def hold(engine: Engine, files: FileStore, name: str, actor: str, today: date, reason: str) -> dict[str, Any]:
    """Keep a pending file from the bank, with the reason; its payments stay not sent."""
    def attempt() -> PaymentFile:
        review = review_of(engine, name)
        review.hold(actor, today, reason)
        _save(engine, review, actor, today, f"tegengehouden / held: {' '.join(reason.split())}")
        return review

    review = engine.retrying(attempt)
    files.discard(name)  # a copy staged by a release that was never recorded
    return answer(review, files)


def _save(engine: Engine, review: PaymentFile, actor: str, today: date, note: str) -> None:
    """The review's decision, and its escalation resolved, in one write."""
    found: Controls | None = engine.get_or_none(CONTROLS_ID)
    key = control_key(review.name)
    if found is not None and key in found.signals and found.signals[key].is_open:
        found.resolve(key, today, actor, note)
        engine.save(review, found)
    else:
        engine.save(review)


# -- four eyes ---------------------------------------------------------------------------


def households_paid(engine: Engine, payments: Iterable[FilePayment]) -> dict[UUID, str]:
    """The households a file pays (id -> dossier), from the end-to-end ids it carries."""
    prefixes = {p.end_to_end_id.split("-", 1)[0] for p in payments}
    return {hid: dossier for hid, dossier in engine.household_ids() if household_prefix(hid) in prefixes}


def window_start(review: PaymentFile, zone: tzinfo) -> datetime:
    """From the start of the day before the file was recorded (the job runs at night,
    after the day's changes), in the municipality's time zone."""
    recorded = review.created_on.astimezone(zone).date()
    return datetime.combine(recorded - timedelta(days=1), time(0, 0), tzinfo=zone)


def changes_to(engine: Engine, households: dict[UUID, str], since: datetime) -> list[Change]:
    """Who changed these households since `since`: every event with an actor."""
    changes = []
    for hid, dossier in households.items():
        for recorded in _events_since(engine, hid, since):
            actor = getattr(recorded, "actor", None)
            if actor:
                changes.append(Change(actor, dossier, type(recorded).__name__))
    return changes


def _events_since(engine: Engine, hid: UUID, since: datetime) -> Iterator[Any]:
    """A household's events recorded since `since`, newest first.

    The one place the engine reads when an event was *written* (its timestamp) instead
    of the business date it carries: "who changed this household that day" is about
    the moment a person did it, which is what the timestamp is."""
    below: int | None = None
    while True:
        page = list(engine.events.get(hid, lte=below, desc=True, limit=EVENTS_PAGE))
        for recorded in page:
            if recorded.timestamp < since:
                return
            yield recorded
        if len(page) < EVENTS_PAGE:
            return
        below = page[-1].originator_version - 1


# -- escalation --------------------------------------------------------------------------


def escalate(engine: Engine, projections: Projections, today: date) -> list[str]:
    """Raise `payment-file-unreleased` for every pending file on or after the working day
    before its first execution date (critical once that date has come): rent must not go
    out late because nobody released its file. Returns the files raised now."""
    due = []
    for row in projections.payment_files((PENDING,)):
        review = engine.get_or_none(payment_file_id(row["name"]))  # the read model found it; the events decide
        if review is not None and review.state == PENDING and today >= review.escalate_on:
            due.append(review)
    if not due:
        return []

    def command(found: Controls) -> list[str]:
        return [r.name for r in due if found.raise_signal(
            UNRELEASED, control_key(r.name), CRITICAL if r.first_execution <= today else HIGH,
            {"file": r.name, "execution_date": r.first_execution.isoformat(), "amount": str(r.record.control_sum),
             "payments": r.record.count, "debtor_account": r.record.debtor_account}, today)]

    return controls.change(engine, command)
