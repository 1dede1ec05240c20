"""Benchmark: the same pay date and the same import, old code against new, in instructions.

Issue 17 allows a clean-up to cost at most 5 % more work on the pay date and the import.
Wall time on this shared machine is too noisy to see 5 %, so this counts the
instructions each process executes with valgrind's callgrind (load-independent), like
bench_instructions.py, and does it A/B on ONE store written by the OLD code:

1. with the old code (a checkout given by --old, e.g. `git worktree add /tmp/hhb-old REV`):
   a pay-date store (bench_paydate's generator: --households, 12 months of history) and an
   import store (bench_import's households, onboarded) with a camt.053 of --transactions;
2. for each code (old, new): on a fresh copy, a process that opens the engine and reads
   the household index (setup), and the same process that then runs the pay date / the
   import; (run - setup) is the work of the pay date / the import.

    git worktree add /tmp/hhb-old 154d582
    .venv/bin/python bench/bench_ab.py --old /tmp/hhb-old --work /tmp/hhb-ab

Needs valgrind. About 10 minutes at the default sizes. Prints a table and a SUMMARY line
with new/old per measurement (target: <= 1.05).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_instructions  # noqa: E402
from _common import ROOT, log, print_table  # noqa: E402

MAKE = """
import argparse, json, random, sys
sys.path[:0] = [{root!r}, {root!r} + "/bench"]
from pathlib import Path
work, households, transactions = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
import bench_paydate
generator = argparse.Namespace(stores=work, seed=20270301, batch=500, workers=1, no_confirmations=False,
                               library_snapshots=False, no_run_history=False)
bench_paydate.source_store(work, households, 12, generator)
import bench_import as b
rng = random.Random(20261101)
participants = b.ibans("RABO", households, offset=3_000_000)
docs = [b.household_doc(n, participants[n - 1], rng) for n in range(1, households + 1)]
engine = b.open_store(work / "import")
b.onboard_all(engine, docs, 500)
engine.close()
b.write_statement(work / "statement.xml", b.transactions(docs, transactions, 0.10, rng))
"""

CHILD = """
import sys
sys.path[:0] = [{root!r}, {root!r} + "/bench"]
from pathlib import Path
directory, mode = Path(sys.argv[1]), sys.argv[2]
if mode.startswith("paydate"):
    import bench_paydate as b
    from adapters.payments import Pain001Writer
    from huishoudboekje.reconcile import reconcile
    engine = b.open_store(directory)
    list(engine.household_ids())
    if mode == "paydate":
        day = b.measured_pay_date()
        reconcile(engine, through=day, default_account=b.MANAGED, today=day,
                  write_file=Pain001Writer(directory / "payments", "Gemeente"))
else:
    import bench_import as b
    from adapters.statements import parse_statement_file
    from huishoudboekje.statements import import_statements
    engine = b.open_store(directory)
    list(engine.household_ids())
    if mode == "import":
        from datetime import date
        statements = parse_statement_file(Path(sys.argv[3]), b.BIG, today=date(2030, 1, 1))
        import_statements(engine, statements, managed=[b.MANAGED], actor="bench")
engine.close()
"""


def instructions(code: Path, source: Path, work: Path, mode: str, *extra: str) -> int:
    """Instructions executed by a child process running `code` on a fresh copy of `source`."""
    return bench_instructions.instructions(source, work, mode, CHILD.format(root=str(code)), *extra)


def revision(code: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the old code")
    parser.add_argument("--work", type=Path, required=True, help="where the stores are made (reused if there)")
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--transactions", type=int, default=5000)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    work = args.work.resolve()
    made = work / "made.json"
    if not made.exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        log(f"making the stores with the old code ({args.households:,} households)")
        (work / "make.py").write_text(MAKE.format(root=str(args.old.resolve())))
        subprocess.run([sys.executable, str(work / "make.py"), str(work), str(args.households),
                        str(args.transactions)], check=True)
        made.write_text(json.dumps({"households": args.households, "transactions": args.transactions}))
    sizes = json.loads(made.read_text())
    paydate_store = work / f"h{sizes['households']}-m12"
    rows, ratios = [], {}
    for label, store, mode, extra in (("pay date", paydate_store, "paydate", ()),
                                      ("import", work / "import", "import", (str(work / "statement.xml"),))):
        counts = {}
        for name, code in (("old", args.old.resolve()), ("new", ROOT)):
            log(f"{label}, {name} code: counting")
            setup = instructions(code, store, work / "run", f"{mode}-setup" if mode == "paydate" else "setup")
            run = instructions(code, store, work / "run", mode, *extra)
            counts[name] = run - setup
            rows.append([label, f"{name} {revision(code)}", setup, run, run - setup])
        ratios[label] = counts["new"] / counts["old"]
    print(f"\nA/B on stores written by the old code ({sizes['households']:,} households; pay date after 12 "
          f"months of history; import of {sizes['transactions']:,} transactions); callgrind, PYTHONHASHSEED=0")
    print_table(["work", "code", "setup instructions", "with the work", "work instructions"], rows)
    print("\nSUMMARY new/old: " + ", ".join(f"{k} {v:.3f}" for k, v in ratios.items()) + " (target <= 1.05)")


if __name__ == "__main__":
    main()
