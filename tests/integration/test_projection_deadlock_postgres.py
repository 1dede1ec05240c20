"""Two processes projecting at once on PostgreSQL do not deadlock (CI found one).

Two `hhb import` runs of the same statement each catch the read models up. Their batches
overlap but start at different events, so each upserted the same households' rows in
another order: each held a row the other wanted, and PostgreSQL aborted one import with
"deadlock detected". A batch now takes the read models' position lock before it writes
any row, so the second waits for the first and then finds the position moved.

The test plays the other process itself, on a connection of its own: it holds the lock
and one household's row, lets the read model start a batch of two rows, and writes the
other row once the batch waits. Before the fix the batch held that row by then.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import Tracking

from adapters.store import open_engine
from huishoudboekje.projections.store import POSITION_LOCK
from huishoudboekje.projections.views import Projections
from tests.conftest import POSTGRES_URL, empty_store
from tests.projections_runner import wait_for

pytestmark = pytest.mark.postgres


def _row(dossier: str, status: str) -> dict[str, Any]:
    return {"dossier": dossier, "household_id": dossier, "team": "Wijkteam Noord", "status": status, "version": 1,
            "buffer_outstanding": "0.00", "arrears_count": 0, "arrears_amount": "0.00", "account": "", "state": "{}"}


def _upsert(conn: psycopg.Connection, table: str, row: dict[str, Any]) -> None:
    conn.execute(f"INSERT INTO {table} (dossier, household_id, team, status, version, buffer_outstanding,"
                 " arrears_count, arrears_amount, account, state) VALUES (%(dossier)s, %(household_id)s, %(team)s,"
                 " %(status)s, %(version)s, %(buffer_outstanding)s, %(arrears_count)s, %(arrears_amount)s,"
                 " %(account)s, %(state)s) ON CONFLICT (dossier) DO UPDATE SET status = excluded.status", row)


def test_two_batches_writing_the_same_households_in_another_order_do_not_deadlock(tmp_path):
    with empty_store("postgres", tmp_path) as url:
        engine = open_engine(url, tmp_path / "var")
        try:
            model = Projections(engine).view
            table = f"{model.prefix}hhb_households"
            failures: list[BaseException] = []

            def batch() -> None:  # the other import's batch: first one, then two
                try:
                    model.apply({"hhb_households": [_row("one", "batch"), _row("two", "batch")]}, {},
                                Tracking(engine.name, 1), after=0)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    failures.append(exc)

            with psycopg.connect(POSTGRES_URL) as other:
                me = other.execute("SELECT pg_backend_pid()").fetchone()[0]
                other.execute("SELECT pg_advisory_xact_lock(%s)", (POSITION_LOCK,))
                _upsert(other, table, _row("two", "other"))
                writer = threading.Thread(target=batch)
                writer.start()
                with psycopg.connect(POSTGRES_URL, autocommit=True) as watch:
                    wait_for("the batch waits for this connection", lambda: watch.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (me,)).fetchone())
                _upsert(other, table, _row("one", "other"))  # before the fix: "deadlock detected"
                other.commit()
            writer.join()
            assert failures == []
            rows = model.rows("SELECT dossier, status FROM {t}hhb_households ORDER BY dossier")
            assert rows == [{"dossier": "one", "status": "batch"}, {"dossier": "two", "status": "batch"}]
            assert model.rows("SELECT max(notification_id) AS position FROM " + model.tracking_table()) == [
                {"position": 1}]
        finally:
            engine.close()
