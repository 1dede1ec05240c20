"""Benchmark: the nightly pay-date run for many households (run on demand, never in CI).

Issue requirement: run the pay date for 1,000, 10,000 and 100,000 households (each
with 3–8 agreements and a year of history) on SQLite; print the time per household at
each size and the ratio of the whole run to the time SQLite needs to insert the same
number of event rows with executemany on the same machine in the same run. Targets:
time per household flat (within 20%) from 1,000 to 100,000 households and from 1 to 60
months of history; the run at most 4x the raw insert time.

    .venv/bin/python bench/bench_paydate.py                          # 1,000 and 10,000; 1/12/60 months
    .venv/bin/python bench/bench_paydate.py --sizes 1000 10000 100000
    .venv/bin/python bench/bench_paydate.py --sizes 200 --months 1 6 --no-profile   # quick

How the history is made (fast, yet the rows the engine would write): households are
built in memory as `Household` aggregates (pay day 1; 1–3 incomes, 2–5 charges, some
quarterly; 20% weekly leefgeld, 20% paid on the due date), and for every month of
history their incomes are booked (`book_income`, 3% missing, 5% deviating), the pay
date is run (`pay`) and, unless --no-confirmations, every payment is confirmed as the
next bank statement would (`confirm_payment`). Worker processes (--workers) build the
batches and encode their events with the engine's own mapper; this process writes each
batch in one transaction, the rows `engine.save(*households, *index events)` writes,
with the household index written like `households._save` does. Snapshots are taken in
memory at the versions the library would take them (checked against a replay on the
first batch; --library-snapshots lets engine.save take them, ~3x slower). The Run is
saved with `engine.save` as the job would have left it: a DayCompleted for every day and
a PaymentFileWritten naming the instructions of every past pay date (--no-run-history:
one DayCompleted only). The incomes of the measured month are booked too, so the
measured `reconcile(...)` call has exactly one day to do: the pay date itself.

Each store is measured on a fresh copy of it, in the same page-cache state at every
size (--cache warm: the copy read once; cold: the page cache emptied, as root), and
stores of up to 10,000 households three times, reporting the median run (--repeat,
--repeat-up-to). The machine is shared and its speed drifts (up to 1.4x within a
quarter of an hour), so all stores are made first and then measured in rounds, one run
of each store per round: the small stores' runs lie before and after the large one's.
--stores DIR keeps the generated stores and reuses them on later runs.

The table splits each run's wall time: `load` (engine.household_by_id), `save`
(engine.save of households), `file` (the pain.001 writer), `Run s` (loading and saving
the Run, once per run) and `other` (the domain: pay, signals). `raw insert s` is the
baseline (executemany, one transaction, same row count and average row size, into a
fresh file); `raw into store s` the same rows inserted the same way into the measured
copy itself, after the run (the median over the runs): what SQLite needs to add them to
a store that holds a history, where each household's index entries fill pages of their
own. The machine may be shared: `cpu ms/hh` (process time) is steadier than wall time
when the load average is high.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (RESULTS, code_version, ibans, log, print_table, profile_top,  # noqa: E402
                     raw_insert_into_store, raw_insert_seconds)

from adapters.payments import Pain001Writer  # noqa: E402
from adapters.store import open_engine  # noqa: E402
from huishoudboekje.engine import SNAPSHOTS_KEPT_EVERY  # noqa: E402
from huishoudboekje.domain.agreement import (  # noqa: E402
    CHARGE,
    DEFAULT_PRIORITY,
    INCOME,
    Agreement,
    AmountFrom,
    Counterparty,
    Participant,
    Tolerance,
)
from huishoudboekje.domain.household import DUE_DATE, MONTHLY, PAY_DATE, WEEKLY, Household  # noqa: E402
from huishoudboekje.domain.money import Money  # noqa: E402
from huishoudboekje.domain.paydate import pay_date_in  # noqa: E402
from huishoudboekje.domain.run import Run  # noqa: E402
from huishoudboekje.domain.schedule import Schedule  # noqa: E402
from huishoudboekje.reconcile import reconcile  # noqa: E402

MANAGED = "NL39BNGH0285009999"  # the engine's default managed account
MEASURED_MONTH = (2027, 3)  # pay day 1 -> Monday 1 March 2027 is the measured pay date

PAYERS = {
    "bijstand": ("bijstand", "Gemeente Utrecht", "NL14BNGH0285001234", {"last_business_day": True}),
    "uitkering": ("uitkering", "UWV", "NL91ABNA0417164300", {"day": 23}),
    "loon": ("loon", "Werkgever BV", "NL44RABO0123456789", {"day": 25}),
    "zorgtoeslag": ("toeslag", "Belastingdienst/Toeslagen", "NL86INGB0002445588", {"day": 20}),
    "huurtoeslag": ("toeslag", "Belastingdienst/Toeslagen", "NL86INGB0002445588", {"day": 20}),
    "kinderbijslag": ("kinderbijslag", "Sociale Verzekeringsbank", "NL20INGB0001234567", {"day": 15}),
}
CHARGES = {  # id: (category, creditor, every, months, day, amount range)
    "huur": ("huur", "Woningcorporatie Portaal", "month", (), 1, (450, 800)),
    "energie": ("energie", "Vattenfall", "month", (), 5, (80, 160)),
    "zorgverzekering": ("zorgverzekering", "Zilveren Kruis", "month", (), 1, (120, 150)),
    "water": ("water", "Vitens", "quarter", (2, 5, 8, 11), 28, (45, 75)),
    "belastingen": ("gemeentelijke-belastingen", "Gemeente Utrecht", "quarter", (3, 6, 9, 12), 28, (60, 120)),
}


def measured_pay_date() -> date:
    return pay_date_in(*MEASURED_MONTH, 1)


def history_start(months: int) -> date:
    """A start two weeks before the pay date `months` months before the measured one.

    So exactly `months` pay dates lie before the measured pay date, and the incomes of
    the weeks before the first of them are booked too.
    """
    year, month = MEASURED_MONTH
    index = year * 12 + (month - 1) - months
    return pay_date_in(index // 12, index % 12 + 1, 1) - timedelta(days=14)


# -- generating households -------------------------------------------------------------------


def new_household(n: int, start: date, rng: random.Random, participant_iban: str,
                  creditor_ibans: list[str]) -> Household:
    dossier = f"PD-{n:06d}"
    household = Household(
        dossier=dossier,
        team=f"Wijkteam {('Noord', 'Oost', 'Zuid', 'West')[n % 4]}",
        start=start,
        pay_day=1,
        buffer_limit=Money("1500.00"),
        minimum_leefgeld=Money("250.00"),
        leefgeld_schedule=WEEKLY if rng.random() < 0.2 else MONTHLY,
        execute_on=DUE_DATE if rng.random() < 0.2 else PAY_DATE,
        participants=[Participant(f"Deelnemer {n}", participant_iban)],
        account=None,
        actor="bench",
    )
    incomes = [rng.choice(["bijstand", "bijstand", "uitkering", "loon"])]
    incomes += rng.sample(["zorgtoeslag", "huurtoeslag", "kinderbijslag"], rng.randint(0, 2))
    charges = ["huur"] + rng.sample(["energie", "zorgverzekering", "water", "belastingen"], rng.randint(1, 4))
    charge_total = 0
    for ident in charges:
        category, name, every, months, day, (lo, hi) = CHARGES[ident]
        amount = rng.randint(lo, hi)
        charge_total += amount if every == "month" else amount // 3 + 1
        iban = "NL20INGB0001234567" if ident == "huur" else creditor_ibans[list(CHARGES).index(ident)]
        household.add_agreement(Agreement(
            id=ident, kind=CHARGE, category=category, counterparty=Counterparty(name, iban),
            amounts=(AmountFrom(start, Money(f"{amount}.{rng.randint(0, 99):02d}")),),
            schedule=Schedule(every=every, start=start, day=day, months=months),
            reference=f"{5012345678900000 + n:016d}" if ident == "huur" else f"Klant {n}",
            priority=DEFAULT_PRIORITY[category],
        ), "bench")
    # Incomes cover the charges plus 300–900 of leefgeld; the first income carries the bulk.
    needed = charge_total + rng.randint(300, 900)
    shares = [rng.randint(100, 300) for _ in incomes[1:]]
    for ident, amount in zip(incomes, [max(needed - sum(shares), 200)] + shares):
        category, name, iban, when = PAYERS[ident]
        household.add_agreement(Agreement(
            id=ident, kind=INCOME, category=category, counterparty=Counterparty(name, iban),
            amounts=(AmountFrom(start, Money(f"{amount}.00")),),
            schedule=Schedule(every="month", start=start, **when),
            tolerance=Tolerance(3, Money("25.00")),
            match_terms=(dossier,) if ident in ("bijstand", "uitkering", "loon") else (dossier, ident),
        ), "bench")
    return household


def transaction_id(dossier: str, agreement_id: str, day: date) -> str:
    digest = hashlib.blake2b(f"{dossier}|{agreement_id}|{day}".encode(), digest_size=10).hexdigest()
    return f"T{day.year:04d}{day.month:02d}-{digest}"


def book_incomes(household: Household, lo: date, hi: date, rng: random.Random, after) -> int:
    """Book every income occurrence in [lo, hi] (3% missing, 5% deviating); the number booked."""
    booked = 0
    for agreement in household.agreements.values():
        if agreement.kind != INCOME:
            continue
        for day in agreement.schedule.occurrences(lo, hi):
            roll = rng.random()
            if roll < 0.03:
                continue  # the income did not come this month: the buffer steps in
            amount = agreement.amount_on(day)
            if roll > 0.95:
                amount = amount - Money(f"{rng.randint(10, 60)}.00")
            household.book_income(transaction_id(household.dossier, agreement.id, day),
                                  agreement.id, amount, day, "import")
            after(household)
            booked += 1
    return booked


def live_history(household: Household, measured: date, rng: random.Random, confirm: bool, after,
                 filed: dict | None = None) -> int:
    """Every pay date before `measured`, as the engine would have run it; the pay dates run.

    `filed` collects the instruction ids per pay date, for the Run's payment files.
    """
    one_day = timedelta(days=1)
    previous = household.start - one_day
    pay_dates = household.pay_dates_between(household.start, measured - one_day)
    for pay_date in pay_dates:
        book_incomes(household, previous + one_day, pay_date, rng, after)
        household.pay(pay_date, MANAGED)
        after(household)
        if filed is not None:
            filed.setdefault(pay_date, []).extend(
                i.id for i in household.instructions.values() if i.pay_date == pay_date)
        if confirm:
            for instruction in list(household.instructions.values()):
                if instruction.status == "scheduled":
                    household.confirm_payment(instruction.id, f"C{instruction.id[:20]}",
                                              instruction.execution_date + one_day)
                    after(household)
        previous = pay_date
    book_incomes(household, previous + one_day, measured, rng, after)  # the measured month's incomes
    return len(pay_dates)


class Snapshots:
    """The snapshots the library would take in `engine.save`, taken from memory instead.

    The library snapshots a household whenever a saved event's version is a multiple of
    the interval, by reading the aggregate back from the store at that version (one
    read and one commit per snapshot: 70% of the generation time). A household here
    emits one event per command, so snapshotting it in memory right after the command
    that reached such a version gives the same state; it is encoded at once, before
    later commands mutate the state. `check_snapshots` proves the equivalence on a sample.
    """

    def __init__(self, engine) -> None:
        self.mapper = engine.snapshots.mapper
        self.interval = type(engine).snapshotting_intervals.get(Household)
        self.cls = getattr(Household, "Snapshot", type(engine).snapshot_class)
        self.latest: dict = {}  # (household id, hundred of versions) -> its newest snapshot, stored
        self.taken: dict = {}

    def after(self, household: Household) -> None:
        version = household.version
        if self.interval and version % self.interval == 0 and self.taken.get(household.id) != version:
            self.taken[household.id] = version
            block = (version - 1) // SNAPSHOTS_KEPT_EVERY
            self.latest[(household.id, block)] = self.mapper.to_stored_event(self.cls.take(household))

    @property
    def pending(self) -> list:
        """The newest snapshot of each household in each hundred versions, as the engine keeps."""
        return list(self.latest.values())


def check_snapshots(engine, sample: int = 25) -> int:
    """Compare stored snapshots with a replay of the stored events up to their version."""
    from eventsourcing.application import project_aggregate

    cls = getattr(Household, "Snapshot", type(engine).snapshot_class)
    encode = engine.mapper.transcoder.encode
    checked = 0
    for hid, _ in engine.household_ids():
        for stored in engine.snapshots.recorder.select_events(hid):
            mine = engine.snapshots.mapper.to_domain_event(stored)
            replayed = project_aggregate(None, engine.events.get(hid, lte=stored.originator_version))
            if encode(mine.state) != encode(cls.take(replayed).state):
                raise AssertionError(f"snapshot of {hid} v{stored.originator_version} differs from replay")
            checked += 1
        if checked >= sample:
            break
    return checked


_WORKER_ENGINE = None


def _encoder_engine():
    """An in-memory Engine, only for its mapper (same transcodings as the real store)."""
    global _WORKER_ENGINE
    if _WORKER_ENGINE is None:
        from huishoudboekje.engine import Engine

        _WORKER_ENGINE = Engine(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return _WORKER_ENGINE


def build_batch(task: tuple) -> tuple:
    """Households first+1..last with their history, as the stored events save() would write.

    Runs in a worker process (or inline): returns (stored events, stored snapshots,
    [(household id, dossier)], pay dates of history).
    """
    first, last, months, seed, confirm = task
    engine = _encoder_engine()
    rng = random.Random(seed)
    start, measured = history_start(months), measured_pay_date()
    participants = ibans("RABO", last - first, offset=1_000_000 + first)
    creditors = ibans("INGB", 8, offset=5_000_000)
    snapshots = Snapshots(engine)
    households, pay_dates_run, filed = [], 0, {}
    for n in range(first + 1, last + 1):
        household = new_household(n, start, rng, participants[n - first - 1], creditors)
        pay_dates_run = max(pay_dates_run, live_history(household, measured, rng, confirm, snapshots.after,
                                                        filed))
        households.append(household)
    to_stored = engine.mapper.to_stored_event
    events = [to_stored(e) for h in households for e in h.collect_events()]
    return events, snapshots.pending, [(h.id, h.dossier) for h in households], pay_dates_run, filed


def generate(engine, count: int, months: int, seed: "int | random.Random", batch: int, confirm: bool,
             workers: int = 2, library_snapshots: bool = False, run_history: bool = True) -> dict:
    """Write `count` households with `months` of history, then a Run completed up to the eve.

    Also used by bench/bench_left.py (which passes a random.Random as the seed).
    """
    if isinstance(seed, random.Random):
        seed = seed.randrange(2**31)
    measured = measured_pay_date()
    start = history_start(months)
    version = None
    last = engine.household_log.get_last()
    if last is not None:
        version = last.originator_version + 1
    pay_dates_run = 0
    t0 = time.perf_counter()
    save_s = 0.0
    tasks = [(first, min(first + batch, count), months, seed * 1_000_003 + first, confirm)
             for first in range(0, count, batch)]
    if library_snapshots:  # the slow, literal way: engine.save takes the snapshots itself
        batches = (_households_of(task, engine) for task in tasks)
    elif workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(workers)
        batches = pool.imap(build_batch, tasks)
    else:
        batches = map(build_batch, tasks)
    filed_all: dict[date, list[str]] = {}
    for (first, last_n, *_), (events, snaps, index, pay_dates, filed) in zip(tasks, batches):
        pay_dates_run = max(pay_dates_run, pay_dates)
        for day, ids in filed.items():
            filed_all.setdefault(day, []).extend(ids)
        logged = []
        for household_id, dossier in index:  # the index, exactly as households._save writes it
            item = engine.household_log.trigger_event(
                next_originator_version=version, household_id=household_id, dossier=dossier)
            logged.append(item)
            version = item.originator_version + 1
        s0 = time.perf_counter()
        if library_snapshots:
            engine.save(*events, *logged)  # `events` are the households themselves here
        else:
            # What engine.save(*households, *logged) writes, in one transaction.
            engine.recorder.insert_events(events + [engine.mapper.to_stored_event(e) for e in logged])
            if snaps:
                engine.snapshots.recorder.insert_events(snaps)
            if first == 0:
                log(f"  snapshots taken in memory equal the replayed ones ({check_snapshots(engine)} compared)")
        save_s += time.perf_counter() - s0
        if last_n * 10 // count != first * 10 // count:  # about every 10%
            elapsed = time.perf_counter() - t0
            log(f"  generated {last_n:,}/{count:,} households ({elapsed:.0f}s, writing {save_s:.0f}s, "
                f"eta {elapsed / last_n * (count - last_n):.0f}s)")
    if workers > 1 and not library_snapshots:
        pool.close()
        pool.join()
    run_s = time.perf_counter()
    run = history_run(start, measured, filed_all if run_history else {}, run_history)
    engine.save(run)  # the library takes the Run's snapshots itself
    run_s = time.perf_counter() - run_s
    return {"history_pay_dates": pay_dates_run, "seconds": time.perf_counter() - t0, "save_seconds": save_s,
            "run_events": run.version, "run_seconds": run_s,
            "filed_ids": sum(len(ids) for ids in filed_all.values()) if run_history else 0}


def history_run(start: date, measured: date, filed: dict[date, list[str]], every_day: bool) -> Run:
    """The nightly job's Run as the history left it: completed up to the eve of `measured`.

    With `every_day`, as the real job writes it: a DayCompleted for every day and, on each
    pay date, the PaymentFileWritten naming every instruction filed. Without, the least
    that makes `measured` the only pending day.
    """
    from huishoudboekje.domain.run import PaymentFileRecord
    from huishoudboekje.reconcile import message_id

    run = Run(first_day=start)
    if not every_day:
        run.day_completed(day=measured - timedelta(days=1), households_paid=0, instructions=0)
        return run
    day = start
    while day < measured:
        ids = filed.get(day, [])
        if ids:
            run.file_written(day=day, file=PaymentFileRecord(
                name=f"pain001-{day:%Y%m%d}-{MANAGED}.xml", sha256=hashlib.sha256(str(day).encode()).hexdigest(),
                count=len(ids), control_sum=Money(f"{len(ids) * 250}.00"), debtor_account=MANAGED,
                message_id=message_id(day, MANAGED), version="pain.001.001.09", instruction_ids=tuple(ids)))
        run.day_completed(day=day, households_paid=len(ids) and len(ids) // 4, instructions=len(ids))
        day += timedelta(days=1)
    return run


def _households_of(task: tuple, engine) -> tuple:
    first, last, months, seed, confirm = task
    rng = random.Random(seed)
    start, measured = history_start(months), measured_pay_date()
    participants = ibans("RABO", last - first, offset=1_000_000 + first)
    creditors = ibans("INGB", 8, offset=5_000_000)
    households, pay_dates_run, filed = [], 0, {}
    for n in range(first + 1, last + 1):
        household = new_household(n, start, rng, participants[n - first - 1], creditors)
        pay_dates_run = max(pay_dates_run, live_history(household, measured, rng, confirm, lambda h: None,
                                                        filed))
        households.append(household)
    return households, [], [(h.id, h.dossier) for h in households], pay_dates_run, filed


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Phases:
    load_s: float = 0.0
    loads: int = 0
    save_s: float = 0.0
    saves: int = 0
    file_s: float = 0.0
    files: int = 0
    run_s: float = 0.0  # loading the Run and saving it (its own stream, not per household)
    extra: dict = field(default_factory=dict)


def instrument(engine, writer, phases: Phases):
    """Time the engine's loads and saves and the file writer (instance wrappers only)."""
    load, save, get_or_none = engine.household_by_id, engine.save, engine.get_or_none

    def timed_get_or_none(ident):
        t = time.perf_counter()
        try:
            return get_or_none(ident)
        finally:
            phases.run_s += time.perf_counter() - t

    def timed_load(hid):
        t = time.perf_counter()
        try:
            return load(hid)
        finally:
            phases.load_s += time.perf_counter() - t
            phases.loads += 1

    def timed_save(*args, **kwargs):
        t = time.perf_counter()
        try:
            return save(*args, **kwargs)
        finally:
            if any(isinstance(a, Run) for a in args):
                phases.run_s += time.perf_counter() - t
            else:
                phases.save_s += time.perf_counter() - t
                phases.saves += 1

    class TimedWriter:
        """The payment-file writer, with building and storing timed as `file`."""

        def _timed(self, method, *args, **kwargs):
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                phases.file_s += time.perf_counter() - t

        def build(self, **kwargs):
            phases.files += 1
            return self._timed(writer.build, **kwargs)

        def store(self, record, content):
            return self._timed(writer.store, record, content)

        def stored(self, record):
            return self._timed(writer.stored, record)

    engine.household_by_id = timed_load
    engine.save = timed_save
    engine.get_or_none = timed_get_or_none
    return TimedWriter()


def table_stats(db: Path) -> dict[str, tuple[int, int]]:
    conn = sqlite3.connect(db)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        out[table] = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(LENGTH(state)), 0) FROM {table}").fetchone()
    conn.close()
    return out


def new_rows(db: Path, after_rowid: int) -> tuple[int, float, int, str]:
    """Rows written after `after_rowid`: count, average and largest state, the largest's topic."""
    conn = sqlite3.connect(db)
    count, avg = conn.execute("SELECT COUNT(*), AVG(LENGTH(state)) FROM stored_events WHERE rowid > ?",
                              (after_rowid,)).fetchone()
    biggest = conn.execute("SELECT LENGTH(state), topic FROM stored_events WHERE rowid > ? "
                           "ORDER BY LENGTH(state) DESC LIMIT 1", (after_rowid,)).fetchone() or (0, "")
    conn.close()
    return count, avg or 0.0, biggest[0], biggest[1].rsplit(":", 1)[-1]


def open_store(directory: Path):
    return open_engine(f"sqlite:///{directory / 'events.sqlite'}", directory / "var")


def copy_store(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for f in source.glob("events.sqlite*"):
        shutil.copy2(f, target / f.name)


def measure(directory: Path, households: int, profile_to: Path | None = None) -> dict:
    """Run the measured pay date once on the store in `directory`."""
    measured = measured_pay_date()
    db = directory / "events.sqlite"
    snapshots_before = table_stats(db).get("stored_snapshots", (0, 0))[0]
    engine = open_store(directory)
    before = engine.recorder.max_notification_id() or 0
    phases = Phases()
    writer = instrument(engine, Pain001Writer(directory / "payments", "Gemeente"), phases)
    profiler = cProfile.Profile() if profile_to else None
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    summary = reconcile(engine, through=measured, default_account=MANAGED, write_file=writer, today=measured)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    after = engine.recorder.max_notification_id() or 0
    engine.close()
    rows, avg_state, largest, largest_topic = new_rows(db, before)
    snapshots_written = table_stats(db).get("stored_snapshots", (0, 0))[0] - snapshots_before
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "loadavg": os.getloadavg()[0],
        "summary": summary,
        "event_rows": after - before,
        "counted_rows": rows,
        "avg_state_bytes": avg_state,
        "largest_row": (largest, largest_topic),
        "snapshot_rows": snapshots_written,
        "phases": phases,
        "profiler": profiler,
        "households": households,
    }


def source_store(parent: Path, households: int, months: int, args) -> tuple[Path, dict]:
    """The generated store to measure copies of: made now, or reused from --stores."""
    directory = (args.stores or parent) / f"h{households}-m{months}"
    made = directory / "generated.json"
    if args.stores and made.exists():
        log(f"reusing {directory} ({households:,} households, {months} months of history)")
        return directory, json.loads(made.read_text())
    shutil.rmtree(directory, ignore_errors=True)  # a store whose generation did not finish
    engine = open_store(directory)
    log(f"generating {households:,} households with {months} months of history")
    generated = generate(engine, households, months, args.seed + households * 100 + months, args.batch,
                         not args.no_confirmations, args.workers, args.library_snapshots,
                         not args.no_run_history)
    engine.close()
    made.write_text(json.dumps(generated))
    return directory, generated


def prepare_cache(directory: Path, cache: str) -> None:
    """Put the store to be measured in the same page-cache state at every size.

    A store just copied is in the operating system's page cache, one just generated
    may not be (a 100,000-household store is 9 GB): unequal states made the largest
    store look slower for reasons that are the disk's, not the engine's. `warm` reads
    the files once, as a database server's file would be in memory; `cold` empties
    the page cache (Linux, as root), as after a reboot. Either way the copy is first
    flushed to disk: otherwise the run's first commit waited for the whole copy to be
    written (at 60 months of history, saving took 1.17 ms per household instead of 0.62).
    """
    for f in directory.glob("events.sqlite*"):
        with open(f, "rb+") as handle:
            os.fsync(handle.fileno())  # a copy's pages are not on disk yet
            while cache == "warm" and handle.read(1 << 24):
                pass
    if cache == "cold":
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


def describe(households: int, months: int, source: Path, generated: dict) -> tuple[int, int]:
    stats = table_stats(source / "events.sqlite")
    events, event_bytes = stats.get("stored_events", (0, 0))
    snapshots, _ = stats.get("stored_snapshots", (0, 0))
    log(f"  {households:,} households, {months} months: generated in {generated['seconds']:.0f}s: "
        f"{events:,} events ({event_bytes / 1e6:,.0f} MB), {snapshots:,} snapshots; "
        f"{generated['history_pay_dates']} pay dates of history; Run: {generated['run_events']:,} events "
        f"naming {generated['filed_ids']:,} filed instructions")
    return events, snapshots


def measure_copy(parent: Path, source: Path, households: int, cache: str, profile_to: Path | None = None) -> dict:
    """Run the measured pay date once on a fresh copy of `source`, then remove the copy.

    After the run, the same number of rows is inserted raw into that copy too: the
    baseline of a fresh, empty file leaves out what SQLite itself pays to insert into
    a store that already holds a history (each household's index entries on a page of
    their own)."""
    directory = parent / "measured"
    shutil.rmtree(directory, ignore_errors=True)
    copy_store(source, directory)
    prepare_cache(directory, cache)
    try:
        result = measure(directory, households, profile_to)
        result["raw_store_seconds"] = raw_insert_into_store(directory / "events.sqlite", result["event_rows"],
                                                            round(result["avg_state_bytes"]))
        return result
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def measure_all(parent: Path, plan: list[tuple[int, int]], args) -> tuple[dict, dict[tuple[int, int], list[dict]]]:
    """Measure every store in rounds, one run of each store per round.

    The machine's speed drifts by up to 1.4x within a quarter of an hour, so measuring
    one size after the other compared sizes at different moments as much as sizes:
    in rounds, the repeated runs of the small stores lie before and after the large
    one, and their median is taken over the same stretch of time.
    """
    sources = {}
    for key in plan:
        source, generated = source_store(parent, *key, args)
        sources[key] = (source, generated, *describe(*key, source, generated))
    repeats = {key: args.repeat if key[0] <= args.repeat_up_to else 1 for key in plan}
    runs: dict[tuple[int, int], list[dict]] = {key: [] for key in plan}
    for round_ in range(max(repeats.values())):
        for key in plan:
            if round_ < repeats[key]:
                log(f"round {round_ + 1}: the pay date {measured_pay_date()} for {key[0]:,} households with "
                    f"{key[1]} months of history, on a fresh copy with a {args.cache} page cache")
                runs[key].append(measure_copy(parent, sources[key][0], key[0], args.cache))
                log(f"  {runs[key][-1]['seconds'] / key[0] * 1e3:.2f} ms/household")
    return sources, runs


def scenario(parent: Path, households: int, months: int, args, profile: bool, store: tuple,
             runs: list[dict]) -> dict:
    """The median of a store's runs, with the raw-insert baselines and (optionally) a profile."""
    source, generated, events, snapshots = store
    runs.sort(key=lambda r: r["seconds"])
    result = runs[len(runs) // 2]
    log(f"{households:,} households, {months} months of history:")
    if len(runs) > 1:
        log("  runs: " + ", ".join(f"{r['seconds'] / households * 1e3:.2f}" for r in runs) + " ms/household")
    result.update(months=months, history_pay_dates=generated["history_pay_dates"],
                  store_events=events, store_snapshots=snapshots,
                  generate_seconds=generated["seconds"])
    result["raw_seconds"] = raw_insert_seconds(result["event_rows"], round(result["avg_state_bytes"]),
                                               directory=parent)
    result["raw_store_seconds"] = statistics.median(r["raw_store_seconds"] for r in runs)
    log(f"  run {result['seconds']:.1f}s = {result['seconds'] / households * 1e3:.2f} ms/household; "
        f"{result['event_rows']:,} event rows (largest {result['largest_row'][0] / 1e3:,.0f} KB, "
        f"{result['largest_row'][1]}); raw insert {result['raw_seconds']:.3f}s "
        f"(into the store itself: {result['raw_store_seconds']:.3f}s)")
    if profile:
        log("  cProfile of the same run on a copy of the store")
        profiled = measure_copy(parent, source, households, args.cache, profile_to=RESULTS / "paydate_profile.txt")
        out = RESULTS / "paydate_profile.txt"
        profile_top(profiled["profiler"], out,
                    f"cProfile: reconcile() of the pay date {measured_pay_date()} for {households:,} households "
                    f"with {months} months of history ({profiled['seconds']:.1f}s under the profiler, "
                    f"{result['seconds']:.1f}s without)", 20)
        result["profile_file"] = out
    return result


def row(r: dict) -> list:
    n = r["households"]
    p: Phases = r["phases"]
    s = r["seconds"]
    return [
        f"{n:,}", r["history_pay_dates"], f"{r['store_events'] / n:.0f}", s, s / n * 1e3,
        r["cpu_seconds"] / n * 1e3,
        p.load_s / n * 1e3, p.save_s / n * 1e3, p.file_s / n * 1e3, p.run_s,
        (s - p.load_s - p.save_s - p.file_s - p.run_s) / n * 1e3,
        r["summary"].instructions, r["event_rows"], f"{r['avg_state_bytes']:.0f}", r["snapshot_rows"],
        r["raw_seconds"], s / r["raw_seconds"] if r["raw_seconds"] else float("nan"),
        r["raw_store_seconds"], s / r["raw_store_seconds"] if r["raw_store_seconds"] else float("nan"),
        f"{r['loadavg']:.1f}",
    ]


HEADERS = ["households", "months", "events/hh", "run s", "ms/hh", "cpu ms/hh", "load ms/hh", "save ms/hh", "file ms/hh",
           "Run s", "other ms/hh", "instructions", "event rows", "B/row", "snapshots", "raw insert s", "run/raw",
           "raw into store s", "run/that", "load avg"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000],
                        help="households per run (history: --size-months); add 100000 when wanted")
    parser.add_argument("--size-months", type=int, default=12, help="months of history for the size series")
    parser.add_argument("--months", type=int, nargs="*", default=[1, 12, 60],
                        help="months of history for the history series (none: skip)")
    parser.add_argument("--months-households", type=int, default=1000, help="households in the history series")
    parser.add_argument("--batch", type=int, default=500, help="households per engine.save while generating")
    parser.add_argument("--profile-size", type=int, default=10000,
                        help="profile the size-series run with this many households (0: none)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-confirmations", action="store_true",
                        help="leave out PaymentConfirmed events from the generated history")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes that generate the history (the store is written by this one)")
    parser.add_argument("--library-snapshots", action="store_true",
                        help="let engine.save take the snapshots while generating (slow, ~3x)")
    parser.add_argument("--no-run-history", action="store_true",
                        help="record only a minimal Run (one DayCompleted), not a day-by-day history "
                             "with the payment files of every past pay date")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measure each store this many times, on copies, and report the median run")
    parser.add_argument("--repeat-up-to", type=int, default=10000,
                        help="repeat only stores of at most this many households (a copy of 100,000 is 10 GB)")
    parser.add_argument("--stores", type=Path, default=None,
                        help="keep generated stores in this directory and reuse them on later runs "
                             "(a store of 100,000 households takes 25 minutes to make and 9 GB)")
    parser.add_argument("--cache", choices=("warm", "cold"), default="warm",
                        help="page cache before each measured run: warm (the store read once) or cold "
                             "(emptied; Linux, as root)")
    parser.add_argument("--seed", type=int, default=20270301)
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the temporary directory")
    args = parser.parse_args()

    version = code_version()
    results: dict[tuple[int, int], dict] = {}
    with tempfile.TemporaryDirectory(prefix="hhb-bench-paydate-", dir=args.tmp) as tmp_name:
        tmp = Path(tmp_name)
        plan = list(dict.fromkeys([(n, args.size_months) for n in args.sizes]
                                  + [(args.months_households, m) for m in args.months]))
        sources, runs = measure_all(tmp, plan, args)
        for households, months in plan:
            profile = (not args.no_profile and households == args.profile_size
                       and months == args.size_months)
            results[(households, months)] = scenario(tmp, households, months, args, profile,
                                                     sources[(households, months)], runs[(households, months)])

    print()
    print(f"engine code: {version}; {os.cpu_count()} CPUs; 1-min load average at the end "
          f"{os.getloadavg()[0]:.1f} (other processes share this machine: compare cpu ms/hh too)")
    print(f"pay date {measured_pay_date()} on SQLite; history with"
          f"{'out' if args.no_confirmations else ''} payment confirmations; "
          "ms/hh = run time per household (load = engine.household_by_id, both passes)")
    size_rows = [results[(n, args.size_months)] for n in args.sizes]
    print(f"\nby number of households ({args.size_months} months of history)")
    print_table(HEADERS, [row(r) for r in size_rows])
    per_hh = [r["seconds"] / r["households"] for r in size_rows]
    size_flat = max(per_hh) / min(per_hh)
    cpu_flat = max(r["cpu_seconds"] / r["households"] for r in size_rows) / min(
        r["cpu_seconds"] / r["households"] for r in size_rows)
    print(f"  flatness (max/min ms per household): {size_flat:.2f}x wall, {cpu_flat:.2f}x cpu (target <= 1.20x)")
    month_flat = None
    if args.months:
        month_rows = [results[(args.months_households, m)] for m in args.months]
        print(f"\nby months of history ({args.months_households:,} households)")
        print_table(HEADERS, [row(r) for r in month_rows])
        per_m = [r["seconds"] / r["households"] for r in month_rows]
        month_flat = max(per_m) / min(per_m)
        cpu_m = [r["cpu_seconds"] / r["households"] for r in month_rows]
        print(f"  flatness (max/min ms per household): {month_flat:.2f}x wall, {max(cpu_m) / min(cpu_m):.2f}x cpu "
              "(target <= 1.20x)")
    ratios = [r["seconds"] / r["raw_seconds"] for r in results.values() if r["raw_seconds"]]
    in_store = [r["seconds"] / r["raw_store_seconds"] for r in results.values() if r["raw_store_seconds"]]
    profiled = [r["profile_file"] for r in results.values() if "profile_file" in r]
    if profiled:
        print(f"\n  profile: {profiled[0]}")
    print()
    print("SUMMARY paydate: ms/household "
          + ", ".join(f"{r['households']:,}={r['seconds'] / r['households'] * 1e3:.2f}" for r in size_rows)
          + f" (flat {size_flat:.2f}x)"
          + ("; by months " + ", ".join(f"{m}={results[(args.months_households, m)]['seconds'] / args.months_households * 1e3:.2f}"
                                         for m in args.months) + f" (flat {month_flat:.2f}x)" if args.months else "")
          + f"; run/raw insert {min(ratios):.0f}x–{max(ratios):.0f}x (target <= 4x)"
          + f"; run/raw insert into the store {min(in_store):.0f}x–{max(in_store):.0f}x")


if __name__ == "__main__":
    main()
