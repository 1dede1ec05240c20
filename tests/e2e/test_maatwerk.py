"""Maatwerk (issue 22), end to end through the CLI on SQLite and PostgreSQL: a proposal,
three approvals by three disciplines of the team, the third writing its own pain.001,
the bank's confirmation, the six-month follow-up and the report, with exact amounts;
the refusals that write nothing; a team over budget; a return; a kill at the third
approval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from adapters.store import open_engine
from huishoudboekje.domain.maatwerk import case_id
from tests.e2e.test_reconcile import ROOT, check_pain, hhb, ok, payment_files
from tests.factories import MANAGED, Tx, camt053

NOORD, ZUID = "Wijkteam Noord", "Wijkteam Zuid"
A = "HHB-2026-0001"  # Noord
CREDITOR = ("NL91ABNA0417164300", "Advocatenkantoor Jansen")
PROPOSAL = f"""\
team: Wijkteam Noord
dossier: HHB-2026-0001          # or resident: {{name: ..., iban: ...}} for someone not in the programme
creditor: {{name: Advocatenkantoor Jansen, iban: NL91ABNA0417164300}}
amount: "450.00"
reference: "Factuur 2027-118"
category: wonen                 # wonen | rondkomen | gezond-leven | werken | leren-en-ontwikkelen
problem: De scheiding kan niet worden afgerond zonder betaling van de advocaat.
prevents: [huisuitzetting]      # items of the price list
participant_actions: Meldt zich bij de schuldhulp en houdt het huishoudboekje bij.
regular_provision_checked: true
"""
STAFF = [("Anna Zorg", "zorg", NOORD), ("Bram Schuld", "schuldhulp", NOORD), ("Cor Inkomen", "inkomen", NOORD),
         ("Dirk Zorg", "zorg", NOORD), ("Eva Inkomen", "inkomen", ZUID)]
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def cli(store_url, *args):
    return json.loads(ok(hhb(store_url, *args)).stdout)


def refused(store_url, *args, says):
    result = hhb(store_url, *args)
    assert result.exit_code == 2, result.output
    assert says in result.output, result.output
    return result.output


@pytest.fixture
def team(store_url, tmp_path):
    ok(hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"),
           str(ROOT / "personas" / "persona-2-nuluren.yaml")))
    for name, discipline, team_name in STAFF:
        ok(hhb(store_url, "users", "add", "--name", name, "--email", f"{name.split()[0].lower()}@example.nl",
               "--role", "staff", "--team", team_name, "--discipline", discipline))
    return store_url


def propose(store_url, tmp_path, text=PROPOSAL, actor="Anna Zorg", name="voorstel.yaml", day="2026-12-03"):
    path = tmp_path / name
    path.write_text(text)
    return hhb(store_url, "maatwerk", "propose", str(path), "--actor", actor, "--date", day)


def approve(store_url, case, actor, *extra, at="2026-12-03T16:00"):
    return hhb(store_url, "maatwerk", "approve", case, "--actor", actor, "--at", at, *extra)


def show(store_url, case, day="2026-12-03"):
    return cli(store_url, "maatwerk", "show", case, "--date", day)


def case_events(store_url, tmp_path, case):
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        return [type(e).__name__ for e in engine.events.get(case_id(case))]
    finally:
        engine.close()


def test_a_case_from_proposal_to_report_with_exact_amounts(team, tmp_path):
    store_url = team
    assert json.loads(ok(propose(store_url, tmp_path)).stdout) == {"case": "MW-2026-0001", "status": "proposed"}
    assert json.loads(ok(approve(store_url, "MW-2026-0001", "Anna Zorg")).stdout)["status"] == "proposed"
    assert json.loads(ok(approve(store_url, "MW-2026-0001", "Bram Schuld")).stdout)["status"] == "proposed"
    assert payment_files(tmp_path) == []
    paid = json.loads(ok(approve(store_url, "MW-2026-0001", "Cor Inkomen")).stdout)
    name = "pain001-NL39BNGH0285009999-HHBMW20260001.xml"
    assert paid == {"case": "MW-2026-0001", "status": "paid", "approvals": 3, "payment_file": name,
                    "execution_date": "2026-12-04"}  # approved Thursday afternoon: executed Friday

    # The third approval wrote the file itself: XSD-valid, the creditor's IBAN and reference, one payment.
    [path] = payment_files(tmp_path)
    assert path.name == name
    count, total, [e2e] = check_pain(path)
    assert (count, total) == (1, Decimal("450.00"))
    tree = etree.parse(str(path))
    assert tree.findtext(".//p:CdtTrfTxInf/p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == CREDITOR[0]
    assert tree.findtext(".//p:CdtTrfTxInf/p:RmtInf/p:Ustrd", namespaces=NS) == "Factuur 2027-118"
    assert tree.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-12-04"
    assert e2e == show(store_url, "MW-2026-0001")["payment"]["end_to_end_id"]
    assert name in [f["name"] for f in cli(store_url, "payment-files", "--json")]

    # The household's own books are untouched: it is the team's money.
    household = cli(store_url, "show", A, "--json")
    assert household["buffer_outstanding"] == "0.00" and household["arrears"]["amount"] == "0.00"

    # The bank executes it on Friday: the statement confirms it, the balance check is in order.
    statement = tmp_path / "dec.xml"
    statement.write_bytes(camt053([Tx("-450.00", date(2026, 12, 4), *CREDITOR, "Factuur 2027-118", e2e)],
                                  opening="1000.00", statement_id="dec-4"))
    result = cli(store_url, "import", str(statement), "--json", "--date", "2026-12-04")
    assert result["payments_confirmed"] == 1 and result["unmatched"] == 0
    payment = show(store_url, "MW-2026-0001")["payment"]
    assert payment["status"] == "confirmed" and payment["confirmed_on"] == "2026-12-04"
    balance = cli(store_url, "balance", "--json")
    [check] = balance["accounts"]
    assert check["terms"]["maatwerk"] == "-450.00" and check["open_items"] == []
    assert check["in_order"] is True and check["difference"] == "0.00"

    # Six months on: due for the proposer, then recorded.
    assert cli(store_url, "maatwerk", "list", "--status", "follow-up-due", "--json", "--date", "2027-06-02") == []
    [due] = cli(store_url, "maatwerk", "list", "--status", "follow-up-due", "--json", "--date", "2027-06-03")
    assert due["case"] == "MW-2026-0001" and due["proposer"] == "Anna Zorg"
    followed = cli(store_url, "maatwerk", "follow-up", "MW-2026-0001", "--outcome", "better",
                   "--note", "Scheiding afgerond, huur op tijd", "--actor", "Anna Zorg", "--date", "2027-06-04")
    assert followed["follow_up"]["outcome"] == "better"
    assert cli(store_url, "maatwerk", "list", "--status", "follow-up-due", "--json", "--date", "2027-06-05") == []

    report = cli(store_url, "maatwerk", "report", "--team", NOORD, "--year", "2026", "--json", "--date", "2027-06-05")
    [noord] = report["teams"]
    assert {k: noord[k] for k in ("team", "budget", "spent", "remaining", "overrun", "avoided", "ratio", "cases")} \
        == {"team": NOORD, "budget": "15000.00", "spent": "450.00", "remaining": "14550.00", "overrun": "0.00",
            "avoided": "6000.00", "ratio": "13.33", "cases": 1}
    assert noord["by_category"]["wonen"] == {"cases": 1, "spent": "450.00", "avoided": "6000.00"}
    assert noord["by_month"] == {"2026-12": {"cases": 1, "spent": "450.00", "avoided": "6000.00"}}
    assert noord["avoided_by_item"] == {"huisuitzetting": "6000.00"}
    assert noord["outcomes"]["better"] == 1
    csv_out = ok(hhb(store_url, "maatwerk", "report", "--year", "2026", "--format", "csv")).stdout
    assert csv_out.splitlines() == ["team,year,month,category,cases,spent,avoided",
                                    "Wijkteam Noord,2026,2026-12,wonen,1,450.00,6000.00"]


def test_refusals_name_the_reason_and_write_nothing(team, tmp_path):
    store_url = team
    ok(propose(store_url, tmp_path))
    ok(approve(store_url, "MW-2026-0001", "Anna Zorg"))
    before = case_events(store_url, tmp_path, "MW-2026-0001")
    refused(store_url, "maatwerk", "approve", "MW-2026-0001", "--actor", "Anna Zorg", says="approved MW-2026-0001 already")
    refused(store_url, "maatwerk", "approve", "MW-2026-0001", "--actor", "Dirk Zorg", says="approved as zorg already")
    refused(store_url, "maatwerk", "approve", "MW-2026-0001", "--actor", "Eva Inkomen", says="is not in Wijkteam Noord")
    refused(store_url, "maatwerk", "approve", "MW-2026-0001", "--actor", "Nobody", says="no staff account")
    assert case_events(store_url, tmp_path, "MW-2026-0001") == before

    bad_iban = PROPOSAL.replace("NL91ABNA0417164300", "NL91ABNA0417164301")
    refused(store_url, *_propose_args(tmp_path, bad_iban, "iban.yaml"), says="creditor.iban")
    other_team = PROPOSAL.replace("HHB-2026-0001", "HHB-DEMO-0002")
    refused(store_url, *_propose_args(tmp_path, other_team, "other.yaml"),
            says="HHB-DEMO-0002 is not a household of Wijkteam Noord")
    refused(store_url, *_propose_args(tmp_path, PROPOSAL.replace('"450.00"', "450,00").replace("wonen ", "huis "),
                                      "two.yaml"), says="amount:")
    refused(store_url, *_propose_args(tmp_path, PROPOSAL, "zuid.yaml", actor="Eva Inkomen"),
            says="Eva Inkomen is in Wijkteam Zuid")
    assert [c["case"] for c in cli(store_url, "maatwerk", "list", "--json")] == ["MW-2026-0001"]

    ok(hhb(store_url, "users", "disable", "Bram Schuld"))
    refused(store_url, "maatwerk", "approve", "MW-2026-0001", "--actor", "Bram Schuld", says="disabled")


def _propose_args(tmp_path, text, name, actor="Anna Zorg"):
    path = tmp_path / name
    path.write_text(text)
    return ("maatwerk", "propose", str(path), "--actor", actor, "--date", "2026-12-03")


def test_a_resident_outside_the_programme_by_name_and_iban(team, tmp_path):
    store_url = team
    text = PROPOSAL.replace("dossier: HHB-2026-0001", "resident: {name: Piet Buiten, iban: NL44RABO0123456789}")
    assert json.loads(ok(propose(store_url, tmp_path, text)).stdout)["status"] == "proposed"
    assert show(store_url, "MW-2026-0001")["resident"] == {"name": "Piet Buiten", "iban": "NL44RABO0123456789"}


def _pay(store_url, tmp_path, text, name, case, *extra):
    ok(propose(store_url, tmp_path, text, name=name))
    ok(approve(store_url, case, "Anna Zorg"))
    ok(approve(store_url, case, "Bram Schuld"))
    return approve(store_url, case, "Cor Inkomen", *extra)


def test_over_budget_is_paid_with_its_reason_and_the_team_lead_hears_of_it_and_a_return_gives_back(team, tmp_path):
    store_url = team
    assert cli(store_url, "maatwerk", "budget", NOORD, "--year", "2026", "--amount", "500.00")["budget"] == "500.00"
    ok(_pay(store_url, tmp_path, PROPOSAL, "one.yaml", "MW-2026-0001"))
    second = PROPOSAL.replace('"450.00"', '"100.00"').replace("category: wonen", "category: rondkomen") \
        .replace("[huisuitzetting]", "[afsluiting-energie, deurwaarder]")
    out = refused(store_url, *_third(tmp_path, store_url, second), says="reason: paying 100.00 takes Wijkteam Noord")
    assert "over its maatwerk budget" in out and payment_files(tmp_path)[1:] == []
    assert show(store_url, "MW-2026-0002")["status"] == "proposed"
    paid = json.loads(ok(approve(store_url, "MW-2026-0002", "Cor Inkomen", "--reason",
                                 "Afsluiting dreigt morgen; het budget van volgend jaar vangt het op")).stdout)
    assert paid["status"] == "paid"
    case = show(store_url, "MW-2026-0002")
    assert case["over_budget"]["overrun"] == "50.00" and case["over_budget"]["reason"].startswith("Afsluiting")
    signals = [s for s in cli(store_url, "signals", "--json") if s["rule"] == "maatwerk-over-budget"]
    assert len(signals) == 1 and signals[0]["details"]["case"] == "MW-2026-0002"
    [noord] = cli(store_url, "maatwerk", "report", "--team", NOORD, "--year", "2026", "--json")["teams"]
    assert (noord["spent"], noord["overrun"], noord["avoided"]) == ("550.00", "50.00", "6990.00")
    assert noord["by_category"]["rondkomen"] == {"cases": 1, "spent": "100.00", "avoided": "990.00"}

    # The first payment comes back: the money is on the team's budget again.
    e2e = show(store_url, "MW-2026-0001")["payment"]["end_to_end_id"]
    statement = tmp_path / "return.xml"
    statement.write_bytes(camt053([Tx("-450.00", date(2026, 12, 4), *CREDITOR, "Factuur", e2e),
                                   Tx("450.00", date(2026, 12, 8), *CREDITOR, "Retour rekening opgeheven", e2e)]))
    result = cli(store_url, "import", str(statement), "--json", "--date", "2026-12-08")
    assert (result["payments_confirmed"], result["payments_returned"], result["unmatched"]) == (1, 1, 0)
    [noord] = cli(store_url, "maatwerk", "report", "--team", NOORD, "--year", "2026", "--json")["teams"]
    assert (noord["spent"], noord["overrun"], noord["avoided"]) == ("100.00", "0.00", "990.00")
    assert show(store_url, "MW-2026-0001")["payment"]["status"] == "returned"
    [check] = cli(store_url, "balance", "--json")["accounts"]  # MW-2026-0002 still in flight: no difference
    assert (check["terms"]["maatwerk"], check["difference"], check["in_order"]) == ("0.00", "0.00", True)


def _third(tmp_path, store_url, text):
    ok(propose(store_url, tmp_path, text, name="two.yaml"))
    ok(approve(store_url, "MW-2026-0002", "Anna Zorg"))
    ok(approve(store_url, "MW-2026-0002", "Bram Schuld"))
    return ("maatwerk", "approve", "MW-2026-0002", "--actor", "Cor Inkomen", "--at", "2026-12-03T16:00")


def test_the_bank_cut_off_allows_payment_the_same_day(team, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MAATWERK_CUTOFF", "14:00")
    ok(propose(team, tmp_path))
    ok(approve(team, "MW-2026-0001", "Anna Zorg"))
    ok(approve(team, "MW-2026-0001", "Bram Schuld"))
    assert json.loads(ok(approve(team, "MW-2026-0001", "Cor Inkomen", at="2026-12-03T10:00")).stdout)[
        "execution_date"] == "2026-12-03"


def test_killed_at_the_third_approval_and_run_again_pays_once(team, tmp_path):
    store_url = team
    ok(propose(store_url, tmp_path))
    ok(approve(store_url, "MW-2026-0001", "Anna Zorg"))
    ok(approve(store_url, "MW-2026-0001", "Bram Schuld"))
    env = {**os.environ, "HHB_VAR_DIR": str(tmp_path / "var"), "HHB_MANAGED_ACCOUNTS": MANAGED,
           "HHB_TEST_CRASH_AT": "maatwerk-paid"}
    args = [sys.executable, "-m", "adapters.cli", "maatwerk", "approve", "MW-2026-0001", "--actor", "Cor Inkomen",
            "--at", "2026-12-03T16:00", "--db", store_url]
    killed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr  # killed after the payment was saved, before its file
    assert payment_files(tmp_path) == []
    env.pop("HHB_TEST_CRASH_AT")
    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "paid"
    again_twice = json.loads(ok(approve(store_url, "MW-2026-0001", "Cor Inkomen")).stdout)
    assert again_twice["payment_file"] == json.loads(again.stdout)["payment_file"]
    events = case_events(store_url, tmp_path, "MW-2026-0001")
    assert events.count("Paid") == 1 and events.count("Approved") == 3
    [path] = payment_files(tmp_path)
    assert check_pain(path)[:2] == (1, Decimal("450.00"))
    [noord] = cli(store_url, "maatwerk", "report", "--team", NOORD, "--year", "2026", "--json")["teams"]
    assert noord["spent"] == "450.00" and noord["cases"] == 1


def test_a_residents_case_is_erased_by_the_retention_run_once_paid_that_long_ago(team, tmp_path):
    """A resident outside the programme has a key of their own: the retention run destroys
    it HHB_RETENTION_YEARS after the case was paid, and the case keeps its amount."""
    store_url = team
    text = PROPOSAL.replace("dossier: HHB-2026-0001", "resident: {name: Piet Buiten, iban: NL44RABO0123456789}")
    assert json.loads(ok(_pay(store_url, tmp_path, text, "buiten.yaml", "MW-2026-0001")).stdout)["status"] == "paid"
    kept = cli(store_url, "retention", "run", "--date", "2033-12-03", "--json")  # seven years to the day
    assert kept["maatwerk_residents_erased"] == 0
    assert show(store_url, "MW-2026-0001")["resident"]["name"] == "Piet Buiten"
    dry = cli(store_url, "retention", "run", "--date", "2033-12-05", "--dry-run", "--json")
    assert dry["maatwerk_residents_erased"] == 1  # counted, not erased
    assert show(store_url, "MW-2026-0001")["resident"]["name"] == "Piet Buiten"
    past = cli(store_url, "retention", "run", "--date", "2033-12-05", "--json")
    assert past["maatwerk_residents_erased"] == 1
    case = show(store_url, "MW-2026-0001")
    assert case["resident"] == {"name": "[verwijderd]", "iban": "[verwijderd]"} and case["status"] == "paid"
    assert cli(store_url, "retention", "run", "--date", "2033-12-06", "--json")["maatwerk_residents_erased"] == 0
