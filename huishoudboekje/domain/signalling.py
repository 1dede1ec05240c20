"""A household's signals for staff: raised and cleared by the nightly rules, held
payments, external signals, and staff acknowledging and resolving them. A mixin of
`Household` (plain methods: the events stay on the aggregate)."""

from __future__ import annotations

from datetime import date

from .errors import HouseholdError, NotFound
from .signals import PAYMENTS_HELD, RESOLVED, Signal, SignalFact, evaluate_signals
from .signals import fact as signal_fact


class Signalling:
    """The commands on a `Household`'s signals (see `domain/household.py`)."""

    def hold_payments(self, pay_date: date, reason: str, on: date) -> None:
        """The nightly job could not make or file this pay date's payments (`reason`):
        nothing was paid, and staff get a signal, one per household while it stays open
        (the next nights try again, on the day they run). It clears
        itself on the night that pays the household after staff corrected the cause."""
        held = signal_fact(PAYMENTS_HELD, None, "-", self.held(), reason=reason[:500], pay_date=pay_date)
        signal = self.signals.get(held.key)
        if signal is not None and signal.is_open:
            return
        self._payments_held(pay_date=pay_date, reason=reason[:500], on=on,
                            signal=Signal.raised(held, on) if signal is None else signal.reopened(held, on))

    def update_signals(self, as_of: date, unrepaid_cycles: int) -> int:
        """Raise what the rules find today; clear what has gone away. Returns changes."""
        facts = {fact.key: fact for fact in evaluate_signals(self, as_of, unrepaid_cycles)}
        changes = 0
        for key, fact in facts.items():
            signal = self.signals.get(key)
            if signal is None:
                self._signal_raised(signal=Signal.raised(fact, as_of), on=as_of)
                changes += 1
            elif signal.cleared_itself:  # its cause came back; one staff resolved stays resolved
                self._signal_raised(signal=signal.reopened(fact, as_of), on=as_of)
                changes += 1
        for key, signal in list(self.signals.items()):
            if signal.is_open and signal.clears_itself and key not in facts and self._cause_gone(signal):
                self._signal_cleared(key=key, on=as_of)
                changes += 1
        return changes

    def _cause_gone(self, signal: Signal) -> bool:
        """A late income is cleared by its arrival, not by growing old."""
        if signal.rule != "income-late" or signal.agreement_id not in self.agreements:
            return True
        expected_on = date.fromisoformat(signal.period)
        agreement = self.agreements[signal.agreement_id]
        return bool(self.income_received(agreement.id, expected_on)) or not agreement.is_valid_on(expected_on)

    def receive_external_signal(self, fact: SignalFact, on: date, actor: str) -> bool:
        if fact.key in self.signals:
            return False
        self._external_signal(signal=Signal.raised(fact, on), on=on, actor=actor)
        return True

    def acknowledge_signal(self, key: str, on: date, actor: str, note: str = "") -> None:
        self._check_signal(key)
        self._signal_acknowledged(key=key, on=on, actor=actor, note=note)

    def resolve_signal(self, key: str, on: date, actor: str, note: str = "") -> None:
        self._check_signal(key)
        self._signal_resolved(key=key, on=on, actor=actor, note=note)

    def _check_signal(self, key: str) -> None:
        signal = self.signals.get(key)
        if signal is None:
            raise NotFound(f"{self.dossier} has no signal {key}", field="signal")
        if signal.status == RESOLVED:
            raise HouseholdError(f"signal {key} is resolved already")
