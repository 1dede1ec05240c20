"""The nightly reconciliation job's own memory: which days are done, which files written.

A day is completed only after every household's pay date of that day is paid and its
payment files are recorded, so a run killed halfway is simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class Run(Aggregate):
    """One per engine: the job's progress through the calendar."""

    @staticmethod
    def create_id() -> UUID:
        return RUN_ID

    @event("Started")
    def __init__(self, first_day: date) -> None:
        self.first_day = first_day
        self.completed_through: date | None = None
        self.files: dict[str, PaymentFileRecord] = {}
        self.filed: dict[str, str] = {}  # instruction id -> file name

    @event("PaymentFileWritten")
    def file_written(self, day: date, file: PaymentFileRecord) -> None:
        self.files[file.name] = file
        for instruction_id in file.instruction_ids:
            self.filed[instruction_id] = file.name

    @event("DayCompleted")
    def day_completed(self, day: date, households_paid: int, instructions: int) -> None:
        self.completed_through = day


RUN_ID = uuid5(NAMESPACE, "/runs")
