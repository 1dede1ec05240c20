"""Copying a store into a new one, every event written anew (`hhb privacy migrate`).

Each stored event of the old store is read in the notification log's order, made into
its domain event by the old store's mapper (old versions upcast as on any load) and
stored again by the new store's mapper: so the personal data in it is sealed with its
household's key (`personal_data.py`), as an event written today is. Aggregate ids,
versions, timestamps and the order stay as they were. Snapshots are not copied: the
new store takes its own as households are saved again; until then a household loads
from its events, which is slower but the same state.

Then every household of the new store is compared with the old one: its money (pot,
buffer owed, arrears, held, reserves, totals, payments and bookings, what `hhb show`
and `hhb left` are made of), what `hhb show` shows, and the length of its history; and
every other aggregate's number of events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from .domain.errors import DomainError
from .domain.household import Household
from .domain.money import total
from .engine import Engine
from .history import household_detail

BATCH = 500  # events read, re-encoded and written per transaction


class MigrationError(DomainError):
    """A migration refused before anything was written."""


@dataclass
class Copied:
    events: int = 0
    aggregates: dict[UUID, int] = field(default_factory=dict)  # id -> the last version copied


Progress = Callable[[int, int], None]


def copy_events(old: Engine, new: Engine, progress: Progress | None = None) -> Copied:
    """Every event of `old` into the empty store `new`, in the notification log's order."""
    if new.event_count():
        raise MigrationError("--to: the new store is not empty: it holds events already; "
                             "name an empty database, schema or file")
    last = old.event_count()
    copied, start = Copied(), 1
    while True:
        notifications = old.recorder.select_notifications(start=start, limit=BATCH)
        if not notifications:
            break
        events = [old.mapper.to_domain_event(n) for n in notifications]
        new.recorder.insert_events([new.mapper.to_stored_event(e) for e in events])
        for event in events:
            copied.aggregates[event.originator_id] = event.originator_version
        copied.events += len(events)
        start = notifications[-1].id + 1
        if progress:
            progress(copied.events, last)
    return copied


def money(h: Household) -> dict[str, Any]:
    """What a household holds and owes, and what it paid and received: the money a
    migration must leave exactly as it was."""
    return {
        "pot": str(h.pot), "buffer_outstanding": str(h.buffer_outstanding),
        "arrears": sorted((d.agreement_id, d.due.isoformat(), str(d.amount)) for d in h.arrears),
        "arrears_amount": str(total(d.amount for d in h.arrears)),
        "on_hold": str(h.on_hold), "released": str(h.released), "claim": str(h.claim),
        "reserves": {k: str(v) for k, v in sorted(h.reserves.items())},
        "totals": {k: str(v) for k, v in sorted(h.totals.items())},
        "payments": sorted((i.id, i.kind, str(i.amount), i.execution_date.isoformat(), i.status)
                           for i in h.instructions.values()),
        "bookings": sorted((b.transaction_id, b.agreement_id or "", str(b.amount)) for b in h.bookings.values()),
        "last_pay_date": h.last_pay_date.isoformat() if h.last_pay_date else None,
    }


def compare(old: Engine, new: Engine, copied: Copied) -> dict[str, Any]:
    """Each household replayed in both stores, and each other aggregate's history length:
    the differences (empty lists when the stores agree)."""
    households, different = 0, []
    for hid, dossier in old.household_ids():
        households += 1
        before, after = old.household_by_id(hid), new.household_by_id(hid)
        for what, a, b in (("money", money(before), money(after)),
                           ("details", household_detail(before), household_detail(after)),
                           ("history", len(list(old.events.get(hid))), len(list(new.events.get(hid))))):
            if a != b:
                was, now = _first_difference(a, b)
                different.append({"dossier": dossier, "what": what, "old": was, "new": now})
                break
    versions = new.current_versions(list(copied.aggregates))
    lengths = [str(ident) for ident, version in copied.aggregates.items() if versions.get(ident) != version]
    return {"households": households, "different": different, "aggregates": len(copied.aggregates),
            "aggregates_different": lengths}


def _first_difference(a: Any, b: Any) -> tuple[Any, Any]:
    """The first field where two summaries differ (the whole values when not dicts)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return {key: a.get(key)}, {key: b.get(key)}
    return a, b
