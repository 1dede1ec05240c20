"""Benchmark: the pay date on PostgreSQL with 1 and with 2 workers (run on demand).

The households and statement of the PostgreSQL volume test (adapters/generated.py) are
onboarded and imported once into a template database, and the job run through the
night before. Each round then runs the pay
date of 1 December on a fresh copy (CREATE DATABASE ... TEMPLATE), once with one
`hhb reconcile --worker` process and once with two, alternating which goes first.

Printed, as medians over the rounds, in one run on this machine: wall time, time per
household, the speed-up of 2 workers over 1, and the CPU seconds of the workers (their
processes, from `getrusage(RUSAGE_CHILDREN)`) beside PostgreSQL's (the CPU of the
server's backends that ended meanwhile, from the postmaster's `cutime + cstime` in
/proc: on a shared machine other people's sessions that end meanwhile count too).
The wall time includes each worker's start (about a second or two of imports), so
small runs understate the speed-up; the issue's measure is 100,000 households:

    .venv/bin/python bench/bench_workers.py --households 100000 --rounds 2
    .venv/bin/python bench/bench_workers.py --households 500 --rounds 1      # does it work
    .venv/bin/python bench/bench_workers.py --households 100000 --rounds 0 --keep   # the template alone
    .venv/bin/python bench/bench_workers.py --households 100000 --template hhb_bench_wk_…  # rounds only

PostgreSQL at 127.0.0.1:5432 (HHB_TEST_POSTGRES_URL), on this machine (for /proc).
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, code_version, log, print_table  # noqa: E402

from adapters.generated import MANAGED, onboard_volume, volume_documents, volume_statement  # noqa: E402

SERVER = os.environ.get("HHB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres").split("?")[0]
PAY_DATE = "2026-12-01"


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(statement)


def _pg(name: str) -> str:
    return f"{SERVER.rsplit('/', 1)[0]}/{name}"


def _postmaster() -> int | None:
    """The server's main process, if it runs on this machine and we may read it."""
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _server_cpu(postmaster: int | None) -> float:
    """CPU seconds of the server's ended backends (cutime + cstime of the postmaster)."""
    if postmaster is None:
        return float("nan")
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # fields 16 and 17 of stat(5)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(db: str, var: Path, workers: int, postmaster: int | None) -> dict[str, float]:
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(var), "HHB_DATABASE_URL": _pg(db)}
    command = [sys.executable, "-m", "adapters.cli", "reconcile", "--worker", "--json", "--date", PAY_DATE]
    cpu, server = _children_cpu(), _server_cpu(postmaster)
    started = time.perf_counter()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    seen: list[list[float]] = [[] for _ in processes]  # when each worker said how far it got
    readers = [threading.Thread(target=_follow, args=(p, seen[n])) for n, p in enumerate(processes)]
    for reader in readers:
        reader.start()
    for process, reader in zip(processes, readers):
        process.wait()
        reader.join()
        if process.returncode:
            raise SystemExit(f"a worker failed with exit {process.returncode}")
    wall = time.perf_counter() - started
    _admin(f"DROP DATABASE {db} WITH (FORCE)")  # its backends end, and are counted
    firsts = [times[0] - started for times in seen if times]
    lasts = [times[-1] - started for times in seen if times]
    return {"wall": wall, "workers cpu": _children_cpu() - cpu, "server cpu": _server_cpu(postmaster) - server,
            "start": min(firsts, default=float("nan")), "paying": max(lasts, default=float("nan")),
            "after": wall - max(lasts, default=float("nan"))}


def _follow(process: subprocess.Popen, times: list[float]) -> None:
    """The moments a worker reports a household paid (its progress lines on stderr)."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("reconcile:"):
            times.append(time.perf_counter())
    process.stdout.read() if process.stdout else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--template", help="a template database kept by an earlier run (--keep), of as many "
                                           "households: the rounds only")
    parser.add_argument("--keep", action="store_true", help="keep the template database for a later --template")
    args = parser.parse_args()
    base = args.template or f"hhb_bench_wk_{uuid.uuid4().hex[:8]}"
    postmaster = _postmaster()
    results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            if not args.template:
                _template(base, args.households, tmp)
            for number in range(args.rounds):
                for workers in ((1, 2) if number % 2 == 0 else (2, 1)):
                    copy = f"{base}_{number}_{workers}"
                    _admin(f"CREATE DATABASE {copy} TEMPLATE {base}")
                    results[workers].append(one_run(copy, tmp / f"var-{number}-{workers}", workers, postmaster))
                    log(f"round {number + 1}, {workers} worker(s): {results[workers][-1]}")
        finally:
            if args.keep or args.template:
                log(f"the template is kept: --template {base}")
            else:
                _admin(f"DROP DATABASE IF EXISTS {base} WITH (FORCE)")
    _print(args, results)


def _template(base: str, households: int, tmp: Path) -> None:
    rng = random.Random(15)
    docs = volume_documents(rng, households)
    statement = tmp / "statement.xml"
    statement.write_bytes(volume_statement(docs, rng))
    log(f"{households} households; onboarding and importing the template")
    _admin(f"CREATE DATABASE {base}")
    onboard_volume(_pg(base), docs, tmp / "var", "bench")
    log("onboarded; importing the statement")
    _import(_pg(base), statement, tmp / "var")
    log("imported; the night before")
    # The night before, as in production: the Run exists and the read models are
    # current, so the measured night is the pay date alone (a first run would
    # also load every household to find where the calendar begins).
    subprocess.run([sys.executable, "-m", "adapters.cli", "reconcile", "--json", "--date", "2026-11-30"],
                   cwd=ROOT, env={**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var"),
                                  "HHB_DATABASE_URL": _pg(base)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    log("the template is ready; the measured rounds follow")


def _import(url: str, statement: Path, var: Path) -> None:
    from adapters.statements import parse_statement_file
    from adapters.store import open_engine
    from huishoudboekje.statements import import_statements

    engine = open_engine(url, var)
    try:
        import_statements(engine, parse_statement_file(statement, 10**9), managed=[MANAGED], actor="bench")
    finally:
        engine.close()


def _print(args: argparse.Namespace, results: dict[int, list[dict[str, float]]]) -> None:
    if not all(results.values()):
        return
    median = {n: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for n, runs in results.items()}
    rows = []
    for n, m in median.items():
        rows.append([str(n), f"{m['wall']:.2f}", f"{1000 * m['wall'] / args.households:.2f}",
                     f"{median[1]['wall'] / m['wall']:.2f}x", f"{m['workers cpu']:.1f}", f"{m['server cpu']:.1f}",
                     f"{(m['workers cpu'] + m['server cpu']) / m['wall']:.2f}"])
    print(f"\n{code_version()}; {args.households} households, pay date {PAY_DATE}, median of {args.rounds} rounds, "
          f"{os.cpu_count()} cores")
    print_table(["workers", "wall s", "ms/household", "speed-up", "workers cpu s", "PostgreSQL cpu s",
                 "cores busy"], rows)
    print("\nwhere the wall time went (s): until the first household was paid (start), until the last was "
          "(paying), and after it (filing the payment files, catching the read models up)")
    print_table(["workers", "start", "paying", "after"],
                [[str(n), f"{m['start']:.1f}", f"{m['paying'] - m['start']:.1f}", f"{m['after']:.1f}"]
                 for n, m in median.items()])
    two = median[2]
    bottleneck = "the workers" if two["workers cpu"] >= two["server cpu"] else "PostgreSQL"
    print(f"with 2 workers {bottleneck} used more CPU ({two['workers cpu']:.1f} s against "
          f"{two['server cpu']:.1f} s); 'cores busy' near {os.cpu_count()} means the machine itself was the limit")


if __name__ == "__main__":
    main()
