"""The printable monthly overview of the single parent (persona 1, `hhb demo`): what a
participant reads on it in the first days of December, and its PDF on A4.

The demo onboards the personas, imports their November incomes and runs the pay date of
1 December; persona 1 gets weekly leefgeld (1, 8, 15, 22 and 29 December)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from html import unescape

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.overview import render_overview
from adapters.store import open_engine
from huishoudboekje.domain.money import Money
from huishoudboekje import teams
from huishoudboekje.reports import monthly_overview

runner = CliRunner()
DOSSIER = "HHB-DEMO-0001"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("overview")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        result = runner.invoke(app, ["demo", "--db", db])
        assert result.exit_code == 0, result.output
        engine = open_engine(db, tmp / "var")
        try:
            yield {"db": db, "engine": engine, "tmp": tmp}
        finally:
            engine.close()


def text(html: str) -> str:
    """What a person reads: no tags, no style, one space between words."""
    html = re.sub(r"(?s)<style>.*?</style>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ").split())


def test_the_december_overview_made_on_5_december_shows_the_later_leefgeld_as_planned(demo):
    overview = monthly_overview(demo["engine"], DOSSIER, "2026-12", date(2026, 12, 5))
    states = [(row["date"].day, row["status"]) for row in overview["leefgeld"]]
    assert states == [(1, "sent"), (8, "planned"), (15, "planned"), (22, "planned"), (29, "planned")]
    part = overview["leefgeld"][1]["amount"]
    assert overview["planned_leefgeld"] == part + part + part + part  # exact, nothing rounded
    assert overview["total_leefgeld"] == sum((r["amount"] for r in overview["leefgeld"]), Money.zero())
    words = text(render_overview(overview, "nl"))
    for day in (8, 15, 22, 29):
        assert f"Gepland op {day} december 2026. Nog niet betaald." in words
        assert f"Betaald op {day} december" not in words
    assert "Opdracht aan de bank gegeven op 1 december 2026" in words
    english = text(render_overview(overview, "en"))
    assert "Planned for 8 December 2026. Not paid yet." in english
    # made on 29 December, nothing is planned any more
    late = monthly_overview(demo["engine"], DOSSIER, "2026-12", date(2026, 12, 29))
    assert {row["status"] for row in late["leefgeld"]} == {"sent"} and late["planned_leefgeld"] == Money.zero()


def test_november_says_its_money_was_kept_for_the_pay_date_of_1_december(demo):
    before = monthly_overview(demo["engine"], DOSSIER, "2026-11", date(2026, 11, 30))
    after = monthly_overview(demo["engine"], DOSSIER, "2026-11", date(2026, 12, 5))
    assert before["total_in"] == Money("2114.00") and before["leefgeld"] == []
    assert before["kept"] == [{"pay_date": date(2026, 12, 1), "amount": Money("2114.00")}]
    words = text(render_overview(before, "nl"))
    assert "Wij bewaren € 2.114,00 voor de betaaldag van 1 december 2026." in words
    assert "Deze maand had u nog geen betaaldag. Daarom kreeg u deze maand geen leefgeld." in words
    assert "Deze maand was er geen leefgeld over" not in words
    assert "Wij bewaarden € 2.114,00 voor de betaaldag van 1 december 2026." in text(render_overview(after, "nl"))
    assert "We kept €2,114.00 for the pay date of 1 December 2026." in text(render_overview(after, "en"))
    # December's own money went into December's pay date: nothing of it is said to be kept
    assert monthly_overview(demo["engine"], DOSSIER, "2026-12", date(2026, 12, 5))["kept"] == []


def test_incomes_and_charges_are_named_by_their_agreement_not_their_category(demo):
    overview = monthly_overview(demo["engine"], DOSSIER, "2026-11", date(2026, 12, 5))
    assert {r["what"] for r in overview["came_in"]} >= {"toeslag"}  # three allowances, one category
    html = render_overview(overview, "nl")
    titles = re.findall(r'<span class="row-title">([^<]*)</span>', html)
    assert titles == ["Huurtoeslag", "Kindgebonden budget", "Zorgtoeslag", "Bijstand"]
    english = re.findall(r'<span class="row-title">([^<]*)</span>', render_overview(overview, "en"))
    assert english == ["Housing allowance", "Child budget", "Healthcare allowance", "Social assistance"]


def test_the_overview_shows_the_reserves_after_the_pay_date(demo):
    overview = monthly_overview(demo["engine"], DOSSIER, "2026-12", date(2026, 12, 5))
    household = demo["engine"].household(DOSSIER)
    assert overview["reserves"] and {r["agreement"]: r["amount"] for r in overview["reserves"]} == \
        {k: v for k, v in household.reserves.items() if v.is_positive}  # nothing has changed them since
    words = text(render_overview(overview, "nl"))
    water = overview["reserves"][0]
    assert water["agreement"] == "water"
    assert "Wij sparen voor u Sommige rekeningen komen niet elke maand." in words
    assert f"Water € {str(water['amount']).replace('.', ',')} Gespaard" in words


def test_the_pdf_is_a4_and_carries_dossier_period_date_made_and_contact(demo):
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        if os.environ.get("HHB_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail("HHB_TEST_REQUIRE_BROWSER=1 but Chromium is missing")
        pytest.skip("no Chromium for PDF output")
    pypdf = pytest.importorskip("pypdf")
    for lang, period, made in (("nl", "Periode: 1 december 2026 tot en met 31 december 2026",
                                "Gemaakt op: 5 december 2026"),
                               ("en", "Period: 1 December 2026 to 31 December 2026", "Made on: 5 December 2026")):
        target = demo["tmp"] / f"overzicht-{lang}.pdf"
        result = runner.invoke(app, ["overview", DOSSIER, "--month", "2026-12", "--date", "2026-12-05",
                                     "--lang", lang, "--format", "pdf", "-o", str(target), "--db", demo["db"]])
        assert result.exit_code == 0, result.output
        pdf = pypdf.PdfReader(target)
        for page in pdf.pages:
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
        first = " ".join(pdf.pages[0].extract_text().split())
        assert DOSSIER in first and period in first and made in first
        contact = teams.contact(demo["engine"], demo["engine"].household(DOSSIER))
        assert contact["phone"]  # the demo's teams have a contact card
        for key, value in contact.items():  # whatever the team register holds for it
            if value and not key.endswith("_href"):
                assert " ".join(str(value).split()) in first, (key, value)


def test_the_cli_keeps_writing_the_overview_as_html_for_staff(demo):
    result = runner.invoke(app, ["overview", DOSSIER, "--month", "2026-12", "--date", "2026-12-05",
                                 "--db", demo["db"]])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>") and "<style>" in result.stdout  # stands on its own
    assert "Uw overzicht van december 2026" in result.stdout and 'lang="nl"' in result.stdout
    bad = runner.invoke(app, ["overview", DOSSIER, "--month", "2026-12", "--lang", "de", "--db", demo["db"]])
    assert bad.exit_code == 2 and "--lang" in bad.output
    month = runner.invoke(app, ["overview", DOSSIER, "--month", "2026-13", "--db", demo["db"]])
    assert month.exit_code == 2 and "--month" in month.output
