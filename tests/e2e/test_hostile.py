"""A statement is evidence, not an instruction: hostile and mistyped input through `hhb`,
on SQLite and PostgreSQL (issue 16, the money half)."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from adapters.store import open_engine
from huishoudboekje.domain.money import Money
from tests.factories import Tx, camt053
from tests.e2e.test_reconcile import echo, hhb, instructions, november_incomes, ok, run, settings_env  # noqa: F401

DOSSIER = "HHB-2026-0001"
STRANGER = "NL91ABNA0417164300"  # anyone who ever saw the rent's end-to-end id


@pytest.fixture
def paid(store_url, tmp_path, example_doc):
    """The example household, paid on 1 December: rent 712.40 and leefgeld 718.70."""
    ok(hhb(store_url, "onboard", str(example_doc)))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053(november_incomes()))
    ok(hhb(store_url, "import", str(statement)))
    assert run(store_url, "2026-12-01")["instructions"] == 2
    return store_url


def imported(store_url, tmp_path, name, txs):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(camt053(txs, statement_id=name))
    return json.loads(ok(hhb(store_url, "import", str(path), "--json")).stdout)


def household(store_url, tmp_path):
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        return engine.household(DOSSIER)
    finally:
        engine.close()


def open_signals(store_url, rule):
    rows = json.loads(ok(hhb(store_url, "signals", "--dossier", DOSSIER, "--json")).stdout)
    return [r for r in rows if r["rule"] == rule and r["status"] == "open"]


def queue(store_url):
    return json.loads(ok(hhb(store_url, "unmatched", "--json")).stdout)


# -- echoes must fit what we sent -------------------------------------------------------


@pytest.mark.parametrize("confirmed_first", [False, True], ids=["before-confirmation", "after-confirmation"])
@pytest.mark.parametrize("sender", [STRANGER, "NL20INGB0001234567"], ids=["stranger", "landlord"])
def test_a_one_cent_credit_with_a_paid_rents_end_to_end_id_pays_nothing_again(paid, tmp_path, confirmed_first,
                                                                                sender):
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    if confirmed_first:
        assert imported(paid, tmp_path, "EXEC", [echo(rent, f"-{rent.amount}", date(2026, 12, 1), "huur")]
                        )["payments_confirmed"] == 1
    attack = Tx("0.01", date(2026, 12, 2), sender, "Wie dan ook", "retour", end_to_end_id=rent.end_to_end_id)
    result = imported(paid, tmp_path, "CENT", [attack])
    assert (result["payments_returned"], result["unmatched"]) == (0, 1)

    after = household(paid, tmp_path)
    assert after.instructions[rent.id].status == ("confirmed" if confirmed_first else "scheduled")
    assert after.arrears == [] and after.pot == rent.amount.zero()  # no money moved
    [queued] = queue(paid)
    assert queued["amount"] == "0.01" and "by its end-to-end id" in queued["reason"]
    [signal] = open_signals(paid, "echo-refused")
    assert signal["details"]["transaction"] == queued["transaction"]

    before = {i.id for i in instructions(paid, tmp_path)}
    assert run(paid, "2026-12-02")["instructions"] == 0  # the rent is not paid again
    assert {i.id for i in instructions(paid, tmp_path)} == before


def test_a_debit_of_the_right_amount_to_another_creditor_iban_is_not_confirmed(paid, tmp_path):
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    tampered = Tx(f"-{rent.amount}", date(2026, 12, 1), STRANGER, rent.creditor_name, "huur",
                  end_to_end_id=rent.end_to_end_id)
    result = imported(paid, tmp_path, "TAMPERED", [tampered])
    assert (result["payments_confirmed"], result["unmatched"]) == (0, 1)
    assert household(paid, tmp_path).instructions[rent.id].status == "scheduled"
    [queued] = queue(paid)
    assert STRANGER in queued["reason"] and rent.creditor_iban in queued["reason"]
    assert len(open_signals(paid, "echo-refused")) == 1


def test_a_second_debit_after_a_confirmed_payment_came_back_is_refused(paid, tmp_path):
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    assert imported(paid, tmp_path, "EXEC", [echo(rent, f"-{rent.amount}", date(2026, 12, 1), "huur")]
                    )["payments_confirmed"] == 1
    assert imported(paid, tmp_path, "RET", [echo(rent, f"{rent.amount}", date(2026, 12, 2), "retour")]
                    )["payments_returned"] == 1
    again = imported(paid, tmp_path, "EXEC2", [echo(rent, f"-{rent.amount}", date(2026, 12, 3), "huur nogmaals")])
    assert (again["payments_confirmed"], again["unmatched"]) == (0, 1)
    after = household(paid, tmp_path)
    assert after.instructions[rent.id].status == "returned" and after.pot == rent.amount  # no money moved
    [queued] = queue(paid)
    assert "confirmed already" in queued["reason"]
    [signal] = open_signals(paid, "echo-refused")
    assert signal["details"]["transaction"] == queued["transaction"]


def test_an_execution_imported_after_its_return_is_accepted_once_and_a_second_debit_is_refused(paid, tmp_path):
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    assert imported(paid, tmp_path, "RET", [echo(rent, f"{rent.amount}", date(2026, 12, 3), "retour")]
                    )["payments_returned"] == 1
    first = imported(paid, tmp_path, "EXEC", [echo(rent, f"-{rent.amount}", date(2026, 12, 1), "huur")])
    assert first["unmatched"] == 0 and queue(paid) == []
    assert household(paid, tmp_path).instructions[rent.id].confirmed_by is not None
    second = imported(paid, tmp_path, "EXEC2", [echo(rent, f"-{rent.amount}", date(2026, 12, 4), "huur nogmaals")])
    assert second["unmatched"] == 1 and len(open_signals(paid, "echo-refused")) == 1
    assert household(paid, tmp_path).pot == rent.amount


def test_a_return_short_by_more_than_the_fee_limit_goes_to_staff_and_one_within_it_is_returned(
        paid, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_RETURN_FEE_LIMIT", "10.00")
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    short = imported(paid, tmp_path, "SHORT", [echo(rent, "700.00", date(2026, 12, 3), "retour")])
    assert (short["payments_returned"], short["unmatched"]) == (0, 1)  # 12.40 kept: more than 10.00
    fair = imported(paid, tmp_path, "FAIR", [echo(rent, "702.40", date(2026, 12, 4), "retour")])
    assert fair["payments_returned"] == 1
    after = household(paid, tmp_path)
    assert after.instructions[rent.id].status == "returned" and after.pot.amount == Decimal("702.40")


# -- plausibility before money moves ------------------------------------------------------

GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")


@pytest.fixture
def onboarded(store_url, example_doc):
    ok(hhb(store_url, "onboard", str(example_doc)))
    return store_url


@pytest.mark.parametrize("amount, why", [
    ("5000000.00", "above the ceiling for an income of 10000.00"),
    ("3961.51", "more than 3 times the expected 1320.50"),  # one cent over three times the bijstand
])
def test_a_matched_credit_far_outside_its_agreement_waits_for_a_person(onboarded, tmp_path, amount, why):
    txs = [Tx(amount, date(2026, 11, 30), *GEMEENTE, f"Uitkering {DOSSIER}")]
    result = imported(onboarded, tmp_path, "BIG", txs)
    assert (result["matched"], result["unmatched"]) == (0, 1)
    [queued] = queue(onboarded)
    assert why in queued["reason"] and queued["candidates"] == [f"{DOSSIER}/bijstand"]
    assert household(onboarded, tmp_path).bookings == {}
    run(onboarded, "2026-12-01")
    paid = instructions(onboarded, tmp_path)
    # The rent and the minimum leefgeld, advanced by the buffer; nothing from the credit.
    assert [(i.kind, str(i.amount)) for i in paid] == [("charge", "712.40"), ("leefgeld", "250.00")]


def test_three_times_the_expected_income_is_still_booked(onboarded, tmp_path):
    result = imported(onboarded, tmp_path, "THREE", [Tx("3961.50", date(2026, 11, 30), *GEMEENTE, DOSSIER)])
    assert result["matched"] == 1


@pytest.mark.parametrize("fmt, where", [("camt053", "entry 2"), ("mt940", "line")])
def test_an_amount_no_payment_file_can_carry_is_refused_at_import_with_the_entry_named(
        onboarded, tmp_path, fmt, where):
    from tests.factories import mt940

    txs = [Tx("131.00", date(2026, 11, 20), "NL86INGB0002445588", "Belastingdienst/Toeslagen", DOSSIER),
           Tx("999999999999.99", date(2026, 11, 30), *GEMEENTE, f"Uitkering {DOSSIER}")]
    path = tmp_path / f"absurd.{'xml' if fmt == 'camt053' else 'sta'}"
    path.write_bytes(camt053(txs) if fmt == "camt053" else mt940(txs))
    refused = hhb(onboarded, "import", str(path))
    assert refused.exit_code == 2
    assert str(path) in refused.stderr and where in refused.stderr and "999999999.99" in refused.stderr
    assert queue(onboarded) == [] and household(onboarded, tmp_path).bookings == {}  # nothing written


# -- one household can never stop the night -----------------------------------------------

THREE = ("HHB-2026-0001", "HHB-2026-0002", "HHB-2026-0003")


@pytest.fixture
def three(store_url, tmp_path, example_doc):
    docs = []
    for dossier in THREE:
        path = tmp_path / f"{dossier}.yaml"
        path.write_text(example_doc.read_text().replace("HHB-2026-0001", dossier))
        docs.append(str(path))
    ok(hhb(store_url, "onboard", *docs))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053([t for dossier in THREE for t in november_incomes(dossier)]))
    ok(hhb(store_url, "import", str(statement)))
    return store_url


def paid_dossiers(store_url, tmp_path):
    from tests.e2e.test_reconcile import check_pain, payment_files

    filed = {e2e for path in payment_files(tmp_path) for e2e in check_pain(path)[2]}
    return {dossier for dossier in THREE
            if {i.end_to_end_id for i in instructions(store_url, tmp_path, dossier)} & filed}


def test_an_amount_no_payment_file_can_carry_holds_that_household_and_pays_every_other(
        three, tmp_path, monkeypatch):
    # A careless colleague books two absurd credits by hand (the import queued them); the
    # municipality set no participant ceiling to speak of.
    monkeypatch.setenv("HHB_PARTICIPANT_CEILING", "999999999999.99")
    absurd = [Tx("999999999.99", date(2026, 11, 30), *GEMEENTE, f"Uitkering HHB-2026-0002 {n}") for n in (1, 2)]
    assert imported(three, tmp_path, "ABSURD", absurd)["unmatched"] == 2
    absurd_ids = [queued["transaction"] for queued in queue(three)]
    for ident in absurd_ids:
        ok(hhb(three, "book", ident, "HHB-2026-0002", "bijstand"))

    night = hhb(three, "reconcile", "--date", "2026-12-01", "--json")
    assert night.exit_code == 0, night.output
    summary = json.loads(night.stdout)
    assert summary["households_paid"] == 2 and len(summary["payment_files"]) == 1
    [held] = summary["held"]
    assert held["dossier"] == "HHB-2026-0002" and "999999999.99" in held["reason"]
    assert "HHB-2026-0002 is not paid" in night.stderr
    assert paid_dossiers(three, tmp_path) == {"HHB-2026-0001", "HHB-2026-0003"}
    assert instructions(three, tmp_path, "HHB-2026-0002") == []  # nothing recorded as paid
    rows = json.loads(ok(hhb(three, "signals", "--dossier", "HHB-2026-0002", "--json")).stdout)
    assert [r["status"] for r in rows if r["rule"] == "payments-held"] == ["open"]

    # Staff correct it: the bookings were never paid out, so they can be undone. The
    # next night pays the household; its signal clears itself.
    for ident in absurd_ids:
        ok(hhb(three, "book", ident, "--undo"))
    next_night = run(three, "2026-12-02")
    assert next_night["held"] == [] and next_night["households_paid"] == 1
    assert paid_dossiers(three, tmp_path) == set(THREE)
    rows = json.loads(ok(hhb(three, "signals", "--dossier", "HHB-2026-0002", "--json")).stdout)
    assert [r["status"] for r in rows if r["rule"] == "payments-held"] == ["resolved"]


def test_any_failure_of_one_household_holds_it_and_the_night_finishes_for_the_others(
        three, tmp_path, monkeypatch):
    from huishoudboekje.domain.household import Household

    pay = Household.pay

    def failing(self, pay_date, account, *args, **kwargs):
        if self.dossier == "HHB-2026-0003":
            raise RuntimeError("something nobody foresaw")
        return pay(self, pay_date, account, *args, **kwargs)

    monkeypatch.setattr(Household, "pay", failing)
    summary = run(three, "2026-12-01")
    assert summary["held"] == [{"dossier": "HHB-2026-0003", "reason": "something nobody foresaw"}]
    assert summary["households_paid"] == 2
    assert paid_dossiers(three, tmp_path) == {"HHB-2026-0001", "HHB-2026-0002"}
    assert run(three, "2026-12-02")["held"] == [{"dossier": "HHB-2026-0003", "reason": "something nobody foresaw"}]
    rows = json.loads(ok(hhb(three, "signals", "--dossier", "HHB-2026-0003", "--json")).stdout)
    assert [r["rule"] for r in rows].count("payments-held") == 1  # raised once, not every night


def test_a_store_error_during_the_job_holds_no_household_and_fails_the_job_until_a_rerun_pays(
        three, tmp_path, monkeypatch):
    from eventsourcing.persistence import OperationalError

    from huishoudboekje.engine import Engine

    load, failures = Engine.household_by_id, []

    def flaky(self, hid, *args, **kwargs):
        if len(failures) < 2 and sys._getframe(1).f_code.co_name in ("pay", "_hold"):
            failures.append(hid)
            raise OperationalError("server closed the connection unexpectedly")
        return load(self, hid, *args, **kwargs)

    monkeypatch.setattr(Engine, "household_by_id", flaky)
    failed = hhb(three, "reconcile", "--date", "2026-12-01", "--json")
    monkeypatch.setattr(Engine, "household_by_id", load)
    assert failed.exit_code not in (0, 2) and "run the job again" in failed.output
    assert len(failures) == 1  # not even tried to hold: the store, not the household, failed
    for dossier in THREE:
        rows = json.loads(ok(hhb(three, "signals", "--dossier", dossier, "--json")).stdout)
        assert "payments-held" not in [r["rule"] for r in rows]
    again = run(three, "2026-12-01")  # the day was not completed: the rerun pays it
    assert again["held"] == [] and again["households_paid"] == 3
    assert paid_dossiers(three, tmp_path) == set(THREE)


def test_a_household_that_does_not_load_is_held_by_its_dossier_and_no_signal_is_claimed(
        three, tmp_path, monkeypatch):
    from huishoudboekje.engine import Engine

    engine = open_engine(three, tmp_path / "ev")
    try:
        broken = {dossier: hid for hid, dossier in engine.household_ids()}["HHB-2026-0003"]
    finally:
        engine.close()
    load = Engine.household_by_id

    def corrupt(self, hid, *args, **kwargs):
        if hid == broken and sys._getframe(1).f_code.co_name in ("pay", "_hold"):
            raise ValueError("an event nobody can read")
        return load(self, hid, *args, **kwargs)

    monkeypatch.setattr(Engine, "household_by_id", corrupt)
    result = ok(hhb(three, "reconcile", "--date", "2026-12-01", "--json"))
    [held] = json.loads(result.stdout)["held"]
    assert held["dossier"] == "HHB-2026-0003" and "could not be recorded" in held["reason"]
    assert "HHB-2026-0003 is not paid (held; its signal could not be recorded)" in result.stderr


# -- leefgeld above the participant ceiling waits for two people ---------------------------


def test_a_hand_booked_five_million_pays_the_ceiling_and_holds_the_rest_until_two_people_release_it(
        onboarded, tmp_path):
    big = Tx("5000000.00", date(2026, 11, 30), *GEMEENTE, f"Uitkering {DOSSIER}")
    assert imported(onboarded, tmp_path, "BIG", [big])["unmatched"] == 1  # implausible: a person looks
    [queued] = queue(onboarded)
    ok(hhb(onboarded, "book", queued["transaction"], DOSSIER, "bijstand", "--actor", "careless"))

    run(onboarded, "2026-12-01")
    leefgeld = [i for i in instructions(onboarded, tmp_path) if i.kind == "leefgeld"]
    assert sum(i.amount.amount for i in leefgeld) == Decimal("5000.00")  # HHB_PARTICIPANT_CEILING, no more
    held = household(onboarded, tmp_path)
    assert held.on_hold.amount == Decimal("5000000.00") - Decimal("712.40") - Decimal("20.40") - Decimal("5000.00")
    assert held.totals["in"] == held.totals["out"] + held.held() - held.buffer_outstanding  # not a cent lost
    assert len(open_signals(onboarded, "leefgeld-held")) == 1

    first = json.loads(ok(hhb(onboarded, "release", DOSSIER, "--actor", "anna")).stdout)
    assert first["status"] == "approved" and first["amount"] == str(held.on_hold)
    again = hhb(onboarded, "release", DOSSIER, "--actor", "anna")
    assert again.exit_code == 2 and "second person" in again.stderr
    assert run(onboarded, "2026-12-31")["total"] != "0.00"
    assert household(onboarded, tmp_path).on_hold == held.on_hold  # approved once: still held

    second = json.loads(ok(hhb(onboarded, "release", DOSSIER, "--actor", "bram")).stdout)
    assert (second["status"], second["approved_by"], second["released_by"]) == ("released", "anna", "bram")
    before = {i.id for i in instructions(onboarded, tmp_path)}
    run(onboarded, "2027-02-01")
    paid = [i for i in instructions(onboarded, tmp_path) if i.id not in before and i.kind == "leefgeld"]
    # The next pay date pays it: charges and the buffer's advances first, the rest above the ceiling.
    assert sum(i.amount.amount for i in paid) > held.on_hold.amount - Decimal("2000.00")
    after = household(onboarded, tmp_path)
    assert after.on_hold.amount == 0 and open_signals(onboarded, "leefgeld-held") == []
    assert after.totals["in"] == after.totals["out"] + after.held() - after.buffer_outstanding


def test_a_households_own_participant_ceiling_comes_before_the_municipalitys(store_url, tmp_path, example_doc):
    doc = tmp_path / "own.yaml"
    doc.write_text(example_doc.read_text().replace('buffer_limit: "1500.00"',
                                                   'buffer_limit: "1500.00"\nparticipant_ceiling: "500.00"'))
    ok(hhb(store_url, "onboard", str(doc)))
    assert json.loads(ok(hhb(store_url, "onboard", str(doc))).stdout)["status"] == "unchanged"
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053(november_incomes()))
    ok(hhb(store_url, "import", str(statement)))
    run(store_url, "2026-12-01")
    [leefgeld] = [i for i in instructions(store_url, tmp_path) if i.kind == "leefgeld"]
    assert leefgeld.amount.amount == Decimal("500.00")
    assert household(store_url, tmp_path).on_hold.amount == Decimal("218.70")  # 718.70 less the ceiling


def test_held_leefgeld_of_a_settled_household_is_not_released_into_a_pot_no_run_pays(
        store_url, tmp_path, example_doc):
    doc = tmp_path / "ended.yaml"
    doc.write_text(example_doc.read_text().replace('buffer_limit: "1500.00"',
                                                   'participant_ceiling: "300.00"\nbuffer_limit: "1500.00"'))
    ok(hhb(store_url, "onboard", str(doc)))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053(november_incomes()))
    ok(hhb(store_url, "import", str(statement)))
    run(store_url, "2026-12-01")
    ok(hhb(store_url, "end-participation", DOSSIER, "--on", "2026-12-10"))
    run(store_url, "2026-12-31")
    settled = household(store_url, tmp_path)
    assert settled.settled_on is not None and settled.on_hold.amount == Decimal("418.70")

    for actor in ("anna", "bert"):
        refused = hhb(store_url, "release", DOSSIER, "--actor", actor)
        assert refused.exit_code == 2 and "stays held" in refused.stderr and "by hand" in refused.stderr
    after = household(store_url, tmp_path)
    assert after.on_hold.amount == Decimal("418.70") and after.release_approval is None and after.pot.amount == 0
    assert len(open_signals(store_url, "leefgeld-held")) == 1


def test_the_final_settlement_and_weekly_parts_keep_to_the_ceiling_too():
    from huishoudboekje.domain.money import Money
    from tests.unit.test_household_money import monthly_household, with_income

    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"leefgeld_schedule": "weekly", "participant_ceiling": Money("300.00")}, "t")
    household.book_income("big", "inkomen", Money("1000.00"), date(2026, 11, 25), "t")
    household.pay(date(2026, 12, 1), "NL39BNGH0285009999")
    parts = household.instructions_of(date(2026, 12, 1))
    assert len(parts) > 1 and sum(i.amount.amount for i in parts) == Decimal("300.00")
    assert household.on_hold == Money("700.00")
    household.book_income("last", "inkomen", Money("1000.00"), date(2026, 12, 10), "t")
    household.end_participation(date(2026, 12, 11), "t")
    [settlement] = household.pay_dates_between(date(2026, 12, 2), date(2026, 12, 31))
    household.pay(settlement, "NL39BNGH0285009999")
    assert sum(i.amount.amount for i in household.instructions_of(settlement)) == Decimal("300.00")
    assert household.on_hold == Money("1400.00")
    assert household.totals["in"] == household.totals["out"] + household.held() - household.buffer_outstanding


@pytest.mark.parametrize("first, second", [("staff:Anna", "teamlead: anna "),
                                           ("staff:anna  de  Vries", "teamlead:Anna de vries")])
def test_one_person_with_a_staff_and_a_teamlead_token_cannot_release_alone(first, second):
    from huishoudboekje.domain.household import HouseholdError
    from huishoudboekje.domain.money import Money
    from tests.unit.test_household_money import monthly_household, with_income

    household = with_income(monthly_household(1, due_days=()))
    household.change_settings({"participant_ceiling": Money("300.00")}, "t")
    household.book_income("big", "inkomen", Money("1000.00"), date(2026, 11, 25), "t")
    household.pay(date(2026, 12, 1), "NL39BNGH0285009999")
    assert household.on_hold.is_positive
    assert household.approve_release(date(2026, 12, 2), first) == "approved"
    with pytest.raises(HouseholdError, match="a second person"):
        household.approve_release(date(2026, 12, 2), second)
    assert household.approve_release(date(2026, 12, 2), "teamlead:bram") == "released"


def test_a_household_snapshot_of_version_3_loads_with_nothing_held():
    from eventsourcing.domain import Snapshot

    from tests.unit.test_household_money import monthly_household

    household = monthly_household(1)
    taken = Snapshot.take(household)
    state = dict(taken.state, class_version=3)
    for new in ("participant_ceiling", "on_hold", "on_hold_since", "release_approval", "released"):
        del state[new]
    from dataclasses import replace as copy_with

    loaded = copy_with(taken, state=state).mutate(None)
    assert loaded.on_hold.amount == 0 and loaded.participant_ceiling is None and loaded.release_approval is None


# -- properties: hostile echoes and absurd incomes -----------------------------------------

from hypothesis import event, given, settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.unit.test_household_money import PARTICIPANT, START, households  # noqa: E402

ECHOES = ["one-cent", "wrong-iban-return", "wrong-amount-confirm", "wrong-iban-confirm", "too-much-back",
          "duplicate-return", "return", "confirm"]


def _bookkeeper():
    from huishoudboekje.domain.limits import Limits
    from huishoudboekje.statements import _Bookkeeper

    book = object.__new__(_Bookkeeper)  # only its echo rule: no engine needed
    book.limits, book.actor = Limits(), "t"
    return book


def _echo(book, household, instruction, kind, number, day):
    from huishoudboekje.domain.statement import BankTransaction
    from huishoudboekje.statements import ImportResult

    paid = instruction.amount.amount
    stranger = "NL18RABO0123459876"  # no creditor of `households()`
    amount, iban = {
        "one-cent": (Decimal("0.01"), stranger),
        "wrong-iban-return": (paid, stranger),
        "wrong-amount-confirm": (-(paid + Decimal("0.01")), instruction.creditor_iban),
        "wrong-iban-confirm": (-paid, stranger),
        "too-much-back": (paid + Decimal("0.01"), instruction.creditor_iban),
        "duplicate-return": (paid, instruction.creditor_iban),
        "return": (paid, instruction.creditor_iban),
        "confirm": (-paid, instruction.creditor_iban),
    }[kind]
    transaction = BankTransaction("NL39BNGH0285009999", day, day, amount, iban, "X", "", instruction.end_to_end_id,
                                  None)
    result = ImportResult()
    row = book._payment_echo(f"E{number}", transaction, (household, instruction.id), result)
    return row[11], result  # the outcome the ledger records


@hypothesis_settings(max_examples=60)
@given(households(), st.lists(st.one_of(st.integers(0, 400_000), st.just(99_999_999_999)), min_size=12,
                              max_size=12), st.data())
def test_hostile_echoes_and_absurd_incomes_never_pay_a_euro_twice(household, incomes, data):
    from huishoudboekje.domain.limits import PAYABLE_MAX
    from huishoudboekje.domain.money import Money

    book = _bookkeeper()
    ceiling = data.draw(st.sampled_from([Money("5000.00"), Money("250.00")]), label="participant ceiling")
    creditors = {a.counterparty.iban for a in household.agreements.values()} | {PARTICIPANT}
    creditors |= {debt["iban"] for debt in household.debts.values()}  # arrangements' terms (issue 23)
    creditors |= {p.iban for p in household.participants}  # leefgeld shares
    booked, paid_periods, echoes = 0, set(), 0
    day = START
    for month, income in enumerate(incomes):
        if income and household.status == "active":
            household.book_income(f"t{month}", "inkomen", Money.from_cents(income), day + timedelta(days=3), "t")
            booked += income
        for pay_date in household.pay_dates_between(day, day + timedelta(days=31)):
            household.pay(pay_date, "NL39BNGH0285009999", ceiling)  # never raises: the night finishes
            for instruction in household.instructions_of(pay_date):
                assert Money.zero() < instruction.amount <= PAYABLE_MAX and instruction.creditor_iban in creditors
                if instruction.kind == "leefgeld" or instruction.rest:  # a part-payment leaves the rest in arrears
                    continue
                key = (instruction.agreement_id, instruction.period)
                assert key not in paid_periods  # paid in full again only after a genuine return
                paid_periods.add(key)
        issued = list(household.instructions.values())
        for _ in range(data.draw(st.integers(0, 3), label="echoes this month") if issued else 0):
            instruction = data.draw(st.sampled_from(issued), label="echoed payment")
            kind = data.draw(st.sampled_from(ECHOES), label="echo")
            before = (household.instructions[instruction.id].status, household.held(), list(household.arrears))
            outcome, result = _echo(book, household, household.instructions[instruction.id], kind, echoes,
                                    day + timedelta(days=5))
            echoes += 1
            if result.payments_returned and instruction.kind != "leefgeld":  # a genuine return
                paid_periods.discard((instruction.agreement_id, instruction.period))
            if kind == "duplicate-return" and outcome == "return":  # the same return, a second time
                outcome, result = _echo(book, household, household.instructions[instruction.id], kind, echoes,
                                        day + timedelta(days=6))
                echoes += 1
                assert outcome == "unmatched"
                continue
            if kind not in ("return", "confirm"):
                assert outcome == "unmatched"  # hostile or mistyped: queued, and nothing moved
                assert (household.instructions[instruction.id].status, household.held(),
                        list(household.arrears)) == before
                assert any(s.rule == "echo-refused" and s.details["transaction"] == f"E{echoes - 1}"
                           for s in household.signals.values())
        out, returned = household.totals["out"].cents, household.totals["returned"].cents
        assert booked + returned == out + household.held().cents - household.buffer_outstanding.cents
        day += timedelta(days=31)


@hypothesis_settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["1320.50", "999999999.99", "0.01"]), max_size=3), min_size=3, max_size=3),
       st.sampled_from([None, Money("5000.00")]))
def test_absurd_incomes_never_stop_the_night_for_the_other_households(incomes, ceiling):
    import tempfile
    from pathlib import Path

    from adapters.documents import read_specs
    from adapters.payments import Pain001Writer
    from huishoudboekje import households as service
    from huishoudboekje import teams
    from huishoudboekje.domain.limits import PAYABLE_MAX
    from huishoudboekje.reconcile import reconcile
    from tests.conftest import ROOT
    from tests.factories import MANAGED
    from tests.e2e.test_reconcile import check_pain

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        docs = []
        for n in range(3):
            path = folder / f"{n}.yaml"
            path.write_text((ROOT / "examples" / "HHB-2026-0001.yaml").read_text().replace(DOSSIER, f"HHB-P-{n}"))
            docs.append(path)
        engine = open_engine(f"sqlite:///{folder / 'events.sqlite'}", folder / "var")
        try:
            teams.add(engine, "Wijkteam Noord", "t")
            service.onboard(engine, read_specs(docs), "t", managed=[MANAGED])
            for n, amounts in enumerate(incomes):  # booked by hand: the import would queue the absurd ones
                for k, amount in enumerate(amounts):
                    engine.change_household(f"HHB-P-{n}", lambda h, k=k, a=amount: h.book_income(
                        f"T{n}{k}", "bijstand", Money(a), date(2026, 11, 30), "careless"))
            summary = reconcile(engine, date(2026, 12, 1), default_account=MANAGED,
                                write_file=Pain001Writer(folder / "payments", "Gemeente"),
                                participant_ceiling=ceiling)  # returns: the night finishes
            event(f"households held: {len(summary.held)}")
            filed = {e2e for path in (folder / "payments").glob("*.xml") for e2e in check_pain(path)[2]}
            for n in range(3):
                household = engine.household(f"HHB-P-{n}")
                issued = list(household.instructions.values())
                if f"HHB-P-{n}" in summary.held:  # not paid at all, and told
                    assert issued == [] and any(s.rule == "payments-held" for s in household.signals.values())
                    continue
                assert issued and all(i.amount <= PAYABLE_MAX and i.end_to_end_id in filed for i in issued)
                assert household.totals["in"] == household.totals["out"] + household.held() \
                    - household.buffer_outstanding
            assert len(summary.held) <= sum(1 for amounts in incomes if amounts.count("999999999.99") >= 1)
        finally:
            engine.close()


# -- staff correct a booking that was paid out already ---------------------------------------


def test_a_booking_paid_out_already_is_corrected_by_a_new_event_and_what_was_paid_out_is_a_claim(
        onboarded, tmp_path):
    big = Tx("5000000.00", date(2026, 11, 30), *GEMEENTE, f"Uitkering {DOSSIER}")
    imported(onboarded, tmp_path, "BIG", [big])
    [queued] = queue(onboarded)
    ok(hhb(onboarded, "book", queued["transaction"], DOSSIER, "bijstand", "--actor", "careless"))
    run(onboarded, "2026-12-01")  # rent 712.40 and leefgeld 5000.00 paid; water reserved; the rest held

    corrected = json.loads(ok(hhb(onboarded, "book", queued["transaction"], "--undo", "--reason", "not theirs",
                                  "--actor", "anna")).stdout)
    assert corrected["outcome"] == "unmatched" and "corrected after it was paid out" in corrected["reason"]
    after = household(onboarded, tmp_path)
    assert after.on_hold.amount == 0 and after.pot.amount == 0 and after.reserves == {}
    assert after.claim.amount == Decimal("5712.40")  # what left the account: the rent and the leefgeld
    assert after.totals["in"].amount == 0
    assert after.totals["in"] + after.totals["returned"] == \
        after.totals["out"] + after.held() - after.buffer_outstanding - after.claim
    [signal] = open_signals(onboarded, "booking-corrected")
    assert signal["details"]["claim"] == "5712.40"
    history = json.loads(ok(hhb(onboarded, "history", DOSSIER, "--json")).stdout)["events"]
    events = [e["event"] for e in history]
    assert events.count("PayDateRun") == 1 and events[-1] == "BookingCorrected"  # history kept, not edited
    assert history[-1]["actor"] == "anna" and history[-1]["business_date"] is not None
    again = hhb(onboarded, "book", queued["transaction"], "--undo")
    assert again.exit_code == 2  # corrected once: it is in the queue now
    before = {i.id for i in instructions(onboarded, tmp_path)}
    run(onboarded, "2026-12-31")
    new = [i for i in instructions(onboarded, tmp_path) if i.id not in before]
    # The January rent and the minimum leefgeld, advanced by the buffer: the claim is staff's
    # to settle, the participant still has to live.
    assert [(i.kind, str(i.amount)) for i in new] == [("charge", "712.40"), ("leefgeld", "250.00")]


def test_a_household_row_projected_before_version_4_reads_with_nothing_held(paid, tmp_path):
    from huishoudboekje.projections.views import Projections

    engine = open_engine(paid, tmp_path / "ev")
    try:
        view = Projections(engine)
        view.catch_up()
        household = engine.household(DOSSIER)
        row = {k: v for k, v in household.__dict__.items()
               if k not in ("_pending_events", "participant_ceiling", "on_hold", "on_hold_since",
                            "release_approval", "released", "claim")}
        encoded = engine.mapper.transcoder.encode(row).decode("utf8")
        with view.view._transaction() as cursor:
            view.view._upsert(cursor, "hhb_households", {**view._household_row(household), "state": encoded})
        projected = view.household(DOSSIER)
        assert (projected.on_hold, projected.claim, projected.release_approval) == (Money("0.00"), Money("0.00"), None)
        assert projected.held() == household.held()
    finally:
        engine.close()


def test_staff_accept_a_queued_return_by_hand_and_it_comes_back_once(paid, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_RETURN_FEE_LIMIT", "10.00")
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    imported(paid, tmp_path, "SHORT", [echo(rent, "700.00", date(2026, 12, 3), "retour")])  # 12.40 kept
    [queued] = queue(paid)
    accepted = json.loads(ok(hhb(paid, "book", queued["transaction"], "--as-return", "--actor", "anna")).stdout)
    assert (accepted["outcome"], accepted["dossier"]) == ("return", DOSSIER)
    after = household(paid, tmp_path)
    assert after.instructions[rent.id].status == "returned" and after.pot.amount == Decimal("700.00")
    assert [d.agreement_id for d in after.arrears] == ["huur"]
    assert open_signals(paid, "echo-refused") == []  # resolved by anna
    imported(paid, tmp_path, "AGAIN", [echo(rent, "700.00", date(2026, 12, 4), "retour nogmaals")])
    [second] = queue(paid)
    refused = hhb(paid, "book", second["transaction"], "--as-return")
    assert refused.exit_code == 2 and "came back already" in refused.stderr
    assert household(paid, tmp_path).pot.amount == Decimal("700.00")


@pytest.mark.parametrize("sender, amount", [(STRANGER, "0.01"), ("landlord", "712.41")],
                         ids=["a-cent-from-a-stranger", "more-than-paid"])
def test_a_queued_credit_that_cannot_be_the_return_is_not_accepted_by_hand(paid, tmp_path, sender, amount):
    rent = next(i for i in instructions(paid, tmp_path) if i.kind == "charge")
    iban = rent.creditor_iban if sender == "landlord" else sender
    attack = Tx(amount, date(2026, 12, 2), iban, "Wie dan ook", "retour", end_to_end_id=rent.end_to_end_id)
    assert imported(paid, tmp_path, "CENT", [attack])["unmatched"] == 1
    [queued] = queue(paid)
    refused = hhb(paid, "book", queued["transaction"], "--as-return", "--actor", "careless")
    assert refused.exit_code == 2 and "cannot be accepted as the return" in refused.output
    assert queue(paid) == [queued]  # nothing written: it stays in the queue
    after = household(paid, tmp_path)
    assert after.instructions[rent.id].status == "scheduled" and after.arrears == [] and after.pot.amount == 0
    assert len(open_signals(paid, "echo-refused")) == 1
    assert run(paid, "2026-12-03")["instructions"] == 0  # the rent is not paid again
