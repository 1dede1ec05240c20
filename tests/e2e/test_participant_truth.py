"""The participant page tells the truth day by day (issue 19), for the three personas.

The bank is played by the test: every business day it executes what the payment files
the job wrote and a finance person released (the outbox) ask for on that day, and its statement of the day carries
those debits with their end-to-end ids, and the incomes of the day. One week it sends no
statements at all (a bank outage) and the week's statements come in late, on the Monday
after; one leefgeld part comes back. Each day the page must say, for every payment row,
what the bank data of that day shows — *gepland*, *opdracht gegeven*, *betaald op …*,
*teruggekomen* — warn at the top exactly when the newest bank data is more than two
TARGET2 business days old, and the late-benefit persona's bad month must explain itself
with the amounts of its month.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from typer.testing import CliRunner

from adapters.api.app import create_app
from adapters.cli import app as cli
from adapters.web.words import day_words, money
from huishoudboekje import access
from huishoudboekje.domain.calendar import add_business_days, is_business_day
from huishoudboekje.domain.money import Money
from tests.factories import MANAGED, Tx, camt053, release_pending

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
FLEX = ("NL83ABNA0248101010", "Uitzendbureau Flex BV")
ONE, TWO, THREE = "HHB-DEMO-0001", "HHB-DEMO-0002", "HHB-DEMO-0003"
NAMES = {ONE: "Fatima el Amrani", TWO: "Kevin Jansen", THREE: "Yonas Tesfay"}
FIRST, LAST = date(2026, 11, 19), date(2026, 12, 18)
OUTAGE = {date(2026, 12, 7) + timedelta(days=n) for n in range(5)}  # Mon 7 – Fri 11 December: no statements
LATE_STATEMENTS_ON = date(2026, 12, 14)  # the week's statements arrive on the Monday after
RETURNED_PART = date(2026, 12, 15)  # persona 1's weekly part of that day comes back...
RETURNED_ON = date(2026, 12, 16)  # ...on the statement of this day


def incomes_on(day: date) -> list[Tx]:
    """What the payers pay, by value date; persona 3's November benefit comes three days late."""
    txs = []
    if day == date(2026, 11, 20):
        txs += [Tx("381.00", day, *TOESLAGEN, "huurtoeslag el Amrani"),
                Tx("131.00", day, *TOESLAGEN, "zorgtoeslag el Amrani"),
                Tx("412.00", day, *TOESLAGEN, "kindgebonden budget el Amrani"),
                Tx("131.00", day, *TOESLAGEN, "zorgtoeslag Jansen")]
    if day == date(2026, 11, 25):
        txs.append(Tx("1190.00", day, *FLEX, "salaris Jansen"))
    if day == date(2026, 11, 30):
        txs.append(Tx("1190.00", day, *GEMEENTE, "HHB-DEMO-0001 bijstand"))
    if day == date(2026, 12, 3):
        txs.append(Tx("1120.00", day, *GEMEENTE, f"Bijstand {THREE} november"))
    if day == date(2026, 12, 18):
        txs += [Tx("381.00", day, *TOESLAGEN, "huurtoeslag el Amrani"),
                Tx("131.00", day, *TOESLAGEN, "zorgtoeslag el Amrani"),
                Tx("412.00", day, *TOESLAGEN, "kindgebonden budget el Amrani"),
                Tx("131.00", day, *TOESLAGEN, "zorgtoeslag Jansen")]
    return txs


def sent_payments(var: Path) -> dict[str, dict]:
    """Every payment in the files released to the outbox, as the bank reads them: by end-to-end id."""
    found = {}
    for path in sorted((var / "outbox").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        for block in root.iter("{*}PmtInf"):
            day = date.fromisoformat(block.find("{*}ReqdExctnDt").findtext("{*}Dt") or
                                     block.findtext("{*}ReqdExctnDt"))
            for tx in block.iter("{*}CdtTrfTxInf"):
                found[tx.findtext("{*}PmtId/{*}EndToEndId")] = {
                    "day": day, "amount": tx.findtext("{*}Amt/{*}InstdAmt"),
                    "iban": tx.findtext("{*}CdtrAcct/{*}Id/{*}IBAN"), "name": tx.findtext("{*}Cdtr/{*}Nm")}
    return found


def section_rows(html: str, section: str) -> list[tuple[str, str, str]]:
    """(title, amount, status) of each row in a section of the page."""
    found = re.search(rf'<section aria-labelledby="{section}">(.*?)</section>', html, flags=re.S)
    if not found:
        return []
    rows = re.findall(r'<span class="row-title">(.*?)</span> <span class="row-amount">(.*?)</span>.*?'
                      r'<p class="row-status"><span class="mark" aria-hidden="true"></span>(.*?)</p>',
                      found.group(1), flags=re.S)
    return [(unescape(t), unescape(a), unescape(s)) for t, a, s in rows]


class Bank:
    """What the test's bank has said so far: the truth each row is held to."""

    def __init__(self) -> None:
        self.confirmed: dict[str, date] = {}  # end-to-end id -> booking date of the debit
        self.returned: dict[str, date] = {}
        self.newest: date | None = None  # newest value date on any imported statement

    def expected(self, e2e: str | None, execution: date, day: date, sent: dict[str, dict]) -> str:
        if e2e in self.returned:
            return "Teruggekomen"
        if e2e in self.confirmed:
            return f"Betaald op {day_words(self.confirmed[e2e], 'nl', weekday=False)}"
        if e2e in sent and execution <= day:
            return "Opdracht gegeven"
        return "Gepland"


def hhb(store_url, *args):
    result = runner.invoke(cli, [*args, "--db", store_url])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def test_three_personas_day_by_day_rows_freshness_and_the_bad_month(store_url, tmp_path, personas):
    hhb(store_url, "onboard", *map(str, personas))
    var = tmp_path / "var"
    bank = Bank()
    pending_statements: list[Path] = []
    app = create_app(db_url=store_url)
    engine = app.state.context.engine
    tokens = {d: access.issue(engine, "participant", NAMES[d], "test", dossier=d, valid_days=90)[0] for d in NAMES}
    client = TestClient(app)
    checked = {"rows": 0, "stale_days": [], "stories": {}, "words": set()}
    day = FIRST
    while day <= LAST:
        hhb(store_url, "reconcile", "--date", day.isoformat())
        release_pending(store_url)
        sent = sent_payments(var)
        if is_business_day(day):  # the bank executes what the files ask for today, and says so
            txs = incomes_on(day)
            for e2e, p in sorted(sent.items()):
                if p["day"] == day:
                    txs.append(Tx(f"-{p['amount']}", day, p["iban"], p["name"], "", end_to_end_id=e2e))
            if day == RETURNED_ON:
                back, p = next((e, p) for e, p in sent.items() if p["day"] == RETURNED_PART and p["iban"] ==
                               "NL60RABO0001234561")
                txs.append(Tx(p["amount"], day, p["iban"], p["name"], "retour", end_to_end_id=back))
            path = tmp_path / f"s{day}.xml"
            path.write_bytes(camt053(txs, statement_id=f"s{day}"))
            pending_statements.append(path)
            if day not in OUTAGE:
                hhb(store_url, "import", *map(str, pending_statements), "--date", day.isoformat())
                for statement in pending_statements:
                    booked = date.fromisoformat(statement.stem[1:])
                    for e2e, p in sent.items():
                        if p["day"] == booked:
                            bank.confirmed.setdefault(e2e, booked)
                    if b"<Ntry>" in statement.read_bytes():  # the newest value date is how fresh data is
                        bank.newest = max(bank.newest or booked, booked)
                if day == RETURNED_ON:
                    bank.returned[back] = day
                pending_statements = []
        for dossier in NAMES:
            html = client.get(f"/p/{tokens[dossier]}?date={day.isoformat()}&lang=nl").text
            check_rows(engine, dossier, html, day, bank, sent, checked)
            # more than two business days old: a third business day has begun since
            stale = bank.newest is not None and add_business_days(bank.newest, 3) <= day
            warning = re.search(r'<p class="note warning" id="stale"[^>]*>(.*?)</p>', html, flags=re.S)
            assert bool(warning) == stale, (dossier, day)
            if stale:
                checked["stale_days"].append(day)
                assert unescape(warning.group(1)).startswith(
                    f"Let op: wij hebben sinds {day_words(bank.newest, 'nl', year=True)} geen nieuwe gegevens "
                    "van de bank.")
            story = re.search(r'<section class="story" id="story"[^>]*>(.*?)</section>', html, flags=re.S)
            if dossier == THREE and story:
                checked["stories"][day] = re.sub(r"[ \n]+", " ", unescape(re.sub(r"<[^>]+>", " ", story.group(1)))).strip()
        if day == date(2026, 12, 10):
            checked["english"] = unescape(client.get(f"/p/{tokens[THREE]}?date=2026-12-10&lang=en").text)
        day += timedelta(days=1)

    # every kind of truth was met on the way
    assert checked["rows"] > 100
    assert checked["words"] == {"Gepland", "Opdracht gegeven", "Betaald", "Teruggekomen"}
    # the outage week: Friday 4 December was the newest data until the Monday after; more
    # than two business days old from Wednesday 9 December to Sunday 13 December (and a
    # quiet weekend, Saturday after Wednesday's data, is not)
    stale_days = set(checked["stale_days"])
    assert {date(2026, 12, 9) + timedelta(days=n) for n in range(5)} <= stale_days
    assert date(2026, 12, 8) not in stale_days and date(2026, 11, 28) not in stale_days
    assert_the_bad_month_explains_itself(checked["stories"])
    english = checked["english"]
    assert "Please note: we have had no new information from the bank since Friday 4 December 2026." in english
    assert "An advance (voorschot) is money the municipality pays for you when too little comes in." in english
    assert f"Your benefit came in on 3 December. From it, {money(Money('1034.50'), 'en')} of the advance was " \
           f"paid back and your leefgeld was topped up with {money(Money('85.50'), 'en')}." in english
    engine.close()


def check_rows(engine, dossier: str, html: str, day: date, bank: Bank, sent: dict[str, dict], checked) -> None:
    household = engine.household(dossier)
    instructions = list(household.instructions.values())
    by_charge = {(i.agreement_id, i.period): i for i in instructions if i.kind in ("charge", "arrears")}
    # the bills: each row's instruction found by what the row shows (agreement label, amount)
    rows = section_rows(html, "s-charges")
    for title, amount, status in rows:
        if status.startswith("Nog niet betaald"):  # arrears: no payment to speak of
            continue
        candidates = [i for (agreement, period), i in by_charge.items()
                      if money(i.amount, "nl") == amount and agreement and title.lower().startswith(agreement[:4])
                      and i.pay_date <= day]
        if not candidates:
            assert status.startswith("Gepland"), (dossier, day, title, status)
            continue
        instruction = max(candidates, key=lambda i: i.pay_date)
        want = bank.expected(instruction.end_to_end_id, instruction.execution_date, day, sent)
        if want == "Teruggekomen":
            want = "Nog niet betaald"
        assert status.startswith(want), (dossier, day, title, status, want)
        checked["rows"] += 1
        checked["words"].add(want.split(" op ")[0])
    # the weekly leefgeld (persona 1): each part's row by its day
    for title, amount, status in section_rows(html, "s-parts"):
        part = next(i for i in instructions if i.kind == "leefgeld" and money(i.amount, "nl") == amount
                    and day_words(i.execution_date, "nl") == title)
        want = bank.expected(part.end_to_end_id, part.execution_date, day, sent)
        assert status.startswith(want), (dossier, day, title, status, want)
        checked["rows"] += 1
        checked["words"].add(want.split(" op ")[0])
    # a monthly leefgeld: the line under the big number
    monthly = [i for i in instructions if i.kind == "leefgeld" and i.pay_date <= day and household.leefgeld_schedule
               == "monthly" and i.execution_date <= day]
    if monthly:
        last = max(monthly, key=lambda i: i.execution_date)
        want = bank.expected(last.end_to_end_id, last.execution_date, day, sent)
        if want.startswith("Betaald op"):
            assert f"Op uw rekening gezet op {day_words(bank.confirmed[last.end_to_end_id], 'nl')}" in html
        elif want == "Opdracht gegeven":
            assert "De bank heeft het nog niet bevestigd." in html and "Op uw rekening gezet" not in html
        checked["rows"] += 1


def assert_the_bad_month_explains_itself(stories: dict[date, str]) -> None:
    """Persona 3: the November benefit (1,120.00) is not there on the pay date of 1
    December; the buffer advances the rent 598.60, the insurance 139.90, the energy 96.00
    and the minimum leefgeld 200.00: 1,034.50. It comes in on 3 December; the next night
    repays the advance from it in full and tops the leefgeld up with the rest, 85.50."""
    eur = lambda text: money(Money(text), "nl")  # noqa: E731
    advanced = Money("598.60") + Money("139.90") + Money("96.00") + Money("200.00")
    assert advanced == Money("1034.50")
    rest = Money("1120.00") - advanced
    before = stories[date(2026, 12, 2)]
    assert before.startswith(f"Uw uitkering was er op 1 december nog niet. De gemeente gaf {eur('1034.50')} "
                             "voorschot om uw vaste lasten en leefgeld te betalen.")
    assert f"U moet nog {eur('1034.50')} voorschot terugbetalen." in before
    assert "Een voorschot is geld dat de gemeente voor u betaalt als er te weinig binnenkomt." in before
    # the day it came in, before the night that uses it
    assert stories[date(2026, 12, 3)].startswith(
        f"Uw uitkering was er op 1 december nog niet; het kwam op 3 december. De gemeente gaf {eur('1034.50')} ")
    after = stories[date(2026, 12, 4)]
    assert after.startswith(f"Uw uitkering kwam op 3 december. Daarvan is {eur('1034.50')} voorschot "
                            f"terugbetaald en {money(rest, 'nl')} leefgeld aangevuld.")
    assert "voorschot terugbetalen" not in after  # nothing is owed any more
    # the December benefit less the rent, insurance and energy of January's cycle
    coming = Money("1120.00") - Money("598.60") - Money("139.90") - Money("96.00")
    assert f"Uw volgende leefgeld komt op 31 december: ongeveer {money(coming, 'nl')}." in after
    assert stories[date(2026, 12, 18)] == after  # the month keeps its explanation
    assert Decimal(str(rest.amount)) == Decimal("85.50")


def test_stale_counts_target2_business_days_not_calendar_days():
    """Christmas: data of Thursday 24 December 2026 is two business days old until Tuesday
    29 December (25 December and the weekend are closing days), more from Wednesday 30."""
    from huishoudboekje.projections.left import stale

    thursday = date(2026, 12, 24)
    assert not any(stale(thursday, thursday + timedelta(days=n)) for n in range(6))  # through Tuesday 29
    assert stale(thursday, date(2026, 12, 30))
    assert not stale(None, date(2026, 12, 30)) and not stale(date(2026, 12, 31), date(2026, 12, 30))
