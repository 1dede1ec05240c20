"""A household's debts on its staff page (issue 23: debts "in the staff web app where it
exists"): what is still owed, the arrangement's terms, the moratorium that freezes them
and the referral, in Dutch sentences a coach reads at a glance."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from tests.e2e.staff_web import ACCOUNTS, OTHER, OWN, hhb, prepare, sign_in
from tests.factories import MANAGED


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    secrets = prepare(db, tmp_path)
    debt = json.loads(hhb(db, "debts", "add", OWN, "--creditor", "Woonstad Utrecht", "--iban",
                          "NL91ABNA0417164300", "--amount", "1500.00", "--since", "2026-03-01", "--kind", "huur"))
    hhb(db, "arrangements", "add", debt["debt"], "--monthly", "72.00", "--from", "2027-01-01")
    hhb(db, "referral", OWN, "--date", "2026-12-01", "--organisation", "Schuldhulp Utrecht")
    hhb(db, "moratorium", OWN, "--from", "2026-12-01", "--until", "2027-05-31", "--reason", "Schuldhulp onderhandelt")
    client = TestClient(create_app(db_url=db), follow_redirects=False)
    email = ACCOUNTS["staff"][1]
    assert sign_in(client, email, secrets[email]).status_code == 303

    def read(dossier: str, lang: str = "nl") -> str:
        return client.get(f"/medewerker/huishoudens/{dossier}?lang={lang}").text
    return read


def test_the_household_page_shows_its_debts_arrangement_moratorium_and_referral(page):
    html = page(OWN)
    assert "Schulden en regelingen" in html
    assert "Woonstad Utrecht (huur): €\u00a01.500,00 open van €\u00a01.500,00, sinds 1 maart 2026" in html
    assert "bevroren tot 31 mei 2027" in html
    assert "Regeling €\u00a072,00 per maand vanaf 1 januari 2027: 0 termijn(en) betaald, 0 gemist" in html
    assert "Verwezen naar schuldhulpverlening: Schuldhulp Utrecht, 1 december 2026" in html
    assert "Moratorium van 1 december 2026 tot en met 31 mei 2027: Schuldhulp onderhandelt" in html
    assert "Debts and arrangements" in page(OWN, "en")


def test_a_household_without_debts_says_so(page):
    html = page("HHB-DEMO-0001")  # Wijkteam Noord's too
    assert "Geen schulden bekend." in html and "Woonstad" not in html
    assert "Woonstad" not in page(OTHER)  # another team's household is not found, nor its debts
