"""Benchmark: what the two libraries the pay date must go through cost on their own.

Issue 4 asks the pay-date run to take at most 4x the time SQLite needs to insert the
same number of event rows with executemany. The same issue asks for the pain.001 to be
written "through sepaxml", and the design fixes `eventsourcing` for every state change.
This bench measures, on the same machine in the same run, the least each of those two
can cost for a pay date of N households, with none of our code in between:

- `raw insert`: the baseline of bench_paydate.py (executemany, one transaction, the
  run's number of event rows at its average row size: 1.49 rows and 1,760 B per
  household, measured there at 12 months of history).
- `sepaxml`: `SepaTransfer.add_payment` for the run's transfers (4.68 per household)
  and `export(validate=False)`: no XSD validation, no post-processing, one creditor.
- `eventsourcing`: the library's own `Application` on a SQLite file, one aggregate of
  a single integer per household, each loaded from its one event, given one more
  event and saved in batches of 200: the smallest load-change-save cycle the library
  offers, with events of ~150 B where the run's are 1,760 B.

Each figure is the median of --repeat runs; the ratios divide by the raw insert. If
either library alone takes more than 4x, no design that goes through it can meet
the target; the sum of both is a floor under the pay-date run's ratio.

    .venv/bin/python bench/bench_floor.py                    # 1,000 and 10,000 households
    .venv/bin/python bench/bench_floor.py --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from eventsourcing.domain import Aggregate, event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import code_version, log, print_table, raw_insert_seconds  # noqa: E402

# What bench_paydate.py measured per household at 12 months of history (1,000 households:
# 1,487 event rows of 1,757 B on average, 4,676 instructions).
ROWS_PER_HOUSEHOLD = 1.49
ROW_BYTES = 1760
TRANSFERS_PER_HOUSEHOLD = 4.68
TARGET = 4.0


def sepaxml_seconds(transfers: int) -> float:
    """Build and export a pain.001.001.09 of `transfers` payments through sepaxml alone."""
    import sepaxml

    config = {"name": "Gemeente Utrecht", "IBAN": "NL39BNGH0285009999", "BIC": "BNGHNL2G",
              "currency": "EUR", "batch": True}
    document = sepaxml.SepaTransfer(config, schema="pain.001.001.09", clean=False)
    payments = [{"name": "Woningcorporatie Portaal", "IBAN": "NL20INGB0001234567", "amount": 45000 + n % 35000,
                 "execution_date": date(2027, 3, 1 + n % 5), "description": f"Betaling huur 03-2027 {n}",
                 "endtoend_id": f"{n:012X}-{n:020X}"} for n in range(transfers)]
    start = time.perf_counter()
    for payment in payments:
        document.add_payment(payment)
    document.export(validate=False)
    return time.perf_counter() - start


class Tiny(Aggregate):
    """The smallest aggregate: one integer."""

    @event("Created")
    def __init__(self, number: int) -> None:
        self.number = number

    @event("Paid")
    def pay(self, amount: str) -> None:
        self.number += 1


def eventsourcing_seconds(households: int, batch: int = 200) -> float:
    """Load, change and save `households` one-field aggregates through the library."""
    from eventsourcing.application import Application

    with tempfile.TemporaryDirectory(prefix="hhb-bench-floor-") as tmp:
        app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                            "SQLITE_DBNAME": os.path.join(tmp, "floor.sqlite")})
        ids, pending = [], []
        for n in range(households):
            aggregate = Tiny(n)
            ids.append(aggregate.id)
            pending.append(aggregate)
            if len(pending) == 500:
                app.save(*pending)
                pending = []
        app.save(*pending)
        start = time.perf_counter()
        pending = []
        for ident in ids:
            aggregate = app.repository.get(ident)
            aggregate.pay("712.40")
            pending.append(aggregate)
            if len(pending) == batch:
                app.save(*pending)
                pending = []
        app.save(*pending)
        elapsed = time.perf_counter() - start
        app.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows = []
    for households in args.sizes:
        event_rows = round(households * ROWS_PER_HOUSEHOLD)
        transfers = round(households * TRANSFERS_PER_HOUSEHOLD)
        log(f"{households:,} households: {event_rows:,} event rows, {transfers:,} transfers")
        raw = raw_insert_seconds(event_rows, ROW_BYTES, repeat=args.repeat)
        sepa = statistics.median(sepaxml_seconds(transfers) for _ in range(args.repeat))
        library = statistics.median(eventsourcing_seconds(households) for _ in range(args.repeat))
        rows.append([f"{households:,}", event_rows, transfers, raw, TARGET * raw, sepa, sepa / raw,
                     library, library / raw, (sepa + library) / raw, (sepa + library) / households * 1e6])

    print()
    print(f"engine code: {code_version()}; {os.cpu_count()} CPUs; 1-min load average {os.getloadavg()[0]:.1f}; "
          f"median of {args.repeat}")
    headers = ["households", "event rows", "transfers", "raw insert s", "4x budget s", "sepaxml s", "sepaxml/raw",
               "eventsourcing s", "eventsourcing/raw", "both/raw", "both us/hh"]
    print_table(headers, rows)
    worst = min(r[9] for r in rows)
    print(f"\nSUMMARY floor: sepaxml alone {min(r[6] for r in rows):.1f}x-{max(r[6] for r in rows):.1f}x, "
          f"eventsourcing alone {min(r[8] for r in rows):.1f}x-{max(r[8] for r in rows):.1f}x the raw insert; "
          f"together at least {worst:.1f}x against a target of {TARGET:.0f}x for the whole run")


if __name__ == "__main__":
    main()
