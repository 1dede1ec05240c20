"""Debits that are not ours (issue 20), from statement to participant page, on SQLite and
PostgreSQL, with exact amounts.

Three copies of the example household (pay day 1; bijstand 1,320.50, zorgtoeslag 131.00;
rent 712.40 and a quarterly water bill, 20.40 a month reserved: 718.70 leefgeld on
1 December 2026 when nothing is taken) each lose money to someone else in November:

- A: the tax office sets off 48.00 against A's zorgtoeslag: the import matches it by
  itself (the allowance's IBAN and terms) and books it as a verrekening;
- B: a bailiff garnishes 120.00: the import leaves it in the queue, staff book it
  through the API as beslag;
- C: the bank charges 4.95: staff book it with `hhb book TX DOSSIER --deduction bankkosten`.

The pay date sees less, the coach gets a signal, the participant page, `hhb left` and the
monthly overview say it in plain words, and the balance check is in order at every step.
"""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.api.app import create_app
from adapters.cli import app as cli
from huishoudboekje import access
from huishoudboekje.domain.ids import household_id
from tests.factories import MANAGED, Tx, camt053

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
BAILIFF = ("NL02ABNA0123456789", "Deurwaarderskantoor Janssen")
A, B, C = "HHB-2026-0001", "HHB-2026-0002", "HHB-2026-0003"
NAMES = {A: "Sanne de Vries", B: "Karim Bouzid", C: "Yara Smit"}
IBANS = {A: "NL44RABO0123456789", B: "NL17RABO0123456790", C: "NL60RABO0001234561"}
CLAWBACK = "Verrekening zorgtoeslag 2025 HHB-2026-0001"
GARNISHMENT = "Beslag HHB-2026-0002 vonnis 77/2026"
COSTS = "Kosten betalingsverkeer november"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args):
    result = runner.invoke(cli, [*args, "--db", store_url])
    assert result.exit_code == 0, result.output
    return result


def cli_json(store_url, *args):
    return json.loads(hhb(store_url, *args, "--json").stdout)


def copy_of(tmp_path: Path, dossier: str) -> Path:
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text()
    path = tmp_path / f"{dossier}.yaml"
    path.write_text(text.replace(A, dossier).replace(NAMES[A], NAMES[dossier]).replace(IBANS[A], IBANS[dossier]))
    return path


def november() -> bytes:
    txs = []
    for dossier in (A, B, C):
        txs += [Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"{dossier} zorgtoeslag november"),
                Tx("1320.50", date(2026, 11, 30), *GEMEENTE, f"Bijstand {dossier} november")]
    txs += [Tx("-48.00", date(2026, 11, 24), *TOESLAGEN, CLAWBACK),
            Tx("-120.00", date(2026, 11, 25), *BAILIFF, GARNISHMENT),
            Tx("-4.95", date(2026, 11, 30), None, None, COSTS)]
    return camt053(txs, statement_id="nov")


def balance(store_url) -> dict:
    [check] = cli_json(store_url, "balance")["accounts"]
    return check


def section_rows(html: str, section: str) -> list[tuple[str, str, str]]:
    """(title, amount, status) of each row in a section of the page."""
    found = re.search(rf'<section aria-labelledby="{section}"[^>]*>(.*?)</section>', html, flags=re.S)
    if not found:
        return []
    rows = re.findall(r'<span class="row-title">(.*?)</span> <span class="row-amount">(.*?)</span>.*?'
                      r'<p class="row-status"><span class="mark" aria-hidden="true"></span>(.*?)</p>',
                      found.group(1), flags=re.S)
    return [(unescape(t), unescape(a), re.sub(r"[ \t\n]+", " ", unescape(s)).strip()) for t, a, s in rows]


def hero_amount(html: str) -> str:
    return unescape(re.search(r'id="left-amount"[^>]*>(.*?)<', html).group(1))


@pytest.fixture
def pages(store_url):
    """`pages(dossier, query, path)`: the participant's page through their own link, read by
    an app started on first use (after every write the test makes through the CLI)."""
    started = {}

    def get(dossier: str, query: str = "", path: str = "") -> str:
        if not started:
            app = create_app(db_url=store_url)
            started["app"], started["client"] = app, TestClient(app)
            engine = app.state.context.engine
            started["tokens"] = {d: access.issue(engine, "participant", NAMES[d], "test", dossier=d, valid_days=30)[0]
                                 for d in (A, B, C) if engine.get_or_none(household_id(d)) is not None}
        page = started["client"].get(f"/p/{started['tokens'][dossier]}{path}{query}")
        assert page.status_code == 200, page.text
        return page.text

    yield get
    if started:
        started["app"].state.context.engine.close()


@pytest.fixture
def imported(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"), str(copy_of(tmp_path, B)),
        str(copy_of(tmp_path, C)))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(november())
    counts = cli_json(store_url, "import", str(statement))
    return store_url, counts


def test_a_clawback_a_garnishment_and_bank_costs_go_from_statement_to_the_participant_page(imported, pages):
    store_url, counts = imported
    # The clawback names the allowance and the person: booked by itself; the others wait.
    assert (counts["matched"], counts["unmatched"]) == (7, 2)
    queue = {row["description"]: row for row in cli_json(store_url, "unmatched")}
    assert set(queue) == {GARNISHMENT, COSTS}
    assert "a debit that is not one of our payment instructions" in queue[GARNISHMENT]["reason"]
    check = balance(store_url)  # the open items explain the bank; nothing unexplained
    assert (check["difference"], check["open_total"], check["in_order"]) == ("0.00", "-124.95", False)

    # B's garnishment through the API, C's bank costs through the CLI.
    app = create_app(db_url=store_url)
    try:
        staff, _ = access.issue(app.state.context.engine, "staff", "m.bakker", "test", team="Wijkteam Noord")
        with TestClient(app) as client:
            answer = client.post(f"/api/v1/unmatched/{queue[GARNISHMENT]['transaction']}/deduct",
                                 json={"dossier": B, "kind": "beslag"}, headers={"Authorization": f"Bearer {staff}"})
            assert answer.status_code == 200, answer.text
            assert (answer.json()["outcome"], answer.json()["dossier"]) == ("deduction", B)
    finally:
        app.state.context.engine.close()
    booked = json.loads(hhb(store_url, "book", queue[COSTS]["transaction"], C, "--deduction", "bankkosten").stdout)
    assert (booked["outcome"], booked["dossier"], booked["agreement"]) == ("deduction", C, None)
    assert cli_json(store_url, "unmatched") == []
    assert balance(store_url)["in_order"]

    # The coach hears of each, a clawback and a garnishment louder than bank costs.
    for dossier, kind, severity, amount in ((A, "verrekening", "high", "48.00"), (B, "beslag", "high", "120.00"),
                                            (C, "bankkosten", "low", "4.95")):
        [signal] = [s for s in cli_json(store_url, "signals", "--dossier", dossier) if s["rule"] == "deduction-booked"]
        assert (signal["severity"], signal["amount"], signal["details"]["kind"], signal["status"]) == \
            (severity, amount, kind, "open")

    # Before the pay date: hhb left says what comes off it, and the forecast expects less.
    left = cli_json(store_url, "left", A, "--date", "2026-11-30")
    [deduction] = left["deductions"]
    assert (deduction["kind"], deduction["amount"], deduction["pending"]) == ("verrekening", "48.00", "48.00")
    assert deduction["text"]["nl"] == ("De Belastingdienst heeft €\u00a048,00 verrekend met uw zorgtoeslag. Dit "
                                       "bedrag gaat af van het geld voor uw betaaldag van 1 december.")
    assert deduction["text"]["en"] == ("The tax office set off €48.00 against your healthcare allowance. This "
                                       "amount comes off the money for your pay date of 1 December.")
    assert left["forecast"]["expected_leefgeld"] == "670.70"

    hhb(store_url, "reconcile", "--date", "2026-12-01")
    leefgeld = {dossier: cli_json(store_url, "left", dossier, "--date", "2026-12-02")["leefgeld"]["paid"]
                for dossier in (A, B, C)}
    assert leefgeld == {A: "670.70", B: "598.70", C: "713.75"}  # 718.70 less 48.00, 120.00, 4.95
    assert balance(store_url)["in_order"]
    the_pages_say_what_was_taken(pages)


def the_pages_say_what_was_taken(pages) -> None:
    """After the pay date of 1 December: each page's leefgeld, and the sentence on what was taken."""
    html = pages(A, "?date=2026-12-02")
    assert hero_amount(html) == "€\u00a0670,70"
    assert section_rows(html, "s-deducted") == [(
        "Verrekening", "€\u00a048,00", "De Belastingdienst heeft €\u00a048,00 verrekend met uw zorgtoeslag. Dit "
        "bedrag ging af van het geld voor uw betaaldag van 1 december.")]
    assert section_rows(pages(A, "?date=2026-12-02&lang=en"), "s-deducted") == [(
        "Set-off", "€48.00", "The tax office set off €48.00 against your healthcare allowance. This amount came "
        "off the money for your pay date of 1 December.")]
    html = pages(B, "?date=2026-12-02&lang=nl")
    assert hero_amount(html) == "€\u00a0598,70"
    assert section_rows(html, "s-deducted") == [(
        "Beslag", "€\u00a0120,00", "Er is beslag gelegd op uw geld. Deurwaarderskantoor Janssen kreeg daardoor "
        "€\u00a0120,00. Dit bedrag ging af van het geld voor uw betaaldag van 1 december.")]
    html = pages(C, "?date=2026-12-02&lang=nl")
    assert hero_amount(html) == "€\u00a0713,75"
    assert section_rows(html, "s-deducted") == [(
        "Bankkosten", "€\u00a04,95", "De bank heeft €\u00a04,95 kosten afgeschreven. Dit bedrag ging af van het "
        "geld voor uw betaaldag van 1 december.")]

    # The monthly overview of November says the same, with the day it was taken.
    overview = pages(A, "?month=2026-11&lang=nl", "/overzicht")
    assert section_rows(overview, "s-deducted") == [(
        "Verrekening", "€\u00a048,00", "De Belastingdienst heeft €\u00a048,00 verrekend met uw zorgtoeslag. "
        "Afgeschreven op 24 november 2026.")]


def test_bank_costs_undone_after_the_pay_date_come_back_to_the_household(imported):
    """Staff decide the 4.95 is the municipality's after all: undone, C gets it back on its
    next pay date, and the costs are marked the municipality's own; the books match the bank."""
    store_url, _ = imported
    costs = {row["description"]: row["transaction"] for row in cli_json(store_url, "unmatched")}[COSTS]
    hhb(store_url, "book", costs, C, "--deduction", "bankkosten")
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    undone = json.loads(hhb(store_url, "book", costs, "--undo", "--reason", "kosten van de gemeente").stdout)
    assert undone["outcome"] == "unmatched"
    [signal] = [s for s in cli_json(store_url, "signals", "--dossier", C) if s["rule"] == "deduction-booked"]
    assert signal["status"] == "resolved"
    hhb(store_url, "book", costs, "--municipality", "--reason", "kosten betalingsverkeer")
    check = balance(store_url)  # explained to the cent; only B's garnishment is still open
    assert check["difference"] == "0.00" and [i["description"] for i in check["open_items"]] == [GARNISHMENT]
    left = cli_json(store_url, "left", C, "--date", "2026-12-02")
    assert left["deductions"] == [] and left["forecast"]["expected_leefgeld"] == "723.65"  # 718.70 and the 4.95


def test_a_garnished_benefit_is_expected_net_matched_without_deviating_and_said_on_the_page(store_url, tmp_path,
                                                                                         pages):
    """The document says the bailiff gets 75.00 of every bijstand: the payer pays 1,245.50,
    which is booked as expected, forecast as such, and explained to the participant."""
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text()
    text = text.replace("    match: {terms: [HHB-2026-0001]}\n",
                        "    match: {terms: [HHB-2026-0001]}\n"
                        "    withheld: {amount: \"75.00\", kind: beslag, by: Deurwaarderskantoor Janssen}\n", 1)
    document = tmp_path / "garnished.yaml"
    document.write_text(text)
    hhb(store_url, "onboard", str(document))
    [bijstand] = [a for a in cli_json(store_url, "show", A)["agreements"] if a["id"] == "bijstand"]
    assert bijstand["withheld"] == {"amount": "75.00", "kind": "beslag", "by": "Deurwaarderskantoor Janssen"}
    assert cli_json(store_url, "left", A, "--date", "2026-11-02")["forecast"]["expected_leefgeld"] == "643.70"
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053([Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"{A} zorgtoeslag"),
                                   Tx("1245.50", date(2026, 11, 30), *GEMEENTE, f"Bijstand {A} november")]))
    assert cli_json(store_url, "import", str(statement))["matched"] == 2
    history = cli_json(store_url, "history", A)["events"]
    booked = [e for e in history if e["event"] == "IncomeBooked" and "bijstand" in e["details"]]
    assert len(booked) == 1 and "deviates=False" in booked[0]["details"] and "expected=1245.50" in booked[0]["details"]
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    assert not [s for s in cli_json(store_url, "signals", "--dossier", A) if s["rule"] == "income-deviates"]
    html = pages(A, "?date=2026-12-02&lang=nl")
    assert hero_amount(html) == "€\u00a0643,70"  # 718.70 less the 75.00 the bailiff gets
    assert ("Bijstand", "€\u00a01.245,50", "Binnengekomen op 30 november. Er wordt elke keer €\u00a075,00 ingehouden "
            "voor Deurwaarderskantoor Janssen.") in section_rows(html, "s-in")


def test_a_debit_naming_two_households_waits_for_staff_with_both_as_candidates(imported, tmp_path):
    store_url, _ = imported
    statement = tmp_path / "dec.xml"
    statement.write_bytes(camt053([Tx("-48.00", date(2026, 12, 3), *TOESLAGEN,
                                      f"Verrekening zorgtoeslag {A} {B}")], statement_id="dec"))
    assert cli_json(store_url, "import", str(statement))["unmatched"] == 1
    [waiting] = [r for r in cli_json(store_url, "unmatched") if r["description"].startswith("Verrekening")]
    assert waiting["candidates"] == [f"{A}/zorgtoeslag", f"{B}/zorgtoeslag"]
    assert "2 agreements match" in waiting["reason"]


def refused(store_url, *args) -> str:
    result = runner.invoke(cli, [*args, "--db", store_url])
    assert result.exit_code == 2, result.output
    return " ".join(result.stderr.split())


def test_what_cannot_be_a_deduction_is_refused_in_words_and_nothing_is_written(imported):
    store_url, _ = imported
    queue = {row["description"]: row["transaction"] for row in cli_json(store_url, "unmatched")}
    before = cli_json(store_url, "unmatched")
    assert "not one of verrekening, beslag, bankkosten, overig" in refused(
        store_url, "book", queue[COSTS], C, "--deduction", "boete")
    assert "not an income agreement" in refused(
        store_url, "book", queue[COSTS], C, "--deduction", "verrekening", "--agreement", "huur")
    assert "the agreement is given twice" in refused(
        store_url, "book", queue[COSTS], C, "zorgtoeslag", "--deduction", "verrekening", "--agreement", "bijstand")
    assert "only credits are booked as income" in refused(store_url, "book", queue[COSTS], C, "zorgtoeslag")
    assert cli_json(store_url, "unmatched") == before  # nothing written
    hhb(store_url, "book", queue[COSTS], C, "--deduction", "bankkosten")
    assert "is deduction already; undo that first" in refused(
        store_url, "book", queue[COSTS], B, "--deduction", "bankkosten")
    income = [e for e in cli_json(store_url, "history", A)["events"] if e["event"] == "IncomeBooked"]
    transaction = re.search(r"transaction_id=(\S+?),", income[0]["details"]).group(1)
    hhb(store_url, "book", transaction, "--undo")  # the zorgtoeslag back in the queue: a credit
    assert "is a credit" in refused(store_url, "book", transaction, A, "--deduction", "overig")


def test_through_the_api_another_teams_household_is_not_there_and_a_kind_must_be_known(imported):
    store_url, _ = imported
    queue = {row["description"]: row["transaction"] for row in cli_json(store_url, "unmatched")}
    app = create_app(db_url=store_url)
    try:
        engine = app.state.context.engine
        zuid, _ = access.issue(engine, "staff", "z.staff", "test", team="Wijkteam Zuid")
        noord, _ = access.issue(engine, "staff", "n.staff", "test", team="Wijkteam Noord")
        with TestClient(app) as client:
            path = f"/api/v1/unmatched/{queue[GARNISHMENT]}/deduct"
            as_zuid, as_noord = ({"Authorization": f"Bearer {token}"} for token in (zuid, noord))
            assert client.post(path, json={"dossier": B, "kind": "beslag"}, headers=as_zuid).status_code == 404
            assert client.post(path, json={"dossier": B, "kind": "boete"}, headers=as_noord).status_code == 422
            done = client.post(path, json={"dossier": B, "kind": "beslag", "agreement": "bijstand"}, headers=as_noord)
            assert done.status_code == 200 and done.json()["agreement"] == "bijstand"
            back = client.post(f"/api/v1/unmatched/{queue[GARNISHMENT]}/undo", json={"reason": "verkeerd"},
                               headers=as_noord)
            assert back.status_code == 200 and back.json()["outcome"] == "unmatched"
    finally:
        app.state.context.engine.close()


def test_the_history_shows_the_deduction_and_what_the_pay_date_took_of_it(imported):
    store_url, _ = imported
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    events = cli_json(store_url, "history", A)["events"]
    [booked] = [e for e in events if e["event"] == "DeductionBooked"]
    assert (booked["business_date"], booked["actor"]) == ("2026-11-24", "cli")  # the one who imported
    assert booked["details"].startswith("transaction_id=T202611-") and \
        "kind=verrekening, amount=48.00, on=2026-11-24, agreement_id=zorgtoeslag" in booked["details"]
    [run] = [e for e in events if e["event"] == "PayDateRun"]
    assert run["details"].endswith("deductions taken 48.00 (advanced 0.00)")
