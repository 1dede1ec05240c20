"""The job's own figures, for Prometheus: how long the last run took, how many households
it paid and how many instructions it made, written after each run to
HHB_VAR_DIR/metrics/hhb_run.prom in Prometheus' text format.

A job is not a server to scrape: node_exporter's textfile collector reads such a file
(point its --collector.textfile.directory at that folder), and `/metrics` of a server on
the same machine adds it to its own answer. The file is replaced whole, never half written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

FILE = Path("metrics") / "hhb_run.prom"
T = TypeVar("T")


def timed_run(var_dir: Path, run: Callable[[], T]) -> T:
    """Run the job and record its figures; a run that fails records nothing (its
    `hhb_run_finished_timestamp_seconds` stays old, which is what an alert looks at)."""
    started = time.perf_counter()
    summary = run()
    record(var_dir, time.perf_counter() - started, getattr(summary, "households_paid", 0),
           getattr(summary, "instructions", 0))
    return summary


def record(var_dir: Path, seconds: float, households_paid: int, instructions: int) -> Path:
    registry = CollectorRegistry()
    for name, text, value in (
            ("hhb_run_duration_seconds", "How long the last run of the job took", seconds),
            ("hhb_run_households_paid", "Households the last run of the job paid", households_paid),
            ("hhb_run_instructions", "Payment instructions the last run of the job made", instructions),
            ("hhb_run_finished_timestamp_seconds", "When the last run of the job finished", time.time())):
        Gauge(name, text, registry=registry).set(value)
    path = Path(var_dir) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path
