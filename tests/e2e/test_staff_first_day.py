"""A new coach's first day in a real browser (a real `hhb serve`, Debian's Chromium,
Playwright; the pages have no JavaScript, the browser runs only axe's):

signs in with password and TOTP code (the secret `hhb users password` enrolled), onboards
a household from Nieuw huishouden picking Eneco and Woonstad from the creditor register
(`hhb creditors import`), uploads a camt.053 statement whose salary credit lacks the dossier
number, books it from its top candidate (the new household's salary: same payer, exactly
the amount), resolves a signal with a note, opens the household's monthly overview and
prints it, signs out — after which the old session cookie opens nothing. axe-core
(WCAG 2.1 AA and best practice) finds no violation on any page on the way, at a phone's
width and a desktop's. It writes docs/screens/staff-overzicht-*.png, and a teamlead's report at
desktop width docs/screens/staff-rapportage-1280.png (the other pages' screens are written by
the tests that walk them first: `-m screens`, see the README).

Skips as tests/e2e/test_staff_browser.py does (HHB_TEST_REQUIRE_BROWSER=1: fail instead).
"""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.staff_web import ACCOUNTS, PASSWORD, hhb
from tests.e2e.test_browser import AXE, REQUIRED
from tests.e2e.test_staff_browser import _check, browser, served  # noqa: F401 - fixtures
from tests.factories import MANAGED, Tx, camt053

pytestmark = pytest.mark.screens  # writes docs/screens/: `./run tests -m screens` makes them all anew
ENECO, WOONSTAD = "NL91ABNA0417164300", "NL20INGB0001234567"
EMPLOYER = ("NL44RABO0123456789", "Bakkerij Van Dam")
COACHES = {  # width: the new coach (a TOTP code works once: two people), their household, the signal they resolve
    390: ("Fleur de Vries", "fleur@example.nl", "HHB-2027-2390", "schoot de buffer"),
    1280: ("Gijs Mulder", "gijs@example.nl", "HHB-2027-3280", "Zorgtoeslag van"),
}
SALARY = {390: "1.480,00", 1280: "1.512,35"}
# so that the employer's credit matches more than one household and waits for a person
COLLEAGUE = f"""dossier: HHB-2027-9001
team: Wijkteam Zuid
start: {{start}}
pay_day: 1
buffer_limit: "1000.00"
minimum_leefgeld: "250.00"
participants:
  - {{{{name: Kees Bos, iban: NL69INGB0123456789}}}}
incomes:
  - id: loon
    category: loon
    counterparty: {{{{name: {EMPLOYER[1]}, iban: {EMPLOYER[0]}}}}}
    amount: "1390.00"
    schedule: {{{{every: month, day: 25}}}}
charges: []
"""


@pytest.fixture(scope="module")
def first_day(served, tmp_path_factory):  # noqa: F811
    """The register imported, and each new coach's account with their enrolled TOTP secret."""
    db = served["db"]
    path = tmp_path_factory.mktemp("first-day") / "creditors.yaml"
    path.write_text(f"- {{name: Woonstad Rotterdam, ibans: [{WOONSTAD}], category: huur}}\n"
                    f"- {{name: Eneco, ibans: [{ENECO}], category: energie}}\n", encoding="utf-8")
    hhb(db, "creditors", "import", str(path), "--actor", "beheer")
    colleague = path.with_name("colleague.yaml")  # another team's household paid by the same employer
    colleague.write_text(COLLEAGUE.format(start=date.today().replace(day=1).isoformat()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        hhb(db, "onboard", str(colleague), "--actor", "Eva Bakker")
    secrets = {}
    for name, email, _, _ in COACHES.values():
        hhb(db, "users", "add", "--name", name, "--email", email, "--role", "staff", "--team", "Wijkteam Noord",
            "--actor", "beheer")
        out = hhb(db, "users", "password", email, "--actor", "beheer", stdin=PASSWORD + "\n")
        uri = re.search(r'"totp_uri": "([^"]+)"', out).group(1)
        secrets[email] = parse_qs(urlparse(uri).query)["secret"][0]
    return {**served, "coaches": secrets}


def _go(page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_load_state()


def _main(page) -> str:
    return page.locator("main").inner_text()


def _sign_in(page, world, width: int, seen: list) -> None:
    import pyotp

    name, email, _, _ = COACHES[width]
    page.goto(world["base"] + "/medewerker/")
    assert page.url.endswith("/medewerker/inloggen")
    _check(page, width, seen)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(world["coaches"][email]).now())
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Werkvoorraad"
    assert f"Ingelogd als {name}" in _main(page)
    _check(page, width, seen)


def _onboard(page, width: int, seen: list) -> None:
    """Nieuw huishouden: the creditors picked from the register, the first pay date checked, saved."""
    dossier = COACHES[width][2]
    _go(page, "Schuldeisers")
    assert "Eneco" in _main(page)
    _check(page, width, seen)
    _go(page, "Nieuw huishouden")
    _check(page, width, seen)
    page.get_by_label("Dossiernummer").fill(dossier)
    page.get_by_label("Startdatum").fill(date.today().replace(day=1).isoformat())
    page.get_by_label("Grens voorschot (buffer)").fill("1000")
    page.get_by_label("Minimum leefgeld").fill("250")
    page.get_by_label("Naam deelnemer").fill("Sanne de Wit")
    page.get_by_label("IBAN deelnemer").fill("NL02ABNA0123456789")
    page.get_by_label("Inkomen 1: van wie").fill(EMPLOYER[1])
    page.get_by_label("Inkomen 1: IBAN").fill(EMPLOYER[0])
    page.get_by_label("Inkomen 1: soort").select_option("loon")
    page.get_by_label("Inkomen 1: bedrag").fill(SALARY[width])
    page.get_by_label("Inkomen 1: dag").select_option("25")
    page.get_by_label("Vaste last 1: schuldeiser").select_option(label=f"Woonstad Rotterdam (huur) · {WOONSTAD}")
    page.get_by_label("Vaste last 1: bedrag").fill("735")
    page.get_by_label("Vaste last 1: dag").select_option("1")
    page.get_by_label("Vaste last 2: schuldeiser").select_option(label=f"Eneco (energie) · {ENECO}")
    page.get_by_label("Vaste last 2: bedrag").fill("120")
    page.get_by_label("Vaste last 2: dag").select_option("15")
    page.get_by_role("button", name="Controleren").click()
    page.wait_for_load_state()
    assert "Eerste betaaldag" in _main(page), _main(page)
    _check(page, width, seen)
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(dossier)
    _check(page, width, seen)


def _book(page, width: int, seen: list) -> None:
    """A salary paid without the dossier number: not booked by the import; its top
    candidate is the new household's salary (same payer, exactly the amount)."""
    dossier = COACHES[width][2]
    amount = SALARY[width].replace(".", "").replace(",", ".")
    credit = Tx(amount, date.today(), *EMPLOYER, f"Salaris ({width})")
    _go(page, "Bankafschriften")
    _check(page, width, seen)
    page.get_by_label("Bestand").set_input_files(
        {"name": f"eerste-dag-{width}.xml", "mimeType": "application/xml",
         "buffer": camt053([credit], statement_id=f"F{width}")})
    page.get_by_role("button", name="Inlezen").click()
    page.wait_for_load_state()
    assert f"eerste-dag-{width}.xml ingelezen" in _main(page)
    _check(page, width, seen)
    assert "0 automatisch geboekt, 1 in de wachtrij" in _main(page)
    row = page.locator("li.row", has_text=f"Salaris ({width})")
    top = row.get_by_role("radio").first
    assert top.get_attribute("value") == f"{dossier}/loon" and top.is_checked()
    row.get_by_label("Reden").fill("Kenmerk ontbrak")
    row.get_by_role("button", name="Boeken").click()
    page.wait_for_load_state()
    assert "Transactie geboekt." in _main(page)
    _check(page, width, seen)


def _resolve(page, width: int, seen: list) -> None:
    text = COACHES[width][3]
    _go(page, "Signalen")
    _check(page, width, seen)
    signal = page.locator("li.row", has_text=text).filter(has=page.get_by_role("button", name="Oplossen")).first
    signal.get_by_label("Notitie").fill(f"Eerste dag: besproken ({width})")
    signal.get_by_role("button", name="Oplossen").click()
    page.wait_for_load_state()
    assert "Signaal bijgewerkt." in _main(page)
    _check(page, width, seen)


def _print_overview(page, world, width: int, seen: list) -> None:
    dossier = COACHES[width][2]
    page.goto(f"{world['base']}/medewerker/huishoudens/{dossier}")
    _go(page, "Maandoverzicht om te printen")
    assert "Sanne de Wit" in _main(page) and "Wat er binnenkwam" in _main(page)
    _check(page, width, seen, "overzicht")
    assert page.pdf(format="A4")[:5] == b"%PDF-"  # what printing gives
    page.get_by_role("link", name="Terug naar het huishouden").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(dossier)


@pytest.mark.parametrize("width", list(COACHES), ids=[f"{w}px" for w in COACHES])
def test_a_new_coachs_first_day(first_day, browser, width):  # noqa: F811
    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE} (npm install --prefix .cache/axe axe-core@4)")
    name, _, dossier, _ = COACHES[width]
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}, locale="nl-NL")
    page = context.new_page()
    seen: list[str] = []
    try:
        _sign_in(page, first_day, width, seen)
        _onboard(page, width, seen)
        _book(page, width, seen)
        _resolve(page, width, seen)
        _print_overview(page, first_day, width, seen)
        session = [c for c in context.cookies() if c["name"] == "hhb_staff"]
        page.get_by_role("button", name="Uitloggen").click()
        page.wait_for_load_state()
        assert "U bent uitgelogd." in _main(page)
        context.add_cookies(session)  # the old cookie back: the session itself has ended
        page.goto(first_day["base"] + "/medewerker/huishoudens")
        # the sign-in page, saying why, and where signing in again returns to
        assert page.url.endswith("/medewerker/inloggen?melding=expired&naar=%2Fmedewerker%2Fhuishoudens"), page.url
    finally:
        context.close()
    assert len(seen) == 12, seen
    actor = f"staff:{name}"
    events = json.loads(hhb(first_day["db"], "history", dossier, "--json"))["events"]
    assert events[0]["actor"] == actor  # onboarded by the coach
    notes = [h for s in json.loads(hhb(first_day["db"], "signals", "--json")) for h in s["history"]
             if h.get("note") == f"Eerste dag: besproken ({width})"]
    assert len(notes) == 1 and notes[0]["status"] == "resolved" and notes[0]["by"] == actor, notes
    booked = [e for e in events if e["event"] == "IncomeBooked"]
    assert len(booked) == 1 and booked[0]["actor"] == actor and "agreement_id=loon" in booked[0]["details"]



def test_a_teamleads_report_at_desktop_width(first_day, browser):  # noqa: F811
    """The report of one's own team at desktop width (the reports' own browser test walks
    it as an auditor on a phone): axe finds nothing; docs/screens/staff-rapportage-1280.png."""
    import pyotp

    if not AXE.exists():
        if REQUIRED:
            pytest.fail(f"axe-core not installed at {AXE}")
        pytest.skip(f"axe-core not installed at {AXE}")
    _, email, _ = ACCOUNTS["teamlead"]
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    seen: list[str] = []
    try:
        page.goto(first_day["base"] + "/medewerker/inloggen")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(first_day["secrets"][email]).now())
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state()
        _go(page, "Rapportage")
        assert "Wijkteam Noord" in _main(page) and page.locator("svg.pygal-chart").count() >= 3
        _check(page, 1280, seen, "rapportage")
    finally:
        context.close()
    assert len(seen) == 1
