"""Benchmark: importing a large camt.053 statement (run on demand, never in CI).

Issue requirement: import a generated camt.053 of 25,000 transactions for 5,000
households (incomes that match, some that do not); print transactions per second next
to the time the same machine needs to parse the file with bare lxml and to insert the
same number of rows into SQLite with executemany, as ratios. Target: the whole import
takes at most 4x (parse + raw insert). Memory stays flat as the file grows.

    .venv/bin/python bench/bench_import.py                       # the issue's sizes
    .venv/bin/python bench/bench_import.py --households 500 --transactions 2500 \
        --memory-sizes 1000 5000 --no-profile                    # a quick run

The households are onboarded through `households.onboard` (documents built as dicts,
checked by `onboarding.parse_document`, 500 per call): 1–3 incomes each, paid by a few
payers that pay thousands of households from one IBAN (municipality, tax office, UWV,
SVB), told apart by the dossier number and a term in the description. The statement
(adapters.generated.camt053) holds their incomes month by month (5% deviating in
amount) plus a share that cannot match: strangers, the municipality without a dossier
number, the tax office without the toeslag's term.

Measured: (a) bare lxml iterparse over the file, (b) executemany of as many 400-byte
event-shaped rows in one SQLite transaction, (c) `parse_statement_file` +
`import_statements` on a fresh copy of the onboarded store; the three take turns for
--repeat rounds and each is reported as its median. Then the same file again on the
first round's store (all duplicates).
Memory: each file size is parsed in a fresh process (peak RSS, and tracemalloc's peak
and retained size). cProfile of (c) on a copy of the onboarded store goes to
bench/results/import_profile.txt.

Nothing here asserts on time; it prints tables and a summary line. The store and the
files live in a temporary directory.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import shutil
import subprocess
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RESULTS,
    code_version,
    ibans,
    log,
    lxml_parse_seconds,
    print_table,
    profile_top,
    raw_insert_seconds,
    reset_peak_rss,
    rss_kib,
)

MANAGED = "NL39BNGH0285009999"  # tests/factories.MANAGED, the engine's default account
START = date(2026, 1, 1)
FIRST_MONTH = (2026, 10)
BIG = 10**10  # max_bytes for parse_statement_file: the 100k file exceeds the 50 MB default
# The generated statements run months ahead; the import refuses value dates more than a
# week after "today", so the bench imports them as if on a day after the last of them.
FAR_AHEAD = date(2030, 1, 1)

GEMEENTE = ("Gemeente Utrecht", "NL14BNGH0285001234")
TOESLAGEN = ("Belastingdienst/Toeslagen", "NL86INGB0002445588")
UWV = ("UWV", "NL91ABNA0417164300")
SVB = ("Sociale Verzekeringsbank", "NL20INGB0001234567")


# -- households ------------------------------------------------------------------------


def dossier(n: int) -> str:
    return f"HHB-2026-{n:05d}"  # fixed width: no dossier is a substring of another


def household_doc(n: int, participant_iban: str, rng: random.Random) -> dict:
    """An onboarding document (as loaded YAML) with 1–3 incomes and 2–4 charges."""
    d = dossier(n)
    incomes = []
    if rng.random() < 0.7:
        incomes.append(_income("bijstand", "bijstand", GEMEENTE, f"{rng.randint(1100, 1500)}.{rng.randint(0, 99):02d}",
                               {"every": "month", "day": "last-business-day"}, [d], tolerance="25.00"))
    else:
        incomes.append(_income("uitkering", "uitkering", UWV, f"{rng.randint(900, 1800)}.00",
                               {"every": "month", "day": 23}, [d]))
    if rng.random() < 0.6:
        incomes.append(_income("zorgtoeslag", "toeslag", TOESLAGEN, f"{rng.randint(100, 140)}.00",
                               {"every": "month", "day": 20}, [d, "zorgtoeslag"]))
    if rng.random() < 0.3:
        incomes.append(_income("huurtoeslag", "toeslag", TOESLAGEN, f"{rng.randint(200, 400)}.00",
                               {"every": "month", "day": 20}, [d, "huurtoeslag"]))
    elif rng.random() < 0.3:
        incomes.append(_income("kinderbijslag", "kinderbijslag", SVB, f"{rng.randint(100, 300)}.00",
                               {"every": "month", "day": 15}, [d, "kinderbijslag"]))
    charges = [
        {"id": "huur", "category": "huur", "counterparty": {"name": "Woningcorporatie Portaal",
                                                         "iban": "NL20INGB0001234567"},
         "amount": f"{rng.randint(450, 800)}.{rng.randint(0, 99):02d}", "schedule": {"every": "month", "day": 1},
         "reference": f"{5012345678900000 + n:016d}"},
        {"id": "water", "category": "water", "counterparty": {"name": "Vitens", "iban": "NL91ABNA0417164300"},
         "amount": "61.20", "schedule": {"every": "quarter", "months": [2, 5, 8, 11], "day": 28}},
    ]
    for extra in rng.sample(["energie", "zorgverzekering"], rng.randint(0, 2)):
        charges.append({"id": extra, "category": extra,
                        "counterparty": {"name": extra.title(), "iban": "NL44RABO0123456789"},
                        "amount": f"{rng.randint(60, 160)}.00", "schedule": {"every": "month", "day": 5}})
    return {
        "dossier": d,
        "team": f"Wijkteam {('Noord', 'Oost', 'Zuid', 'West')[n % 4]}",
        "start": START.isoformat(),
        "pay_day": 1,
        "buffer_limit": "1500.00",
        "minimum_leefgeld": "250.00",
        "participants": [{"name": f"Deelnemer {n}", "iban": participant_iban}],
        "incomes": incomes,
        "charges": charges,
    }


def _income(ident, category, payer, amount, schedule, terms, tolerance="0.00") -> dict:
    return {"id": ident, "category": category, "counterparty": {"name": payer[0], "iban": payer[1]},
            "amount": amount, "schedule": schedule, "tolerance": {"days": 3, "amount": tolerance},
            "match": {"terms": terms}}


def onboard_all(engine, docs: list[dict], batch: int) -> float:
    from huishoudboekje import teams
    from huishoudboekje.households import onboard
    from huishoudboekje.onboarding import parse_document

    for name in sorted({d["team"] for d in docs}):  # onboarding names registered teams only
        teams.add(engine, name, "bench")
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        specs = [(f"gen/{d['dossier']}.yaml", parse_document(d, f"gen/{d['dossier']}.yaml"))
                 for d in docs[i:i + batch]]
        onboard(engine, specs, actor="bench", managed=[MANAGED])
    return time.perf_counter() - start


# -- the statement ---------------------------------------------------------------------


def _month_day(year: int, month: int, day) -> date:
    from huishoudboekje.domain.calendar import last_business_day

    if day == "last-business-day":
        return last_business_day(year, month)
    return date(year, month, day)


def transactions(docs: list[dict], count: int, unmatched_share: float, rng: random.Random):
    """`count` credits: incomes of the households, month by month; a share that cannot match."""
    from adapters.generated import Tx

    unmatched = round(count * unmatched_share)
    wanted = count - unmatched
    txs = []
    year, month = FIRST_MONTH
    while len(txs) < wanted:
        for doc in docs:
            for income in doc["incomes"]:
                if len(txs) >= wanted:
                    break
                day = _month_day(year, month, income["schedule"]["day"])
                amount = income["amount"]
                if rng.random() < 0.05:  # a cut by a recovery: still booked, flagged as deviating
                    amount = str(Decimal(amount) - rng.randint(30, 90))
                terms = " ".join(income["match"]["terms"][1:])
                text = f"{income['id'].title()} {month:02d}-{year} {doc['dossier']} {terms}".strip()
                payer = income["counterparty"]
                txs.append(Tx(amount, day, payer["iban"], payer["name"], text))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    last_day = max(t.day for t in txs)
    first_day = date(*FIRST_MONTH, 1)
    strangers = ibans("RABO", 50, offset=7_000_000)
    span = (last_day - first_day).days
    for i in range(unmatched):
        day = first_day + timedelta(days=rng.randint(0, span))
        doc = docs[rng.randrange(len(docs))]
        kind = i % 3
        if kind == 0:  # a stranger: no agreement with this IBAN
            txs.append(Tx(f"{rng.randint(5, 400)}.{rng.randint(0, 99):02d}", day, strangers[i % 50],
                          "J. Jansen", f"Terugbetaling {i}"))
        elif kind == 1:  # the municipality, but no dossier number in the description
            txs.append(Tx(f"{rng.randint(50, 900)}.00", day, GEMEENTE[1], GEMEENTE[0],
                          f"Nabetaling bijzondere bijstand {i}"))
        else:  # the tax office with the dossier, but neither toeslag term
            txs.append(Tx(f"{rng.randint(20, 300)}.00", day, TOESLAGEN[1], TOESLAGEN[0],
                          f"Teruggave {doc['dossier']} {i}"))
    txs.sort(key=lambda t: t.day)
    return txs


def write_statement(path: Path, txs) -> int:
    from adapters.generated import camt053

    content = camt053(txs, account=MANAGED, statement_id=f"S{len(txs)}")
    path.write_bytes(content)
    return len(content)


# -- the import itself ---------------------------------------------------------------------


def full_import(engine, path: Path) -> tuple[float, float, object]:
    from adapters.statements import parse_statement_file
    from huishoudboekje.statements import import_statements

    t0, c0 = time.perf_counter(), time.process_time()
    statements = parse_statement_file(path, BIG, today=FAR_AHEAD)
    t1 = time.perf_counter()
    result = import_statements(engine, statements, managed=[MANAGED], actor="bench")
    t2 = time.perf_counter()
    result.cpu_seconds = time.process_time() - c0  # type: ignore[attr-defined]
    return t1 - t0, t2 - t1, result


def open_store(directory: Path):
    from adapters.store import open_engine

    return open_engine(f"sqlite:///{directory / 'events.sqlite'}", directory / "var")


def copy_store(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for f in source.glob("events.sqlite*"):
        shutil.copy2(f, target / f.name)


def largest_topics(directory: Path, after_rowid: int, top: int = 4) -> list[list]:
    """Event rows written by the import, by topic: count, total and largest state."""
    import sqlite3

    conn = sqlite3.connect(directory / "events.sqlite")
    rows = conn.execute(
        "SELECT topic, COUNT(*), SUM(LENGTH(state)), MAX(LENGTH(state)) FROM stored_events "
        "WHERE rowid > ? GROUP BY topic ORDER BY 3 DESC LIMIT ?", (after_rowid, top)).fetchall()
    conn.close()
    return [[t.rsplit(":", 1)[-1], c, total / 1e6, biggest / 1e3] for t, c, total, biggest in rows]


def stored_rows(directory: Path) -> dict[str, float]:
    import sqlite3

    conn = sqlite3.connect(directory / "events.sqlite")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    out = {}
    for table in tables:
        count, size = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(LENGTH(state)),0) FROM {table}").fetchone()
        out[table] = (count, size)
    conn.close()
    return out


# -- memory ------------------------------------------------------------------------------


def memory_probe(path: str, mode: str) -> None:
    """Run in a child process: parse once, print peak memory as JSON."""
    import tracemalloc

    from lxml import etree

    from adapters.statements import parse_statement_file

    import gc

    gc.collect()
    reset_peak_rss()
    out: dict[str, float] = {"base_rss_kb": rss_kib()[0]}
    if mode == "ours":
        statements = parse_statement_file(Path(path), BIG, today=FAR_AHEAD)
        out["count"] = sum(len(s.transactions) for s in statements)
    elif mode == "ours-tracemalloc":
        tracemalloc.start()
        statements = parse_statement_file(Path(path), BIG, today=FAR_AHEAD)
        current, peak = tracemalloc.get_traced_memory()
        out.update(count=sum(len(s.transactions) for s in statements), py_peak=peak, py_retained=current)
    elif mode == "lxml":
        count = 0
        for _e, el in etree.iterparse(path, events=("end",), tag="{*}Ntry"):
            count += 1
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del el.getparent()[0]
        out["count"] = count
    out["peak_rss_kb"] = rss_kib()[1]
    print(json.dumps(out))


def probe(path: Path, mode: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--memprobe", str(path), mode],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_series(sizes: list[int], docs: list[dict], directory: Path, rng: random.Random) -> list[list]:
    rows = []
    for size in sizes:
        path = directory / f"mem-{size}.xml"
        nbytes = write_statement(path, transactions(docs, size, 0.10, rng))
        ours = probe(path, "ours")
        traced = probe(path, "ours-tracemalloc")
        bare = probe(path, "lxml")
        mb = 1024.0
        rows.append([
            f"{size:,}",
            nbytes / 1e6,
            (ours["peak_rss_kb"] - ours["base_rss_kb"]) / mb,
            traced["py_peak"] / 1e6,
            traced["py_retained"] / 1e6,
            (traced["py_peak"] - traced["py_retained"]) / 1e6,
            traced["py_retained"] / size,
            (bare["peak_rss_kb"] - bare["base_rss_kb"]) / mb,
        ])
        path.unlink()
    return rows


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--memprobe":
        memory_probe(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--transactions", type=int, default=25000)
    parser.add_argument("--unmatched", type=float, default=0.10, help="share of credits that cannot match")
    parser.add_argument("--batch", type=int, default=500, help="households per onboard() call")
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[5000, 25000, 100000],
                        help="transactions per file for the memory series (none: skip)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    parser.add_argument("--repeat", type=int, default=7,
                        help="rounds of baselines and full import (fresh store each); medians reported")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the temporary directory")
    args = parser.parse_args()
    print(f"engine code: {code_version()}; {os.cpu_count()} CPUs; 1-min load average at start "
          f"{os.getloadavg()[0]:.1f} (other processes share this machine)")
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="hhb-bench-import-", dir=args.tmp) as tmp_name:
        tmp = Path(tmp_name)
        log(f"generating {args.households:,} households")
        participants = ibans("RABO", args.households, offset=3_000_000)
        docs = [household_doc(n, participants[n - 1], rng) for n in range(1, args.households + 1)]
        store = tmp / "store"
        engine = open_store(store)
        seconds = onboard_all(engine, docs, args.batch)
        onboard_events = engine.event_count()
        engine.close()
        log(f"onboarded in {seconds:.1f}s ({args.households / seconds:,.0f} households/s, "
            f"{onboard_events:,} events)")
        pristine = tmp / "pristine"
        copy_store(store, pristine)

        statement = tmp / "statement.xml"
        txs = transactions(docs, args.transactions, args.unmatched, rng)
        nbytes = write_statement(statement, txs)
        log(f"statement: {len(txs):,} transactions, {nbytes / 1e6:.1f} MB")

        # Baselines and our import take turns, each round on a fresh copy of the store,
        # and each is reported as its median: the machine may be shared, and its speed
        # drifts from one second to the next.
        log(f"{args.repeat} rounds of: bare lxml iterparse, raw SQLite executemany, full import "
            "(parse_statement_file + import_statements) on a fresh copy of the store")
        lxml_runs, insert_runs, runs, cpu_rounds = [], [], [], []
        written = 0
        for i in range(args.repeat):
            lxml_one, counted = lxml_parse_seconds(statement, repeat=1)
            lxml_runs.append(lxml_one)
            insert_runs.append(raw_insert_seconds(len(txs), 400, repeat=1, directory=tmp))
            # The same baselines in CPU time: steadier when other guests take the CPU.
            cpu_base = (lxml_parse_seconds(statement, repeat=1, clock=time.process_time)[0]
                        + raw_insert_seconds(len(txs), 400, repeat=1, directory=tmp, clock=time.process_time))
            target = store if i == 0 else tmp / f"round{i}"
            if i:
                copy_store(pristine, target)
                os.sync()  # the copy's writeback must not land inside the measured import
            engine = open_store(target)
            before = engine.event_count()
            runs.append(full_import(engine, statement))
            cpu_rounds.append(runs[-1][2].cpu_seconds / cpu_base)
            if i == 0:
                written = engine.event_count() - before
                log("again: the same file, all duplicates")
                parse2_s, import2_s, result2 = full_import(engine, statement)
            engine.close()
            if i:
                shutil.rmtree(target)
        lxml_s, insert_s = statistics.median(lxml_runs), statistics.median(insert_runs)
        parse_s, import_s, result = sorted(runs, key=lambda r: r[0] + r[1])[len(runs) // 2]
        print("rounds (lxml | insert | our parse + import, s): " + "; ".join(
            f"{a:.2f} | {b:.2f} | {p:.2f} + {q:.2f}" for a, b, (p, q, _) in zip(lxml_runs, insert_runs, runs)))
        rows_after = stored_rows(store)
        topics = largest_topics(store, before)

        full_s = parse_s + import_s
        base_s = lxml_s + insert_s
        # The verdict uses the stricter of two ways to summarise the rounds: the ratio of
        # the medians, or the median of each round's own ratio.
        round_ratios = sorted((p + q) / (a + b) for a, b, (p, q, _) in zip(lxml_runs, insert_runs, runs))
        ratio = max(full_s / base_s, statistics.median(round_ratios))
        n = len(txs)
        print()
        print(f"camt.053 import: {n:,} transactions ({result.matched:,} matched, {result.unmatched:,} unmatched, "
              f"{result.deviating:,} deviating) for {args.households:,} households; file {nbytes / 1e6:.1f} MB; "
              f"{written:,} event rows written")
        print()
        print_table(
            ["step", "seconds", "tx/s", "x (lxml + insert)"],
            [
                ["bare lxml iterparse (a)", lxml_s, n / lxml_s, lxml_s / base_s],
                [f"raw SQLite executemany {n:,} rows x 400 B (b)", insert_s, n / insert_s, insert_s / base_s],
                ["baseline a + b", base_s, n / base_s, 1.0],
                ["our parse: parse_statement_file", parse_s, n / parse_s, parse_s / base_s],
                ["our import: import_statements", import_s, n / import_s, import_s / base_s],
                ["FULL import (parse + import)", full_s, n / full_s, full_s / base_s],
                ["re-import same file (all duplicates)", parse2_s + import2_s, n / (parse2_s + import2_s),
                 (parse2_s + import2_s) / base_s],
            ],
        )
        print()
        print(f"  full import CPU time {result.cpu_seconds:.2f}s (wall {full_s:.2f}s); "
              f"load average now {os.getloadavg()[0]:.1f}")
        print(f"  our parse / bare lxml = {parse_s / lxml_s:.1f}x;  import_statements / raw insert = "
              f"{import_s / insert_s:.1f}x;  re-import found {result2.duplicates:,} duplicates")
        sizes = ", ".join(f"{t}: {c:,} rows / {s / 1e6:.1f} MB" for t, (c, s) in rows_after.items())
        print(f"  store after import: {sizes}")
        print()
        print("event rows written by the import, largest topics first")
        print_table(["topic", "rows", "MB", "largest row KB"], topics)
        if counted != n:  # a check of the generator, not of timing
            print(f"  WARNING: bare lxml counted {counted:,} entries, the generator wrote {n:,}")

        if args.memory_sizes:
            log(f"memory series: {args.memory_sizes}")
            mem_rows = memory_series(args.memory_sizes, docs, tmp, rng)
            print()
            print("memory of parsing (each in a fresh process; MB = 10^6 bytes, RSS in MiB)")
            print_table(
                ["transactions", "file MB", "our parse RSS +MiB", "py peak MB", "py retained (result) MB",
                 "py peak - retained MB", "result B/tx", "bare lxml RSS +MiB"],
                mem_rows,
            )
            growth = mem_rows[-1][2] / mem_rows[0][2] if mem_rows[0][2] else float("nan")
            print(f"  RSS growth {mem_rows[0][0]} -> {mem_rows[-1][0]} transactions: {growth:.1f}x "
                  f"(the file grows {args.memory_sizes[-1] / args.memory_sizes[0]:.0f}x)")

        if not args.no_profile:
            log("cProfile of the full import on a fresh copy of the onboarded store")
            profiled = tmp / "profiled"
            copy_store(pristine, profiled)
            engine = open_store(profiled)
            profiler = cProfile.Profile()
            profiler.enable()
            p_parse, p_import, _ = full_import(engine, statement)
            profiler.disable()
            engine.close()
            out = RESULTS / "import_profile.txt"
            profile_top(profiler, out,
                        f"cProfile: full import of {n:,} transactions for {args.households:,} households "
                        f"(parse {p_parse:.1f}s + import {p_import:.1f}s under the profiler)", 15)
            print(f"\n  profile: {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")

        print()
        verdict = "meets" if ratio <= 4 else "MISSES"
        print(f"SUMMARY import: {n:,} tx in {full_s:.2f}s = {n / full_s:,.0f} tx/s; "
              f"full/(lxml+insert) = {ratio:.2f}x (ratio of medians {full_s / base_s:.2f}x, per round "
              f"{', '.join(f'{r:.2f}' for r in round_ratios)}; in CPU time, median of rounds "
              f"{statistics.median(cpu_rounds):.2f}x; target <= 4x: {verdict}); "
              f"parse {parse_s / full_s:.0%} / import {import_s / full_s:.0%} of the time")


if __name__ == "__main__":
    main()
