"""Signing in to the staff web app through an OpenID Connect provider (issue 21): against a
small provider served for real (tests/oidc_provider.py), the app through TestClient.

The browser's part is played by hand: follow the app's redirect to the provider's
authorize endpoint, and its redirect back to the app's callback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from adapters.web.staff.sessions import SESSIONS
from tests.conftest import register_teams
from tests.e2e.staff_web import csrf, hhb
from tests.factories import MANAGED
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, serving

ANNA, EVA = "anna@example.nl", "eva@example.nl"
TWO_FACTORS = {"amr": ["pwd", "otp"]}


@pytest.fixture(scope="module")
def provider():
    with serving() as running:
        yield running


@pytest.fixture
def store(tmp_path, monkeypatch):
    """Anna (staff, Wijkteam Noord) and Eva, whose account is disabled."""
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    register_teams(db, tmp_path, ("Wijkteam Noord",))
    for name, email in (("Anna Jansen", ANNA), ("Eva Bakker", EVA)):
        hhb(db, "users", "add", "--name", name, "--email", email, "--role", "staff", "--team", "Wijkteam Noord",
            "--actor", "beheer")
    hhb(db, "users", "disable", "Eva Bakker", "--actor", "beheer")
    return db


@pytest.fixture
def client(store, provider, monkeypatch):
    monkeypatch.setenv("HHB_OIDC_ISSUER", provider.issuer)
    monkeypatch.setenv("HHB_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("HHB_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("HHB_OIDC_NAME", "Testgemeente")
    provider.behaviour.__init__()  # each test starts from a provider that approves
    with TestClient(create_app(db_url=store), follow_redirects=False) as client:
        yield client


def person(provider, email: str = ANNA, **extra) -> None:
    provider.behaviour.claims = {"email": email, "email_verified": True, **TWO_FACTORS, **extra}


def to_provider(client) -> str:
    """Click "Inloggen via …": the provider's answer, the address it sends the browser back to."""
    start = client.get("/medewerker/inloggen/oidc")
    assert start.status_code == 303, start.text
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def back(client, url: str):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, provider) -> httpx.Response:
    return back(client, to_provider(client))


def session_count(client) -> int:
    from adapters.web.staff.core import sessions

    with sessions(client.app.state.context).engine.connect() as conn:
        return len(conn.execute(SESSIONS.select()).all())


def refused(answer, status: int, words: str) -> None:
    assert answer.status_code == status
    assert words in answer.text
    assert "hhb_staff=" not in answer.headers.get("set-cookie", "")


def test_the_sign_in_page_offers_the_provider(client):
    page = client.get("/medewerker/inloggen")
    assert "Inloggen via Testgemeente" in page.text
    assert 'name="password"' in page.text  # password and TOTP stay available
    english = client.get("/medewerker/inloggen?lang=en")
    assert "Sign in with Testgemeente" in english.text


def test_signing_in_through_the_provider_opens_the_werkvoorraad_as_that_person(client, provider):
    person(provider)
    sent_to = to_provider(client)
    assert sent_to.startswith("http://127.0.0.1:8000/medewerker/inloggen/oidc/terug?")  # HHB_PUBLIC_URL
    done = back(client, sent_to)
    assert done.status_code == 200 and 'http-equiv="refresh"' in done.text
    assert "Verder naar de werkvoorraad" in done.text
    work = client.get("/medewerker/")
    assert work.status_code == 200
    assert "Ingelogd als Anna Jansen" in work.text and "Werkvoorraad" in work.text
    # the session is a password session's: signing out ends it
    assert session_count(client) == 1
    out = client.post("/medewerker/uitloggen", data={"csrf": csrf(work.text)})
    assert out.headers["location"] == "/medewerker/inloggen?melding=signed_out"
    assert session_count(client) == 0
    assert client.get("/medewerker/").headers["location"].startswith("/medewerker/inloggen")


def test_signing_in_through_the_provider_after_a_timeout_returns_to_the_page_asked_for(client, provider):
    person(provider)
    asked = "/medewerker/signalen?status=open"
    form = client.get(client.get(asked).headers["location"])
    assert "/medewerker/inloggen/oidc?naar=/medewerker/signalen%3Fstatus%3Dopen" in form.text
    start = client.get("/medewerker/inloggen/oidc", params={"naar": asked})
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    done = back(client, answer.headers["location"])
    assert f'url={asked}"' in done.text.replace("&amp;", "&") and "Verder naar de pagina die u opende" in done.text
    assert client.get(asked).status_code == 200
    client.cookies.clear()
    start = client.get("/medewerker/inloggen/oidc", params={"naar": "https://evil.example/"})
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    done = back(client, answer.headers["location"])
    assert 'url=/medewerker/"' in done.text and "evil" not in done.text


def test_the_request_carries_pkce_state_and_nonce(client, provider):
    person(provider)
    start = client.get("/medewerker/inloggen/oidc")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and "openid" in query["scope"][0].split()
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert back(client, answer.headers["location"]).status_code == 200
    assert provider.behaviour.issued[-1]["nonce"] == query["nonce"][0]


def test_an_unknown_email_is_refused_and_nothing_is_written(client, provider):
    person(provider, "onbekend@example.nl")
    refused(sign_in(client, provider), 403, "Er is geen medewerkersaccount met uw e-mailadres bij Testgemeente")
    assert session_count(client) == 0
    assert client.get("/medewerker/").status_code == 303


def test_refusals_count_in_the_failed_sign_in_limiter(client, provider):
    from adapters.api.limiter import FAILED_LOGIN_LIMIT

    person(provider, "onbekend@example.nl")
    for _ in range(FAILED_LOGIN_LIMIT):
        assert sign_in(client, provider).status_code == 403
    refused(sign_in(client, provider), 429, "Te veel mislukte pogingen")


def test_a_disabled_account_is_refused(client, provider):
    person(provider, EVA)
    refused(sign_in(client, provider), 403, "Uw medewerkersaccount is uitgeschakeld")
    assert session_count(client) == 0


def test_an_unverified_email_is_refused(client, provider):
    person(provider, email_verified=False)
    refused(sign_in(client, provider), 403, "geen bevestigd e-mailadres")


def test_a_tampered_state_is_refused(client, provider):
    person(provider)
    url = to_provider(client)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = query["state"][::-1] + "é"
    refused(back(client, f"{parts.path}?{urlencode(query)}"), 400, "niet in deze browser begonnen")
    assert session_count(client) == 0


def test_a_callback_in_another_browser_is_refused(client, provider, store):
    person(provider)
    url = to_provider(client)
    with TestClient(client.app, follow_redirects=False) as other:
        refused(back(other, url), 400, "niet in deze browser begonnen")


def test_an_id_token_for_another_client_is_refused(client, provider):
    person(provider)
    provider.behaviour.audience = "een-andere-app"
    refused(sign_in(client, provider), 401, "kon niet worden gecontroleerd")


def test_an_id_token_with_a_bad_signature_is_refused(client, provider):
    person(provider)
    provider.behaviour.foreign_key = True
    refused(sign_in(client, provider), 401, "kon niet worden gecontroleerd")


def test_an_id_token_of_another_sign_in_is_refused(client, provider):
    person(provider)
    provider.behaviour.nonce = "van-een-eerdere-keer"
    refused(sign_in(client, provider), 401, "kon niet worden gecontroleerd")


def test_an_expired_id_token_is_refused(client, provider):
    person(provider)
    provider.behaviour.lifetime = -600
    refused(sign_in(client, provider), 401, "kon niet worden gecontroleerd")


def test_without_a_second_factor_the_sign_in_is_refused(client, provider):
    provider.behaviour.claims = {"email": ANNA, "email_verified": True, "amr": ["pwd"]}
    refused(sign_in(client, provider), 403, "Testgemeente meldt geen tweede factor")
    provider.behaviour.claims = {"email": ANNA, "email_verified": True,
                                 "acr": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"}
    assert sign_in(client, provider).status_code == 200  # the acr that says two factors will do


def test_without_require_mfa_one_factor_will_do(store, provider, monkeypatch):
    for name, value in (("ISSUER", provider.issuer), ("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", CLIENT_SECRET),
                        ("REQUIRE_MFA", "false")):
        monkeypatch.setenv(f"HHB_OIDC_{name}", value)
    provider.behaviour.__init__()
    provider.behaviour.claims = {"email": ANNA, "email_verified": True, "amr": ["pwd"]}
    with TestClient(create_app(db_url=store), follow_redirects=False) as client:
        assert sign_in(client, provider).status_code == 200
        assert "Ingelogd als Anna Jansen" in client.get("/medewerker/").text


def test_refused_consent_is_a_plain_dutch_page(client, provider):
    provider.behaviour.deny = True
    refused(sign_in(client, provider), 403, "U heeft bij Testgemeente geen toestemming gegeven")


def test_a_provider_that_is_down_is_a_plain_dutch_page(store, monkeypatch):
    from tests.serving import free_port

    monkeypatch.setenv("HHB_OIDC_ISSUER", f"http://127.0.0.1:{free_port()}")  # nobody listens
    monkeypatch.setenv("HHB_OIDC_CLIENT_ID", CLIENT_ID)
    with TestClient(create_app(db_url=store), follow_redirects=False) as client:
        answer = client.get("/medewerker/inloggen/oidc")
        refused(answer, 503, "is nu niet bereikbaar")
        assert "httpx" not in answer.text and "Connect" not in answer.text


def test_without_the_setting_there_is_no_provider_button(store):
    with TestClient(create_app(db_url=store), follow_redirects=False) as client:
        assert "Inloggen via" not in client.get("/medewerker/inloggen").text
        assert client.get("/medewerker/inloggen/oidc/terug?state=x&code=y").headers["location"] == \
            "/medewerker/inloggen"


def test_with_oidc_only_the_password_form_is_off(store, provider, monkeypatch):
    import pyotp

    out = hhb(store, "users", "password", ANNA, "--actor", "beheer", stdin="correct paard batterij niet\n")
    secret = parse_qs(urlsplit(out.split('"totp_uri": "')[1].split('"')[0]).query)["secret"][0]
    for name, value in (("ISSUER", provider.issuer), ("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", CLIENT_SECRET),
                        ("NAME", "Testgemeente"), ("ONLY", "true")):
        monkeypatch.setenv(f"HHB_OIDC_{name}", value)
    with TestClient(create_app(db_url=store), follow_redirects=False) as client:
        page = client.get("/medewerker/inloggen")
        assert "Inloggen via Testgemeente" in page.text and 'name="password"' not in page.text
        token = client.cookies.get("hhb_staff_signin")  # as a form from before the switch would send it
        answer = client.post("/medewerker/inloggen", data={
            "email": ANNA, "password": "correct paard batterij niet", "code": pyotp.TOTP(secret).now(),
            "csrf": token})
        refused(answer, 403, "Inloggen met wachtwoord en code staat uit. Log in via Testgemeente.")
        assert session_count(client) == 0
