"""Debits that are not ours: money someone else took from a household's share of the
managed account — the tax office setting off an allowance it paid too much of
(verrekening), a bailiff's garnishment (beslag), bank costs (bankkosten), anything else
(overig). A mixin of `Household` (plain methods: `DeductionBooked` and `DeductionUndone`
stay on the aggregate, whose module names their stored topics).

The bank has paid the money out already, so the household's books follow at once:

- a deduction takes what it can from the pot when it is booked; what the pot cannot
  cover is *pending*;
- the next pay date takes what is pending from its pot after sweeping the incomes in, so
  its rules see less; what even that pot cannot cover the buffer advances, within its
  room (its limit less what is outstanding; the final settlement advances nothing); what
  is left stays pending for the pay date after (`pending_taken`, recorded in `PayDateRun`);
- `held()` counts what is pending as money the household no longer has, so the books
  keep matching the bank: incomes in == paid out + deducted + held − buffer outstanding.

Undoing a deduction (`undo_deduction`: the debit was not this household's, or not a
deduction) gives the household the whole amount back, whenever it is undone: what is
still pending is cancelled, the rest returns to the pot, which the next pay date pays out
(repaying the buffer first where it advanced part). Not after the final settlement: no
pay date would pay it out any more. A deduction a pay date took more than `KEEP_DAYS`
ago lives on in the events only, and can no longer be undone here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType
from typing import Any

from .agreement import INCOME
from .errors import DomainError, HouseholdError, NotFound
from .instructions import KEEP_DAYS
from .money import Money
from .signals import DEDUCTION_BOOKED, HIGH, LOW, MEDIUM, RESOLVED, Signal
from .signals import fact as signal_fact

VERREKENING, BESLAG, BANKKOSTEN, OVERIG = "verrekening", "beslag", "bankkosten", "overig"
KINDS = (VERREKENING, BESLAG, BANKKOSTEN, OVERIG)
# A clawback or a garnishment is exactly what the coach must hear about; bank costs are
# worth knowing, no more.
SEVERITY = {VERREKENING: HIGH, BESLAG: HIGH, BANKKOSTEN: LOW, OVERIG: MEDIUM}
_ZERO = Money.zero()


@dataclass(frozen=True)
class Deduction:
    """A debit booked to a household: who took how much, and how the household paid it."""

    transaction_id: str
    kind: str  # one of KINDS
    amount: Money
    on: date  # the value date
    agreement_id: str | None  # the income it is set off against, if any (the zorgtoeslag)
    counterparty: str | None  # the name on the statement
    description: str
    from_pot: Money  # taken from the pot when it was booked
    pending: Money  # what a pay date has still to take
    taken_on: date | None = None  # the pay date that took (the last of) what was pending
    advanced: Money = _ZERO  # what of it the buffer advanced on a pay date


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise DomainError(f"deduction: '{kind}' is not one of {', '.join(KINDS)}", field="deduction")
    return kind


class Deductions:
    """The deductions of a `Household` (see `domain/household.py`)."""

    # Set by the aggregate; named here for readers and type checkers.
    pot: Money
    buffer_limit: Money
    buffer_outstanding: Money
    signals: dict[str, Signal]
    agreements: dict[str, Any]

    # Class defaults: households, snapshots and projected rows of earlier versions read
    # these. Event handlers assign new values, never change these in place.
    pending_deduction = _ZERO  # what pay dates have still to take
    deducted_total = _ZERO  # every deduction booked, less those undone
    deductions: Mapping[str, Deduction] = MappingProxyType({})  # transaction id -> the recent ones

    def book_deduction(self, transaction_id: str, kind: str, amount: Money, on: date, agreement_id: str | None,
                       counterparty: str | None, description: str, actor: str) -> Deduction:
        """Book a debit someone else made on the household's money (see the module)."""
        self._check_deduction(transaction_id, kind, amount, agreement_id)
        from_pot = self.pot.max(_ZERO).min(amount)
        pending = amount - from_pot
        fact = signal_fact(DEDUCTION_BOOKED, agreement_id, on, amount, instance=transaction_id, kind=kind,
                           counterparty=counterparty or "", transaction=transaction_id, from_pot=from_pot,
                           pending=pending)
        signal = Signal.raised(replace(fact, severity=SEVERITY[kind]), on)
        self._deduction_booked(transaction_id=transaction_id, kind=kind, amount=amount, on=on,
                               agreement_id=agreement_id, counterparty=counterparty, description=description,
                               from_pot=from_pot, pending=pending, signal=signal, actor=actor)
        return self.deductions[transaction_id]

    def _check_deduction(self, transaction_id: str, kind: str, amount: Money, agreement_id: str | None) -> None:
        check_kind(kind)
        if not amount.is_positive:
            raise HouseholdError(f"transaction {transaction_id}: a deduction is an amount taken, more than 0.00")
        if transaction_id in self.deductions:
            raise HouseholdError(f"transaction {transaction_id} is deducted from {self.dossier} already")
        if self.settled_on is not None:
            raise HouseholdError(f"{self.dossier}: participation ended and was settled on {self.settled_on}; "
                                 "its money has been paid out, so nothing can be deducted from it any more")
        if agreement_id is not None:
            agreement = self.agreements.get(agreement_id)
            if agreement is None:
                raise NotFound(f"{self.dossier} has no agreement '{agreement_id}'", field="agreement")
            if agreement.kind != INCOME:
                raise HouseholdError(f"{agreement_id} is not an income agreement: a deduction is set off "
                                     "against an income, or against none", field="agreement")

    def undo_deduction(self, transaction_id: str, reason: str, on: date, actor: str) -> Money:
        """Give a deduction back (see the module); returns what goes back into the pot."""
        deduction = self.deductions.get(transaction_id)
        if deduction is None:
            raise HouseholdError(
                f"transaction {transaction_id} is not deducted from {self.dossier}'s money, or a pay date took it "
                f"more than {KEEP_DAYS} days ago: correct it by hand")
        if self.settled_on is not None:
            raise HouseholdError(
                f"{self.dossier}: participation ended and was settled on {self.settled_on}; no pay date would pay "
                f"{deduction.amount} back any more: pay it to the participant by hand")
        to_pot = deduction.amount - deduction.pending
        self._deduction_undone(transaction_id=transaction_id, cancelled=deduction.pending, to_pot=to_pot, on=on,
                               reason=reason, actor=actor)
        return to_pot

    def pending_taken(self, pot: Money, final: bool = False) -> tuple[Money, Money]:
        """What a pay date whose pot holds `pot` takes of the pending deductions: (from the
        pot, advanced by the buffer within its room). The final settlement advances nothing."""
        pending = self.pending_deduction
        if not pending.is_positive:
            return _ZERO, _ZERO
        from_pot = pot.max(_ZERO).min(pending)
        room = _ZERO if final else (self.buffer_limit - self.buffer_outstanding).max(_ZERO)
        return from_pot, (pending - from_pot).min(room)

    def deductions_since(self, first: date) -> list[Deduction]:
        """Deductions of `first` or later, and older ones still pending, oldest first."""
        return sorted((d for d in self.deductions.values() if d.on >= first or d.pending.is_positive),
                      key=lambda d: (d.on, d.transaction_id))

    # -- what the events do -----------------------------------------------------------

    def _deduct(self, deduction: Deduction, signal: Signal) -> None:
        """`DeductionBooked`."""
        self.pot = self.pot - deduction.from_pot
        self.pending_deduction = self.pending_deduction + deduction.pending
        self.deducted_total = self.deducted_total + deduction.amount
        self.deductions = {**self.deductions, deduction.transaction_id: deduction}
        self.signals[signal.key] = signal

    def _give_back(self, transaction_id: str, cancelled: Money, to_pot: Money, on: date, reason: str,
                   actor: str) -> None:
        """`DeductionUndone`: the pending part cancelled, the rest back in the pot; its signal resolved."""
        deduction = self.deductions[transaction_id]
        self.pot = self.pot + to_pot
        self.pending_deduction = self.pending_deduction - cancelled
        self.deducted_total = self.deducted_total - deduction.amount
        self.deductions = {k: v for k, v in self.deductions.items() if k != transaction_id}
        for key, signal in list(self.signals.items()):
            if signal.rule == DEDUCTION_BOOKED and signal.details.get("transaction") == transaction_id \
                    and signal.status != RESOLVED:
                self.signals[key] = signal.changed(RESOLVED, on, actor, f"booking undone: {reason}"[:500])

    def _take_pending(self, pay_date: date, from_pot: Money | None, advanced: Money | None) -> None:
        """`PayDateRun`: what it took of the pending deductions, oldest first; deductions
        taken more than KEEP_DAYS before it are forgotten (the events keep them)."""
        from_pot, advanced = from_pot or _ZERO, advanced or _ZERO
        if not self.deductions:
            return
        kept: dict[str, Deduction] = {}
        horizon = pay_date.toordinal() - KEEP_DAYS
        for deduction in sorted(self.deductions.values(), key=lambda d: (d.on, d.transaction_id)):
            if deduction.pending.is_positive and (from_pot or advanced):
                paid = deduction.pending.min(from_pot)
                lent = (deduction.pending - paid).min(advanced)
                from_pot, advanced = from_pot - paid, advanced - lent
                deduction = replace(deduction, pending=deduction.pending - paid - lent, taken_on=pay_date,
                                    advanced=deduction.advanced + lent)
            if deduction.pending.is_positive or max(deduction.on, deduction.taken_on or deduction.on).toordinal() \
                    >= horizon:
                kept[deduction.transaction_id] = deduction
        self.pending_deduction = sum((d.pending for d in kept.values()), _ZERO)
        self.deductions = kept
