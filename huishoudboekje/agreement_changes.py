"""Changing a household's agreements with a preview first: an amount from a date, the
end of an agreement, the pay day (the staff web app's household page, issue 21).

The rules are the household's own (`Household.change_amount`, `end_agreement`,
`change_pay_day`, as `hhb change-amount`, `hhb end-agreement` and `hhb pay-day` apply
them); this module only runs them twice: once on a loaded copy that is never saved, to
show the consequence (the next pay date's forecast before and after, and for a pay day
the charges paid late, as `hhb pay-day` reports them), and once for real, refusing when
the household changed since the preview (its version), so what is saved is exactly what
was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .domain.errors import HouseholdError
from .domain.household import Household
from .domain.money import Money
from .engine import Engine
from .households import pay_day_outcome

AMOUNT, END, PAY_DAY = "amount", "end", "pay-day"


@dataclass(frozen=True)
class Change:
    """One change as asked: `kind` AMOUNT (agreement, amount, day = from), END
    (agreement, day = last day) or PAY_DAY (pay_day, day = from)."""

    kind: str
    day: date
    agreement: str | None = None
    amount: Money | None = None
    pay_day: int | str | None = None

    def apply(self, household: Household, actor: str) -> None:
        if self.kind == AMOUNT:
            household.change_amount(str(self.agreement), self.amount, self.day, actor)
        elif self.kind == END:
            household.end_agreement(str(self.agreement), self.day, actor)
        elif self.kind == PAY_DAY:
            household.change_pay_day(self.pay_day, self.day, actor)
        else:
            raise HouseholdError(f"unknown change {self.kind!r}", field="kind")


class Stale(HouseholdError):
    """The household changed after the preview: what was shown is no longer what would be saved."""


def _forecast(household: Household, as_of: date) -> dict[str, Any]:
    forecast = household.forecast(as_of)
    return {"next_pay_date": forecast.next_pay_date.isoformat(), "leefgeld": str(forecast.expected_leefgeld),
            "shortfall": str(forecast.shortfall)}


def _consequence(engine: Engine, household: Household, change: Change, before: dict[str, Any],
                 as_of: date) -> dict[str, Any]:
    """What the (applied, unsaved) change does; `before`: the forecast without it."""
    result: dict[str, Any] = {"changes": bool(household.pending_events), "before": before,
                              "after": _forecast(household, as_of)}
    if change.kind == PAY_DAY:
        result.update(pay_day_outcome(engine, household))
    if change.kind == END:
        result["paid_after_end"] = paid_after(household, str(change.agreement), change.day)
    return result


def paid_after(household: Household, agreement: str, end: date) -> list[dict[str, str]]:
    """The periods of `agreement` due after `end` that were paid (or instructed) already:
    ending it does not take that money back, so the coach asks the creditor for it."""
    periods: dict[date, Money] = {}
    for _, paid_for, period, amount in household.instructions.paid_charges():
        if paid_for == agreement and period > end:
            periods[period] = amount  # the parts of one period carry the period's whole amount
    return [{"period": period.isoformat(), "amount": str(amount)} for period, amount in sorted(periods.items())]


def preview(engine: Engine, dossier: str, change: Change, as_of: date) -> dict[str, Any]:
    """What saving `change` would do, writing nothing: "version" (to save it with),
    "changes" (False: the household already has it), "was" (for an amount: the amount
    on that date until now), the next pay date's forecast
    "before" and "after" as of `as_of`, for a pay day "next_pay_date" and
    "paid_late", and for an end "paid_after_end" (`paid_after`). Refuses (HouseholdError) what saving would refuse."""
    household = engine.household(dossier)  # a copy of its own: never saved
    version = household.version
    before = _forecast(household, as_of)
    agreement = household.agreements.get(change.agreement or "")
    was = str(agreement.amount_on(change.day)) if change.kind == AMOUNT and agreement else None
    change.apply(household, "preview")
    return {"version": version, "was": was, **_consequence(engine, household, change, before, as_of)}


def save(engine: Engine, dossier: str, change: Change, version: int, actor: str, as_of: date) -> dict[str, Any]:
    """Save `change` as previewed at `version`; Stale when the household has changed since."""

    def command(household: Household) -> dict[str, Any]:
        if household.version != version:
            raise Stale(f"{dossier} changed since the preview (version {version}, now {household.version})")
        before = _forecast(household, as_of)
        change.apply(household, actor)
        return _consequence(engine, household, change, before, as_of)

    return engine.change_household(dossier, command)
