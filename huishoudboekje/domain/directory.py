"""The income directory: every income agreement the engine manages, in one place.

An import matches each credit against the income agreements of *all* households.
Rebuilding those from thousands of household streams costs a millisecond per
household; this aggregate keeps what matching needs, in compact rows of plain JSON
values, and is saved in the same write as every household change that touches an
income agreement (see `Engine.save`), so it is never behind the households.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .agreement import INCOME
from .household import ACTIVE, NAMESPACE, Household
from .matching import IncomeAgreement

DIRECTORY_ID = uuid5(NAMESPACE, "/income-directory")

# Household events after which its entry in the directory is written again.
CHANGES_INCOMES = frozenset({
    "Onboarded", "AgreementAdded", "AgreementRevised", "AgreementAmountChanged",
    "AgreementEnded", "ParticipationEnded", "SettingsChanged",
})


def entry_of(household: Household) -> list[Any]:
    """A household's directory entry: [dossier, account or None, [income rows]].

    A household that ended its participation has no incomes to match any more: what
    still comes in for it goes to the unmatched queue for staff.
    """
    rows = [IncomeAgreement.of(household.dossier, a).to_row()
            for a in household.agreements.values() if a.kind == INCOME and household.status == ACTIVE]
    return [household.dossier, household.account, rows]


class IncomeDirectory(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return DIRECTORY_ID

    @event("Opened")
    def __init__(self) -> None:
        self.households: dict[str, list[Any]] = {}  # household id (hex) -> entry_of()

    def update(self, households: list[Household]) -> None:
        changed = {h.id.hex: entry_of(h) for h in households}
        changed = {hid: entry for hid, entry in changed.items() if self.households.get(hid) != entry}
        if changed:
            self._updated(households=changed)

    @event("Updated")
    def _updated(self, households: dict[str, list[Any]]) -> None:
        self.households.update(households)

    def incomes(self, account: str, default_account: str) -> list[tuple[UUID, IncomeAgreement]]:
        """The income agreements of the households paid into `account`."""
        found = []
        cache: dict[Any, Any] = {}
        for hid, (dossier, own_account, rows) in self.households.items():
            if (own_account or default_account) == account:
                ident = UUID(hid)
                found.extend((ident, IncomeAgreement.from_row(dossier, row, cache)) for row in rows)
        return found
