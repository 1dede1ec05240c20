"""The controls' signals are stored and read back, and a concurrent raise retries (both stores)."""

from __future__ import annotations

from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError, RecordConflictError

from huishoudboekje import controls
from huishoudboekje.domain.controls import CONTROLS_ID
from huishoudboekje.domain.signals import CRITICAL, HIGH

DAY = date(2026, 12, 1)


def test_raised_and_resolved_signals_survive_the_store_and_snapshots(engine):
    for n in range(45):  # past the snapshot interval
        assert controls.raise_signal(engine, "balance-difference", f"balance-difference:NL39:{n}", CRITICAL,
                                     {"amount": f"{n}.00"}, DAY)
    assert not controls.raise_signal(engine, "balance-difference", "balance-difference:NL39:3", CRITICAL, {}, DAY)
    assert controls.resolve(engine, "balance-difference:NL39:3", DAY, "finance:f.inance", "bankkosten")
    stored = engine.repository.get(CONTROLS_ID)
    assert len(stored.open_signals()) == 44
    assert stored.signals["balance-difference:NL39:3"].history[-1]["by"] == "finance:f.inance"
    assert stored.signals["balance-difference:NL39:7"].details == {"amount": "7.00"}


def test_two_writers_raise_without_losing_either(engine, store_url, tmp_path):
    from adapters.store import open_engine

    other = open_engine(store_url, tmp_path / "other")
    try:
        controls.raise_signal(engine, "r", "r:first", HIGH, {}, DAY)
        stale = controls.controls(other)  # read before the next write
        controls.raise_signal(engine, "r", "r:second", HIGH, {}, DAY)
        stale.raise_signal("r", "r:third", HIGH, {}, DAY)
        with pytest.raises((IntegrityError, RecordConflictError)):
            other.save(stale)
        controls.raise_signal(other, "r", "r:third", HIGH, {}, DAY)  # the service loads again and retries
    finally:
        other.close()
    assert {s.key for s in controls.open_signals(engine)} == {"r:first", "r:second", "r:third"}
