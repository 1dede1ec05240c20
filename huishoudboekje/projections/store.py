"""Read-model tables, written in the same transaction as the library's tracking record.

The view classes extend the library's tracking recorders, so a batch of events and
the position it reached are committed together: a projection killed halfway resumes
from the last committed position and counts every event exactly once. The tables are
declared once with SQLAlchemy and compiled for each database; the few queries are
written in the SQL that SQLite and PostgreSQL share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

METADATA = MetaData()
# The read-model tables, declared once with SQLAlchemy and compiled for each database.
Table("hhb_households", METADATA,
      Column("dossier", Text, primary_key=True), Column("household_id", Text, nullable=False, index=True),
      Column("team", Text, nullable=False, index=True), Column("status", Text, nullable=False),
      Column("version", Integer, nullable=False), Column("buffer_outstanding", Text, nullable=False),
      Column("arrears_count", Integer, nullable=False), Column("arrears_amount", Text, nullable=False),
      Column("account", Text), Column("state", Text, nullable=False))
Table("hhb_signals", METADATA,
      Column("signal_id", Text, primary_key=True), Column("dossier", Text, nullable=False, index=True),
      Column("team", Text, nullable=False), Column("rule", Text, nullable=False), Column("agreement", Text),
      Column("period", Text, nullable=False), Column("severity", Text, nullable=False),
      Column("severity_rank", Integer, nullable=False), Column("status", Text, nullable=False),
      Column("amount_cents", BigInteger, nullable=False), Column("raised_on", Text, nullable=False),
      Column("changed_on", Text, nullable=False), Column("details", Text, nullable=False),
      Column("history", Text, nullable=False),
      Index("hhb_signals_team", "team", "status", "severity_rank"))
Table("hhb_accounts", METADATA,
      Column("account", Text, primary_key=True), Column("newest_value_date", Text, nullable=False))
# How far the nightly job has filed every payment (`Run.DayCompleted`): one row, "run".
Table("hhb_runs", METADATA,
      Column("run", Text, primary_key=True), Column("completed_through", Text, nullable=False))
# Payment files and their review (`domain/payment_files.py`): one row a file.
Table("hhb_payment_files", METADATA,
      Column("name", Text, primary_key=True), Column("file_day", Text), Column("state", Text, nullable=False),
      Column("debtor_account", Text, nullable=False), Column("payments", Integer, nullable=False),
      Column("control_sum", Text, nullable=False), Column("sha256", Text, nullable=False),
      Column("message_id", Text, nullable=False), Column("pain_version", Text, nullable=False),
      Column("first_execution", Text), Column("changed_by", Text), Column("changed_on", Text),
      Column("reason", Text),
      Index("hhb_payment_files_state", "state"))
# The payments of files not (yet) released: not sent, whatever their date says.
Table("hhb_unreleased", METADATA,
      Column("instruction_id", Text, primary_key=True), Column("file", Text, nullable=False, index=True))
# What a household is known by besides its dossier (participant IBANs, creditor
# references and IBANs), to see one used by two households.
Table("hhb_household_keys", METADATA,
      Column("row_key", Text, primary_key=True), Column("kind", Text, nullable=False),
      Column("key_value", Text, nullable=False), Column("dossier", Text, nullable=False, index=True),
      Index("hhb_household_keys_value", "kind", "key_value"))
Table("hhb_event_counts", METADATA,
      Column("event_type", Text, primary_key=True), Column("event_count", BigInteger, nullable=False))
TABLES = list(METADATA.tables)
POSITION_LOCK = 7_311_026  # pg_advisory_xact_lock key: one batch moves the read models' position at a time
KEYS = {name: table.primary_key.columns.keys()[0] for name, table in METADATA.tables.items()}
KEYS["hhb_projection_runners"] = "runner"
# Not a read model (a rebuild neither empties nor compares it): the heartbeat of each
# `hhb projections run --follow`, one row a runner, so others know one is keeping up.
RUNNER_METADATA = MetaData()
Table("hhb_projection_runners", RUNNER_METADATA,
      Column("runner", Text, primary_key=True), Column("started_at", Text, nullable=False),
      Column("heartbeat_at", Text, nullable=False), Column("position", BigInteger, nullable=False))


def ddl(dialect: Dialect, schema: str | None) -> list[str]:
    """CREATE TABLE / INDEX statements for one database, idempotent."""
    statements = []
    for table in METADATA.sorted_tables + RUNNER_METADATA.sorted_tables:
        target = table.to_metadata(MetaData(), schema=schema) if schema else table
        statements.append(str(CreateTable(target, if_not_exists=True).compile(dialect=dialect)).strip())
        for index in sorted(target.indexes, key=lambda i: i.name or ""):
            statements.append(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)).strip())
    return statements


class ReadModel:
    """Everything the views need, independent of the database underneath."""

    prefix = ""  # schema qualification of table names
    params = "named"  # ':name' (SQLite) or '%(name)s' (psycopg)

    def view_statements(self) -> list[str]:
        raise NotImplementedError

    def sql(self, text: str) -> str:
        text = text.replace("{t}", self.prefix)
        if self.params == "pyformat":
            text = re.sub(r"(?<!:):(\w+)", r"%(\1)s", text)
        return text

    # -- writing ------------------------------------------------------------------

    def apply(self, upserts: dict[str, list[dict[str, Any]]], counts: dict[str, int], tracking: Tracking,
              deletes: list[tuple[str, str, str]] = (), after: int | None = None) -> None:
        """`deletes`: (table, column, value) — rows that go before the upserts are written.
        `after`: the position this batch was read from; when another process has moved the
        position meanwhile, nothing is written (IntegrityError), so no event is counted twice
        and no household's row is overwritten by an older version of it.

        On PostgreSQL the position is locked first, before any row is written: two
        processes projecting overlapping batches (two imports at once) would otherwise
        upsert the same households in different orders and deadlock."""
        with self._transaction() as cursor:
            self._lock_position(cursor)
            for table, column, value in deletes:
                cursor.execute(self.sql(f"DELETE FROM {{t}}{table} WHERE {column} = :value"), {"value": value})
            for table, rows in upserts.items():
                self._upsert_many(cursor, table, rows)
            for event_type, count in counts.items():
                cursor.execute(self.sql(
                    "INSERT INTO {t}hhb_event_counts (event_type, event_count) VALUES (:event_type, :n) "
                    "ON CONFLICT (event_type) DO UPDATE SET event_count = {t}hhb_event_counts.event_count + :n"
                ), {"event_type": event_type, "n": count})
            if after is not None:
                self._still_at(cursor, tracking.application_name, after)
            self._insert_tracking(cursor, tracking)  # same transaction: exactly once

    def _still_at(self, cursor: Any, name: str, after: int) -> None:
        """The position is still where this batch began (checked after the batch's writes:
        SQLite holds its one writer's lock by then, PostgreSQL the lock `apply` took first)."""
        cursor.execute(self.sql(f"SELECT max(notification_id) AS position FROM {self.tracking_table()} "
                                "WHERE application_name = :name"), {"name": name})
        row = cursor.fetchone()
        position = (row["position"] if isinstance(row, dict) else row[0]) if row else None
        if (position or 0) != after:
            raise IntegrityError(f"the read models moved from {after} to {position} meanwhile")

    def _lock_position(self, cursor: Any) -> None:
        """SQLite: one writer at a time already."""

    def write(self, upserts: dict[str, list[dict[str, Any]]], deletes: list[tuple[str, str, str]] = ()) -> None:
        """Rows that follow from what is projected already, without moving the position
        (tables a later version added, filled once: `Projections._fill_new_tables`; an
        erased household's rows, written anew). `deletes` go first, as in `apply`, after
        the same lock."""
        with self._transaction() as cursor:
            self._lock_position(cursor)
            for table, column, value in deletes:
                cursor.execute(self.sql(f"DELETE FROM {{t}}{table} WHERE {column} = :value"), {"value": value})
            for table, rows in upserts.items():
                self._upsert_many(cursor, table, rows)

    def write_newer(self, households: list[dict[str, Any]], signals: list[dict[str, Any]]) -> int:
        """Household rows (with their signal rows) where the row written so far holds an
        older version of the household, or there is none; the others are left as they are.
        Under the position lock, as `apply` writes: the nightly job writes the households
        it just saved, so the catch-up after it finds them current (`versions`)."""
        if not households:
            return 0
        self._household_index()
        with self._transaction() as cursor:
            self._lock_position(cursor)
            held = self._versions(cursor, [row["household_id"] for row in households])
            newer = [row for row in households if held.get(row["household_id"], -1) < row["version"]]
            dossiers = {row["dossier"] for row in newer}
            self._upsert_many(cursor, "hhb_households", newer)
            self._upsert_many(cursor, "hhb_signals", [row for row in signals if row["dossier"] in dossiers])
        return len(newer)

    def versions(self, household_ids: list[str]) -> dict[str, int]:
        """The version of each household its row holds (none: not in the read model)."""
        if not household_ids:
            return {}
        self._household_index()
        with self._transaction(commit=False) as cursor:
            return self._versions(cursor, household_ids)

    def _versions(self, cursor: Any, household_ids: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(household_ids), 500):
            part = household_ids[start:start + 500]
            names = ", ".join(f":h{n}" for n in range(len(part)))
            cursor.execute(self.sql(f"SELECT household_id, version FROM {{t}}hhb_households "
                                    f"WHERE household_id IN ({names})"), {f"h{n}": v for n, v in enumerate(part)})
            for row in cursor.fetchall():
                ident, version = (row["household_id"], row["version"]) if isinstance(row, dict) else (row[0], row[1])
                found[ident] = version
        return found

    def _household_index(self) -> None:
        """A read model made before the households' rows were looked up by id gets the
        index on first use (on PostgreSQL the library does not create tables again)."""
        self._create_once("_household_index_made", lambda s: "INDEX" in s and "household_id" in s)

    def _upsert(self, cursor: Any, table: str, row: dict[str, Any]) -> None:
        cursor.execute(self._upsert_sql(table, list(row)), row)

    def _upsert_many(self, cursor: Any, table: str, rows: list[dict[str, Any]]) -> None:
        """One statement for many rows (psycopg sends them in one pipeline): a night's
        thousands of rows a batch were a round trip each."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(row), []).append(row)
        for columns, same in by_columns.items():
            cursor.executemany(self._upsert_sql(table, list(columns)), same)

    def _upsert_sql(self, table: str, columns: list[str]) -> str:
        key = KEYS[table]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        return self.sql(f"INSERT INTO {{t}}{table} ({', '.join(columns)}) VALUES ({', '.join(f':{c}' for c in columns)}) "
                        f"ON CONFLICT ({key}) DO UPDATE SET {updates}")

    def beat(self, runner: str, started_at: str, heartbeat_at: str, position: int) -> None:
        """A runner's heartbeat: it is alive and has projected through `position`."""
        self._runner_table()
        with self._transaction() as cursor:
            self._upsert(cursor, "hhb_projection_runners",
                         {"runner": runner, "started_at": started_at, "heartbeat_at": heartbeat_at,
                          "position": position})

    def forget_runners(self, before: str) -> None:
        """Forget runners silent since before `before` (each start of a runner adds a row)."""
        self._runner_table()
        with self._transaction() as cursor:
            cursor.execute(self.sql("DELETE FROM {t}hhb_projection_runners WHERE heartbeat_at < :before"),
                           {"before": before})

    def last_beat(self) -> dict[str, Any] | None:
        """The most recent heartbeat of any runner (ISO timestamps in UTC sort as text)."""
        self._runner_table()
        return self.row("SELECT * FROM {t}hhb_projection_runners ORDER BY heartbeat_at DESC, runner LIMIT 1")

    def _runner_table(self) -> None:
        """A store made before runners had heartbeats gets their table on first use
        (on PostgreSQL the library's tables are not created again once they exist)."""
        self._create_once("_runner_table_made", lambda s: "hhb_projection_runners" in s)

    def _create_once(self, made: str, wanted: Callable[[str], bool]) -> None:
        """Run the `wanted` statements of `view_statements` (idempotent), once a process."""
        if getattr(self, made, False):
            return
        for attempt in (1, 2):  # two processes creating it at once: the second's may fail
            try:
                with self._transaction() as cursor:
                    for statement in self.view_statements():
                        if wanted(statement):
                            cursor.execute(statement)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        setattr(self, made, True)

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

    def view_statements(self) -> list[str]:
        return ddl(sqlite.dialect(), None)

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

    def _lock_position(self, cursor: Any) -> None:
        # Two transactions that both read the old position would otherwise both commit.
        cursor.execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": POSITION_LOCK})

    def view_statements(self) -> list[str]:
        return ddl(postgresql.dialect(), self.datastore.schema or None)  # type: ignore[attr-defined]


def read_model_class(persistence_module: str) -> type:
    postgres = persistence_module in ("eventsourcing.postgres", "adapters.pgstore")
    return PostgresReadModel if postgres else SQLiteReadModel
