"""Nieuw huishouden in a real browser (Chromium, Playwright, axe-core): a coach picks the
creditors from the register, sees a wrong IBAN named next to its field, checks the first
pay date and saves; axe-core finds nothing on the form, its errors, its preview and the
Schuldeisers page, at phone and desktop width. With JavaScript on (the form's only script,
ours), a field is checked as it is left and its Dutch error goes once it is fixed; with
JavaScript off the form is checked on submit. Skips as tests/e2e/test_staff_browser.py does."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.staff_web import ACCOUNTS, PASSWORD, hhb
from tests.e2e.test_browser import AXE, REQUIRED
from tests.e2e.test_staff_browser import SCREENS, _check, browser, served  # noqa: F401 - fixtures

pytestmark = pytest.mark.screens  # writes docs/screens/: `./run tests -m screens` makes them all anew

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


BAD_IBAN = "IBAN deelnemer: dit is geen geldig IBAN; controleer het nummer (zoals NL91 ABNA 0417 1643 00)"


def _leave_a_bad_iban(page) -> None:
    field = page.get_by_label("IBAN deelnemer")
    field.fill("NL02ABNA0123456788")  # one digit off
    field.press("Tab")  # leaves the field
    expect(page.locator("#participant_iban-fout")).to_have_text(BAD_IBAN)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "participant_iban-fout")


def test_a_field_is_checked_as_it_is_left_and_its_error_goes_once_fixed(register, browser):  # noqa: F811
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE}")
    _, email, _ = ACCOUNTS["other-staff"]
    form = register["base"] + "/medewerker/huishoudens/nieuw"
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="nl-NL")  # the policy in force
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(register["base"] + "/medewerker/inloggen")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(register["secrets"][email]).now())
        page.get_by_role("button", name="Inloggen").click()
        page.goto(form)
        _leave_a_bad_iban(page)
        assert page.url == form  # nothing was submitted
        page.get_by_label("IBAN deelnemer").fill("NL02ABNA0123456789")  # fixed while typing
        expect(page.locator("#participant_iban-fout")).to_have_text("")
        expect(page.get_by_label("IBAN deelnemer")).not_to_have_attribute("aria-invalid", "true")
        page.get_by_label("Inkomen 1: bedrag").fill("veel")
        page.get_by_label("Inkomen 1: bedrag").blur()
        expect(page.locator("#income0_amount-fout")).to_have_text(
            "Inkomen 1: bedrag: vul een bedrag in euro's in, zoals 1320,50")
        cookies = context.cookies()
    finally:
        context.close()
    assert not refused, refused
    seen: list[str] = []
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 900}, locale="nl-NL")
    context.add_cookies(cookies)  # axe is injected as a script: the policy is bypassed here, kept above
    page = context.new_page()
    try:
        page.goto(form)
        _leave_a_bad_iban(page)
        _check(page, 390, seen)  # axe finds nothing with the error shown while typing
    finally:
        context.close()
    assert len(seen) == 1
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900}, locale="nl-NL")
    context.add_cookies(cookies)
    page = context.new_page()
    try:
        page.goto(form)
        page.get_by_label("IBAN deelnemer").fill("NL02ABNA0123456788")
        page.get_by_label("IBAN deelnemer").press("Tab")
        assert page.locator("#participant_iban-fout").count() == 0  # without JavaScript nothing checks it yet
        page.get_by_role("button", name="Controleren").click()
        expect(page.locator("#participant_iban-fout")).to_have_text(BAD_IBAN)  # the submit does
    finally:
        context.close()
