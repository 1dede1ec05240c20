"""Onboarding a document again never undoes a later staff change by accident, and
`hhb onboard --dry-run` shows the first month before staff commit to it (issue 18).

Through the CLI and the API, on SQLite and PostgreSQL (the `store_url` fixture).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from adapters.cli import app as cli_app
from tests.e2e.test_api import A, DOC_A, app, client, problem, settings_env, world  # noqa: F401
from tests.e2e.test_onboarding import event_count, hhb, lines

runner = CliRunner()
DOSSIER = "HHB-2026-0001"


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def old_copy(store_url, tmp_path, example_doc):
    """The issue's household: rent 780.00, onboarded from the copy staff kept."""
    doc = tmp_path / "old-copy.yaml"
    doc.write_text(example_doc.read_text().replace('"712.40"', '"780.00"'))
    assert hhb(store_url, "onboard", str(doc)).exit_code == 0
    return doc


def onboard(store_url, *args):
    return runner.invoke(cli_app, ["onboard", *map(str, args), "--db", store_url, "--actor", "dirk"])


def history(store_url, *args):
    return json.loads(hhb(store_url, "history", DOSSIER, "--json", *args).stdout)


def rent_on(store_url, day: str) -> str:
    state = history(store_url, "--as-of", day)["as_of"]
    return next(a["amount"] for a in state["agreements"] if a["id"] == "huur")


def recorded(store_url, event: str) -> str:
    """The day an event was recorded, as the history shows it."""
    return next(e["recorded"][:10] for e in history(store_url)["events"] if e["event"] == event)


def test_an_older_copy_does_not_put_the_rent_back_from_812_50_to_780_00(store_url, tmp_path, old_copy):
    changed = hhb(store_url, "change-amount", DOSSIER, "huur", "812.50", "--from", "2027-01-01", "--actor", "anna")
    assert changed.exit_code == 0, changed.output
    before = event_count(store_url, tmp_path)

    refused = onboard(store_url, old_copy)
    assert refused.exit_code == 2
    message = words(refused.stderr)
    assert str(old_copy) in message
    assert (f"charges[0].amount: would undo `hhb change-amount` (huur 812.50 from 2027-01-01), recorded on "
            f"{recorded(store_url, 'AgreementAmountChanged')} by anna; the document says 780.00 on 2027-01-01"
            ) in message
    assert "nothing was written" in message and "--replace" in message
    assert event_count(store_url, tmp_path) == before
    assert rent_on(store_url, "2027-01-01") == "812.50"


def test_an_older_copy_does_not_undo_an_end_nor_a_pay_day_change(store_url, tmp_path, old_copy):
    assert hhb(store_url, "end-agreement", DOSSIER, "water", "--on", "2027-03-31", "--actor", "bert").exit_code == 0
    assert hhb(store_url, "pay-day", DOSSIER, "15", "--from", "2027-02-01", "--actor", "carla").exit_code == 0
    before = event_count(store_url, tmp_path)

    refused = onboard(store_url, old_copy)
    assert refused.exit_code == 2
    message = words(refused.stderr)
    assert (f"charges[1].end: would undo `hhb end-agreement` (water ending on 2027-03-31), recorded on "
            f"{recorded(store_url, 'AgreementEnded')} by bert; the document says no end") in message
    assert (f"pay_day: would undo `hhb pay-day` (pay day 15 from 2027-02-01), recorded on "
            f"{recorded(store_url, 'PayDayChanged')} by carla; the document says pay day 1") in message
    assert event_count(store_url, tmp_path) == before
    listed = json.loads(hhb(store_url, "show", DOSSIER, "--json").stdout)  # one household, all its settings
    assert listed["pay_day"] == 15


def test_replace_undoes_the_changes_on_purpose_and_records_which(store_url, tmp_path, old_copy):
    hhb(store_url, "change-amount", DOSSIER, "huur", "812.50", "--from", "2027-01-01", "--actor", "anna")
    hhb(store_url, "end-agreement", DOSSIER, "water", "--on", "2027-03-31", "--actor", "bert")
    hhb(store_url, "pay-day", DOSSIER, "15", "--from", "2027-02-01", "--actor", "carla")

    replaced = onboard(store_url, "--replace", old_copy)
    assert replaced.exit_code == 0, replaced.output
    assert lines(replaced)[0]["status"] == "updated"
    assert rent_on(store_url, "2027-01-01") == "780.00"
    water = next(a for a in history(store_url, "--as-of", "2027-05-01")["as_of"]["agreements"] if a["id"] == "water")
    assert "end" not in water["schedule"]
    listed = json.loads(hhb(store_url, "show", DOSSIER, "--json").stdout)  # one household, all its settings
    assert listed["pay_day"] == 1

    events = history(store_url)["events"]
    [record] = [e for e in events if e["event"] == "ChangesReplaced"]
    assert record["actor"] == "dirk"
    assert record["details"] == ("undid change-amount huur 812.50 from 2027-01-01 by anna; end-agreement water "
                                 "2027-03-31 from 2027-03-31 by bert; pay-day 15 from 2027-02-01 by carla")
    # recorded before the events that undo the changes, in the same write
    assert [e["event"] for e in events if e["version"] >= record["version"]][:2] == ["ChangesReplaced",
                                                                                   "PayDayChanged"]
    # and now the document is what the household says: onboarding it again changes nothing
    assert lines(onboard(store_url, old_copy))[0]["status"] == "unchanged"
    # the pay day it put back is the document's own, no staff change to protect
    moved = tmp_path / "moved.yaml"
    moved.write_text(old_copy.read_text().replace("pay_day: 1\n", "pay_day: 15\n"))
    refused = onboard(store_url, moved)
    assert refused.exit_code == 2
    assert "pay_day: change it with `hhb pay-day DOSSIER DAY --from DATE`" in words(refused.stderr)


def test_a_document_that_has_the_change_or_takes_back_its_own_is_accepted(store_url, tmp_path, old_copy):
    hhb(store_url, "change-amount", DOSSIER, "huur", "812.50", "--from", "2027-01-01", "--actor", "anna")
    current = tmp_path / "current.yaml"
    current.write_text(old_copy.read_text().replace(
        '    reference: "5012345678901234"',
        '    reference: "5012345678901234"\n    changes: [{effective: 2027-01-01, amount: "812.50"}]'))
    assert lines(onboard(store_url, current))[0]["status"] == "unchanged"

    # a change the document itself asked for is the document's to take back
    raised = tmp_path / "raised.yaml"
    raised.write_text(current.read_text().replace('amount: "812.50"}]',
                                                  'amount: "812.50"}, {effective: 2027-07-01, amount: "830.00"}]'))
    assert lines(onboard(store_url, raised))[0]["status"] == "updated"
    assert rent_on(store_url, "2027-07-01") == "830.00"
    assert lines(onboard(store_url, current))[0]["status"] == "updated"
    assert rent_on(store_url, "2027-07-01") == "812.50"


# -- the dry run --------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_shows_the_first_pay_date(store_url, tmp_path, example_doc):
    before = event_count(store_url, tmp_path)
    shown = onboard(store_url, "--dry-run", "--date", "2026-10-20", example_doc)
    assert shown.exit_code == 0, shown.output
    assert event_count(store_url, tmp_path) == before
    assert json.loads(hhb(store_url, "households", "--json").stdout) == []

    text = words(shown.stdout)
    assert text.startswith("Dry run: nothing was written.")
    assert "HHB-2026-0001: created, 5 events would be written" in text
    assert "Onboarded 2026-11-01 dossier=HHB-2026-0001" in text
    assert "AgreementAdded charge huur (huur) 712.40 to/from Woningcorporatie Portaal" in text
    assert "charges are ours to pay from 2026-12-01" in text
    forecast = text[text.index("Forecast of the pay date 2026-12-01:"):]
    assert forecast == ("Forecast of the pay date 2026-12-01: in the pot 0.00 income zorgtoeslag 2026-11-20 131.00 "
                        "income bijstand 2026-11-30 1320.50 charge huur due 2026-12-01 712.40 "
                        "reserved for water 20.40 advanced by the buffer 0.00 leefgeld 718.70")

    # what onboarding then writes is what the dry run said it would
    [planned] = json.loads(onboard(store_url, "--dry-run", "--json", "--date", "2026-10-20", example_doc).stdout)
    assert lines(onboard(store_url, example_doc))[0]["status"] == "created"
    written = [(e["event"], e["details"]) for e in history(store_url)["events"]]
    assert written == [(e["event"], e["details"]) for e in planned["events"]]
    [again] = json.loads(onboard(store_url, "--dry-run", "--json", "--date", "2026-10-20", example_doc).stdout)
    assert (again["status"], again["events"]) == ("unchanged", [])


def test_a_dry_run_shows_what_paid_from_does_to_the_onboarding_month(store_url, tmp_path, example_doc):
    before = event_count(store_url, tmp_path)
    december = tmp_path / "december.yaml"
    december.write_text(example_doc.read_text().replace("start: 2026-11-01", "start: 2026-12-01"))
    paid_from = tmp_path / "paid-from.yaml"
    paid_from.write_text(december.read_text().replace("pay_day: 1\n", "pay_day: 1\npaid_from: 2027-01-01\n"))

    [as_before] = json.loads(onboard(store_url, "--dry-run", "--json", "--date", "2026-11-20", december).stdout)
    assert as_before["paid_from"] == "2026-12-01"
    assert as_before["forecast"]["charges"] == [
        {"agreement": "huur", "kind": "charge", "due": "2026-12-01", "amount": "712.40"}]
    assert as_before["forecast"]["advanced"] == "962.40"  # the rent and the minimum leefgeld of 250.00

    [shown] = json.loads(onboard(store_url, "--dry-run", "--json", "--date", "2026-11-20", paid_from).stdout)
    assert shown["paid_from"] == "2027-01-01"
    assert (shown["forecast"]["pay_date"], shown["forecast"]["charges"], shown["forecast"]["advanced"]) == (
        "2026-12-01", [], "250.00")  # no charges: only the minimum leefgeld is advanced
    assert [e["event"] for e in shown["events"]][:2] == ["Onboarded", "SettingsChanged"]
    assert event_count(store_url, tmp_path) == before
    assert json.loads(hhb(store_url, "households", "--json").stdout) == []

    assert onboard(store_url, paid_from).exit_code == 0
    listed = json.loads(hhb(store_url, "show", DOSSIER, "--json").stdout)  # one household, all its settings
    assert listed["paid_from"] == "2027-01-01"


def test_a_dry_run_refuses_what_onboarding_refuses(store_url, tmp_path, old_copy):
    hhb(store_url, "change-amount", DOSSIER, "huur", "812.50", "--from", "2027-01-01", "--actor", "anna")
    before = event_count(store_url, tmp_path)
    refused = onboard(store_url, "--dry-run", old_copy)
    assert refused.exit_code == 2
    assert "would undo `hhb change-amount` (huur 812.50 from 2027-01-01)" in words(refused.stderr)
    shown = json.loads(onboard(store_url, "--dry-run", "--replace", "--json", old_copy).stdout)
    assert [e["event"] for e in shown[0]["events"]] == ["ChangesReplaced", "AgreementRevised"]
    assert event_count(store_url, tmp_path) == before


# -- the API --------------------------------------------------------------------------------


def test_the_api_refuses_an_undo_with_409_naming_each_change_and_replace_applies_it(world):
    path = f"/households/{A}/agreements/huur/amount-changes"
    world.ok("staff", "POST", path, json={"amount": "812.50", "effective": "2027-01-01"})
    count = world.engine.event_count()

    body = problem(world.call("staff", "POST", "/households", json=DOC_A), 409, "charges[0].amount")
    [change] = body["changes"]
    assert {k: change[k] for k in ("command", "agreement", "effective", "value", "actor")} == {
        "command": "change-amount", "agreement": "huur", "effective": "2027-01-01", "value": "812.50",
        "actor": "staff:j.devries"}
    assert "would undo `hhb change-amount` (huur 812.50 from 2027-01-01)" in body["detail"]
    assert world.engine.event_count() == count

    replaced = world.ok("staff", "POST", "/households?replace=true", json=DOC_A)
    assert replaced.json()["status"] == "updated"
    assert [e["event"] for e in world.events()][-2:] == ["ChangesReplaced", "AgreementRevised"]
    household = world.ok("staff", "GET", f"/households/{A}").json()
    assert household["paid_from"] == "2026-12-01"
    assert [a["amount"] for a in household["agreements"] if a["id"] == "huur"] == ["712.40"]
