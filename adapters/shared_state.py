"""What the server's processes share, kept in the store's own database.

`hhb serve --workers N`, or several servers behind a load balancer, must keep two
promises across processes: a write retried with the same `Idempotency-Key` happens
once, whichever process gets the retry, and failed sign-ins are counted together.
So that state lives beside the events: in the same PostgreSQL schema, or the same
SQLite file. Nothing here is a fact of the domain (those are events); it is
short-lived bookkeeping, each row with the moment it `expires`, after which it is
deleted.

Every table has the same shape: a key, its data, and `expires` (seconds since the
epoch, indexed). A further kind of shared state (the staff web app's sessions, when
there is one) is one more table of that shape, created and purged the same way.

Tables are created on first use (`CREATE TABLE IF NOT EXISTS`, on PostgreSQL under an
advisory lock, whose catalog would otherwise let two processes starting together collide). Concurrent writers are
kept apart by primary keys and `INSERT ... ON CONFLICT`, never by a lock in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import (Column, Float, Integer, LargeBinary, MetaData, Table, Text, case, create_engine, delete,
                        literal_column, select, text, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

METADATA = MetaData()
# A write's answer, by the credential that asked and the key it sent; status 0: still running.
Table("hhb_idempotency", METADATA,
      Column("credential", Text, primary_key=True), Column("idempotency_key", Text, primary_key=True),
      Column("fingerprint", Text, nullable=False), Column("status", Integer, nullable=False),
      Column("body", LargeBinary), Column("headers", Text),
      Column("expires", Float, nullable=False, index=True))
# Failed sign-ins in the current window of one subject: a client address or a credential's hash.
Table("hhb_failed_signins", METADATA,
      Column("subject", Text, primary_key=True), Column("failures", Integer, nullable=False),
      Column("expires", Float, nullable=False, index=True))
CREATE_LOCK = 7_311_025  # pg_advisory_xact_lock key: one process creates the tables at a time
RUNNING = 0  # the status of a claimed key whose answer is not there yet


@dataclass(frozen=True)
class Stored:
    """What an Idempotency-Key holds: the request it was first used for, and its answer
    (`status` RUNNING while that request is still being answered)."""

    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str]


class SharedState:
    """The shared tables of one database (SQLAlchemy Core, one small pool per process)."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        self.engine = engine
        metadata = MetaData()
        self.tables = {name: table.to_metadata(metadata, schema=schema) for name, table in METADATA.tables.items()}
        self.idempotency = self.tables["hhb_idempotency"]
        self.failed_signins = self.tables["hhb_failed_signins"]
        self.insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        create_tables(engine, metadata)

    def close(self) -> None:
        self.engine.dispose()

    # -- Idempotency-Key --------------------------------------------------------------

    def claim(self, credential: str, key: str, fingerprint: str, now: float, expires: float) -> Stored | None:
        """Mark the key as taken by this request, atomically, unless it is taken already:
        None if this request has it now, else what the key holds (another request may
        still be running). A claim or answer past its `expires` is gone."""
        table = self.idempotency
        slot = (table.c.credential == credential) & (table.c.idempotency_key == key)
        for _ in range(3):  # the holder may let go between our insert and our read
            with self.engine.begin() as conn:
                conn.execute(delete(table).where(slot & (table.c.expires <= now)))
                inserted = conn.execute(self.insert(table).values(
                    credential=credential, idempotency_key=key, fingerprint=fingerprint, status=RUNNING,
                    expires=expires).on_conflict_do_nothing().returning(table.c.status)).first()
                if inserted is not None:
                    return None
                row = conn.execute(select(table.c.fingerprint, table.c.status, table.c.body, table.c.headers)
                                   .where(slot)).first()
            if row is not None:
                return Stored(row.fingerprint, row.status, bytes(row.body or b""), json.loads(row.headers or "{}"))
        raise RuntimeError(f"Idempotency-Key {key!r}: could not be claimed")

    def keep(self, credential: str, key: str, status: int, body: bytes, headers: Mapping[str, str],
             expires: float) -> None:
        """The answer to a claimed key, for a retry to get again until `expires`."""
        table = self.idempotency
        with self.engine.begin() as conn:
            conn.execute(update(table).where((table.c.credential == credential) & (table.c.idempotency_key == key))
                         .values(status=status, body=body, headers=json.dumps(dict(headers)), expires=expires))

    def release(self, credential: str, key: str) -> None:
        """Let go of a claim that has no answer: a retry may try again."""
        table = self.idempotency
        with self.engine.begin() as conn:
            conn.execute(delete(table).where((table.c.credential == credential) & (table.c.idempotency_key == key)
                                             & (table.c.status == RUNNING)))

    # -- failed sign-ins --------------------------------------------------------------

    def count_failure(self, subjects: list[str], now: float, window: float) -> int:
        """Count one failure for each subject, in its current window (a new window starts
        with the first failure after the last one ended); the highest count among them."""
        table = self.failed_signins
        highest = 0
        with self.engine.begin() as conn:
            for subject in sorted(set(subjects)):  # one order in every process: no deadlock
                statement = self.insert(table).values(subject=subject, failures=1, expires=now + window)
                ended = table.c.expires <= now
                statement = statement.on_conflict_do_update(index_elements=[table.c.subject], set_={
                    "failures": case((ended, 1), else_=table.c.failures + 1),
                    "expires": case((ended, now + window), else_=table.c.expires),
                }).returning(table.c.failures)
                highest = max(highest, conn.execute(statement).scalar_one())
        return highest

    # -- housekeeping -----------------------------------------------------------------

    def purge(self, table_name: str, now: float) -> None:
        """Delete what has expired. On PostgreSQL rows another transaction holds are
        skipped, left for the next purge, so a purge never waits for or deadlocks with a
        request; should it fail all the same, that too is left for the next one."""
        table = self.tables[table_name]
        expired = table.c.expires <= now
        if self.engine.dialect.name == "postgresql":
            ctid = literal_column("ctid")
            expired = ctid.in_(select(ctid).select_from(table).where(expired).with_for_update(skip_locked=True))
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(table).where(expired))
        except DBAPIError:
            pass


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Tables beside the event store, created on first use by whichever process comes
    first: IF NOT EXISTS (SQLite's check-then-create would race), and on PostgreSQL under
    an advisory lock, whose catalog would otherwise let two processes collide."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_LOCK})
        for table in metadata.sorted_tables:
            conn.execute(CreateTable(table, if_not_exists=True))
            for index in table.indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))


def store_engine(env: Mapping[str, str]) -> tuple[Engine, str | None]:
    """An SQLAlchemy engine on the database of an event store's settings
    (`adapters.store.persistence_env`), and its PostgreSQL schema (None: the default)."""
    module = env.get("PERSISTENCE_MODULE") or ""
    if module in ("adapters.pgstore", "eventsourcing.postgres"):
        url = URL.create("postgresql+psycopg", username=env.get("POSTGRES_USER") or None,
                         password=env.get("POSTGRES_PASSWORD") or None, host=env.get("POSTGRES_HOST"),
                         port=int(env.get("POSTGRES_PORT") or 5432), database=env.get("POSTGRES_DBNAME"))
        schema = env.get("POSTGRES_SCHEMA") or None
        connect: dict[str, object] = {"connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT") or 10)}
        if schema:  # tables named without a schema are the store's schema's, as the events' are
            connect["options"] = f"-c search_path={schema}"
        engine = create_engine(url, pool_size=2, max_overflow=8, pool_pre_ping=True, connect_args=connect)
        return engine, schema
    path = env.get("SQLITE_DBNAME") or ""
    if module == "eventsourcing.sqlite" and path and path != ":memory:" and "mode=memory" not in path:
        timeout = float(env.get("SQLITE_LOCK_TIMEOUT") or 30)
        return create_engine(URL.create("sqlite", database=path), connect_args={"timeout": timeout}), None
    # an event store in memory (tests): the tables in memory, for this process only
    return create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}), None


def open_shared_state(env: Mapping[str, str]) -> SharedState:
    """The shared tables in the database of an event store's settings: its PostgreSQL
    schema, or its SQLite file."""
    return SharedState(*store_engine(env))
