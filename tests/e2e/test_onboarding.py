"""Onboarding documents through the `hhb` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.store import open_engine

runner = CliRunner()


def hhb(store_url, *args):
    return runner.invoke(app, [*args, "--db", store_url], catch_exceptions=False)


def event_count(store_url, tmp_path) -> int:
    engine = open_engine(store_url, tmp_path / "var")
    try:
        return engine.event_count()
    finally:
        engine.close()


def lines(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_the_example_document_onboards_and_a_second_time_changes_nothing(store_url, tmp_path, example_doc):
    first = hhb(store_url, "onboard", str(example_doc))
    assert first.exit_code == 0, first.output
    [created] = lines(first)
    assert created["dossier"] == "HHB-2026-0001" and created["status"] == "created"
    count = event_count(store_url, tmp_path)

    again = hhb(store_url, "onboard", str(example_doc))
    assert again.exit_code == 0
    assert lines(again) == [{**created, "status": "unchanged"}]
    assert event_count(store_url, tmp_path) == count


def test_an_edited_document_becomes_the_events_for_exactly_what_changed(store_url, tmp_path, example_doc):
    hhb(store_url, "onboard", str(example_doc))
    edited = tmp_path / "edited.yaml"
    text = example_doc.read_text().replace("team: Wijkteam Noord", "team: Wijkteam Oost")
    text = text.replace('    reference: "5012345678901234"',
                        '    reference: "5012345678901234"\n    changes: [{effective: 2027-07-01, amount: "735.00"}]')
    edited.write_text(text)
    result = hhb(store_url, "onboard", str(edited))
    assert lines(result)[0]["status"] == "updated"

    history = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--json").stdout)
    new_events = [e["event"] for e in history["events"]][-2:]
    assert new_events == ["SettingsChanged", "AgreementAmountChanged"]
    june = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--as-of", "2027-06-30", "--json").stdout)
    july = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--as-of", "2027-07-01", "--json").stdout)
    rent = lambda state: next(a["amount"] for a in state["as_of"]["agreements"] if a["id"] == "huur")
    assert (rent(june), rent(july)) == ("712.40", "735.00")


def test_the_demo_personas_onboard(store_url, personas):
    result = hhb(store_url, "onboard", *map(str, personas))
    assert [r["status"] for r in lines(result)] == ["created"] * 3
    listed = json.loads(hhb(store_url, "households", "--json").stdout)
    assert sorted(h["dossier"] for h in listed) == ["HHB-DEMO-0001", "HHB-DEMO-0002", "HHB-DEMO-0003"]


BAD_INPUTS = [
    ("invalid IBAN", "iban: NL14BNGH0285001234", "iban: NL14BNGH0285001235",
     "incomes[0].counterparty.iban: checksum failed"),
    ("unknown category", "category: bijstand", "category: lottery", "incomes[0].category"),
    ("day 32", "schedule: {every: month, day: 20}", "schedule: {every: month, day: 32}",
     "incomes[1].schedule.day: 32 is not a day 1–31"),
    ("negative amount", 'amount: "712.40"', 'amount: "-712.40"', "charges[0].amount: '-712.40' is negative"),
    ("three decimals", 'amount: "131.00"', 'amount: "131.005"', "incomes[1].amount: '131.005' has more than two decimals"),
    ("duplicate agreement id", "  - id: water", "  - id: huur", "charges[1].id: 'huur' is used twice"),
    ("missing field", "team: Wijkteam Noord\n", "", "team: is required"),
    ("impossible date", "start: 2026-11-01", "start: 2026-02-30", "start:"),
    ("malformed YAML", "participants:\n", "participants: [\n", "malformed YAML"),
    ("name SEPA cannot carry", "name: Vitens", "name: \"\U0001F4A7\U0001F4A7\"",
     "charges[1].counterparty.name: '\U0001F4A7\U0001F4A7' has nothing a bank payment can carry"),
    # the job would debit an account the municipality does not hold
    ("account not managed", "pay_day: 1\n", "pay_day: 1\naccount: NL02ABNA0123456789\n",
     "account: NL02ABNA0123456789 is not one of the managed accounts"),
]


@pytest.mark.parametrize("name, old, new, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_named_by_file_and_field_and_writes_nothing(
        store_url, tmp_path, example_doc, personas, name, old, new, message):
    bad = tmp_path / "bad.yaml"
    text = example_doc.read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    before = event_count(store_url, tmp_path)
    # a good document in the same call is not written either: all or nothing
    result = runner.invoke(app, ["onboard", str(personas[0]), str(bad), "--db", store_url])
    assert result.exit_code == 2
    assert str(bad) in result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr
    assert event_count(store_url, tmp_path) == before


def test_an_edit_may_name_only_a_managed_account_of_its_own(store_url, tmp_path, example_doc, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", "NL39BNGH0285009999,NL69INGB0123456789")
    assert hhb(store_url, "onboard", str(example_doc)).exit_code == 0
    edited = tmp_path / "edited.yaml"
    edited.write_text(example_doc.read_text().replace("pay_day: 1\n", "pay_day: 1\naccount: NL02ABNA0123456789\n"))
    before = event_count(store_url, tmp_path)
    refused = runner.invoke(app, ["onboard", str(edited), "--db", store_url])
    assert refused.exit_code == 2
    assert str(edited) in refused.stderr
    assert "account: NL02ABNA0123456789 is not one of the managed accounts" in " ".join(refused.stderr.split())
    assert event_count(store_url, tmp_path) == before

    edited.write_text(example_doc.read_text().replace("pay_day: 1\n", "pay_day: 1\naccount: NL69INGB0123456789\n"))
    assert lines(hhb(store_url, "onboard", str(edited)))[0]["status"] == "updated"
    [changed] = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--json").stdout)["events"][-1:]
    assert changed["event"] == "SettingsChanged" and "NL69INGB0123456789" in changed["details"]


def test_a_float_amount_in_json_is_read_exactly(store_url, tmp_path, example_doc):
    import yaml

    data = yaml.safe_load(example_doc.read_text())
    document = json.dumps(data, default=str).replace('"1320.50"', "1320.50")
    path = tmp_path / "doc.json"
    path.write_text(document)
    assert hhb(store_url, "onboard", str(path)).exit_code == 0
    state = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--as-of", "2026-12-01", "--json").stdout)
    assert state["as_of"]["agreements"][0]["amount"] == "1320.50"


def test_commands_with_business_dates_record_the_actor(store_url, example_doc):
    hhb(store_url, "onboard", str(example_doc))
    assert hhb(store_url, "change-amount", "HHB-2026-0001", "huur", "735.00", "--from", "2027-07-01",
               "--actor", "j.devries").exit_code == 0
    assert hhb(store_url, "end-agreement", "HHB-2026-0001", "water", "--on", "2027-03-31").exit_code == 0
    assert hhb(store_url, "pay-day", "HHB-2026-0001", "last-business-day", "--from", "2027-02-01").exit_code == 0
    history = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--json").stdout)["events"]
    assert [(e["event"], e["actor"]) for e in history[-3:]] == [
        ("AgreementAmountChanged", "j.devries"), ("AgreementEnded", "cli"), ("PayDayChanged", "cli")]
    state = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--as-of", "2027-04-01", "--json").stdout)
    assert [a["id"] for a in state["as_of"]["agreements"]] == ["bijstand", "zorgtoeslag", "huur"]
    assert state["as_of"]["pay_day"] == "last-business-day"
    ended = hhb(store_url, "end-participation", "HHB-2026-0001", "--on", "2027-06-30")
    assert ended.exit_code == 0
    assert lines(ended)[0]["settlement_date"] == "2027-07-01"  # the business day after
    after = json.loads(hhb(store_url, "history", "HHB-2026-0001", "--as-of", "2027-07-01", "--json").stdout)
    assert after["as_of"]["status"] == "ended" and after["as_of"]["agreements"] == []


def test_moving_the_pay_day_later_tells_staff_which_charges_are_paid_late(store_url, example_doc):
    hhb(store_url, "onboard", str(example_doc))
    assert hhb(store_url, "reconcile", "--date", "2026-12-31").exit_code == 0  # paid on 1 and 31 December
    # From 20 January the pay day is the 15th: 1 February is no pay date any more, and the
    # rent due that day is paid on 15 February instead.
    moved = hhb(store_url, "pay-day", "HHB-2026-0001", "15", "--from", "2027-01-20")
    assert moved.exit_code == 0
    assert lines(moved)[0]["next_pay_date"] == "2027-02-15"
    assert lines(moved)[0]["paid_late"] == [{"agreement": "huur", "due": "2027-02-01", "amount": "712.40"}]
    assert "paid late" in moved.stderr
    # Moved earlier instead, nothing is late: the cycle paid on 31 December runs to 1 February.
    earlier = hhb(store_url, "pay-day", "HHB-2026-0001", "28", "--from", "2027-01-02")
    assert lines(earlier)[0]["next_pay_date"] == "2027-01-28"
    assert lines(earlier)[0]["paid_late"] == []


def test_unknown_dossier_is_a_clear_error(store_url):
    result = runner.invoke(app, ["history", "HHB-NOPE", "--db", store_url])
    assert result.exit_code == 3
    assert "no household with dossier HHB-NOPE" in result.stderr


def test_ending_an_agreement_names_the_periods_after_its_end_that_were_paid_already(store_url, example_doc):
    hhb(store_url, "onboard", str(example_doc))
    assert hhb(store_url, "reconcile", "--date", "2026-12-01").exit_code == 0
    ended = hhb(store_url, "end-agreement", "HHB-2026-0001", "huur", "--on", "2026-11-29")
    assert ended.exit_code == 0, ended.output
    [said] = lines(ended)
    assert said["paid_after_end"] == [{"period": "2026-12-01", "amount": "712.40"}]  # December's rent, paid
    [water] = lines(hhb(store_url, "end-agreement", "HHB-2026-0001", "water", "--on", "2027-03-31"))
    assert water["paid_after_end"] == []  # nothing paid for after its end
