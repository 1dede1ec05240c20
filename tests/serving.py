"""Starting `hhb serve` for a real client: a free port, and waiting until it answers.

Used by the browser tests and by `bench/load_participants.py`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_SECONDS = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(process: subprocess.Popen, url: str, attempts: int = 200) -> None:
    """Poll `url` until it answers 200; RuntimeError if the server stops or never answers."""
    for _ in range(attempts):
        if process.poll() is not None:
            raise RuntimeError(f"hhb serve stopped with exit code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"hhb serve did not answer {url} after {attempts} attempts")


@contextmanager
def hhb_serve(db: str, env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`hhb serve --db DB ARGS…` on a free port of 127.0.0.1, answering: (base URL, process);
    stopped (SIGTERM, its workers with it) afterwards. What it printed is in the error if
    it never answers."""
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1",
             *args], cwd=Path(__file__).resolve().parents[1], env=env, stdout=subprocess.DEVNULL, stderr=errors)
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_serving(process, f"{base}/p/static/participant.css")
            except RuntimeError as exc:
                errors.seek(0)
                raise RuntimeError(f"{exc}:\n{errors.read().decode(errors='replace')[-3000:]}") from None
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
