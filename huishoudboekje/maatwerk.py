"""Maatwerk cases as the CLI and the API use them (`domain/maatwerk.py`).

The third approval pays at once, exactly once: the approval, the payment instruction
(deterministic ids from the case number), the record of its pain.001 and the spend on
the team's budget are saved in one write (optimistic concurrency: a concurrent write
makes it start again from the store); the file is written after, from that record.
Run again after a crash, the third approver's `approve` finds the case paid and writes
the file if it is missing, byte for byte the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid5

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent

from . import controls, teams, users
from .domain.calendar import is_business_day, next_business_day
from .domain.errors import DomainError, NotFound
from .domain.household import household_id
from .domain.ids import NAMESPACE
from .domain.instructions import Instruction
from .domain.maatwerk import (KIND, PAID, MaatwerkBudget, MaatwerkCase, MaatwerkError, budget_id, case_id,
                              case_number, end_to_end_id)
from .domain.maatwerk_proposal import PriceList, parse_proposal
from .domain.money import Money
from .domain.payment_files import PaymentFile
from .domain.roles import person
from .domain.run import PaymentFileRecord
from .domain.staff import TEAM_ROLES, StaffAccount
from .domain.team import TeamError
from .engine import Engine

OVER_BUDGET = "maatwerk-over-budget"
LOG_ID = uuid5(NAMESPACE, "/maatwerk")


class CaseLogged(DomainEvent):
    case_id: UUID
    number: str


class FileWriter(Protocol):
    def build_one(self, *, message_id: str, day: date, debtor_account: str,
                  instruction: Instruction) -> tuple[PaymentFileRecord, bytes]: ...

    def store(self, record: PaymentFileRecord, content: bytes) -> None: ...

    def stored(self, record: PaymentFileRecord) -> bool: ...


@dataclass(frozen=True)
class PaySettings:
    """What paying a case needs from the municipality's settings."""

    account: str  # the managed account maatwerk is paid from
    default_budget: Money
    cutoff: time | None = None  # before this (local time) on a business day: executed the same day
    managed: tuple[str, ...] = ()


def _log(engine: Engine) -> EventSourcedLog[CaseLogged]:
    return EventSourcedLog(engine.events, LOG_ID, CaseLogged)


def case(engine: Engine, number: str) -> MaatwerkCase:
    found = engine.get_or_none(case_id(number.strip().upper()))
    if found is None:
        raise NotFound(f"case: there is no maatwerk case {number}", field="case")
    return found


def cases(engine: Engine) -> list[MaatwerkCase]:
    return [engine.repository.get(logged.case_id) for logged in _log(engine).get()]


def member(engine: Engine, actor: str) -> StaffAccount:
    """The active staff account of a team member an actor names."""
    account = users.acting(engine, actor)
    if account.role not in TEAM_ROLES or account.team is None:
        raise MaatwerkError(f"actor: {account.name} is {account.role}, not a member of a team", field="actor")
    return account


# -- proposing ------------------------------------------------------------------------------


def propose(engine: Engine, document: Any, actor: str, on: date, prices: PriceList,
            managed: tuple[str, ...] = ()) -> dict[str, Any]:
    proposal = parse_proposal(document, prices)
    account = member(engine, actor)
    try:
        teams.require(engine, proposal.team)
    except TeamError as exc:
        raise MaatwerkError(str(exc), field="team") from None
    if proposal.team != account.team:
        raise MaatwerkError(f"team: {account.name} is in {account.team}, not in {proposal.team} "
                            "/ je kunt alleen voor je eigen team voorstellen", field="team")
    if proposal.dossier is not None:
        household = engine.get_or_none(household_id(proposal.dossier))
        if household is None or household.team != proposal.team:
            raise MaatwerkError(f"dossier: {proposal.dossier} is not a household of {proposal.team} "
                                f"/ geen huishouden van {proposal.team}", field="dossier")
    if proposal.creditor_iban in managed:
        raise MaatwerkError(f"creditor.iban: {proposal.creditor_iban} is a managed account of the engine, "
                            "not a creditor's", field="creditor.iban")

    def attempt() -> dict[str, Any]:
        log = _log(engine)
        last = log.get_last()
        number = case_number(on.year, (last.originator_version if last else 0) + 1)
        new = MaatwerkCase(number=number, proposal=proposal, proposer=account.name, on=on, actor=actor)
        engine.save(new, log.trigger_event(case_id=new.id, number=number))
        return {"case": number, "status": new.status}

    return engine.retrying(attempt)


# -- approving and paying -------------------------------------------------------------------


def execution_date(at: datetime, cutoff: time | None) -> date:
    """Today where the bank's cut-off allows (a business day, before `cutoff`), else the next business day."""
    day = at.date()
    if cutoff is not None and is_business_day(day) and at.time() < cutoff:
        return day
    return next_business_day(day + timedelta(days=1))


def message_id(number: str) -> str:
    """Unique per case, never one of the nightly job's (`HHB` and a date)."""
    return "HHBMW" + number.removeprefix("MW-").replace("-", "")


def instruction_of(found: MaatwerkCase, day: date, execute_on: date) -> Instruction:
    p = found.proposal
    return Instruction(id=f"maatwerk-{found.number}", end_to_end_id=end_to_end_id(found.number), pay_date=day,
                       kind=KIND, agreement_id=found.number, period=day, part=1, amount=p.amount,
                       execution_date=execute_on, creditor_name=p.creditor_name, creditor_iban=p.creditor_iban,
                       reference=p.reference)


def budget(engine: Engine, team: str, year: int, default: Money) -> MaatwerkBudget:
    return engine.get_or_none(budget_id(team, year)) or MaatwerkBudget(team=team, year=year, amount=default,
                                                                         actor="system")


def approve(engine: Engine, number: str, actor: str, at: datetime, writer: FileWriter, settings: PaySettings,
            reason: str | None = None, after_save: Callable[[], None] | None = None) -> dict[str, Any]:
    """One approval; the third pays (see the module's text). `reason`: why the team goes
    over its budget, where the proposal gave none."""
    day = at.date()

    def attempt() -> tuple[MaatwerkCase, bytes | None]:
        found = case(engine, number)
        account = member(engine, actor)
        if found.status == PAID and any(person(a["by"]) == account.key for a in found.approvals):
            return found, None  # run again after a crash: the file is written below if missing
        if not found.approve(account, day, actor):
            engine.save(found)
            return found, None
        team_budget = budget(engine, found.team, day.year, settings.default_budget)
        over = _over_budget(found, team_budget, reason)
        instruction = instruction_of(found, day, execution_date(at, settings.cutoff))
        record, content = writer.build_one(message_id=message_id(found.number), day=day,
                                           debtor_account=settings.account, instruction=instruction)
        found.pay(instruction=instruction, file=record, on=day, over_budget=over, actor=actor)
        team_budget.spend(case=found.number, amount=found.proposal.amount, on=day, actor=actor)
        # Its file waits for a finance person's release like every payment file (four eyes:
        # none of the three who approved it): the 24 hours include that release.
        review = PaymentFile(name=record.name, record=record, first_execution=instruction.execution_date,
                             prepared_by=actor, preparers=tuple(a["by"] for a in found.approvals))
        engine.save(found, team_budget, review)
        return found, content

    found, content = engine.retrying(attempt)
    if found.status == PAID:
        if after_save is not None:
            after_save()
        _signal_overrun(engine, found)
        _write(found, writer, content, settings)
    return answer(found, day)


def _over_budget(found: MaatwerkCase, team_budget: MaatwerkBudget, reason: str | None) -> dict[str, str] | None:
    amount = found.proposal.amount
    if not team_budget.would_exceed(amount):
        return None
    why = " ".join((reason or found.proposal.over_budget_reason or "").split())
    if not why:
        raise MaatwerkError(
            f"reason: paying {amount} takes {found.team} over its maatwerk budget for {team_budget.year} "
            f"({team_budget.amount}, {team_budget.spent} spent); give the reason (--reason) "
            "/ geef de reden voor de overschrijding", field="reason")
    return {"reason": why, "budget": str(team_budget.amount), "spent_before": str(team_budget.spent),
            "overrun": str(team_budget.spent + amount - team_budget.amount)}


def _signal_overrun(engine: Engine, found: MaatwerkCase) -> None:
    """The team lead hears of a case that took the team over its budget (once per case)."""
    if found.over_budget is None or found.paid_on is None:
        return
    controls.raise_signal(engine, OVER_BUDGET, f"{OVER_BUDGET}:{found.number}", "high", {
        "team": found.team, "case": found.number, "amount": found.over_budget["overrun"],
        "paid": str(found.proposal.amount), "budget": found.over_budget["budget"],
        "reason": found.over_budget["reason"]}, found.paid_on)


def _write(found: MaatwerkCase, writer: FileWriter, content: bytes | None, settings: PaySettings) -> None:
    record = found.file
    assert record is not None and found.instruction is not None and found.paid_on is not None
    if content is None:
        if writer.stored(record):
            return
        _, content = writer.build_one(message_id=message_id(found.number), day=found.paid_on,
                                      debtor_account=record.debtor_account, instruction=found.instruction)
    writer.store(record, content)


def answer(found: MaatwerkCase, today: date) -> dict[str, Any]:
    result: dict[str, Any] = {"case": found.number, "status": found.state_on(today),
                              "approvals": len(found.approvals)}
    if found.file is not None:
        result["payment_file"] = found.file.name
        result["execution_date"] = found.instruction.execution_date.isoformat() if found.instruction else None
    return result


# -- the rest of a case's life --------------------------------------------------------------


def withdraw(engine: Engine, number: str, actor: str, reason: str, on: date) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        found = case(engine, number)
        account = member(engine, actor)
        if account.team != found.team:
            raise NotFound(f"case: there is no maatwerk case {number}", field="case")
        found.withdraw(reason, on, actor)
        engine.save(found)
        return answer(found, on)

    return engine.retrying(attempt)


def follow_up(engine: Engine, number: str, actor: str, outcome: str, note: str, on: date) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        found = case(engine, number)
        account = member(engine, actor)
        if account.team != found.team:
            raise NotFound(f"case: there is no maatwerk case {number}", field="case")
        found.record_follow_up(outcome, note, on, actor)
        engine.save(found)
        return {**answer(found, on), "follow_up": found.follow_up}

    return engine.retrying(attempt)


def set_budget(engine: Engine, team: str, year: int, amount: Money, actor: str) -> dict[str, Any]:
    try:
        teams.require(engine, team, "TEAM")
    except TeamError as exc:
        raise DomainError(str(exc), field="team") from None
    if not 2000 <= year <= 2099:
        raise DomainError(f"--year: {year} is not a year the engine works with", field="year")

    def attempt() -> dict[str, Any]:
        found = engine.get_or_none(budget_id(team, year))
        if found is None:
            found = MaatwerkBudget(team=team, year=year, amount=amount, actor=actor)
        else:
            found.set_amount(amount, actor)
        if found.pending_events:
            engine.save(found)
        return found.as_dict()

    return engine.retrying(attempt)


def listing(engine: Engine, today: date, team: str | None = None, status: str | None = None,
            year: int | None = None) -> list[dict[str, Any]]:
    rows = []
    for found in cases(engine):
        if team is not None and found.team != team:
            continue
        if status is not None and found.state_on(today) != status:
            continue
        if year is not None and (found.paid_on or found.proposed_on).year != year:
            continue
        p = found.proposal
        rows.append({"case": found.number, "team": found.team, "status": found.state_on(today),
                     "dossier": p.dossier, "resident": p.resident_name, "creditor": p.creditor_name,
                     "amount": str(p.amount), "category": p.category, "proposer": found.proposer,
                     "approvals": len(found.approvals), "paid_on": found.paid_on.isoformat() if found.paid_on else None,
                     "follow_up_due": found.follow_up_due.isoformat() if found.follow_up_due else None})
    return rows
