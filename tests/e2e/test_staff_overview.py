"""A household's monthly overview to print, from the staff app
(/medewerker/huishoudens/{dossier}/overzicht): the participant's own overview page, linked
from the household; a month written wrongly is named in Dutch. Who may open it: the
access matrix (tests/e2e/test_staff_access_matrix.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from tests.e2e.staff_web import ACCOUNTS, OWN, prepare, sign_in
from tests.factories import MANAGED


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff-overview")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
        client = TestClient(create_app(db_url=db), follow_redirects=False)
        email = ACCOUNTS["staff"][1]
        assert sign_in(client, email, secrets[email]).status_code == 303
        yield client, db


def test_the_household_links_its_overview_to_print(client):
    client, _ = client
    household = client.get(f"/medewerker/huishoudens/{OWN}").text
    href = f"/medewerker/huishoudens/{OWN}/overzicht"
    assert f'href="{href}">Maandoverzicht om te printen</a>' in household
    page = client.get(href + "?month=2026-11")
    assert page.status_code == 200
    assert page.text == client.get(href + "?month=2026-11").text  # as often as asked
    for words in ("Uw overzicht van november 2026", "Yonas Tesfay", "Wat er binnenkwam", "Voorschot van de gemeente"):
        assert words in page.text, words
    assert f'href="/medewerker/huishoudens/{OWN}">Terug naar het huishouden</a>' in page.text
    assert 'href="/p/static/participant.css"' in page.text  # its print stylesheet, served by us
    assert client.get(href).status_code == 200  # this cycle's month


def test_a_month_written_wrongly_is_named_in_dutch(client):
    client, _ = client
    page = client.get(f"/medewerker/huishoudens/{OWN}/overzicht?month=november")
    assert page.status_code == 400
    assert "Maand: schrijf de maand als JJJJ-MM" in page.text
