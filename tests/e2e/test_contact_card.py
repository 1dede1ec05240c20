"""The team's contact card (issue 19): phone, hours and e-mail from the team register,
the coach from the household's document, on the participant's page (Dutch and English)
and in the monthly overview's data; bad phone numbers and e-mail addresses are refused
naming the field, and write nothing.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from adapters.store import open_engine
from huishoudboekje import access, teams
from huishoudboekje.domain.team import REGISTER_ID, TeamError, clean_contact, tel_href
from huishoudboekje.reports import monthly_overview
from tests.conftest import ROOT
from tests.e2e.test_teams import hhb, ok, settings_env  # noqa: F401 - settings_env: a fixture

A = "HHB-2026-0001"
NOORD = "Wijkteam Noord"
CARD = ("--phone", "030 286 12 34", "--email", "noord@example.nl", "--hours", "ma–vr 9.00–17.00")
STORE_V13 = ROOT / "tests" / "data" / "store-v13.sqlite"


def register_events(store_url, tmp_path) -> int:
    engine = open_engine(store_url, tmp_path / "var")
    try:
        return len(list(engine.events.get(REGISTER_ID)))
    finally:
        engine.close()


def with_coach(tmp_path: Path, coach: str = "Anna Jansen") -> Path:
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text(encoding="utf-8")
    assert f"team: {NOORD}\n" in text
    path = tmp_path / "coach.yaml"
    path.write_text(text.replace(f"team: {NOORD}\n", f"team: {NOORD}\ncoach: {coach}\n"), encoding="utf-8")
    return path


# -- on input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["030 286 12 34", "06-12345678", "+31 6 1234 5678", "0031 30 286 12 34",
                                   "+31 (0)30 286 12 34", "0800 1234", "0900-123 45 67", "14 030", "(030) 2861234"])
def test_dutch_phone_numbers_are_taken(phone):
    assert clean_contact(phone, None, None)["phone"] == phone


@pytest.mark.parametrize("phone", ["12345", "030 286 12 3", "030 286 12 345", "+44 20 7946 0958", "bel ons",
                                   "+31 030 286 12 34 5", "06 1234 567+8", "0031 0800"])
def test_other_phone_numbers_are_refused_naming_the_field(phone):
    with pytest.raises(TeamError, match=rf"^--phone: '{re.escape(phone)}' is not a Dutch phone number"):
        clean_contact(phone, None, None)


def test_the_tel_link_dials_from_anywhere():
    assert tel_href("030 286 12 34") == "tel:+31302861234"
    assert tel_href("+31 (0)6 1234 5678") == "tel:+31612345678"
    assert tel_href("0031 30 286 12 34") == "tel:+31302861234"
    assert tel_href("14 030") == "tel:14030"


def test_a_team_is_added_and_updated_with_its_contact_card(store_url):
    added = json.loads(ok(store_url, "teams", "add", "Wijkteam Overvecht", *CARD).stdout)
    assert added == {"name": "Wijkteam Overvecht", "phone": "030 286 12 34", "email": "noord@example.nl",
                     "hours": "ma–vr 9.00–17.00"}
    ok(store_url, "teams", "update", "Wijkteam Overvecht", "--phone", "+31 6 1234 5678",
       "--email", "overvecht@example.nl")
    listed = {t["name"]: t for t in json.loads(ok(store_url, "teams", "list", "--json").stdout)}
    assert listed["Wijkteam Overvecht"] == {"name": "Wijkteam Overvecht", "phone": "+31 6 1234 5678",
                                            "email": "overvecht@example.nl", "hours": "ma–vr 9.00–17.00"}


@pytest.mark.parametrize("option, value, says", [
    ("--phone", "+44 20 7946 0958", "--phone: '+44 20 7946 0958' is not a Dutch phone number"),
    ("--phone", "030 286 12", "--phone: '030 286 12' is not a Dutch phone number"),
    ("--email", "noord@", "--email: 'noord@' is not an e-mail address"),
    ("--email", "noord@example.nl?subject=x", "--email: 'noord@example.nl?subject=x' is not an e-mail address"),
    ("--email", "wijk team@example.nl", "--email: 'wijk team@example.nl' is not an e-mail address"),
    ("--hours", "ma\u200b–vr", "--hours: contains a control or invisible character"),
])
def test_a_bad_card_is_refused_naming_the_field_and_writes_nothing(store_url, tmp_path, option, value, says):
    before = register_events(store_url, tmp_path)
    refused_add = hhb(store_url, "teams", "add", "Wijkteam Overvecht", option, value)
    assert refused_add.exit_code == 2 and says in " ".join(refused_add.output.split())
    refused_update = hhb(store_url, "teams", "update", NOORD, "--hours", "ma-vr 9-17", option, value)
    assert refused_update.exit_code == 2 and says in " ".join(refused_update.output.split())
    assert register_events(store_url, tmp_path) == before
    listed = json.loads(ok(store_url, "teams", "list", "--json").stdout)
    assert "Wijkteam Overvecht" not in {t["name"] for t in listed}
    assert next(t for t in listed if t["name"] == NOORD)["hours"] is None


def test_a_coach_with_a_control_character_is_refused_naming_the_field(store_url, tmp_path):
    refused = hhb(store_url, "onboard", str(with_coach(tmp_path, '"Anna\\tJansen"')))
    assert refused.exit_code == 2 and "coach: contains a control or invisible character" in refused.output
    assert json.loads(ok(store_url, "households", "--json").stdout) == []


# -- on the page and the overview ---------------------------------------------------------------------


@pytest.fixture
def page(store_url, tmp_path):
    ok(store_url, "onboard", str(with_coach(tmp_path)))
    ok(store_url, "teams", "update", NOORD, *CARD)
    app = create_app(db_url=store_url)
    engine = app.state.context.engine
    token = access.issue(engine, "participant", "Sanne de Vries", "test", dossier=A, valid_days=30)[0]
    client = TestClient(app)
    yield lambda lang: client.get(f"/p/{token}?date=2026-11-20&lang={lang}"), engine, token
    engine.close()


def footer(html: str) -> str:
    found = re.search(r"<footer[^>]*>(.*?)</footer>", html, flags=re.S)
    assert found, "no footer"
    return found.group(1)


def text_of(html: str) -> str:
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


@pytest.mark.parametrize("lang, words", [
    ("nl", "Vragen? Neem contact op Wijkteam Noord Uw coach: Anna Jansen Bellen: 030 286 12 34 "
           "Bereikbaar: ma–vr 9.00–17.00 E-mail: noord@example.nl"),
    ("en", "Questions? Get in touch Wijkteam Noord Your coach: Anna Jansen Phone: 030 286 12 34 "
           "Open: ma–vr 9.00–17.00 E-mail: noord@example.nl"),
])
def test_the_page_shows_the_teams_contact_card_with_the_coach(page, lang, words):
    get, _, token = page
    response = get(lang)
    assert response.status_code == 200
    card = footer(response.text)
    assert text_of(card) == words
    assert '<a href="tel:+31302861234">030 286 12 34</a>' in card
    assert '<a href="mailto:noord@example.nl">noord@example.nl</a>' in card
    assert token not in card


def test_a_team_without_a_card_shows_its_name_alone(store_url, tmp_path):
    ok(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    app = create_app(db_url=store_url)
    engine = app.state.context.engine
    try:
        token = access.issue(engine, "participant", "Sanne de Vries", "test", dossier=A, valid_days=30)[0]
        card = footer(TestClient(app).get(f"/p/{token}?date=2026-11-20").text)
    finally:
        engine.close()
    assert text_of(card) == "Vragen? Neem contact op Wijkteam Noord"
    assert "tel:" not in card and "mailto:" not in card


def test_the_monthly_overview_carries_the_contact_card(page):
    _, engine, _ = page
    assert monthly_overview(engine, A, "2026-12")["contact"] == {
        "team": NOORD, "coach": "Anna Jansen", "phone": "030 286 12 34", "phone_href": "tel:+31302861234",
        "hours": "ma–vr 9.00–17.00", "email": "noord@example.nl", "email_href": "mailto:noord@example.nl"}


def test_staff_see_the_coach_the_document_names_and_onboarding_without_it_clears_it(page, store_url):
    assert json.loads(ok(store_url, "show", A, "--json").stdout)["coach"] == "Anna Jansen"
    ok(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    assert json.loads(ok(store_url, "show", A, "--json").stdout)["coach"] is None


# -- an older store -------------------------------------------------------------------------------


def test_a_store_of_the_previous_version_gets_a_card_without_a_coach(tmp_path):
    url = f"sqlite:///{shutil.copy(STORE_V13, tmp_path / 'old.sqlite')}"
    engine = open_engine(url, tmp_path / "var")
    try:
        hid, dossier = next(iter(engine.household_ids()))
        household = engine.household_by_id(hid)
        assert household.coach is None
        assert teams.contact(engine, household) == {
            "team": household.team, "coach": None, "phone": None, "phone_href": None, "hours": None,
            "email": None, "email_href": None}  # the register of that store was never opened: read only
        assert engine.get_or_none(REGISTER_ID) is None
        teams.update(engine, household.team, "test", phone="030 286 12 34")
        assert teams.contact(engine, engine.household(dossier))["phone_href"] == "tel:+31302861234"
        assert monthly_overview(engine, dossier, f"{date(2026, 11, 1):%Y-%m}")["contact"]["team"] == household.team
    finally:
        engine.close()
