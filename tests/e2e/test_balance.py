"""`hhb balance` and `hhb journal` (issue 20): the books match the bank after every step
of the personas' scenario, on SQLite and PostgreSQL; a debit nobody booked is an open
item of its amount; a booking deleted behind the engine's back is a difference."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.demo import _november_statement
from adapters.store import open_engine
from tests.bank import Bank, Entry
from tests.factories import MANAGED, Tx, camt053

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FUNDING = "NL91ABNA0417164300"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_FUNDING_ACCOUNTS", FUNDING)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args, code=0):
    result = runner.invoke(app, [*args, "--db", store_url])
    assert result.exit_code == code, result.output
    return result


def balance(store_url, *args):
    report = json.loads(hhb(store_url, "balance", "--json", *args).stdout)
    return report


def the_check(store_url, *args):
    report = balance(store_url, *args)
    [check] = report["accounts"]
    return check


def onboarded(store_url, tmp_path):
    hhb(store_url, "onboard", *map(str, sorted((ROOT / "personas").glob("*.yaml"))))
    engine = open_engine(store_url, tmp_path / "var")
    try:
        dossiers = [dossier for _, dossier in engine.household_ids()]
        statement = _november_statement(engine, sorted(dossiers), MANAGED)
    finally:
        engine.close()
    path = tmp_path / "november.xml"
    path.write_bytes(statement)
    return path


def test_the_books_match_the_bank_after_every_step_of_the_personas(store_url, tmp_path):
    november = onboarded(store_url, tmp_path)
    before = balance(store_url)
    assert before["without_statement"] == [MANAGED] and before["in_order"] is False

    hhb(store_url, "import", str(november))
    check = the_check(store_url)
    assert check["difference"] == "0.00"
    [cost] = check["open_items"]  # the bank's costs: nobody booked them yet
    assert cost["amount"] == "-4.95" and check["in_order"] is False

    hhb(store_url, "book", cost["transaction"], "--municipality", "--reason", "bankkosten")
    check = the_check(store_url)
    assert check["in_order"] is True and check["terms"]["own_costs"] == "-4.95"
    assert check["bank_closing_balance"] == "28223.46"

    hhb(store_url, "reconcile", "--date", "2026-12-01")
    check = the_check(store_url)
    assert check["in_order"] is True
    assert Decimal(check["terms"]["in_flight"]) > 0  # paid by the engine, not yet by the bank

    bank = Bank(MANAGED, Decimal("28223.46"), date(2026, 12, 1))
    for path in sorted((tmp_path / "var" / "payments").glob("*.xml")):
        bank.accept(path.read_bytes())
    bank.execute(date(2026, 12, 1))
    bank.book(Entry(date(2026, 12, 2), Decimal("500.00"), FUNDING, "Gemeente", "aanvulling buffer"))
    december = tmp_path / "december.xml"
    december.write_bytes(bank.statement(date(2026, 12, 2)))
    hhb(store_url, "import", str(december))
    check = the_check(store_url)
    assert check["in_order"] is True, check
    waiting = sum((t.amount for t in bank.queued), Decimal("0.00"))  # weekly leefgeld, charges due later
    assert check["terms"]["in_flight"] == str(waiting) and check["terms"]["funding"] == "500.00"
    assert check["bank_closing_balance"] == str(bank.balance)

    earlier = the_check(store_url, "--date", "2026-11-30")  # the November statement, checked again now
    assert earlier["in_order"] is True and earlier["bank_closing_balance"] == "28223.46"

    journal = json.loads(hhb(store_url, "journal", "--month", "2026-12", "--format", "json").stdout)
    sums = journal["accounts"][MANAGED]
    assert sums["adds_up"] is True and sums["lines_total"] == str(bank.balance - Decimal("28223.46"))
    assert {line["soort"] for line in journal["lines"]} == {"betaling", "financiering"}
    assert all(line["dossier"] for line in journal["lines"] if line["soort"] == "betaling")
    csv_lines = hhb(store_url, "journal", "--month", "2026-12").stdout.splitlines()
    assert csv_lines[0].startswith("datum,rekening,transactie,bedrag") and len(csv_lines) == 1 + len(journal["lines"])


def test_a_debit_nobody_booked_is_an_open_item_of_its_amount(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    statement = tmp_path / "s.xml"
    statement.write_bytes(camt053([Tx("-48.00", date(2026, 11, 24), "NL86INGB0002445588", "Belastingdienst",
                                      "onbekende afschrijving")], opening="1000.00"))
    hhb(store_url, "import", str(statement))
    check = the_check(store_url)
    assert [item["amount"] for item in check["open_items"]] == ["-48.00"]
    assert check["open_total"] == "-48.00" and check["difference"] == "0.00" and check["in_order"] is False
    text = hhb(store_url, "balance").stdout
    assert "open posten / open items" in text and "-48.00" in text


def test_a_booking_deleted_behind_the_engines_back_is_an_unexplained_difference(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    from tests.conftest import register_teams

    register_teams(store_url, tmp_path)
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    statement = tmp_path / "s.xml"
    statement.write_bytes(camt053([Tx("131.00", date(2026, 11, 20), "NL86INGB0002445588",
                                      "Belastingdienst/Toeslagen", "HHB-2026-0001 zorgtoeslag")], opening="1000.00"))
    hhb(store_url, "import", str(statement))
    assert the_check(store_url)["in_order"] is True

    with sqlite3.connect(tmp_path / "events.sqlite") as db:  # someone edits the store by hand
        deleted = db.execute("DELETE FROM stored_events WHERE topic LIKE '%IncomesBooked'").rowcount
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in tables & {"snapshots", "huishoudboekje_snapshots"}:  # none at a household's first events
            db.execute(f"DELETE FROM {table}")
    assert deleted == 1
    result = hhb(store_url, "balance")
    assert "VERSCHIL / DIFFERENCE" in result.stdout and "balance-difference" in result.stderr  # for the team lead
    check = the_check(store_url)
    assert check["difference"] == "131.00" and check["in_order"] is False
    signals = json.loads(hhb(store_url, "signals", "--json").stdout)
    [signal] = [s for s in signals if s["rule"] == "balance-difference"]
    assert signal["severity"] == "critical" and signal["dossier"] is None
    hhb(store_url, "balance")  # checked again: the same difference is not raised twice
    assert len([s for s in json.loads(hhb(store_url, "signals", "--json").stdout)
                if s["rule"] == "balance-difference"]) == 1


def test_a_credit_from_the_funding_account_is_the_municipalitys_not_an_income(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    statement = tmp_path / "s.xml"
    statement.write_bytes(camt053([Tx("2500.00", date(2026, 11, 2), FUNDING, "Gemeente", "HHB-2026-0001 buffer"),
                                   Tx("7.50", date(2026, 11, 3), "NL02ABNA0123456789", "Bank",
                                      "teruggave kosten")], opening="0.00"))
    hhb(store_url, "import", str(statement))
    check = the_check(store_url)
    assert check["terms"]["funding"] == "2500.00" and check["terms"]["households"] == "0.00"
    [refund] = check["open_items"]
    hhb(store_url, "book", refund["transaction"], "--municipality", "--reason", "teruggave bankkosten")
    check = the_check(store_url)
    assert check["terms"]["funding"] == "2507.50" and check["in_order"] is True
    hhb(store_url, "book", refund["transaction"], "--undo", "--reason", "toch niet")
    assert the_check(store_url)["open_total"] == "7.50"


def test_balance_refuses_an_account_that_is_not_managed(store_url):
    result = hhb(store_url, "balance", "--account", "NL91ABNA0417164300", code=2)
    assert "not managed" in result.output
    result = hhb(store_url, "journal", "--month", "2026-13", code=2)
    assert "2026-13" in result.output



def test_the_demo_ends_in_order_and_the_team_lead_sees_the_buffers_near_their_ceiling(tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_BUFFER_CEILING", "1100.00")
    store_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo = hhb(store_url, "demo")
    assert "5. Balance check" in demo.stdout and "in order" in demo.stdout
    report = balance(store_url)
    assert report["in_order"] is True
    assert report["buffer"] == {"exposure": "1034.50", "ceiling": "1100.00", "near_ceiling": True}
    signals = json.loads(hhb(store_url, "signals", "--json").stdout)
    [near] = [s for s in signals if s["rule"] == "buffer-ceiling-near"]
    assert near["dossier"] is None and near["amount"] == "1034.50"


def test_a_file_the_account_cannot_cover_is_refused_with_the_shortfall_until_the_money_is_there(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    bank = Bank(MANAGED, Decimal("0.00"), date(2026, 11, 1))
    for entry in (Entry(date(2026, 11, 20), Decimal("131.00"), "NL86INGB0002445588", "Belastingdienst/Toeslagen",
                        "HHB-2026-0001 zorgtoeslag"),
                  Entry(date(2026, 11, 27), Decimal("1320.50"), "NL14BNGH0285001234", "Gemeente Utrecht",
                        "Uitkering HHB-2026-0001"),
                  Entry(date(2026, 11, 30), Decimal("-30.00"), None, None, "Kosten betalingsverkeer")):
        bank.book(entry)
    november = tmp_path / "november.xml"
    november.write_bytes(bank.statement(date(2026, 11, 30)))
    hhb(store_url, "import", str(november))
    [cost] = the_check(store_url)["open_items"]
    hhb(store_url, "book", cost["transaction"], "--municipality", "--reason", "bankkosten")
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    [listed] = json.loads(hhb(store_url, "payment-files", "list", "--json").stdout)
    assert listed["control_sum"] == "1431.10"  # what the household's incomes pay now (the rest is reserved)

    refused = hhb(store_url, "payment-files", "release", listed["name"], "--actor", "f.inance", code=2)
    assert "9.60" in refused.output  # the bank holds 1421.50: the municipality bore the costs
    assert not list((tmp_path / "var" / "outbox").glob("*.xml"))

    bank.book(Entry(date(2026, 12, 1), Decimal("500.00"), FUNDING, "Gemeente", "aanvulling"))
    december = tmp_path / "december.xml"
    december.write_bytes(bank.statement(date(2026, 12, 1)))
    hhb(store_url, "import", str(december))
    hhb(store_url, "payment-files", "release", listed["name"], "--actor", "f.inance")
    assert [p.name for p in (tmp_path / "var" / "outbox").glob("*.xml")] == [listed["name"]]
    assert the_check(store_url)["in_order"] is True
