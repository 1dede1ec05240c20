"""`hhb doctor`: settings, database, accounts, folders and the scheduler's time zone on one
screen; exit 1 when something is wrong, and nothing is written or made."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from adapters.cli import app as cli
from adapters.doctor import examine
from tests.factories import MANAGED

runner = CliRunner()


def doctor(*args):
    result = runner.invoke(cli, ["doctor", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def problems(report) -> list[str]:
    return [f["text"] for f in report["findings"] if f["level"] == "problem"]


@pytest.fixture(autouse=True)
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    (tmp_path / "var").mkdir()


def test_a_sound_installation_has_no_problems(store_url):
    code, report = doctor("--db", store_url)
    assert (code, report["problems"]) == (0, 0)
    assert {f["area"] for f in report["findings"]} == {"settings", "database", "accounts", "folders", "scheduler"}


def test_a_misspelt_setting_is_the_problem_and_the_rest_is_left_unchecked(monkeypatch, store_url):
    monkeypatch.setenv("HHB_MANAGED_ACOUNTS", MANAGED)
    code, report = doctor("--db", store_url)
    assert code == 1
    assert problems(report) == ["HHB_MANAGED_ACOUNTS is not a setting (did you mean HHB_MANAGED_ACCOUNTS?)"]
    assert [f["text"] for f in report["findings"] if f["area"] == "database"] == [
        "not checked: the settings must be right first"]


def test_the_demo_account_and_a_store_that_is_not_there_are_problems_and_nothing_is_made(monkeypatch, tmp_path):
    monkeypatch.delenv("HHB_MANAGED_ACCOUNTS")
    code, report = doctor("--db", f"sqlite:///{tmp_path / 'elsewhere' / 'events.sqlite'}")
    assert code == 1
    assert problems(report) == [f"no store at {tmp_path / 'elsewhere' / 'events.sqlite'}",
                                "HHB_MANAGED_ACCOUNTS is not set: the demo's account NL39BNGH0285009999 is used"]
    assert not (tmp_path / "elsewhere").exists()


def test_a_funding_account_that_is_also_managed_and_a_folder_that_is_a_file(monkeypatch, tmp_path, store_url):
    monkeypatch.setenv("HHB_FUNDING_ACCOUNTS", MANAGED)
    (tmp_path / "outbox").write_text("not a folder")
    monkeypatch.setenv("HHB_OUTBOX_DIR", str(tmp_path / "outbox"))
    code, report = doctor("--db", store_url)
    assert code == 1
    assert problems(report) == [f"{MANAGED} is in HHB_FUNDING_ACCOUNTS and in HHB_MANAGED_ACCOUNTS; a funding "
                                "account is the municipality's own",
                                f"HHB_OUTBOX_DIR {tmp_path / 'outbox'} is a file, not a folder"]


def test_the_screen_names_each_finding_on_one_line(store_url):
    result = runner.invoke(cli, ["doctor", "--db", store_url])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and lines[-1] == "no problems found"
    assert any(line.split()[:2] == ["ok", "database"] for line in lines)


def test_a_scheduler_time_the_clock_change_skips_or_repeats_is_noted(monkeypatch, store_url):
    monkeypatch.setenv("HHB_SCHEDULER_TIME", "02:30")
    monkeypatch.setenv("HHB_TIMEZONE", "Europe/Amsterdam")
    notes = [f.text for f in examine(store_url, today=date(2027, 1, 1)) if f.area == "scheduler" and f.level == "note"]
    assert notes[:2] == [
        "02:30 does not exist on 2027-03-28 in Europe/Amsterdam (clocks go forward): the job starts an hour later "
        "that night",
        "02:30 happens twice on 2027-10-31 in Europe/Amsterdam (clocks go back): the job starts twice; the second "
        "start finds nothing left to do"]
    monkeypatch.setenv("HHB_SCHEDULER_TIME", "04:00")
    assert not [f for f in examine(store_url, today=date(2027, 1, 1)) if "does not exist" in f.text]
