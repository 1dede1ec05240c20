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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from ..domain.controls import CONTROLS_ID, ControlSignal
from ..domain.household import Household
from ..domain.ledger import COLUMN, Ledger
from ..domain.money import Money, MoneyError
from ..domain.signals import SEVERITY_RANK, Signal
from ..engine import Engine
from .store import ReadModel, read_model_class

BATCH = 500
HOUSEHOLD_EVENTS = "huishoudboekje.domain.household:Household."
LEDGER_EVENTS = "huishoudboekje.domain.ledger:Ledger."
DAY_COMPLETED = "huishoudboekje.domain.run:Run.DayCompleted"
CONTROLS_EVENTS = "huishoudboekje.domain.controls:Controls."


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

    # -- keeping up ------------------------------------------------------------------

    def status(self) -> Status:
        position = self.view.max_tracking_id(self.engine.name) or 0  # type: ignore[attr-defined]
        return Status(position, self.engine.recorder.max_notification_id() or 0)

    def catch_up(self, batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> int:
        """Process every event not yet projected; returns how many were processed."""
        processed = 0
        status = self.status()
        start = status.position + 1
        while True:
            notifications = self.engine.recorder.select_notifications(start=start, limit=batch)
            if not notifications:
                return processed
            try:
                self._project(notifications)
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

    def _project(self, notifications: list[Any]) -> None:
        households: dict[UUID, int] = {}
        freshest: dict[str, date] = {}
        counts: Counter[str] = Counter()
        completed: date | None = None
        controls: int | None = None  # the version of the controls at the batch's end
        for notification in notifications:
            counts[notification.topic.rsplit(":", 1)[-1]] += 1
            if notification.topic.startswith(HOUSEHOLD_EVENTS):
                households[notification.originator_id] = notification.originator_version
            elif notification.topic.startswith(LEDGER_EVENTS):
                # What a ledger event says of freshness is in the event itself: a ledger
                # (a month of an account, in many events) is not loaded for it.
                for account, newest in _value_dates(self.engine.mapper.to_domain_event(notification)):
                    if newest > freshest.get(account, date.min):
                        freshest[account] = newest
            elif notification.topic == DAY_COMPLETED:
                completed = self.engine.mapper.to_domain_event(notification).day  # days complete in order
            elif notification.topic.startswith(CONTROLS_EVENTS):
                controls = notification.originator_version
        upserts: dict[str, list[dict[str, Any]]] = {"hhb_households": [], "hhb_signals": [], "hhb_accounts": [],
                                                     "hhb_runs": []}
        if completed is not None:
            upserts["hhb_runs"].append({"run": "run", "completed_through": completed.isoformat()})
        for hid, version in households.items():
            household = self.engine.repository.get(hid, version=version)
            upserts["hhb_households"].append(self._household_row(household))
            upserts["hhb_signals"].extend(_signal_row(household, s) for s in household.signals.values())
        if controls is not None:  # its state keeps what changed lately (`KEEP_DAYS`): rows of older ones stay
            state = self.engine.repository.get(CONTROLS_ID, version=controls)
            upserts["hhb_signals"].extend(_control_row(s) for s in state.signals.values())
        for account, newest in freshest.items():
            known = self.data_as_of(account)
            upserts["hhb_accounts"].append(
                {"account": account, "newest_value_date": max(newest, known or newest).isoformat()})
        tracking = Tracking(self.engine.name, notifications[-1].id)
        self.view.apply(upserts, dict(counts), tracking)

    def _household_row(self, household: Household) -> dict[str, Any]:
        state = {k: v for k, v in household.__dict__.items() if k != "_pending_events"}
        encoded = self.engine.mapper.transcoder.encode(state).decode("utf8")
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

    # -- reading ---------------------------------------------------------------------

    def household(self, dossier: str) -> Household | None:
        row = self.view.row("SELECT state FROM {t}hhb_households WHERE dossier = :dossier", {"dossier": dossier})
        if row is None:
            return None
        household = object.__new__(Household)
        state = self.engine.mapper.transcoder.decode(row["state"].encode("utf8"))
        Household.upcast_v2_v3(state)  # a row projected before version 3
        Household.upcast_v3_v4(state)  # or before version 4 (nothing held, no claim)
        household.__dict__.update(state)
        household.__dict__["_pending_events"] = []
        return household

    def households(self, team: str | None = None) -> list[dict[str, Any]]:
        query = ("SELECT dossier, household_id, team, status, buffer_outstanding, arrears_count, arrears_amount,"
                 " account FROM {t}hhb_households")
        if team:
            return self.view.rows(query + " WHERE team = :team ORDER BY dossier", {"team": team})
        return self.view.rows(query + " ORDER BY dossier")

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
        "severity_rank": SEVERITY_RANK[signal.severity],
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
        "severity_rank": SEVERITY_RANK[signal.severity],
        "status": signal.status,
        "amount_cents": cents,
        "raised_on": signal.raised_on.isoformat(),
        "changed_on": (signal.changed_on or signal.raised_on).isoformat(),
        "details": json.dumps(signal.details, sort_keys=True),
        "history": json.dumps(list(signal.history)),
    }


def _signal_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
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
