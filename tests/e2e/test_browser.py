"""The participant's page in a real browser: a real `hhb serve`, Debian's Chromium, Playwright.

What a person sees: the amount (the same figure the projection gives), English by
clicking the link (with JavaScript switched off: the page needs none), no horizontal
scrolling at 320 CSS pixels and at 200% zoom, no Content-Security-Policy complaints,
and no serious or critical axe-core findings.

Skips cleanly without Playwright (`pip install playwright`) or /usr/bin/chromium; the
axe test skips without .cache/axe/node_modules/axe-core/axe.min.js
(`npm install --prefix .cache/axe axe-core@4`). Browsers are never downloaded: Playwright
drives the system Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

REQUIRED = os.environ.get("HHB_TEST_REQUIRE_BROWSER") == "1"  # CI: a skipped browser test proves nothing


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"HHB_TEST_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - depends on the machine
    _missing("playwright is not installed")

from adapters.cli import app as cli  # noqa: E402
from adapters.store import open_engine  # noqa: E402
from adapters.web.words import money  # noqa: E402
from huishoudboekje import access  # noqa: E402
from huishoudboekje.projections.left import left_this_month, what_is_left  # noqa: E402
from huishoudboekje.projections.views import Projections  # noqa: E402
from tests.factories import MANAGED, Tx, camt053, release_pending  # noqa: E402
from tests.conftest import register_teams  # noqa: E402
from tests.serving import free_port, wait_until_serving  # noqa: E402
from tests.e2e.test_participant_page import (GEMEENTE, TOESLAGEN, A, B, B_NAME, C, C_NAME,  # noqa: E402
                                             weekly_copy)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("HHB_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "bench" / "results"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AS_OF = date(2026, 12, 9)

if not CHROMIUM.exists():
    _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A store prepared like tests/e2e/test_participant_page.py, served by a real `hhb serve`."""
    tmp = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp / "var")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        runner = CliRunner()

        def hhb(*args):
            result = runner.invoke(cli, [*args, "--db", db])
            assert result.exit_code == 0, result.output

        register_teams(db, tmp)
        # B's team has a contact card with a long e-mail address, and B names a coach (issue 19)
        hhb("teams", "update", "Wijkteam Oost", "--phone", "030 286 12 34", "--hours", "ma–vr 9.00–17.00",
            "--email", "wijkteam.oost.overvecht-utrecht@example.nl")
        b_doc = weekly_copy(tmp)
        b_doc.write_text(b_doc.read_text().replace("team: Wijkteam Oost\n", "team: Wijkteam Oost\ncoach: Anna Jansen\n"))
        hhb("onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"), str(b_doc),
            str(ROOT / "personas" / "persona-3-statushouder.yaml"))  # the late benefit: a bad month
        (tmp / "nov.xml").write_bytes(camt053([
            Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"zorgtoeslag {A}"),
            Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"zorgtoeslag {B}"),
            Tx("1320.50", date(2026, 11, 30), *GEMEENTE, f"Bijstand {A} november"),
            Tx("1402.00", date(2026, 11, 30), *GEMEENTE, f"Bijstand {B} november"),
        ], statement_id="nov"))
        hhb("import", str(tmp / "nov.xml"))
        hhb("reconcile", "--date", "2026-12-01")
        release_pending(db)  # a finance person sends the night's file to the bank
        engine = open_engine(db, tmp / "var")
        try:
            token, _ = access.issue(engine, "participant", B_NAME, "test", dossier=B, valid_days=30)
            late, _ = access.issue(engine, "participant", C_NAME, "test", dossier=C, valid_days=30)
            views = Projections(engine)
            views.catch_up()
            household = views.household(B)
            left = what_is_left(household, AS_OF, views.data_as_of(household.account or MANAGED))
        finally:
            engine.close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "--db", db, "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/p/static/participant.css")
        yield {"base": base, "url": f"{base}/p/{token}?date={AS_OF}", "left": left, "tmp": tmp,
               "bad_month": f"{base}/p/{late}?date={AS_OF}"}
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


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def no_horizontal_scroll(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def test_a_person_sees_what_is_left_and_switches_to_english(served, browser, tmp_path):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                  device_scale_factor=1, locale="nl-NL")
    page = context.new_page()
    complaints: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: complaints.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    try:
        response = page.goto(served["url"])
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == "nl"
        expected = left_this_month(served["left"])
        assert expected.is_positive
        amount = page.locator("#left-amount")
        assert amount.is_visible()
        assert plain(amount.inner_text()) == plain(money(expected, "nl"))
        assert plain(page.locator("h1").inner_text()) == "Nog te krijgen deze maand"
        assert plain(page.locator("#next-leefgeld").inner_text()) == "Volgend leefgeld: dinsdag 15 december"
        assert "Bijgewerkt op 30 november 2026" in plain(page.locator("#updated").inner_text())
        font_px = page.locator("#left-amount").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert font_px >= 36  # large type
        card = page.locator("footer .contact-card")  # the team's contact card (issue 19)
        assert card.is_visible() and "Uw coach: Anna Jansen" in plain(card.inner_text())
        assert page.get_by_role("link", name="030 286 12 34").get_attribute("href") == "tel:+31302861234"
        RESULTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(tmp_path / "participant-page.png"), full_page=True)
        shutil.copyfile(tmp_path / "participant-page.png", RESULTS / "participant-page.png")

        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert plain(page.locator("#left-amount").inner_text()) == money(expected, "en")
        assert plain(page.locator("h1").inner_text()) == "Still to come this month"
        assert "date=2026-12-09" in page.url and "lang=en" in page.url
        page.screenshot(path=str(tmp_path / "participant-page-en.png"), full_page=True)
        shutil.copyfile(tmp_path / "participant-page-en.png", RESULTS / "participant-page-en.png")
        assert (tmp_path / "participant-page-en.png").stat().st_size > 10_000

        # the printable overview, one page in both languages with our stylesheet and a way
        # back: styled, not refused by the CSP
        page.get_by_role("link", name="Overview of December 2026").click()
        page.wait_for_load_state()
        assert "Your overview of December 2026" in page.locator("h1").inner_text()
        page.get_by_role("link", name="Back to your leefgeld").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Nederlands").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Overzicht van december 2026").click()
        page.wait_for_load_state()
        assert "Uw overzicht van december 2026" in page.locator("h1").inner_text()
        assert page.locator("main").evaluate("e => getComputedStyle(e).maxWidth") != "none"
        assert page.get_by_role("link", name="Terug naar uw leefgeld").is_visible()
        assert not complaints, complaints  # no Content-Security-Policy refusals, no errors at all
        assert not failed, failed  # the stylesheet and icon load
    finally:
        context.close()


@pytest.mark.parametrize("viewport,scale", [({"width": 320, "height": 640}, 1),
                                            ({"width": 640, "height": 480}, 2)],  # 1280 px at 200% zoom
                         ids=["320px", "200%"])
def test_nothing_scrolls_sideways(served, browser, viewport, scale):
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    try:
        for url in (served["url"], served["url"] + "&lang=en", f"{served['base']}/p/hhbp_no-such-link",
                    served["bad_month"], served["bad_month"] + "&lang=en"):
            page.goto(url)
            width, inner = no_horizontal_scroll(page)
            assert width <= inner, (url, width, inner)
            amount = page.locator("#left-amount")
            if amount.count():  # the big number fits on the screen
                box = amount.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner
    finally:
        context.close()


def test_axe_finds_nothing_serious(served, browser):
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    # The page's CSP (rightly) refuses injected scripts; axe is injected with CSP bypassed.
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        for url in (served["url"], served["url"] + "&lang=en", f"{served['base']}/p/hhbp_no-such-link",
                    served["bad_month"], served["bad_month"] + "&lang=en"):
            page.goto(url)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("""async () => await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                resultTypes: ['violations']})""")
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
            assert not bad, (url, bad)
            if url.startswith(served["bad_month"]):  # issue 19's page: the story, the warning, the rows
                assert page.locator("#story").is_visible() and page.locator("#stale").is_visible()
                assert not result["violations"], (url, [(v["id"], v["impact"]) for v in result["violations"]])
    finally:
        context.close()


# -- the page and the printable overview at three widths, in both languages -------------------

SCREENS = ROOT / "docs" / "screens"
WIDTHS = (320, 390, 1280)


def _axe(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
        resultTypes: ['violations']})""")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


@pytest.mark.screens  # writes docs/screens/{page,overview}-*.png
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def test_the_page_and_the_overview_fit_every_width_and_axe_finds_nothing(served, browser, width, lang):
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900},
                                  device_scale_factor=1)
    page = context.new_page()
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(served["url"] + f"&lang={lang}")
        overview_link = "Overzicht van december 2026" if lang == "nl" else "Overview of December 2026"
        overview_href = page.get_by_role("link", name=overview_link).get_attribute("href")
        for kind, url in (("page", page.url), ("overview", None)):
            if url is None:
                page.goto(served["url"].split("?")[0] + "/" + overview_href.split("/", 1)[1])
            width_seen, inner = no_horizontal_scroll(page)
            assert width_seen <= inner, (kind, width_seen, inner)
            for amount in page.locator(".row-amount").all():  # every amount is on the screen
                box = amount.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner, (kind, box)
            page.screenshot(path=str(SCREENS / f"{kind}-{lang}-{width}.png"))  # the first screen: small files
            assert not _axe(page), (kind, _axe(page))
        heading = page.locator("h1").inner_text()
        assert heading == ("Uw overzicht van december 2026" if lang == "nl" else "Your overview of December 2026")
        facts = plain(page.locator("#facts").inner_text())
        assert B in facts and ("9 december 2026" if lang == "nl" else "9 December 2026") in facts
        planned = page.locator(".row-status", has_text="Gepland op" if lang == "nl" else "Planned for")
        assert planned.count() == 3  # the weekly leefgeld after 9 December
        back = "Terug naar uw leefgeld" if lang == "nl" else "Back to your leefgeld"
        page.get_by_role("link", name=back).click()
        page.wait_for_load_state()
        assert page.locator("#left-amount").is_visible()
    finally:
        context.close()
