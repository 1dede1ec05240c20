"""Onboarding and changing households, all-or-nothing per call.

Onboarding a document that is already in the store writes nothing; an edited
document becomes exactly the events for what changed. Every document of one call is
checked before any is written, and all are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from .domain.agreement import CHARGE, Agreement
from .domain.creditor_reports import checked_address
from .domain.household import ACTIVE, Household, HouseholdError, household_id
from .domain.money import Money
from .domain.payment_files import PARTICIPANT_IBAN, REFERENCE, key_of
from .domain.run import Run
from .domain.team import TeamError
from .engine import Engine
from .onboarding import (ONBOARD, DocumentError, HouseholdSpec, Problem, RecordedChange, RevertsChanges, dry_run,
                         may_revert, reverted_changes)
from .retry import retrying



class Onboarding(StrEnum):
    """What onboarding did with one document."""
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"


CREATED, UNCHANGED, UPDATED = Onboarding


@dataclass(frozen=True)
class Onboarded:
    dossier: str
    household_id: str
    status: str
    # What another household uses too (a participant's IBAN, a creditor's reference): a
    # warning, not a refusal, since two dossiers of one household are a typo but a
    # shared account can be real (`shared_with_others`). Not in `as_dict`: the CLI
    # prints warnings on stderr.
    warnings: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, str]:
        return {"dossier": self.dossier, "household_id": self.household_id, "status": self.status}


def onboard(engine: Engine, specs: list[tuple[str, HouseholdSpec]], actor: str, *,
            managed: Sequence[str], replace: bool = False) -> list[Onboarded]:
    """Onboard or update every (file, spec); nothing is written unless all succeed.

    `managed`: the municipality's managed accounts (HHB_MANAGED_ACCOUNTS), the only
    accounts a household may name as its own `account`. A document that would undo a
    change another command recorded is refused (`RevertsChanges`) unless `replace`.
    """
    _check_accounts(specs, managed)
    _check_teams(engine, specs)
    # another process wrote in between: look again
    return retrying(lambda: _onboard_once(engine, specs, actor, replace), attempts=4)


def preview(engine: Engine, specs: list[tuple[str, HouseholdSpec]], actor: str, *, managed: Sequence[str],
            as_of: date, replace: bool = False) -> list[dict[str, Any]]:
    """What `onboard` would do, writing nothing: per document the events it would write
    and the forecast of the household's next pay date as of `as_of` (`dry_run`).
    Refuses what `onboard` refuses."""
    _check_accounts(specs, managed)
    _check_teams(engine, specs)
    results, households = _plan(engine, specs, actor, replace)
    return [dry_run(result.status, household, as_of) for result, household in zip(results, households)]


def _check_accounts(specs: list[tuple[str, HouseholdSpec]], managed: Sequence[str]) -> None:
    """The job pays a household from its `account` and imports only statements of
    managed accounts: any other account would get payment files debiting an account we
    do not hold, and incomes that can never be booked. Checked for new and edited
    documents alike, since an edit can change the account too."""
    for file, spec in specs:
        if spec.account is not None and spec.account not in managed:
            raise DocumentError(file, [Problem(
                "account", f"{spec.account} is not one of the managed accounts "
                f"(HHB_MANAGED_ACCOUNTS: {', '.join(managed)}); leave `account` out to use the first")])
        problems = _crossed_accounts(spec, managed)
        if problems:
            raise DocumentError(file, problems)


def _check_teams(engine: Engine, specs: list[tuple[str, HouseholdSpec]]) -> None:
    """Every household belongs to a registered team (`hhb teams add`): a typo or a
    look-alike name would otherwise start a team of its own that no staff member sees."""
    from . import teams

    register = teams.register(engine)
    for file, spec in specs:
        try:
            register.require(spec.team)
        except TeamError as exc:
            raise DocumentError(file, [Problem("team", str(exc).removeprefix("team: "))]) from None


def _crossed_accounts(spec: HouseholdSpec, managed: Sequence[str]) -> list[Problem]:
    """Accounts that would make the engine pay the wrong party: leefgeld to a landlord or
    back into a managed account, a charge paid from the managed account to itself."""
    problems = []
    charges = [a for a in spec.agreements if a.kind == CHARGE]
    creditors = {}
    for index, charge in enumerate(charges):
        creditors.setdefault(charge.counterparty.iban, charge)
        if charge.counterparty.iban in managed:
            problems.append(Problem(f"charges[{index}].counterparty.iban",
                                    f"{charge.counterparty.iban} is one of the municipality's managed accounts "
                                    "(HHB_MANAGED_ACCOUNTS); a charge is paid to the creditor's own account"))
    for index, participant in enumerate(spec.participants):
        where = f"participants[{index}].iban"
        if participant.iban in managed:
            problems.append(Problem(where, f"{participant.iban} is one of the municipality's managed accounts "
                                           "(HHB_MANAGED_ACCOUNTS); leefgeld is paid to the participant's own account"))
        elif participant.iban in creditors:
            charge = creditors[participant.iban]
            problems.append(Problem(where, f"{participant.iban} is the account of {charge.counterparty.name}, "
                                           f"the creditor of charge '{charge.id}'; leefgeld is paid to the "
                                           "participant's own account"))
    return problems


def _onboard_once(engine: Engine, specs: list[tuple[str, HouseholdSpec]], actor: str,
                  replace: bool) -> list[Onboarded]:
    results, households = _plan(engine, specs, actor, replace)
    _save(engine, [h for r, h in zip(results, households) if r.status == CREATED],
          [h for r, h in zip(results, households) if r.status == UPDATED])
    return results


def _plan(engine: Engine, specs: list[tuple[str, HouseholdSpec]], actor: str,
          replace: bool) -> tuple[list[Onboarded], list[Household]]:
    """Every document as its household with the events onboarding it makes, unsaved."""
    dossiers = [spec.dossier for _, spec in specs]
    for file, spec in specs:
        if dossiers.count(spec.dossier) > 1:
            raise DocumentError(file, [Problem("dossier", f"{spec.dossier} appears in more than one document")])
    results, households = [], []
    for file, spec in specs:
        try:
            household = engine.get_or_none(household_id(spec.dossier))
            if household is None:
                household = _new_household(spec, actor)
                status = CREATED
            else:
                reverted = _reverted(engine, household, spec)
                if reverted and not replace:
                    raise RevertsChanges(file, reverted)
                status = UPDATED if _apply_changes(household, spec, actor, reverted) else UNCHANGED
        except HouseholdError as exc:
            raise DocumentError(file, [_problem_of(exc)]) from None
        results.append(Onboarded(spec.dossier, str(household.id), status))
        households.append(household)
    return results, households


def _reverted(engine: Engine, household: Household, spec: HouseholdSpec) -> list[RecordedChange]:
    """Changes of other commands the document would undo (read from the household's
    events only when the document differs where a command could have changed it)."""
    if household.status != "active" or not may_revert(household, spec):
        return []
    return reverted_changes(household, spec, engine.events.get(household.id))


def _save(engine: Engine, new: list[Household], changed: list[Household]) -> None:
    if not new and not changed:
        return
    items: list[Any] = [*new, *changed]
    last = engine.household_log.get_last()
    version = None if last is None else last.originator_version + 1
    for household in new:
        logged = engine.household_log.trigger_event(
            next_originator_version=version, household_id=household.id, dossier=household.dossier
        )
        items.append(logged)
        version = logged.originator_version + 1
    engine.save(*items)


def _new_household(spec: HouseholdSpec, actor: str) -> Household:
    household = Household(
        dossier=spec.dossier,
        team=spec.team,
        start=spec.start,
        pay_day=spec.pay_day,
        buffer_limit=spec.buffer_limit,
        minimum_leefgeld=spec.minimum_leefgeld,
        leefgeld_schedule=spec.leefgeld_schedule,
        execute_on=spec.execute_on,
        participants=spec.participants,
        account=spec.account,
        actor=actor,
    )
    defaults = {"participant_ceiling": None, "buffer_covers_leefgeld": True, "buffer_repayment_max": None,
                "leefgeld_target": None, "paid_from": None, "coach": None, "address": None}
    chosen = {name: value for name, value in _settings(spec).items() if name in defaults and value != defaults[name]}
    if chosen:
        household.change_settings(chosen, actor)
    for agreement in spec.agreements:
        household.add_agreement(agreement, actor)
    _apply_consent(household, spec, actor)
    if spec.end is not None:
        household.end_participation(spec.end, actor)
    return household


def _apply_consent(household: Household, spec: HouseholdSpec, actor: str) -> None:
    """The document's consent, when it is new: not recorded yet, or given on a later day
    (a consent recorded since by `hhb consent`, or withdrawn, is not undone by an older
    document)."""
    if spec.consent is None:
        return
    on, way = spec.consent
    current = household.consent
    if current is None or (not current["withdrawn"] and on.isoformat() > current["on"]):
        household.record_consent(on, way, actor)


def _apply_changes(household: Household, spec: HouseholdSpec, actor: str,
                   replaced: list[RecordedChange]) -> bool:
    """Turn the differences between the stored household and the document into events;
    `replaced`: the changes of other commands it undoes, on purpose (`--replace`)."""
    before = len(household.pending_events)
    if spec.start != household.start:
        raise HouseholdError(f"start: was {household.start}; a start date cannot change")
    if household.status != ACTIVE:
        if spec.end != household.end:
            raise HouseholdError(f"end: {household.dossier} ended on {household.end}")
        return False
    if replaced:
        household.replace_changes([change.as_dict() for change in replaced], actor)
    if spec.pay_day != household.pay_day_on(date.max):
        pay_day = next((c for c in replaced if c.command == "pay-day"), None)
        if pay_day is None:
            raise HouseholdError(
                "pay_day: change it with `hhb pay-day DOSSIER DAY --from DATE`, "
                "so the date it takes effect is explicit"
            )
        # back to the document's pay day from where the change took effect, or after the last pay date
        last = household.last_pay_date
        effective = pay_day.effective if last is None else max(pay_day.effective, last + timedelta(days=1))
        household.change_pay_day(spec.pay_day, effective, actor, via=ONBOARD)
    household.change_settings(_settings(spec), actor)
    wanted = {a.id: a for a in spec.agreements}
    for agreement_id in household.agreements:
        if agreement_id not in wanted:
            raise HouseholdError(
                f"agreement '{agreement_id}' is missing from the document; "
                "end it with `end: DATE` instead of removing it"
            )
    for agreement in spec.agreements:
        _apply_agreement(household, agreement, actor)
    _apply_consent(household, spec, actor)
    if spec.end is not None:
        household.end_participation(spec.end, actor)
    return len(household.pending_events) > before


def _apply_agreement(household: Household, wanted: Agreement, actor: str) -> None:
    current = household.agreements.get(wanted.id)
    if current is not None and wanted.customer_number is None and current.customer_number:
        # a document without one keeps what `hhb customer-number` set (issue 23)
        wanted = dataclasses.replace(wanted, customer_number=current.customer_number)
    if current is None:
        household.add_agreement(wanted, actor)
    elif wanted == current:
        return
    elif dataclasses.replace(current, customer_number=wanted.customer_number) == wanted:
        household.set_customer_number(wanted.id, wanted.customer_number, actor)
    elif wanted.end is not None and current.ended_on(wanted.end) == wanted:
        household.end_agreement(wanted.id, wanted.end, actor, via=ONBOARD)
    elif wanted.definition() == current.definition() and _extends(current, wanted):
        for step in wanted.amounts[len(current.amounts):]:
            household.change_amount(wanted.id, step.amount, step.effective, actor, via=ONBOARD)
    else:
        household.revise_agreement(wanted, actor)


def _extends(current: Agreement, wanted: Agreement) -> bool:
    """Whether the document only adds later amounts to the stored amount history."""
    return wanted.amounts[: len(current.amounts)] == current.amounts


def _settings(spec: HouseholdSpec) -> dict[str, Any]:
    return {
        "team": spec.team,
        "buffer_limit": spec.buffer_limit,
        "minimum_leefgeld": spec.minimum_leefgeld,
        "leefgeld_schedule": spec.leefgeld_schedule,
        "execute_on": spec.execute_on,
        "participants": list(spec.participants),
        "account": spec.account,
        "participant_ceiling": spec.participant_ceiling,
        "paid_from": spec.paid_from,
        "buffer_covers_leefgeld": spec.buffer_covers_leefgeld,
        "buffer_repayment_max": spec.buffer_repayment_max,
        "leefgeld_target": spec.leefgeld_target,
        "coach": spec.coach,
        # A document without an address keeps the one `hhb address` gave (issue 23).
        **({"address": spec.address} if spec.address is not None else {}),
    }


def _problem_of(exc: HouseholdError) -> Problem:
    text = str(exc)
    if ": " in text and " " not in text.split(": ", 1)[0]:
        path, message = text.split(": ", 1)
        return Problem(path, message)
    return Problem("", text)


# -- single commands (CLI and API) ----------------------------------------------------


def change_amount(engine: Engine, dossier: str, agreement_id: str, amount, effective: date, actor: str) -> None:
    engine.change_household(dossier, lambda h: h.change_amount(agreement_id, amount, effective, actor))


def end_agreement(engine: Engine, dossier: str, agreement_id: str, end: date, actor: str) -> None:
    engine.change_household(dossier, lambda h: h.end_agreement(agreement_id, end, actor))


def change_pay_day(engine: Engine, dossier: str, pay_day, effective: date, actor: str) -> dict[str, Any]:
    """Change the pay day; says the next pay date and which charges it pays late.

    Moving the pay day later leaves charges that fall due between the old and the new
    date: the engine pays them on the new pay date rather than forget them, and staff
    should know before a creditor does.
    """
    def command(household: Household) -> dict[str, Any]:
        household.change_pay_day(pay_day, effective, actor)
        return pay_day_outcome(engine, household)

    return engine.change_household(dossier, command)


def pay_day_outcome(engine: Engine, household: Household) -> dict[str, Any]:
    """The next pay date of a (changed, maybe unsaved) household and the charges it pays
    late; also what the staff web app previews before a pay day change is saved."""
    next_pay, late = household.charges_paid_late()
    paid_on = _paid_by_job_on(household, next_pay, _first_day_to_run(engine))
    if paid_on != next_pay:  # the job has passed that date: what falls due until it pays is late too
        next_pay, late = household.charges_paid_late(paid_on)
    return {"next_pay_date": next_pay.isoformat(),
            "paid_late": [{"agreement": d.agreement_id, "due": d.due.isoformat(), "amount": str(d.amount)}
                          for d in late]}


def end_participation(engine: Engine, dossier: str, end: date, actor: str,
                      reason: str | None = None) -> dict[str, Any]:
    """End participation (`reason`: why, see END_REASONS); says when the final settlement
    pays out what is held."""
    return engine.change_household(dossier, lambda h: end_participation_of(engine, h, end, actor, reason))


def end_participation_of(engine: Engine, household: Household, end: date, actor: str,
                         reason: str | None = None) -> dict[str, Any]:
    """End a loaded household's participation (unsaved); also for a consent's withdrawal."""
    household.end_participation(end, actor, reason)
    first = _first_day_to_run(engine)
    settlement = household.settlement_date() if first is None else household.settles_on(first)
    return {"settlement_date": settlement.isoformat() if settlement else None}


def _first_day_to_run(engine: Engine) -> date | None:
    """The first day the nightly job has not completed (None before its first run): a
    date before it is never run again, so what falls on it is paid by the next run."""
    run = engine.get_or_none(Run.create_id())
    if run is None or run.completed_through is None:
        return None
    return run.completed_through + timedelta(days=1)


def _paid_by_job_on(household: Household, pay_date: date, first: date | None) -> date:
    """The day the job really pays the pay date `pay_date`: that date, or, when the job
    has completed it already, the day its next run catches it up. Asks the household the
    same question the job asks (`pay_dates_between`), so staff are told what happens."""
    if first is None or pay_date >= first:
        return pay_date
    # a regular pay date comes within a month of `first`: the catch-up falls before it
    coming = household.pay_dates_between(first, household.pay_date_on_or_after(first))
    return coming[0] if coming else pay_date


def release_held(engine: Engine, dossier: str, on: date, actor: str) -> dict[str, Any]:
    """Approve releasing the leefgeld held above the participant ceiling: the first
    call records an approval, a second one by another person releases it for the
    next pay date."""

    def approve(household: Household) -> dict[str, Any]:
        held = household.on_hold
        first = household.release_approval
        status = household.approve_release(on, actor)
        amount = held if first is None else Money(first["amount"]).min(held)
        return {"dossier": dossier, "status": status, "amount": str(amount),
                "approved_by": actor if first is None else first["actor"],
                "released_by": actor if status == "released" else None,
                "still_held": str(household.on_hold)}

    return engine.change_household(dossier, approve)


def set_address(engine: Engine, dossier: str, postcode: str, number: Any, street: str | None, place: str | None,
                actor: str) -> dict[str, Any]:
    """A household's address (issue 23): creditors' reports are matched by it."""
    address = checked_address(postcode, number, street, place)

    def command(household: Household) -> dict[str, Any]:
        household.change_settings({"address": address}, actor)
        return {"dossier": household.dossier, "address": address}

    return engine.change_household(dossier, command)


def set_customer_number(engine: Engine, dossier: str, agreement_id: str, number: str | None,
                        actor: str) -> dict[str, Any]:
    """The creditor's customer number on a charge (issue 23); empty removes it."""
    def command(household: Household) -> dict[str, Any]:
        household.set_customer_number(agreement_id, number, actor)
        return {"dossier": household.dossier, "agreement": agreement_id,
                "customer_number": household.agreements[agreement_id].customer_number}

    return engine.change_household(dossier, command)


_SHARED = {
    PARTICIPANT_IBAN: {"nl": "Rekening {value} is ook van een deelnemer van huishouden {others}.",
                       "en": "Account {value} also belongs to a participant of household {others}."},
    REFERENCE: {"nl": "Betalingskenmerk {value} wordt ook betaald voor huishouden {others}.",
                "en": "Payment reference {value} is also paid for household {others}."},
}


def shared_with_others(index: Any, specs: list[tuple[str, HouseholdSpec]]) -> dict[str, list[dict[str, Any]]]:
    """Per dossier, the participant IBANs and creditor references another active
    household uses too; `index.known_by(kind, values)` as the read model answers it."""
    asked: dict[str, list[tuple[str, str, str]]] = {}  # dossier -> (field, kind, value)
    for _, spec in specs:
        fields = [(f"participants[{n}].iban", PARTICIPANT_IBAN, p.iban) for n, p in enumerate(spec.participants)]
        charges = [a for a in spec.agreements if a.kind == CHARGE]
        fields += [(f"charges[{n}].reference", REFERENCE, a.reference) for n, a in enumerate(charges) if a.reference]
        asked[spec.dossier] = fields
    known = {kind: index.known_by(kind, [v for fields in asked.values() for _, k, v in fields if k == kind])
             for kind in (PARTICIPANT_IBAN, REFERENCE)}
    found: dict[str, list[dict[str, Any]]] = {}
    for dossier, fields in asked.items():
        for where, kind, value in fields:
            others = sorted(known[kind].get(key_of(value), set()) - {dossier})
            if others:
                found.setdefault(dossier, []).append({
                    "field": where, "others": others,
                    "text": {lang: text.format(value=value, others=", ".join(others))
                             for lang, text in _SHARED[kind].items()}})
    return found
