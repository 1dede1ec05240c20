"""A household's terms: its agreements, pay day, settings and participation, and the
commands that change them. A mixin of `Household` (plain methods: the events they
record stay on the aggregate, whose module names their stored topics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from .agreement import Agreement
from .errors import DomainError, HouseholdError, NotFound
from .money import Money
from .paydate import PayDateError, check_pay_day as _check_pay_day
from .shares import check_shares


class Status(StrEnum):
    """A household's status; members equal the strings stored in events."""
    ACTIVE = "active"
    ENDED = "ended"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"


class PayRule(StrEnum):
    """When a charge is paid: on the pay date, or just before its due date."""
    PAY_DATE = "pay-date"
    DUE_DATE = "due-date"


ACTIVE, ENDED = Status.ACTIVE, Status.ENDED
MONTHLY, WEEKLY = Frequency.MONTHLY, Frequency.WEEKLY
PAY_DATE, DUE_DATE = PayRule.PAY_DATE, PayRule.DUE_DATE


@dataclass(frozen=True)
class PayDayFrom:
    effective: date
    pay_day: int | str  # 1–28 or "last-business-day"


SETTINGS = frozenset(
    {
        "team",
        "buffer_limit",
        "minimum_leefgeld",
        "leefgeld_schedule",
        "execute_on",
        "participants",
        "account",
        "participant_ceiling",
        "paid_from",
        "buffer_covers_leefgeld",
        "buffer_repayment_max",
        "leefgeld_target",
        "coach",
        "address",
    }
)


def check_pay_day(pay_day: int | str) -> None:
    """The pay day rule of `domain/paydate.py`, as a command's error."""
    try:
        _check_pay_day(pay_day)
    except PayDateError as error:
        raise HouseholdError(str(error)) from None


END_REASONS = ("stabilised", "referred", "moved", "deceased", "stopped-by-participant", "other")


class Terms:
    """The commands on a `Household`'s terms (see `domain/household.py`)."""

    def add_agreement(self, agreement: Agreement, actor: str) -> None:
        self.check_active()
        if agreement.id in self.agreements:
            raise HouseholdError(f"agreement '{agreement.id}' exists already")
        self._agreement_added(agreement=agreement, actor=actor)

    def revise_agreement(self, agreement: Agreement, actor: str) -> None:
        """Correct an agreement's definition (counterparty, schedule, terms, …)."""
        self.check_agreement(agreement.id)
        self._agreement_revised(agreement=agreement, actor=actor)

    def _past_is_settled(self, agreement_id: str) -> None:
        """A charge added or changed after pay dates have run pays no period due on or
        before the last pay date: the engine decided those with what it knew then, and
        the household may have paid them itself (record such debts as arrears by hand).
        Periods after the last pay date are paid, on the next pay date if they are due
        by then. A charge that was offered periods before keeps its own count."""
        if self.last_pay_date is None:
            return
        through = dict(self.charged_through)
        if through.get(agreement_id, date.min) >= self.last_pay_date:
            return
        through[agreement_id] = self.last_pay_date
        schedules = dict(self.charged_schedule)
        schedules.pop(agreement_id, None)  # counted by date from here: the last pay date is no period of it
        self.charged_through, self.charged_schedule = through, schedules

    def change_amount(self, agreement_id: str, amount: Money, effective: date, actor: str,
                      via: str | None = None) -> None:
        """A new amount from a date on, e.g. the rent rise on 1 July. `via`: "onboard"
        when an onboarding document asked for it, None for a command of its own."""
        agreement = self.check_agreement(agreement_id)
        if effective < agreement.start:
            raise HouseholdError(
                f"{agreement_id}: the change on {effective} lies before the agreement starts"
            )
        if agreement.amount_on(effective) == amount:
            return
        self._amount_changed(agreement_id=agreement_id, amount=amount, effective=effective, actor=actor, via=via)

    def end_agreement(self, agreement_id: str, end: date, actor: str, via: str | None = None) -> None:
        agreement = self.check_agreement(agreement_id)
        if end < agreement.start:
            raise HouseholdError(f"{agreement_id}: cannot end on {end}, before it starts")
        if agreement.end is not None and agreement.end <= end:
            return
        self._agreement_ended(agreement_id=agreement_id, end=end, actor=actor, via=via)

    def change_pay_day(self, pay_day: int | str, effective: date, actor: str, via: str | None = None) -> None:
        """`via`: see change_amount (an onboarding with --replace puts a pay day back)."""
        self.check_active()
        check_pay_day(pay_day)
        if self.pay_day_on(effective) == pay_day:
            return
        if self.last_pay_date is not None and effective <= self.last_pay_date:
            raise HouseholdError(
                f"pay day: change on {effective} lies before the last pay date {self.last_pay_date}"
            )
        self._pay_day_changed(pay_day=pay_day, effective=effective, actor=actor, via=via)

    def change_settings(self, changes: dict[str, Any], actor: str) -> None:
        """Team, buffer limit, minimum leefgeld, leefgeld schedule, participants, …"""
        self.check_active()
        unknown = set(changes) - SETTINGS
        if unknown:
            raise HouseholdError(f"cannot change {', '.join(sorted(unknown))}")
        repayment_max = changes.get("buffer_repayment_max")
        if repayment_max is not None and not repayment_max.is_positive:
            raise HouseholdError("buffer_repayment_max: must be more than 0.00 (leave it out to repay without a cap)")
        target = changes.get("leefgeld_target", self.leefgeld_target)
        minimum = changes.get("minimum_leefgeld", self.minimum_leefgeld)
        if target is not None and target < minimum:
            raise HouseholdError(f"leefgeld.target: {target} is below the minimum leefgeld {minimum}")
        if "participants" in changes:
            check_shares([p.share for p in changes["participants"]])  # all or none, exactly 1 together
        real = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if "paid_from" in real:
            self._check_paid_from(real["paid_from"])
        if real:
            self._settings_changed(changes=real, actor=actor)

    def _check_paid_from(self, paid_from: date | None) -> None:
        if paid_from is not None and paid_from < self.start:
            raise HouseholdError(f"paid_from: {paid_from} lies before the start {self.start}")
        if self.last_pay_date is not None:
            raise HouseholdError(
                f"paid_from: cannot change once a pay date has run (the first ran on {self.first_pay_date}); "
                "what fell due since is paid, or in arrears, already")

    def charges_paid_from(self) -> date:
        """The first due date whose charges are ours to pay: `paid_from` where staff set it
        (the creditors' direct debits stop that day), otherwise the first pay date."""
        if self.paid_from is not None:
            return self.paid_from
        return self.first_pay_date or self.pay_date_on_or_after(self.start)

    def replace_changes(self, changes: list[dict[str, str]], actor: str) -> None:
        """Staff onboarded a document that undoes changes recorded by other commands
        since, on purpose (`--replace`): which ones, before the events that undo them."""
        self._changes_replaced(changes=changes, actor=actor)

    def end_participation(self, end: date, actor: str, reason: str | None = None) -> None:
        """`reason`: why the trajectory ends (`END_REASONS`), counted in the team report;
        None where it is not given (and in events before issue 23)."""
        self.check_active()
        if end < self.start:
            raise HouseholdError(f"end: {end} lies before the start {self.start}")
        if reason is not None and reason not in END_REASONS:
            raise DomainError(f"reason '{reason}' is not one of {', '.join(END_REASONS)}", field="reason")
        self._participation_ended(end=end, actor=actor, reason=reason)

    def check_active(self) -> None:
        if self.status != ACTIVE:
            raise HouseholdError(f"{self.dossier} ended its participation on {self.end}", field="dossier")

    def check_agreement(self, agreement_id: str) -> Agreement:
        self.check_active()
        try:
            return self.agreements[agreement_id]
        except KeyError:
            raise NotFound(f"{self.dossier} has no agreement '{agreement_id}'", field="agreement") from None

    def agreements_on(self, day: date) -> list[Agreement]:
        return [a for a in self.agreements.values() if a.is_valid_on(day)]
