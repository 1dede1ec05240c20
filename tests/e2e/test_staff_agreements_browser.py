"""Afspraken wijzigen in a real browser (Chromium, Playwright, axe-core; the pages have no
JavaScript): a coach opens the forms from the household page, sees a wrong amount named
next to its field, checks the consequence and saves; the household page confirms it and
its history names the coach. axe-core finds nothing on the forms, their errors and the
preview, at phone and desktop width. Skips as tests/e2e/test_staff_browser.py does."""

from __future__ import annotations

from datetime import date

import pyotp
import pytest

from tests.e2e.staff_web import ACCOUNTS, OWN, PASSWORD
from tests.e2e.test_browser import AXE, REQUIRED
from tests.e2e.test_staff_browser import _check, browser, served  # noqa: F401 - fixtures

pytestmark = pytest.mark.screens  # writes docs/screens/: `./run tests -m screens` makes them all anew

WHO = {390: ("staff", "huur", "Huur", "735,00"), 1280: ("teamlead", "zorgverzekering", "Zorgverzekering", "150,00")}


@pytest.mark.parametrize("width", list(WHO), ids=[f"{w}px" for w in WHO])
def test_a_coach_changes_an_amount_after_seeing_its_consequence(served, browser, width):  # noqa: F811
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    role, agreement, name, amount = WHO[width]
    person, email, _ = ACCOUNTS[role]
    year = date.today().year + 1
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()
    seen: list[str] = []
    try:
        page.goto(served["base"] + "/medewerker/inloggen")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(served["secrets"][email]).now())
        page.get_by_role("button", name="Inloggen").click()
        page.goto(f"{served['base']}/medewerker/huishoudens/{OWN}")
        page.get_by_role("link", name="Afspraken wijzigen").click()
        _check(page, width, seen, "afspraken")
        form = page.locator("form", has_text="Bedrag wijzigen")
        form.get_by_label("Afspraak").select_option(agreement)
        form.get_by_label("Nieuw bedrag").fill("veel")
        form.get_by_label("Vanaf").fill(f"{year}-07-01")
        form.get_by_role("button", name="Controleren").click()
        assert "Nieuw bedrag in euro's: vul een bedrag in" in page.locator("main").inner_text()
        _check(page, width, seen)
        form = page.locator("form", has_text="Bedrag wijzigen")
        form.get_by_label("Nieuw bedrag").fill(amount)
        form.get_by_role("button", name="Controleren").click()
        text = page.locator("main").inner_text()
        assert f"{name} wordt € {amount} vanaf 1 juli {year}." in text.replace("\u00a0", " ")
        _check(page, width, seen, "afspraak-controle")
        page.get_by_role("button", name="Opslaan").click()
        main = page.locator("main").inner_text().replace("\u00a0", " ")
        assert page.locator("h1").inner_text().startswith(OWN)
        assert f"Opgeslagen: {agreement} verhoogd naar € {amount} vanaf 1 juli {year}." in main
        assert f"{person} · {agreement} verhoogd naar" in main
        _check(page, width, seen)
    finally:
        context.close()
    assert len(seen) == 4
