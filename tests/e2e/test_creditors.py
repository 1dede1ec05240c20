"""The register of creditor organisations: `hhb creditors import FILE` (all or nothing,
errors naming the entry and field), `hhb creditors list`, and the Schuldeisers page
(everyone reads it, a teamlead adds one)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.api.app import create_app
from adapters.cli import app as cli
from tests.e2e.staff_web import ACCOUNTS, csrf, prepare, sign_in
from tests.factories import MANAGED

ENECO, VITENS = "NL91ABNA0417164300", "NL20INGB0001234567"
runner = CliRunner()


def run(db: str, *args: str):
    return runner.invoke(cli, [*args, "--db", db])


def listed(db: str) -> list[dict]:
    result = run(db, "creditors", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_and_list(tmp_path):
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    path = tmp_path / "creditors.yaml"
    path.write_text(f"""
- name: Eneco
  ibans: [{ENECO}]
  category: energie
  reference_format: klantnummer, 10 cijfers
- name: Vitens
  ibans: [nl20 ingb 0001 2345 67]
  category: water
""", encoding="utf-8")
    assert run(db, "creditors", "import", str(path), "--actor", "beheer").exit_code == 0
    assert listed(db) == [
        {"name": "Eneco", "ibans": [ENECO], "category": "energie", "reference_format": "klantnummer, 10 cijfers"},
        {"name": "Vitens", "ibans": [VITENS], "category": "water", "reference_format": None}]
    table = run(db, "creditors", "list")
    assert "Eneco" in table.stdout and "water" in table.stdout
    # importing again changes what changed, nothing else
    json_file = tmp_path / "more.json"
    json_file.write_text(json.dumps([{"name": "vitens", "ibans": [VITENS], "category": "water",
                                      "reference_format": "debiteurnummer"}]), encoding="utf-8")
    result = run(db, "creditors", "import", str(json_file), "--actor", "beheer")
    assert result.exit_code == 0 and json.loads(result.stdout) == {"creditors": 1, "changed": 1}
    assert [c["reference_format"] for c in listed(db)] == ["klantnummer, 10 cijfers", "debiteurnummer"]


@pytest.mark.parametrize("entries, where", [
    ('[{name: Eneco, ibans: [NL91ABNA0417164301], category: energie}]', "[0].ibans[0]: checksum"),
    ('[{name: Eneco, ibans: [NL91ABNA0417164300], category: energie}, {name: X, ibans: [], category: huur}]',
     "[1].ibans: give one IBAN or more"),
    ('[{name: Eneco, ibans: [NL91ABNA0417164300], category: gas}]', "[0].category: 'gas' is not one of"),
    ('[{name: Eneco, ibans: [NL91ABNA0417164300], category: energie, colour: red}]', "[0].colour: unknown field"),
    ('[{name: Eneco, ibans: [NL91ABNA0417164300], category: energie}, '
     '{name: Vattenfall, ibans: [NL91ABNA0417164300], category: energie}]',
     "[1].ibans[0]: NL91ABNA0417164300 is the account of Eneco already"),
    ('[{name: Eneco, ibans: [NL91ABNA0417164300], category: energie}, {name: eneco, ibans: [NL20INGB0001234567], '
     'category: energie}]', "[1].name: 'eneco' is in the file twice"),
    ("{name: Eneco}", "a list of creditors"),
    ("[{name: Eneco", "malformed YAML"),
])
def test_a_bad_file_names_entry_and_field_and_changes_nothing(tmp_path, entries, where):
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    good = tmp_path / "good.yaml"
    good.write_text(f"[{{name: Vitens, ibans: [{VITENS}], category: water}}]", encoding="utf-8")
    assert run(db, "creditors", "import", str(good), "--actor", "beheer").exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(entries, encoding="utf-8")
    result = run(db, "creditors", "import", str(bad), "--actor", "beheer")
    assert result.exit_code == 2
    assert str(bad) in result.output and where in " ".join(result.output.split())
    assert [c["name"] for c in listed(db)] == ["Vitens"]  # the good entries of the bad file are not in


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("creditors")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
    return db, secrets


def signed_in(store, role: str, monkeypatch) -> TestClient:
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    client = TestClient(create_app(db_url=store[0]), follow_redirects=False)
    email = ACCOUNTS[role][1]
    assert sign_in(client, email, store[1][email]).status_code == 303
    return client


def test_a_teamlead_adds_a_creditor_on_the_page(store, monkeypatch):
    client = signed_in(store, "teamlead", monkeypatch)
    page = client.get("/medewerker/schuldeisers")
    assert page.status_code == 200 and "Schuldeiser toevoegen" in page.text
    form = {"csrf": csrf(page.text), "name": "Eneco", "ibans": "NL91 ABNA 0417 1643 01", "category": "energie",
            "reference_format": ""}
    bad = client.post("/medewerker/schuldeisers", data=form)
    assert bad.status_code == 400 and "IBAN(s): dit is geen geldig IBAN" in bad.text
    assert "Er is niets gewijzigd" in bad.text and listed(store[0]) == []
    assert client.post("/medewerker/schuldeisers", data={**form, "csrf": "x",
                                                          "ibans": ENECO}).status_code == 400
    assert listed(store[0]) == []
    added = client.post("/medewerker/schuldeisers", data={**form, "ibans": ENECO})
    assert added.status_code == 303
    assert listed(store[0])[0]["ibans"] == [ENECO]
    assert ENECO in client.get(added.headers["location"]).text


def test_staff_read_the_register_but_do_not_add(store, monkeypatch):
    client = signed_in(store, "staff", monkeypatch)
    page = client.get("/medewerker/schuldeisers")
    assert page.status_code == 200 and "Schuldeiser toevoegen" not in page.text
    before = listed(store[0])
    answer = client.post("/medewerker/schuldeisers", data={
        "csrf": csrf(page.text), "name": "Vitens", "ibans": VITENS, "category": "water"})
    assert answer.status_code == 403 and listed(store[0]) == before
