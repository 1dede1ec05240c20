"""`hhb privacy migrate`: the store the previous version wrote (tests/data/store-v14.sqlite),
copied into a new SQLite file and into a PostgreSQL schema with every event written anew,
keeps every household's money and history, and then imports, pays and rebuilds exactly
as the old store does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.store import open_engine
from tests import upgrade_story as story
from tests.conftest import empty_store
from tests.factories import MANAGED
from tests.integration.test_upgrade import STORE_V14, _sequel

runner = CliRunner()
PERSONA = "Sanne de Vries"  # the participant of every household of the story (examples/HHB-2026-0001.yaml)


@pytest.fixture(autouse=True)
def settings_env(monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_url(request, tmp_path):
    with empty_store(request.param, tmp_path / "new") as url:
        yield url


@pytest.fixture
def old_url(tmp_path):
    (tmp_path / "old").mkdir()
    return f"sqlite:///{shutil.copy(STORE_V14, tmp_path / 'old' / 'store.sqlite')}"


def hhb(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def migrate(old_url: str, new_url: str, code: int = 0) -> dict:
    result = hhb("privacy", "migrate", "--db", old_url, "--to", new_url, "--json", code=code)
    return json.loads(result.stdout) if code == 0 else result.output


def events(url: str, tmp_path: Path) -> int:
    engine = open_engine(url, tmp_path / "var", create=False)
    try:
        return engine.event_count()
    finally:
        engine.close()


def in_events(url: str, text: str) -> int:
    """How many stored events hold `text` in plain bytes."""
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            rows = conn.execute("SELECT state FROM stored_events").fetchall()
        return sum(text.encode() in bytes(row[0]) for row in rows)
    import psycopg

    base, schema = url.split("?schema=")
    with psycopg.connect(base) as conn:
        rows = conn.execute(f"SELECT state FROM {schema}.huishoudboekje_events").fetchall()
    return sum(text.encode() in bytes(row[0]) for row in rows)


def test_every_household_keeps_its_money_and_history_and_the_story_goes_on_alike(
        old_url, new_url, tmp_path, monkeypatch):
    (tmp_path / "new").mkdir(exist_ok=True)
    before = events(old_url, tmp_path)
    summary = migrate(old_url, new_url)
    assert Path(old_url[len("sqlite:///"):]).read_bytes() == STORE_V14.read_bytes()  # the old store as it was
    assert summary["same"] is True and summary["different"] == [] and summary["aggregates_different"] == []
    assert summary["households"] == story.HOUSEHOLDS and summary["events"] == before == events(new_url, tmp_path)
    # the old store's events hold the persona's name in plain bytes, the new one's sealed
    assert in_events(old_url, PERSONA) == story.HOUSEHOLDS and in_events(new_url, PERSONA) == 0
    if new_url.startswith("sqlite:///"):  # the whole file, not only its events
        assert PERSONA.encode() in Path(old_url[len("sqlite:///"):]).read_bytes()
        assert PERSONA.encode() not in Path(new_url[len("sqlite:///"):]).read_bytes()

    # the old store's read models are the old version's: `hhb left` of today reads fields
    # they lack, so they are rebuilt first (as after any upgrade); the new store's are today's
    hhb("projections", "rebuild", "--db", old_url)
    for dossier in (story.dossier(0), story.dossier(44)):  # what staff see is what they saw
        for command in ("show", "history", "left"):
            old, new = (json.loads(hhb(command, dossier, "--db", url, "--json").stdout) for url in (old_url, new_url))
            old.pop("projection", None), new.pop("projection", None)
            assert new == old, command
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "old" / "var"))
    upgraded = _sequel(old_url, tmp_path / "old")
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "new" / "var"))
    migrated = _sequel(new_url, tmp_path / "new")
    assert migrated == upgraded
    assert len(migrated["files"]) == 2 * story.HOUSEHOLDS


def test_a_store_that_is_not_empty_or_is_the_old_one_is_refused_and_nothing_is_written(
        old_url, new_url, tmp_path):
    before = events(old_url, tmp_path)
    assert "that is the store being migrated" in migrate(old_url, old_url, code=2)
    assert events(old_url, tmp_path) == before
    migrate(old_url, new_url)
    copied = events(new_url, tmp_path)
    assert "the new store is not empty" in migrate(old_url, new_url, code=2)
    assert events(new_url, tmp_path) == copied == before


def test_the_summary_says_what_was_copied_and_checked(old_url, tmp_path):
    result = hhb("privacy", "migrate", "--db", old_url, "--to", f"sqlite:///{tmp_path / 'new.sqlite'}")
    assert f"{story.HOUSEHOLDS} households have the same money and history" in result.stdout
    assert "events of" in result.stdout and "read models built" in result.stdout
