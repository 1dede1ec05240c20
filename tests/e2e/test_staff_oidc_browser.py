"""Signing in through the OpenID Connect provider in a real browser: a real `hhb serve`, the
test's provider (tests/oidc_provider.py) on another site (localhost, the app on
127.0.0.1), Debian's Chromium.

The provider's redirect back is a navigation from another site: the session cookie
(SameSite=Strict) must still be sent on the way to the werkvoorraad. axe-core finds no
violation on the sign-in page with the provider's button. Skips as test_staff_browser.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, REQUIRED, _axe, sync_api
from tests.e2e.staff_web import hhb
from tests.conftest import register_teams
from tests.factories import MANAGED
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, serving
from tests.serving import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff-oidc-browser")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        register_teams(db, tmp, ("Wijkteam Noord",))
        hhb(db, "users", "add", "--name", "Anna Jansen", "--email", "anna@example.nl", "--role", "staff",
            "--team", "Wijkteam Noord", "--actor", "beheer")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving() as provider:
        provider.issuer = provider.issuer.replace("127.0.0.1", "localhost")  # another site than the app's
        provider.behaviour.claims = {"email": "anna@example.nl", "email_verified": True, "amr": ["mfa"]}
        provider.behaviour.consent_page = True  # the way back starts with a click on the provider's page
        env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var"),
               "HHB_PUBLIC_URL": base, "HHB_OIDC_ISSUER": provider.issuer, "HHB_OIDC_CLIENT_ID": CLIENT_ID,
               "HHB_OIDC_CLIENT_SECRET": CLIENT_SECRET, "HHB_OIDC_NAME": "Testgemeente"}
        process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_serving(process, f"{base}/medewerker/inloggen")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.mark.parametrize("width", (390, 1280), ids=("390px", "1280px"))
def test_a_coach_signs_in_through_the_provider_and_out_again(served, browser, width):
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(served + "/medewerker/inloggen")
        assert not _axe(page)
        page.get_by_role("link", name="Inloggen via Testgemeente").click()
        page.get_by_role("link", name="Toestaan").click()
        page.wait_for_url(served + "/medewerker/")
        assert page.locator("h1").inner_text() == "Werkvoorraad"
        assert "Ingelogd als Anna Jansen" in page.locator("main").inner_text()
        page.get_by_role("button", name="Uitloggen").click()
        page.wait_for_url("**/medewerker/inloggen?melding=signed_out")
        assert "U bent uitgelogd." in page.locator("main").inner_text()
        page.goto(served + "/medewerker/")
        assert page.url.endswith("/medewerker/inloggen")
    finally:
        context.close()
