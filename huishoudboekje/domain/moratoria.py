"""Referrals and moratoria (issue 23). A coach records the referral to formal debt
counselling (schuldhulpverlening): the date and the organisation. While debt counselling
negotiates with the creditors, a
moratorium of at most six months pauses the household's payment arrangements and
freezes its debts. It can be extended, with a reason, each extension again at most six
months. The running charges go on: a moratorium is about old debts only.

Kept as plain JSON values on the household (`ReferralRecorded`, `MoratoriumStarted`,
`MoratoriumExtended` in `domain/household.py`), like its debts and arrangements.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from .errors import DomainError, HouseholdError

MAX_MONTHS = 6
ENDING_DAYS = 30  # the worklist shows a moratorium ending within this many days


def _check_span(start: date, until: date, reason: str) -> None:
    if until < start:
        raise DomainError(f"--until {until} is before --from {start}", field="until")
    if until > start + relativedelta(months=MAX_MONTHS):
        raise DomainError(f"a moratorium lasts at most {MAX_MONTHS} months: until "
                          f"{start + relativedelta(months=MAX_MONTHS)} at the latest", field="until")
    if not reason.strip():
        raise DomainError("a moratorium needs a reason", field="reason")


class Moratoria:
    """The commands on a `Household`'s moratoria (events in `domain/household.py`)."""

    moratoria: list[dict[str, Any]] = []  # a class default: households of earlier versions have none
    referrals: list[dict[str, str]] = []  # the same

    def record_referral(self, on: date, organisation: str, actor: str) -> dict[str, Any]:
        """The household was referred to debt counselling on `on`, to `organisation`;
        recording the same referral again changes nothing."""
        self.check_active()
        name = " ".join(organisation.split())
        if not name:
            raise DomainError("a referral names the organisation (--organisation)", field="organisation")
        if on < self.start:
            raise DomainError(f"--date {on} lies before the start {self.start}", field="date")
        if {"on": on.isoformat(), "organisation": name} not in self.referrals:
            self._referral_recorded(on=on, organisation=name, actor=actor)
        return next(r for r in self.referral_rows() if r["on"] == on.isoformat() and r["organisation"] == name)

    def referral_rows(self) -> list[dict[str, Any]]:
        return [{"dossier": self.dossier, **r} for r in self.referrals]

    def moratoria_ending(self, as_of: date, days: int = ENDING_DAYS) -> list[dict[str, Any]]:
        """Moratoria whose last day is from `as_of` to `days` days after it: the arrangements
        resume soon, the coach must know what comes next."""
        last = as_of + timedelta(days=days)
        return [row for row in self.moratorium_rows() if as_of <= date.fromisoformat(row["until"]) <= last]

    def start_moratorium(self, start: date, until: date, reason: str, actor: str) -> dict[str, Any]:
        self.check_active()
        _check_span(start, until, reason)
        for other in self.moratoria:
            if start <= date.fromisoformat(other["until"]) and until >= date.fromisoformat(other["from"]):
                raise HouseholdError(f"a moratorium from {other['from']} until {other['until']} overlaps it: "
                                     "extend that one instead", field="from")
        self._moratorium_started(start=start, until=until, reason=reason.strip(), actor=actor)
        return self.moratorium_rows()[-1]

    def extend_moratorium(self, until: date, reason: str, actor: str) -> dict[str, Any]:
        """Extend the last moratorium to `until`: at most six months beyond its end."""
        self.check_active()
        if not self.moratoria:
            raise HouseholdError(f"{self.dossier} has no moratorium to extend", field="dossier")
        last = date.fromisoformat(self.moratoria[-1]["until"])
        if until <= last:
            raise DomainError(f"the moratorium runs until {last} already", field="until")
        _check_span(last, until, reason)
        self._moratorium_extended(until=until, reason=reason.strip(), actor=actor)
        return self.moratorium_rows()[-1]

    def moratorium_on(self, day: date) -> dict[str, Any] | None:
        for moratorium in self.moratoria:
            if date.fromisoformat(moratorium["from"]) <= day <= date.fromisoformat(moratorium["until"]):
                return moratorium
        return None

    def paused_on(self, day: date) -> bool:
        """Whether a moratorium pauses the arrangements on `day`."""
        return self.moratorium_on(day) is not None

    def moratorium_rows(self) -> list[dict[str, Any]]:
        return [{"dossier": self.dossier, "from": m["from"], "until": m["until"], "reason": m["reason"],
                 "extensions": list(m["extensions"])} for m in self.moratoria]
