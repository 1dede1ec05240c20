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

How the history is made (fast, yet exactly the events the engine writes): households
are built in memory as `Household` aggregates, and for every month of history their
incomes are booked (`book_income`), the pay date is run (`pay`) and, unless
--no-confirmations, every payment is confirmed as the next bank statement would
(`confirm_payment`). They are saved in large batches with `engine.save`, so the
library writes the same events and snapshots; the household index is written like
`households._save` does. The incomes of the measured month are booked too, and a
completed `Run` up to the day before the measured pay date is recorded, so the
measured `reconcile(...)` call has exactly one day to do: the pay date itself.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, code_version, ibans, log, print_table, profile_top, raw_insert_seconds  # noqa: E402

from adapters.payments import Pain001Writer  # noqa: E402
from adapters.store import open_engine  # noqa: E402
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


def book_incomes(household: Household, lo: date, hi: date, rng: random.Random) -> int:
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
            booked += 1
    return booked


def live_history(household: Household, measured: date, rng: random.Random, confirm: bool) -> int:
    """Every pay date before `measured`, as the engine would have run it; the pay dates run."""
    one_day = timedelta(days=1)
    previous = household.start - one_day
    pay_dates = household.pay_dates_between(household.start, measured - one_day)
    for pay_date in pay_dates:
        book_incomes(household, previous + one_day, pay_date, rng)
        household.pay(pay_date, MANAGED)
        if confirm:
            for instruction in household.instructions.values():
                if instruction.status == "scheduled":
                    household.confirm_payment(instruction.id, f"C{instruction.id[:20]}",
                                              instruction.execution_date + one_day)
        previous = pay_date
    book_incomes(household, previous + one_day, measured, rng)  # the measured month's incomes
    return len(pay_dates)


def generate(engine, count: int, months: int, rng: random.Random, batch: int, confirm: bool) -> dict:
    measured = measured_pay_date()
    start = history_start(months)
    participants = ibans("RABO", count, offset=1_000_000)
    creditors = ibans("INGB", 8, offset=5_000_000)
    version = None
    last = engine.household_log.get_last()
    if last is not None:
        version = last.originator_version + 1
    pay_dates_run = 0
    t0 = time.perf_counter()
    save_s = 0.0
    for first in range(0, count, batch):
        items: list = []
        households = []
        for n in range(first + 1, min(first + batch, count) + 1):
            household = new_household(n, start, rng, participants[n - 1], creditors)
            pay_dates_run = max(pay_dates_run, live_history(household, measured, rng, confirm))
            households.append(household)
        for household in households:  # the index, exactly as households._save writes it
            logged = engine.household_log.trigger_event(
                next_originator_version=version, household_id=household.id, dossier=household.dossier)
            items.append(logged)
            version = logged.originator_version + 1
        s0 = time.perf_counter()
        engine.save(*households, *items)
        save_s += time.perf_counter() - s0
        done = min(first + batch, count)
        if done * 10 // count != first * 10 // count:  # about every 10%
            elapsed = time.perf_counter() - t0
            log(f"  generated {done:,}/{count:,} households ({elapsed:.0f}s, save {save_s:.0f}s, "
                f"eta {elapsed / done * (count - done):.0f}s)")
    run = Run(first_day=start)
    run.day_completed(day=measured - timedelta(days=1), households_paid=0, instructions=0)
    engine.save(run)
    return {"history_pay_dates": pay_dates_run, "seconds": time.perf_counter() - t0, "save_seconds": save_s}


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Phases:
    load_s: float = 0.0
    loads: int = 0
    save_s: float = 0.0
    saves: int = 0
    file_s: float = 0.0
    files: int = 0
    extra: dict = field(default_factory=dict)


def instrument(engine, writer, phases: Phases):
    """Time the engine's loads and saves and the file writer (instance wrappers only)."""
    load, save = engine.household_by_id, engine.save

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
            phases.save_s += time.perf_counter() - t
            phases.saves += 1

    def timed_writer(**kwargs):
        t = time.perf_counter()
        try:
            return writer(**kwargs)
        finally:
            phases.file_s += time.perf_counter() - t
            phases.files += 1

    engine.household_by_id = timed_load
    engine.save = timed_save
    return timed_writer


def table_stats(db: Path) -> dict[str, tuple[int, int]]:
    conn = sqlite3.connect(db)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        out[table] = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(LENGTH(state)), 0) FROM {table}").fetchone()
    conn.close()
    return out


def new_rows(db: Path, after_rowid: int) -> tuple[int, float]:
    conn = sqlite3.connect(db)
    count, avg = conn.execute("SELECT COUNT(*), AVG(LENGTH(state)) FROM stored_events WHERE rowid > ?",
                              (after_rowid,)).fetchone()
    conn.close()
    return count, avg or 0.0


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
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = reconcile(engine, through=measured, default_account=MANAGED, write_file=writer, today=measured)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - t0
    after = engine.recorder.max_notification_id() or 0
    engine.close()
    rows, avg_state = new_rows(db, before)
    snapshots_written = table_stats(db).get("stored_snapshots", (0, 0))[0] - snapshots_before
    return {
        "seconds": elapsed,
        "summary": summary,
        "event_rows": after - before,
        "counted_rows": rows,
        "avg_state_bytes": avg_state,
        "snapshot_rows": snapshots_written,
        "phases": phases,
        "profiler": profiler,
        "households": households,
    }


def scenario(parent: Path, households: int, months: int, args, profile: bool) -> dict:
    rng = random.Random(args.seed + households * 100 + months)
    directory = parent / f"h{households}-m{months}"
    engine = open_store(directory)
    log(f"generating {households:,} households with {months} months of history")
    generated = generate(engine, households, months, rng, args.batch, not args.no_confirmations)
    engine.close()
    stats = table_stats(directory / "events.sqlite")
    events, event_bytes = stats.get("stored_events", (0, 0))
    snapshots, _ = stats.get("stored_snapshots", (0, 0))
    log(f"  generated in {generated['seconds']:.0f}s: {events:,} events ({event_bytes / 1e6:,.0f} MB), "
        f"{snapshots:,} snapshots; {generated['history_pay_dates']} pay dates of history")
    if profile:
        copy_store(directory, parent / "profiled")
    log(f"  measuring the pay date {measured_pay_date()} for {households:,} households")
    result = measure(directory, households)
    result.update(months=months, history_pay_dates=generated["history_pay_dates"],
                  store_events=events, store_snapshots=snapshots,
                  generate_seconds=generated["seconds"])
    result["raw_seconds"] = raw_insert_seconds(result["event_rows"], round(result["avg_state_bytes"]),
                                               directory=parent)
    log(f"  run {result['seconds']:.1f}s = {result['seconds'] / households * 1e3:.2f} ms/household; "
        f"{result['event_rows']:,} event rows; raw insert {result['raw_seconds']:.3f}s")
    if profile:
        log("  cProfile of the same run on a copy of the store")
        profiled = measure(parent / "profiled", households, profile_to=RESULTS / "paydate_profile.txt")
        out = RESULTS / "paydate_profile.txt"
        profile_top(profiled["profiler"], out,
                    f"cProfile: reconcile() of the pay date {measured_pay_date()} for {households:,} households "
                    f"with {months} months of history ({profiled['seconds']:.1f}s under the profiler, "
                    f"{result['seconds']:.1f}s without)", 20)
        result["profile_file"] = out
        shutil.rmtree(parent / "profiled", ignore_errors=True)
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
    return result


def row(r: dict) -> list:
    n = r["households"]
    p: Phases = r["phases"]
    s = r["seconds"]
    return [
        f"{n:,}", r["history_pay_dates"], f"{r['store_events'] / n:.0f}", s, s / n * 1e3,
        p.load_s / n * 1e3, p.save_s / n * 1e3, p.file_s / n * 1e3, (s - p.load_s - p.save_s - p.file_s) / n * 1e3,
        r["summary"].instructions, r["event_rows"], f"{r['avg_state_bytes']:.0f}", r["snapshot_rows"],
        r["raw_seconds"], s / r["raw_seconds"] if r["raw_seconds"] else float("nan"),
    ]


HEADERS = ["households", "months", "events/hh", "run s", "ms/hh", "load ms/hh", "save ms/hh", "file ms/hh",
           "other ms/hh", "instructions", "event rows", "B/row", "snapshots", "raw insert s", "run/raw"]


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
    parser.add_argument("--keep", action="store_true", help="keep each generated store until the end")
    parser.add_argument("--seed", type=int, default=20270301)
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the temporary directory")
    args = parser.parse_args()

    results: dict[tuple[int, int], dict] = {}
    with tempfile.TemporaryDirectory(prefix="hhb-bench-paydate-", dir=args.tmp) as tmp_name:
        tmp = Path(tmp_name)
        plan = [(n, args.size_months) for n in args.sizes] + [(args.months_households, m) for m in args.months]
        for households, months in plan:
            if (households, months) in results:
                continue
            profile = (not args.no_profile and households == args.profile_size
                       and months == args.size_months)
            results[(households, months)] = scenario(tmp, households, months, args, profile)

    print()
    print(f"engine code: {code_version()}")
    print(f"pay date {measured_pay_date()} on SQLite; history with"
          f"{'out' if args.no_confirmations else ''} payment confirmations; "
          "ms/hh = run time per household (load = engine.household_by_id, both passes)")
    size_rows = [results[(n, args.size_months)] for n in args.sizes]
    print(f"\nby number of households ({args.size_months} months of history)")
    print_table(HEADERS, [row(r) for r in size_rows])
    per_hh = [r["seconds"] / r["households"] for r in size_rows]
    size_flat = max(per_hh) / min(per_hh)
    print(f"  flatness (max/min ms per household): {size_flat:.2f}x (target <= 1.20x)")
    month_flat = None
    if args.months:
        month_rows = [results[(args.months_households, m)] for m in args.months]
        print(f"\nby months of history ({args.months_households:,} households)")
        print_table(HEADERS, [row(r) for r in month_rows])
        per_m = [r["seconds"] / r["households"] for r in month_rows]
        month_flat = max(per_m) / min(per_m)
        print(f"  flatness (max/min ms per household): {month_flat:.2f}x (target <= 1.20x)")
    ratios = [r["seconds"] / r["raw_seconds"] for r in results.values() if r["raw_seconds"]]
    profiled = [r["profile_file"] for r in results.values() if "profile_file" in r]
    if profiled:
        print(f"\n  profile: {profiled[0]}")
    print()
    print(f"SUMMARY paydate: ms/household "
          + ", ".join(f"{r['households']:,}={r['seconds'] / r['households'] * 1e3:.2f}" for r in size_rows)
          + f" (flat {size_flat:.2f}x)"
          + (f"; by months " + ", ".join(f"{m}={results[(args.months_households, m)]['seconds'] / args.months_households * 1e3:.2f}"
                                         for m in args.months) + f" (flat {month_flat:.2f}x)" if args.months else "")
          + f"; run/raw insert {min(ratios):.0f}x–{max(ratios):.0f}x (target <= 4x)")


if __name__ == "__main__":
    main()
