"""A PostgreSQL of the test's own, to restart under a running process: initdb and pg_ctl
in a temporary folder, on a free port of 127.0.0.1, trust authentication.

PostgreSQL refuses to run as root: then the server runs as the user `postgres` (through
`su`), and the test is skipped, saying why, where neither is possible.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving import free_port


@dataclass
class PrivatePostgres:
    url: str
    data: Path
    port: int
    run_as: str | None

    def _pg_ctl(self, *args: str) -> None:
        command = [str(_binaries() / "pg_ctl"), "-D", str(self.data), *args]
        _run(command, self.run_as)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.data.parent / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Stopped at once (connections are cut, as in a crash), then started again."""
        self.stop("immediate")
        self.start()


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (initdb, pg_ctl)")
    return Path(found[-1]).parent


def _run(command: list[str], run_as: str | None) -> None:
    if run_as is not None:
        command = ["su", run_as, "-c", shlex.join(command)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def _user() -> str | None:
    """Who runs the server: None for the current user, 'postgres' when that is root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root, and there is no user 'postgres' to run a private PostgreSQL as")
    if shutil.which("su") is None:
        pytest.skip("running as root, and no `su` to run a private PostgreSQL as the user 'postgres'")
    return "postgres"


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    binaries = _binaries()
    run_as = _user()
    folder = Path(tempfile.mkdtemp(prefix="hhb-private-pg-"))
    try:
        if run_as is not None:
            entry = pwd.getpwnam(run_as)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        data = folder / "data"
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--no-sync"], run_as)
        port = free_port()
        server = PrivatePostgres(f"postgresql://postgres@127.0.0.1:{port}/postgres", data, port, run_as)
        server.start()
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
