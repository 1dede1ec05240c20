"""PostgreSQL at the benchmarks' volume: 25,000 transactions for 5,000 households.

Each round imports the statement into a fresh copy of an onboarded store, runs the pay
date of 1 December for every household, and imports the same file again (all
duplicates). Then `hhb import` and `hhb reconcile` are SIGKILLed at random moments (a
fixed seed) and run again, and two imports and two jobs run at once; each ends exactly
as an undisturbed run did (the first round, after its import and after its pay date):
every transaction counted once, every household's bookings and payments equal, every
instruction in exactly one payment file. No stored row is above 1 MB.

Every command runs as its own process under a hang watchdog: about ten times the median
of that step so far (generous before there is a median). When it fires, the test fails
with what `pg_stat_activity` showed. It detects hangs; it asserts nothing about speed.

CI runs 5 rounds and 10 + 10 kill trials. `HHB_TEST_VOLUME_FULL=1` runs 20 rounds and 50 + 50
trials; `HHB_TEST_VOLUME_ROUNDS`, `HHB_TEST_VOLUME_IMPORT_KILLS` and `HHB_TEST_VOLUME_JOB_KILLS` set each
count, `HHB_TEST_VOLUME_HOUSEHOLDS` a smaller size while developing.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from adapters.generated import MANAGED, onboard_volume, volume_documents, volume_statement

from tests.conftest import _PG_PROBLEM, POSTGRES_URL
from tests.e2e.test_reconcile import check_pain

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("HHB_TEST_VOLUME_FULL") == "1"
HOUSEHOLDS = int(os.environ.get("HHB_TEST_VOLUME_HOUSEHOLDS", "5000"))
ROUNDS, IMPORT_KILLS, JOB_KILLS = (int(os.environ.get(f"HHB_TEST_VOLUME_{name}", default)) for name, default in
                                   zip(("ROUNDS", "IMPORT_KILLS", "JOB_KILLS"), (20, 50, 50) if FULL else (5, 10, 10)))
PER_HOUSEHOLD = 5  # four incomes and one credit that is not theirs: 25,000 at 5,000 households
PAY_DATE = "2026-12-01"
WATCHDOG_FACTOR, WATCHDOG_FIRST = 10, 900.0

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(statement)


def _db_url(name: str) -> str:
    base = POSTGRES_URL.split("?", 1)[0]
    return f"{base.rsplit('/', 1)[0]}/{name}"


class Volume:
    """Databases copied from templates: onboarded, and onboarded plus imported."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tag = uuid.uuid4().hex[:8]
        self.databases: list[str] = []
        self.durations: dict[str, list[float]] = {}

    def database(self, template: str | None = None) -> str:
        name = f"hhb_vol_{self.tag}_{len(self.databases)}"
        _admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        self.databases.append(name)
        return name

    def drop_all(self) -> None:
        for name in reversed(self.databases):
            _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    # -- commands, each a process under the watchdog --------------------------------

    def start(self, db: str, var: Path, *args: str) -> subprocess.Popen:
        env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(var),
               "HHB_DATABASE_URL": _db_url(db)}
        return subprocess.Popen([sys.executable, "-m", "adapters.cli", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def limit(self, step: str) -> float:
        seen = self.durations.get(step)
        return WATCHDOG_FACTOR * max(statistics.median(seen), 3.0) if seen else WATCHDOG_FIRST

    def finish(self, step: str, process: subprocess.Popen, started: float, record: bool = True) -> str:
        try:
            out, err = process.communicate(timeout=max(1.0, self.limit(step) - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            activity = _activity()
            process.kill()
            process.communicate()
            pytest.fail(f"{step} hung for {self.limit(step):.0f} s; pg_stat_activity: {activity}")
        assert process.returncode == 0, f"{step}: exit {process.returncode}\n{err[-3000:]}"
        if record:
            self.durations.setdefault(step, []).append(time.monotonic() - started)
        return out

    def run(self, step: str, db: str, var: Path, *args: str) -> str:
        started = time.monotonic()
        return self.finish(step, self.start(db, var, *args), started)


def _activity() -> list[tuple]:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        return conn.execute(
            "SELECT datname, pid, state, wait_event_type, wait_event, now() - query_start, left(query, 120) "
            "FROM pg_stat_activity WHERE datname LIKE 'hhb_vol_%'").fetchall()


# -- what a run leaves ---------------------------------------------------------------------


def outcome(db: str, var: Path) -> dict:
    """Everything a user would compare: each transaction once, each household's bookings
    and payments, each instruction in exactly one file."""
    from adapters.store import open_engine
    from huishoudboekje.statements import ledgers

    engine = open_engine(_db_url(db), var)
    try:
        rows = [r for ledger in ledgers(engine) for r in ledger.recorded()]
        households = {}
        issued = set()
        for hid, dossier in engine.household_ids():
            household = engine.household_by_id(hid)
            instructions = sorted((i.id, i.kind, str(i.amount)) for i in household.instructions.values())
            issued.update(i.end_to_end_id for i in household.instructions.values())
            runs = sum(1 for e in engine.events.get(hid) if type(e).__name__ == "PayDateRun")
            households[dossier] = (
                sorted((b.transaction_id, b.agreement_id, str(b.amount)) for b in household.bookings.values()),
                instructions, runs, str(household.buffer_outstanding))
    finally:
        engine.close()
    in_files = [e2e for path in sorted((var / "payments").glob("*.xml")) for e2e in check_pain(path)[2]]
    assert len(in_files) == len(set(in_files)), "an instruction is in two payment files"
    assert set(in_files) == issued, "an instruction is in no payment file, or a file pays what was not issued"
    return {
        "transactions": len(rows),
        "distinct": len({r.id for r in rows}),
        "outcomes": dict(Counter(r.outcome for r in rows)),
        "households": households,
        "filed": len(in_files),
    }


def largest_rows(db: str) -> dict[str, int]:
    """The largest row of each table, in bytes as written (before PostgreSQL compresses)."""
    import psycopg

    sizes = {}
    with psycopg.connect(_db_url(db), autocommit=True) as conn:
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position").fetchall():
            columns.setdefault(table, []).append((column, kind))
        for table, cols in columns.items():
            parts = [f'coalesce(octet_length("{c}"{"" if k in ("bytea", "text") else "::text"}), 0)'
                     for c, k in cols]
            found = conn.execute(f'SELECT max({" + ".join(parts)}) FROM "{table}"').fetchone()
            sizes[table] = found[0] or 0
    return sizes


# -- the test ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)

    tmp = tmp_path_factory.mktemp("volume")
    vol = Volume(tmp)
    rng = random.Random(15)
    docs = volume_documents(rng, HOUSEHOLDS)
    (tmp / "statement.xml").write_bytes(volume_statement(docs, rng))
    vol.onboarded = vol.database()
    onboard_volume(_db_url(vol.onboarded), docs, tmp / "var-onboard", "volume")
    try:
        yield vol
    finally:
        vol.drop_all()


def test_volume_rounds_kills_and_concurrency_on_postgres(volume):
    vol, tmp = volume, volume.tmp
    statement = str(tmp / "statement.xml")
    rng = random.Random(15)

    # Rounds: import, pay date, import again. The first is the undisturbed control.
    control = imported_control = None
    for number in range(ROUNDS):
        db, var = vol.database(vol.onboarded), tmp / f"round{number}"
        vol.run("import", db, var, "import", statement, "--json")
        if imported_control is None:
            imported_control = outcome(db, var)
        vol.run("reconcile", db, var, "reconcile", "--date", PAY_DATE, "--json")
        again = vol.run("reimport", db, var, "import", statement, "--json")
        assert '"duplicates": %d' % (PER_HOUSEHOLD * HOUSEHOLDS) in again and '"new": 0' in again
        found = outcome(db, var)
        if control is None:
            control = found
            assert control["transactions"] == control["distinct"] == PER_HOUSEHOLD * HOUSEHOLDS
            assert control["outcomes"]["booked"] == 4 * HOUSEHOLDS
            assert all(runs == 1 and instructions for _, instructions, runs, _ in control["households"].values())
        else:
            assert found == control
        if number == 0:
            largest = largest_rows(db)
            assert max(largest.values()) < 1 << 20, largest
        _admin(f"DROP DATABASE {db} WITH (FORCE)")

    # The job's trials start from a store with the statement imported and nothing paid.
    imported = vol.database(vol.onboarded)
    vol.run("import", imported, tmp / "imported", "import", statement, "--json")

    # Kill trials: `hhb import` at random moments, then again to the end.
    median_import = statistics.median(vol.durations["import"])
    for trial in range(IMPORT_KILLS):
        db, var = vol.database(vol.onboarded), tmp / f"import-kill{trial}"
        process = vol.start(db, var, "import", statement, "--json")
        try:
            process.wait(timeout=rng.uniform(0.2, 1.1) * median_import)  # the random moment to kill it
        except subprocess.TimeoutExpired:
            pass
        process.send_signal(signal.SIGKILL)
        process.communicate()
        vol.run("import", db, var, "import", statement, "--json")
        assert outcome(db, var) == imported_control, f"import kill trial {trial}"
        _admin(f"DROP DATABASE {db} WITH (FORCE)")

    # Kill trials: the job, after a random number of its progress lines.
    for trial in range(JOB_KILLS):
        db, var = vol.database(imported), tmp / f"job-kill{trial}"
        process = vol.start(db, var, "reconcile", "--date", PAY_DATE, "--json")
        kill_after, seen = rng.randint(1, 27), 0
        for line in process.stderr:
            seen += line.startswith("reconcile:")
            if seen >= kill_after:
                break
        process.send_signal(signal.SIGKILL)
        process.communicate()
        vol.run("reconcile", db, var, "reconcile", "--date", PAY_DATE, "--json")
        assert outcome(db, var) == control, f"job kill trial {trial}"
        _admin(f"DROP DATABASE {db} WITH (FORCE)")

    # Two imports of the same file at once, then two jobs at once.
    db, var = vol.database(vol.onboarded), tmp / "concurrent"
    started = time.monotonic()
    both = [vol.start(db, var, "import", statement, "--json") for _ in range(2)]
    for process in both:
        vol.finish("import", process, started, record=False)
    started = time.monotonic()
    both = [vol.start(db, var, "reconcile", "--date", PAY_DATE, "--json") for _ in range(2)]
    for process in both:
        vol.finish("reconcile", process, started, record=False)
    assert outcome(db, var) == control
    print(f"\nvolume: {ROUNDS} rounds, {IMPORT_KILLS} + {JOB_KILLS} kill trials, 2 + 2 concurrent; "
          f"median s: " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in vol.durations.items()))


def test_no_stored_row_is_above_1_mb_after_100000_transactions_for_20000_households(tmp_path):
    """The income directory (about 300 bytes a household), the ledgers (a month of
    100,000 transactions), snapshots and read models included."""
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    households = int(os.environ.get("HHB_TEST_VOLUME_LARGE_HOUSEHOLDS", "20000"))
    rng = random.Random(20)
    docs = volume_documents(rng, households)
    statement = tmp_path / "statement.xml"
    statement.write_bytes(volume_statement(docs, rng))
    vol = Volume(tmp_path)
    try:
        db = vol.database()
        onboard_volume(_db_url(db), docs, tmp_path / "var", "volume")
        out = vol.run("import", db, tmp_path / "var", "import", str(statement), "--json")
        assert '"new": %d' % (PER_HOUSEHOLD * households) in out
        largest = largest_rows(db)
        assert {"huishoudboekje_events", "huishoudboekje_snapshots", "hhb_households"} <= set(largest)
        assert max(largest.values()) < 1 << 20, largest
        print(f"\nlargest row per table (bytes): {largest}")
    finally:
        vol.drop_all()
