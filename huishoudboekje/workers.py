"""The nightly job split over several workers: processes on one machine, or machines on
one PostgreSQL, each running `hhb reconcile --worker`. No coordinator: the work is
claimed in the database (adapters/pgclaims.py).

Each catch-up window (`catch_up_windows`) is cut into chunks of households by their
ids (contiguous ranges of ids, so a chunk reads its part of the store front to back).
A worker claims a chunk, pays its households as the single job does, and marks it done
together with the instructions of the window it found in them (paid by it, or by a
worker killed before). A chunk claimed by a worker that dies is free again (its claim
dies with the worker's connection) and the next worker pays it: households already
paid are found paid, since a pay date is one event the household refuses to repeat.

Once every chunk is done, one worker at a time files the window (the others wait for
it, then find the window completed): the payment files of the instructions all chunks
found, recorded in the Run as the single job records them, so a file is written once
per account and execution date whichever worker writes it, and a worker killed while
filing leaves what the next one (or a rerun) completes exactly as the single job does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from .bulk import without_cycle_collection
from .domain.household import Instruction
from .domain.money import Money
from .domain.run import Run
from .engine import Engine
from .reconcile import (PaymentFileWriter, RunSummary, Saved, _file_and_complete, _first_day, _Job,
                        catch_up_windows)

CHUNK_BATCHES, MIN_CHUNKS = 4, 8  # a chunk is four of the job's batches of households; a night at least 8 chunks


@dataclass
class ChunkResult:
    """What a worker found in one chunk, stored with its claim for whoever files."""

    pending: list[tuple[date, str, list[Instruction]]]
    paid: list[str]  # ids (hex) of the households this worker paid in the chunk
    instructions: int


class Claim(Protocol):
    chunk: int

    def done(self, result: ChunkResult) -> None:
        """Mark the chunk done with its result, releasing the claim, in one commit."""


class Claims(Protocol):
    """The chunks of a window, claimed in the database (adapters/pgclaims.py)."""

    def chunks(self, window: str, proposed: int) -> int:
        """The window's number of chunks: the first worker's proposal, for every worker."""

    def claims(self, window: str) -> Iterator[Claim]:
        """Each chunk not done yet, claimed for this worker; waits for chunks other
        workers hold, and yields any of them whose worker died; ends when all are done."""

    def filing(self, window: str) -> AbstractContextManager[list[ChunkResult]]:
        """One worker at a time: the results of every chunk of the window."""

    def forget(self, window: str) -> None:
        """Drop a filed window's claims and results."""


def chunk_of(hid: UUID, chunks: int) -> int:
    """Contiguous ranges of ids, of about equal size (ids are uniformly spread)."""
    return hid.int * chunks >> 128


def reconcile_worker(engine: Engine, through: date, claims: Claims, *, default_account: str,
                     write_file: PaymentFileWriter, today: date | None = None,
                     progress: Callable[[int, int], None] | None = None, unrepaid_cycles: int = 3,
                     batch: int = 200, participant_ceiling: Money | None = None,
                     saved: Saved | None = None) -> RunSummary:
    """As `reconcile`, sharing the work with every other worker on the same store."""
    summary = RunSummary(through=through)
    first = _first_day(engine, engine.get_or_none(Run.create_id()), through, today or through)
    if first is None or first > through:
        return summary
    households = sorted(engine.household_ids(), key=lambda pair: pair[0].int)
    per_chunk = max(1, batch) * CHUNK_BATCHES
    proposed = min(max(1, len(households)), max(MIN_CHUNKS, -(-len(households) // per_chunk)))

    def job(start: date, end: date, into: RunSummary) -> _Job:
        return _Job(engine, start, end, default_account, unrepaid_cycles, into, batch,
                    getattr(write_file, "check", None), participant_ceiling, saved)

    with without_cycle_collection():
        for start, end in catch_up_windows(first, through):
            if _completed(engine, end):
                continue
            window = f"{start.isoformat()}..{end.isoformat()}"
            chunks = claims.chunks(window, proposed)
            done = 0
            for claim in claims.claims(window):
                mine = [(hid, dossier) for hid, dossier in households if chunk_of(hid, chunks) == claim.chunk]
                found = RunSummary(through=through)
                paying = job(start, end, found)
                for hid, dossier in mine:
                    paying.pay(hid, dossier)
                    done += 1
                    if progress:
                        progress(done, len(households))
                paying.flush()
                claim.done(_result(paying, found))
                _merge(summary, found)
            _file(engine, claims, window, job(start, end, RunSummary(through=through)), write_file, summary)
    return summary


def _file(engine: Engine, claims: Claims, window: str, filing: _Job, write_file: PaymentFileWriter,
          summary: RunSummary) -> None:
    start, end = (date.fromisoformat(d) for d in window.split(".."))
    with claims.filing(window) as results:
        if _completed(engine, end):  # another worker filed it while this one waited
            return
        counted = RunSummary(through=summary.through)  # the window's, over every worker
        for result in results:
            for day, account, instructions in result.pending:
                filing.pending[(day, account)].extend(instructions)
                filing.issued.update((i.id, i) for i in instructions)
            counted.paid_households.update(UUID(hid) for hid in result.paid)
            counted.instructions += result.instructions
        _file_and_complete(engine, start, end, filing, write_file, counted)
        summary.payment_files.extend(counted.payment_files)
        summary.days += counted.days
    claims.forget(window)


def _completed(engine: Engine, end: date) -> bool:
    run = engine.get_or_none(Run.create_id())
    return run is not None and run.completed_through is not None and run.completed_through >= end


def _result(job: _Job, found: RunSummary) -> ChunkResult:
    return ChunkResult(pending=[(day, account, list(instructions))
                                for (day, account), instructions in sorted(job.pending.items())],
                       paid=sorted(hid.hex for hid in found.paid_households), instructions=found.instructions)


def _merge(summary: RunSummary, found: RunSummary) -> None:
    summary.paid_households |= found.paid_households
    summary.instructions += found.instructions
    summary.total = summary.total + found.total
    summary.advanced = summary.advanced + found.advanced
    summary.repaid = summary.repaid + found.repaid
    summary.arrears += found.arrears
    summary.held.update(found.held)
    summary.unsignalled |= found.unsignalled


def merge_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' summaries (`RunSummary.as_dict`) as one, for `hhb reconcile --workers N`."""
    held = {h["dossier"]: h["reason"] for s in summaries for h in s["held"]}
    return {  # in the order of `RunSummary.as_dict`
        "through": summaries[0]["through"] if summaries else None,
        "households_paid": sum(s["households_paid"] for s in summaries),
        "instructions": sum(s["instructions"] for s in summaries),
        **{key: str(sum((Money(s[key]) for s in summaries), Money.zero())) for key in ("total", "advanced", "repaid")},
        "arrears": sum(s["arrears"] for s in summaries),
        "payment_files": sorted({f for s in summaries for f in s["payment_files"]}),
        "held": [{"dossier": d, "reason": r} for d, r in sorted(held.items())],
        "escalated": sorted({f for s in summaries for f in s["escalated"]}),
    }
