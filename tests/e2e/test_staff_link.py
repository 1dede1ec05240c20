"""The participant's personal link on the household's staff page (issue 21): make one
(shown once), send it by e-mail through a fake SMTP server, revoke it after a confirm step;
both in the access log with the signed-in person (issue 24); the werkvoorraad lists the
team's links about to expire."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from adapters.access_log import AccessLog
from adapters.api.app import create_app
from huishoudboekje import access
from tests.e2e.staff_web import ACCOUNTS, OTHER, OWN, ROOT, csrf, hhb, prepare, sign_in
from tests.e2e.test_notices import AMOUNT, IBAN, drained, smtp_stub  # noqa: F401 - smtp_stub: a fixture
from tests.factories import MANAGED
from tests.serving import free_port, wait_until_serving

ALSO_OWN = "HHB-DEMO-0001"  # Wijkteam Noord's too
LINK = re.compile(r'value="(https?://[^"]+/p/(hhbp_[^"]+))"')
ADDRESS = "sanne@example.nl"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    for name in ("HHB_SMTP_URL", "HHB_NOTICE_LINK_DAYS"):
        monkeypatch.delenv(name, raising=False)
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    return db, prepare(db, tmp_path)


def _client(store, role: str = "staff") -> TestClient:
    db, secrets = store
    client = TestClient(create_app(db_url=db), follow_redirects=False)
    email = ACCOUNTS[role][1]
    assert sign_in(client, email, secrets[email]).status_code == 303
    return client


def _links(client, dossier: str) -> list:
    return access.links(client.app.state.context.engine, {dossier})


def _make(client, dossier: str = OWN, **form: str):
    token = csrf(client.get(f"/medewerker/huishoudens/{dossier}").text)
    return client.post(f"/medewerker/huishoudens/{dossier}/link", data={"days": "30", "csrf": token, **form})


def test_a_link_is_made_once_opens_the_participant_page_and_stops_working_when_revoked(store):
    client = _client(store)
    page = client.get(f"/medewerker/huishoudens/{OWN}").text
    assert "Persoonlijke link" in page and "Er is geen geldige link." in page

    made = _make(client)
    assert made.status_code == 200, made.text
    url, secret = LINK.search(made.text).groups()
    assert url.startswith("http://127.0.0.1:8000/p/hhbp_")
    assert "Kopieer de link" in made.text and "verstuurd" not in made.text  # only made, not mailed
    assert client.get(f"/p/{secret}").status_code == 200  # the participant's own page

    (link,) = _links(client, OWN)
    page = client.get(f"/medewerker/huishoudens/{OWN}").text
    assert f"Link {link.short_id}: gemaakt op" in page and secret not in page  # never shown again
    again = client.get(f"/medewerker/huishoudens/{OWN}/link")  # back in the browser: shows, makes nothing
    assert again.status_code == 200 and f"Link {link.short_id}: gemaakt op" in again.text and secret not in again.text
    assert len(_links(client, OWN)) == 1

    confirm = client.get(f"/medewerker/huishoudens/{OWN}/link/intrekken?id={link.short_id}")
    assert confirm.status_code == 200 and "werkt deze link niet meer" in confirm.text
    assert client.get(f"/p/{secret}").status_code == 200  # asking is not revoking
    done = client.post(f"/medewerker/huishoudens/{OWN}/link/intrekken",
                       data={"id": link.short_id, "csrf": csrf(confirm.text)})
    assert done.status_code == 200 and f"Link {link.short_id} is ingetrokken" in done.text
    assert client.get(f"/p/{secret}").status_code == 404
    assert "Er is geen geldige link." in client.get(f"/medewerker/huishoudens/{OWN}").text

    entries = AccessLog(client.app.state.context.engine).entries(dossier=OWN)
    assert [(e.actor, e.action) for e in entries if e.action.startswith("link")] == [
        ("staff:Anna Jansen", f"link created {link.short_id}"), ("staff:Anna Jansen", f"link revoked {link.short_id}")]


def test_the_link_goes_by_e_mail_to_the_chosen_address_with_nothing_personal(store, monkeypatch,
                                                                            smtp_stub):  # noqa: F811
    db, _ = store
    hhb(db, "notices", "set", OWN, "--email", ADDRESS, "--actor", "Anna Jansen")
    monkeypatch.setenv("HHB_SMTP_URL", f"smtp://127.0.0.1:{smtp_stub.server_address[1]}")
    client = _client(store)
    page = client.get(f"/medewerker/huishoudens/{OWN}").text
    assert f'value="{ADDRESS}"' in page  # the participant's choice of notices fills the field
    assert "per e-mail sturen kan nu niet" not in page

    made = _make(client, email=ADDRESS, send="email")
    assert made.status_code == 200 and f"per e-mail verstuurd naar {ADDRESS}" in made.text
    url, _ = LINK.search(made.text).groups()
    ((recipients, mail),) = drained(smtp_stub.received)
    body = mail.get_payload(decode=True).decode()
    assert recipients == [ADDRESS] and url in body
    household = client.app.state.context.engine.household(OWN)
    names = [part for p in household.participants for part in p.name.split() if len(part) > 2]
    assert not any(name in body for name in names) and OWN not in body
    assert not AMOUNT.search(body.replace(url, "")) and not IBAN.search(body.replace(url, ""))


def test_a_bad_address_changes_nothing_and_without_smtp_the_link_is_still_shown(store, smtp_stub):  # noqa: F811
    client = _client(store)
    assert "per e-mail sturen kan nu niet" in client.get(f"/medewerker/huishoudens/{OWN}").text
    bad = _make(client, email="sanne-at-example", send="email")
    assert bad.status_code == 400 and "E-mailadres: sanne-at-example is geen e-mailadres" in bad.text
    missing = _make(client, send="email")
    assert missing.status_code == 400 and "E-mailadres: vul het e-mailadres" in missing.text
    days = _make(client, days="0")
    assert days.status_code == 400 and "Geldig (dagen): kies een getal van 1 tot en met 365" in days.text
    assert _links(client, OWN) == []

    made = _make(client, email=ADDRESS, send="email")  # HHB_SMTP_URL is not set
    assert made.status_code == 200 and "er is geen mailserver ingesteld (HHB_SMTP_URL)" in made.text
    assert LINK.search(made.text) and len(_links(client, OWN)) == 1
    assert drained(smtp_stub.received) == []


def test_a_mail_server_that_does_not_answer_sends_nothing_and_the_link_is_still_shown(store, monkeypatch):
    monkeypatch.setenv("HHB_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    client = _client(store)
    made = _make(client, email=ADDRESS, send="email")
    assert made.status_code == 200 and "de mailserver nam het bericht niet aan" in made.text
    _, secret = LINK.search(made.text).groups()
    assert client.get(f"/p/{secret}").status_code == 200 and len(_links(client, OWN)) == 1


def test_the_werkvoorraad_lists_a_link_that_expires_soon_of_the_own_team_only(store):
    client = _client(store)
    engine = client.app.state.context.engine
    now = datetime.now(timezone.utc)
    for dossier, expires_in in ((OWN, 3), (ALSO_OWN, 60), (OTHER, 3)):
        name = engine.household(dossier).participants[0].name
        access.issue(engine, "participant", name, "test", dossier=dossier, valid_days=90,
                     now=now + timedelta(days=expires_in - 90))
    work = client.get("/medewerker/").text
    assert f"{OWN}: de persoonlijke link verloopt op" in work
    assert f'href="/medewerker/huishoudens/{OWN}#persoonlijke-link"' in work
    assert f"{ALSO_OWN}: de persoonlijke link" not in work  # 60 days: not within HHB_NOTICE_LINK_DAYS
    assert OTHER not in work  # another team's

    _make(client)  # a fresh link for the household: nothing to do any more
    assert f"{OWN}: de persoonlijke link" not in client.get("/medewerker/").text


def test_another_team_is_not_found_and_a_form_without_its_token_changes_nothing(store):
    client = _client(store)
    engine = client.app.state.context.engine
    token = csrf(client.get(f"/medewerker/huishoudens/{OWN}").text)
    assert client.post(f"/medewerker/huishoudens/{OTHER}/link", data={"days": "30", "csrf": token}).status_code == 404
    secret, other = access.issue(engine, "participant", "x", "test", dossier=OTHER, valid_days=30)
    assert client.get(f"/medewerker/huishoudens/{OTHER}/link/intrekken?id={other.short_id}").status_code == 404
    assert client.post(f"/medewerker/huishoudens/{OTHER}/link/intrekken",
                       data={"id": other.short_id, "csrf": token}).status_code == 404
    # an id of another household, posted on one's own household's page, is not revoked either
    assert client.post(f"/medewerker/huishoudens/{OWN}/link/intrekken",
                       data={"id": other.short_id, "csrf": token}).status_code == 404
    assert client.get(f"/p/{secret}").status_code == 200

    no_token = client.post(f"/medewerker/huishoudens/{OWN}/link", data={"days": "30"})
    assert no_token.status_code == 400 and "Er is niets gewijzigd" in no_token.text
    assert _links(client, OWN) == []
    mine, link = access.issue(engine, "participant", "x", "test", dossier=OWN, valid_days=30)
    foreign = client.post(f"/medewerker/huishoudens/{OWN}/link/intrekken", data={"id": link.short_id, "csrf": "x"})
    assert foreign.status_code == 400 and client.get(f"/p/{mine}").status_code == 200
    assert not [e for e in AccessLog(engine).entries() if e.action.startswith("link")]


def test_an_auditor_reads_the_section_without_forms_and_finance_has_no_access(store):
    auditor = _client(store, "auditor")
    engine = auditor.app.state.context.engine
    secret, link = access.issue(engine, "participant", "x", "test", dossier=OWN, valid_days=30)
    page = auditor.get(f"/medewerker/huishoudens/{OWN}").text
    assert f"Link {link.short_id}: gemaakt op" in page
    assert 'name="days"' not in page and "intrekken" not in page
    token = csrf(page)
    assert auditor.post(f"/medewerker/huishoudens/{OWN}/link", data={"days": "30", "csrf": token}).status_code == 403
    assert auditor.post(f"/medewerker/huishoudens/{OWN}/link/intrekken",
                        data={"id": link.short_id, "csrf": token}).status_code == 403
    assert len(_links(auditor, OWN)) == 1 and auditor.get(f"/p/{secret}").status_code == 200

    finance = _client(store, "finance")
    assert finance.get(f"/medewerker/huishoudens/{OWN}").status_code == 403
    assert finance.post(f"/medewerker/huishoudens/{OWN}/link", data={"days": "30"}).status_code == 403


def test_the_section_speaks_english_on_request(store):
    client = _client(store)
    page = client.get(f"/medewerker/huishoudens/{OWN}?lang=en").text
    assert "Personal link" in page and "Make link and send by e-mail" in page


# -- in a real browser: the section, the new link and the confirm step pass axe-core ---------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real `hhb serve` on the staff web app's store."""
    tmp = tmp_path_factory.mktemp("staff-link-browser")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var")}
    env.pop("HHB_SMTP_URL", None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
    port = free_port()
    env["HHB_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # the links it makes point at it
    process = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/medewerker/inloggen")
        yield {"base": base, "secrets": secrets}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.screens  # writes docs/screens/staff-link-*.png
@pytest.mark.parametrize("width, role", [(390, "staff"), (1280, "teamlead")], ids=["390px", "1280px"])
def test_in_a_browser_a_coach_makes_and_revokes_a_link_and_axe_finds_nothing(served, width, role):
    import pyotp

    from tests.e2e.test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, REQUIRED, _axe, sync_api
    from tests.e2e.staff_web import PASSWORD

    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    email = ACCOUNTS[role][1]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()

            def check() -> None:
                assert not _axe(page), (page.url, width, _axe(page))
                scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll <= inner, (page.url, width)

            page.goto(served["base"] + "/medewerker/inloggen")
            page.get_by_label("E-mailadres").fill(email)
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(served["secrets"][email]).now())
            page.get_by_role("button", name="Inloggen").click()
            page.goto(f"{served['base']}/medewerker/huishoudens/{OWN}")
            check()
            page.get_by_label("Geldig (dagen)").fill("30")
            page.get_by_role("button", name="Link maken", exact=True).click()
            page.wait_for_load_state()
            url = page.get_by_label(re.compile("Nieuwe link")).input_value()
            assert "/p/hhbp_" in url
            check()
            page.screenshot(path=str(ROOT / "docs" / "screens" / f"staff-link-{width}.png"))
            page.get_by_role("link", name=re.compile("intrekken")).first.click()
            page.wait_for_load_state()
            check()
            page.get_by_role("button", name="Ja, link intrekken").click()
            page.wait_for_load_state()
            assert "is ingetrokken" in page.locator("main").inner_text()
            check()
            assert page.goto(url).status == 404
        finally:
            browser.close()
