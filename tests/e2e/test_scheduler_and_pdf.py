"""The nightly scheduler's catch-up at start, and the PDF overview."""

from __future__ import annotations

import io
import os
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import register_teams
from rich.console import Console
from typer.testing import CliRunner

from adapters import scheduler
from adapters.cli import app
from huishoudboekje.config import Settings


def test_the_scheduler_catches_up_at_start_and_then_runs_nightly_in_amsterdam(monkeypatch):
    started, jobs = [], []
    monkeypatch.setattr(scheduler.BlockingScheduler, "start", lambda self: started.append(self.get_jobs()))
    settings = Settings(scheduler_time="02:30", timezone="Europe/Amsterdam")
    before = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    scheduler.run_scheduler(jobs.append, settings, Console(file=open(os.devnull, "w")))
    after = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    assert len(jobs) == 1 and jobs[0] in (before, after)  # caught up before waiting for the night
    [[job]] = started
    assert (str(job.trigger.fields[5]), str(job.trigger.fields[6])) == ("2", "30")  # hour, minute
    assert str(job.trigger.timezone) == "Europe/Amsterdam"


def test_the_scheduler_keeps_running_when_there_is_nothing_to_run_yet(monkeypatch):
    # A fresh install (no households, or none started yet) must not stop the scheduler.
    from huishoudboekje.reconcile import RunError

    started, lines = [], io.StringIO()
    monkeypatch.setattr(scheduler.BlockingScheduler, "start", lambda self: started.append(self.get_jobs()))

    def nothing_yet(day):
        raise RunError("there are no households yet; nothing to run")

    scheduler.run_scheduler(nothing_yet, Settings(), Console(file=lines, width=200))
    assert len(started) == 1 and "no households yet" in lines.getvalue()


@pytest.mark.parametrize("variable, value", [("HHB_SCHEDULER_TIME", "25:00"), ("HHB_SCHEDULER_TIME", "2.30"),
                                             ("HHB_TIMEZONE", "Europe/Amsterdm")])
def test_a_bad_schedule_setting_is_refused_before_the_job_runs(tmp_path, example_doc, monkeypatch,
                                                               variable, value):
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    register_teams(db, tmp_path)
    assert runner.invoke(app, ["onboard", str(example_doc), "--db", db]).exit_code == 0
    monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["scheduler", "--db", db])
    assert result.exit_code == 2 and variable in result.output
    assert not (tmp_path / "var" / "payments").exists() or not any((tmp_path / "var" / "payments").iterdir())


def test_the_monthly_overview_as_pdf(tmp_path, example_doc, monkeypatch):
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        if os.environ.get("HHB_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail("HHB_TEST_REQUIRE_BROWSER=1 but Chromium is missing")
        pytest.skip("no Chromium for PDF output")
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    runner = CliRunner()
    register_teams(db, tmp_path)
    assert runner.invoke(app, ["onboard", str(example_doc), "--db", db]).exit_code == 0
    target = tmp_path / "overzicht.pdf"
    result = runner.invoke(app, ["overview", "HHB-2026-0001", "--month", "2026-12", "--format", "pdf",
                                 "-o", str(target), "--db", db])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")
