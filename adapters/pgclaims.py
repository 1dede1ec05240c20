"""The nightly job's chunks, claimed in PostgreSQL (huishoudboekje/workers.py).

Two tables next to the events: `hhb_run_windows` (a catch-up window and its number of
chunks) and `hhb_run_claims` (one row per chunk: done or not, and what its worker
found). A worker claims a chunk by locking its row (`FOR UPDATE SKIP LOCKED`) in a
transaction that stays open while it pays the chunk's households, on a connection of
its own, and marks it done in that same transaction. A worker that dies (killed, its
machine gone) loses its connection; PostgreSQL then rolls its transaction back and the
row is free again, not done: no lease to wait out, no coordinator. (A machine that
vanishes without closing its connection holds its chunk until the server's TCP
keepalive, `tcp_keepalives_idle`, notices.)

Filing takes the window's row (`FOR UPDATE`, waiting): one worker at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from huishoudboekje.engine import Engine
from huishoudboekje.workers import ChunkResult

CREATE_LOCK = 0x4848425255  # an advisory lock: CREATE TABLE IF NOT EXISTS is not safe to race


def postgres_claims(engine: Engine) -> PostgresClaims | None:
    """Claims for a PostgreSQL store; None for any other (SQLite: one writer at a time)."""
    from eventsourcing.postgres import PostgresDatastore

    datastore = getattr(engine.recorder, "datastore", None)
    return PostgresClaims(engine, datastore) if isinstance(datastore, PostgresDatastore) else None


class _Claim:
    def __init__(self, claims: PostgresClaims, window: str, chunk: int) -> None:
        self.claims, self.window, self.chunk = claims, window, chunk
        self.finished = False

    def done(self, result: ChunkResult) -> None:
        encoded = self.claims.transcoder.encode([[list(p) for p in result.pending], result.paid, result.instructions])
        self.claims.conn.execute(sql.SQL("UPDATE {} SET done = true, result = %s WHERE run_window = %s AND chunk = %s")
                                 .format(self.claims.claims_table), (encoded, self.window, self.chunk))
        self.finished = True


class PostgresClaims:
    def __init__(self, engine: Engine, datastore: Any) -> None:
        kwargs = {k: v for k, v in datastore.pool.kwargs.items() if k != "row_factory"}
        self.conn = psycopg.connect(**kwargs, autocommit=True)
        for setting in ("idle_in_transaction_session_timeout", "lock_timeout", "statement_timeout"):
            self.conn.execute(f"SET {setting} = 0")  # a chunk may take minutes, and a wait for one as long
        self.transcoder = engine.mapper.transcoder
        self.windows_table = sql.Identifier(datastore.schema, "hhb_run_windows")
        self.claims_table = sql.Identifier(datastore.schema, "hhb_run_claims")
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK,))
            self.conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (run_window text PRIMARY KEY, "
                                      "chunks integer NOT NULL)").format(self.windows_table))
            self.conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (run_window text NOT NULL, "
                                      "chunk integer NOT NULL, done boolean NOT NULL DEFAULT false, result bytea, "
                                      "PRIMARY KEY (run_window, chunk))").format(self.claims_table))

    def close(self) -> None:
        self.conn.close()

    def chunks(self, window: str, proposed: int) -> int:
        with self.conn.transaction():
            # Windows ending before this one began are completed (the job runs them in order).
            for table in (self.claims_table, self.windows_table):
                self.conn.execute(sql.SQL("DELETE FROM {} WHERE split_part(run_window, '..', 2) < %s").format(table),
                                  (window.split("..")[0],))
            self.conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT DO NOTHING")
                              .format(self.windows_table), (window, proposed))
            row = self.conn.execute(sql.SQL("SELECT chunks FROM {} WHERE run_window = %s")
                                    .format(self.windows_table), (window,)).fetchone()
            assert row is not None
            self.conn.execute(sql.SQL("INSERT INTO {} (run_window, chunk) SELECT %s, generate_series(0, %s - 1) "
                                      "ON CONFLICT DO NOTHING").format(self.claims_table), (window, row[0]))
        return int(row[0])

    def claims(self, window: str) -> Iterator[_Claim]:
        take = sql.SQL("SELECT chunk FROM {} WHERE run_window = %s AND NOT done ORDER BY chunk LIMIT 1 FOR UPDATE"
                       ).format(self.claims_table)
        while True:
            with self.conn.transaction():
                row = (self.conn.execute(sql.Composed([take, sql.SQL(" SKIP LOCKED")]), (window,)).fetchone()
                       # none free: wait for a chunk another worker holds; it is ours if that worker died
                       or self.conn.execute(take, (window,)).fetchone())
                if row is None:
                    return
                claim = _Claim(self, window, row[0])
                yield claim
                if not claim.finished:
                    raise RuntimeError(f"chunk {row[0]} of {window} was claimed but not finished")

    @contextmanager
    def filing(self, window: str) -> Iterator[list[ChunkResult]]:
        with self.conn.transaction():
            self.conn.execute(sql.SQL("SELECT 1 FROM {} WHERE run_window = %s FOR UPDATE")
                              .format(self.windows_table), (window,))
            rows = self.conn.execute(sql.SQL("SELECT result FROM {} WHERE run_window = %s AND done ORDER BY chunk")
                                     .format(self.claims_table), (window,)).fetchall()
            results = []
            for (encoded,) in rows:
                pending, paid, instructions = self.transcoder.decode(bytes(encoded))
                results.append(ChunkResult(pending=[(day, account, list(found)) for day, account, found in pending],
                                           paid=list(paid), instructions=int(instructions)))
            yield results

    def forget(self, window: str) -> None:
        with self.conn.transaction():
            for table in (self.claims_table, self.windows_table):
                self.conn.execute(sql.SQL("DELETE FROM {} WHERE run_window = %s").format(table), (window,))
