"""Benchmark: the import and the pay date on PostgreSQL beside SQLite (run on demand).

The households and the statement of the PostgreSQL volume test (adapters/generated.py:
four incomes and two charges a household, five credits a household in the statement)
are onboarded once into each database. Then, for --rounds rounds, each store in turn
gets a fresh copy of its onboarded store (SQLite: a file copy; PostgreSQL: CREATE
DATABASE ... TEMPLATE) and is timed through the import, the pay date of 1 December and
the same import again (all duplicates). Each step's median is printed for both stores,
with PostgreSQL's as a ratio of SQLite's, measured in one run on one machine.

    .venv/bin/python bench/bench_postgres.py                          # 5,000 households, 3 rounds
    .venv/bin/python bench/bench_postgres.py --households 500 --rounds 2

PostgreSQL at 127.0.0.1:5432 (HHB_TEST_POSTGRES_URL). Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import code_version, log, print_table  # noqa: E402

from adapters.generated import MANAGED, onboard_volume, volume_documents, volume_statement  # noqa: E402

SERVER = os.environ.get("HHB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres").split("?")[0]


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(statement)


def _pg(name: str) -> str:
    return f"{SERVER.rsplit('/', 1)[0]}/{name}"


def one_round(url: str, statement: Path, var: Path) -> dict[str, float]:
    from adapters.payments import Pain001Writer
    from adapters.statements import parse_statement_file
    from adapters.store import open_engine
    from huishoudboekje.reconcile import files_dir, reconcile
    from huishoudboekje.statements import import_statements

    engine = open_engine(url, var)
    times = {}
    try:
        t0 = time.perf_counter()
        import_statements(engine, parse_statement_file(statement, 10**9), managed=[MANAGED], actor="bench")
        t1 = time.perf_counter()
        writer = Pain001Writer(files_dir(var), "Gemeente Huishoudboekje")
        reconcile(engine, date(2026, 12, 1), default_account=MANAGED, write_file=writer, today=date(2026, 12, 1))
        t2 = time.perf_counter()
        again = import_statements(engine, parse_statement_file(statement, 10**9), managed=[MANAGED], actor="bench")
        t3 = time.perf_counter()
        assert again.new == 0
        times = {"import": t1 - t0, "pay date": t2 - t1, "re-import": t3 - t2}
    finally:
        engine.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(15)
    docs = volume_documents(rng, args.households)
    tag = uuid.uuid4().hex[:8]
    base_pg = f"hhb_bench_{tag}"
    copies: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        statement = tmp / "statement.xml"
        statement.write_bytes(volume_statement(docs, rng))
        log(f"{args.households} households, {5 * args.households} transactions; onboarding both stores")
        onboard_volume(f"sqlite:///{tmp / 'base.sqlite'}", docs, tmp / "var", "bench")
        _admin(f"CREATE DATABASE {base_pg}")
        try:
            onboard_volume(_pg(base_pg), docs, tmp / "var", "bench")
            results: dict[str, list[dict[str, float]]] = {"SQLite": [], "PostgreSQL": []}
            for number in range(args.rounds):
                copy = tmp / f"r{number}.sqlite"
                shutil.copy(tmp / "base.sqlite", copy)
                results["SQLite"].append(one_round(f"sqlite:///{copy}", statement, tmp / f"var-s{number}"))
                copy.unlink()
                name = f"{base_pg}_{number}"
                _admin(f"CREATE DATABASE {name} TEMPLATE {base_pg}")
                copies.append(name)
                results["PostgreSQL"].append(one_round(_pg(name), statement, tmp / f"var-p{number}"))
                log(f"round {number + 1}: SQLite {results['SQLite'][-1]}, PostgreSQL {results['PostgreSQL'][-1]}")
        finally:
            for name in [*copies, base_pg]:
                _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    rows = []
    for step in ("import", "pay date", "re-import"):
        sqlite = statistics.median(r[step] for r in results["SQLite"])
        postgres = statistics.median(r[step] for r in results["PostgreSQL"])
        rows.append([step, f"{sqlite:.2f}", f"{postgres:.2f}", f"{postgres / sqlite:.2f}x",
                     f"{args.households / postgres:.0f}" if step == "pay date" else f"{5 * args.households / postgres:.0f}"])
    print(f"\n{code_version()}; {args.households} households, {5 * args.households} transactions, "
          f"median of {args.rounds} rounds")
    print_table(["step", "SQLite s", "PostgreSQL s", "PostgreSQL / SQLite", "PostgreSQL per s"], rows)


if __name__ == "__main__":
    main()
