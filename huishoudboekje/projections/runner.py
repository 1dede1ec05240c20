"""Keeping the read models current as a service: `hhb projections run --follow`.

The runner projects what is new, writes a heartbeat (how far it got, and when), and
waits for the next event. On PostgreSQL it waits through the event store's own
subscription mechanism: the library's recorder sends `NOTIFY` on its channel in every
transaction that stores events, and the runner `LISTEN`s on that channel, so it wakes
as soon as an event is committed (and at least every heartbeat, in case a
notification was lost while it reconnected). On SQLite there is no such channel: it
polls. When the database goes away (a restart, a failover) the runner says so once a
try, waits a little longer each time and carries on from the position it committed
last: every batch is written together with its position, so nothing is projected
twice and nothing is skipped.

Others (the API, `hhb projections status`) read the heartbeat: a runner whose last
beat is recent is taken as running, and the API then leaves catching up to it.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.persistence import PersistenceError

from .views import BATCH, Projections

Wait = Callable[[float], None]
FORGET_AFTER = timedelta(days=7)  # a runner silent this long is forgotten when another starts


def now() -> datetime:
    return datetime.now(UTC)


def runner_status(projections: Projections, within: float, at: datetime | None = None) -> dict[str, Any] | None:
    """The most recent runner's heartbeat: who, when, how far, and whether it counts as
    running (a beat within `within` seconds); None if no runner ever ran on this store."""
    beat = projections.view.last_beat()
    if beat is None:
        return None
    seconds = ((at or now()) - datetime.fromisoformat(beat["heartbeat_at"])).total_seconds()
    return {"runner": beat["runner"], "started_at": beat["started_at"], "heartbeat_at": beat["heartbeat_at"],
            "seconds_since_heartbeat": max(0, int(seconds)), "position": beat["position"],
            "running": seconds <= within}


@dataclass
class Runner:
    """`run()` until `stop` is set: catch up, beat, wait for news; reconnect on failure."""

    projections: Projections
    heartbeat: float = 5.0  # seconds between heartbeats at most (and between polls on PostgreSQL)
    poll: float = 1.0  # seconds between polls where the store has no notifications (SQLite)
    batch: int = BATCH
    retry_max: float = 30.0  # the longest wait between attempts to reach the database
    log: Callable[[str], None] = print
    stop: threading.Event = field(default_factory=threading.Event)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def __post_init__(self) -> None:
        self.started_at = now().isoformat()
        self._beaten_at: datetime | None = None
        self._beaten_position: int | None = None

    def run(self) -> None:
        delay = 0.5
        while not self.stop.is_set():
            try:
                with self._wakeups() as wait:
                    if delay > 0.5:
                        self.log("projections: the database answers again; carrying on")
                    delay = 0.5
                    self.projections.view.forget_runners((now() - FORGET_AFTER).isoformat())
                    while not self.stop.is_set():
                        self.projections.catch_up(self.batch, self._progress)
                        self._beat(self.projections.status().position)
                        wait(self.heartbeat)
            except PersistenceError as exc:
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self.log(f"projections: the database cannot be reached ({reason}); trying again in {delay:g} s")
                self.stop.wait(delay)
                delay = min(delay * 2, self.retry_max)

    def _progress(self, position: int, newest: int) -> None:
        """During a long catch-up: beat now and then, so nobody takes the runner for dead."""
        if self._beaten_at is None or (now() - self._beaten_at).total_seconds() >= self.heartbeat:
            self._beat(position)

    def _beat(self, position: int) -> None:
        """A heartbeat when the position moved or the last one is getting old (not on every
        poll: on SQLite each beat is a write that takes the store's one write lock)."""
        at = now()
        if position == self._beaten_position and self._beaten_at is not None and \
                (at - self._beaten_at).total_seconds() < self.heartbeat:
            return
        self.projections.view.beat(self.name, self.started_at, at.isoformat(), position)
        self._beaten_at, self._beaten_position = at, position

    @contextmanager
    def _wakeups(self) -> Iterator[Wait]:
        """A function that waits at most so many seconds for new events: on PostgreSQL
        until the store's NOTIFY arrives, elsewhere a plain poll."""
        recorder = self.projections.engine.recorder
        channel = getattr(recorder, "channel_name", None)
        datastore = getattr(recorder, "datastore", None)
        if channel is None or not hasattr(datastore, "pool"):
            # a cheap query first, so an unreachable store is reported as such
            self.projections.status()
            yield lambda seconds: self.stop.wait(min(seconds, self.poll))  # type: ignore[func-returns-value]
            return
        from psycopg.sql import SQL, Identifier

        with datastore.get_connection() as conn:  # type: ignore[union-attr]
            conn.execute(SQL("LISTEN {0}").format(Identifier(channel)))

            def wait(seconds: float) -> None:
                for _ in conn.notifies(timeout=seconds, stop_after=1):
                    pass

            try:
                yield wait
            finally:
                with suppress(Exception):  # a broken connection is discarded by the pool anyway
                    conn.execute("UNLISTEN *")
