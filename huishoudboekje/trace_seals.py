"""A household's personal data in events that are not its own, sealed as they are written.

A household's own events and snapshots are sealed with its key (`personal_data`). Its
personal data also lands in other aggregates' events (see `adapters/erase_traces.py`
for the whole inventory); these are sealed here, field by field, when the Mapper
writes an event, so the aggregates in memory, the domain and every reader keep plain
text, and the Mapper turns the tokens back into text (or `ERASED`) when it reads:

- a statement line (`Ledger.TransactionsImported`): the counterparty's IBAN and name, the
  description and the reason it waits (which may quote them), and the reason staff give
  when they book or ignore it (`TransactionResolved`), with the key of the household the line is booked to (income,
  payment echo, deduction), else with a key of the line's own (`line_owner`): erasing
  a household destroys those of the lines later resolved to it, and the retention run
  those of lines nobody ever booked;
- the income directory (`IncomeDirectory.Updated` and its snapshots): each household's
  match terms (the names statements carry) and payers' IBANs, with its key;
- the notice choice (`HouseholdNotices.NoticesChosen`): the e-mail address or phone
  number, with the key of the household's notices aggregate (`notices_id(dossier)`),
  destroyed with the household's;
- a creditor's report waiting for a household (`CreditorReportQueue.Queued`): the name,
  IBAN, postcode, house number and customer number, with the key of the dossier it
  named, else a key of the report's own (`report_owner`), destroyed with the household
  it is assigned to;
- a maatwerk case (`MaatwerkCase.Proposed`): the resident's name and IBAN and the
  problem, with the household's key, or the case's own (`case_owner`) for a resident
  who takes no part in the programme.

Amounts, dates, ids, organisations' names and what the engine made of a line stay in
the clear: they are the financial record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid5

from . import personal_data
from .domain.household import NAMESPACE, household_id
from .domain.ledger import COLUMN

# The matcher's reason may quote the line ("no income agreement with counterparty NL60…").
LINE_FIELDS = (COLUMN.counterparty_iban, COLUMN.counterparty_name, COLUMN.description, COLUMN.reason)
REPORT_FIELDS = ("name", "iban", "postcode", "number", "customer_number")
PROPOSAL_FIELDS = ("resident_name", "resident_iban", "problem")


def line_owner(transaction_id: str) -> UUID:
    """The key of a statement line booked to no household when it was imported."""
    return uuid5(NAMESPACE, f"statement-line/{transaction_id}")


def report_owner(report_id: str) -> UUID:
    """The key of a creditor's report that named no household we know."""
    return uuid5(NAMESPACE, f"creditor-report/{report_id}")


def case_owner(number: str) -> UUID:
    """The key of a maatwerk case for a resident who is no participant."""
    return uuid5(NAMESPACE, f"maatwerk-resident/{number}")


Seal = Callable[[UUID, str], str]


def _sealing(seal: Seal) -> Callable[[UUID, Any], Any]:
    def sealed(owner: UUID, text: Any) -> Any:
        if not isinstance(text, str) or not text or text.startswith(personal_data.PREFIX):
            return text
        return seal(owner, text)
    return sealed


def seal_rows(rows: list[list[Any]], seal: Seal = personal_data.seal) -> list[list[Any]]:
    """Ledger rows (`row_of`) with their personal fields sealed; the rows given are not changed."""
    _seal = _sealing(seal)
    sealed = []
    for row in rows:
        dossier = row[COLUMN.dossier]
        owner = household_id(dossier) if dossier else line_owner(row[COLUMN.id])
        row = list(row)
        for place in LINE_FIELDS:
            row[place] = _seal(owner, row[place])
        sealed.append(row)
    return sealed


def seal_directory(households: dict[str, list[Any]], seal: Seal = personal_data.seal) -> dict[str, list[Any]]:
    """Directory entries (`entry_of`: [dossier, account, income rows]) with each income's
    payer IBAN and match terms sealed with the household's key."""
    _seal = _sealing(seal)
    sealed = {}
    for hid, (dossier, account, rows) in households.items():
        owner = UUID(hid)
        sealed[hid] = [dossier, account, [[row[0], _seal(owner, row[1]), [_seal(owner, t) for t in row[2]], *row[3:]]
                                          for row in rows]]
    return sealed


def seal_report(row: dict[str, Any], seal: Seal = personal_data.seal) -> dict[str, Any]:
    _seal = _sealing(seal)
    owner = household_id(row["dossier"]) if row.get("dossier") else report_owner(row["report"])
    return {k: (_seal(owner, v) if k in REPORT_FIELDS else v) for k, v in row.items()}


def _ledger(state: dict[str, Any], seal: Seal) -> None:
    state["rows"] = seal_rows(state["rows"], seal)


def _resolved(state: dict[str, Any], seal: Seal) -> None:
    """Staff's reason for booking or ignoring a line: their own words, which may name the person."""
    owner = household_id(state["dossier"]) if state.get("dossier") else line_owner(state["transaction_id"])
    state["reason"] = _sealing(seal)(owner, state.get("reason"))


def _directory(state: dict[str, Any], seal: Seal) -> None:
    state["households"] = seal_directory(state["households"], seal)


def _notices(state: dict[str, Any], seal: Seal) -> None:
    """A notices aggregate's snapshot, or its `NoticesChosen`: the address, with the key
    of the aggregate's own id (`notices_id(dossier)`)."""
    owner = state.get("_id") or state.get("originator_id")
    if state.get("address") and owner is not None:
        state["address"] = _sealing(seal)(owner, state["address"])


def _queue(state: dict[str, Any], seal: Seal) -> None:
    if "reports" in state:
        reports = state["reports"]
        state["reports"] = ([seal_report(r, seal) for r in reports] if isinstance(reports, list)
                            else {k: seal_report(r, seal) for k, r in reports.items()})


def _proposal(state: dict[str, Any], seal: Seal) -> None:
    proposal = state.get("proposal")
    if proposal is None:
        return
    owner = household_id(proposal.dossier) if proposal.dossier else case_owner(state["number"])
    _seal = _sealing(seal)
    state["proposal"] = replace(proposal, **{f: _seal(owner, getattr(proposal, f)) for f in PROPOSAL_FIELDS})


# Event (or aggregate, for snapshots) class names -> what seals their state in place.
_BY_EVENT: dict[str, Callable[[dict[str, Any], Seal], None]] = {
    "Ledger.TransactionsImported": _ledger,
    "Ledger.TransactionResolved": _resolved,
    "IncomeDirectory.Updated": _directory,
    "IncomeDirectory": _directory,  # its snapshots
    "HouseholdNotices": _notices,
    "HouseholdNotices.NoticesChosen": _notices,
    "CreditorReportQueue.Queued": _queue,
    "CreditorReportQueue": _queue,
    "MaatwerkCase.Proposed": _proposal,
    "MaatwerkCase": _proposal,
}


def sealer(event_class: type, aggregate_topic: str | None = None
           ) -> Callable[[dict[str, Any], Seal], None] | None:
    """What seals the state of events of `event_class` (None: nothing to seal);
    `aggregate_topic`: a snapshot's, which tells whose state it holds."""
    if aggregate_topic is not None:
        return _BY_EVENT.get(aggregate_topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1])
    return _BY_EVENT.get(event_class.__qualname__)


def sealed_event(event: Any, seal: Seal = personal_data.seal) -> Any:
    """The event itself, or a copy of it with its personal data sealed (the event given,
    which an aggregate in memory may share its rows with, is not changed)."""
    topic = getattr(event, "topic", None) if type(event).__name__ == "Snapshot" else None
    sealing = sealer(type(event), topic)
    if sealing is None:
        return event
    state = dict(vars(event))
    if topic is not None:
        state["state"] = dict(state["state"])
        sealing(state["state"], seal)
    else:
        sealing(state, seal)
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", state)
    return copy
