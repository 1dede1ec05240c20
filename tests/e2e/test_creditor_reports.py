"""Creditors' reports without our dossier number (issue 23), through the CLI, on SQLite
and PostgreSQL: matched by the participant's IBAN, by postcode + house number with the
name, by the customer number; an unmatched report waits in its queue and is assigned; a
planned eviction tops the list; the same file twice changes nothing; a report of the
engine's own arrears is linked to them, never a second debt.

The example household (Sanne de Vries, NL44RABO0123456789) rents from Woningcorporatie
Portaal and pays Vitens for water; here it lives at 3511 AB 12A and Vitens knows it as
customer W-778812.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from adapters.cli import app
from tests.factories import MANAGED

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
A, B = "HHB-2026-0001", "HHB-DEMO-0002"
PORTAAL = ("Woningcorporatie Portaal", "NL20INGB0001234567")
ESSENT = ("Essent", "NL88ABNA0497215544")


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args, code=0):
    result = runner.invoke(app, [*args, "--db", store_url])
    assert result.exit_code == code, result.output
    return result


def out(store_url, *args):
    return json.loads(hhb(store_url, *args, "--json").stdout)


def imported(store_url, tmp_path, reports, name="reports.json", code=0):
    path = tmp_path / name
    path.write_text(json.dumps({"signals": reports}))
    result = hhb(store_url, "signals", "import", str(path), code=code)
    return json.loads(result.stdout) if code == 0 else result


def onboard_example(store_url, tmp_path, **changes):
    doc = yaml.safe_load((ROOT / "examples" / "HHB-2026-0001.yaml").read_text())
    doc["address"] = {"postcode": "3511 ab", "number": "12 a", "street": "Oudegracht", "place": "Utrecht"}
    doc["charges"][1]["customer_number"] = "W-778812"
    doc.update(changes)
    path = tmp_path / "household.yaml"
    path.write_text(yaml.safe_dump(doc))
    hhb(store_url, "onboard", str(path))


def report(partner, amount, since="2026-10-01", signalled="2026-11-20", **fields):
    return {"partnerType": partner, "bedrag": amount, "startdatumAchterstand": since, "signaalDatum": signalled,
            **fields}


BY_IBAN = report("Energie", "212.40", naam="S. de Vries", iban="NL44 RABO 0123 4567 89",
                 schuldeiser=ESSENT[0], ibanSchuldeiser=ESSENT[1])
BY_ADDRESS = report("Huur", "1500.00", since="2026-09-01", naam="Sanne de Vries", postcode="3511AB",
                    huisnummer="12A", schuldeiser=PORTAAL[0], ibanSchuldeiser=PORTAAL[1])
BY_CUSTOMER = report("Water", "61.20", klantnummer="W 778812")


def test_reports_find_their_household_by_iban_address_and_customer_number(store_url, tmp_path):
    onboard_example(store_url, tmp_path)
    result = imported(store_url, tmp_path, [BY_IBAN, BY_ADDRESS, BY_CUSTOMER])
    assert (result["matched"], result["queued"], result["new"], result["debts_added"]) == (3, 0, 3, 3)
    signals = out(store_url, "signals", "--dossier", A)
    assert sorted((s["rule"], s["details"]["partner"]) for s in signals) == [
        ("external", "Energie"), ("external", "Huur"), ("external", "Water")]
    debts = out(store_url, "debts", "list", A)
    assert sorted((d["kind"], d["creditor"], d["iban"], d["amount"], d["source"]) for d in debts) == [
        ("energie", "Essent", ESSENT[1], "212.40", "creditor-report"),
        ("huur", "Woningcorporatie Portaal", PORTAAL[1], "1500.00", "creditor-report"),
        # the customer number names the water agreement: its creditor is Vitens
        ("water", "Vitens", "NL91ABNA0417164300", "61.20", "creditor-report")]
    assert out(store_url, "signals", "queue") == []


def test_the_same_report_twice_changes_nothing_and_a_later_one_updates_its_debt(store_url, tmp_path):
    onboard_example(store_url, tmp_path)
    imported(store_url, tmp_path, [BY_IBAN, BY_CUSTOMER])
    before = (out(store_url, "signals"), out(store_url, "debts", "list"), out(store_url, "history", A)["events"])
    again = imported(store_url, tmp_path, [BY_IBAN, BY_CUSTOMER])
    assert (again["new"], again["known"], again["debts_added"], again["debts_updated"]) == (0, 2, 0, 0)
    assert (out(store_url, "signals"), out(store_url, "debts", "list"),
            out(store_url, "history", A)["events"]) == before
    later = imported(store_url, tmp_path, [{**BY_IBAN, "bedrag": "318.60", "signaalDatum": "2026-12-20"}])
    assert (later["new"], later["debts_added"], later["debts_updated"]) == (0, 0, 1)
    [energy] = [d for d in out(store_url, "debts", "list", A) if d["kind"] == "energie"]
    assert (energy["amount"], energy["remaining"]) == ("318.60", "318.60")
    assert len(out(store_url, "debts", "list", A)) == 2


def test_an_unmatched_report_waits_in_the_queue_until_assigned(store_url, tmp_path):
    stranger = report("Zorgverzekering", "96.00", naam="J. Bakker", iban="NL91ABNA0417164300",
                      postcode="3512 CD", huisnummer="3", schuldeiser="Zilveren Kruis",
                      ibanSchuldeiser="NL17INGB0000006116")
    result = imported(store_url, tmp_path, [stranger])
    assert (result["matched"], result["queued"], result["waiting"]) == (0, 1, 1)
    [waiting] = out(store_url, "signals", "queue")
    assert (waiting["name"], waiting["postcode"], waiting["status"]) == ("J. Bakker", "3512CD", "waiting")
    assert out(store_url, "signals") == []
    assert imported(store_url, tmp_path, [stranger])["queued"] == 0  # queued once, however often sent
    assert len(out(store_url, "signals", "queue")) == 1
    onboard_example(store_url, tmp_path)  # the household onboarded for it, then assigned
    assigned = json.loads(hhb(store_url, "signals", "assign", waiting["report"], A, "--actor", "a.yilmaz").stdout)
    assert (assigned["dossier"], assigned["new"], assigned["debts_added"]) == (A, 1, 1)
    [signal] = out(store_url, "signals", "--dossier", A)
    assert (signal["rule"], signal["details"]["partner"], signal["amount"]) == ("external", "Zorgverzekering", "96.00")
    assert out(store_url, "signals", "queue") == []
    [done] = out(store_url, "signals", "queue", "--all")
    assert (done["status"], done["assigned_to"], done["assigned_by"]) == ("assigned", A, "a.yilmaz")
    refused = hhb(store_url, "signals", "assign", waiting["report"], A, code=2)
    assert "assigned" in refused.stderr


def test_a_household_onboarded_from_the_queue_takes_its_reports_on_a_rematch(store_url, tmp_path):
    assert imported(store_url, tmp_path, [BY_ADDRESS, BY_CUSTOMER])["queued"] == 2
    assert json.loads(hhb(store_url, "signals", "rematch").stdout) == {"assigned": [], "waiting": 2}
    onboard_example(store_url, tmp_path)  # with the address and customer number the reports name
    rematched = json.loads(hhb(store_url, "signals", "rematch").stdout)
    assert ({r["dossier"] for r in rematched["assigned"]}, rematched["waiting"]) == ({A}, 0)
    assert sorted(s["details"]["partner"] for s in out(store_url, "signals", "--dossier", A)) == ["Huur", "Water"]
    assert out(store_url, "signals", "queue") == []


def test_a_planned_eviction_is_critical_and_tops_every_list(store_url, tmp_path):
    onboard_example(store_url, tmp_path)
    hhb(store_url, "onboard", str(ROOT / "personas" / "persona-2-nuluren.yaml"))
    crisis = report("Energie", "2400.00", dossier=B, crisisIndicatie=True)
    eviction = report("Huur", "1500.00", since="2026-09-01", klantnummer="W-778812", datumUitzetting="2026-12-14")
    imported(store_url, tmp_path, [crisis, eviction])
    signals = out(store_url, "signals")
    assert (signals[0]["rule"], signals[0]["severity"], signals[0]["dossier"]) == ("eviction-planned", "critical", A)
    assert signals[0]["details"]["eviction_date"] == "2026-12-14"
    assert out(store_url, "signals", "--team", "Wijkteam Noord")[0]["rule"] == "eviction-planned"
    assert [s["severity"] for s in signals[1:3]] == ["critical", "critical"]  # its arrears, and the crisis



def test_an_eviction_nobody_is_found_for_is_the_engines_critical_signal_until_assigned(store_url, tmp_path):
    onboard_example(store_url, tmp_path, buffer_limit="0.00")
    hhb(store_url, "reconcile", "--date", "2026-12-01")  # the household's own critical arrears
    unknown = report("Huur", "900.00", naam="J. Bakker", postcode="1011 AA", huisnummer="1",
                     datumUitzetting="2026-12-14")
    assert imported(store_url, tmp_path, [unknown])["queued"] == 1
    first = out(store_url, "signals")[0]
    assert (first["rule"], first["severity"], first["dossier"]) == ("eviction-unmatched", "critical", None)
    assert first["details"]["eviction_date"] == "2026-12-14"
    [waiting] = out(store_url, "signals", "queue")
    hhb(store_url, "signals", "assign", waiting["report"], A)
    signals = out(store_url, "signals")
    assert (signals[0]["rule"], signals[0]["dossier"]) == ("eviction-planned", A)
    [control] = [s for s in signals if s["rule"] == "eviction-unmatched"]
    assert control["status"] == "resolved"


def test_a_report_of_the_engines_own_arrears_is_linked_not_a_second_debt(store_url, tmp_path):
    onboard_example(store_url, tmp_path, buffer_limit="0.00")
    hhb(store_url, "reconcile", "--date", "2026-12-01")  # nothing came in, no buffer: the rent is in arrears
    [own] = out(store_url, "debts", "list", A)
    assert (own["source"], own["creditor"], own["amount"]) == ("engine-arrears", PORTAAL[0], "712.40")
    result = imported(store_url, tmp_path, [report("Huur", "712.40", since="2026-11-01", naam="Sanne de Vries",
                                                   iban="NL44RABO0123456789", ibanSchuldeiser=PORTAAL[1])])
    assert (result["linked"], result["debts_added"]) == (1, 0)
    assert out(store_url, "debts", "list", A) == [own]
    [external] = [s for s in out(store_url, "signals", "--dossier", A) if s["rule"] == "external"]
    assert external["details"]["linked_to"] == own["debt"]


def test_a_bad_report_names_itself_and_its_field_and_writes_nothing(store_url, tmp_path):
    onboard_example(store_url, tmp_path)
    bad = [BY_IBAN, {**BY_ADDRESS, "iban": "NL00RABO0123456789"}, report("Telecom", "40.00", iban=BY_IBAN["iban"])]
    refused = imported(store_url, tmp_path, bad, code=2)
    assert "signals[1].iban" in refused.stderr and "signals[2].partnerType" in refused.stderr
    assert out(store_url, "signals") == [] and out(store_url, "signals", "queue") == []
    assert out(store_url, "debts", "list", A) == []


def test_a_municipality_adds_partner_types(store_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_PARTNER_TYPES", "gemeentelijke belastingen, Telecom")
    onboard_example(store_url, tmp_path)
    result = imported(store_url, tmp_path, [
        report("telecom", "40.00", iban=BY_IBAN["iban"], schuldeiser="KPN", ibanSchuldeiser="NL17INGB0000006116"),
        report("Gemeentelijke belastingen", "310.00", iban=BY_IBAN["iban"], schuldeiser="BghU",
               ibanSchuldeiser="NL86INGB0002445588")])
    assert result["debts_added"] == 2
    assert sorted(d["kind"] for d in out(store_url, "debts", "list", A)) == ["belasting", "overig"]


def test_an_address_and_a_customer_number_set_by_command_find_reports(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))  # no address, no customer number
    assert imported(store_url, tmp_path, [BY_ADDRESS, BY_CUSTOMER])["queued"] == 2
    hhb(store_url, "address", A, "--postcode", "3511 AB", "--number", "12a", "--street", "Oudegracht")
    hhb(store_url, "customer-number", A, "water", "W-778812")
    detail = out(store_url, "show", A)
    assert detail["address"] == {"postcode": "3511AB", "number": "12A", "street": "Oudegracht", "place": None}
    assert [a["customer_number"] for a in detail["agreements"] if a["id"] == "water"] == ["W-778812"]
    again = imported(store_url, tmp_path, [BY_ADDRESS, BY_CUSTOMER])
    assert (again["matched"], again["queued"]) == (2, 0)
    assert out(store_url, "signals", "queue") == []  # found now: no longer waiting
    again = json.loads(hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml")).stdout)
    assert again["status"] == "unchanged"  # a document without them keeps what the commands set
    assert out(store_url, "show", A)["address"]["postcode"] == "3511AB"
    doc = {**yaml.safe_load((ROOT / "examples" / "HHB-2026-0001.yaml").read_text()),
           "address": {"postcode": "35 AB", "number": "12"}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(doc))
    assert "address.postcode" in hhb(store_url, "onboard", str(tmp_path / "bad.yaml"), code=2).stderr
    refused = hhb(store_url, "address", A, "--postcode", "35111", "--number", "12", code=2)
    assert "postcode" in refused.stderr


def test_the_api_sets_an_address_imports_queues_and_assigns(store_url, tmp_path):
    from fastapi.testclient import TestClient

    from adapters.api.app import create_app
    from huishoudboekje import access

    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    app = create_app(db_url=store_url)
    try:
        engine = app.state.context.engine
        tokens = {name: access.issue(engine, role, name, "test", team=team)[0] for name, role, team in (
            ("staff", "staff", "Wijkteam Noord"), ("lead", "teamlead", "Wijkteam Noord"), ("job", "job", None))}

        def call(method, path, who, **kwargs):
            return client.request(method, f"/api/v1{path}", headers={"Authorization": f"Bearer {tokens[who]}"},
                                  **kwargs)

        with TestClient(app) as client:
            wrong = call("POST", f"/households/{A}/address", "staff", json={"postcode": "35", "number": "12"})
            assert wrong.status_code == 422 and "postcode" in wrong.text
            answer = call("POST", f"/households/{A}/address", "staff", json={"postcode": "3511 ab", "number": "12a"})
            assert answer.json()["address"]["postcode"] == "3511AB"
            assert call("GET", f"/households/{A}", "staff").json()["address"]["number"] == "12A"
            # staff import by dossier only; the job's file is matched by address, or queued
            assert call("POST", "/signals/import", "staff", json={"signals": [BY_ADDRESS]}).status_code == 422
            stranger = report("Water", "80.00", naam="J. Bakker", postcode="1011 AA", huisnummer="1")
            done = call("POST", "/signals/import", "job", json={"signals": [BY_ADDRESS, stranger]}).json()
            assert (done["matched"], done["queued"], done["debts_added"]) == (1, 1, 1)
            [waiting] = call("GET", "/signals/queue", "lead").json()
            assert waiting["name"] == "J. Bakker"
            assert json.loads(hhb(store_url, "signals", "queue", "--json").stdout) == [waiting]  # the CLI alike
            assigned = call("POST", f"/signals/queue/{waiting['report']}/assign", "lead", json={"dossier": A})
            assert assigned.status_code == 200 and assigned.json()["new"] == 1
            assert call("GET", "/signals/queue", "lead").json() == []
    finally:
        app.state.context.engine.close()
