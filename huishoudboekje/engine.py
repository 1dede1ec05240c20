"""The event-sourced application: loads aggregates, calls one domain method, saves.

No business rule lives here. What lives here is what the library needs to store our
events (transcodings, snapshots), the index of households, and retrying a command
when another process wrote to the same aggregate in between (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import (AggregateNotFoundError, Application, EventSourcedLog, ProcessingEvent,
                                       Repository)
from eventsourcing.domain import DomainEvent, Snapshot
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from . import personal_data, transcodings
from .domain.access import Credential
from .domain.controls import Controls
from .domain.directory import (CHANGES_INCOMES, DIRECTORY_ID, SHARD_IDS, Directory, IncomeDirectory, entry_of,
                               shard_of, split)
from .domain.household import NAMESPACE, Household, NotFound, household_id
from .domain.run import Run
from .retry import retrying

T = TypeVar("T")
RETRIES = 5
SNAPSHOTS_KEPT_EVERY = 100  # versions: see `Engine._drop_older_snapshots`


def _sql_table(recorder: Any) -> tuple[str, bool] | None:
    """The table behind a SQLite or PostgreSQL recorder with UUID ids, and whether it is
    PostgreSQL; None for any other store."""
    from eventsourcing.postgres import PostgresAggregateRecorder
    from eventsourcing.sqlite import SQLiteAggregateRecorder

    postgres = isinstance(recorder, PostgresAggregateRecorder)
    if not (postgres or isinstance(recorder, SQLiteAggregateRecorder)) or \
            getattr(recorder.datastore, "originator_id_type", "uuid") != "uuid":
        return None
    if postgres:
        return f'"{recorder.datastore.schema}"."{recorder.events_table_name}"', True
    return recorder.events_table_name, False


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector without its per-event check against a runtime protocol.

    `isinstance(event, CanMutateProtocol)` inspects every attribute of the protocol on
    each call: 15 µs an event, a tenth of loading a household. Every event we store has
    `mutate`, and one that had not would fail here just as clearly.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _Repository(Repository[UUID]):
    def get(self, aggregate_id: UUID, **kwargs: Any) -> Any:
        kwargs.setdefault("projector_func", _project)
        return super().get(aggregate_id, **kwargs)


class HouseholdLogged(DomainEvent):
    household_id: UUID
    dossier: str


class Engine(Application[UUID]):
    name = "huishoudboekje"
    # Households are loaded every night: a short tail of events after a snapshot halves
    # the load time (measured: 1.48 ms at 40, 0.82 ms at 10, 12 months of history).
    # Ledgers are not snapshotted: a month's snapshot would hold the whole month (see
    # `Ledger`); their events are of bounded size instead.
    snapshotting_intervals = {Household: 10, Run: 40, Credential: 40, IncomeDirectory: 40, Controls: 40}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Personal data is sealed with a key per household, kept in its own table beside
        # the events (`personal_data.py`): the mapper seals and opens with this keyring.
        self.keyring = personal_data.keyring_for(getattr(self.factory, "datastore", None),
                                                 self.env.get("PERSISTENCE_MODULE") or "")
        self.mapper.keyring = self.keyring  # type: ignore[attr-defined]
        personal_data.use(self.keyring)
        self.household_log: EventSourcedLog[HouseholdLogged] = EventSourcedLog(
            self.events, uuid5(NAMESPACE, "/households"), HouseholdLogged
        )

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshot from the aggregates just saved, all in one write.

        The library's own way reloads each aggregate from the store and writes each
        snapshot in a transaction of its own; an import that books incomes on thousands
        of households spent most of its time there. The aggregate in hand *is* the
        state at its latest version, which is as good a snapshot as any.

        An aggregate is due when `interval` events or more followed its last snapshot.
        Events are also appended without their aggregate (an import's bookings), so
        that is not always at a multiple of the interval: those aggregates are checked
        against the snapshot store, in one query.
        """
        if not (self.snapshots and self.snapshotting_intervals):
            return
        intervals = {}
        for ident, aggregate in processing_event.aggregates.items():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and aggregate.version >= interval and getattr(aggregate, "snapshot_ready", True):
                intervals[ident] = interval
        due = {e.originator_id for e in processing_event.events
               if e.originator_id in intervals and e.originator_version % intervals[e.originator_id] == 0}
        unsure = [ident for ident in intervals if ident not in due]
        if unsure:
            last = self.current_versions(unsure, self.snapshots.recorder)
            due.update(ident for ident in unsure
                       if processing_event.aggregates[ident].version - last.get(ident, 0) >= intervals[ident])
        if due:
            taken = [type(self).snapshot_class_for(processing_event.aggregates[i]).take(
                processing_event.aggregates[i]) for i in sorted(due, key=str)]
            self.snapshots.put(taken)
            self._drop_older_snapshots({s.originator_id: s.originator_version for s in taken})

    def _drop_older_snapshots(self, latest: dict[UUID, int]) -> None:
        """Keep one snapshot per hundred versions of an aggregate, and the newest.

        An aggregate loads from its newest snapshot and the events after it; keeping
        every older snapshot too (the library's way) made a household's snapshots grow
        by one every ten events, until they were most of the store (16 KB each, 2.3
        times the household's events in a year) and a store of 100,000 households no
        longer fitted in memory. The projections load an aggregate at the version of a
        notification (`repository.get(id, version=v)`), which reads the newest snapshot
        at or before `v`: one per hundred versions keeps that replay short, also in a
        rebuild from the first event. So a new snapshot replaces the older ones of its
        own hundred (versions 1–100, 101–200, ...). A process killed between writing the
        snapshot and this leaves them, and the next snapshot in that hundred removes them.
        """
        recorder = self.snapshots.recorder
        sql = _sql_table(recorder)
        if sql is None:
            return  # an in-memory store (tests): nothing to gain
        table, postgres = sql
        mark = "%s" if postgres else "?"
        every = SNAPSHOTS_KEPT_EVERY
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.executemany(
                f"DELETE FROM {table} WHERE originator_id = {mark} "
                f"AND originator_version > {mark} AND originator_version < {mark}",
                [(ident if postgres else ident.hex, (version - 1) // every * every, version)
                 for ident, version in latest.items()])

    def save(self, *objs: Any, events: Sequence[DomainEvent] = (), **kwargs: Any) -> Any:
        """Save aggregates (and `events` built without their aggregate) in one write.

        Keeps the income directory in step with the households in that same write.
        Events go straight to the store: the library would check each object against
        runtime protocols (10-15 µs each, more than encoding an event costs).
        """
        touched = [o for o in objs if isinstance(o, Household)
                   and any(type(e).__name__ in CHANGES_INCOMES for e in o.pending_events)]
        if touched:
            self._split_directory()
            by_shard: dict[int, list[Household]] = {}
            for household in touched:
                by_shard.setdefault(shard_of(household.id), []).append(household)
            for shard, households in sorted(by_shard.items()):
                directory = self.repository.get(SHARD_IDS[shard])
                directory.update(households)
                if directory.pending_events:
                    objs = (*objs, directory)
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:  # what `collect_events` does, without its runtime-protocol checks
            if obj is None:
                continue
            if isinstance(obj, DomainEvent):
                processing_event.events.append(obj)
            else:
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
        processing_event.saved_kwargs.update(kwargs)
        processing_event.events.extend(events)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def income_directory(self) -> Directory:
        """Every shard of the income directory, as stored now."""
        self._split_directory()
        return Directory([self.repository.get(ident) for ident in SHARD_IDS])

    _directory_split = False

    def _split_directory(self) -> None:
        """Make the directory's shards, once per store: from the single directory of a
        store written before the split, or from the households of a store older than
        the directory. All shards are written in one save; a process that raced us to
        it finds them written (and an import that read the old directory meanwhile
        finds the households' versions moved on, and starts again)."""
        if self._directory_split or SHARD_IDS[0] in self.repository:
            self._directory_split = True
            return
        old = self.get_or_none(DIRECTORY_ID)
        if old is not None:
            entries = old.households
        else:
            entries = {hid.hex: entry_of(self.household_by_id(hid)) for hid, _ in self.household_ids()}
        try:
            self.save(*split(entries))
        except IntegrityError:
            pass  # another process split it first
        self._directory_split = True

    def current_versions(self, ids: list[UUID], recorder: Any = None) -> dict[UUID, int]:
        """The latest stored version of each aggregate, in one query per 500 ids.

        Used to append events to many aggregates without loading them; a version that
        moved on meanwhile makes the append fail (optimistic concurrency) and the
        caller retries. `recorder`: another table, e.g. the snapshots' recorder.
        """
        recorder = recorder or self.recorder
        versions: dict[UUID, int] = {}
        sql = _sql_table(recorder)
        if sql is None:
            for ident in ids:  # any other store: one query per aggregate
                last = recorder.select_events(ident, desc=True, limit=1)
                if last:
                    versions[ident] = last[0].originator_version
            return versions
        table, postgres = sql
        select = f"SELECT originator_id AS id, MAX(originator_version) AS version FROM {table} WHERE "
        with recorder.datastore.transaction(commit=False) as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                if postgres:  # uuid column
                    cursor.execute(select + "originator_id = ANY(%s) GROUP BY originator_id", (chunk,))
                else:  # ids as hex text
                    cursor.execute(select + f"originator_id IN ({','.join('?' * len(chunk))}) "
                                   "GROUP BY originator_id", [i.hex for i in chunk])
                versions.update((row["id"] if postgres else UUID(row["id"]), row["version"])
                                for row in cursor.fetchall())
        return versions

    @classmethod
    def snapshot_class_for(cls, aggregate: Any) -> Any:
        return getattr(type(aggregate), "Snapshot", cls.snapshot_class) or Snapshot

    def construct_repository(self) -> Repository[UUID]:
        library = super().construct_repository()  # reads the cache settings from the env
        repository = _Repository(event_store=self.events, snapshot_store=self.snapshots,
                                 fastforward=library.fastforward,
                                 fastforward_skipping=library.fastforward_skipping,
                                 deepcopy_from_cache=library.deepcopy_from_cache)
        repository.cache = library.cache
        return repository

    def construct_mapper(self) -> Any:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=transcodings.Mapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcodings.register(transcoder)

    # -- households ---------------------------------------------------------------

    def household(self, dossier: str) -> Household:
        try:
            return self.repository.get(household_id(dossier))
        except AggregateNotFoundError:
            raise NotFound(f"no household with dossier {dossier}") from None

    def household_by_id(self, ident: UUID) -> Household:
        return self.repository.get(ident)

    def household_ids(self) -> Iterator[tuple[UUID, str]]:
        for logged in self.household_log.get():
            yield logged.household_id, logged.dossier

    def add_household(self, household: Household) -> None:
        """Save a new household and index it, in one atomic write.

        The id comes from the dossier number, so a second onboarding of the same dossier
        collides with the first instead of creating a twin.
        """
        logged = self.household_log.trigger_event(
            household_id=household.id, dossier=household.dossier
        )
        self.save(household, logged)

    def change_household(self, dossier: str, command: Callable[[Household], T]) -> T:
        """Load, apply the command, save; on a concurrent write, load again and retry."""
        return self.retrying(lambda: self._change(dossier, command))

    def _change(self, dossier: str, command: Callable[[Household], T]) -> T:
        household = self.household(dossier)
        result = command(household)
        self.save(household)
        return result

    def retrying(self, attempt: Callable[[], T]) -> T:
        return retrying(attempt, attempts=RETRIES, between=lambda _: self._forget_cached())

    def _forget_cached(self) -> None:
        if self.repository.cache:
            self.repository.cache.clear()

    # -- generic aggregates ---------------------------------------------------------

    def get_or_none(self, ident: UUID) -> Any | None:
        try:
            return self.repository.get(ident)
        except AggregateNotFoundError:
            return None

    def event_count(self) -> int:
        return self.recorder.max_notification_id() or 0
