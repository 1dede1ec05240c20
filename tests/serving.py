"""Starting `hhb serve` for a real client: a free port, and waiting until it answers.

Used by the browser tests and by `bench/load_participants.py`.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request

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
