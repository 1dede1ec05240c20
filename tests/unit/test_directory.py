"""The income directory: what an import matches against, split into shards by household."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from huishoudboekje.domain.directory import (DIRECTORY_ID, SHARD_IDS, SHARDS, Directory, IncomeDirectory, shard_of,
                                             split)
from huishoudboekje.domain.household import Household, household_id
from huishoudboekje.domain.matching import MatchIndex
from huishoudboekje.domain.money import Money

from .build import MANAGED, TOESLAGEN, charge, credit, household, income

OTHER = "NL02ABNA0123456789"  # a second managed account, of another municipality's team


def toeslagen(dossier: str, **kwargs) -> Household:
    return household(dossier, income("zorgtoeslag", "154.00", terms=("zorgtoeslag", dossier), iban=TOESLAGEN),
                     income("bijstand", "1100.00", terms=(dossier,)), charge("huur", "700.00"), **kwargs)


def four_households() -> list[Household]:
    """In four different shards: one on another account, one that ended its participation."""
    ended = toeslagen("HHB-2026-0004")
    ended.end_participation(date(2026, 12, 31), "test")
    return [toeslagen("HHB-2026-0001"), toeslagen("HHB-2026-0002"), toeslagen("HHB-2026-0003", account=OTHER), ended]


def sharded(households: list[Household]) -> Directory:
    """The directory as the engine keeps it: each household's entry in its own shard."""
    shards = [IncomeDirectory(shard=k) for k in range(SHARDS)]
    for made in households:
        shards[shard_of(made.id)].update([made])
    return Directory(shards)


def keys(found: list[tuple[UUID, object]]) -> list[tuple[UUID, str]]:
    return sorted((hid, income.key) for hid, income in found)  # type: ignore[attr-defined]


def test_the_directory_finds_every_households_incomes_across_shards_by_the_account_they_are_paid_into():
    households = four_households()
    assert len({shard_of(h.id) for h in households}) == 4
    directory = sharded(households)
    one, two, three, _ = (h.id for h in households)
    assert keys(directory.incomes(MANAGED, MANAGED)) == sorted([
        (one, "HHB-2026-0001/bijstand"), (one, "HHB-2026-0001/zorgtoeslag"),
        (two, "HHB-2026-0002/bijstand"), (two, "HHB-2026-0002/zorgtoeslag"),
    ])  # no charges, nothing of the household that ended
    assert keys(directory.incomes(OTHER, MANAGED)) == sorted([
        (three, "HHB-2026-0003/bijstand"), (three, "HHB-2026-0003/zorgtoeslag")])
    assert directory.incomes(MANAGED, OTHER) == []  # the first two have no account of their own: OTHER's now


def test_an_import_books_from_the_sharded_directory_to_the_right_household():
    directory = sharded(four_households())
    index = MatchIndex([found for _, found in directory.incomes(MANAGED, MANAGED)])
    booked = index.match(credit("154.00", "Zorgtoeslag HHB-2026-0002")).booked
    assert booked is not None and booked.income.key == "HHB-2026-0002/zorgtoeslag"
    ended = index.match(credit("154.00", "Zorgtoeslag HHB-2026-0004"))  # what still comes in goes to staff
    assert ended.booked is None and ended.candidates == ()


def test_a_shard_is_written_again_only_when_a_households_incomes_change():
    made = toeslagen("HHB-2026-0001")
    shard = IncomeDirectory(shard=shard_of(made.id))
    shard.update([made])
    shard.update([made])
    made.add_agreement(charge("energie", "95.00", priority=2), "test")  # a charge: nothing to match
    shard.update([made])
    assert [type(e).__name__ for e in shard.collect_events()] == ["Opened", "Updated"]
    made.change_amount("zorgtoeslag", Money("161.00"), date(2027, 1, 1), "test")
    shard.update([made])
    assert [type(e).__name__ for e in shard.collect_events()] == ["Updated"]
    [(_, zorg)] = [(h, i) for h, i in shard.incomes(MANAGED, MANAGED) if i.agreement_id == "zorgtoeslag"]
    assert zorg.amount_on(date(2027, 1, 1)) == Money("161.00")


def test_splitting_the_single_directory_of_an_older_store_gives_the_same_answers():
    households = four_households()
    old = IncomeDirectory()  # one aggregate for every household, as stores before the split have
    old.update(households)
    assert old.id == DIRECTORY_ID
    shards = split(old.households)
    assert [s.id for s in shards] == SHARD_IDS
    directory = Directory(shards)
    assert directory.households == old.households
    for account, default in ((MANAGED, MANAGED), (OTHER, MANAGED), (MANAGED, OTHER)):
        assert keys(directory.incomes(account, default)) == keys(old.incomes(account, default))
    assert sharded(households).households == old.households  # and the same as shards kept from the start
    for shard in shards:
        assert all(shard_of(UUID(hid)) == shard.shard for hid in shard.households)


@given(st.dictionaries(st.uuids().map(lambda u: u.hex), st.lists(st.text(max_size=5), max_size=3), max_size=40))
def test_a_split_keeps_every_entry_once(entries):
    shards = split(entries)
    assert sum(len(s.households) for s in shards) == len(entries)
    assert Directory(shards).households == entries
    assert all(len(s.collect_events()) == (2 if s.households else 1) for s in shards)  # empty shards: just opened


@given(st.uuids())
def test_shard_of_is_stable_and_one_of_the_shards(ident):
    assert 0 <= shard_of(ident) < SHARDS
    assert shard_of(UUID(ident.hex)) == shard_of(ident)  # the directory keeps ids as hex


def test_the_ids_stored_stores_are_found_by_never_change():
    assert str(DIRECTORY_ID) == "2bfcda5b-72d1-5031-938c-a24152a78efe"
    assert (str(SHARD_IDS[0]), str(SHARD_IDS[127])) == ("4a2da67e-de52-52ab-8b87-b1b57cf599ce",
                                                        "45ac09f1-2b51-5fe1-8115-25a1ef33a53f")
    assert shard_of(household_id("HHB-2026-0001")) == 7


def test_households_spread_evenly_over_the_shards():
    # 20,000 dossiers numbered as a municipality numbers them: no shard holds much more
    # than its share, so no shard's snapshot grows far beyond the others.
    counts = Counter(shard_of(household_id(f"HHB-2026-{n:05d}")) for n in range(20_000))
    share = 20_000 / SHARDS
    assert len(counts) == SHARDS
    assert 0.7 * share <= min(counts.values()) and max(counts.values()) <= 1.3 * share
