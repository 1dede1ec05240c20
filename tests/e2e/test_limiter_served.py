"""The sign-in limiter behind a real `hhb serve` (uvicorn), where X-Forwarded-For used to be believed.

The attack of issue 16: a client on the proxy's own address (127.0.0.1) rotating
`X-Forwarded-For` made 60 of 60 bad attempts without a 429, because uvicorn trusts that
header from 127.0.0.1 by default. Now only HHB_TRUSTED_PROXIES are believed (none by default).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from adapters.api.app import FAILED_LOGIN_LIMIT
from adapters.store import open_engine
from huishoudboekje import access
from tests.conftest import ROOT
from tests.factories import MANAGED
from tests.serving import free_port, wait_until_serving


def status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def served(tmp_path):
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    engine = open_engine(db, tmp_path / "var")
    try:
        token, _ = access.issue(engine, "auditor", "a.udit", "test", valid_days=30)
    finally:
        engine.close()
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp_path / "var")}
    env.pop("HHB_TRUSTED_PROXIES", None)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/p/static/participant.css")
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_rotating_x_forwarded_for_on_the_proxys_address_gets_429_after_the_limit(served):
    base, token = served
    answers = [status(f"{base}/api/v1/households", {"Authorization": f"Bearer hhbt_guess{n}",
                                                    "X-Forwarded-For": f"198.51.100.{n}"})
               for n in range(60)]
    assert answers == [401] * FAILED_LOGIN_LIMIT + [429] * (60 - FAILED_LOGIN_LIMIT)
    # and the valid token from that same address is still let in
    assert status(f"{base}/api/v1/households", {"Authorization": f"Bearer {token}"}) == 200
