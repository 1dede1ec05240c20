"""Benchmark: the pay date's work per household in machine instructions (callgrind).

Wall time on this shared machine drifts by up to 1.5x within minutes, and the same
store measured seven times spreads by 30 %: too much to tell a 10 % difference between
stores apart. valgrind's callgrind counts the instructions a process executes, which
does not depend on what else the machine is doing. This bench runs, for each store of
bench_paydate.py (made there, or here, with the same generator and `--stores`):

1. on a fresh copy, a process that opens the engine and reads the household index;
2. on another fresh copy, the same process that then runs the measured pay date;

and reports (2 - 1) / households: the instructions of `reconcile(...)` per household.
The flatness across months of history (and sizes) is the ratio of the largest to the
smallest. Needs valgrind (Debian's package); about two minutes per 1,000 households.

    .venv/bin/python bench/bench_instructions.py --stores /tmp/stores              # 1,000 households, 1/12/60 months
    .venv/bin/python bench/bench_instructions.py --stores /tmp/stores --sizes 1000 10000 --months 12
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_version, log, print_table  # noqa: E402

CHILD = """
import sys
sys.path[:0] = [{root!r}, {bench!r}]
from pathlib import Path
import bench_paydate as b
from adapters.payments import Pain001Writer
from huishoudboekje.reconcile import reconcile
directory = Path(sys.argv[1])
engine = b.open_store(directory)
list(engine.household_ids())
if sys.argv[2] == "run":
    day = b.measured_pay_date()
    reconcile(engine, through=day, default_account=b.MANAGED, today=day,
              write_file=Pain001Writer(directory / "payments", "Gemeente"))
engine.close()
"""


def instructions(source: Path, work: Path, mode: str, child: str | None = None, *extra: str) -> int:
    """Instructions executed by the child process (this bench's, or the script `child`,
    given `work`, `mode` and `extra` as arguments) on a fresh copy of the store."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for f in source.glob("events.sqlite*"):
        shutil.copy2(f, work / f.name)
    script = work / "child.py"
    script.write_text(child if child is not None else
                      CHILD.format(root=str(ROOT), bench=str(Path(__file__).resolve().parent)))
    out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={work / 'callgrind.out'}",
                          sys.executable, str(script), str(work), mode, *extra],
                         capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if out.returncode != 0:
        raise SystemExit(f"callgrind failed ({mode} on {source}):\n{out.stderr[-2000:]}")
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if not found:
        raise SystemExit(f"no instruction count in callgrind's output:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    import bench_paydate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--months", type=int, nargs="+", default=[1, 12, 60])
    parser.add_argument("--stores", type=Path, required=True,
                        help="where bench_paydate.py keeps its generated stores (made here if missing)")
    parser.add_argument("--seed", type=int, default=20270301)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    # The generator's own options, as bench_paydate.py would take them by default.
    generator = argparse.Namespace(stores=args.stores, seed=args.seed, batch=args.batch, workers=args.workers,
                                   no_confirmations=False, library_snapshots=False, no_run_history=False)
    rows = []
    with tempfile.TemporaryDirectory(prefix="hhb-bench-instructions-") as tmp:
        for households in args.sizes:
            for months in args.months:
                source, _ = bench_paydate.source_store(Path(tmp), households, months, generator)
                log(f"{households:,} households, {months} months: counting (about {households // 500} minutes)")
                setup = instructions(source, Path(tmp) / "work", "setup")
                run = instructions(source, Path(tmp) / "work", "run")
                per = (run - setup) / households
                log(f"  {per / 1e6:.2f} M instructions per household")
                rows.append([f"{households:,}", months, setup, run, per / 1e6])
    print()
    print(f"engine code: {code_version()}; instructions counted by valgrind --tool=callgrind, PYTHONHASHSEED=0")
    print_table(["households", "months", "setup instructions", "with the run", "M instructions/hh"], rows)
    per_hh = [r[4] for r in rows]
    print(f"\nSUMMARY instructions: {', '.join(f'{r[0]}/{r[1]}m={r[4]:.2f}M' for r in rows)} per household; "
          f"max/min {max(per_hh) / min(per_hh):.2f}x (target <= 1.20x)")


if __name__ == "__main__":
    main()
