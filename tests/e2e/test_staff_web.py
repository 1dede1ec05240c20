"""The staff web app (/medewerker/): sign-in with password and TOTP, the pages each role
may see (the access matrix), following up a signal, and CSRF."""

from __future__ import annotations

import json
import time

import pyotp
import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from adapters.api.limiter import FAILED_LOGIN_LIMIT, FAILED_LOGIN_WINDOW
from adapters.cli import app as cli
from tests.e2e.staff_web import (ACCOUNTS, OTHER, OWN, PASSWORD, csrf, forget_used_codes, hhb, prepare, runner,
                                 sign_in)
from tests.factories import MANAGED


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
    return db, secrets


@pytest.fixture
def app(store, monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    return create_app(db_url=store[0])


def client_of(app, store, role: str | None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if role is not None:
        email = ACCOUNTS[role][1]
        answer = sign_in(client, email, store[1][email])
        assert answer.status_code == 303 and answer.headers["location"] == "/medewerker/", answer.text
    return client


def signal_of(db: str, dossier: str, rule: str) -> dict:
    rows = json.loads(hhb(db, "signals", "--dossier", dossier, "--json"))
    return next(s for s in rows if s["rule"] == rule)


PAGES = ["/medewerker/", "/medewerker/huishoudens", f"/medewerker/huishoudens/{OWN}",
         f"/medewerker/huishoudens/{OTHER}", "/medewerker/signalen"]
EXPECTED = {  # role: status per page of PAGES (own team: Wijkteam Noord's HHB-DEMO-0003)
    "staff": [200, 200, 200, 404, 200],
    "teamlead": [200, 200, 200, 404, 200],
    "auditor": [200, 200, 200, 200, 200],
    "finance": [200, 403, 403, 403, 200],
    "other-staff": [200, 200, 404, 200, 200],
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_access_matrix(app, store, role):
    client = client_of(app, store, role)
    got = [client.get(page).status_code for page in PAGES]
    assert got == EXPECTED[role]
    listing = client.get("/medewerker/huishoudens").text
    work = client.get("/medewerker/").text
    signals = client.get("/medewerker/signalen").text
    if role in ("staff", "teamlead"):  # another team's households are nowhere to be seen
        assert OWN in listing and OTHER not in listing and OTHER not in work and OTHER not in signals
    if role == "other-staff":
        assert OTHER in listing and OWN not in listing and OWN not in work and OWN not in signals
    if role == "auditor":
        assert OWN in listing and OTHER in listing
    payment_file = "wacht op vrijgave"
    assert (payment_file in work) == (role in ("finance", "auditor"))
    if role == "finance":  # the engine's own signals, no household's; resolved, not acknowledged
        assert "Betaalbestand niet vrijgegeven" in signals and OWN not in signals
        assert "Oplossen" in signals and "Oppakken" not in signals
    if role == "auditor":  # reads every signal, follows none up
        assert OWN in signals and "Oplossen" not in signals


def test_signed_out_visitors_go_to_the_sign_in_page(app, store):
    client = client_of(app, store, None)
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/medewerker/inloggen")
    assert "Inloggen" in client.get("/medewerker/inloggen").text


def test_the_household_page_reads_as_dutch(app, store):
    page = client_of(app, store, "staff").get(f"/medewerker/huishoudens/{OWN}").text
    assert "Yonas Tesfay" in page and "Voorschot (buffer) open" in page and "€\u00a01.034,50" in page
    assert "Volgende betaaldag 31 december 2026" in page
    assert "Anna Jansen</span> · inkomen bijstand toegevoegd: €\u00a01.120,00 (Gemeente Utrecht)" in page
    assert "Op de betaaldag van 1 december 2026 schoot de buffer €\u00a01.034,50 voor." in page


def test_the_household_pages_history_and_signals_read_as_english_when_asked(app, store):
    page = client_of(app, store, "staff").get(f"/medewerker/huishoudens/{OWN}", params={"lang": "en"}).text
    assert "Anna Jansen</span> · income bijstand added: €1,120.00 (Gemeente Utrecht)" in page
    assert "onboarded with Wijkteam Noord, start 1 November 2026" in page
    assert "pay date 1 December 2026: " in page and "advance €1,034.50" in page
    assert "On the pay date of 1 December 2026 the buffer advanced €1,034.50." in page
    history = page[page.index('id="geschiedenis"'):]
    history = history[:history.index("</ol>")]
    for dutch in ("aangemeld bij", "toegevoegd", "betaaldag", "signaal", "systeem", " dec "):
        assert dutch not in history, dutch
    assert "1 Dec 2026" in history and "system" in history
    # the figures and agreements too, in English words and English amounts
    assert "Next pay date 31 December 2026: expected leefgeld €200.00." in page
    assert "€1,034.50" in page[:page.index('id="afspraken"')] and "1.034,50" not in page
    agreements = page[page.index('id="afspraken"'):page.index('id="schulden"')]
    assert "Rent" in agreements and "€598.60" in agreements and "Fixed charge · Woningstichting Eigen Haard" in agreements
    for dutch in ("Huur", "Vaste last", "Inkomen", ",00"):
        assert dutch not in agreements, dutch
    listing = client_of(app, store, "staff").get("/medewerker/huishoudens", params={"lang": "en"}).text
    assert "Advance (buffer) owed: €1,034.50" in listing


def test_english_on_request_and_remembered(app, store):
    client = client_of(app, store, "staff")
    assert "<h1>Worklist</h1>" in client.get("/medewerker/?lang=en").text
    assert '<html lang="en">' in client.get("/medewerker/huishoudens").text  # the cookie remembers it
    assert "<h1>Werkvoorraad</h1>" in client.get("/medewerker/?lang=nl").text


def test_search_by_dossier_name_or_iban(app, store):
    client = client_of(app, store, "auditor")
    assert "HHB-DEMO-0001" in client.get("/medewerker/huishoudens", params={"q": "el amrani"}).text
    found = client.get("/medewerker/huishoudens", params={"q": "0002"}).text
    assert OTHER in found and OWN not in found
    assert "Geen huishoudens gevonden" in client.get("/medewerker/huishoudens", params={"q": "NL00XXXX"}).text


def copy_of(url: str, target) -> str:
    """A copy of the module's store as it is now, through SQLite's backup API: the store
    is in WAL mode and apps still hold it open, so what was written last may be in its
    -wal file only (a copy of the main file alone lacked households and accounts)."""
    import sqlite3

    source, copy = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return f"sqlite:///{target}"


def test_search_by_postcode_finds_the_household_at_that_address(store, tmp_path, monkeypatch):
    """A coach with a letter in hand searches by postcode, written as people write it."""
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    db = copy_of(store[0], tmp_path / "copy.sqlite")
    hhb(db, "address", OTHER, "--postcode", "3511 AB", "--number", "12", "--actor", "beheer")
    client = client_of(create_app(db_url=db), (db, store[1]), "auditor")
    found = client.get("/medewerker/huishoudens", params={"q": "3511ab"}).text
    assert OTHER in found and OWN not in found
    assert "Zoek op dossier, naam, IBAN of postcode" in found


def test_the_household_page_says_whether_when_and_how_the_participant_agreed(store, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    db = copy_of(store[0], tmp_path / "copy.sqlite")
    client = client_of(create_app(db_url=db), (db, store[1]), "auditor")
    assert "Nog niet vastgelegd" in client.get(f"/medewerker/huishoudens/{OTHER}").text
    hhb(db, "consent", OTHER, "--date", "2026-11-02", "--way", "signed-form", "--actor", "beheer")
    page = client.get(f"/medewerker/huishoudens/{OTHER}").text
    assert "Gegeven op 2 november 2026 (getekend formulier)." in page
    hhb(db, "consent", OTHER, "--withdrawn", "--date", "2026-12-20", "--actor", "beheer")
    page = client.get(f"/medewerker/huishoudens/{OTHER}", params={"lang": "en"}).text
    assert "Given on 2 November 2026 (signed form), withdrawn on 20 December 2026." in page


def _follow(client, signal_id, action="resolve", note="Gebeld, inkomen komt vrijdag", token=None, html=None):
    token = token if token is not None else csrf(html or client.get("/medewerker/signalen").text)
    return client.post("/medewerker/signalen/opvolgen", data={
        "signal": signal_id, "action": action, "note": note, "csrf": token,
        "back": f"/medewerker/huishoudens/{OWN}"})


def test_following_up_a_signal_records_the_signed_in_person(app, store):
    db = store[0]
    signal = signal_of(db, "HHB-DEMO-0001", "buffer-drawn")
    auditor, other = client_of(app, store, "auditor"), client_of(app, store, "other-staff")
    assert _follow(auditor, signal["id"]).status_code == 403  # auditors change nothing
    assert _follow(other, signal["id"]).status_code == 404  # another team's: as unknown
    assert signal_of(db, "HHB-DEMO-0001", "buffer-drawn")["status"] == "open"
    staff = client_of(app, store, "staff")
    answer = _follow(staff, signal["id"], action="acknowledge")
    assert answer.status_code == 303
    changed = signal_of(db, "HHB-DEMO-0001", "buffer-drawn")
    assert changed["status"] == "acknowledged"
    assert changed["history"][-1]["by"] == "staff:Anna Jansen"
    assert changed["history"][-1]["note"] == "Gebeld, inkomen komt vrijdag"
    too_long = _follow(staff, signal["id"], note="x" * 501)
    assert too_long.status_code == 400 and "Notitie: hooguit 500 tekens" in too_long.text
    assert signal_of(db, "HHB-DEMO-0001", "buffer-drawn")["status"] == "acknowledged"


def test_a_form_without_its_token_or_with_another_sessions_changes_nothing(app, store):
    db = store[0]
    signal = signal_of(db, OWN, "buffer-drawn")
    staff, teamlead = client_of(app, store, "staff"), client_of(app, store, "teamlead")
    theirs = csrf(teamlead.get("/medewerker/signalen").text)
    for token in ("", theirs):
        answer = _follow(staff, signal["id"], token=token)
        assert answer.status_code == 400 and "Er is niets gewijzigd" in answer.text
    assert signal_of(db, OWN, "buffer-drawn")["status"] == "open"
    # signing out without the token signs nobody out
    assert staff.post("/medewerker/uitloggen", data={"csrf": theirs}).status_code == 303
    assert staff.get("/medewerker/").status_code == 200
    # nor can another site sign a browser in: the sign-in form has a token of its own
    email = ACCOUNTS["staff"][1]
    fresh = TestClient(app, follow_redirects=False)
    answer = fresh.post("/medewerker/inloggen", data={"email": email, "password": PASSWORD, "csrf": "x",
                                                      "code": pyotp.TOTP(store[1][email]).now()})
    assert answer.status_code == 400 and "hhb_staff" not in answer.cookies


def test_sign_in_needs_password_and_code_and_is_rate_limited(app, store):
    email, secret = ACCOUNTS["teamlead"][1], store[1][ACCOUNTS["teamlead"][1]]
    client = TestClient(app, follow_redirects=False)
    wrong_code = sign_in(client, email, secret, code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong_code.status_code == 401 and "het wachtwoord of de code klopt niet" in wrong_code.text
    assert sign_in(client, email, secret, password="niet het wachtwoord").status_code == 401
    assert client.get("/medewerker/").status_code == 303
    for _ in range(FAILED_LOGIN_LIMIT):
        sign_in(client, "niemand@example.nl", secret)
    assert "Te veel mislukte pogingen" in sign_in(client, "niemand@example.nl", secret).text
    assert sign_in(client, email, secret).status_code == 303  # the right one is let in all the same
    forgive_failures(app)  # the count lives in the store this module's tests share


def forgive_failures(app) -> None:
    """The failed sign-ins are counted in the database (shared by every server process), so
    the count outlives this test's app: the window passes, as it would in an hour."""
    shared = app.state.context.shared
    shared.purge("hhb_failed_signins", time.time() + FAILED_LOGIN_WINDOW + 1)


def test_a_code_works_once(app, store):
    email, secret = ACCOUNTS["auditor"][1], store[1][ACCOUNTS["auditor"][1]]
    code = pyotp.TOTP(secret).now()
    first = TestClient(app, follow_redirects=False)
    assert sign_in(first, email, secret, code=code).status_code == 303
    second = TestClient(app, follow_redirects=False)
    replayed = sign_in(second, email, secret, code=code, fresh=False)
    assert replayed.status_code == 401 and "hhb_staff" not in replayed.cookies


def test_sign_out_ends_the_session(app, store):
    client = client_of(app, store, "teamlead")
    cookie = client.cookies.get("hhb_staff", path="/medewerker")
    token = csrf(client.get("/medewerker/").text)
    answer = client.post("/medewerker/uitloggen", data={"csrf": token})
    assert answer.headers["location"] == "/medewerker/inloggen?melding=signed_out"
    replay = TestClient(app, follow_redirects=False)
    replay.cookies.set("hhb_staff", cookie, path="/medewerker")
    answer = replay.get("/medewerker/")
    assert answer.status_code == 303  # the old cookie opens nothing
    assert "Uw sessie is verlopen" in replay.get(answer.headers["location"]).text


def test_signing_in_after_a_timeout_returns_to_the_page_asked_for_and_never_to_another_site(app, store):
    email, secret = ACCOUNTS["staff"][1], store[1][ACCOUNTS["staff"][1]]
    client = TestClient(app, follow_redirects=False)
    asked = f"/medewerker/huishoudens/{OWN}?tab=geschiedenis"
    answer = client.get(asked)
    assert answer.status_code == 303
    form = client.get(answer.headers["location"])
    assert 'name="naar"' in form.text
    hidden = form.text.split('name="naar" value="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert hidden == asked
    forget_used_codes(client)
    back = client.post("/medewerker/inloggen", data={"email": email, "password": PASSWORD, "csrf": csrf(form.text),
                                                     "code": pyotp.TOTP(secret).now(), "naar": hidden})
    assert back.status_code == 303 and back.headers["location"] == asked
    assert OWN in client.get(asked).text
    for elsewhere in ("https://evil.example/medewerker/", "//evil.example/", "/medewerker//evil.example",
                      "/medewerker/\\evil.example", "/api/households", "/medewerker/inloggen"):
        other = TestClient(app, follow_redirects=False)
        form = other.get("/medewerker/inloggen", params={"naar": elsewhere})
        assert 'name="naar"' not in form.text
        forget_used_codes(other)
        answer = other.post("/medewerker/inloggen", data={"email": email, "password": PASSWORD, "naar": elsewhere,
                                                          "csrf": csrf(form.text), "code": pyotp.TOTP(secret).now()})
        assert answer.headers["location"] == "/medewerker/", elsewhere


def test_a_disabled_account_is_out_at_once(app, store, tmp_path):
    db = f"sqlite:///{tmp_path / 'own.sqlite'}"
    secrets = prepare(db, tmp_path)
    own_app = create_app(db_url=db)
    client = client_of(own_app, (db, secrets), "other-staff")
    hhb(db, "users", "disable", ACCOUNTS["other-staff"][0], "--actor", "beheer")
    assert client.get("/medewerker/").status_code == 303


def test_password_command_refuses_a_short_password_and_lists_no_secrets(store):
    db = store[0]
    result = runner.invoke(cli, ["users", "password", ACCOUNTS["staff"][1], "--db", db], input="kort\n")
    assert result.exit_code == 2 and "12" in result.output
    listing = hhb(db, "users", "list", "--json")
    assert "argon2" not in listing and "totp" not in listing
    again = hhb(db, "users", "password", ACCOUNTS["finance"][1], stdin=PASSWORD + "\n")
    assert "totp_uri" not in again  # enrolled once; --new-totp enrols anew


def test_sessions_live_beside_the_events_and_end_when_unused(engine):
    """In the event store's own SQLite file or PostgreSQL schema, holding no cookie secret."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text

    from adapters.web.staff.sessions import SessionStore

    store = SessionStore.beside(dict(engine.env), idle_minutes=30)
    start = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    secret, session = store.start("Anna Jansen", now=start)
    assert store.find(secret, now=start + timedelta(minutes=29)) == session  # in use: kept alive
    assert store.find(secret, now=start + timedelta(minutes=58)) == session
    assert store.find(secret, now=start + timedelta(minutes=89)) is None  # 31 minutes unused
    assert store.find(secret, now=start + timedelta(minutes=90)) is None
    again, _ = store.start("Anna Jansen", now=start)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT session_hash, name FROM staff_sessions")).all()
        schema = engine.env.get("POSTGRES_SCHEMA")
        if schema:
            assert conn.execute(text(f"SELECT to_regclass('{schema}.staff_sessions')")).scalar() is not None
    assert rows and all(again not in row.session_hash for row in rows)
    if not engine.env.get("POSTGRES_SCHEMA"):
        assert store.engine.url.database == engine.env["SQLITE_DBNAME"]


def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_crash(app, store):
    client = client_of(app, store, None)
    client.get("/medewerker/inloggen")
    answer = client.post("/medewerker/inloggen", data={"email": "anna@example.nl", "password": "x", "code": "1",
                                                       "csrf": "tökén"})
    assert answer.status_code == 400 and "Dit formulier is verlopen" in answer.text
