"""The staff web app in a real browser: a real `hhb serve`, Debian's Chromium, Playwright.

A coach signs in with password and TOTP code, opens the werkvoorraad and a household,
resolves a signal with a note and signs out; axe-core finds no violation (WCAG 2.1 AA and
best practice) on any page on the way, at a phone's width and a desktop's.

Skips like tests/e2e/test_browser.py without Playwright, Chromium or axe-core
(.cache/axe/node_modules/axe-core/axe.min.js; HHB_REQUIRE_BROWSER=1 makes that a failure).
"""

from __future__ import annotations

import json
import os
from datetime import date
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, REQUIRED, _axe, sync_api
from tests.e2e.staff_web import ACCOUNTS, OWN, PASSWORD, hhb, prepare
from tests.factories import MANAGED, Tx, camt053
from tests.serving import free_port, wait_until_serving

pytestmark = pytest.mark.screens  # writes docs/screens/: `./run tests -m screens` makes them all anew

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (390, 1280)
SCREENS = ROOT / "docs" / "screens"
WALKS = {  # width: who (a TOTP code works once: two people), the household, the signal they resolve
    390: ("staff", OWN, "buffer-drawn", "schoot de buffer"),
    1280: ("teamlead", "HHB-DEMO-0001", "income-late:zorgtoeslag", "Zorgtoeslag van")}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff-browser")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/medewerker/inloggen")
        yield {"base": base, "db": db, "secrets": secrets}
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


def _check(page, width: int, seen: list, kind: str | None = None) -> None:
    """axe finds nothing, and nothing scrolls sideways; the first screen goes to
    docs/screens/staff-KIND-WIDTH.png (the README links them)."""
    if AXE.exists():
        found = _axe(page)
        assert not found, (page.url, width, found)
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (page.url, width, scroll, inner)
    seen.append(page.url)
    if kind is not None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"staff-{kind}-{width}.png"))


def _book_from_a_statement(page, width: int, seen: list) -> None:
    """Upload a statement whose bijstand lacks its dossier number; book it from its top
    candidate (HHB-DEMO-0003's bijstand: the same payer, exactly the amount)."""
    day = date(2026, 11, 30) if width == WIDTHS[0] else date(2026, 11, 27)
    credit = Tx("1120.00", day, "NL14BNGH0285001234", "Gemeente Utrecht", f"Uitkering ({width})")
    page.get_by_role("link", name="Bankafschriften").click()
    page.wait_for_load_state()
    page.get_by_label("Bestand").set_input_files(
        {"name": f"afschrift-{width}.xml", "mimeType": "application/xml",
         "buffer": camt053([credit], statement_id=f"B{width}")})
    page.get_by_role("button", name="Inlezen").click()
    page.wait_for_load_state()
    assert f"afschrift-{width}.xml ingelezen" in page.locator("main").inner_text()
    _check(page, width, seen, "bankafschriften")
    row = page.locator("li.row", has_text=f"Uitkering ({width})")
    assert row.get_by_role("radio").first.get_attribute("value") == f"{OWN}/bijstand"
    assert row.get_by_role("radio").first.is_checked()
    row.get_by_label("Reden").fill("Kenmerk ontbrak")
    row.get_by_role("button", name="Boeken").click()
    page.wait_for_load_state()
    assert "Transactie geboekt." in page.locator("main").inner_text()
    _check(page, width, seen)


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def test_a_coach_signs_in_follows_up_a_signal_and_signs_out(served, browser, width):
    import pyotp

    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    role, dossier, rule, text = WALKS[width]
    name, email, _ = ACCOUNTS[role]
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()
    seen: list[str] = []
    try:
        page.goto(served["base"] + "/medewerker/")
        assert page.url.endswith("/medewerker/inloggen")
        _check(page, width, seen, "inloggen")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(served["secrets"][email]).now())
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Werkvoorraad"
        assert f"Ingelogd als {name}" in page.locator("main").inner_text()
        _check(page, width, seen, "werkvoorraad")

        page.get_by_role("link", name="Huishoudens").click()
        page.wait_for_load_state()
        _check(page, width, seen, "huishoudens")
        page.get_by_role("link", name=dossier).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith(dossier)
        _check(page, width, seen, "huishouden")

        signal = page.locator("li.row", has_text=text).filter(has=page.get_by_role("button"))
        signal.get_by_label("Notitie").fill(f"Besproken met deelnemer ({width})")
        signal.get_by_role("button", name="Oplossen").click()
        page.wait_for_load_state()
        assert "Signaal bijgewerkt." in page.locator("main").inner_text()
        _check(page, width, seen)
        page.get_by_role("link", name="Signalen").click()
        page.wait_for_load_state()
        _check(page, width, seen, "signalen")
        _book_from_a_statement(page, width, seen)
        page.get_by_role("button", name="Uitloggen").click()
        page.wait_for_load_state()
        assert "U bent uitgelogd." in page.locator("main").inner_text()
        page.goto(served["base"] + "/medewerker/")
        assert page.url.endswith("/medewerker/inloggen")
    finally:
        context.close()
    assert len(seen) == 8
    resolved = [s for s in json.loads(hhb(served["db"], "signals", "--dossier", dossier, "--json"))
                if f"|{rule}" in s["id"]]
    assert len(resolved) == 1 and resolved[0]["status"] == "resolved"
    assert resolved[0]["history"][-1] == {"on": resolved[0]["changed_on"], "status": "resolved",
                                          "by": f"{role}:{name}", "note": f"Besproken met deelnemer ({width})"}
