"""Leefgeld held above the participant ceiling, released by two people. A mixin of
`Household` (plain methods: the events stay on the aggregate)."""

from __future__ import annotations

from datetime import date

from .errors import HouseholdError
from .money import Money
from .roles import person as _person  # the two-person rule's notion of one person


class HeldRelease:
    """The command that releases what a `Household` holds (see `domain/household.py`)."""

    def approve_release(self, on: date, actor: str) -> str:
        """Release what is held above the participant ceiling: it takes two people. The
        first approval records who and how much; a second, different person releases
        it, and the next pay date pays it (charges and arrears first, as always).
        Returns 'approved' or 'released'."""
        if not self.on_hold:
            raise HouseholdError(f"{self.dossier} holds nothing above its participant ceiling")
        if self.settled_on is not None:
            # No pay date comes after the final settlement: released, the money would
            # sit in the pot for good, and the signal would say it was dealt with.
            raise HouseholdError(
                f"{self.dossier}: participation ended and was settled on {self.settled_on}; no run pays "
                f"{self.on_hold} released now, so it stays held: pay it out to the participant by hand")
        first = self.release_approval
        if first is None:
            self._release_approved(amount=self.on_hold, on=on, actor=actor)
            return "approved"
        if _person(first["actor"]) == _person(actor):
            raise HouseholdError(f"release: {first['actor']} approved it already on {first['on']}; "
                                 "a second person must approve it (--actor)")
        self._held_released(amount=Money(first["amount"]), approved_by=first["actor"], on=on, actor=actor)
        return "released"
