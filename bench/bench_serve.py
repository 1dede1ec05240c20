"""Benchmark: `hhb serve --workers 1` against `--workers 2` (run on demand, never in CI).

The store is the participant load test's (bench/load_participants.py: households built
as onboarding makes them, November booked, 1 December paid, a personal link each),
plus a staff account of one team with an API token. For each worker count a real
`hhb serve` is started in a subprocess and measured twice, over loopback:

1. **Highest throughput** (closed loop): C clients, each one keep-alive connection,
   ask as fast as answers come, for S seconds. Half the requests are a participant's
   page (`GET /p/<link>`), half a staff read (`GET /api/v1/households/{dossier}/left`,
   which also writes the access log entry every read of a person's data gets).
2. **Latency at a fixed rate** (open loop): requests start on a fixed schedule of R a
   second whether or not earlier ones have answered (no coordinated omission: latency
   is measured from the moment the request was due), for S seconds; p50/p95/p99/max.

Beside each result: the load generator's own CPU (this process, `getrusage`) in cores,
since on a 2-core machine it competes with the servers, and the load average before.
Every answer must be 200 and name its household; anything else counts as an error.

    .venv/bin/python bench/bench_serve.py                          # 10,000 households, 100 req/s
    .venv/bin/python bench/bench_serve.py --households 1000 --seconds 5   # does it work

Writes bench/results/serve_<date>.txt. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, ROOT, code_version, log, print_table  # noqa: E402
from load_participants import AS_OF, MANAGED, build_households, issue_links, percentile  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.serving import free_port, wait_until_serving  # noqa: E402

import httpx  # noqa: E402

from adapters.store import open_engine  # noqa: E402
from huishoudboekje import access, teams, users  # noqa: E402
from huishoudboekje.projections.views import Projections  # noqa: E402

TEAM = "Wijkteam Noord"  # load_participants gives household n the team of n % 4: Noord for n % 4 == 0


def _drop_schema(db: str) -> None:
    import psycopg

    url, schema = db.split("?schema=")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build(db: str, tmp: Path, households: int, rng: random.Random) -> tuple[list[tuple[str, str]], str]:
    """The store; returns the (path, expected text) of every request and the staff token."""
    engine = open_engine(db, tmp / "var")
    for name in ("Wijkteam Noord", "Wijkteam Oost", "Wijkteam Zuid", "Wijkteam West"):
        teams.add(engine, name, "bench")
    log(f"building {households:,} households …")
    people = build_households(engine, households, 500, rng)
    links = issue_links(engine, people, 500)
    users.add(engine, name="Bench Coach", email="coach@example.nl", role="staff", team=TEAM, discipline=None,
              actor="bench")
    token, _ = access.issue(engine, "staff", "Bench Coach", "bench", team=TEAM, valid_days=30)
    log("catching up the projections …")
    Projections(engine).catch_up(batch=2000)
    engine.close()
    paths = []
    for n, ((dossier, name), link) in enumerate(zip(people, links), start=1):
        paths.append((f"/p/{link}?date={AS_OF}", name + "<"))
        if n % 4 == 0:  # the staff member's own team
            paths.append((f"/api/v1/households/{dossier}/left?date={AS_OF}", dossier))
    return paths, token


async def _one(http: httpx.AsyncClient, path: str, expect: str, errors: list[str]) -> bool:
    try:
        response = await http.get(path)
    except httpx.HTTPError as exc:
        errors.append(type(exc).__name__)
        return False
    if response.status_code != 200 or expect not in response.text:
        errors.append(f"{response.status_code} {path.split('?')[0][:24]}")
        return False
    return True


async def closed_loop(base: str, token: str, requests: list[tuple[str, str]], clients: int,
                      seconds: float) -> dict[str, float]:
    errors: list[str] = []
    done = [0]
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            n = offset
            while time.perf_counter() < deadline:
                path, expect = requests[n % len(requests)]
                n += clients
                if await _one(http, path, expect, errors):
                    done[0] += 1

    cpu, start = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    wall = time.perf_counter() - start
    return {"throughput": done[0] / wall, "errors": len(errors), "generator cores": (cpu_seconds() - cpu) / wall}


async def open_loop(base: str, token: str, requests: list[tuple[str, str]], rate: float,
                    seconds: float) -> dict[str, float]:
    errors: list[str] = []
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        async def request(due: float, path: str, expect: str) -> None:
            if await _one(http, path, expect, errors):
                latencies.append(time.perf_counter() - due)

        cpu, start = cpu_seconds(), time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            path, expect = requests[i % len(requests)]
            tasks.append(asyncio.create_task(request(due, path, expect)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]
    result = {f"p{p}": percentile(ordered, p) * 1000 for p in (50, 95, 99)}
    result.update({"max": ordered[-1] * 1000, "errors": len(errors), "generator cores": (cpu_seconds() - cpu) / wall})
    return result


def serving(db: str, tmp: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var")}
    command = [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1",
               "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, f"{base}/p/static/participant.css", attempts=300)
    return process, base


def measure(db: str, tmp: Path, workers: int, args: argparse.Namespace, token: str,
            requests: list[tuple[str, str]]) -> dict[str, float]:
    process, base = serving(db, tmp, workers)
    try:
        asyncio.run(closed_loop(base, token, requests, args.clients, 3.0))  # warm every worker up
        load_before = os.getloadavg()[0]
        log(f"{workers} worker(s): closed loop, {args.clients} clients, {args.seconds:.0f} s …")
        top = asyncio.run(closed_loop(base, token, requests, args.clients, args.seconds))
        log(f"{workers} worker(s): open loop at {args.rate:.0f} req/s, {args.seconds:.0f} s …")
        fixed = asyncio.run(open_loop(base, token, requests, args.rate, args.seconds))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"load": load_before, "top": top, "fixed": fixed}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32, help="connections of the closed loop")
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second of the open loop")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--postgres", action="store_true",
                        help="a fresh schema on HHB_TEST_POSTGRES_URL (default: a SQLite file)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="hhb-bench-serve-") as name:
        tmp = Path(name)
        if args.postgres:
            server = os.environ.get("HHB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
            db = f"{server.split('?')[0]}?schema=bench_serve_{os.getpid()}"
        else:
            db = f"sqlite:///{tmp / 'events.sqlite'}"
        paths, token = build(db, tmp, args.households, rng)
        rng.shuffle(paths)
        try:
            results = {workers: measure(db, tmp, workers, args, token, paths) for workers in (1, 2)}
        finally:
            if args.postgres:
                _drop_schema(db)
    rows = []
    for workers, r in results.items():
        top, fixed = r["top"], r["fixed"]
        rows.append([str(workers), f"{top['throughput']:.0f}", f"{top['generator cores']:.2f}",
                     f"{fixed['p50']:.1f}", f"{fixed['p95']:.1f}", f"{fixed['p99']:.1f}", f"{fixed['max']:.1f}",
                     f"{fixed['generator cores']:.2f}", str(int(top['errors'] + fixed['errors'])), f"{r['load']:.1f}"])
    reproduce = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/bench_serve.py", *sys.argv[1:]])
    header = (f"{code_version()}; {datetime.now():%Y-%m-%d %H:%M}; {'PostgreSQL' if args.postgres else 'SQLite'}, {args.households:,} households; "
              f"{os.cpu_count()} cores; half participant pages, half staff reads; open loop at {args.rate:.0f} req/s, "
              f"{args.seconds:.0f} s each")
    print(header)
    table = io.StringIO()
    print_table(["workers", "max req/s", "gen cores", "p50 ms", "p95 ms", "p99 ms", "max ms", "gen cores",
                 "errors", "load before"], rows, out=table)
    text = table.getvalue()
    print(text, end="")
    one, two = results[1]["top"]["throughput"], results[2]["top"]["throughput"]
    verdict = (f"throughput of 2 workers over 1: {two / one:.2f}x; p99 at {args.rate:.0f} req/s with 2 workers: "
               f"{results[2]['fixed']['p99']:.0f} ms (target below 100 ms)")
    print(verdict)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"serve_{datetime.now():%Y-%m-%d}.txt"
    out.write_text("\n".join([header, text.rstrip(), verdict, f"reproduce: {reproduce}"]) + "\n")


if __name__ == "__main__":
    main()
