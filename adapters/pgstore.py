"""Writing events to PostgreSQL in statements of bounded size, outside pipeline mode.

The library's recorder sends all events of one save as a single parameter (an array of
rows) inside a psycopg pipeline. Once that one message outgrows what the kernel's socket
buffers take in one go (about 4-6 MB here: 20,000 events of 300 bytes, or one row of
5 MB), the pipeline's sync stops writing before the message is complete and waits for
an answer the server cannot give, since it is still waiting for the rest of the message:
client and server wait on each other for ever, with the events table locked, so every
other writer waits too. `bench/pg_pipeline_hang.py` shows it with psycopg alone,
deterministically, with the C and the Python implementation.

Outside pipeline mode psycopg writes a query until it is sent entirely before it reads,
so the deadlock cannot happen; and no statement carries more than `MAX_ROWS` events or
about `MAX_BYTES`, so no message grows with the size of an import either. The events
of one save still go in one transaction, behind the library's table lock, so their
notification ids stay contiguous and commit in order.

A write that cannot finish fails within a bounded time: `statement_timeout` (the
setting HHB_DB_WRITE_TIMEOUT) bounds each statement, `lock_timeout` bounds the wait for
the table lock held by another writer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import eventsourcing.postgres as library
import psycopg
from eventsourcing.persistence import OperationalError, StoredEvent
from psycopg.sql import SQL

MAX_ROWS = 1000
MAX_BYTES = 1 << 20
WRITE_TIMEOUT = "POSTGRES_WRITE_TIMEOUT"  # seconds; from HHB_DB_WRITE_TIMEOUT (see adapters.store)


class WriteTimeout(OperationalError):
    """The database did not finish a write within the configured time."""


def batches(stored_events: Sequence[StoredEvent]) -> Iterator[Sequence[StoredEvent]]:
    """Consecutive runs of events of at most MAX_ROWS events and about MAX_BYTES."""
    start, size = 0, 0
    for index, stored in enumerate(stored_events):
        if index > start and (index - start >= MAX_ROWS or size + len(stored.state) > MAX_BYTES):
            yield stored_events[start:index]
            start, size = index, 0
        size += len(stored.state) + 64
    if start < len(stored_events):
        yield stored_events[start:]


class BoundedPostgresApplicationRecorder(library.PostgresApplicationRecorder):
    write_timeout_seconds = 120

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        timeout = SQL("SET LOCAL statement_timeout = {0}").format(int(self.write_timeout_seconds * 1000))
        notification_ids: list[int] = []
        try:
            with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
                curs.execute(timeout)
                self._insert_events(curs, stored_events, **kwargs)  # a process recorder's tracking
                self._lock_table(curs)
                self._notify_channel(curs)
                for batch in batches(stored_events):
                    rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                            for e in batch]
                    curs.execute(self.insert_events_statement, (rows,))
                    notification_ids.extend(row["notification_id"] for row in curs.fetchall())
        except OperationalError as exc:
            cause = exc.__cause__
            if isinstance(cause, psycopg.errors.LockNotAvailable):
                raise WriteTimeout(
                    f"the database: another writer held the events table for more than "
                    f"{self.datastore.lock_timeout} s; nothing of this command was written, run it again") from None
            if isinstance(cause, psycopg.errors.QueryCanceled):
                raise WriteTimeout(
                    f"the database did not finish writing within {self.write_timeout_seconds} s; "
                    "nothing of this command was written, run it again") from None
            raise
        return notification_ids


class Factory(library.PostgresFactory):
    """The library's PostgreSQL persistence, with events written by the recorder above."""

    application_recorder_class = BoundedPostgresApplicationRecorder

    def application_recorder(self) -> library.PostgresApplicationRecorder:
        recorder = super().application_recorder()
        if isinstance(recorder, BoundedPostgresApplicationRecorder):
            recorder.write_timeout_seconds = int(self.env.get(WRITE_TIMEOUT) or 120)
        return recorder
