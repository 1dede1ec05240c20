"""Which values of a household's events and snapshots are personal data, sealed on write.

The inventory (issue 24). Sealed with the household's key (owner = the household's id):

- participants (`Participant`: name, iban, contact) — in `Household.Onboarded`, in
  `SettingsChanged.changes["participants"]` and in a snapshot's state;
- the address (street, number, postcode, place: every value of the `address` dict);
- phone and e-mail (a participant's `contact`; a household's notices' `address`,
  sealed with the notices' own key, which an erasure destroys with the household's);
- free text typed by staff: every `note`, `notes` and `reason` (signals acknowledged
  and resolved, bookings corrected and undone, deductions undone, debts closed,
  moratoria, payments held; also in the history and details of a `Signal` and in
  debts and arrangements), except `ParticipationEnded.reason`, a code the team report
  counts (`END_REASONS`);
- the names and descriptions of statement lines booked to the household
  (`Deduction.counterparty` and `.description`; `counterparty`/`description` anywhere);
- the terms an income is matched by (`Agreement.match_terms`: often the participant's
  name, as it stands in the benefit's description);
- the payee of a leefgeld payment (`Instruction.creditor_name` and `.creditor_iban` where
  `kind` is leefgeld: the participant), in `PayDateRun` and in snapshots' instruction rows.

In the clear, as the financial record: amounts, dates, agreement kinds, periods, ids,
creditors' (organisations') names, IBANs, references and customer numbers, the actors
(staff), the dossier number (the household's key in the store), the consent's way.
`IncomesBooked` carries rows of ids, amounts and dates only: it is not walked (the
import's hot path). Events of other aggregates (ledgers, runs, payment files) are not
sealed here: what they hold of a household is purged at its erasure
(`adapters/erase_traces.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from .domain.agreement import Agreement, Participant
from .domain.deductions import Deduction
from .domain.instructions import Instruction, Instructions
from .domain.signals import Signal

Seal = Callable[[str], str]

# Keys whose string values are sealed, in an event's fields and in any dict within them
# (a debt's "iban" and "creditor" are an organisation's: in the clear).
TEXT_KEYS = frozenset({"note", "notes", "reason", "description", "counterparty", "contact", "phone", "email",
                       "address"})
AGGREGATES = ("huishoudboekje.domain.household:Household", "huishoudboekje.domain.notices:HouseholdNotices")
_LEEFGELD = "leefgeld"
_NAME = [f.name for f in dataclasses.fields(Instruction)].index("creditor_name")
_IBAN = [f.name for f in dataclasses.fields(Instruction)].index("creditor_iban")
_KIND = [f.name for f in dataclasses.fields(Instruction)].index("kind")
_CLEAR = {("ParticipationEnded", "reason")}  # (event, field) kept in the clear
_UNSEALED = frozenset({"IncomesBooked"})


def sealed_event(topic_cls: type) -> bool:
    """Whether events of this class are of a sealed aggregate (snapshots: see `owner_topic`)."""
    qualname = topic_cls.__qualname__
    if topic_cls.__module__ == "huishoudboekje.domain.household":
        return qualname.startswith("Household.") and qualname.rsplit(".", 1)[-1] not in _UNSEALED
    return topic_cls.__module__ == "huishoudboekje.domain.notices" and qualname.startswith("HouseholdNotices.")


def seal_event_state(event_name: str, state: dict[str, Any], seal: Seal) -> dict[str, Any]:
    """An event's fields with its personal values sealed (a new dict; the event is not changed)."""
    out = {}
    for key, value in state.items():
        if (event_name, key) in _CLEAR or value is None or key in ("originator_id", "originator_version",
                                                                   "timestamp"):
            out[key] = value
        elif type(value) is str:
            out[key] = seal(value) if key in TEXT_KEYS else value
        else:
            out[key] = _walk(value, key, seal)
    return out


def seal_aggregate_state(state: dict[str, Any], seal: Seal) -> dict[str, Any]:
    """An aggregate's state (a snapshot's, a read model's row) with its personal values sealed."""
    return {key: (value if type(value) is str and key not in TEXT_KEYS else _walk(value, key, seal))
            for key, value in state.items()}


def _walk(value: Any, key: str, seal: Seal) -> Any:
    kind = type(value)
    if kind is str:
        return seal(value) if key in TEXT_KEYS else value
    if kind is dict:
        if key == "address":
            return {k: seal(v) if type(v) is str else v for k, v in value.items()}
        return {k: _walk(v, k, seal) for k, v in value.items()}
    if kind is MappingProxyType:
        return MappingProxyType({k: _walk(v, k, seal) for k, v in value.items()})
    if kind is list or kind is tuple:
        return kind(_walk(v, key, seal) for v in value)
    sealer = _DATACLASSES.get(kind)
    return sealer(value, seal) if sealer else value


def _opt(text: str | None, seal: Seal) -> str | None:
    return None if text is None else seal(text)


def _participant(p: Participant, seal: Seal) -> Participant:
    return dataclasses.replace(p, name=seal(p.name), iban=seal(p.iban), contact=_opt(p.contact, seal))


def _agreement(a: Agreement, seal: Seal) -> Agreement:
    if not a.match_terms:
        return a
    return dataclasses.replace(a, match_terms=tuple(seal(t) for t in a.match_terms))


def _deduction(d: Deduction, seal: Seal) -> Deduction:
    return dataclasses.replace(d, counterparty=_opt(d.counterparty, seal), description=seal(d.description))


def _signal(s: Signal, seal: Seal) -> Signal:
    return dataclasses.replace(s, details=_walk(s.details, "details", seal),
                               history=tuple(_walk(h, "history", seal) for h in s.history))


def _instruction(i: Instruction, seal: Seal) -> Instruction:
    if i.kind != _LEEFGELD:
        return i
    return dataclasses.replace(i, creditor_name=seal(i.creditor_name), creditor_iban=seal(i.creditor_iban))


def _instructions(held: Instructions, seal: Seal) -> Instructions:
    rows = [list(r) for r in held.rows()]  # copies: the aggregate's own rows stay as they are
    for row in rows:
        if row[_KIND] == _LEEFGELD:
            row[_NAME], row[_IBAN] = seal(row[_NAME]), seal(row[_IBAN])
    return Instructions(rows)


_DATACLASSES: dict[type, Callable[[Any, Seal], Any]] = {
    Participant: _participant, Agreement: _agreement, Deduction: _deduction, Signal: _signal, Instruction: _instruction,
    Instructions: _instructions}
