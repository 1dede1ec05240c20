"""Moratoria (issue 23): while formal debt counselling negotiates with the creditors, a
moratorium of at most six months pauses the household's payment arrangements and
freezes its debts. It can be extended, with a reason, each extension again at most six
months. The running charges go on: a moratorium is about old debts only.

Kept as plain JSON values on the household (`MoratoriumStarted`, `MoratoriumExtended`
in `domain/household.py`), like its debts and arrangements.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from .errors import DomainError, HouseholdError

MAX_MONTHS = 6


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
