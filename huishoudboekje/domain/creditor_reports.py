"""Creditors' reports of arrears (vroegsignalering, issue 23): addresses, partner types,
the report itself, and what it does to a household it is matched to.

Creditors do not know our dossier numbers. A report is matched to a household by the
participant's IBAN, by postcode and house number together with the name, or by the
customer number on an agreement (the application does the looking up: `followup.py`).
What cannot be matched waits in the `CreditorReportQueue` until staff assign it.

On a household a report becomes an `external` signal (one per partner type and date
the arrears started, as before), an `eviction-planned` signal when it names a planned
eviction (critical, and first in every list), and a debt of source creditor-report:
once, keyed by its signal (a later report of the same arrears updates the amount). A
report about arrears the engine holds itself for the agreement it names (by customer
number or creditor IBAN) is linked to them instead: never a second debt.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .debts import CREDITOR_REPORT, OPEN, debt_id
from .errors import DomainError, NotFound
from .ids import NAMESPACE
from .money import Money
from .signals import CRITICAL, EVICTION_PLANNED, EXTERNAL, HIGH, SignalFact

# The law's four partner types (Wgs); a municipality adds its own by HHB_PARTNER_TYPES.
LAW_PARTNER_TYPES = ("huur", "energie", "water", "zorgverzekering")
# How VNG's exchange spells the law's four (and signals before issue 23 showed them).
VNG_SPELLING = {"huur": "Huur", "energie": "Energie", "water": "Water", "zorgverzekering": "Zorgverzekering"}
# A debt's kind from the partner type: the law's four are kinds of their own.
DEBT_KIND = {"huur": "huur", "energie": "energie", "water": "water", "zorgverzekering": "zorgverzekering",
             "gemeentelijke belastingen": "belasting", "belastingen": "belasting", "belasting": "belasting"}
_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
# What a household is known by in the read model's keys, besides those of payment files.
ADDRESS, CUSTOMER_NUMBER = "address", "customer-number"


def partner_key(text: str) -> str:
    """A partner type as compared: 'Energie', ' energie ' and 'ENERGIE' are one."""
    return " ".join(text.split()).casefold()


def check_partner(partner: str, partner_types: tuple[str, ...]) -> str:
    allowed = {partner_key(p) for p in (*LAW_PARTNER_TYPES, *partner_types)}
    if partner_key(partner) not in allowed:
        raise DomainError(f"partner type {partner!r} is not one of {', '.join(sorted(allowed))} "
                          "(a municipality adds its own with HHB_PARTNER_TYPES)", field="partnerType")
    return partner_key(partner)


def postcode(text: str) -> str:
    """A Dutch postcode as written: '1234 ab' is '1234AB'."""
    found = _POSTCODE.match(" ".join(str(text).split()))
    if not found:
        raise DomainError(f"postcode '{text}' is not a Dutch postcode such as 3511 AB", field="postcode")
    return f"{found.group(1)}{found.group(2).upper()}"


def house_number(text: Any) -> str:
    """A house number with its addition as compared: '12 a', '12-A' and '12A' are one."""
    number = re.sub(r"[\s\-]", "", str(text)).upper()
    if not re.fullmatch(r"[1-9][0-9]{0,4}[A-Z0-9]{0,6}", number):
        raise DomainError(f"house number '{text}' is not a number such as 12 or 12A", field="number")
    return number


def address_key(code: str, number: str) -> str:
    return f"{postcode(code)}|{house_number(number)}"


def checked_address(postcode_: str, number: Any, street: str | None = None,
                    place: str | None = None) -> dict[str, str | None]:
    """A household's address as a plain value (the `address` setting)."""
    return {"postcode": postcode(postcode_), "number": house_number(number),
            "street": (street or "").strip() or None, "place": (place or "").strip() or None}


def name_words(name: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return set(re.findall(r"[a-z0-9]+", plain))


def same_person(reported: str, names: list[str]) -> bool:
    """Whether the name in a report is one of these participants': its surname (the
    last word) is in the participant's name, and each other word too, or is its initial
    ('S. de Vries' is Sanne de Vries)."""
    plain = unicodedata.normalize("NFKD", reported).encode("ascii", "ignore").decode().casefold()
    words = re.findall(r"[a-z0-9]+", plain)
    if not words:
        return False
    for name in names:
        theirs = name_words(name)
        initials = {w[0] for w in theirs}
        if words[-1] in theirs and all(w in theirs or (len(w) == 1 and w in initials) for w in words[:-1]):
            return True
    return False


@dataclass(frozen=True)
class CreditorReport:
    """One creditor's report, checked: plain values, so it is stored as it is in the queue."""

    partner: str  # partner_key
    amount: str
    arrears_since: str
    signal_date: str
    crisis: bool = False
    reference: str = ""
    dossier: str | None = None
    name: str | None = None
    iban: str | None = None  # the participant's
    postcode: str | None = None
    number: str | None = None
    customer_number: str | None = None
    creditor: str | None = None
    creditor_iban: str | None = None
    eviction_date: str | None = None

    @property
    def id(self) -> str:
        """The same report, however often it is sent, has the same id."""
        text = json.dumps(asdict(self), sort_keys=True)
        return "CR-" + hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def external_key(self) -> str:
        return f"{EXTERNAL}:{self.partner}:{self.arrears_since}"

    def as_dict(self) -> dict[str, Any]:
        return {"report": self.id, **asdict(self)}


def report_of(row: dict[str, Any]) -> CreditorReport:
    return CreditorReport(**{k: v for k, v in row.items() if k != "report"})


def facts_of(report: CreditorReport) -> list[SignalFact]:
    """The signals a report makes: its arrears, and a planned eviction (critical)."""
    amount = Money(report.amount)
    details = {"partner": VNG_SPELLING.get(report.partner, report.partner), "amount": report.amount, "arrears_since": report.arrears_since,
               "signal_date": report.signal_date, "crisis": str(report.crisis).lower(),
               "reference": report.reference or report.customer_number or "", "report": report.id}
    for name in ("creditor", "customer_number", "eviction_date"):
        if getattr(report, name):
            details[name] = getattr(report, name)
    severity = CRITICAL if report.crisis or report.eviction_date else HIGH
    facts = [SignalFact(EXTERNAL, report.partner, report.arrears_since, severity, amount, details)]
    if report.eviction_date:
        facts.append(SignalFact(EVICTION_PLANNED, report.partner, report.eviction_date, CRITICAL, amount,
                                dict(details)))
    return facts


class ReportedArrears:
    """What a creditor's report does to a `Household` (a mixin; events in household.py)."""

    def receive_report(self, report: CreditorReport, on: date, actor: str) -> dict[str, int]:
        """Signals, and the arrears as a debt once (or linked to the engine's own)."""
        counts = {"new": 0}
        linked = self._engine_arrears_of(report)
        for fact in facts_of(report):
            if linked:
                fact.details["linked_to"] = linked
            counts["new"] += self.receive_external_signal(fact, on, actor)
        if linked:
            counts["linked"] = 1
        elif self.status == "active":
            counts[self._record_reported_debt(report, actor)] = 1
        return counts

    def _reported_agreement(self, report: CreditorReport) -> Any:
        """The charge the report is about: by customer number, else by the creditor's IBAN."""
        charges = [a for a in self.agreements.values() if a.kind == "charge"]
        if report.customer_number:
            found = [a for a in charges if getattr(a, "customer_number", None)
                     and _plain(a.customer_number) == _plain(report.customer_number)]
            if found:
                return found[0]
        if report.creditor_iban:
            found = [a for a in charges if a.counterparty.iban == report.creditor_iban]
            if len(found) == 1:
                return found[0]
        return None

    def _engine_arrears_of(self, report: CreditorReport) -> str | None:
        agreement = self._reported_agreement(report)
        if agreement is None or not any(d.agreement_id == agreement.id for d in self.arrears):
            return None
        return debt_id(self.dossier, f"A-{agreement.id}")

    def _record_reported_debt(self, report: CreditorReport, actor: str) -> str:
        key = report.external_key
        known = next((d for d in self.debts.values() if d.get("report") == key), None)
        if known is not None:
            if report.signal_date <= known.get("reported_on", "") or known["status"] != OPEN:
                return "debts_known"
            paid = Money(known["amount"]) - Money(known["remaining"])
            changes = {"amount": str(Money(report.amount).max(paid)), "reported_on": report.signal_date}
            if changes["amount"] == known["amount"]:
                changes.pop("amount")
            self._debt_updated(debt_id=known["id"], changes=changes, actor=actor)
            return "debts_updated"
        creditor, iban = self._creditor_of(report)
        if creditor is None or iban is None:
            return "debts_without_creditor"
        local = f"S{len(self.debts) + 1}"
        self._debt_added(debt={
            "id": local, "creditor": creditor, "iban": iban, "amount": report.amount, "remaining": report.amount,
            "since": report.arrears_since, "kind": DEBT_KIND.get(report.partner, "overig"),
            "reference": report.customer_number or report.reference or None, "source": CREDITOR_REPORT,
            "status": OPEN, "closed_on": None, "reason": None, "report": key, "reported_on": report.signal_date},
            actor=actor)
        return "debts_added"

    def _creditor_of(self, report: CreditorReport) -> tuple[str | None, str | None]:
        agreement = self._reported_agreement(report)
        if agreement is None:
            kinds = [a for a in self.agreements.values() if a.kind == "charge" and a.category == report.partner]
            agreement = kinds[0] if len(kinds) == 1 else None
        name = report.creditor or (agreement.counterparty.name if agreement else None)
        iban = report.creditor_iban or (agreement.counterparty.iban if agreement else None)
        return name, iban

    def set_customer_number(self, agreement_id: str, number: str | None, actor: str) -> None:
        agreement = self.check_agreement(agreement_id)
        number = (number or "").strip() or None
        if agreement.kind != "charge":
            raise DomainError(f"{agreement_id} is an income: a customer number is a creditor's", field="agreement")
        if getattr(agreement, "customer_number", None) != number:
            self._customer_number_set(agreement_id=agreement_id, customer_number=number, actor=actor)


def _plain(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", unicodedata.normalize("NFKC", text)).upper()


# -- the queue of reports no household could be found for --------------------------------

QUEUE_ID = uuid5(NAMESPACE, "/creditor-report-queue")


class CreditorReportQueue(Aggregate):
    """Reports that named no household we could find: they wait, never dropped, until
    staff assign each to a household (one onboarded for it, too)."""

    @staticmethod
    def create_id() -> UUID:
        return QUEUE_ID

    @event("Opened")
    def __init__(self) -> None:
        self.reports: dict[str, dict[str, Any]] = {}  # report id -> row (as_dict, with status fields)

    def queue(self, reports: list[tuple[CreditorReport, str]], on: date, actor: str) -> int:
        """(report, why) pairs not queued before; returns how many are new."""
        new, seen = [], set()
        for report, why in reports:
            if report.id in self.reports or report.id in seen:
                continue
            seen.add(report.id)
            new.append({**report.as_dict(), "why": why, "queued_on": on.isoformat(), "status": "waiting",
                        "assigned_to": None, "assigned_on": None, "assigned_by": None})
        if new:
            self._queued(reports=new, on=on, actor=actor)
        return len(new)

    def knows(self, report: CreditorReport) -> bool:
        return report.id in self.reports

    def waiting(self, ident: str) -> CreditorReport:
        row = self.reports.get(ident)
        if row is None:
            raise NotFound(f"no queued creditor report {ident}", field="report")
        if row["status"] != "waiting":
            raise DomainError(f"report {ident} was assigned to {row['assigned_to']} on {row['assigned_on']}",
                              field="report")
        fields = {k: row[k] for k in CreditorReport.__dataclass_fields__}
        return CreditorReport(**fields)

    def assign(self, ident: str, dossier: str, on: date, actor: str) -> CreditorReport:
        report = self.waiting(ident)
        self._assigned(report=ident, dossier=dossier, on=on, actor=actor)
        return report

    @event("Queued")
    def _queued(self, reports: list[dict[str, Any]], on: date, actor: str) -> None:
        self.reports = {**self.reports, **{r["report"]: dict(r) for r in reports}}

    @event("Assigned")
    def _assigned(self, report: str, dossier: str, on: date, actor: str) -> None:
        self.reports = {**self.reports, report: {**self.reports[report], "status": "assigned",
                                                 "assigned_to": dossier, "assigned_on": on.isoformat(),
                                                 "assigned_by": actor}}

    def rows(self, status: str | None = "waiting") -> list[dict[str, Any]]:
        rows = [r for r in self.reports.values() if status is None or r["status"] == status]
        return sorted(rows, key=lambda r: (r.get("eviction_date") is None, r["queued_on"], r["report"]))
