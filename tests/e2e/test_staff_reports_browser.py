"""Betaalbestanden and Rapportage in a real browser (Chromium, Playwright, axe-core), with
the page's Content-Security-Policy in force: the charts' SVG draws with its stylesheet
and breaks no rule of the policy; axe finds nothing at a phone's and a desktop's width.
Skips as tests/e2e/test_staff_browser.py does without a browser or axe-core."""

from __future__ import annotations

import pyotp
import pytest

from tests.e2e.staff_web import ACCOUNTS, PASSWORD
from tests.e2e.test_browser import AXE, REQUIRED
from tests.e2e.test_staff_browser import SCREENS, _check, browser, served  # noqa: F401 - fixtures, this module's own

pytestmark = pytest.mark.screens  # writes docs/screens/: `./run tests -m screens` makes them all anew

WALKS = {390: "auditor", 1280: "finance"}


def _sign_in(page, served, role: str) -> None:  # noqa: F811
    _, email, _ = ACCOUNTS[role]
    page.goto(served["base"] + "/medewerker/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(served["secrets"][email]).now())
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", list(WALKS), ids=[f"{w}px" for w in WALKS])
def test_payment_files_and_the_report_in_a_browser(served, browser, width):  # noqa: F811
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE}")
    role = WALKS[width]
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()  # axe is injected as a script: the policy is bypassed here, and kept below
    refused: list[str] = []
    seen: list[str] = []
    try:
        _sign_in(page, served, role)
        page.get_by_role("link", name="Betaalbestanden").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Betaalbestanden"
        _check(page, width, seen, "betaalbestanden")
        page.locator("table a").first.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("Betaalbestand ")
        buttons = page.get_by_role("button", name="Vrijgeven aan de bank").count()
        assert buttons == (1 if role == "finance" else 0)
        _check(page, width, seen, "betaalbestand")
        if role == "auditor":
            page.get_by_role("link", name="Rapportage").click()
            page.wait_for_load_state()
            charts = page.locator("svg.pygal-chart")
            assert charts.count() == 4
            _check(page, width, seen, "rapportage")
            _with_the_policy(browser, context, page.url, refused)
    finally:
        context.close()
    assert not refused, refused
    assert len(seen) == (3 if role == "auditor" else 2)


def _with_the_policy(browser, signed_in, url: str, refused: list[str]) -> None:  # noqa: F811
    """The report with its Content-Security-Policy in force: nothing refused, and the
    charts' stylesheet colours the bars (pygal's own CSS would have been blocked inline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    context.add_cookies(signed_in.cookies())
    page = context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(url)
        page.wait_for_load_state()
        assert page.locator("svg.pygal-chart").count() == 4
        fill = page.evaluate("() => getComputedStyle(document.querySelector('svg.pygal-chart .reactive')).fill")
        assert fill == "rgb(21, 66, 115)", fill  # the first colour of charts.STYLE, from charts.css
        page.locator("section.chart").first.screenshot(path=str(SCREENS / "staff-rapportage-grafiek-1280.png"))
    finally:
        context.close()


def test_the_api_docs_render_without_the_internet(served, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_ours(route):
        if route.request.url.startswith(served["base"]):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    page = context.new_page()
    try:
        page.goto(served["base"] + "/docs")
        page.locator(".swagger-ui .info .title").wait_for()
        assert "huishoudboekje" in page.locator(".swagger-ui .info .title").inner_text()
        page.locator(".opblock-summary-path", has_text="/api/v1/households/{dossier}").first.wait_for()
    finally:
        context.close()
    assert not outside, outside
