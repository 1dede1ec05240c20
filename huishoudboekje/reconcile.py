"""The nightly job: pay every household whose pay date has come, then write the files.

It runs every day from the day after the last completed one up to the date asked
for, so a missed night is caught up. It is safe to kill at any moment and to run
twice: a household's pay date is one atomic event that the aggregate refuses to
repeat, payment files are built deterministically from the recorded instructions,
and a day counts as completed only once its files are recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError, RecordConflictError

from .domain.household import Household, Instruction
from .domain.money import Money, total
from .domain.run import PaymentFileRecord, Run
from .engine import Engine

MAX_AHEAD = timedelta(days=366)


class RunError(ValueError):
    """A run that cannot be made (a date before any household, too far ahead…)."""


class PaymentFileWriter(Protocol):
    def __call__(self, *, day: date, debtor_account: str, instructions: list[Instruction]) -> PaymentFileRecord: ...


@dataclass
class RunSummary:
    through: date
    households_paid: int = 0
    instructions: int = 0
    total: Money = field(default_factory=Money.zero)
    advanced: Money = field(default_factory=Money.zero)
    repaid: Money = field(default_factory=Money.zero)
    arrears: int = 0
    payment_files: list[str] = field(default_factory=list)
    days: int = 0

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
        }


def reconcile(engine: Engine, through: date, *, default_account: str, write_file: PaymentFileWriter,
              today: date | None = None, progress: Callable[[int, int], None] | None = None,
              unrepaid_cycles: int = 3) -> RunSummary:
    run = engine.get_or_none(Run.create_id())
    first = _first_day(engine, run, through, today or through)
    summary = RunSummary(through=through)
    if first is None or first > through:
        return summary
    if run is None:
        run = Run(first_day=first)
    pending: dict[tuple[date, str], list[Instruction]] = defaultdict(list)
    households = list(engine.household_ids())
    for done, (hid, _) in enumerate(households, start=1):
        household = _pay_household(engine, hid, first, through, default_account, summary, unrepaid_cycles)
        account = household.account or default_account
        for pay_date in _pay_dates_in(household, first, through):
            for instruction in household.instructions_of(pay_date):
                if instruction.id not in run.filed:
                    pending[(pay_date, account)].append(instruction)
        if progress:
            progress(done, len(households))
    _complete_days(engine, run, first, through, pending, write_file, summary)
    return summary


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
    return [date.fromisoformat(d) for d in household.paid_on if first <= date.fromisoformat(d) <= through]


def _pay_household(engine: Engine, hid, first: date, through: date, account: str,
                   summary: RunSummary, unrepaid_cycles: int) -> Household:
    """Pay every pay date due, then look at the household's signals as of `through`."""
    for attempt in range(5):
        household = engine.household_by_id(hid)
        results = []
        for pay_date in household.pay_dates_between(first, through):
            result = household.pay(pay_date, household.account or account)
            if result is not None:
                results.append(result)
        household.update_signals(through, unrepaid_cycles)
        if not household.pending_events:
            return household
        try:
            engine.save(household)
        except (RecordConflictError, IntegrityError):
            continue  # another run paid it meanwhile: load again, it will have nothing to do
        if not results:
            return household
        summary.households_paid += 1
        for result in results:
            summary.instructions += len(result.payments)
            summary.total = summary.total + total(p.amount for p in result.payments)
            summary.advanced = summary.advanced + result.advanced
            summary.repaid = summary.repaid + result.repaid
            summary.arrears += len(result.new_arrears)
        return household
    raise RunError(f"household {hid} kept changing while it was paid; run again")


def _complete_days(engine: Engine, run: Run, first: date, through: date,
                   pending: dict[tuple[date, str], list[Instruction]],
                   write_file: PaymentFileWriter, summary: RunSummary) -> None:
    day = first
    while day <= through:
        for (pay_date, account), instructions in sorted(pending.items()):
            if pay_date != day:
                continue
            record = write_file(day=day, debtor_account=account,
                                instructions=sorted(instructions, key=lambda i: i.id))
            run.file_written(day=day, file=record)
            summary.payment_files.append(record.name)
        run.day_completed(day=day, households_paid=summary.households_paid, instructions=summary.instructions)
        summary.days += 1
        day += timedelta(days=1)
    engine.save(run)


def message_id(day: date, account: str) -> str:
    return f"HHB{day:%Y%m%d}{account}"[:35]


def created_at(day: date) -> datetime:
    """The file's creation stamp is the business day, so a rerun writes identical bytes."""
    return datetime.combine(day, time(0, 0))


def files_dir(var_dir: Path) -> Path:
    path = var_dir / "payments"
    path.mkdir(parents=True, exist_ok=True)
    return path
