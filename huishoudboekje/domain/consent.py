"""Consent: the date and way a participant agreed to take part, and its withdrawal.

Participation is voluntary: the household records when and how the participant agreed
(a signed form, in person, …) and, when they stop, that they withdrew it; a withdrawal
ends the participation (reason `stopped-by-participant`), as `end-participation` does.
A mixin of `Household` (plain methods: the events stay on the aggregate). Households
onboarded before consent was recorded have none (`consent` is None).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .errors import DomainError, HouseholdError

WAYS = ("signed-form", "in-person", "digital", "by-phone", "other")
STOPPED_BY_PARTICIPANT = "stopped-by-participant"


class Consent:
    """What a `Household` knows of the participant's consent (see `domain/household.py`)."""

    # Class defaults: a household (or a projected row, a snapshot) of an earlier version
    # has no consent recorded.
    consent: dict[str, Any] | None = None  # on, way, actor, withdrawn, withdrawn_by (ISO dates)

    def refuse_if_erased(self) -> None:
        """An erased household takes no new personal data: its key is gone for good."""
        erased = getattr(self, "erased_on", None)
        if erased is not None:
            raise HouseholdError(f"{self.dossier}: its personal data was erased on {erased}; "  # type: ignore[attr-defined]
                                 "nothing new is recorded for it / de gegevens zijn verwijderd", field="dossier")

    def record_consent(self, on: date, way: str, actor: str) -> None:
        self.refuse_if_erased()
        if way not in WAYS:
            raise DomainError(f"way: '{way}' is not one of {', '.join(WAYS)}", field="way")
        current = self.consent
        if current and current["withdrawn"]:
            raise HouseholdError(f"{self.dossier}: consent was withdrawn on {current['withdrawn']} and "  # type: ignore[attr-defined]
                                 "the participation ended", field="dossier")
        if current and current["on"] == on.isoformat() and current["way"] == way and not current["withdrawn"]:
            return  # recorded already: nothing changes
        self._consent_recorded(on=on, way=way, actor=actor)  # type: ignore[attr-defined]

    def withdraw_consent(self, on: date, actor: str) -> None:
        """Record the withdrawal; ending the participation is the caller's next step."""
        self.refuse_if_erased()
        current = self.consent
        if current is None:
            raise HouseholdError(f"{self.dossier} has no consent recorded to withdraw",  # type: ignore[attr-defined]
                                 field="dossier")
        if current["withdrawn"]:
            raise HouseholdError(f"{self.dossier}: consent was withdrawn already on "  # type: ignore[attr-defined]
                                 f"{current['withdrawn']}", field="dossier")
        if on < date.fromisoformat(current["on"]):
            raise HouseholdError(f"date: {on} lies before the consent of {current['on']}", field="date")
        self._consent_withdrawn(on=on, actor=actor)  # type: ignore[attr-defined]

    def consent_detail(self) -> dict[str, Any] | None:
        """As staff see it (`hhb show`, `GET /households/{dossier}`): None when not recorded."""
        return dict(self.consent) if self.consent else None
