"""Load test: 50 people each looking at their own page, on loopback (run on demand, never in CI).

Builds a SQLite store with 10,000 households (built in memory as `Household` aggregates:
onboarded on 1 November 2026 with 3–5 agreements, their November incomes booked and the
pay date of 1 December run, a fifth of them with weekly leefgeld; saved in batches with
the household index, as `households._save` writes it), issues 10,000 participant links (saved in batches, exactly the
events `huishoudboekje.access.issue` writes), catches up the projections, starts a real
`hhb serve` (uvicorn) in a subprocess, then runs 50 concurrent clients (asyncio + httpx,
one keep-alive connection each) that GET their own /p/<token> page over and over for
30 seconds. Every response must be 200 and show that client's own name; anything else is
an error. Prints requests, errors, p50/p95/p99/max latency and throughput, and writes
them to bench/results/load_participants.txt.

    .venv/bin/python bench/load_participants.py                    # 10,000 households, 50 clients, 30 s
    .venv/bin/python bench/load_participants.py --households 1000 --seconds 10   # quick

The load phase is bounded by --seconds (at most 60); building the store takes longer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, ROOT, code_version, ibans, log  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.serving import free_port, wait_until_serving  # noqa: E402

import httpx  # noqa: E402

from adapters.store import open_engine  # noqa: E402
from huishoudboekje import access  # noqa: E402
from huishoudboekje.domain.access import PARTICIPANT, Credential, hash_secret  # noqa: E402
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
from huishoudboekje.domain.household import MONTHLY, PAY_DATE, WEEKLY, Household  # noqa: E402
from huishoudboekje.domain.money import Money  # noqa: E402
from huishoudboekje.domain.schedule import Schedule  # noqa: E402
from huishoudboekje.projections.views import Projections  # noqa: E402

MAX_SECONDS = 60.0
READY_ATTEMPTS = 300  # at most 30 s for the server to answer
MANAGED = "NL39BNGH0285009999"  # the engine's default managed account
START, FIRST_PAY_DATE = date(2026, 11, 1), date(2026, 12, 1)
AS_OF = date(2026, 12, 17)  # mid-cycle: weekly households have parts paid and parts to come
GEMEENTE = Counterparty("Gemeente Utrecht", "NL14BNGH0285001234")
TOESLAGEN = Counterparty("Belastingdienst/Toeslagen", "NL86INGB0002445588")
CHARGES = {  # id: (category, creditor, day of the month, amount range in euros)
    "huur": ("huur", "Woningcorporatie Portaal", 1, (450, 800)),
    "energie": ("energie", "Vattenfall", 5, (80, 160)),
    "zorgverzekering": ("zorgverzekering", "Zilveren Kruis", 1, (120, 150)),
}


def new_household(n: int, rng: random.Random, participant_iban: str, creditor_ibans: list[str]) -> Household:
    """One household as onboarding would make it, its November incomes booked, 1 December paid."""
    dossier = f"LD-{n:06d}"
    household = Household(dossier=dossier, team=f"Wijkteam {('Noord', 'Oost', 'Zuid', 'West')[n % 4]}",
                          start=START, pay_day=1, buffer_limit=Money("1500.00"), minimum_leefgeld=Money("250.00"),
                          leefgeld_schedule=WEEKLY if rng.random() < 0.2 else MONTHLY, execute_on=PAY_DATE,
                          participants=[Participant(f"Deelnemer {n}", participant_iban)], account=None, actor="bench")
    charges = ["huur"] + rng.sample(["energie", "zorgverzekering"], rng.randint(1, 2))
    total = 0
    for index, ident in enumerate(charges):
        category, name, day, (lo, hi) = CHARGES[ident]
        amount = rng.randint(lo, hi)
        total += amount
        household.add_agreement(Agreement(
            id=ident, kind=CHARGE, category=category, counterparty=Counterparty(name, creditor_ibans[index]),
            amounts=(AmountFrom(START, Money(f"{amount}.{rng.randint(0, 99):02d}")),),
            schedule=Schedule(every="month", start=START, day=day),
            reference=f"{5012345678900000 + n:016d}" if ident == "huur" else f"Klant {n}",
            priority=DEFAULT_PRIORITY[category]), "bench")
    incomes = [("bijstand", "bijstand", GEMEENTE, {"last_business_day": True}, total + rng.randint(150, 800))]
    if rng.random() < 0.6:
        incomes.append(("zorgtoeslag", "toeslag", TOESLAGEN, {"day": 20}, 131))
    for ident, category, payer, when, amount in incomes:
        household.add_agreement(Agreement(
            id=ident, kind=INCOME, category=category, counterparty=payer,
            amounts=(AmountFrom(START, Money(f"{amount}.00")),), schedule=Schedule(every="month", start=START, **when),
            tolerance=Tolerance(3, Money("25.00")), match_terms=(dossier, ident)), "bench")
    for agreement in list(household.agreements.values()):
        if agreement.kind == INCOME:
            for day in agreement.schedule.occurrences(START, FIRST_PAY_DATE):
                household.book_income(f"T-{dossier}-{agreement.id}-{day}", agreement.id, agreement.amount_on(day),
                                      day, "import")
    household.pay(FIRST_PAY_DATE, MANAGED)
    return household


def build_households(engine, count: int, batch: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` households saved in batches with their index entries; (dossier, name) of each."""
    participants = ibans("RABO", count, offset=2_000_000)
    creditors = ibans("INGB", 3, offset=6_000_000)
    last = engine.household_log.get_last()
    version = last.originator_version + 1 if last is not None else None
    people = []
    for first in range(0, count, batch):
        households = [new_household(n, rng, participants[n - 1], creditors)
                      for n in range(first + 1, min(first + batch, count) + 1)]
        items: list = []
        for household in households:  # the index, exactly as households._save writes it
            logged = engine.household_log.trigger_event(
                next_originator_version=version, household_id=household.id, dossier=household.dossier)
            items.append(logged)
            version = logged.originator_version + 1
            people.append((household.dossier, household.participants[0].name))
        engine.save(*households, *items)
    return people


def issue_links(engine, dossiers: list[tuple[str, str]], batch: int) -> list[str]:
    """One personal link per household, saved in batches (the events of access.issue)."""
    log_ = access._log(engine)  # the credentials index, as access.issue writes it
    last = log_.get_last()
    version = last.originator_version + 1 if last is not None else None
    now = datetime.now(timezone.utc)
    secrets_out = []
    for first in range(0, len(dossiers), batch):
        items = []
        for dossier, name in dossiers[first:first + batch]:
            secret = "hhbp_" + secrets.token_urlsafe(32)
            credential = Credential(secret_hash=hash_secret(secret), role=PARTICIPANT, name=name, team=None,
                                    dossier=dossier, expires=now + timedelta(days=30), issued=now, actor="bench")
            logged = log_.trigger_event(next_originator_version=version, credential_id=credential.id,
                                        role=PARTICIPANT)
            version = logged.originator_version + 1
            items += [credential, logged]
            secrets_out.append(secret)
        engine.save(*items)
    return secrets_out


async def client(base: str, paths: list[tuple[str, str]], deadline: float, latencies: list[float],
                 errors: list[str]) -> None:
    """One person: GET their own page (or, with --rotate, pages of their share) until the deadline."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as http:
        n = 0
        while time.perf_counter() < deadline:
            path, name = paths[n % len(paths)]
            n += 1
            start = time.perf_counter()
            try:
                response = await http.get(path)
                elapsed = time.perf_counter() - start
                if response.status_code != 200 or name not in response.text:
                    errors.append(f"{response.status_code} {path[:20]}…")
                else:
                    latencies.append(elapsed)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")


async def load(base: str, shares: list[list[tuple[str, str]]], seconds: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client(base, share, deadline, latencies, errors) for share in shares))
    return latencies, errors, time.perf_counter() - start


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0, help=f"length of the load phase (at most {MAX_SECONDS:.0f})")
    parser.add_argument("--batch", type=int, default=500, help="households (and links) per engine.save")
    parser.add_argument("--rotate", action="store_true",
                        help="each client cycles through its share of all links instead of one page")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the temporary directory")
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    rng = random.Random(args.seed)
    as_of = AS_OF

    with tempfile.TemporaryDirectory(prefix="hhb-bench-load-", dir=args.tmp) as tmp_name:
        tmp = Path(tmp_name)
        db = f"sqlite:///{tmp / 'events.sqlite'}"
        engine = open_engine(db, tmp / "var")
        log(f"building {args.households:,} households …")
        t0 = time.perf_counter()
        people = build_households(engine, args.households, args.batch, rng)
        generate_s = time.perf_counter() - t0
        log("issuing links …")
        t0 = time.perf_counter()
        tokens = issue_links(engine, people, args.batch)
        links_s = time.perf_counter() - t0
        log("catching up the projections …")
        t0 = time.perf_counter()
        views = Projections(engine)
        views.catch_up(batch=2000)
        project_s = time.perf_counter() - t0
        events = views.status().newest
        engine.close()

        port = free_port()
        env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var")}
        command = [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            t0 = time.perf_counter()
            try:
                wait_until_serving(process, f"{base}/p/static/participant.css", attempts=READY_ATTEMPTS)
            except RuntimeError as exc:
                raise SystemExit(str(exc)) from None
            ready_s = time.perf_counter() - t0
            chosen = rng.sample(range(len(tokens)), args.clients)
            if args.rotate:
                shares = [[(f"/p/{tokens[i]}?date={as_of}", people[i][1] + "<")
                           for i in range(c, len(tokens), args.clients)] for c in range(args.clients)]
            else:
                shares = [[(f"/p/{tokens[i]}?date={as_of}", people[i][1] + "<")] for i in chosen]
            load_before = os.getloadavg()[0]  # other work on the machine skews the numbers
            log(f"{args.clients} clients for {seconds:.0f} s against {base} (load average {load_before:.1f}) …")
            latencies, errors, wall = asyncio.run(load(base, shares, seconds))
        finally:
            process.terminate()
            try:
                _, stderr = process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate()
        server_errors = [line for line in (stderr or b"").decode(errors="replace").splitlines()
                         if "Traceback" in line or "ERROR" in line]

    ordered = sorted(latencies)
    requests = len(latencies) + len(errors)
    ms = [percentile(ordered, p) * 1000 for p in (50, 95, 99, 100)] if ordered else [0.0] * 4
    reproduce = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/load_participants.py", *sys.argv[1:]])
    lines = [
        f"engine code: {code_version()}  ·  {datetime.now():%Y-%m-%d %H:%M}  ·  {os.cpu_count()} CPUs  ·  "
        f"load average before the load phase {load_before:.1f}",
        f"store: SQLite, {args.households:,} households, {args.households:,} links, {events:,} events "
        f"(build {generate_s:.1f}s, links {links_s:.1f}s, projections {project_s:.1f}s, server ready {ready_s:.1f}s)",
        f"load: {args.clients} concurrent clients, {'rotating through all links' if args.rotate else 'each its own page'}, "
        f"GET /p/<token>?date={as_of}, {wall:.1f}s, one uvicorn process",
        f"requests {requests:,}  errors {len(errors)}  throughput {requests / wall:.1f} req/s",
        f"latency ms: p50 {ms[0]:.1f}  p95 {ms[1]:.1f}  p99 {ms[2]:.1f}  max {ms[3]:.1f}",
        f"server log errors: {len(server_errors)}",
        f"reproduce: {reproduce}",
    ]
    if errors:
        lines.append("first errors: " + "; ".join(sorted(set(errors))[:5]))
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load_participants.txt").write_text(text + "\n")
    print(f"\nSUMMARY load: {requests:,} requests, {len(errors)} errors, {requests / wall:.0f} req/s, "
          f"p50 {ms[0]:.0f} ms, p95 {ms[1]:.0f} ms, p99 {ms[2]:.0f} ms")
    sys.exit(1 if errors or server_errors else 0)


if __name__ == "__main__":
    main()
