"""Benchmark: 'what's left' for one household, read from the projection (on demand).

Issue requirement: measured on a store with 100,000 households, print p50/p99 latency;
the p99 stays under 5 ms in-process, and flat from 1,000 to 100,000 households.

    .venv/bin/python bench/bench_left.py                       # 1,000 and 10,000 households
    .venv/bin/python bench/bench_left.py --sizes 1000 100000   # the issue's sizes (slow to generate)

Households (3–8 agreements, a year of history) are generated as in bench_paydate.py,
the projections are caught up once, then `what_is_left` is timed for random dossiers:
one row read from the read model, decoded, and looked at on a date — no event replay.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import log, print_table  # noqa: E402
from bench_paydate import generate, open_store  # noqa: E402

from huishoudboekje.projections.left import what_is_left  # noqa: E402
from huishoudboekje.projections.views import Projections  # noqa: E402

AS_OF = date(2027, 2, 17)


def measure(count: int, samples: int, rng: random.Random, months: int = 12) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(Path(tmp))
        generated = generate(engine, count, months, rng, batch=500, confirm=True)
        views = Projections(engine)
        t0 = time.perf_counter()
        views.catch_up(batch=2000)
        projected = time.perf_counter() - t0
        dossiers = [row["dossier"] for row in views.households()]
        fresh = views.data_as_of("NL39BNGH0285009999")
        latencies = []
        for _ in range(samples):
            dossier = rng.choice(dossiers)
            start = time.perf_counter()
            household = views.household(dossier)
            what_is_left(household, AS_OF, fresh)
            latencies.append((time.perf_counter() - start) * 1000)
        engine.close()
    latencies.sort()
    return {
        "households": count,
        "generate_s": generated["seconds"],
        "project_s": projected,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "max_ms": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--months", type=int, default=12, help="history per household")
    args = parser.parse_args()
    rng = random.Random(20261126)
    results = []
    for size in args.sizes:
        log(f"{size:,} households…")
        results.append(measure(size, args.samples, rng, args.months))
    print_table(["households", "generate s", "project s", "p50 ms", "p99 ms", "max ms"],
                [[r["households"], r["generate_s"], r["project_s"], r["p50_ms"], r["p99_ms"], r["max_ms"]]
                 for r in results])
    p99 = [r["p99_ms"] for r in results]
    print(f"p99 flatness (largest / smallest store): {p99[-1] / p99[0]:.2f}x; "
          f"p99 under 5 ms at every size: {all(p < 5 for p in p99)}")


if __name__ == "__main__":
    main()
