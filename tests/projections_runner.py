"""Helpers for tests of `hhb projections run --follow`: start it, read its status, wait
for it by polling the status with a deadline (never a fixed sleep)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from adapters.documents import read_specs
from adapters.store import open_engine
from huishoudboekje import households
from tests.factories import MANAGED

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 90.0  # seconds: generous for a loaded machine; a runner that works needs a fraction
POLL = 0.05


def status(url: str, env: dict[str, str]) -> dict[str, Any]:
    """`hhb projections status`, as a user reads it."""
    done = subprocess.run([sys.executable, "-m", "adapters.cli", "projections", "status", "--db", url],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for(what: str, check: Callable[[], Any], log: IO[str] | None = None) -> Any:
    """Poll `check` until it answers something true, at most DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            said = ""
            if log is not None:
                log.seek(0)
                said = log.read()[-3000:]
            raise AssertionError(f"{what}: not within {DEADLINE} s; the runner said:\n{said}")
        time.sleep(POLL)  # the pause between polls, not a wait for anything in particular


def caught_up(url: str, env: dict[str, str]) -> dict[str, Any] | None:
    """The status once a running runner has projected every event stored so far."""
    found = status(url, env)
    runner = found["runner"]
    done = found["events_behind"] == 0 and runner and runner["running"] and runner["position"] == found["newest_event"]
    return found if done else None


@contextmanager
def follow(url: str, env: dict[str, str], *args: str) -> Iterator[tuple[subprocess.Popen, IO[str]]]:
    """`hhb projections run --follow` in the background, its stderr in a temporary file."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "projections", "run", "--follow", "--heartbeat", "0.2",
             "--db", url, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            yield process, log
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)


def onboard_quietly(url: str, var_dir: Path, *documents: Path) -> None:
    """Onboard through the application service alone: events are stored, and nothing
    catches the read models up (the CLI and the API would), so only a runner can."""
    engine = open_engine(url, var_dir)
    try:
        households.onboard(engine, read_specs(list(documents)), "test", managed=MANAGED.split(","))
    finally:
        engine.close()
