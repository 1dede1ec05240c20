"""Debts and payment arrangements end to end (issue 23), on SQLite and PostgreSQL, with
exact amounts: a debt, an arrangement on it, the pay date paying its term in the pain.001
with the creditor's reference, a short month missing the term with a signal, and the
balance check in order throughout.

The example household (pay day 1; bijstand 1,320.50, zorgtoeslag 131.00; rent 712.40, a
quarterly water bill reserved at 20.40 a month, minimum leefgeld 250.00) owes its former
landlord 1,500.00 and agrees 72.00 a month from December.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.api.app import create_app
from adapters.cli import app as cli
from huishoudboekje import access
from tests.bank import Bank, Entry
from tests.factories import MANAGED

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
A = "HHB-2026-0001"
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
VESTIA = ("NL02ABNA0123456789", "Vestia")


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args, code=0):
    result = runner.invoke(cli, [*args, "--db", store_url])
    assert result.exit_code == code, result.output
    return result


def cli_json(store_url, *args):
    return json.loads(hhb(store_url, *args).stdout)


class Month:
    """The bank of the managed account (`tests/bank.py`): it executes the engine's pain.001
    files and writes the statements the engine imports, so the balance check has a real bank
    to hold the books to."""

    def __init__(self, store_url, tmp_path):
        self.store_url, self.tmp_path = store_url, tmp_path
        self.bank = Bank(MANAGED, Decimal("1000.00"), date(2026, 11, 1))
        self.accepted: set[Path] = set()

    def incomes(self, bijstand: str, on: date) -> None:
        self.bank.book(Entry(date(on.year, on.month, 20), Decimal("131.00"), *TOESLAGEN, f"{A} zorgtoeslag"))
        self.bank.book(Entry(on, Decimal(bijstand), *GEMEENTE, f"Bijstand {A}"))

    def pay(self, through: date) -> None:
        """The job runs the pay dates; the bank executes what it was given."""
        hhb(self.store_url, "reconcile", "--date", through.isoformat())
        for path in sorted((self.tmp_path / "var" / "payments").glob("*.xml")):
            if path not in self.accepted:
                self.accepted.add(path)
                self.bank.accept(path.read_bytes())
        self.bank.execute(through)

    def statement(self, through: date) -> dict:
        """The bank's statement imported; the balance check as it then stands."""
        path = self.tmp_path / f"statement-{through}.xml"
        path.write_bytes(self.bank.statement(through))
        hhb(self.store_url, "import", str(path), "--date", through.isoformat())
        [check] = cli_json(self.store_url, "balance", "--json")["accounts"]
        return check


def payments_in(tmp_path, text):
    """The pain.001 files of the runs that mention `text`."""
    return [p.read_text() for p in sorted((tmp_path / "var" / "payments").glob("*.xml")) if text in p.read_text()]


def test_a_debt_its_arrangement_and_the_pay_dates_that_pay_or_miss_its_terms(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    added = cli_json(store_url, "debts", "add", A, "--creditor", VESTIA[1], "--iban", VESTIA[0], "--amount",
                     "1500.00", "--since", "2025-09-01", "--kind", "huur", "--reference", "VESTIA-2025-0417")
    assert (added["debt"], added["remaining"], added["source"]) == (f"{A}:S1", "1500.00", "intake")
    hhb(store_url, "arrangements", "add", f"{A}:S9", "--monthly", "72.00", "--from", "2026-12-01", code=3)
    made = cli_json(store_url, "arrangements", "add", f"{A}:S1", "--monthly", "72.00", "--from", "2026-12-01")
    assert (made["arrangement"], made["monthly"], made["terms"]) == (f"{A}:R1", "72.00", None)

    month = Month(store_url, tmp_path)
    month.incomes("1320.50", date(2026, 11, 30))
    assert month.statement(date(2026, 11, 30))["in_order"]
    month.pay(date(2026, 12, 1))
    # rent 712.40, the minimum 250.00, the term 72.00, water 20.40 reserved: 396.70 more leefgeld
    assert cli_json(store_url, "left", A, "--date", "2026-12-02")["leefgeld"]["paid"] == "646.70"
    [pain] = payments_in(tmp_path, "VESTIA-2025-0417")
    assert "<InstdAmt Ccy=\"EUR\">72.00</InstdAmt>" in pain and VESTIA[0] in pain
    [debt] = cli_json(store_url, "debts", "list", A, "--json")
    assert (debt["amount"], debt["remaining"], debt["frozen"]) == ("1500.00", "1428.00", False)
    hhb(store_url, "reconcile", "--date", "2026-12-01")  # run again: nothing paid twice
    assert len(payments_in(tmp_path, "VESTIA-2025-0417")) == 1

    # December: bijstand is cut to 900.00; after rent and the minimum 68.60 is left, less than a term
    month.incomes("900.00", date(2026, 12, 30))
    check = month.statement(date(2026, 12, 30))
    assert (check["in_order"], check["difference"]) == (True, "0.00")  # the term left the bank as the books say
    month.pay(date(2027, 1, 4))
    assert len(payments_in(tmp_path, "VESTIA-2025-0417")) == 1
    [debt] = cli_json(store_url, "debts", "list", A, "--json")
    assert debt["remaining"] == "1428.00"
    [signal] = [s for s in cli_json(store_url, "signals", "--dossier", A, "--json") if s["rule"] == "term-missed"]
    assert (signal["amount"], signal["severity"], signal["details"]["arrangement"]) == ("72.00", "high", f"{A}:R1")
    [arrangement] = cli_json(store_url, "arrangements", "list", A, "--json")
    assert (arrangement["paid_terms"], arrangement["missed"], arrangement["paid"]) == (1, 1, "72.00")
    check = month.statement(date(2027, 1, 4))
    assert (check["in_order"], check["difference"]) == (True, "0.00")

    # Debt counselling asks for a moratorium: February's term is paused, not missed; the rent is paid
    hhb(store_url, "moratorium", A, "--from", "2027-01-15", "--until", "2027-07-16", "--reason", "te lang", code=2)
    started = cli_json(store_url, "moratorium", A, "--from", "2027-01-15", "--until", "2027-03-15", "--reason",
                       "schuldhulpverlening Plangroep")
    assert (started["from"], started["until"], started["extensions"]) == ("2027-01-15", "2027-03-15", [])
    month.incomes("1320.50", date(2027, 1, 29))
    month.statement(date(2027, 1, 29))
    month.pay(date(2027, 2, 1))
    assert len(payments_in(tmp_path, "VESTIA-2025-0417")) == 1
    assert len([s for s in cli_json(store_url, "signals", "--dossier", A, "--json") if s["rule"] == "term-missed"]) == 1
    [debt] = cli_json(store_url, "debts", "list", A, "--date", "2027-02-02", "--json")
    assert (debt["remaining"], debt["frozen"], debt["frozen_until"]) == ("1428.00", True, "2027-03-15")
    table = hhb(store_url, "debts", "list", A, "--date", "2027-02-02").stdout
    assert "bevroren" in table and "2027-03-15" in table
    check = month.statement(date(2027, 2, 2))
    assert (check["in_order"], check["difference"]) == (True, "0.00")


def test_the_api_records_a_debt_and_an_arrangement_for_its_own_team_only(store_url):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    app = create_app(db_url=store_url)
    try:
        engine = app.state.context.engine
        noord, _ = access.issue(engine, "staff", "m.bakker", "test", team="Wijkteam Noord")
        zuid, _ = access.issue(engine, "staff", "p.jansen", "test", team="Wijkteam Zuid")
        with TestClient(app) as client:
            body = {"creditor": VESTIA[1], "iban": VESTIA[0], "amount": "1500.00", "since": "2025-09-01",
                    "kind": "huur", "reference": "VESTIA-2025-0417"}
            other = client.post(f"/api/v1/households/{A}/debts", json=body, headers={"Authorization": f"Bearer {zuid}"})
            assert other.status_code == 404
            wrong = client.post(f"/api/v1/households/{A}/debts", json={**body, "iban": "NL00"},
                                headers={"Authorization": f"Bearer {noord}"})
            assert wrong.status_code == 422 and wrong.json()["field"] == "iban"
            answer = client.post(f"/api/v1/households/{A}/debts", json=body, headers={"Authorization": f"Bearer {noord}"})
            assert answer.status_code == 201 and answer.json()["debt"] == f"{A}:S1"
            term = client.post(f"/api/v1/households/{A}/debts/S1/arrangements",
                               json={"monthly": "72.00", "from": "2026-12-01", "terms": 3},
                               headers={"Authorization": f"Bearer {noord}"})
            assert term.status_code == 201, term.text
            assert (term.json()["arrangement"], term.json()["from"], term.json()["terms"]) == (f"{A}:R1", "2026-12-01", 3)
            listed = client.get(f"/api/v1/households/{A}/arrangements", headers={"Authorization": f"Bearer {noord}"})
            assert [r["arrangement"] for r in listed.json()] == [f"{A}:R1"]
            paused = client.post(f"/api/v1/households/{A}/moratorium", headers={"Authorization": f"Bearer {noord}"},
                                 json={"from": "2027-01-15", "until": "2027-03-15", "reason": "schuldhulp"})
            assert paused.status_code == 200, paused.text
            longer = client.post(f"/api/v1/households/{A}/moratorium", headers={"Authorization": f"Bearer {noord}"},
                                 json={"until": "2027-05-15", "reason": "onderhandeling loopt", "extend": True})
            assert longer.json()["until"] == "2027-05-15" and len(longer.json()["extensions"]) == 1
            frozen = client.get(f"/api/v1/households/{A}/debts?date=2027-04-01",
                                headers={"Authorization": f"Bearer {noord}"}).json()
            assert [(d["frozen"], d["frozen_until"]) for d in frozen] == [(True, "2027-05-15")]
    finally:
        app.state.context.engine.close()


def test_the_report_counts_endings_by_reason(store_url, tmp_path):
    docs = []
    for number in ("0001", "0002", "0003"):
        text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text().replace(A, f"HHB-2026-{number}")
        docs.append(tmp_path / f"{number}.yaml")
        docs[-1].write_text(text)
    hhb(store_url, "onboard", *map(str, docs))
    hhb(store_url, "end-participation", "HHB-2026-0001", "--on", "2026-12-31", "--reason", "gestopt", code=2)
    hhb(store_url, "end-participation", "HHB-2026-0001", "--on", "2026-12-31", "--reason", "stabilised")
    hhb(store_url, "end-participation", "HHB-2026-0002", "--on", "2026-12-31")
    app = create_app(db_url=store_url)
    try:
        lead, _ = access.issue(app.state.context.engine, "teamlead", "t.lead", "test", team="Wijkteam Noord")
        with TestClient(app) as client:
            ended = client.post("/api/v1/households/HHB-2026-0003/end", headers={"Authorization": f"Bearer {lead}"},
                                json={"end": "2026-12-31", "reason": "referred"})
            assert ended.status_code == 200, ended.text
            from_api = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {lead}"}).json()
    finally:
        app.state.context.engine.close()
    expected = {"not-given": 1, "referred": 1, "stabilised": 1}
    assert from_api["endings"] == expected
    assert cli_json(store_url, "report", "--team", "Wijkteam Noord", "--json")["endings"] == expected
