"""Creditors' reports of arrears (vroegsignalering, issue 23): checking a file, finding
each report's household without our dossier number, and the queue of what no household
was found for. All or nothing per file: every report is checked and matched before
anything is written, and households and queue are written in one transaction.

A report is matched, in this order, by the dossier it names (older files), by the
participant's IBAN, by the customer number on one of a household's agreements, or by
postcode and house number together with the participant's name. The read model's keys
(`known_by`) find the candidates; each is checked against the household as stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .domain.creditor_reports import (ADDRESS, CUSTOMER_NUMBER, QUEUE_ID, CreditorReport, CreditorReportQueue,
                                      address_key, check_partner, house_number, postcode, same_person)
from .controls import controls
from .domain.errors import DomainError
from .domain.household import Household
from .domain.iban import Iban, IbanError
from .domain.money import MoneyError, parse_money
from .domain.payment_files import PARTICIPANT_IBAN, key_of
from .domain.signals import CRITICAL, EVICTION_UNMATCHED
from .engine import Engine, NotFound
from .onboarding import DocumentError, Problem


class Index(Protocol):
    def known_by(self, kind: str, values: Iterable[str]) -> dict[str, set[str]]: ...


class CreditorSignal(BaseModel):
    """One report of arrears by a creditor (the fields of VNG's vroegsignalering exchange,
    and what the law lets a creditor share to find the household: name, address, IBAN,
    its customer number)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    dossier: str | None = Field(default=None, min_length=1)  # ours: creditors do not know it
    partner_type: str = Field(alias="partnerType")
    amount: str = Field(alias="bedrag")
    arrears_since: date = Field(alias="startdatumAchterstand")
    signal_date: date = Field(alias="signaalDatum")
    crisis: bool = Field(default=False, alias="crisisIndicatie")
    reference: str = Field(default="", alias="referentie")
    name: str | None = Field(default=None, alias="naam", max_length=140)
    iban: str | None = Field(default=None, description="The participant's IBAN")
    postcode: str | None = None
    house_number: str | int | None = Field(default=None, alias="huisnummer")
    customer_number: str | None = Field(default=None, alias="klantnummer", max_length=60)
    creditor: str | None = Field(default=None, alias="schuldeiser", max_length=140)
    creditor_iban: str | None = Field(default=None, alias="ibanSchuldeiser")
    eviction_date: date | None = Field(default=None, alias="datumUitzetting")


class CreditorSignals(BaseModel):
    signals: list[CreditorSignal]


def checked(item: CreditorSignal, partner_types: Sequence[str]) -> CreditorReport:
    """A report as plain, checked values; DomainError naming the field that is wrong."""
    try:
        amount = parse_money(item.amount)
    except MoneyError as exc:
        raise DomainError(str(exc), field="bedrag") from None
    if not amount.is_positive:
        raise DomainError("arrears must be more than 0.00", field="bedrag")
    ibans = {}
    for name, alias in (("iban", "iban"), ("creditor_iban", "ibanSchuldeiser")):
        value = getattr(item, name)
        try:
            ibans[name] = str(Iban(value)) if value else None
        except IbanError as exc:
            raise DomainError(str(exc), field=alias) from None
    if (item.postcode is None) != (item.house_number is None):
        raise DomainError("postcode and huisnummer go together", field="postcode" if item.postcode is None
                          else "huisnummer")
    try:
        number = house_number(item.house_number) if item.house_number is not None else None
    except DomainError as exc:
        raise DomainError(str(exc), field="huisnummer") from None
    if item.eviction_date is not None and item.eviction_date < item.signal_date:
        raise DomainError(f"{item.eviction_date} lies before the signal date {item.signal_date}",
                          field="datumUitzetting")
    return CreditorReport(
        partner=check_partner(item.partner_type, tuple(partner_types)), amount=str(amount),
        arrears_since=item.arrears_since.isoformat(), signal_date=item.signal_date.isoformat(), crisis=item.crisis,
        reference=item.reference.strip(), dossier=item.dossier, name=(item.name or "").strip() or None,
        iban=ibans["iban"], postcode=postcode(item.postcode) if item.postcode else None, number=number,
        customer_number=(item.customer_number or "").strip() or None, creditor=(item.creditor or "").strip() or None,
        creditor_iban=ibans["creditor_iban"],
        eviction_date=item.eviction_date.isoformat() if item.eviction_date else None)


def parse(data: Any, file: str, partner_types: Sequence[str]) -> list[CreditorReport]:
    try:
        parsed = CreditorSignals.model_validate(data if isinstance(data, dict) else {"signals": data})
    except ValidationError as exc:
        raise DocumentError(file, [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]) from None
    reports, problems = [], []
    for index, item in enumerate(parsed.signals):
        try:
            reports.append(checked(item, partner_types))
        except DomainError as exc:
            problems.append(Problem(f"signals[{index}].{exc.field}", str(exc)))
    if problems:
        raise DocumentError(file, problems)
    return reports


class Matcher:
    """Finds each report's household; loads every household once."""

    def __init__(self, engine: Engine, index: Index) -> None:
        self.engine, self.index = engine, index
        self.households: dict[str, Household] = {}

    def household(self, dossier: str) -> Household:
        if dossier not in self.households:
            self.households[dossier] = self.engine.household(dossier)
        return self.households[dossier]

    def match(self, report: CreditorReport) -> tuple[str | None, str]:
        """(dossier, how) of the one household the report is about; (None, why not)."""
        if report.dossier:
            return self.household(report.dossier).dossier, "dossier"
        ambiguous: set[str] = set()
        for how, kind, value in (("iban", PARTICIPANT_IBAN, report.iban),
                                 ("customer-number", CUSTOMER_NUMBER, report.customer_number),
                                 ("address", ADDRESS, address_key(report.postcode, report.number)
                                  if report.postcode and report.number else None)):
            if not value:
                continue
            found = sorted(d for d in self.index.known_by(kind, [value]).get(key_of(value), set())
                           if self._fits(self.household(d), how, report))
            if len(found) == 1:
                return found[0], how
            ambiguous.update(found)
        if ambiguous:
            return None, f"more than one household fits: {', '.join(sorted(ambiguous))}"
        return None, "no household has this IBAN, customer number, or address and name"

    @staticmethod
    def _fits(household: Household, how: str, report: CreditorReport) -> bool:
        """Whether the household as stored (not only its read-model row) fits the report."""
        if household.status != "active":
            return False
        if how == "iban":
            return any(p.iban == report.iban for p in household.participants)
        if how == "customer-number":
            return any(key_of(getattr(a, "customer_number", None)) == key_of(report.customer_number)
                       for a in household.agreements.values() if getattr(a, "customer_number", None))
        address = household.address or {}
        return (address.get("postcode"), address.get("number")) == (report.postcode, report.number) and \
            bool(report.name) and same_person(report.name or "", [p.name for p in household.participants])


def import_reports(engine: Engine, index: Index, data: Any, file: str, actor: str,
                   partner_types: Sequence[str] = (), on: date | None = None) -> dict[str, Any]:
    """Import a file of creditors' reports: matched ones on their households, the rest
    queued (a report already queued stays there once). All or nothing."""
    reports = parse(data, file, partner_types)
    return engine.retrying(lambda: _import_once(engine, index, reports, file, actor, on or date.today()))


def _import_once(engine: Engine, index: Index, reports: list[CreditorReport], file: str, actor: str,
                 on: date) -> dict[str, Any]:
    matcher, matched, unmatched, problems = Matcher(engine, index), [], [], []
    for number, report in enumerate(reports):
        try:
            dossier, how = matcher.match(report)
        except NotFound as exc:
            problems.append(Problem(f"signals[{number}].dossier", str(exc)))
            continue
        (matched if dossier else unmatched).append((report, dossier or how))
    if problems:
        raise DocumentError(file, problems)
    queue = engine.get_or_none(QUEUE_ID) or CreditorReportQueue()
    counts: Counter[str] = Counter()
    evictions: list[CreditorReport] = []  # queued before, matched now
    for report, dossier in matched:
        outcome = matcher.households[dossier].receive_report(report, date.fromisoformat(report.signal_date), actor)
        counts.update(outcome)
        counts["known"] += not outcome["new"]
        if queue.knows(report) and queue.reports[report.id]["status"] == "waiting":
            queue.assign(report.id, dossier, on, actor)  # found now: a household onboarded since
            evictions.append(report)
    queued = queue.queue(unmatched, on, actor)
    found = (_assigned(engine, evictions, on, actor) or [controls(engine)])[0]
    for report, _ in unmatched:
        if report.eviction_date and queue.reports[report.id]["status"] == "waiting":
            # nobody sees it on a household: the engine's own signal, until assigned
            found.raise_signal(EVICTION_UNMATCHED, _eviction_key(report), CRITICAL, _eviction_details(report), on)
    engine.save(*matcher.households.values(), *[a for a in (queue, found) if a.pending_events])
    return {"signals": len(reports), "matched": len(matched), "queued": queued,
            "waiting": len(unmatched), "new": counts["new"], "known": counts["known"],
            "debts_added": counts["debts_added"], "debts_updated": counts["debts_updated"],
            "linked": counts["linked"]}


def _eviction_key(report: CreditorReport) -> str:
    return f"{EVICTION_UNMATCHED}:{report.id}"


def _eviction_details(report: CreditorReport) -> dict[str, str]:
    return {"report": report.id, "amount": report.amount, "eviction_date": report.eviction_date or "",
            "partner": report.partner, "name": report.name or "",
            "postcode": f"{report.postcode or ''} {report.number or ''}".strip()}


def _assigned(engine: Engine, reports: list[CreditorReport], on: date, actor: str) -> list[Any]:
    """The engine's signals of these reports' evictions resolved: they are on a household now."""
    found = controls(engine)
    for report in reports:
        if found.signals.get(_eviction_key(report)) is not None:
            found.resolve(_eviction_key(report), on, actor, "assigned to a household")
    return [found] if found.pending_events else []


def waiting_reports(engine: Engine, status: str | None = "waiting") -> list[dict[str, Any]]:
    """The queue: reports no household was found for (`status` None: also assigned ones)."""
    queue = engine.get_or_none(QUEUE_ID)
    return [] if queue is None else queue.rows(status)


def rematch(engine: Engine, index: Index, actor: str, on: date | None = None) -> dict[str, Any]:
    """Match the waiting reports again: those a household now fits (onboarded with the
    address, IBAN or customer number the report names) go on it; the rest wait on."""
    def attempt() -> dict[str, Any]:
        queue = engine.get_or_none(QUEUE_ID)
        waiting = [] if queue is None else [queue.waiting(r["report"]) for r in queue.rows()]
        matcher, found = Matcher(engine, index), []
        for report in waiting:
            try:
                dossier, _ = matcher.match(report)
            except NotFound:  # a dossier in the report that is still unknown: it waits on
                continue
            if dossier:
                queue.assign(report.id, dossier, on or date.today(), actor)
                matcher.households[dossier].receive_report(report, date.fromisoformat(report.signal_date), actor)
                found.append({"report": report.id, "dossier": dossier})
        if found:
            done = [report for report in waiting if report.id in {f["report"] for f in found}]
            engine.save(*matcher.households.values(), queue, *_assigned(engine, done, on or date.today(), actor))
        return {"assigned": found, "waiting": len(waiting) - len(found)}

    return engine.retrying(attempt)


def assign(engine: Engine, report_id: str, dossier: str, actor: str, on: date | None = None) -> dict[str, Any]:
    """Put a queued report on a household (one onboarded for it, too), as an import
    matching it would have."""
    def attempt() -> dict[str, Any]:
        queue = engine.get_or_none(QUEUE_ID)
        if queue is None:
            raise NotFound(f"no queued creditor report {report_id}", field="report")
        household = engine.household(dossier)
        report = queue.assign(report_id, household.dossier, on or date.today(), actor)
        outcome = household.receive_report(report, date.fromisoformat(report.signal_date), actor)
        engine.save(household, queue, *_assigned(engine, [report], on or date.today(), actor))
        return {"report": report_id, "dossier": household.dossier, **outcome}

    return engine.retrying(attempt)
