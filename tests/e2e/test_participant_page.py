"""The participant's page (/p/<token>): plain words, the right number, nobody else's data.

Two households are built through the CLI on SQLite and PostgreSQL: A is the example
(monthly leefgeld), B a copy with weekly leefgeld. Their November incomes are imported
and the pay date of 1 December 2026 is run; then each gets a personal link.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.api.app import FailedLogins, create_app
from adapters.cli import app as cli
from adapters.web.view import headline
from adapters.web.words import day_words, money
from huishoudboekje import access
from huishoudboekje.domain.money import Money
from huishoudboekje.projections.left import left_this_month, what_is_left
from huishoudboekje.projections.views import Projections
from tests.factories import MANAGED, Tx, camt053, release_pending

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
A, B = "HHB-2026-0001", "HHB-2026-0002"
C, C_NAME = "HHB-DEMO-0003", "Yonas Tesfay"  # persona 3: the benefit starts late, the buffer pays the rent
B_NAME, B_IBAN, B_LANDLORD = "Karim Bouzid", "NL17RABO0123456790", "Woonstichting Mitros"
JARGON = {
    "nl": ("betaalinstructie", "instructie", "betaalopdracht", "cyclus", "projectie", "reconcil", "afspraak",
           "buffer", "dossier", "status", "scheduled", "arrears", "hhb-"),
    "en": ("instruction", "scheduled", "arrears", "buffer", "reconcil", "projection", "cycle", "agreement",
           "dossier", "status", "hhb-"),
}


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args):
    result = runner.invoke(cli, [*args, "--db", store_url])
    assert result.exit_code == 0, result.output
    return result


def weekly_copy(tmp_path: Path) -> Path:
    """Household B: the example with another person, weekly leefgeld and other amounts."""
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text()
    for old, new in ((A, B), ("Sanne de Vries", B_NAME), ("NL44RABO0123456789", B_IBAN),
                     ("{schedule: monthly}", "{schedule: weekly}"), ('"1320.50"', '"1402.00"'),
                     ("Woningcorporatie Portaal", B_LANDLORD), ('"712.40"', '"655.15"'),
                     ("Wijkteam Noord", "Wijkteam Oost")):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "b.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def site(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"), str(weekly_copy(tmp_path)),
        str(ROOT / "personas" / "persona-3-statushouder.yaml"))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053([
        Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"zorgtoeslag {A}"),
        Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"zorgtoeslag {B}"),
        Tx("1320.50", date(2026, 11, 30), *GEMEENTE, f"Bijstand {A} november"),
        Tx("1402.00", date(2026, 11, 30), *GEMEENTE, f"Bijstand {B} november"),
    ], statement_id="nov"))
    hhb(store_url, "import", str(statement))
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    release_pending(store_url)
    app = create_app(db_url=store_url)
    ctx = app.state.context
    tokens = {dossier: access.issue(ctx.engine, "participant", name, "test", dossier=dossier, valid_days=30)[0]
              for dossier, name in ((A, "Sanne de Vries"), (B, B_NAME), (C, C_NAME))}
    client = TestClient(app)
    yield Site(app, client, tokens)
    ctx.engine.close()


class Site:
    def __init__(self, app, client, tokens):
        self.app, self.client, self.tokens = app, client, tokens

    @property
    def engine(self):
        return self.app.state.context.engine

    def get(self, dossier: str, query: str = "", path: str = ""):
        return self.client.get(f"/p/{self.tokens[dossier]}{path}{query}")

    def left(self, dossier: str, as_of: date) -> dict:
        views = Projections(self.engine)  # shares the engine's connections: nothing to close
        views.catch_up()
        household = views.household(dossier)
        return what_is_left(household, as_of, views.data_as_of(household.account or MANAGED))


def shown(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, flags=re.S)
    assert found, f"no #{element_id}"
    return unescape(found.group(1)).strip()


def visible_text(html: str) -> str:
    body = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'(?:href|src)="([^"]*)"', html)]


# -- the number ---------------------------------------------------------------------------------


def test_weekly_household_sees_what_is_still_to_come_and_when(site):
    as_of = date(2026, 12, 9)
    page = site.get(B, "?date=2026-12-09")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    left = site.left(B, as_of)
    still = left_this_month(left)
    assert still.is_positive and headline(left) == ("to-come", still)
    html = page.text
    assert shown(html, "left-amount") == money(still, "nl")
    assert re.search(r'data-amount="([^"]+)"', html).group(1) == str(still)
    assert "Nog te krijgen deze maand" in html
    first_coming = min(p["date"] for p in left["leefgeld"]["parts"] if p["status"] == "scheduled")
    assert first_coming == "2026-12-15"
    assert shown(html, "next-leefgeld") == "Volgend leefgeld: dinsdag 15 december"
    # the two parts of 1 and 8 December went to the bank, which has not confirmed them (no
    # statement since 30 November): on their way, not received (issue 19)
    assert left["leefgeld"]["received"] == "0.00" and "U kreeg deze maand al" not in html
    assert f"Onderweg naar uw rekening: {money(Money(left['leefgeld']['paid']), 'nl')}." in html
    assert "Uw leefgeld per week" in html and html.count("Gepland<") == 3
    assert html.count("Opdracht gegeven aan de bank. De bank heeft het nog niet bevestigd.") == 2


def test_monthly_household_sees_this_months_leefgeld_once_it_is_paid(site):
    left = site.left(A, date(2026, 12, 2))
    assert left_this_month(left) == Money.zero() and Money(left["leefgeld"]["paid"]) == Money("718.70")
    html = site.get(A, "?date=2026-12-02").text
    assert "Dit is uw leefgeld voor deze maand" in html
    assert shown(html, "left-amount") == "€\u00a0718,70"
    # sent to the bank on its pay date; no statement has confirmed it yet (issue 19)
    assert "Op uw rekening gezet" not in html and "Betaald op" not in html
    assert "Wij gaven de bank op dinsdag 1 december opdracht dit te betalen." in html
    assert shown(html, "next-leefgeld") == "Volgend leefgeld: donderdag 31 december"
    assert "Huur" in html and "Opdracht gegeven aan de bank, voor 1 december." in html  # not 'betaalinstructie'
    assert "Wat er binnenkwam" in html and "Wat wij voor u betalen" in html


def test_money_owed_to_the_municipality_is_said_calmly(site):
    left = site.left(C, date(2026, 12, 2))
    owed = Money(left["buffer_owed"])
    # Issue 18: the buffer advanced the minimum leefgeld too, so there is money to live on.
    assert owed.is_positive and headline(left) == ("paid", Money("200.00"))
    html = site.get(C, "?date=2026-12-02").text
    assert f"U moet nog {money(owed, 'nl')} voorschot terugbetalen aan de gemeente. Dat gaat vanzelf." in html
    assert shown(html, "left-amount") == money(Money("200.00"), "nl")
    assert "Dit is uw leefgeld voor deze maand" in html
    assert "Niet binnengekomen. Het werd verwacht op 30 november." in html  # the late benefit, in plain words
    assert "Huur" in html and "Opdracht gegeven aan de bank, voor 1 december." in html  # the rent all the same
    english = site.get(C, "?date=2026-12-02&lang=en").text
    assert f"You still have to pay back {money(owed, 'en')} of the advance to the municipality." in english


def test_before_the_first_pay_date_the_page_says_what_to_expect(site):
    html = site.get(A, "?date=2026-11-20").text
    assert "Uw volgende leefgeld is ongeveer" in html
    assert shown(html, "next-leefgeld") == "Volgend leefgeld: dinsdag 1 december"


def test_bijgewerkt_op_comes_from_the_freshness_of_the_bank_data(site):
    left = site.left(A, date(2026, 12, 2))
    assert left["data_as_of"] == "2026-11-30"
    assert shown(site.get(A, "?date=2026-12-02").text, "updated") == "Bijgewerkt op 30 november 2026"
    assert shown(site.get(A, "?date=2026-12-02&lang=en").text, "updated") == "Updated on 30 November 2026"


# -- language -----------------------------------------------------------------------------------


def test_dutch_by_default_english_by_a_plain_link_and_remembered(site):
    dutch = site.get(B, "?date=2026-12-09").text
    assert '<html lang="nl">' in dutch and "Nog te krijgen deze maand" in dutch
    switch = re.search(r'<a class="switch" href="([^"]*)" hreflang="en"', dutch)
    assert switch and "<script" not in dutch
    english = site.client.get(urljoin(f"/p/{site.tokens[B]}?date=2026-12-09", unescape(switch.group(1))))
    assert '<html lang="en">' in english.text and "Still to come this month" in english.text
    left = site.left(B, date(2026, 12, 9))
    assert shown(english.text, "left-amount") == money(left_this_month(left), "en")
    assert re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d\d", shown(english.text, "left-amount"))
    assert shown(english.text, "next-leefgeld") == "Next leefgeld: Tuesday 15 December"
    assert "hhb_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in site.get(B, "?date=2026-12-09").text  # remembered
    assert '<html lang="nl">' in site.get(B, "?date=2026-12-09&lang=nl").text


def test_no_jargon_in_either_language(site):
    for dossier, day in ((A, "2026-12-02"), (B, "2026-12-09"), (A, "2026-11-20"), (C, "2026-12-02")):
        for lang in ("nl", "en"):
            html = site.get(dossier, f"?date={day}&lang={lang}").text
            text = visible_text(html).lower()
            for word in JARGON[lang]:
                assert word not in text, (dossier, lang, word)
            assert "instructie" not in html.lower() and "instruction" not in html.lower()
            assert "leefgeld" in text


def test_money_and_dates_in_words():
    assert money(Money("1234.56"), "nl") == "€\u00a01.234,56"
    assert money(Money("1234.56"), "en") == "€1,234.56"
    assert money(Money("0.05"), "nl") == "€\u00a00,05"
    assert money(Money("-172.70"), "en") == "-€172.70"
    assert day_words(date(2026, 12, 8), "nl") == "dinsdag 8 december"
    assert day_words(date(2026, 12, 8), "en") == "Tuesday 8 December"
    assert day_words(date(2027, 1, 4), "nl", today=date(2026, 12, 30)) == "maandag 4 januari 2027"
    assert day_words("2026-11-30", "nl", weekday=False, year=True) == "30 november 2026"


def test_headline_before_the_first_pay_date_and_when_nothing_was_left():
    left = {"leefgeld": {"paid": "0.00", "scheduled": "0.00", "parts": []},
            "forecast": {"next_pay_date": "2026-12-01", "expected_leefgeld": "718.70", "shortfall": "0.00"}}
    assert headline(left, ran=False) == ("upcoming", Money("718.70"))
    assert headline(left, ran=True) == ("none", Money.zero())


# -- whose data ---------------------------------------------------------------------------------


def test_a_link_shows_only_its_own_household(site):
    a = site.get(A, f"?date=2026-12-09&dossier={B}").text
    b = site.get(B, f"?date=2026-12-09&dossier={A}").text
    for leak in (B_NAME, B_IBAN, B_LANDLORD, B, "1.402,00", "655,15", "Wijkteam Oost"):
        assert leak not in a
    for leak in ("Sanne de Vries", "NL44RABO0123456789", "Woningcorporatie Portaal", A, "1.320,50", "712,40",
                 "Wijkteam Noord"):
        assert leak not in b
    assert "Sanne de Vries" in a and B_NAME in b
    overview_a = site.get(A, "?month=2026-12&date=2026-12-09", "/overzicht").text
    assert "Sanne de Vries" in overview_a and B_NAME not in overview_a and B_LANDLORD not in overview_a


# -- bad links ------------------------------------------------------------------------------------


def assert_friendly_404(response):
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in response.text and "Deze link werkt niet" in response.text
    assert "Vraag uw wijkteam om een nieuwe link." in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_unknown_expired_and_revoked_links_get_a_friendly_page(site):
    engine = site.engine
    expired, _ = access.issue(engine, "participant", "Sanne de Vries", "test", dossier=A, valid_days=30,
                              now=datetime.now(timezone.utc) - timedelta(days=31))
    revoked, credential = access.issue(engine, "participant", "Sanne de Vries", "test", dossier=A, valid_days=30)
    assert site.client.get(f"/p/{revoked}").status_code == 200
    access.revoke(engine, credential.short_id, "test")
    staff, _ = access.issue(engine, "staff", "a.yilmaz", "test", team="Wijkteam Noord")
    # this test is not about the limit
    site.app.state.context.failed_logins = FailedLogins(site.app.state.context.shared, limit=10**9)
    for token in (expired, revoked, staff, "hhbp_unknown", "not a token", "x" * 300):
        assert_friendly_404(site.client.get(f"/p/{token}"))
        assert_friendly_404(site.client.get(f"/p/{token}/overzicht"))
    assert_friendly_404(site.client.get(f"/p/{expired}?lang=nl"))


@pytest.mark.parametrize(("query", "path"), [("?date=0001-01-01", ""), ("?date=9999-12-31", ""),
                                           ("?month=9999-12", "/overzicht"), ("?month=0001-01", "/overzicht"),
                                           ("?date=9999-12-31", "/overzicht")])
def test_a_date_out_of_range_gets_a_dutch_page_not_an_error(site, query, path):
    answer = site.get(A, query, path)
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in answer.text and "Controleer de datum of maand in de link." in answer.text


def test_too_many_wrong_links_are_refused_for_a_minute(site):
    for n in range(10):
        assert site.client.get(f"/p/hhbp_wrong{n}").status_code == 404
    refused = site.client.get("/p/hhbp_wrong10")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "Wacht een minuut" in refused.text and refused.headers["content-type"].startswith("text/html")
    assert site.client.get(f"/p/{site.tokens[A]}").status_code == 200  # a valid link still opens


# -- security -------------------------------------------------------------------------------------


def test_security_headers_and_the_token_never_leaves(site):
    token = site.tokens[B]
    page = site.get(B, "?date=2026-12-09")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src" not in csp  # so default-src 'none' applies: no scripts at all
    assert "frame-ancestors 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and " style=" not in page.text and "<style" not in page.text
    for href in hrefs(page.text):
        assert not urlsplit(href).scheme and not href.startswith("//"), href  # relative only
        if token in href:
            assert href.startswith(f"{token}/overzicht?"), href
    assert '<meta name="referrer" content="no-referrer">' in page.text
    css = site.client.get("/p/static/participant.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert site.client.get("/p/static/../app.py").status_code == 404


# -- the printable overview -----------------------------------------------------------------------


def test_the_overview_link_works_in_both_languages(site):
    page_url = f"/p/{site.tokens[A]}?date=2026-12-09"
    html = site.client.get(page_url).text
    links = [h for h in hrefs(html) if "/overzicht" in h]
    assert links and "month=2026-12" in links[0]
    overview = site.client.get(urljoin(page_url, links[0]))
    assert overview.status_code == 200
    assert "Uw overzicht van december 2026" in overview.text and "€\u00a0718,70" in overview.text
    assert "Woningcorporatie Portaal" in overview.text and "<dd>9 december 2026</dd>" in overview.text
    csp = overview.headers["content-security-policy"]
    assert "style-src 'self';" in csp and "unsafe-inline" not in csp  # the page's stylesheet, nothing inline
    assert "<style" not in overview.text and 'href="../static/participant.css"' in overview.text
    assert overview.headers["referrer-policy"] == "no-referrer" and overview.headers["cache-control"] == "no-store"
    default = site.get(A, "?date=2026-12-09", "/overzicht")
    assert "Uw overzicht van december 2026" in default.text
    english_page = site.client.get(page_url + "&lang=en").text
    english = [h for h in hrefs(english_page) if "/overzicht" in h][0]
    english_overview = site.client.get(urljoin(page_url, english))
    assert "Your overview of December 2026" in english_overview.text and "€718.70" in english_overview.text
    back = re.search(r'class="switch back" href="([^"]*)"', english_overview.text).group(1)
    assert site.client.get(urljoin(urljoin(page_url, english), unescape(back))).status_code == 200
    bad = site.get(A, "?month=2026-13", "/overzicht")
    assert bad.status_code == 404 and bad.headers["content-type"].startswith("text/html")
