"""The nightly reconciliation job's own memory: which days are done, which files written.

A day is completed only after every household's pay date of that day is paid and its
payment files are recorded, so a run killed halfway is simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .household import NAMESPACE
from .money import Money


@dataclass(frozen=True)
class PaymentFileRecord:
    name: str
    sha256: str
    count: int
    control_sum: Money
    debtor_account: str
    message_id: str
    version: str
    instruction_ids: tuple[str, ...]
    day: date | None = None


class Run(Aggregate):
    """One per engine: the job's progress through the calendar."""

    @staticmethod
    def create_id() -> UUID:
        return RUN_ID

    @event("Started")
    def __init__(self, first_day: date) -> None:
        self.first_day = first_day
        self.completed_through: date | None = None
        self.files: dict[str, PaymentFileRecord] = {}  # without their instruction ids
        self.filed: dict[str, str] = {}  # instruction id -> day (ISO), for days not yet completed
        self.open_files: dict[str, PaymentFileRecord] = {}  # in full, for days not yet completed

    @event("PaymentFileWritten")
    def file_written(self, day: date, file: PaymentFileRecord) -> None:
        """Recorded *before* the file is written to disk, so no file exists that the
        books do not know; a file recorded but missing is written again from its ids."""
        self.files[file.name] = replace(file, instruction_ids=())  # the event keeps them
        self.open_files[file.name] = file
        for instruction_id in file.instruction_ids:
            self.filed[instruction_id] = day.isoformat()

    @property
    def snapshot_ready(self) -> bool:
        """Snapshot only between days: an open day holds every instruction id it filed
        (80,000 at 20,000 households), which a completed day forgets."""
        return not self.filed and not self.open_files

    def files_on(self, day: date, account: str) -> int:
        return sum(1 for f in self.files.values() if f.day == day and f.debtor_account == account)

    @event("DayCompleted")
    def day_completed(self, day: date, households_paid: int, instructions: int) -> None:
        """A completed day is never run again, so what it filed need not be remembered:
        the Run stays small however many years it runs."""
        self.completed_through = day
        done = day.isoformat()
        self.filed = {i: d for i, d in self.filed.items() if d > done}
        self.open_files = {n: f for n, f in self.open_files.items() if f.day and f.day > day}


RUN_ID = uuid5(NAMESPACE, "/runs")
