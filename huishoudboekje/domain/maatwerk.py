"""Maatwerk: a team's fast one-off payment, decided by three professionals of the team.

`MaatwerkCase` (id: uuid5 of its number, `MW-2026-0001`): proposed by a coach of the
team from a checked `Proposal`; approved by three different people of three different
disciplines (zorg, schuldhulp, inkomen) of the case's team, whose team and discipline
come from their staff account (`domain/staff.py`); the third approval and the payment
(`Paid`: the instruction and its pain.001's record) are saved in one write, so a case
is paid once or not at all. The bank's statement confirms or returns the payment by
its end-to-end id (`MW-…`, never one of a household's); six months after paying, the
proposer records how the household is doing (`FollowedUp`).

`MaatwerkBudget` (id: uuid5 of team and year): the team's budget for a year and what
was spent of it (`Spent`, `GivenBack` for a return). A payment is recorded here and
never on a household's pot or buffer: it is the municipality's money.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from dateutil.relativedelta import relativedelta
from eventsourcing.domain import Aggregate, event

from .errors import DomainError
from .ids import NAMESPACE
from .instructions import Instruction
from .maatwerk_proposal import Proposal
from .money import Money
from .roles import person
from .run import PaymentFileRecord
from .staff import DISCIPLINES, StaffAccount

PROPOSED, PAID, WITHDRAWN = "proposed", "paid", "withdrawn"
FOLLOW_UP_DUE = "follow-up-due"  # not a state: a paid case whose follow-up date has come
OUTCOMES = ("better", "same", "worse")
FOLLOW_UP_MONTHS = 6
KIND = "maatwerk"  # an Instruction's kind
E2E_PREFIX = "MW-"


class MaatwerkError(DomainError):
    """A step a case does not allow (who approves, its state); nothing is written."""


def case_id(number: str) -> UUID:
    return uuid5(NAMESPACE, f"maatwerk/{number}")


def case_number(year: int, sequence: int) -> str:
    return f"MW-{year}-{sequence:04d}"


def end_to_end_id(number: str) -> str:
    """`MW-2026-0001-` and twelve hex digits: 25 characters, never the shape of a
    household's (twelve hex digits, '-', twenty), and the case's number read back from it."""
    digest = hashlib.sha256(f"maatwerk/{number}/payment".encode()).hexdigest()[:12].upper()
    return f"{number}-{digest}"


def number_of(end_to_end: str) -> str | None:
    """The case number an end-to-end id of a maatwerk payment carries; None for any other id."""
    text = (end_to_end or "").upper()
    parts = text.split("-")
    if not text.startswith(E2E_PREFIX) or len(parts) != 4 or len(parts[3]) != 12:
        return None
    if not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return "-".join(parts[:3])


def budget_id(team: str, year: int) -> UUID:
    return uuid5(NAMESPACE, f"maatwerk-budget/{team}/{year}")


class MaatwerkCase(Aggregate):
    @staticmethod
    def create_id(number: str) -> UUID:
        return case_id(number)

    @event("Proposed")
    def __init__(self, number: str, proposal: Proposal, proposer: str, on: date, actor: str) -> None:
        self.number = number
        self.proposal = proposal
        self.proposer = proposer
        self.proposed_on = on
        self.status = PROPOSED
        self.approvals: list[dict[str, str]] = []
        self.instruction: Instruction | None = None
        self.file: PaymentFileRecord | None = None
        self.paid_on: date | None = None
        self.over_budget: dict[str, str] | None = None
        self.returned: Money = Money.zero()
        self.confirmed_on: date | None = None
        self.withdrawn: dict[str, str] | None = None
        self.follow_up: dict[str, str] | None = None

    @property
    def team(self) -> str:
        return self.proposal.team

    @property
    def spent(self) -> Money:
        """What the case cost the team's budget: the payment less what came back."""
        return (self.proposal.amount - self.returned) if self.status == PAID else Money.zero()

    @property
    def follow_up_due(self) -> date | None:
        return self.paid_on + relativedelta(months=FOLLOW_UP_MONTHS) if self.paid_on else None

    def state_on(self, today: date) -> str:
        due = self.follow_up_due
        if self.status == PAID and self.follow_up is None and due is not None and today >= due:
            return FOLLOW_UP_DUE
        return self.status

    # -- approvals ----------------------------------------------------------------------

    def refusal(self, account: StaffAccount) -> str | None:
        """Why this person may not approve now (None: they may)."""
        if self.status != PROPOSED:
            return f"{self.number} is {self.status}; only a proposed case is approved"
        if account.team != self.team:
            return (f"{account.name} is not in {self.team}; only the case's team decides "
                    f"/ {account.name} hoort niet bij {self.team}")
        if account.discipline is None:
            return (f"{account.name} has no discipline ({', '.join(DISCIPLINES)}) in their staff account "
                    "/ heeft geen discipline")
        for given in self.approvals:
            if person(given["by"]) == account.key:
                return (f"{account.name} approved {self.number} already; three different people decide "
                        f"/ {account.name} keurde al goed")
            if given["discipline"] == account.discipline:
                return (f"{given['by']} approved as {account.discipline} already; the three approvals are of "
                        f"{', '.join(DISCIPLINES)} / er is al een goedkeuring van {account.discipline}")
        return None

    def approve(self, account: StaffAccount, on: date, actor: str) -> bool:
        """Record an approval; True when it is the third (the case is then to be paid at once)."""
        refused = self.refusal(account)
        if refused is not None:
            raise MaatwerkError(refused, field="actor")
        self._approved(by=account.name, discipline=account.discipline, on=on, actor=actor)
        return len(self.approvals) == len(DISCIPLINES)

    @event("Approved")
    def _approved(self, by: str, discipline: str, on: date, actor: str) -> None:
        self.approvals.append({"by": by, "discipline": discipline, "on": on.isoformat()})

    @event("Paid")
    def pay(self, instruction: Instruction, file: PaymentFileRecord, on: date,
            over_budget: dict[str, str] | None, actor: str) -> None:
        """The payment instruction and its pain.001, recorded with the third approval."""
        self.status = PAID
        self.instruction = instruction
        self.file = file
        self.paid_on = on
        self.over_budget = over_budget

    def withdraw(self, reason: str, on: date, actor: str) -> None:
        if self.status != PROPOSED:
            raise MaatwerkError(f"{self.number} is {self.status}; only a proposed case can be withdrawn",
                                field="case")
        if not reason.strip():
            raise MaatwerkError("--reason: say why the case is withdrawn / geef een reden", field="reason")
        self._withdrawn(reason=" ".join(reason.split()), on=on, actor=actor)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, on: date, actor: str) -> None:
        self.status = WITHDRAWN
        self.withdrawn = {"reason": reason, "on": on.isoformat(), "by": actor}

    # -- the payment's echoes -----------------------------------------------------------

    def echo_problem(self, amount: Money, is_credit: bool, counterparty_iban: str | None,
                     fee_limit: Money) -> str | None:
        """Why a statement line with this case's end-to-end id does not fit its payment
        (as `Household.echo_problem`: the id is no secret)."""
        assert self.instruction is not None
        paid, to = self.instruction.amount, self.instruction.creditor_iban
        iban = (counterparty_iban or "").replace(" ", "").upper() or None
        if iban != to:
            return f"{'returns' if is_credit else 'debits'} {amount} with {iban or 'no account'}, but {to} was paid"
        if is_credit:
            if self.instruction.status == "returned":
                return f"returns {amount} of a payment of {paid} that came back already"
            if not paid - fee_limit <= amount <= paid:
                return f"returns {amount} of a payment of {paid}"
            return None
        if amount != paid:
            return f"debits {amount} for a payment of {paid}"
        if self.confirmed_on is not None:
            return f"debits {amount} for a payment that is confirmed already"
        return None

    def confirm(self, transaction_id: str, booking_date: date, actor: str) -> None:
        self._confirmed(transaction_id=transaction_id, booking_date=booking_date, actor=actor)

    @event("PaymentConfirmed")
    def _confirmed(self, transaction_id: str, booking_date: date, actor: str) -> None:
        assert self.instruction is not None
        self.confirmed_on = booking_date
        if self.instruction.status == "scheduled":
            self.instruction = replace(self.instruction, status="confirmed", confirmed_by=transaction_id,
                                       confirmed_on=booking_date)

    def give_back(self, transaction_id: str, booking_date: date, amount: Money, actor: str) -> None:
        self._returned(transaction_id=transaction_id, booking_date=booking_date, amount=amount, actor=actor)

    @event("PaymentReturned")
    def _returned(self, transaction_id: str, booking_date: date, amount: Money, actor: str) -> None:
        assert self.instruction is not None
        self.returned = amount
        self.instruction = replace(self.instruction, status="returned")

    # -- six months on ------------------------------------------------------------------

    def record_follow_up(self, outcome: str, note: str, on: date, actor: str) -> None:
        if self.status != PAID:
            raise MaatwerkError(f"{self.number} is {self.status}; a follow-up is of a paid case", field="case")
        if self.follow_up is not None:
            raise MaatwerkError(f"{self.number} was followed up on {self.follow_up['on']} already", field="case")
        if outcome not in OUTCOMES:
            raise MaatwerkError(f"--outcome: '{outcome}' is not one of {', '.join(OUTCOMES)} "
                                "(beter, hetzelfde, slechter)", field="outcome")
        self._followed_up(outcome=outcome, note=" ".join(note.split()), on=on, actor=actor)

    @event("FollowedUp")
    def _followed_up(self, outcome: str, note: str, on: date, actor: str) -> None:
        self.follow_up = {"outcome": outcome, "note": note, "on": on.isoformat(), "by": actor}

    def as_dict(self, today: date) -> dict[str, Any]:
        i = self.instruction
        return {
            "case": self.number, "status": self.state_on(today), "team": self.team,
            "proposer": self.proposer, "proposed_on": self.proposed_on.isoformat(),
            **self.proposal.as_dict(),
            "approvals": list(self.approvals),
            "payment": None if i is None else {
                "end_to_end_id": i.end_to_end_id, "execution_date": i.execution_date.isoformat(),
                "status": i.status, "file": self.file.name if self.file else None,
                "confirmed_on": self.confirmed_on.isoformat() if self.confirmed_on else None,
                "returned": str(self.returned)},
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
            "spent": str(self.spent),
            "over_budget": self.over_budget,
            "withdrawn": self.withdrawn,
            "follow_up_due": self.follow_up_due.isoformat() if self.follow_up_due else None,
            "follow_up": self.follow_up,
        }


class MaatwerkBudget(Aggregate):
    """A team's maatwerk budget for one year, and what was spent of it."""

    @staticmethod
    def create_id(team: str, year: int) -> UUID:
        return budget_id(team, year)

    @event("Opened")
    def __init__(self, team: str, year: int, amount: Money, actor: str) -> None:
        self.team = team
        self.year = year
        self.amount = amount
        self.spent_by_case: dict[str, Money] = {}

    @property
    def spent(self) -> Money:
        return sum(self.spent_by_case.values(), Money.zero())

    def would_exceed(self, amount: Money) -> bool:
        return self.spent + amount > self.amount

    def set_amount(self, amount: Money, actor: str) -> bool:
        if amount.is_negative:
            raise MaatwerkError(f"--amount: {amount} is negative", field="amount")
        if amount == self.amount:
            return False
        self._amount_set(amount=amount, actor=actor)
        return True

    @event("AmountSet")
    def _amount_set(self, amount: Money, actor: str) -> None:
        self.amount = amount

    @event("Spent")
    def spend(self, case: str, amount: Money, on: date, actor: str) -> None:
        self.spent_by_case[case] = amount

    @event("GivenBack")
    def give_back(self, case: str, amount: Money, on: date, actor: str) -> None:
        self.spent_by_case[case] = self.spent_by_case.get(case, Money.zero()) - amount

    def as_dict(self) -> dict[str, Any]:
        return {"team": self.team, "year": self.year, "budget": str(self.amount), "spent": str(self.spent),
                "remaining": str(self.amount - self.spent)}
