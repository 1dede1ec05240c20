"""The engine's own signals (`domain/controls.py`): raised once per key, resolved with the actor."""

from __future__ import annotations

from datetime import date

import pytest

from huishoudboekje.domain.controls import CONTROLS_ID, KEEP_DAYS, Controls, ControlsError
from huishoudboekje.domain.errors import NotFound
from huishoudboekje.domain.signals import CRITICAL, HIGH, OPEN, RESOLVED

DAY = date(2026, 12, 1)
KEY = "payment-file-unreleased:pain001-NL39BNGH0285009999-HHB2026120101.xml"


def test_a_signal_is_raised_once_per_key():
    controls = Controls()
    assert controls.id == CONTROLS_ID
    assert controls.raise_signal("payment-file-unreleased", KEY, HIGH, {"amount": "655.00"}, DAY) is True
    assert controls.raise_signal("payment-file-unreleased", KEY, CRITICAL, {"amount": "1.00"}, DAY) is False
    [signal] = controls.open_signals()
    assert (signal.key, signal.severity, signal.details, signal.status, signal.raised_on) == \
        (KEY, HIGH, {"amount": "655.00"}, OPEN, DAY)


def test_resolving_records_who_and_why_and_a_resolved_key_is_not_raised_again():
    controls = Controls()
    controls.raise_signal("balance-difference", "balance-difference:NL39:2026-12-01", CRITICAL, {}, DAY)
    assert controls.resolve("balance-difference:NL39:2026-12-01", date(2026, 12, 2), "teamlead:t.lead", "geboekt")
    assert controls.resolve("balance-difference:NL39:2026-12-01", date(2026, 12, 3), "x", "") is False
    signal = controls.signals["balance-difference:NL39:2026-12-01"]
    assert signal.status == RESOLVED and signal.changed_on == date(2026, 12, 2)
    assert signal.history[-1] == {"on": "2026-12-02", "status": RESOLVED, "by": "teamlead:t.lead", "note": "geboekt"}
    assert controls.raise_signal("balance-difference", "balance-difference:NL39:2026-12-01", CRITICAL, {},
                                 date(2026, 12, 4)) is False
    assert controls.open_signals() == []


def test_resolved_signals_leave_the_state_after_keep_days_open_ones_never():
    controls = Controls()
    controls.raise_signal("r", "r:old", HIGH, {}, DAY)
    controls.raise_signal("r", "r:open", HIGH, {}, DAY)
    controls.resolve("r:old", DAY, "a")
    later = date.fromordinal(DAY.toordinal() + KEEP_DAYS + 1)
    controls.raise_signal("r", "r:new", HIGH, {}, later)
    assert set(controls.signals) == {"r:open", "r:new"}


@pytest.mark.parametrize("key, severity", [("", HIGH), ("a|b", HIGH), ("r:x", "urgent")])
def test_a_key_or_severity_a_list_cannot_show_is_refused(key, severity):
    with pytest.raises(ControlsError):
        Controls().raise_signal("r", key, severity, {}, DAY)


def test_resolving_an_unknown_signal_is_not_found():
    with pytest.raises(NotFound, match="no signal r:nope"):
        Controls().resolve("r:nope", DAY, "a")
