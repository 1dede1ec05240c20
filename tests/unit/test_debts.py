"""Debts on a household (issue 23): recorded at intake or from a creditor's report, the
engine's own arrears beside them without being entered twice."""

from __future__ import annotations

from datetime import date

import pytest

from huishoudboekje.domain.debts import split_debt_id
from huishoudboekje.domain.errors import DomainError, HouseholdError, NotFound
from huishoudboekje.domain.money import Money
from tests.unit.build import charge, household

WOONSTAD = "NL91ABNA0417164300"


def with_debt():
    made = household("HHB-2026-0001", charge("huur", "700.00"))
    ident = made.add_debt("Woonstad", WOONSTAD, "1500.00", date(2025, 10, 1), "huur", "HUUR-2025-77", "intake", "t")
    return made, ident


def test_a_debt_is_recorded_with_an_id_that_names_its_household():
    made, ident = with_debt()
    assert ident == "HHB-2026-0001:S1" and split_debt_id(ident) == ("HHB-2026-0001", "S1")
    [row] = made.debt_rows()
    assert row == {"debt": ident, "dossier": "HHB-2026-0001", "creditor": "Woonstad", "iban": WOONSTAD,
                   "amount": "1500.00", "remaining": "1500.00", "since": "2025-10-01", "kind": "huur",
                   "reference": "HUUR-2025-77", "source": "intake", "status": "open", "closed_on": None,
                   "reason": None, "frozen": False, "frozen_until": None}
    assert [type(e).__name__ for e in made.collect_events()][-1] == "DebtAdded"


def test_update_and_close_are_events_and_a_closed_debt_takes_no_more_changes():
    made, ident = with_debt()
    row = made.update_debt("S1", {"amount": "1400.00", "reference": None, "kind": None}, "t")
    assert (row["amount"], row["remaining"], row["reference"]) == ("1400.00", "1400.00", "HUUR-2025-77")
    row = made.close_debt("S1", date(2026, 12, 1), "kwijtgescholden", "t")
    assert (row["status"], row["closed_on"], row["reason"]) == ("closed", "2026-12-01", "kwijtgescholden")
    with pytest.raises(HouseholdError, match="closed on 2026-12-01"):
        made.update_debt("S1", {"amount": "1.00"}, "t")
    names = [type(e).__name__ for e in made.collect_events()]
    assert names[-3:] == ["DebtAdded", "DebtUpdated", "DebtClosed"]


@pytest.mark.parametrize("field, value, words", [
    ("iban", "NL00", "IBAN"), ("amount", "0.00", "more than 0.00"), ("amount", "-5", "negative"),
    ("kind", "telefoon", "not one of"), ("creditor", " ", "creditor's name"), ("amount", "1.234", "decimals")])
def test_bad_input_is_refused_in_words_and_nothing_is_written(field, value, words):
    made, _ = with_debt()
    made.collect_events()
    fields = {"creditor": "Eneco", "iban": WOONSTAD, "amount": "80.00", "kind": "energie", field: value}
    with pytest.raises(DomainError, match=words) as caught:
        made.add_debt(fields["creditor"], fields["iban"], fields["amount"], date(2026, 1, 1), fields["kind"],
                      None, "intake", "t")
    assert caught.value.field == field
    assert made.collect_events() == [] and len(made.debts) == 1


def test_the_engines_own_arrears_are_listed_once_and_cannot_be_added_as_a_debt():
    made, _ = with_debt()
    made.pay(date(2026, 12, 1), "NL39BNGH0285009999")  # nothing booked: the rent goes into arrears
    rows = made.debt_rows()
    assert [(r["debt"], r["source"], r["amount"], r["since"]) for r in rows] == [
        ("HHB-2026-0001:S1", "intake", "1500.00", "2025-10-01"),
        ("HHB-2026-0001:A-huur", "engine-arrears", "700.00", "2026-12-01")]
    with pytest.raises(DomainError, match="listed by themselves"):
        made.add_debt("Landlord", WOONSTAD, "700.00", date(2026, 11, 1), "huur", None, "engine-arrears", "t")


def test_an_unknown_debt_is_not_found():
    made, _ = with_debt()
    with pytest.raises(NotFound):
        made.close_debt("S9", date(2026, 12, 1), "x", "t")
    with pytest.raises(NotFound):
        split_debt_id("HHB-2026-0001")


def test_an_ended_household_takes_no_new_debts():
    made, _ = with_debt()
    made.end_participation(date(2026, 11, 20), "t")
    with pytest.raises(HouseholdError, match="ended its participation"):
        made.add_debt("Eneco", WOONSTAD, "80.00", date(2026, 1, 1), "energie", None, "intake", "t")
    assert Money(made.debts["S1"]["remaining"]) == Money("1500.00")


def test_participation_ends_with_a_reason_from_the_list():
    made, _ = with_debt()
    with pytest.raises(DomainError, match="not one of") as caught:
        made.end_participation(date(2026, 12, 31), "t", "verhuisd")
    assert caught.value.field == "reason" and made.status == "active"
    made.end_participation(date(2026, 12, 31), "t", "moved")
    assert (made.status, made.end_reason) == ("ended", "moved")
    older = household("HHB-2026-0002")
    older.end_participation(date(2026, 12, 31), "t")
    assert older.end_reason is None
