"""Nieuw huishouden in a real browser (Chromium, Playwright, axe-core; the pages have no
JavaScript, the browser runs only axe's): a coach picks the creditors from the register, sees a wrong IBAN
named next to its field, checks the first pay date and saves; axe-core finds nothing on
the form, its errors, its preview and the Schuldeisers page, at phone and desktop width.
Skips as tests/e2e/test_staff_browser.py does."""

from __future__ import annotations

import pyotp
import pytest

from tests.e2e.staff_web import ACCOUNTS, PASSWORD, hhb
from tests.e2e.test_browser import AXE, REQUIRED
from tests.e2e.test_staff_browser import SCREENS, _check, browser, served  # noqa: F401 - fixtures

WHO = {390: ("staff", "HHB-2027-0390"), 1280: ("teamlead", "HHB-2027-1280")}


@pytest.fixture(scope="module")
def register(served, tmp_path_factory):  # noqa: F811
    path = tmp_path_factory.mktemp("creditors") / "creditors.yaml"
    path.write_text("- {name: Woonstad Rotterdam, ibans: [NL20INGB0001234567], category: huur}\n"
                    "- {name: Eneco, ibans: [NL91ABNA0417164300], category: energie}\n", encoding="utf-8")
    hhb(served["db"], "creditors", "import", str(path), "--actor", "beheer")
    return served


@pytest.mark.parametrize("width", list(WHO), ids=[f"{w}px" for w in WHO])
def test_a_coach_onboards_a_household_from_the_form(register, browser, width):  # noqa: F811
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    role, dossier = WHO[width]
    _, email, _ = ACCOUNTS[role]
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()
    seen: list[str] = []
    try:
        page.goto(register["base"] + "/medewerker/inloggen")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(register["secrets"][email]).now())
        page.get_by_role("button", name="Inloggen").click()
        page.get_by_role("link", name="Schuldeisers").click()
        assert "Woonstad Rotterdam" in page.locator("main").inner_text()
        _check(page, width, seen, "schuldeisers")
        page.get_by_role("link", name="Nieuw huishouden").click()
        _check(page, width, seen)
        page.get_by_label("Dossiernummer").fill(dossier)
        page.get_by_label("Grens voorschot (buffer)").fill("1000")
        page.get_by_label("Minimum leefgeld").fill("250")
        page.get_by_label("Naam deelnemer").fill("Sanne de Wit")
        page.get_by_label("IBAN deelnemer").fill("NL02ABNA0123456788")  # one digit off
        page.get_by_label("Inkomen 1: van wie").fill("Gemeente Rotterdam")
        page.get_by_label("Inkomen 1: IBAN").fill("NL14BNGH0285001234")
        page.get_by_label("Inkomen 1: soort").select_option("bijstand")
        page.get_by_label("Inkomen 1: bedrag").fill("1.320,50")
        page.get_by_label("Inkomen 1: dag").select_option("28")
        page.get_by_label("Vaste last 1: schuldeiser").select_option(label="Woonstad Rotterdam (huur) · NL20INGB0001234567")
        page.get_by_label("Vaste last 1: bedrag").fill("735")
        page.get_by_label("Vaste last 1: dag").select_option("1")
        page.get_by_role("button", name="Controleren").click()
        assert "IBAN deelnemer: dit is geen geldig IBAN" in page.locator("main").inner_text()
        _check(page, width, seen)
        page.get_by_label("IBAN deelnemer").fill("NL02ABNA0123456789")
        page.get_by_role("button", name="Controleren").click()
        assert "Eerste betaaldag" in page.locator("main").inner_text()
        _check(page, width, seen, "nieuw-huishouden")
        page.get_by_role("button", name="Opslaan").click()
        assert page.locator("h1").inner_text().startswith(dossier)
    finally:
        context.close()
    assert len(seen) == 4
    assert "NL20INGB0001234567" in hhb(register["db"], "show", dossier, "--json")
