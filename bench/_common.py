"""Shared helpers for the on-demand benchmarks (never run in CI, never assert on time).

- `raw_insert_seconds`: the machine's baseline, SQLite `executemany` of N rows shaped
  like stored events, in one transaction, in a fresh file (WAL, as eventsourcing uses);
  `raw_insert_into_store` the same into an existing store.
- `lxml_parse_seconds`: the parser baseline, bare `lxml.etree.iterparse`.
- `ibans`: valid Dutch IBANs (checksum and known bank) to give generated people.
- small table printing.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = Path(__file__).resolve().parent / "results"

# Same DDL as eventsourcing 9.5's SQLiteApplicationRecorder (a rowid table with the
# (originator_id, originator_version) primary key), so the comparison is like for like.
_DDL = (
    "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
    "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
)
_TOPIC = "huishoudboekje.domain.household:Household.PayDateRun"


def raw_rows(count: int, state_bytes: int, per_stream: int = 5) -> list[tuple]:
    """`count` event-shaped rows; every `per_stream` rows share an originator id."""
    filler = (b'{"k":"' + b"x" * max(state_bytes - 8, 0) + b'"}')[:state_bytes]
    rows = []
    originator = uuid.uuid4().hex
    for i in range(count):
        if i % per_stream == 0:
            originator = uuid.uuid4().hex
        rows.append((originator, i % per_stream + 1, _TOPIC, filler))
    return rows


def raw_insert_seconds(count: int, state_bytes: int = 400, repeat: int = 3,
                       directory: Path | None = None, transactions: int = 1,
                       clock: Callable[[], float] = time.perf_counter) -> float:
    """Median seconds to executemany `count` rows into a fresh SQLite file.

    All rows in one transaction by default; with `transactions` > 1 the rows are split
    into that many executemany calls, each committed on its own (the floor for a
    design that commits once per household).
    """
    times = []
    for _ in range(repeat):
        rows = raw_rows(count, state_bytes)
        size = max(1, -(-count // max(transactions, 1)))
        groups = [rows[i:i + size] for i in range(0, count, size)] or [[]]
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            path = os.path.join(tmp, "raw.sqlite")
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_DDL)
            start = clock()
            for group in groups:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO stored_events VALUES (?,?,?,?)", group)
                conn.execute("COMMIT")
            times.append(clock() - start)
            conn.close()
    return statistics.median(times)


def raw_insert_into_store(db: Path, count: int, state_bytes: int,
                          clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds to executemany `count` event-shaped rows into the store `db`, in one
    transaction: the next version of each of its aggregates in the order of their ids
    (the run's order), and the one after for as many as it takes."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        versions = sorted(conn.execute("SELECT originator_id, MAX(originator_version) FROM stored_events "
                                       "GROUP BY originator_id"))
        if not versions:
            return 0.0
        filler = (b'{"k":"' + b"x" * max(state_bytes - 8, 0) + b'"}')[:state_bytes]
        passes = -(-count // len(versions))  # a second row for some when there are more rows than aggregates
        rows = [(ident, version + n, "bench:Raw", filler) for n in range(1, passes + 1)
                for ident, version in versions][:count]
        start = clock()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO stored_events (originator_id, originator_version, topic, state) "
                         "VALUES (?,?,?,?)", rows)
        conn.execute("COMMIT")
        return clock() - start
    finally:
        conn.close()


def lxml_parse_seconds(path: Path, repeat: int = 3,
                       clock: Callable[[], float] = time.perf_counter) -> tuple[float, int]:
    """Median seconds for bare iterparse over every Ntry (Amt text read, element cleared).

    `clock`: time.perf_counter (wall) or time.process_time (CPU).
    """
    from lxml import etree

    times, count = [], 0
    for _ in range(repeat):
        start = clock()
        count = 0
        total = 0.0
        for _event, el in etree.iterparse(str(path), events=("end",), tag="{*}Ntry"):
            amt = el.find("{*}Amt")
            total += len(amt.text) if amt is not None and amt.text else 0
            count += 1
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del el.getparent()[0]
        times.append(clock() - start)
    return statistics.median(times), count


_IBAN_CACHE: dict[tuple[str, int, int], list[str]] = {}


def ibans(bank: str, count: int, offset: int = 0) -> list[str]:
    """`count` valid NL IBANs at `bank` (RABO, INGB, ABNA, …), deterministic."""
    key = (bank, count, offset)
    if key not in _IBAN_CACHE:
        from schwifty import IBAN

        _IBAN_CACHE[key] = [
            str(IBAN.generate("NL", bank_code=bank, account_code=f"{offset + n:010d}"))
            for n in range(count)
        ]
    return _IBAN_CACHE[key]


def print_table(headers: list[str], rows: list[list[object]], out=None) -> None:
    out = out or sys.stdout
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if (n == 0 or i == 0) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))), file=out)
        if n == 0:
            print(line, file=out)
    out.flush()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def profile_top(profiler, path: Path, title: str, top: int, extra_tottime: int = 15) -> str:
    """Write the top functions by cumulative (and by own) time to `path`; return the text."""
    import io
    import pstats

    buffer = io.StringIO()
    buffer.write(f"{title}\n\n== top {top} by cumulative time ==\n")
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    buffer.write(f"\n== top {extra_tottime} by own (tottime) time ==\n")
    stats.sort_stats("tottime").print_stats(extra_tottime)
    text = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux: VmHWM) so later peaks exclude start-up."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_kib() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in KiB (Linux /proc; else ru_maxrss twice)."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak


def code_version() -> str:
    """The commit the benchmark ran on (engine code changes often), '+dirty' if edited."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "huishoudboekje", "adapters"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
