"""Issue 23's acceptance, end to end through `hhb` on SQLite and PostgreSQL: an intake with
three debts, two arrangements and one moratorium runs for six pay dates, against a bank
that executes the engine's pain.001 files, with exact amounts.

The example household (pay day 1; bijstand 1,320.50 on the last business day, zorgtoeslag
131.00 on the 20th; rent 712.40 on the 1st, a quarterly water bill of 61.20 reserved at
20.40 a month, minimum leefgeld 250.00) owes
- its former landlord Vestia 1,500.00 (S1): 72.00 a month from December (R1);
- Eneco 240.00 for energy (S2): paid off at once on the first pay date from 15 December,
  a payment arrangement of one term (R2);
- the tax office 410.00 (S3): no arrangement yet, frozen by the moratorium.
Debt counselling asks a moratorium from 15 February to 15 April 2027: the terms of March
and April are paused, not missed, and May's is paid again.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.pain001 import read_pain001
from tests.e2e.test_debts import VESTIA, Month, cli_json, hhb
from tests.factories import MANAGED

ROOT = Path(__file__).resolve().parents[2]
A = "HHB-2026-0001"
ENECO = ("NL69INGB0123456789", "Eneco")
BELASTING = ("NL86INGB0002445588", "Belastingdienst")
PORTAAL = ("NL20INGB0001234567", "Woningcorporatie Portaal")
SANNE = ("NL44RABO0123456789", "Sanne de Vries")
VITENS = ("NL91ABNA0417164300", "Vitens")


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def transfers(tmp_path, seen: set[Path]) -> list[tuple]:
    """What the payment files written since the last call ask the bank to pay: (creditor IBAN,
    amount, the creditor's reference or remittance text, execution date), in file order."""
    found = []
    for path in sorted((tmp_path / "var" / "payments").glob("*.xml")):
        if path in seen:
            continue
        seen.add(path)
        for p in read_pain001(path.read_bytes()):
            found.append((p.creditor_iban, str(p.amount), p.reference or p.remittance, p.execution_date.isoformat()))
    return sorted(found)


def signals_of(store_url, rule):
    return [s for s in cli_json(store_url, "signals", "--dossier", A, "--json") if s["rule"] == rule]


def test_three_debts_two_arrangements_and_a_moratorium_over_six_pay_dates(store_url, tmp_path):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    for creditor, amount, since, kind, reference in (
            (VESTIA, "1500.00", "2025-09-01", "huur", "VESTIA-2025-0417"),
            (ENECO, "240.00", "2026-03-01", "energie", "ENECO-88120"),
            (BELASTING, "410.00", "2025-05-01", "belasting", None)):
        hhb(store_url, "debts", "add", A, "--creditor", creditor[1], "--iban", creditor[0], "--amount", amount,
            "--since", since, "--kind", kind, *(("--reference", reference) if reference else ()))
    cli_json(store_url, "arrangements", "add", f"{A}:S1", "--monthly", "72.00", "--from", "2026-12-01")
    one_off = cli_json(store_url, "arrangements", "add", f"{A}:S2", "--monthly", "240.00", "--from", "2026-12-15",
                       "--terms", "1")
    assert (one_off["arrangement"], one_off["terms"]) == (f"{A}:R2", 1)

    month, seen = Month(store_url, tmp_path), set()

    def pay_date(bijstand: str, arrives: date, pays: date) -> list[tuple]:
        month.incomes(bijstand, arrives)
        check = month.statement(arrives)
        assert (check["in_order"], check["difference"]) == (True, "0.00")
        month.pay(pays)
        hhb(store_url, "reconcile", "--date", pays.isoformat())  # run again: nothing is paid twice
        return transfers(tmp_path, seen)

    rent, term = (PORTAAL[0], "712.40", "5012345678901234"), (VESTIA[0], "72.00", "VESTIA-2025-0417")

    def expected(day: str, *rows: tuple) -> list[tuple]:
        return sorted((*row, day) for row in rows)

    # 1 December: rent 712.40, the term 72.00, water 20.40 reserved; the minimum 250.00 and 396.70 more leefgeld
    assert pay_date("1320.50", date(2026, 11, 30), date(2026, 12, 1)) == expected(
        "2026-12-01", rent, term, (SANNE[0], "646.70", "Leefgeld 01-12-2026 deel 1"))
    # 31 December (January's pay date): Eneco's one-off 240.00 as well
    assert pay_date("1320.50", date(2026, 12, 30), date(2026, 12, 31)) == expected(
        "2026-12-31", rent, term, (ENECO[0], "240.00", "ENECO-88120"), (SANNE[0], "406.70", "Leefgeld 31-12-2026 deel 1"))
    # 1 February: bijstand cut to 900.00; rent 712.40 and water 61.20 (40.80 of it reserved) are paid, the
    # minimum 250.00 set aside: 48.20 is left, less than a term, so no part of the term is paid
    assert pay_date("900.00", date(2027, 1, 29), date(2027, 2, 1)) == expected(
        "2027-02-01", rent, (VITENS[0], "61.20", "Betaling water 02-2027"), (SANNE[0], "298.20", "Leefgeld 01-02-2027 deel 1"))
    [missed] = signals_of(store_url, "term-missed")
    assert (missed["amount"], missed["period"], missed["details"]["arrangement"]) == ("72.00", "2027-02-01", f"{A}:R1")
    assert missed["text"]["nl"].startswith(  # what staff read, in Dutch unless they ask for English
        f"De termijn van €\u00a072,00 aan Vestia (regeling {A}:R1) van de betaaldag 1 februari 2027 is niet betaald")
    assert missed["text"]["en"].startswith(
        f"The term of €72.00 to Vestia (arrangement {A}:R1) of the pay date 1 February 2027 was not paid")
    assert "De termijn" in hhb(store_url, "signals", "--dossier", A).stdout
    assert "The term of" in hhb(store_url, "signals", "--dossier", A, "--lang", "en").stdout

    cli_json(store_url, "moratorium", A, "--from", "2027-02-15", "--until", "2027-04-15", "--reason",
             "schuldhulpverlening Plangroep")
    frozen = cli_json(store_url, "debts", "list", A, "--date", "2027-03-02", "--json")
    assert [(d["debt"], d["remaining"], d["frozen"]) for d in frozen] == [
        (f"{A}:S1", "1356.00", True), (f"{A}:S2", "0.00", True), (f"{A}:S3", "410.00", True)]
    # 1 March and 1 April: the moratorium pauses the term (not missed); the rent is paid as always
    for arrives, pays in ((date(2027, 2, 26), date(2027, 3, 1)), (date(2027, 3, 31), date(2027, 4, 1))):
        day = pays.strftime("%d-%m-%Y")
        assert pay_date("1320.50", arrives, pays) == expected(
            pays.isoformat(), rent, (SANNE[0], "718.70", f"Leefgeld {day} deel 1"))
    assert len(signals_of(store_url, "term-missed")) == 1
    # 30 April (May's pay date, the 1st is a Saturday): the moratorium is over and the term is paid again,
    # after the rent and May's water bill (40.80 of it reserved in March and April)
    assert pay_date("1320.50", date(2027, 4, 29), date(2027, 4, 30)) == expected(
        "2027-04-30", rent, term, (VITENS[0], "61.20", "Betaling water 05-2027"),
        (SANNE[0], "646.70", "Leefgeld 30-04-2027 deel 1"))

    rows = {r["arrangement"]: r for r in cli_json(store_url, "arrangements", "list", A, "--json")}
    assert [(r["paid_terms"], r["paid"], r["missed"], r["status"]) for r in rows.values()] == [
        (3, "216.00", 1, "active"), (1, "240.00", 0, "completed")]
    debts = cli_json(store_url, "debts", "list", A, "--date", "2027-05-01", "--json")
    assert [(d["remaining"], d["frozen"]) for d in debts] == [("1284.00", False), ("0.00", False), ("410.00", False)]
    check = month.statement(date(2027, 4, 30))
    assert (check["in_order"], check["difference"]) == (True, "0.00")
