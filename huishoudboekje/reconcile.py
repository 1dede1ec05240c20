"""The nightly job: pay every household whose pay date has come, then write the files.

It runs every day from the day after the last completed one up to the date asked
for, so a missed night is caught up: month by month, each month paid, filed and
completed before the next one starts, exactly as if the job had run then. It is safe
to kill at any moment and to run twice: a household's pay date is one atomic event
that the aggregate refuses to repeat, payment files are built deterministically from
the recorded instructions, and a day counts as completed only once its files are
recorded.
"""

from __future__ import annotations

import calendar
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from dateutil.relativedelta import relativedelta
from eventsourcing.persistence import IntegrityError, PersistenceError, RecordConflictError

from .bulk import release_frames, without_cycle_collection
from .domain.errors import DomainError
from .domain.household import Household, Instruction
from .domain.money import Money, total
from .domain.payment_files import PaymentFile
from .domain.run import PaymentFileRecord, Run
from .engine import Engine
from .retry import retrying

MAX_AHEAD = relativedelta(years=1)
INSTRUCTIONS_PER_FILE = 5000  # one pain.001 of 5,000 transfers is about 3 MB; its record 200 KB


try:  # only where PostgreSQL is used
    import psycopg
    _DRIVER_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, psycopg.Error)
    _DRIVER_CONFLICTS: tuple[type[BaseException], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
except ImportError:  # pragma: no cover
    _DRIVER_ERRORS, _DRIVER_CONFLICTS = (sqlite3.Error,), (sqlite3.IntegrityError,)


def _store_failed(exc: BaseException) -> bool:
    """An error of the store itself (a dropped connection, a locked or full database),
    not of one household: no reason to hold that household (see `_Job._hold`)."""
    if isinstance(exc, (RecordConflictError, *_DRIVER_CONFLICTS)):  # another writer: handled where saved
        return False
    return isinstance(exc, (PersistenceError, *_DRIVER_ERRORS))


class RunError(DomainError):
    """A run that cannot be made (a date before any household, too far ahead…):
    refused before anything is written."""


class JobFailed(RuntimeError):
    """The job stopped after it had recorded something; running it again finishes it."""


class StoreFailed(JobFailed):
    """The store failed during the job: nothing of the day is completed, and no
    household is held for it; running the job again pays and files (payments are
    idempotent: a pay date is recorded once)."""


Saved = Callable[[list[Household]], None]  # told of households once saved (`_Job.flush`)


class PaymentFileWriter(Protocol):
    """Builds a payment file deterministically, and stores it (adapters/payments.py)."""

    def build(self, *, day: date, debtor_account: str, sequence: int,
              instructions: list[Instruction]) -> tuple[PaymentFileRecord, bytes]: ...

    def check(self, instructions: list[Instruction]) -> None:
        """Raise ValueError, worded for staff, for a payment no file can carry."""

    def store(self, record: PaymentFileRecord, content: bytes) -> None: ...

    def stored(self, record: PaymentFileRecord) -> bool: ...


@dataclass
class RunSummary:
    through: date
    instructions: int = 0
    total: Money = field(default_factory=Money.zero)
    advanced: Money = field(default_factory=Money.zero)
    repaid: Money = field(default_factory=Money.zero)
    arrears: int = 0
    payment_files: list[str] = field(default_factory=list)
    days: int = 0
    paid_households: set[UUID] = field(default_factory=set, repr=False)
    held: dict[str, str] = field(default_factory=dict)  # dossier -> why its payments could not be made
    unsignalled: set[str] = field(default_factory=set, repr=False)  # held dossiers whose signal was not recorded
    escalated: list[str] = field(default_factory=list)  # pending files escalated (payment_files.escalate)

    @property
    def households_paid(self) -> int:  # once each, also when paid in two months of a catch-up
        return len(self.paid_households)

    def as_dict(self) -> dict[str, Any]:
        return {
            "through": self.through.isoformat(),
            "households_paid": self.households_paid,
            "instructions": self.instructions,
            "total": str(self.total),
            "advanced": str(self.advanced),
            "repaid": str(self.repaid),
            "arrears": self.arrears,
            "payment_files": self.payment_files,
            "held": [{"dossier": dossier, "reason": reason} for dossier, reason in sorted(self.held.items())],
            "escalated": self.escalated,
        }


def reconcile(engine: Engine, through: date, *, default_account: str, write_file: PaymentFileWriter,
              today: date | None = None, progress: Callable[[int, int], None] | None = None,
              unrepaid_cycles: int = 3, batch: int = 200,
              participant_ceiling: Money | None = None, saved: Saved | None = None) -> RunSummary:
    """Pay every household due from the day after the last completed one through
    `through`, and file its payments. `participant_ceiling`: the municipality's
    (HHB_PARTICIPANT_CEILING; a household's own comes first). `saved`: told of each batch
    of households once it is saved (`_Job.flush`)."""
    run = engine.get_or_none(Run.create_id())
    first = _first_day(engine, run, through, today or through)
    summary = RunSummary(through=through)
    if first is None or first > through:
        return summary
    # In the order of their ids, which is the order the store keeps snapshots and the
    # events' index in: each household's rows lie next to the previous one's, so the
    # run reads the store front to back instead of jumping about it.
    households = sorted(engine.household_ids(), key=lambda pair: pair[0].int)
    windows = list(catch_up_windows(first, through))
    with without_cycle_collection():  # see bulk.py
        for number, (start, end) in enumerate(windows):
            job = _Job(engine, start, end, default_account, unrepaid_cycles, summary, batch,
                       getattr(write_file, "check", None), participant_ceiling, saved)
            for done, (hid, dossier) in enumerate(households, start=1):
                job.pay(hid, dossier)
                if progress:
                    progress(number * len(households) + done, len(windows) * len(households))
            job.flush()
            _file_and_complete(engine, start, end, job, write_file, summary)
    return summary


def catch_up_windows(first: date, through: date) -> Iterator[tuple[date, date]]:
    """[first, through] cut at the ends of calendar months.

    The job finds what to file in each household's recent payments, which a household
    keeps for about a hundred days only (`KEEP_DAYS`); a catch-up of several months run
    in one go would forget its first pay dates before filing them. Run a month at a time, every
    instruction is filed, and the month completed, well within that horizon (also when
    a run is killed and started again: it resumes in the month it was in).
    """
    start = first
    while start <= through:
        month_end = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
        end = min(month_end, through)
        yield start, end
        start = end + timedelta(days=1)


class _Job:
    """Pays households and saves them in batches: one commit per batch, not per household.

    A batch is atomic; if another process wrote to one of its households meanwhile, the
    batch is not saved and each of its households is paid again on its own, from its
    latest state (where the other writer's pay date is already recorded).
    """

    def __init__(self, engine: Engine, first: date, through: date, account: str,
                 unrepaid_cycles: int, summary: RunSummary, size: int,
                 check: Callable[[list[Instruction]], None] | None = None,
                 participant_ceiling: Money | None = None, saved: Saved | None = None) -> None:
        self.size = max(1, size)
        self.saved = saved
        self.check, self.ceiling = check, participant_ceiling
        self.engine, self.first, self.through = engine, first, through
        self.account, self.unrepaid_cycles, self.summary = account, unrepaid_cycles, summary
        self.batch: list[tuple[Household, list[Any]]] = []
        self.pending: dict[tuple[date, str], list[Instruction]] = defaultdict(list)
        self.issued: dict[str, Instruction] = {}  # every instruction of the run's days, filed or not

    def pay(self, hid: UUID, dossier: str | None = None) -> None:
        try:
            household, results = self._paid(self.engine.household_by_id(hid))
        except Exception as exc:  # noqa: BLE001 - one household never stops the night
            self._hold(hid, exc, dossier)
            return
        if household.pending_events:
            self.batch.append((household, results))
            if len(self.batch) >= self.size:
                self.flush()
        else:
            self._collect(household)

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        try:
            self.engine.save(*(household for household, _ in batch))
        except (RecordConflictError, IntegrityError) as conflict:
            release_frames(conflict)  # the collector is paused (bulk.py)
            for household, _ in batch:
                self._collect(self._alone(household.id, household.dossier))
            return
        for household, results in batch:
            self._count(household, results)
            self._collect(household)
        if self.saved is not None:
            self._tell_saved([household for household, _ in batch])

    def _tell_saved(self, households: list[Household]) -> None:
        """What is told is a shortcut for others (the read models' rows, written by this
        process): when it fails, they do the work themselves, and the night goes on."""
        try:
            self.saved(households)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - see above
            release_frames(exc)

    def _paid(self, household: Household) -> tuple[Household, list[Any]]:
        """Every pay date due, then the supplement of the last one for incomes that came
        too late for it, then the household's signals as of `through`.

        Raises when a payment cannot be made, before anything is saved: see `_hold`."""
        results: list[Any] = []
        for pay_date in household.pay_dates_between(self.first, self.through):
            result = household.pay(pay_date, household.account or self.account, self.ceiling)
            if result is not None:
                results.append(result)
        supplement = household.supplement_late_incomes(self.first, self.through, household.account or self.account)
        if supplement is not None:
            results.append(supplement)
        if self.check is not None and results:  # the file must be able to carry every payment
            self.check([i for e in household.pending_events
                        if type(e).__name__ in ("PayDateRun", "PayDateSupplemented") for i in e.instructions])
        household.update_signals(self.through, self.unrepaid_cycles)
        return household, results

    def _hold(self, hid: UUID, exc: Exception, dossier: str | None = None) -> None:
        """A household whose payments cannot be made or filed is not paid tonight and
        gets a signal; every other household is paid and filed as usual. Nothing of its
        pay date is recorded, so its money stays where it is, and once staff corrected
        the cause (undo a booking, fix an IBAN) the next night pays it.

        A failure of the store itself is no fault of the household: the job stops
        (`StoreFailed`) before the day is completed, and a rerun pays it."""
        if _store_failed(exc):
            raise StoreFailed(f"the store failed while paying ({exc}); no day after the last completed one "
                              "is completed: run the job again") from exc
        reason = str(exc) or type(exc).__name__
        name = dossier or str(hid)
        try:
            household = self.engine.household_by_id(hid)  # as stored: what was paid above is dropped
            name = household.dossier
            self.summary.held[name] = reason
            pay_dates = household.pay_dates_between(self.first, self.through)
            household.hold_payments(pay_dates[0] if pay_dates else self.through, reason, self.through)
            if household.pending_events:
                self.engine.save(household)
        except (RecordConflictError, IntegrityError) as conflict:
            release_frames(conflict)  # another writer: the next night looks again
            self.summary.unsignalled.add(name)
        except Exception as again:  # noqa: BLE001 - a household that does not even load
            if _store_failed(again):
                raise StoreFailed(f"the store failed while holding {name} ({again}); no day after the last "
                                  "completed one is completed: run the job again") from again
            self.summary.held[name] = f"{reason}; the signal could not be recorded: {again}"
            self.summary.unsignalled.add(name)

    def _alone(self, hid: UUID, dossier: str | None = None) -> Household:
        def attempt() -> Household:
            try:
                household, results = self._paid(self.engine.household_by_id(hid))
            except Exception as exc:  # noqa: BLE001 - as in `pay`
                self._hold(hid, exc, dossier)
                return self.engine.household_by_id(hid)
            if not household.pending_events:
                return household
            self.engine.save(household)  # changed again meanwhile: load again
            self._count(household, results)
            return household

        return retrying(attempt, attempts=5, between=release_frames, exhausted=lambda: JobFailed(
            f"household {hid} kept changing while it was paid; run the job again"))

    def _count(self, household: Household, results: list[Any]) -> None:
        """`results`: the `CycleResult`s of the pay dates and any `Supplement`."""
        if not results:
            return
        summary = self.summary
        summary.paid_households.add(household.id)
        for result in results:
            summary.instructions += len(result.payments)
            summary.total = summary.total + total(p.amount for p in result.payments)
            summary.advanced = summary.advanced + result.advanced
            summary.repaid = summary.repaid + result.repaid
            summary.arrears += len(result.new_arrears)

    def _collect(self, household: Household) -> None:
        """The household's instructions of this run's days that no file holds yet."""
        account = household.account or self.account
        for pay_date in _pay_dates_in(household, self.first, self.through):
            for instruction in household.instructions_of(pay_date) + household.supplement_instructions_of(pay_date):
                self.issued[instruction.id] = instruction
                self.pending[(pay_date, account)].append(instruction)


def _first_day(engine: Engine, run: Run | None, through: date, today: date) -> date | None:
    if through > today + MAX_AHEAD:
        raise RunError(f"{through} lies more than a year ahead")
    if run is not None:
        earliest = run.first_day
    else:  # the very first run: where does the calendar begin?
        starts = [engine.household_by_id(hid).start for hid, _ in engine.household_ids()]
        if not starts:
            raise RunError("there are no households yet; nothing to run")
        earliest = min(starts)
    if through < earliest:
        raise RunError(f"{through} lies before any household started ({earliest})")
    if run is not None and run.completed_through is not None:
        return run.completed_through + timedelta(days=1)
    return earliest


def _pay_dates_in(household: Household, first: date, through: date) -> list[date]:
    """The days in [first, through] the household was paid on: pay dates and supplements."""
    days = {date.fromisoformat(d) for d in [*household.paid_on, *household.supplemented_on]}
    return sorted(d for d in days if first <= d <= through)


def _file_and_complete(engine: Engine, first: date, through: date, job: _Job,
                       files: PaymentFileWriter, summary: RunSummary) -> None:
    """Record the new payment files, write them, then mark the days completed.

    Recording comes first and is optimistic: if another job recorded files meanwhile,
    the Run is read again and only what no file holds yet goes into a new one. A file
    is written to disk only once recorded, and a recorded file that is missing (the
    job was killed in between) is written again, byte for byte, from its ids. Every
    file is written *pending*: only a person's release sends it to the bank
    (`payment_files.release`, which copies it to the outbox).
    """
    def attempt() -> None:
        run = engine.get_or_none(Run.create_id()) or Run(first_day=first)
        new = _new_files(run, first, through, job, files)
        # Each new file waits for a person's review (domain/payment_files.py), recorded in
        # the same write: no file exists that the review does not know.
        engine.save(run, *(PaymentFile(name=record.name, record=record, first_execution=earliest)
                           for record, _, earliest in new))
        for record, content, _ in new:
            files.store(record, content)
            summary.payment_files.append(record.name)
        _restore_missing(run, job, files)
        _complete(engine, run, first, through, summary)  # someone else moved on: look again

    retrying(attempt, attempts=10, exhausted=lambda: JobFailed(
        "other jobs kept recording payment files at the same time; run the job again"))


def _new_files(run: Run, first: date, through: date, job: _Job,
               files: PaymentFileWriter) -> list[tuple[PaymentFileRecord, bytes, date]]:
    """The files of the instructions no file holds yet: record, content, earliest execution date."""
    new = []
    done = run.completed_through or date.min  # a completed day is never filed again
    for (day, account), instructions in sorted(job.pending.items()):
        unfiled = sorted({i.id: i for i in instructions if i.id not in run.filed}.values(), key=lambda i: i.id)
        if not (done < day and first <= day <= through):
            continue
        # A day's payments go in files of at most INSTRUCTIONS_PER_FILE, so the event that
        # records a file (with its instruction ids) stays small however many households.
        for start in range(0, len(unfiled), INSTRUCTIONS_PER_FILE):
            part = unfiled[start:start + INSTRUCTIONS_PER_FILE]
            try:
                record, content = files.build(day=day, debtor_account=account,
                                              sequence=run.files_on(day, account) + 1, instructions=part)
            except ValueError as exc:  # the writer's refusal, worded for staff
                raise JobFailed(f"the payments of {day} are recorded, but their payment file for {account} "
                                f"could not be made: {exc}. Correct that and run the job again: it writes "
                                "the file then, and pays nothing twice") from None
            run.file_written(day=day, file=record)
            new.append((record, content, min(i.execution_date for i in part)))
    return new


def _restore_missing(run: Run, job: _Job, files: PaymentFileWriter) -> None:
    for record in run.open_files.values():
        if files.stored(record):
            continue
        instructions = [job.issued[i] for i in record.instruction_ids if i in job.issued]
        if len(instructions) != len(record.instruction_ids) or record.day is None:
            raise JobFailed(f"payment file {record.name} is recorded but missing, and its payments "
                            "cannot all be found to write it again")
        rebuilt, content = files.build(day=record.day, debtor_account=record.debtor_account,
                                       sequence=int(record.message_id[-2:]), instructions=instructions)
        if rebuilt.sha256 != record.sha256:
            raise JobFailed(f"payment file {record.name} cannot be written again identically")
        files.store(rebuilt, content)


def _complete(engine: Engine, run: Run, first: date, through: date, summary: RunSummary) -> None:
    day = max(first, (run.completed_through or first - timedelta(days=1)) + timedelta(days=1))
    while day <= through:
        run.day_completed(day=day, households_paid=summary.households_paid, instructions=summary.instructions)
        summary.days += 1
        day += timedelta(days=1)
    if run.pending_events:
        engine.save(run)


def message_id(day: date, account: str, sequence: int = 1) -> str:
    """Unique per file: banks refuse a second file with a message id they have seen."""
    return f"HHB{day:%Y%m%d}{account[-18:]}{sequence:02d}"[:35]


def created_at(day: date) -> datetime:
    """The file's creation stamp is the business day, so a rerun writes identical bytes."""
    return datetime.combine(day, time(0, 0))


def files_dir(var_dir: Path) -> Path:
    path = var_dir / "payments"
    path.mkdir(parents=True, exist_ok=True)
    return path
