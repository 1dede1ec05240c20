"""A store written by the previous version imports, pays and rebuilds as if today's code
had written it from the start (on SQLite and, with its rows copied, on PostgreSQL).

`tests/data/store-v13.sqlite` was written by the code of stop 13 (see
`tests/data/make_upgrade_store.py`): one income directory, not yet split into shards;
a ledger with a whole import in one event and a snapshot of the month.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.store import open_engine
from huishoudboekje.domain.directory import DIRECTORY_ID, SHARD_IDS
from huishoudboekje.projections.views import Projections
from huishoudboekje.statements import ledgers, unmatched

from tests import upgrade_story as story
from tests.conftest import empty_store
from tests.factories import MANAGED
from tests.e2e.test_reconcile import check_pain

DATA = Path(__file__).resolve().parents[1] / "data"
STORE_V13 = DATA / "store-v13.sqlite"  # stop 13 (08a9a95): one income directory, a ledger snapshot
# stop 14 (154d582), the code before issues 17–19: a sharded directory, registered teams
STORE_V14 = DATA / "store-v14.sqlite"
runner = CliRunner()


@pytest.fixture(autouse=True)
def settings_env(monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """A URL where nothing has been written yet (`store_url` registers teams)."""
    with empty_store(request.param, tmp_path) as url:
        yield url


def hhb(url: str, *args: str) -> str:
    result = runner.invoke(app, [*args, "--db", url])
    assert result.exit_code == 0, result.output
    return result.stdout


def _copy_old_store(url: str, tmp_path: Path, store: Path = STORE_V13) -> None:
    """The old store's rows into the store at `url`, in their order."""
    if url.startswith("sqlite:///"):
        shutil.copy(store, url[len("sqlite:///"):])
        return
    source = open_engine(f"sqlite:///{shutil.copy(store, tmp_path / 'copy.sqlite')}", tmp_path / "old")
    target = open_engine(url, tmp_path / "var")
    try:
        stored = source.recorder.select_notifications(start=1, limit=100_000)
        target.recorder.insert_events(stored)
        snapshots = [s for ident in {n.originator_id for n in stored}
                     for s in source.snapshots.recorder.select_events(ident)]
        target.snapshots.recorder.insert_events(snapshots)
    finally:
        source.close()
        target.close()


def _write_fresh(url: str, tmp_path: Path) -> None:
    """The same story told to today's code from the start."""
    hhb(url, "teams", "add", "Wijkteam Noord")
    for n, text in enumerate(story.documents()):
        path = tmp_path / f"doc{n}.yaml"
        path.write_text(text)
        hhb(url, "onboard", str(path))
    first = tmp_path / "a.xml"
    first.write_bytes(story.first_statement())
    hhb(url, "import", str(first))
    strangers = [t["transaction"] for t in json.loads(hhb(url, "unmatched", "--json"))]
    for ident in strangers[:41]:
        hhb(url, "book", ident, "--ignore")


def _sequel(url: str, tmp_path: Path) -> dict:
    """Import the second statement, pay 1 December, rebuild the read models."""
    second = tmp_path / "b.xml"
    second.write_bytes(story.second_statement())
    counts = json.loads(hhb(url, "import", str(second), "--json"))
    hhb(url, "reconcile", "--date", "2026-12-01", "--json")
    engine = open_engine(url, tmp_path / "var")
    try:
        views = Projections(engine)
        views.catch_up()
        live = views.dump()
        views.rebuild(batch=13)
        assert views.dump() == live, "the read models rebuilt from the first event differ"
        households = {}
        for hid, dossier in engine.household_ids():
            household = engine.household_by_id(hid)
            households[dossier] = (
                sorted((b.transaction_id, b.agreement_id, str(b.amount)) for b in household.bookings.values()),
                sorted((i.id, i.kind, str(i.amount)) for i in household.instructions.values()),
                str(household.buffer_outstanding))
        rows = sorted((r.id, r.outcome, r.dossier) for ledger in ledgers(engine) for r in ledger.recorded())
        queue = [r.id for r in unmatched(engine)]
        shards = [engine.get_or_none(ident) for ident in SHARD_IDS]
        assert all(shards), "the income directory is split into its shards"
        assert sum(len(s.households) for s in shards) == story.HOUSEHOLDS
        live_rows = {k: sorted(map(str, v)) for k, v in live.items() if k != "hhb_event_counts"}
    finally:
        engine.close()
    files = sorted((tmp_path / "var" / "payments").glob("*.xml"))
    in_files = sorted(e2e for path in files for e2e in check_pain(path)[2])
    return {"import": {k: counts[k] for k in ("transactions", "new", "duplicates", "matched", "unmatched")},
            "households": households, "ledger": rows, "queue": queue, "files": in_files,
            "read_models": {k: len(v) for k, v in live_rows.items()}}


@pytest.mark.parametrize("store", [STORE_V13, STORE_V14], ids=["stop13", "stop14"])
def test_a_store_of_the_previous_version_imports_pays_and_rebuilds_like_a_new_one(
        empty_url, tmp_path, monkeypatch, store):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()

    monkeypatch.setenv("HHB_VAR_DIR", str(old / "var"))
    old_url = empty_url
    _copy_old_store(old_url, old, store)
    engine = open_engine(old_url, old / "var")
    try:
        single = engine.get_or_none(DIRECTORY_ID) is not None and engine.get_or_none(SHARD_IDS[0]) is None
        assert single == (store == STORE_V13)  # stop 14 wrote the sharded directory already
    finally:
        engine.close()
    upgraded = _sequel(old_url, old)

    monkeypatch.setenv("HHB_VAR_DIR", str(new / "var"))
    new_url = f"sqlite:///{new / 'events.sqlite'}"
    _write_fresh(new_url, new)
    fresh = _sequel(new_url, new)

    assert upgraded["import"] == {"transactions": 135, "new": 45, "duplicates": 90, "matched": 45, "unmatched": 0}
    assert len(upgraded["files"]) == 2 * story.HOUSEHOLDS and len(upgraded["queue"]) == 4
    assert upgraded == fresh


@pytest.mark.parametrize("store", [STORE_V13, STORE_V14], ids=["stop13", "stop14"])
def test_the_read_models_an_older_version_wrote_answer_for_every_household(tmp_path, monkeypatch, store):
    """The old file as it was, its read-model rows too: what's left of every household
    reads from rows projected by the old code, before anything new is written."""
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    url = f"sqlite:///{shutil.copy(store, tmp_path / 'old.sqlite')}"
    listed = json.loads(hhb(url, "households", "--json"))
    assert len(listed) == story.HOUSEHOLDS
    for row in listed:
        left = json.loads(hhb(url, "left", row["dossier"], "--date", "2026-11-25", "--json"))
        assert left["dossier"] == row["dossier"] and "forecast" in left
