"""The ids the engine makes are made and read back in one place (`domain/ids.py`), and
never change: a payment made before this module existed keeps its id, so a rerun job
pays it once and a bank's echo of it still finds it."""

from datetime import date
from types import SimpleNamespace

from huishoudboekje.domain.household import Household
from huishoudboekje.domain.ids import end_to_end_id, end_to_end_prefix, household_id, household_prefix
from huishoudboekje.domain.money import Money

D = date(2026, 12, 1)
HOUSEHOLD = household_id("D-1")


def payment(kind, agreement_id, period, **parts):
    return SimpleNamespace(kind=kind, agreement_id=agreement_id, period=period, part=1, amount=Money("100.00"),
                           execution_date=D, creditor_name="X", creditor_iban="NL00", reference=None, **parts)


def made(pay, of=None):
    instruction = Household._instruction(SimpleNamespace(id=HOUSEHOLD), D, pay, "NL00", of)
    return instruction.id, instruction.end_to_end_id


def test_the_ids_of_payments_are_those_earlier_versions_made():
    # Written down from the code before the ids moved to domain/ids.py (commit d51fc6c).
    assert HOUSEHOLD.hex == "87d8a069d82a5decbf0790487a7459d5"
    assert made(payment("charge", "huur", D)) == (
        "4b792ca3474e5a208fe51383cebda88c", "87D8A069D82A-B67E36F3960EE83BCCE5")
    assert made(payment("leefgeld", None, D), of="supplement 2026-12-03") == (
        "5049d0cb3c435d8d8a64d05a8ef203de", "87D8A069D82A-5580FB5241D4704DF701")
    part = payment("arrears", "huur", date(2026, 11, 1), settled_before=Money("100.00"), rest=Money("650.00"))
    assert made(part) == ("43c76e1d39ca51c8a5888a7f002bacc2", "87D8A069D82A-089F646E91F812107FA4")


def test_an_end_to_end_id_names_the_household_it_was_made_for():
    e2e = end_to_end_id(HOUSEHOLD, "4b792ca3474e5a208fe51383cebda88c")
    assert end_to_end_prefix(e2e) == household_prefix(HOUSEHOLD) == household_prefix(HOUSEHOLD.hex)
    assert end_to_end_prefix(e2e) != household_prefix(household_id("D-2"))


def test_an_end_to_end_id_the_engine_did_not_make_names_no_household():
    for foreign in ("", "NOTPROVIDED", "INV-2026-0042", "87D8A069D82A_B67E36F3960EE83BCCE5",
                    "87D8A069D82A-B67E36F3960EE83BCCE5X"):
        assert end_to_end_prefix(foreign) is None

