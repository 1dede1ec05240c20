"""The income directory: every income agreement the engine manages.

An import matches each credit against the income agreements of *all* households.
Rebuilding those from thousands of household streams costs a millisecond per
household; the directory keeps what matching needs, in compact rows of plain JSON
values, and is saved in the same write as every household change that touches an
income agreement (see `Engine.save`), so it is never behind the households.

It is split into `SHARDS` aggregates by household id, so no stored event or snapshot
grows with the number of households (about 300 bytes each: one aggregate for 20,000
households would be a snapshot of 6 MB; a shard holds 1/128 of that), and a change to
one household writes one shard. Stores written before the split have one directory
under `DIRECTORY_ID`; `Engine` splits it into shards the first time it needs them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .agreement import INCOME
from .household import ACTIVE, NAMESPACE, Household
from .matching import IncomeAgreement

DIRECTORY_ID = uuid5(NAMESPACE, "/income-directory")  # the one directory of older stores
SHARDS = 128


def shard_of(household_id: UUID) -> int:
    return household_id.bytes[0] % SHARDS  # ids are uuid5 hashes: evenly spread


def shard_id(shard: int) -> UUID:
    return uuid5(NAMESPACE, f"/income-directory/{shard}")


SHARD_IDS = [shard_id(k) for k in range(SHARDS)]

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
    """One shard of the directory (`shard` None: the unsplit directory of older stores)."""

    @staticmethod
    def create_id(shard: int | None = None) -> UUID:
        return DIRECTORY_ID if shard is None else shard_id(shard)

    @event("Opened")
    def __init__(self, shard: int | None = None) -> None:
        self.shard = shard
        self.households: dict[str, list[Any]] = {}  # household id (hex) -> entry_of()

    def load(self, entries: dict[str, list[Any]]) -> None:
        """Take entries as they are (splitting an older store's directory)."""
        if entries:
            self._updated(households=entries)

    def update(self, households: list[Household]) -> None:
        changed = {h.id.hex: entry_of(h) for h in households}
        changed = {hid: entry for hid, entry in changed.items() if self.households.get(hid) != entry}
        if changed:
            self._updated(households=changed)

    @event("Updated")
    def _updated(self, households: dict[str, list[Any]]) -> None:
        self.households.update(households)

    def incomes(self, account: str, default_account: str,
                cache: dict[Any, Any] | None = None) -> list[tuple[UUID, IncomeAgreement]]:
        """The income agreements of the households paid into `account`."""
        found = []
        cache = {} if cache is None else cache
        for hid, (dossier, own_account, rows) in self.households.items():
            if (own_account or default_account) == account:
                ident = UUID(hid)
                found.extend((ident, IncomeAgreement.from_row(dossier, row, cache)) for row in rows)
        return found


def split(entries: dict[str, list[Any]]) -> list[IncomeDirectory]:
    """The SHARDS new shards holding `entries` (household id hex -> `entry_of`), each
    entry in the shard `shard_of` gives it: how an older store's directory is split."""
    shards = [IncomeDirectory(shard=k) for k in range(SHARDS)]
    parts: list[dict[str, list[Any]]] = [{} for _ in range(SHARDS)]
    for hid, entry in entries.items():
        parts[shard_of(UUID(hid))][hid] = entry
    for shard, part in zip(shards, parts):
        shard.load(part)
    return shards


class Directory:
    """All shards of the directory, as one import reads them."""

    def __init__(self, shards: list[IncomeDirectory]) -> None:
        self.shards = shards

    @property
    def households(self) -> dict[str, list[Any]]:
        return {hid: entry for shard in self.shards for hid, entry in shard.households.items()}

    @property
    def versions(self) -> dict[UUID, int]:
        return {shard.id: shard.version for shard in self.shards}

    def incomes(self, account: str, default_account: str) -> list[tuple[UUID, IncomeAgreement]]:
        cache: dict[Any, Any] = {}
        return [found for shard in self.shards for found in shard.incomes(account, default_account, cache)]
