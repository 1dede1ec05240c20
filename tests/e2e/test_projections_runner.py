"""`hhb projections run --follow` keeps the read models current (issue 25), on both stores:
it projects what other processes store, reports its heartbeat and lag in
`hhb projections status`, and the API says how fresh its answers are and leaves catching
up to a running runner."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from adapters.store import open_engine
from huishoudboekje import access
from huishoudboekje.projections.views import Projections
from tests.conftest import ROOT
from tests.factories import MANAGED
from tests.projections_runner import caught_up, follow, onboard_quietly, status, wait_for

A = "HHB-2026-0001"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    return {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp_path / "var")}


def test_a_runner_projects_what_others_store_and_reports_its_heartbeat(store_url, env, tmp_path, personas):
    assert status(store_url, env)["runner"] is None  # no runner ever ran here
    with follow(store_url, env) as (process, log):
        onboard_quietly(store_url, tmp_path / "var", *personas)
        found = wait_for("the runner projects three households", lambda: caught_up(store_url, env), log)
        assert found["newest_event"] > 0 and found["runner"]["seconds_since_heartbeat"] <= 30
        engine = open_engine(store_url, tmp_path / "var")
        try:
            assert len(Projections(engine).households()) == 3
        finally:
            engine.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0  # stops when asked, between batches
    assert status(store_url, env)["runner"]["position"] == found["newest_event"]


def test_the_api_says_how_fresh_it_is_and_leaves_catching_up_to_a_runner(store_url, env, tmp_path, example_doc):
    app = create_app(store_url)
    services = app.state.context.services
    staff, _ = access.issue(services.engine, "staff", "j.devries", "test", team="Wijkteam Noord")
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {staff}"}
    answer = client.get("/api/v1/households", headers=headers)
    assert answer.headers["X-Projection-Runner"] == "none"
    assert int(answer.headers["X-Projection-Lag"]) > 0  # the staff token, at least, not yet projected

    onboard_quietly(store_url, tmp_path / "var", example_doc)
    token, _ = access.issue(services.engine, "participant", "Sanne de Vries", "test", dossier=A, valid_days=30)
    # Without a runner the participants' page catches up itself: the next answer is current.
    assert client.get(f"/p/{token}").status_code == 200
    assert client.get("/api/v1/households", headers=headers).headers["X-Projection-Lag"] == "0"

    # A runner's heartbeat (written as a runner writes it): now the page leaves it to the runner.
    view = services.projections.view
    now = datetime.now(UTC).isoformat()
    view.beat("elsewhere:1", now, now, services.projections.status().position)
    services._runner_seen = None  # forget the once-a-second answer
    access.issue(services.engine, "participant", "Sanne de Vries", "test", dossier=A, valid_days=30)
    page = client.get(f"/p/{token}")
    assert page.status_code == 200 and page.headers["X-Projection-Runner"] == "running"
    assert int(client.get("/api/v1/households", headers=headers).headers["X-Projection-Lag"]) >= 1  # the link

    # A runner silent for longer than HHB_PROJECTION_RUNNER_TIMEOUT counts as gone.
    old = (datetime.now(UTC) - timedelta(seconds=services.settings.projection_runner_timeout + 5)).isoformat()
    view.beat("elsewhere:1", old, old, services.projections.status().position)
    services._runner_seen = None
    assert client.get(f"/p/{token}").headers["X-Projection-Runner"] == "none"
    assert client.get("/api/v1/households", headers=headers).headers["X-Projection-Lag"] == "0"
    services.engine.close()


def test_the_readme_names_the_runner():
    readme = (ROOT / "README.md").read_text()
    assert "hhb projections run --follow" in readme and "X-Projection-Lag" in readme


def test_a_runner_forgets_runners_silent_for_a_week(store_url, env, tmp_path):
    engine = open_engine(store_url, tmp_path / "var")
    try:
        long_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat()
        Projections(engine).view.beat("gone:1", long_ago, long_ago, 0)
    finally:
        engine.close()
    assert status(store_url, env)["runner"]["runner"] == "gone:1"
    with follow(store_url, env) as (_, log):
        found = wait_for("the runner beats", lambda: caught_up(store_url, env), log)
    assert found["runner"]["runner"] != "gone:1"
    engine = open_engine(store_url, tmp_path / "var")
    try:
        assert Projections(engine).view.rows("SELECT runner FROM {t}hhb_projection_runners") == \
            [{"runner": found["runner"]["runner"]}]
    finally:
        engine.close()


def test_a_batch_read_before_another_process_moved_on_writes_nothing(store_url, tmp_path, personas):
    """Two processes catch up at once (the runner and a command): the one that read its batch
    before the other committed one must not write it after all, even where it reaches
    further — it would count the other's events twice and could put older rows of their
    households over newer ones."""
    from eventsourcing.persistence import IntegrityError

    var = tmp_path / "var"
    onboard_quietly(store_url, var, personas[0])
    engine = open_engine(store_url, var)
    try:
        slow, quick = Projections(engine), Projections(engine)
        onboard_quietly(store_url, var, personas[1])
        before = 0
        slow.view.reset(engine.name)  # both start from the beginning, as after a rebuild
        batch = engine.recorder.select_notifications(start=1, limit=10_000)
        assert len(batch) > 3
        quick._project(batch[:3], after=before)  # the other process commits a shorter batch first
        stale = batch  # read before that commit, and reaching further
        with pytest.raises(IntegrityError):
            slow._project(stale, after=before)
        slow.catch_up()  # carries on from where the other got to
        live = slow.dump()
        slow.rebuild()
        assert slow.dump() == live  # nothing counted twice, no household row older than its events
    finally:
        engine.close()
