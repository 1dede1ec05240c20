"""deploy/: the systemd units are valid (`systemd-analyze verify`, where the machine has
it) and each unit's command runs: the server answers /healthz and /readyz, the scheduler
catches up once (--once) and records its run for Prometheus, the projections runner
catches up once (without --follow). Each against a store of its own."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, register_teams
from tests.factories import MANAGED
from tests.serving import free_port, wait_until_serving

DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/huishoudboekje/.venv/bin/hhb"  # where the units expect the venv's hhb


def service(unit: Path) -> dict[str, str]:
    """The [Service] section's keys (the units set each key once)."""
    section, found = None, {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found[key] = value
    return found


def command(unit: Path) -> list[str]:
    """The unit's ExecStart, with this checkout's hhb in place of the installed one."""
    words = shlex.split(service(unit)["ExecStart"])
    assert words[0] == INSTALLED, f"{unit.name}: ExecStart runs {words[0]}"
    return [sys.executable, "-m", "adapters.cli", *words[1:]]


@pytest.fixture
def store(tmp_path) -> tuple[str, dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    register_teams(url, tmp_path)
    env = {key: value for key, value in os.environ.items() if not key.startswith("HHB_")}
    env.update(HHB_DATABASE_URL=url, HHB_VAR_DIR=str(tmp_path / "var"), HHB_MANAGED_ACCOUNTS=MANAGED,
               PYTHONPATH=str(ROOT))
    onboard = subprocess.run([sys.executable, "-m", "adapters.cli", "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml")],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert onboard.returncode == 0, onboard.stderr
    return url, env


def test_there_is_a_unit_for_the_server_the_scheduler_and_the_projections_runner():
    assert [u.name for u in UNITS] == ["hhb-projections.service", "hhb-scheduler.service", "hhb-server.service"]
    for unit in UNITS:
        settings = service(unit)
        assert settings["EnvironmentFile"] == "/etc/huishoudboekje/hhb.env" and settings["User"] == "hhb"
        assert settings["Restart"] in ("on-failure", "always")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not on this machine")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_finds_nothing_wrong_with_the_unit(unit, tmp_path):
    # verify also checks that ExecStart's program exists: point it at one that does
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED, sys.executable))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)], capture_output=True, text=True,
                            timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_server_units_command_serves_healthz_and_readyz(store, tmp_path):
    _, env = store
    port = free_port()
    env.update(HHB_HOST="127.0.0.1", HHB_PORT=str(port))
    process = subprocess.Popen(command(DEPLOY / "hhb-server.service"), cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/healthz")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as answer:
            assert json.load(answer)["status"] == "ready"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_scheduler_units_command_catches_up_once_and_records_its_run(store, tmp_path):
    _, env = store
    result = subprocess.run([*command(DEPLOY / "hhb-scheduler.service"), "--once"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "reconciled through" in result.stderr
    assert "hhb_run_duration_seconds" in (tmp_path / "var" / "metrics" / "hhb_run.prom").read_text()


def test_the_projections_units_command_catches_the_read_models_up(store, tmp_path):
    _, env = store
    words = command(DEPLOY / "hhb-projections.service")
    assert words[-1] == "--follow"
    result = subprocess.run(words[:-1], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["events_behind"] == 0
