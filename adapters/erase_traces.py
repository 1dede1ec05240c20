"""The traces of an erased household outside its own events and snapshots.

Called by `huishoudboekje.erasure.erase` (injected through adapters/bootstrap.py) after
the household's key is destroyed. What follows is the inventory of every place a
household's personal data (participants' names and IBANs, address, phone, e-mail,
notes, the names and descriptions on statement lines about it, its name in creditors'
reports, a maatwerk resident) lands in the database outside the Household aggregate's
own events and snapshots, and what becomes of each on erasure.

Events of other aggregates (sealed as they are written, `huishoudboekje/trace_seals.py`):

- `Ledger.TransactionsImported` (a month of a managed account): each statement line's
  counterparty IBAN and name and its description. A line booked to the household at
  import (income, payment echo, deduction) is sealed with its key, gone with it; a line
  booked to nobody has a key of its own (`line_owner`), destroyed here when staff
  resolved it to this household since (`TransactionResolved`), else by the retention
  run (`erase_unmatched_before`). The reason a line waits (the matcher's, which quotes
  the counterparty's IBAN) is sealed too, and so is staff's reason in
  `TransactionResolved`. The line's id is a digest of its text, not the text.
  `TransactionsRecorded` (stores before rows) is not sealed: `hhb privacy migrate`'s.
- `IncomeDirectory.Updated` and its snapshots: the household's income rows, whose match
  terms are the names statements carry ("el Amrani") and whose IBANs are the payers':
  sealed with the household's key.
- `HouseholdNotices.NoticesChosen`: the e-mail address or mobile number, sealed with the
  key of `notices_id(dossier)`, destroyed here.
- `CreditorReportQueue.Queued`: a report that found no household (name, participant
  IBAN, postcode, number, customer number), sealed with the key of the dossier it named
  or of its own (`report_owner`); the keys of the reports assigned to this household
  are destroyed here. A report that found the household at once is in the household's
  own events (a signal's details): crypto's part.
- `MaatwerkCase.Proposed`: the resident's name and IBAN and the problem, sealed with the
  household's key (a resident who is no participant: the case's own, `case_owner`,
  left to the retention run).
- `Run.PaymentFileWritten`, `PaymentFile.*`: file names, counts, sums, instruction ids
  and the file's sha256: nothing personal. The pain.001 bytes (with the participant's
  name and IBAN for leefgeld) are files on disk (`var/payments`, the outbox), never in
  the database: out of scope here (the README says so).
- `AccountBook`, `Controls`, `CreditorRegister`, `StaffRegister`, `TeamRegister`,
  `Credential`, `MaatwerkBudget`, the logs (`/households`, `/ledgers`, notices, cases,
  credentials): dossiers, ids, organisations, staff, amounts: nothing personal of a
  household.

Tables beside the events:

- Read models (`huishoudboekje/projections/store.py`): `hhb_households.state` (the whole
  household, encoded as it reads: names, IBANs, address, notes) and `hhb_signals`
  (`details`, `history` with notes) are written again from the household's events after
  its erasure (`Views.catch_up`, called here), and then read `[verwijderd]`;
  `hhb_household_keys` (participant IBANs, address) holds only active households, so
  an ended one has no rows left. The old row versions are the database's to forget:
  SQLite with `secure_delete` and VACUUM, PostgreSQL with VACUUM (FULL).
- `hhb_idempotency` (`adapters/shared_state.py`): the API's stored answers, for 24 hours,
  which may hold a household as the API showed it: the rows naming the dossier are
  deleted here. `hhb_failed_signins`, `staff_sessions`, `staff_totp_steps`: staff only.
- `hhb_access_log`: at, actor, dossier, action: no personal data of the participant, and
  append-only by design: left alone.
- `hhb_personal_keys`: the keys themselves (`personal_data`).
- `hhb_projection_runners`, the event store's tracking table: positions only.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from huishoudboekje import personal_data
from huishoudboekje.domain.creditor_reports import CreditorReportQueue
from huishoudboekje.domain.ledger import COLUMN
from huishoudboekje.domain.notices import notices_id
from huishoudboekje.engine import Engine
from huishoudboekje.statements import ledgers
from huishoudboekje.trace_seals import line_owner, report_owner

IDEMPOTENCY = "hhb_idempotency"


def purge_household_traces(engine: Engine, household_id: UUID, dossier: str) -> None:
    """Destroy the keys of what else holds the household's personal data, delete its
    stored API answers, and bring the read models up to date (they then read erased)."""
    _shred(engine, [notices_id(dossier), *_resolved_lines(engine, dossier), *_assigned_reports(engine, dossier)])
    _delete_answers(engine, dossier)
    _catch_up(engine)


def erase_unmatched_before(engine: Engine, cutoff: Any, dry_run: bool = False) -> int:
    """Destroy the keys of statement lines still booked to nobody whose value date is
    before `cutoff` (the retention run); returns how many were (`dry_run`: would be) erased."""
    return _shred(engine, [line_owner(row[COLUMN.id]) for ledger in ledgers(engine) for row in ledger.rows.values()
                           if not row[COLUMN.dossier] and row[COLUMN.value_date] < cutoff.isoformat()], dry_run)


def erase_residents_before(engine: Engine, cutoff: Any, dry_run: bool = False) -> int:
    """Destroy the keys of maatwerk cases for a resident who took no part (their name,
    IBAN and problem) once the case was paid or withdrawn before `cutoff` (the retention
    run); returns how many were erased. A participant's case has the household's key."""
    from huishoudboekje.maatwerk import cases
    from huishoudboekje.trace_seals import case_owner

    owners = []
    for case in cases(engine):
        closed = getattr(case, "paid_on", None) or _withdrawn_on(case)
        if not case.proposal.dossier and closed is not None and closed < cutoff:
            owners.append(case_owner(case.number))
    return _shred(engine, owners, dry_run)


def _withdrawn_on(case: Any) -> date | None:
    withdrawn = getattr(case, "withdrawn", None)
    return date.fromisoformat(withdrawn["on"]) if withdrawn else None


def _shred(engine: Engine, owners: list[UUID], dry_run: bool = False) -> int:
    """Destroy those of `owners`' keys that still open something (an owner that never
    sealed anything has none: no tombstone per line); how many were (would be) destroyed.
    The keys are read in one query, not one per owner."""
    keyring = _keyring(engine)
    live = keyring.keys.all()
    doomed = [owner for owner in dict.fromkeys(owners) if live.get(owner.hex) is not None]
    if not dry_run:
        for owner in doomed:
            keyring.destroy(owner)
    return len(doomed)


def _keyring(engine: Engine) -> Any:
    return getattr(engine, "keyring", None) or personal_data.current()


def _resolved_lines(engine: Engine, dossier: str) -> list[UUID]:
    """The lines booked to the household, each with a key of its own if it was booked
    to nobody when imported (one booked at import has the household's key)."""
    return [line_owner(row[COLUMN.id]) for ledger in ledgers(engine) for row in ledger.rows.values()
            if row[COLUMN.dossier] == dossier]


def _assigned_reports(engine: Engine, dossier: str) -> list[UUID]:
    queue = engine.get_or_none(CreditorReportQueue.create_id())
    if queue is None:
        return []
    return [report_owner(ident) for ident, row in queue.reports.items()
            if row.get("assigned_to") == dossier or row.get("dossier") == dossier]


def _delete_answers(engine: Engine, dossier: str) -> None:
    datastore: Any = engine.factory.datastore  # type: ignore[attr-defined]
    if datastore is None:
        return  # an in-memory store keeps no answers
    from eventsourcing.postgres import PostgresDatastore

    postgres = isinstance(datastore, PostgresDatastore)
    needle = dossier.encode("utf8")
    with datastore.transaction(commit=True) as cursor:
        if postgres:
            schema = datastore.schema or "public"
            cursor.execute("SELECT to_regclass(%s) AS t", [f"{schema}.{IDEMPOTENCY}"])
            if cursor.fetchone()["t"] is None:
                return
            cursor.execute(f'DELETE FROM "{schema}".{IDEMPOTENCY} WHERE position(%s::bytea in body) > 0', [needle])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [IDEMPOTENCY])
            if cursor.fetchone() is None:
                return
            cursor.execute(f"DELETE FROM {IDEMPOTENCY} WHERE instr(body, ?) > 0", [needle])


def _catch_up(engine: Engine) -> None:
    from huishoudboekje.projections.views import Projections

    Projections(engine).catch_up()  # on the engine's own datastore: closing it would close the engine
