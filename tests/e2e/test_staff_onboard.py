"""Nieuw huishouden (/medewerker/huishoudens/nieuw): a coach onboards a household from
the form, picking its creditors from the register, checks the first pay date, saves;
a wrong field gives a Dutch error next to it and writes nothing."""

from __future__ import annotations

import json
import re
import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from tests.e2e.staff_web import ACCOUNTS, csrf, hhb, prepare, sign_in
from tests.factories import MANAGED

ENECO, WOONSTAD = "NL91ABNA0417164300", "NL20INGB0001234567"
CREDITORS = f"""
- {{name: Eneco, ibans: [{ENECO}], category: energie, reference_format: "klantnummer, 10 cijfers"}}
- {{name: Woonstad Rotterdam, ibans: [{WOONSTAD}], category: huur}}
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("onboard")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
        (tmp / "creditors.yaml").write_text(CREDITORS, encoding="utf-8")
        hhb(db, "creditors", "import", str(tmp / "creditors.yaml"), "--actor", "beheer")
    return db, secrets


@pytest.fixture
def client(store, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    client = TestClient(create_app(db_url=store[0]), follow_redirects=False)
    email = ACCOUNTS["staff"][1]
    assert sign_in(client, email, store[1][email]).status_code == 303
    return client


def form(client, dossier: str, **changes: str) -> dict[str, str]:
    page = client.get("/medewerker/huishoudens/nieuw")
    assert page.status_code == 200 and "Eneco (energie)" in page.text
    values = {
        "csrf": csrf(page.text), "dossier": dossier, "start": "2027-01-01", "pay_day": "1",
        "buffer_limit": "1000,00", "minimum_leefgeld": "250,00",
        "participant_name": "Sanne de Wit", "participant_iban": "NL02ABNA0123456789",
        "income0_name": "Gemeente Rotterdam", "income0_iban": "NL14BNGH0285001234", "income0_category": "bijstand",
        "income0_amount": "1.320,50", "income0_day": "28",
        "charge0_creditor": WOONSTAD, "charge0_amount": "735,00", "charge0_day": "1",
        "charge1_creditor": ENECO, "charge1_amount": "120,00", "charge1_day": "15", "charge1_reference": "1234567890",
    }
    return {**values, **changes}


def exists(db: str, dossier: str) -> dict | None:
    from typer.testing import CliRunner

    from adapters.cli import app as cli

    result = CliRunner().invoke(cli, ["show", dossier, "--json", "--db", db])
    return json.loads(result.stdout) if result.exit_code == 0 else None


def test_onboard_from_the_form_with_creditors_from_the_register(client, store):
    values = form(client, "HHB-2027-0100")
    checked = client.post("/medewerker/huishoudens/nieuw", data={**values, "step": "check"})
    assert checked.status_code == 200, checked.text
    # the income of 28 January is there by the pay day of 1 February: rent and energy
    # paid, the rest is leefgeld (1320.50 - 735.00 - 120.00)
    assert "Eerste betaaldag: <strong>1 februari 2027</strong>" in checked.text
    assert re.search(r"Verwacht leefgeld: <strong>€\s465,50</strong>", checked.text)
    assert "Opslaan" in checked.text
    assert exists(store[0], "HHB-2027-0100") is None  # checking writes nothing
    saved = client.post("/medewerker/huishoudens/nieuw", data={**values, "step": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == "/medewerker/huishoudens/HHB-2027-0100"
    shown = exists(store[0], "HHB-2027-0100")
    assert shown is not None and shown["team"] == "Wijkteam Noord"
    text = json.dumps(shown)
    assert WOONSTAD in text and ENECO in text and "Woonstad Rotterdam" in text
    assert "735.00" in text and "1320.50" in text
    page = client.get(saved.headers["location"])
    assert page.status_code == 200 and "Sanne de Wit" in page.text
    english = client.get("/medewerker/huishoudens/nieuw?lang=en")
    assert english.status_code == 200 and "<h1>New household</h1>" in english.text and "Check</button>" in english.text


def test_a_bad_field_is_named_in_dutch_and_nothing_is_written(client, store):
    values = form(client, "HHB-2027-0101", participant_iban="NL02ABNA0123456788", charge1_amount="veel")
    for step in ("check", "save"):
        answer = client.post("/medewerker/huishoudens/nieuw", data={**values, "step": step})
        assert answer.status_code == 400
        assert "IBAN deelnemer: dit is geen geldig IBAN" in answer.text
        assert "Vaste last 2: bedrag: vul een bedrag in euro" in answer.text
        assert 'id="participant_iban-fout"' in answer.text and "Er is niets opgeslagen" in answer.text
        assert 'value="Sanne de Wit"' in answer.text  # what was typed stays
    assert exists(store[0], "HHB-2027-0101") is None


def test_the_service_rules_apply_and_the_dossier_must_be_new(client, store):
    managed = MANAGED.split(",")[0]
    values = form(client, "HHB-2027-0102", participant_iban=managed)
    answer = client.post("/medewerker/huishoudens/nieuw", data={**values, "step": "save"})
    assert answer.status_code == 400 and "IBAN deelnemer: dit kan zo niet worden vastgelegd" in answer.text
    assert exists(store[0], "HHB-2027-0102") is None
    taken = client.post("/medewerker/huishoudens/nieuw", data={**form(client, "HHB-DEMO-0002"), "step": "save"})
    assert taken.status_code == 400 and "Dossiernummer: dit dossiernummer bestaat al" in taken.text
    assert exists(store[0], "HHB-DEMO-0002")["team"] == "Wijkteam Zuid"  # another team's, unchanged
    again = client.post("/medewerker/huishoudens/nieuw", data={**form(client, " hhb-demo-0002 "), "step": "save"})
    assert again.status_code == 400 and "Dossiernummer: dit dossiernummer bestaat al" in again.text  # not a twin
    assert exists(store[0], "hhb-demo-0002") is None


def test_without_its_csrf_token_the_form_writes_nothing(client, store):
    values = form(client, "HHB-2027-0103", csrf="not-the-token")
    answer = client.post("/medewerker/huishoudens/nieuw", data={**values, "step": "save"})
    assert answer.status_code == 400 and "Er is niets gewijzigd" in answer.text
    assert exists(store[0], "HHB-2027-0103") is None


def test_auditors_and_finance_do_not_onboard(store, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    client = TestClient(create_app(db_url=store[0]), follow_redirects=False)
    email = ACCOUNTS["auditor"][1]
    assert sign_in(client, email, store[1][email]).status_code == 303
    assert client.get("/medewerker/huishoudens/nieuw").status_code == 403
    assert "Nieuw huishouden" not in client.get("/medewerker/").text


def _errors_on_submit(client, values: dict[str, str]) -> dict[str, str]:
    """Each field's error as the submitted form shows it next to the field."""
    answer = client.post("/medewerker/huishoudens/nieuw", data={**values, "step": "check"})
    return dict(re.findall(r'<span class="field-error" id="([a-z0-9_]+)-fout">([^<]+)</span>', answer.text))


def test_a_field_checked_while_typing_gets_the_same_dutch_error_as_on_submit(client, store):
    bad = {"participant_iban": "NL02ABNA0123456788", "income0_iban": "DE89 3704 0044 0532 0130 01X",
           "charge1_amount": "veel", "income0_amount": "12,345", "start": "2027-02-30", "pay_day": "29",
           "charge0_day": "32"}
    values = form(client, "HHB-2027-0104", **bad)
    on_submit = _errors_on_submit(client, values)
    on_submit.update(_errors_on_submit(client, form(client, "HHB-DEMO-0002")))  # taken: judged once all else is fine
    for name, value in {**bad, "dossier": "HHB-DEMO-0002"}.items():
        answer = client.post("/medewerker/huishoudens/nieuw/controleer",
                             data={"field": name, "value": value, "csrf": values["csrf"]})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        assert answer.json() == {"field": name, "error": on_submit[name].replace("&#39;", "'")}, name
    good = form(client, "HHB-2027-0104")
    for name in ("dossier", "participant_iban", "income0_iban", "income0_amount", "charge1_amount", "start",
                 "pay_day", "charge0_day", "charge0_creditor", "income0_category", "charge1_reference"):
        answer = client.post("/medewerker/huishoudens/nieuw/controleer",
                             data={"field": name, "value": good[name], "csrf": values["csrf"]})
        assert answer.json() == {"field": name, "error": None}, name
    assert exists(store[0], "HHB-2027-0104") is None


def test_checking_a_field_needs_the_token_a_coach_and_a_field_of_the_form(client, store):
    token = form(client, "HHB-2027-0105")["csrf"]
    asked = {"field": "participant_iban", "value": "NL02ABNA0123456788"}
    refused = client.post("/medewerker/huishoudens/nieuw/controleer", data={**asked, "csrf": "not-the-token"})
    assert refused.status_code == 400 and "Er is niets gewijzigd" in refused.json()["error"]
    unknown = client.post("/medewerker/huishoudens/nieuw/controleer", data={"field": "x", "value": "1", "csrf": token})
    assert unknown.status_code == 400
    stranger = TestClient(client.app, follow_redirects=False)
    assert stranger.post("/medewerker/huishoudens/nieuw/controleer", data={**asked, "csrf": token}).status_code == 401
    auditor = TestClient(client.app, follow_redirects=False)
    email = ACCOUNTS["auditor"][1]
    assert sign_in(auditor, email, store[1][email]).status_code == 303
    assert auditor.post("/medewerker/huishoudens/nieuw/controleer",
                        data={**asked, "csrf": csrf(auditor.get("/medewerker/").text)}).status_code == 403
    page = client.get("/medewerker/huishoudens/nieuw")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/medewerker/static/onboard-check.js"' in page.text and "<script>" not in page.text
    script = client.get("/medewerker/static/onboard-check.js")
    assert script.status_code == 200 and "controleer" not in script.text  # the page says where to ask
    assert "script-src" not in client.get("/medewerker/").headers["content-security-policy"]
