"""Read-model tables, written in the same transaction as the library's tracking record.

The view classes extend the library's tracking recorders, so a batch of events and
the position it reached are committed together: a projection killed halfway resumes
from the last committed position and counts every event exactly once. The SQL is
written once, in the subset SQLite and PostgreSQL share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

TABLES = {
    "hhb_households": (
        "dossier TEXT PRIMARY KEY, household_id TEXT NOT NULL, team TEXT NOT NULL, status TEXT NOT NULL, "
        "version INTEGER NOT NULL, buffer_outstanding TEXT NOT NULL, arrears_count INTEGER NOT NULL, "
        "arrears_amount TEXT NOT NULL, account TEXT, state TEXT NOT NULL"
    ),
    "hhb_signals": (
        "signal_id TEXT PRIMARY KEY, dossier TEXT NOT NULL, team TEXT NOT NULL, rule TEXT NOT NULL, "
        "agreement TEXT, period TEXT NOT NULL, severity TEXT NOT NULL, severity_rank INTEGER NOT NULL, "
        "status TEXT NOT NULL, amount_cents BIGINT NOT NULL, raised_on TEXT NOT NULL, "
        "changed_on TEXT NOT NULL, details TEXT NOT NULL, history TEXT NOT NULL"
    ),
    "hhb_accounts": "account TEXT PRIMARY KEY, newest_value_date TEXT NOT NULL",
    "hhb_event_counts": "event_type TEXT PRIMARY KEY, event_count BIGINT NOT NULL",
}
KEYS = {"hhb_households": "dossier", "hhb_signals": "signal_id", "hhb_accounts": "account",
        "hhb_event_counts": "event_type"}
INDEXES = ("CREATE INDEX IF NOT EXISTS hhb_signals_team ON {t}hhb_signals (team, status, severity_rank)",
           "CREATE INDEX IF NOT EXISTS hhb_signals_dossier ON {t}hhb_signals (dossier)",
           "CREATE INDEX IF NOT EXISTS hhb_households_team ON {t}hhb_households (team)")


class ReadModel:
    """Everything the views need, independent of the database underneath."""

    prefix = ""  # schema qualification of table names
    params = "named"  # ':name' (SQLite) or '%(name)s' (psycopg)

    def view_statements(self) -> list[str]:
        tables = [f"CREATE TABLE IF NOT EXISTS {self.prefix}{name} ({columns})" for name, columns in TABLES.items()]
        return tables + [index.format(t=self.prefix) for index in INDEXES]

    def sql(self, text: str) -> str:
        text = text.replace("{t}", self.prefix)
        if self.params == "pyformat":
            text = re.sub(r"(?<!:):(\w+)", r"%(\1)s", text)
        return text

    # -- writing ------------------------------------------------------------------

    def apply(self, upserts: dict[str, list[dict[str, Any]]], counts: dict[str, int], tracking: Tracking) -> None:
        with self._transaction() as cursor:
            for table, rows in upserts.items():
                for row in rows:
                    self._upsert(cursor, table, row)
            for event_type, count in counts.items():
                cursor.execute(self.sql(
                    "INSERT INTO {t}hhb_event_counts (event_type, event_count) VALUES (:event_type, :n) "
                    "ON CONFLICT (event_type) DO UPDATE SET event_count = {t}hhb_event_counts.event_count + :n"
                ), {"event_type": event_type, "n": count})
            self._insert_tracking(cursor, tracking)  # same transaction: exactly once

    def _upsert(self, cursor: Any, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        values = ", ".join(f":{c}" for c in row)
        key = KEYS[table]
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != key)
        cursor.execute(self.sql(
            f"INSERT INTO {{t}}{table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {updates}"
        ), row)

    def reset(self, application_name: str) -> None:
        with self._transaction() as cursor:
            for table in TABLES:
                cursor.execute(self.sql(f"DELETE FROM {{t}}{table}"))
            cursor.execute(self.sql(f"DELETE FROM {self.tracking_table()} WHERE application_name = :name"),
                           {"name": application_name})

    # -- reading ------------------------------------------------------------------

    def rows(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._transaction(commit=False) as cursor:
            cursor.execute(self.sql(query), params or {})
            return [dict(row) for row in cursor.fetchall()]

    def row(self, query: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        found = self.rows(query, params)
        return found[0] if found else None

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table, ordered: rebuilt and live projections must compare equal."""
        return {table: self.rows(f"SELECT * FROM {{t}}{table} ORDER BY {KEYS[table]}") for table in TABLES}

    # -- per database ---------------------------------------------------------------

    def tracking_table(self) -> str:
        raise NotImplementedError

    @contextmanager
    def _transaction(self, commit: bool = True) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:  # type: ignore[attr-defined]
            yield cursor


class SQLiteReadModel(ReadModel, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + self.view_statements()

    def tracking_table(self) -> str:
        return "tracking"


class PostgresReadModel(ReadModel, PostgresTrackingRecorder):
    params = "pyformat"

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.prefix = f"{datastore.schema}." if datastore.schema else ""
        from psycopg.sql import SQL

        self.sql_create_statements.extend(SQL(statement) for statement in self.view_statements())

    def tracking_table(self) -> str:
        return f"{self.prefix}{self.tracking_table_name}"


def read_model_class(persistence_module: str) -> type:
    return PostgresReadModel if persistence_module == "eventsourcing.postgres" else SQLiteReadModel


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
