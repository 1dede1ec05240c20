"""The projections: households, signals and account freshness, built from the events.

A projection reads the notification log from the position it last committed (on
SQLite there is no push subscription, so it polls), and writes each batch together
with its new position. `rebuild` drops everything and reads the log from the start;
the result is identical to the live one because every row is a function of the
events up to that position.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from ..domain.controls import ControlSignal, Controls
from ..domain.agreement import CHARGE
from ..domain.household import Household
from ..domain.payment_files import (BEFORE_REVIEW, CREDITOR_IBAN, PARTICIPANT_IBAN, REFERENCE, RELEASED,
                                    PaymentFile, key_of, payment_file_id)
from ..domain.run import RUN_ID, PaymentFileRecord
from ..domain.ledger import COLUMN, Ledger
from ..domain.money import Money, MoneyError
from ..domain.creditor_reports import ADDRESS, CUSTOMER_NUMBER
from ..domain.signals import OPEN, RESOLVED, SEVERITY_RANK, Signal, rank
from ..engine import Engine
from .signal_words import texts as signal_texts
from .store import TABLES, ReadModel, read_model_class

BATCH = 500
HOUSEHOLD_EVENTS = "huishoudboekje.domain.household:Household."
LEDGER_EVENTS = "huishoudboekje.domain.ledger:Ledger."
DAY_COMPLETED = "huishoudboekje.domain.run:Run.DayCompleted"
CONTROLS_EVENTS = "huishoudboekje.domain.controls:Controls."
FILE_WRITTEN = "huishoudboekje.domain.run:Run.PaymentFileWritten"
REVIEW_EVENTS = "huishoudboekje.domain.payment_files:PaymentFile."
# The household events that change what it is known by (`_key_rows`).
KEY_EVENTS = {"Onboarded", "AgreementAdded", "AgreementRevised", "SettingsChanged", "ParticipationEnded",
              "CustomerNumberSet"}


@dataclass
class _Seen:
    """What one batch of notifications touched."""

    households: dict[UUID, int] = field(default_factory=dict)  # id -> version at the batch's end
    keys_changed: set[UUID] = field(default_factory=set)
    freshest: dict[str, date] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    completed: date | None = None
    controls: dict[str, dict[str, Any]] = field(default_factory=dict)  # control signal rows, by key
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> row
    reviews: dict[UUID, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    position: int
    newest: int

    @property
    def lag(self) -> int:
        return max(0, self.newest - self.position)

    def as_dict(self) -> dict[str, int]:
        return {"position": self.position, "newest_event": self.newest, "events_behind": self.lag}


class Projections:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        cls = read_model_class(engine.env.get("PERSISTENCE_MODULE") or "")
        self.view: ReadModel = engine.factory.tracking_recorder(cls)  # type: ignore[assignment]
        self._filled = False  # `_fill_new_tables` looked, once per process

    # -- keeping up ------------------------------------------------------------------

    def status(self) -> Status:
        position = self.view.max_tracking_id(self.engine.name) or 0  # type: ignore[attr-defined]
        return Status(position, self.engine.recorder.max_notification_id() or 0)

    def catch_up(self, batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> int:
        """Process every event not yet projected; returns how many were processed."""
        processed = 0
        status = self.status()
        if not self._filled:
            self._fill_new_tables(status)
        start = status.position + 1
        while True:
            notifications = self.engine.recorder.select_notifications(start=start, limit=batch)
            if not notifications:
                return processed
            try:
                self._project(notifications, after=start - 1)
            except IntegrityError:
                # Another process projected this batch first (the tracking row says so):
                # nothing was written here; carry on from where it got to.
                start = self.status().position + 1
                continue
            processed += len(notifications)
            start = notifications[-1].id + 1
            if progress:
                progress(notifications[-1].id, status.newest)

    def rebuild(self, batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> int:
        self.view.reset(self.engine.name)
        return self.catch_up(batch, progress)

    def _fill_new_tables(self, status: Status) -> None:
        """A read model projected by a version before payment-file review has no rows in
        the tables it added, for the events it projected then: they are filled once, from
        what it holds (households' keys) and from the job's `Run` (its files, sent before
        review), exactly as a rebuild would fill them."""
        self._filled = True
        if status.position == 0:
            return
        upserts: dict[str, list[dict[str, Any]]] = {}
        if self.view.row("SELECT row_key FROM {t}hhb_household_keys LIMIT 1") is None:
            upserts["hhb_household_keys"] = [row for found in self.view.rows("SELECT dossier FROM {t}hhb_households")
                                             for row in _key_rows(self.household(found["dossier"]))]
        run = self.engine.get_or_none(RUN_ID)
        if run is not None and run.files and self.view.row("SELECT name FROM {t}hhb_payment_files LIMIT 1") is None:
            upserts["hhb_payment_files"] = [file_row(record, BEFORE_REVIEW) for name, record in run.files.items()
                                            if self.engine.get_or_none(payment_file_id(name)) is None]
        if any(upserts.values()):
            self.view.write(upserts)

    def _project(self, notifications: list[Any], after: int | None = None) -> None:
        seen = _Seen()
        for notification in notifications:
            seen.counts[notification.topic.rsplit(":", 1)[-1]] += 1
            topic = notification.topic
            if topic.startswith(HOUSEHOLD_EVENTS):
                seen.households[notification.originator_id] = notification.originator_version
                if topic.rsplit(".", 1)[-1] in KEY_EVENTS:
                    seen.keys_changed.add(notification.originator_id)
            elif topic.startswith(LEDGER_EVENTS):
                # What a ledger event says of freshness is in the event itself: a ledger
                # (a month of an account, in many events) is not loaded for it.
                for account, newest in _value_dates(self.engine.mapper.to_domain_event(notification)):
                    if newest > seen.freshest.get(account, date.min):
                        seen.freshest[account] = newest
            elif topic == DAY_COMPLETED:
                seen.completed = self.engine.mapper.to_domain_event(notification).day  # days complete in order
            elif topic.startswith(CONTROLS_EVENTS):
                self._control_event(seen, self.engine.mapper.to_domain_event(notification))
            elif topic == FILE_WRITTEN:  # before its review's events, which come in the same write
                record = self.engine.mapper.to_domain_event(notification).file
                seen.files[record.name] = file_row(record, BEFORE_REVIEW)
            elif topic.startswith(REVIEW_EVENTS):
                seen.reviews[notification.originator_id] = notification.originator_version
        upserts, deletes = self._changes(seen)
        tracking = Tracking(self.engine.name, notifications[-1].id)
        self.view.apply(upserts, dict(seen.counts), tracking, deletes, after)

    def _changes(self, seen: _Seen) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, str, str]]]:
        upserts: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES if table != "hhb_event_counts"}
        deletes: list[tuple[str, str, str]] = []
        if seen.completed is not None:
            upserts["hhb_runs"].append({"run": "run", "completed_through": seen.completed.isoformat()})
        current = self.view.versions([str(hid) for hid in seen.households])
        for hid, version in seen.households.items():
            if current.get(str(hid)) == version and hid not in seen.keys_changed:
                continue  # written at this version already, by the job that saved it (`write_paid`)
            household = self.engine.repository.get(hid, version=version)
            upserts["hhb_households"].append(self._household_row(household))
            upserts["hhb_signals"].extend(_signal_row(household, s) for s in household.signals.values())
            if hid in seen.keys_changed:  # what it is known by: written again whole
                deletes.append(("hhb_household_keys", "dossier", household.dossier))
                upserts["hhb_household_keys"].extend(_key_rows(household))
        upserts["hhb_signals"].extend(seen.controls.values())
        for ident, version in seen.reviews.items():
            review = self.engine.repository.get(ident, version=version)
            seen.files[review.name] = review_row(review)
            if review.state == RELEASED:  # its payments are sent now
                deletes.append(("hhb_unreleased", "file", review.name))
            else:
                upserts["hhb_unreleased"].extend({"instruction_id": i, "file": review.name}
                                                 for i in review.record.instruction_ids)
        upserts["hhb_payment_files"].extend(seen.files.values())
        for account, newest in seen.freshest.items():
            known = self.data_as_of(account)
            upserts["hhb_accounts"].append(
                {"account": account, "newest_value_date": max(newest, known or newest).isoformat()})
        return upserts, deletes

    def _control_event(self, seen: _Seen, event: Any) -> None:
        """A control's signal row from its own events (the `Controls` forget resolved ones)."""
        if isinstance(event, Controls.SignalRaised):
            seen.controls[event.key] = _control_row(ControlSignal(
                event.key, event.rule, event.severity, dict(event.details), event.on, history=(
                    {"on": event.on.isoformat(), "status": OPEN, "by": "system", "note": ""},)))
        elif isinstance(event, Controls.SignalResolved):
            row = seen.controls.get(event.key) or self.view.row(
                "SELECT * FROM {t}hhb_signals WHERE signal_id = :key", {"key": event.key})
            if row is None:
                return
            entry = {"on": event.on.isoformat(), "status": RESOLVED, "by": event.actor, "note": event.note}
            seen.controls[event.key] = {**row, "status": RESOLVED, "changed_on": event.on.isoformat(),
                                        "history": json.dumps([*json.loads(row["history"]), entry])}

    def _household_row(self, household: Household) -> dict[str, Any]:
        # In one order whatever made it: a household loaded from a snapshot has its id and
        # version last, one the job just paid (`write_paid`) first.
        state = {k: household.__dict__[k] for k in sorted(household.__dict__) if k != "_pending_events"}
        mapper: Any = self.engine.mapper  # personal values sealed, as in the events (`personal_data.py`)
        encoded = mapper.transcoder.encode(mapper.sealed_state(household.id, state)).decode("utf8")
        arrears = sum(d.amount.cents for d in household.arrears)
        return {
            "dossier": household.dossier,
            "household_id": str(household.id),
            "team": household.team,
            "status": household.status,
            "version": household.version,
            "buffer_outstanding": str(household.buffer_outstanding),
            "arrears_count": len(household.arrears),
            "arrears_amount": _cents(arrears),
            "account": household.account,
            "state": encoded,
        }

    def write_paid(self, households: Iterable[Household]) -> None:
        """The rows of households the nightly job has just saved, written by the job's own
        process (each worker its own part of the night, at once) from the households it
        holds: the catch-up after it finds them at their version and does not load and
        write them again, which made the catch-up after a night about as long as the
        night itself, and one process's work whatever the number of workers. A row is
        exactly the one the catch-up would write at that version; a household written
        again meanwhile keeps its newer row (`ReadModel.write_newer`)."""
        households = list(households)
        self.view.write_newer([self._household_row(h) for h in households],
                              [_signal_row(h, s) for h in households for s in h.signals.values()])

    def refresh_household(self, dossier: str) -> None:
        """Write a household's rows anew from what its events read now: after its erasure,
        `[verwijderd]` where its personal data was (issue 24). The position stays; a later
        catch-up that projects it again reads the same."""
        household = self.engine.household(dossier)
        self.view.write({"hhb_households": [self._household_row(household)],
                         "hhb_signals": [_signal_row(household, s) for s in household.signals.values()],
                         "hhb_household_keys": _key_rows(household)},
                        deletes=[("hhb_signals", "dossier", dossier), ("hhb_household_keys", "dossier", dossier)])

    # -- reading ---------------------------------------------------------------------

    def household(self, dossier: str) -> Household | None:
        row = self.view.row("SELECT state FROM {t}hhb_households WHERE dossier = :dossier", {"dossier": dossier})
        if row is None:
            return None
        household = object.__new__(Household)
        mapper: Any = self.engine.mapper
        state = mapper.transcoder.decode(mapper.reveal(row["state"].encode("utf8")))
        Household.upcast_v2_v3(state)  # a row projected before version 3
        Household.upcast_v3_v4(state)  # or before version 4 (nothing held, no claim)
        Household.upcast_v4_v5(state)  # or before version 5 (no pay date's inputs, no supplement)
        household.__dict__.update(state)
        household.__dict__["_pending_events"] = []
        return household

    def households(self, team: str | None = None) -> list[dict[str, Any]]:
        query = ("SELECT dossier, household_id, team, status, buffer_outstanding, arrears_count, arrears_amount,"
                 " account FROM {t}hhb_households")
        if team:
            return self.view.rows(query + " WHERE team = :team ORDER BY dossier", {"team": team})
        return self.view.rows(query + " ORDER BY dossier")

    def open_signals_by_rule(self) -> dict[str, int]:
        rows = self.view.rows("SELECT rule, COUNT(*) AS n FROM {t}hhb_signals WHERE status = 'open' GROUP BY rule")
        return {row["rule"]: int(row["n"]) for row in rows}

    def data_as_of(self, account: str) -> date | None:
        row = self.view.row("SELECT newest_value_date FROM {t}hhb_accounts WHERE account = :account",
                            {"account": account})
        return date.fromisoformat(row["newest_value_date"]) if row else None

    def filed_through(self) -> date | None:
        """The last day the nightly job completed: every payment issued on it or before is
        in a payment file. None: no day completed yet, or a read model projected before
        this was kept (`hhb projections rebuild` fills it in; so does the next night)."""
        row = self.view.row("SELECT completed_through FROM {t}hhb_runs WHERE run = 'run'")
        return date.fromisoformat(row["completed_through"]) if row else None

    def payment_files(self, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The payment files (`hhb_payment_files` rows), by name; of `states` only if given."""
        query = "SELECT * FROM {t}hhb_payment_files"
        if states:
            params = {f"s{n}": state for n, state in enumerate(states)}
            return self.view.rows(query + f" WHERE state IN ({', '.join(':' + k for k in params)}) ORDER BY name",
                                  params)
        return self.view.rows(query + " ORDER BY name")

    def unreleased(self, instruction_ids: Iterable[str]) -> set[str]:
        """Those of `instruction_ids` in a payment file not released: not sent to the bank."""
        ids = sorted(set(instruction_ids))
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            params = {f"i{n}": ident for n, ident in enumerate(ids[start:start + 500])}
            found.update(row["instruction_id"] for row in self.view.rows(
                "SELECT instruction_id FROM {t}hhb_unreleased WHERE instruction_id IN "
                f"({', '.join(':' + k for k in params)})", params))
        return found

    def known_by(self, kind: str, values: Iterable[str]) -> dict[str, set[str]]:
        """The active households known by each of `values` (`key_of`), of one `kind`:
        participant-iban, creditor-iban or reference."""
        keys = sorted({key_of(v) for v in values} - {""})
        found: dict[str, set[str]] = {}
        for start in range(0, len(keys), 500):
            params = {f"v{n}": value for n, value in enumerate(keys[start:start + 500])}
            for row in self.view.rows("SELECT key_value, dossier FROM {t}hhb_household_keys WHERE kind = :kind "
                                      f"AND key_value IN ({', '.join(':' + k for k in params)})",
                                      {"kind": kind, **params}):
                found.setdefault(row["key_value"], set()).add(row["dossier"])
        return found

    def signals(self, dossier: str | None = None, team: str | None = None, status: str | None = None,
                *, households: bool = True, controls: bool = False) -> list[dict[str, Any]]:
        """Households' signals (of `dossier`, of `team`) and, with `controls`, the engine's
        own (`domain/controls.py`, no dossier, no team), each with `status`."""
        mine, params = ["dossier <> ''"], {}
        for column, value in (("dossier", dossier), ("team", team)):
            if value:
                mine.append(f"{column} = :{column}")
                params[column] = value
        scopes = ([f"({' AND '.join(mine)})"] if households else []) + (["dossier = ''"] if controls else [])
        if not scopes:
            return []
        where = f" WHERE ({' OR '.join(scopes)})"
        if status:
            where += " AND status = :status"
            params["status"] = status
        rows = self.view.rows(
            "SELECT * FROM {t}hhb_signals" + where +
            " ORDER BY severity_rank, CASE status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END,"
            " amount_cents DESC, raised_on, signal_id", params)
        return [_signal_out(row) for row in rows]

    def event_counts(self) -> dict[str, int]:
        return {r["event_type"]: int(r["event_count"]) for r in self.view.rows(
            "SELECT event_type, event_count FROM {t}hhb_event_counts")}

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        return self.view.dump()

    def close(self) -> None:
        self.view.datastore.close()  # type: ignore[attr-defined]


def file_row(record: PaymentFileRecord, state: str) -> dict[str, Any]:
    return {"name": record.name, "file_day": record.day.isoformat() if record.day else None, "state": state,
            "debtor_account": record.debtor_account, "payments": record.count,
            "control_sum": str(record.control_sum), "sha256": record.sha256, "message_id": record.message_id,
            "pain_version": record.version, "first_execution": None, "changed_by": None, "changed_on": None,
            "reason": None}


def review_row(review: PaymentFile) -> dict[str, Any]:
    last = review.history[-1] if review.history else {}
    return {**file_row(review.record, review.state), "first_execution": review.first_execution.isoformat(),
            "changed_by": last.get("by"), "changed_on": last.get("on"), "reason": last.get("reason") or None}


def _key_rows(household: Household) -> list[dict[str, Any]]:
    """What an active household is known by: its participants' IBANs, its creditors'
    references and IBANs, its address and its creditors' customer numbers (normalised,
    `key_of`; the last two find a creditor's report its household, issue 23)."""
    if household.status != "active":
        return []
    keys = {(PARTICIPANT_IBAN, key_of(p.iban)) for p in household.participants}
    address = getattr(household, "address", None)
    if address:
        keys.add((ADDRESS, key_of(f"{address['postcode']}|{address['number']}")))
    for agreement in household.agreements.values():
        if agreement.kind == CHARGE:
            keys.add((CREDITOR_IBAN, key_of(agreement.counterparty.iban)))
            if agreement.reference:
                keys.add((REFERENCE, key_of(agreement.reference)))
            if getattr(agreement, "customer_number", None):
                keys.add((CUSTOMER_NUMBER, key_of(agreement.customer_number)))
    return [{"row_key": f"{kind}|{value}|{household.dossier}", "kind": kind, "key_value": value,
             "dossier": household.dossier} for kind, value in sorted(keys) if value]


def _cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _signal_row(household: Household, signal: Signal) -> dict[str, Any]:
    return {
        "signal_id": f"{household.dossier}|{signal.key}",
        "dossier": household.dossier,
        "team": household.team,
        "rule": signal.rule,
        "agreement": signal.agreement_id,
        "period": signal.period,
        "severity": signal.severity,
        "severity_rank": rank(signal.rule, signal.severity) if signal.is_open else SEVERITY_RANK[signal.severity],
        "status": signal.status,
        "amount_cents": signal.amount.cents,
        "raised_on": signal.raised_on.isoformat(),
        "changed_on": signal.changed_on.isoformat(),
        "details": json.dumps(signal.details, sort_keys=True),
        "history": json.dumps(list(signal.history)),
    }


def _control_row(signal: ControlSignal) -> dict[str, Any]:
    """A control's signal in the signals table: no dossier, no team (stored as '')."""
    try:
        cents = Money(signal.details.get("amount", "0.00")).cents
    except MoneyError:
        cents = 0
    return {
        "signal_id": signal.key,
        "dossier": "",
        "team": "",
        "rule": signal.rule,
        "agreement": None,
        "period": signal.raised_on.isoformat(),
        "severity": signal.severity,
        "severity_rank": rank(signal.rule, signal.severity) if signal.is_open else SEVERITY_RANK[signal.severity],
        "status": signal.status,
        "amount_cents": cents,
        "raised_on": signal.raised_on.isoformat(),
        "changed_on": (signal.changed_on or signal.raised_on).isoformat(),
        "details": json.dumps(signal.details, sort_keys=True),
        "history": json.dumps(list(signal.history)),
    }


def _signal_out(row: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": row["signal_id"],
        "dossier": row["dossier"] or None,
        "team": row["team"] or None,
        "rule": row["rule"],
        "agreement": row["agreement"],
        "period": row["period"],
        "severity": row["severity"],
        "status": row["status"],
        "amount": _cents(int(row["amount_cents"])),
        "raised_on": row["raised_on"],
        "changed_on": row["changed_on"],
        "details": json.loads(row["details"]),
        "history": json.loads(row["history"]),
    }
    out["text"] = signal_texts(out)  # what staff read: Dutch, and English
    return out


def _value_dates(event: Any) -> list[tuple[str, date]]:
    """The newest value date per account among the transactions a ledger event records."""
    if isinstance(event, Ledger.TransactionsImported):
        newest: dict[str, str] = {}
        account, valued = COLUMN.account, COLUMN.value_date
        for row in event.rows:
            newest[row[account]] = max(newest.get(row[account], ""), row[valued])  # ISO dates sort as dates
        return [(account, date.fromisoformat(day)) for account, day in newest.items()]
    if isinstance(event, Ledger.TransactionsRecorded):  # stores from before rows
        return [(r.transaction.account, r.transaction.value_date) for r in event.transactions]
    return []
