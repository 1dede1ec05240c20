"""`hhb retention run` and the nightly job erase a household whose participation ended
more than HHB_RETENTION_YEARS ago, on SQLite and PostgreSQL; a dry run writes nothing
and a second run does nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from adapters.access_log import AccessLog
from adapters.bootstrap import bootstrap
from adapters.cli import app
from adapters.cli import runs
from adapters.store import open_engine
from huishoudboekje.config import Settings
from huishoudboekje.personal_data import ERASED
from tests.conftest import ROOT
from tests.factories import MANAGED

runner = CliRunner()
OLD, YOUNG, ACTIVE = "HHB-2026-0001", "HHB-2026-0002", "HHB-2026-0003"
NAME = "Sanne de Vries"  # the participant of examples/HHB-2026-0001.yaml
RUN_ON = "2033-11-21"  # OLD ended 7 years and a day before, YOUNG 7 years less a day


@pytest.fixture(autouse=True)
def settings_env(monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.delenv("HHB_RETENTION_YEARS", raising=False)


def hhb(url: str, *args: str, code: int = 0):
    result = runner.invoke(app, [*args, "--db", url])
    assert result.exit_code == code, result.output
    return result


def run(url: str, *args: str) -> dict:
    return json.loads(hhb(url, "retention", "run", "--date", RUN_ON, *args, "--json").stdout)


def names(url: str, dossier: str) -> list[str]:
    return [p["name"] for p in json.loads(hhb(url, "show", dossier, "--json").stdout)["participants"]]


def events(url: str, tmp_path) -> int:
    engine = open_engine(url, tmp_path / "var", create=False)
    try:
        return engine.event_count()
    finally:
        engine.close()


@pytest.fixture
def ended(store_url, tmp_path):
    """Three households: OLD ended 2026-11-20, YOUNG 2026-11-22, ACTIVE still takes part;
    the nightly job paid the final settlements (of nothing: before the first pay date)."""
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text()
    for dossier in (OLD, YOUNG, ACTIVE):
        path = tmp_path / f"{dossier}.yaml"
        path.write_text(text.replace("HHB-2026-0001", dossier))
        hhb(store_url, "onboard", str(path))
    hhb(store_url, "end-participation", OLD, "--on", "2026-11-20", "--reason", "stabilised")
    hhb(store_url, "end-participation", YOUNG, "--on", "2026-11-22", "--reason", "moved")
    hhb(store_url, "reconcile", "--date", "2026-11-25")
    return store_url


def test_a_household_past_the_period_is_erased_once_and_one_a_day_short_of_it_is_kept(ended, tmp_path):
    written = events(ended, tmp_path)
    dry = run(ended, "--dry-run")
    assert [d["dossier"] for d in dry["due"]] == [OLD] and dry["erased"] == [] and dry["dry_run"] is True
    assert dry["due"][0] == {"dossier": OLD, "ended": "2026-11-20", "kept_until": "2033-11-20"}
    assert events(ended, tmp_path) == written and names(ended, OLD) == [NAME]  # the dry run wrote nothing

    done = run(ended)
    assert [d["dossier"] for d in done["erased"]] == [OLD] and done["refused"] == done["failed"] == []
    assert names(ended, OLD) == [ERASED]
    assert names(ended, YOUNG) == [NAME] and names(ended, ACTIVE) == [NAME]

    written = events(ended, tmp_path)
    again = run(ended)
    assert again["due"] == again["erased"] == [] and again["already_erased"] == 1
    assert events(ended, tmp_path) == written
    # the day after, YOUNG's period is over too
    later = json.loads(hhb(ended, "retention", "run", "--date", "2033-11-23", "--json").stdout)
    assert [d["dossier"] for d in later["erased"]] == [YOUNG] and later["already_erased"] == 1


def test_the_setting_decides_the_period(ended, monkeypatch):
    monkeypatch.setenv("HHB_RETENTION_YEARS", "8")
    assert run(ended, "--dry-run")["due"] == []
    monkeypatch.setenv("HHB_RETENTION_YEARS", "1")
    assert [d["dossier"] for d in run(ended, "--dry-run")["due"]] == [OLD, YOUNG]


def test_the_plain_output_names_what_would_be_erased(ended):
    shown = hhb(ended, "retention", "run", "--date", RUN_ON, "--dry-run").stdout
    assert OLD in shown and "would erase" in shown and YOUNG not in shown
    assert "7 years before 2033-11-21: 1 would erase" in shown


def test_the_nightly_job_erases_what_is_past_the_period_after_paying(ended, tmp_path, monkeypatch):
    paid = []
    monkeypatch.setattr(runs, "run_reconcile", lambda svc, through, **_: paid.append(through) or _Summary())
    svc = bootstrap(ended, Settings())
    try:
        summary = runs.nightly(svc, date.fromisoformat(RUN_ON))
        assert paid == [date(2033, 11, 21)]
        assert summary["retention"] == {"erased": [OLD], "held_back": 0, "failed": 0, "unmatched_lines_erased": 0,
                                        "maatwerk_residents_erased": 0}
        assert runs.nightly(svc, date.fromisoformat(RUN_ON))["retention"]["erased"] == []
    finally:
        svc.engine.close()
    assert names(ended, OLD) == [ERASED]


class _Summary:
    def as_dict(self) -> dict:
        return {"days": []}


def test_each_erasure_is_in_the_access_log_with_the_retention_as_actor_and_its_reason(ended):
    run(ended)
    engine = open_engine(ended, create=False)
    try:
        entries = [e.as_dict() for e in AccessLog(engine).entries(OLD)]
    finally:
        engine.close()
    assert [(e["actor"], e["action"]) for e in entries] == [("retention", "hhb erase: bewaartermijn verstreken")]


def test_a_household_whose_final_settlement_is_not_paid_is_held_back_with_the_reason(store_url, tmp_path):
    path = tmp_path / "doc.yaml"
    path.write_text((ROOT / "examples" / "HHB-2026-0001.yaml").read_text())
    hhb(store_url, "onboard", str(path))
    hhb(store_url, "end-participation", OLD, "--on", "2026-11-20")
    done = run(store_url)
    assert done["erased"] == [] and [r["dossier"] for r in done["refused"]] == [OLD]
    assert "final settlement is not paid yet" in done["refused"][0]["reason"]
    assert names(store_url, OLD) == [NAME]
    assert "not erased: " in hhb(store_url, "retention", "run", "--date", RUN_ON).stdout


def test_a_store_migrated_after_an_erasure_keeps_the_household_erased(ended, tmp_path):
    run(ended)
    new = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    summary = json.loads(runner.invoke(app, ["privacy", "migrate", "--db", ended, "--to", new, "--json"]).stdout)
    assert summary["same"] is True and summary["erased"] >= 1 and summary["access_log_entries"] == 1
    engine = open_engine(new, create=False)
    try:  # the access log came along: the erasure and its reason
        assert [e.actor for e in AccessLog(engine).entries(OLD)] == ["retention"]
    finally:
        engine.close()
    assert names(new, OLD) == [ERASED] and names(new, YOUNG) == [NAME]
    again = run(new)
    assert again["erased"] == [] and again["already_erased"] == 1
