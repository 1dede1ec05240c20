"""Fixtures: every store test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from adapters.store import open_engine

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples" / "huishoudboekje-vng"
POSTGRES_URL = os.environ.get("HHB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("HHB_TEST_REQUIRE_POSTGRES") == "1"


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means: no server here
        return str(exc)


_PG_PROBLEM = _postgres_available()


@pytest.fixture(autouse=True)
def own_var_dir(monkeypatch, tmp_path):
    """Every test writes payment files and the like under its own tmp_path, never into
    the checkout's ./var (a test that ran the job there left pain.001 files behind)."""
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


TEAMS = ("Wijkteam Noord", "Wijkteam Zuid", "Wijkteam Oost", "Wijkteam West")  # the teams tests name


def register_teams(url: str, tmp_path: Path, names: tuple[str, ...] = TEAMS) -> None:
    """Register the teams tests name, as staff do before onboarding (`hhb teams add`)."""
    from huishoudboekje import teams

    engine = open_engine(url, tmp_path / "var")
    try:
        for name in names:
            teams.add(engine, name, "test")
    finally:
        engine.close()


@contextmanager
def empty_store(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database URL where nothing has been written yet: a SQLite file, or a PostgreSQL
    schema of its own, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite'}"
        return
    if _PG_PROBLEM:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here but not reachable: {_PG_PROBLEM}")
        pytest.skip(f"no PostgreSQL server: {_PG_PROBLEM}")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A database URL for a new event store, with the teams tests name registered."""
    with empty_store(request.param, tmp_path) as url:
        register_teams(url, tmp_path)
        yield url


@pytest.fixture
def engine(store_url, tmp_path):
    app = open_engine(store_url, tmp_path / "var")
    yield app
    app.close()


@pytest.fixture
def example_doc() -> Path:
    return ROOT / "examples" / "HHB-2026-0001.yaml"


@pytest.fixture
def personas() -> list[Path]:
    return sorted((ROOT / "personas").glob("*.yaml"))


def pytest_collection_modifyitems(config, items):
    """A CI run that skips the PostgreSQL tests must fail, not pass quietly."""
    if REQUIRE_POSTGRES and _PG_PROBLEM:
        raise pytest.UsageError(f"HHB_TEST_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable: {_PG_PROBLEM}")
