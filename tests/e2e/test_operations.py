"""What operators ask a server: /healthz, /readyz, /metrics (Prometheus), and logs as
JSON lines (HHB_LOG_FORMAT=json). Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from adapters.api.app import create_app
from adapters.metrics import record
from huishoudboekje import teams
from tests.e2e.test_api import A, World
from tests.factories import MANAGED


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def app(store_url):
    app = create_app(db_url=store_url)
    yield app
    app.state.context.engine.close()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_healthz_answers_while_the_process_lives(client):
    assert (client.get("/healthz").status_code, client.get("/healthz").json()) == (200, {"status": "ok"})


def test_readyz_is_ready_with_the_read_models_caught_up_and_not_ready_past_the_lag_setting(
        monkeypatch, store_url, client, app):
    app.state.context.services.catch_up()
    assert client.get("/readyz").json() == {"status": "ready", "events_behind": 0}
    teams.add(app.state.context.engine, "Wijkteam Centrum", "test")  # an event the read models have not seen
    app.state.context.settings.ready_max_lag = 0
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "not ready", "events_behind": 1,
                             "reason": "the read models are 1 events behind (HHB_READY_MAX_LAG is 0)"}
    app.state.context.settings.ready_max_lag = 1
    assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_when_the_database_does_not_answer(client, app, monkeypatch):
    def unreachable():
        raise ConnectionError("database gone")

    monkeypatch.setattr(app.state.context.views, "status", unreachable)
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()) == (503, {"status": "not ready",
                                                         "reason": "the database does not answer: ConnectionError"})


def test_metrics_count_the_store_and_time_requests_by_route_never_by_path(app, client):
    world = World(app, client)
    participant_link = world.headers["participant"]["Authorization"].removeprefix("Bearer ")
    client.get(f"/p/{participant_link}")
    client.get("/no/such/page")
    found = samples(client)
    assert found[("hhb_projection_lag_events", ())] == 0
    open_by_rule = {dict(labels)["rule"]: value for (name, labels), value in found.items()
                    if name == "hhb_signals_open"}
    assert open_by_rule == {"buffer-drawn": 1, "external": 1, "income-late": 3, "payment-file-unreleased": 1}
    assert (found[("hhb_last_day_households_paid", ())], found[("hhb_last_day_instructions", ())]) == (2, 6)
    routes = {dict(labels).get("route") for (name, labels) in found if name == "hhb_http_request_duration_seconds_count"}
    assert {"/api/v1/households", "/api/v1/runs", "/p/{token}", "unmatched"} <= routes
    assert found[("hhb_http_requests_total", (("method", "POST"), ("route", "/api/v1/runs"), ("status", "200")))] == 1
    assert participant_link not in client.get("/metrics").text


def test_metrics_add_the_last_run_the_job_recorded_on_this_machine(app, client, tmp_path):
    record(tmp_path / "var", seconds=12.5, households_paid=3, instructions=17)
    found = samples(client)
    assert (found[("hhb_run_duration_seconds", ())], found[("hhb_run_households_paid", ())],
            found[("hhb_run_instructions", ())]) == (12.5, 3, 17)


@pytest.fixture
def json_logs(monkeypatch):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    monkeypatch.setenv("HHB_LOG_FORMAT", "json")
    yield
    root.handlers, _ = saved[0], root.setLevel(saved[1])


def test_with_json_logs_each_request_is_one_json_line_naming_its_route(json_logs, store_url, capsys):
    app = create_app(db_url=store_url)
    try:
        with TestClient(app) as client:
            client.get("/api/v1/households")
            client.get(f"/api/v1/households/{A}")
    finally:
        app.state.context.engine.close()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "huishoudboekje.http"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("GET", "/api/v1/households", 401), ("GET", "/api/v1/households/{dossier:path}", 401)]
    assert all(r["level"] == "info" and r["time"] and isinstance(r["ms"], float) for r in requests)
