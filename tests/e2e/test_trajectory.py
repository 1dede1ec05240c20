"""The end of a trajectory (issue 23), through the CLI with a bank that executes the
engine's payment files: a phase-out over three pay dates that ends with the final
settlement, a referral to debt counselling, and a moratorium ending on the worklist.

The household (pay day 1; bijstand 1,320.50 on the last business day, zorgtoeslag 131.00
on the 20th: 1,451.50 a month) has three charges: rent 712.40 and health insurance 142.30
on the 1st, energy 95.00 on the 15th; its minimum leefgeld is 250.00.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app as cli
from tests.bank import Bank, Entry
from tests.factories import MANAGED

runner = CliRunner()
A = "HHB-2026-0001"
PARTICIPANT = "NL44RABO0123456789"
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
PORTAAL, ZILVEREN_KRUIS, ENECO = "NL20INGB0001234567", "NL36INGB0007654321", "NL83ABNA0248101010"

DOCUMENT = f"""
dossier: {A}
team: Wijkteam Noord
start: 2026-11-01
pay_day: 1
buffer_limit: "1500.00"
minimum_leefgeld: "250.00"
leefgeld: {{schedule: monthly}}
participants:
  - {{name: Sanne de Vries, iban: {PARTICIPANT}}}
incomes:
  - {{id: bijstand, category: bijstand, counterparty: {{name: Gemeente Utrecht, iban: {GEMEENTE[0]}}},
     amount: "1320.50", schedule: {{every: month, day: last-business-day}}, match: {{terms: [{A}]}}}}
  - {{id: zorgtoeslag, category: toeslag, counterparty: {{name: Belastingdienst/Toeslagen, iban: {TOESLAGEN[0]}}},
     amount: "131.00", schedule: {{every: month, day: 20}}, match: {{terms: [{A}, zorgtoeslag]}}}}
charges:
  - {{id: huur, category: huur, counterparty: {{name: Woningcorporatie Portaal, iban: {PORTAAL}}},
     amount: "712.40", schedule: {{every: month, day: 1}}}}
  - {{id: zorgverzekering, category: zorgverzekering, counterparty: {{name: Zilveren Kruis, iban: {ZILVEREN_KRUIS}}},
     amount: "142.30", schedule: {{every: month, day: 1}}}}
  - {{id: energie, category: energie, counterparty: {{name: Eneco, iban: {ENECO}}},
     amount: "95.00", schedule: {{every: month, day: 15}}}}
"""


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


class Bank_:
    """The managed account's bank: executes the engine's pain.001 files, writes statements."""

    def __init__(self, store_url, tmp_path):
        self.store_url, self.tmp_path = store_url, tmp_path
        self.bank = Bank(MANAGED, Decimal("1000.00"), date(2026, 11, 1))
        self.accepted: set[Path] = set()

    def incomes(self, month: date, bijstand_on: date) -> None:
        self.bank.book(Entry(date(month.year, month.month, 20), Decimal("131.00"), *TOESLAGEN, f"{A} zorgtoeslag"))
        self.bank.book(Entry(bijstand_on, Decimal("1320.50"), *GEMEENTE, f"Bijstand {A}"))

    def run(self, through: date) -> None:
        hhb(self.store_url, "reconcile", "--date", through.isoformat())
        for path in sorted((self.tmp_path / "var" / "payments").glob("*.xml")):
            if path not in self.accepted:
                self.accepted.add(path)
                self.bank.accept(path.read_bytes())
        self.bank.execute(through)

    def statement(self, through: date) -> dict:
        path = self.tmp_path / f"statement-{through}.xml"
        path.write_bytes(self.bank.statement(through))
        hhb(self.store_url, "import", str(path), "--date", through.isoformat())
        [check] = cli_json(self.store_url, "balance", "--json")["accounts"]
        return check

    def paid_to(self, iban: str) -> list[tuple[date, Decimal]]:
        return sorted((t.execution_date, t.amount) for t in self.bank.executed.values() if t.creditor_iban == iban)


def test_a_phase_out_over_three_months_ends_with_a_settlement_that_pays_out_what_is_held(store_url, tmp_path):
    doc = tmp_path / f"{A}.yaml"
    doc.write_text(DOCUMENT)
    hhb(store_url, "onboard", str(doc))
    bank = Bank_(store_url, tmp_path)
    bank.incomes(date(2026, 11, 1), date(2026, 11, 30))
    bank.statement(date(2026, 11, 30))
    bank.run(date(2026, 12, 1))  # 1,451.50 - rent 712.40 - insurance 142.30 - energy 95.00
    assert bank.paid_to(PARTICIPANT) == [(date(2026, 12, 1), Decimal("501.80"))]

    # The coach agrees the hand-over: energy from January, health insurance from February, rent from March
    hhb(store_url, "phase-out", A, "--agreement", "bijstand", "--from", "2027-01-01", code=2)
    paid = hhb(store_url, "phase-out", A, "--agreement", "energie", "--from", "2026-12-01", code=2).output
    assert "2026-12-15" in paid and "2026-12-16" in paid  # December's energy was paid on 1 December
    made = cli_json(store_url, "phase-out", A, "--agreement", "energie", "--from", "2027-01-01")
    assert [(r["agreement"], r["from"], r["amount"]) for r in made["self_paid"]] == [("energie", "2027-01-01", "95.00")]
    bank.incomes(date(2026, 12, 1), date(2026, 12, 31))
    assert bank.statement(date(2026, 12, 31))["in_order"]
    bank.run(date(2026, 12, 31))  # January's pay date (1 January is a closing day): energy is hers now
    assert bank.paid_to(PARTICIPANT)[-1] == (date(2026, 12, 31), Decimal("596.80"))

    hhb(store_url, "phase-out", A, "--agreement", "zorgverzekering", "--from", "2027-02-01")
    bank.incomes(date(2027, 1, 1), date(2027, 1, 29))
    assert bank.statement(date(2027, 1, 29))["in_order"]
    bank.run(date(2027, 2, 1))
    assert bank.paid_to(PARTICIPANT)[-1] == (date(2027, 2, 1), Decimal("739.10"))
    hhb(store_url, "phase-out", A, "--agreement", "huur", "--from", "2027-03-01")
    left = cli_json(store_url, "left", A, "--date", "2027-02-10", "--json")
    # still shown, as hers to pay; the forecast knows March pays her all of it
    assert [(c["agreement"], c["status"]) for c in left["charges"]] == [
        ("huur", "paid"), ("zorgverzekering", "self-paid"), ("energie", "self-paid")]
    assert left["forecast"]["expected_leefgeld"] == "1451.50"
    assert [(p["agreement"], [d["date"] for d in p["due"]]) for p in left["forecast"]["self_paid"]] == [
        ("energie", ["2027-03-15"]), ("zorgverzekering", ["2027-03-01"]), ("huur", ["2027-03-01"])]
    bank.incomes(date(2027, 2, 1), date(2027, 2, 26))
    assert bank.statement(date(2027, 2, 26))["in_order"]
    bank.run(date(2027, 3, 1))
    assert bank.paid_to(PARTICIPANT)[-1] == (date(2027, 3, 1), Decimal("1451.50"))

    # March's incomes are in the account when the trajectory ends: the final settlement pays them out
    bank.incomes(date(2027, 3, 1), date(2027, 3, 31))
    assert bank.statement(date(2027, 3, 31))["in_order"]
    ended = cli_json(store_url, "end-participation", A, "--on", "2027-03-31", "--reason", "stabilised")
    assert ended["settlement_date"] == "2027-04-01"
    bank.run(date(2027, 4, 1))
    check = bank.statement(date(2027, 4, 1))
    assert (check["in_order"], check["difference"], check["terms"]["households"]) == (True, "0.00", "0.00")

    assert bank.paid_to(PARTICIPANT) == [
        (date(2026, 12, 1), Decimal("501.80")), (date(2026, 12, 31), Decimal("596.80")),
        (date(2027, 2, 1), Decimal("739.10")), (date(2027, 3, 1), Decimal("1451.50")),
        (date(2027, 4, 1), Decimal("1451.50"))]
    assert [a for _, a in bank.paid_to(PORTAAL)] == [Decimal("712.40")] * 3
    assert [a for _, a in bank.paid_to(ZILVEREN_KRUIS)] == [Decimal("142.30")] * 2
    assert [a for _, a in bank.paid_to(ENECO)] == [Decimal("95.00")]
    # The money adds up: five months of 1,451.50 in, all of it out, the account back where it began
    out = sum(t.amount for t in bank.bank.executed.values())
    assert out == Decimal("7257.50") == 5 * Decimal("1451.50")
    assert bank.bank.balance == Decimal("1000.00")
    shown = cli_json(store_url, "show", A, "--json")
    assert [(p["agreement"], p["from"]) for p in shown["self_paid"]] == [
        ("energie", "2027-01-01"), ("zorgverzekering", "2027-02-01"), ("huur", "2027-03-01")]


def onboard_three(store_url, tmp_path, root):
    docs = []
    for number in ("0001", "0002", "0003"):
        text = (root / "examples" / "HHB-2026-0001.yaml").read_text().replace(A, f"HHB-2026-{number}")
        docs.append(tmp_path / f"{number}.yaml")
        docs[-1].write_text(text)
    hhb(store_url, "onboard", *map(str, docs))


def report(partner, dossier, since, on, crisis=False):
    return {"dossier": dossier, "partnerType": partner, "bedrag": "310.00", "startdatumAchterstand": since,
            "signaalDatum": on, "crisisIndicatie": crisis}


def test_the_signal_cap_holds_back_the_lowest_priorities_and_the_report_counts_them(store_url, tmp_path,
                                                                                       monkeypatch):
    onboard_three(store_url, tmp_path, Path(__file__).resolve().parents[2])
    reports = tmp_path / "reports.json"
    reports.write_text(json.dumps({"signals": [
        report("Energie", "HHB-2026-0001", "2026-10-01", "2026-11-03"),
        report("Huur", "HHB-2026-0002", "2026-10-01", "2026-11-09", crisis=True),
        report("Water", "HHB-2026-0003", "2026-09-01", "2026-11-04"),
        report("Zorgverzekering", "HHB-2026-0001", "2026-09-01", "2026-11-20", crisis=True),
        report("Huur", "HHB-2026-0003", "2026-11-01", "2026-12-02")]}))
    hhb(store_url, "signals", "import", str(reports))
    everything = cli_json(store_url, "signals", "--team", "Wijkteam Noord", "--json")
    assert len(everything) == 5
    assert cli_json(store_url, "report", "--team", "Wijkteam Noord", "--json")["signals_held_back"] == \
        {"total": 0, "by_rule": {}}

    # Three a month: November's two critical reports show, and the earlier of its high ones
    monkeypatch.setenv("HHB_SIGNAL_CAP", "3")
    shown = cli_json(store_url, "signals", "--team", "Wijkteam Noord", "--json")
    assert sorted((s["dossier"], s["agreement"]) for s in shown) == [
        ("HHB-2026-0001", "energie"), ("HHB-2026-0001", "zorgverzekering"), ("HHB-2026-0002", "huur"),
        ("HHB-2026-0003", "huur")]
    assert [s["id"] for s in cli_json(store_url, "signals", "--dossier", "HHB-2026-0003", "--json")] == \
        ["HHB-2026-0003|external:huur:2026-11-01"]  # held back from a household's list too
    assert "1 signalen achtergehouden" in hhb(store_url, "signals", "--team", "Wijkteam Noord").stdout
    november = cli_json(store_url, "report", "--team", "Wijkteam Noord", "--month", "2026-11", "--json")
    assert (november["signal_cap"], november["signals_held_back"]) == (3, {"total": 1, "by_rule": {"external": 1}})
    assert cli_json(store_url, "report", "--month", "2026-12", "--json")["signals_held_back"]["total"] == 0

    # One a month: critical signals still all show; every high one of November is held, never deleted
    monkeypatch.setenv("HHB_SIGNAL_CAP", "1")
    shown = cli_json(store_url, "signals", "--team", "Wijkteam Noord", "--json")
    assert [(s["severity"], s["raised_on"]) for s in shown] == [
        ("critical", "2026-11-09"), ("critical", "2026-11-20"), ("high", "2026-12-02")]
    assert cli_json(store_url, "report", "--team", "Wijkteam Noord", "--json")["signals_held_back"]["total"] == 2
    monkeypatch.setenv("HHB_SIGNAL_CAP", "")
    assert len(cli_json(store_url, "signals", "--team", "Wijkteam Noord", "--json")) == 5
    monkeypatch.setenv("HHB_SIGNAL_CAP", "veel")
    assert "HHB_SIGNAL_CAP" in runner.invoke(cli, ["signals", "--db", store_url]).output


def test_a_referral_a_moratorium_ending_on_the_worklist_and_the_average_time_in_the_programme(store_url, tmp_path):
    onboard_three(store_url, tmp_path, Path(__file__).resolve().parents[2])
    hhb(store_url, "referral", A, "--date", "2026-11-10", "--organisation", " ", code=2)
    made = cli_json(store_url, "referral", A, "--date", "2026-11-10", "--organisation", "Plangroep Schuldhulp")
    assert made == {"dossier": A, "on": "2026-11-10", "organisation": "Plangroep Schuldhulp"}
    hhb(store_url, "moratorium", A, "--from", "2026-11-15", "--until", "2027-01-20", "--reason", "schuldhulp")
    listed = hhb(store_url, "debts", "list", A).stdout
    assert "Plangroep Schuldhulp op 2026-11-10" in listed and "moratorium 2026-11-15 tot en met 2027-01-20" in listed
    shown = cli_json(store_url, "show", A, "--json")
    assert shown["referrals"] == [{"dossier": A, "on": "2026-11-10", "organisation": "Plangroep Schuldhulp"}]

    def ending():
        return [(s["period"], s["status"]) for s in cli_json(store_url, "signals", "--dossier", A, "--json")
                if s["rule"] == "moratorium-ending"]

    hhb(store_url, "reconcile", "--date", "2026-12-20")
    assert ending() == []  # 31 days ahead: not yet
    hhb(store_url, "reconcile", "--date", "2026-12-21")
    assert ending() == [("2027-01-20", "open")]
    hhb(store_url, "reconcile", "--date", "2027-01-21")
    assert ending() == [("2027-01-20", "resolved")]  # ended: off the worklist by itself

    # Endings: 0001 after 150 days, 0002 after 212 days: on average 181.0 days, 181.0 / 30.44 = 5.9 months
    hhb(store_url, "end-participation", A, "--on", "2027-03-31", "--reason", "referred")
    hhb(store_url, "end-participation", "HHB-2026-0002", "--on", "2027-06-01", "--reason", "stabilised")
    result = cli_json(store_url, "report", "--team", "Wijkteam Noord", "--json")
    assert result["endings"] == {"referred": 1, "stabilised": 1}
    assert result["time_in_programme"] == {"ended": 2, "average_days": "181.0", "average_months": "5.9"}


def test_the_api_records_a_referral_and_a_phase_out_for_its_own_team_only(store_url, tmp_path):
    from fastapi.testclient import TestClient

    from adapters.api.app import create_app
    from huishoudboekje import access

    onboard_three(store_url, tmp_path, Path(__file__).resolve().parents[2])
    app = create_app(db_url=store_url)
    try:
        engine = app.state.context.engine
        noord, _ = access.issue(engine, "staff", "m.bakker", "test", team="Wijkteam Noord")
        zuid, _ = access.issue(engine, "staff", "p.jansen", "test", team="Wijkteam Zuid")
        lead, _ = access.issue(engine, "teamlead", "t.lead", "test", team="Wijkteam Noord")
        with TestClient(app) as client:
            def post(path, body, token=noord):
                return client.post(f"/api/v1/households/{A}/{path}", json=body,
                                   headers={"Authorization": f"Bearer {token}"})

            referral = {"date": "2026-11-10", "organisation": "Plangroep Schuldhulp"}
            assert post("referral", referral, zuid).status_code == 404
            answer = post("referral", referral)
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"dossier": A, "on": "2026-11-10", "organisation": "Plangroep Schuldhulp"}
            wrong = post("phase-out", {"agreements": ["bijstand"], "from": "2027-01-01"})
            assert wrong.status_code == 422 and wrong.json()["field"] == "agreement"
            done = post("phase-out", {"agreements": ["water", "huur"], "from": "2027-01-01"})
            assert done.status_code == 200, done.text
            assert [(r["agreement"], r["from"]) for r in done.json()] == [("huur", "2027-01-01"), ("water", "2027-01-01")]
            detail = client.get(f"/api/v1/households/{A}", headers={"Authorization": f"Bearer {noord}"}).json()
            assert [r["organisation"] for r in detail["referrals"]] == ["Plangroep Schuldhulp"]
            assert [r["agreement"] for r in detail["self_paid"]] == ["huur", "water"]
            post("end", {"end": "2027-01-31", "reason": "stabilised"}, lead)
            result = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {lead}"}).json()
            assert result["time_in_programme"] == {"ended": 1, "average_days": "91.0", "average_months": "3.0"}
            assert (result["signal_cap"], result["signals_held_back"]) == (None, {"total": 0, "by_rule": {}})
    finally:
        app.state.context.engine.close()
