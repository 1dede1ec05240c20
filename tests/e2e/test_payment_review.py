"""What a payment file's reviewer is shown (issue 20): its payments by creditor, and what
is unusual flagged — above all the household onboarded twice by a typo, whose rent of
€ 655 then goes out twice in one file. On SQLite and PostgreSQL, in the CLI and the API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.api.app import create_app
from adapters.documents import load_document
from adapters.cli import app as cli
from huishoudboekje import access
from tests.factories import MANAGED, Tx, camt053

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
A, TYPO = "HHB-2026-0001", "HHB-2026-0010"  # the same household, onboarded twice
REFERENCE = "5012345678901234"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(url, *args):
    result = runner.invoke(cli, [*args, "--db", url])
    assert result.exit_code == 0, result.output
    return result


def document(tmp_path: Path, dossier: str, **replacements: str) -> Path:
    """The example household with rent € 655, as `dossier`; `replacements`: more edits."""
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text(encoding="utf8")
    for old, new in {"712.40": "655.00", "HHB-2026-0001": dossier, **replacements}.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{dossier}.yaml"
    path.write_text(text, encoding="utf8")
    return path


def review(url, name):
    return json.loads(hhb(url, "payment-files", "show", name, "--json").stdout)


def flags_of(answer, code):
    return [f for f in answer["flags"] if f["flag"] == code]


def test_a_household_onboarded_twice_warns_and_its_double_rent_is_flagged(store_url, tmp_path):
    hhb(store_url, "onboard", str(document(tmp_path, A)))
    typo = hhb(store_url, "onboard", str(document(tmp_path, TYPO)))
    assert json.loads(typo.stdout)["status"] == "created"  # a warning, not a refusal
    assert f"charges[0].reference: Betalingskenmerk {REFERENCE} wordt ook betaald voor huishouden {A}" in typo.stderr
    assert f"participants[0].iban: Rekening NL44RABO0123456789 is ook van een deelnemer van huishouden {A}" \
        in typo.stderr
    [summary] = [json.loads(hhb(store_url, "reconcile", "--date", "2026-12-01", "--json").stdout)]
    [name] = summary["payment_files"]  # no income came in: the buffer advances both rents
    answer = review(store_url, name)
    [portaal] = [c for c in answer["creditors"] if c["creditor_name"] == "Woningcorporatie Portaal"]
    assert (portaal["count"], portaal["total"]) == (2, "1310.00")
    assert {(p["dossier"], p["amount"], p["reference"]) for p in portaal["payments"]} == \
        {(A, "655.00", REFERENCE), (TYPO, "655.00", REFERENCE)}
    assert all("same-reference-in-file" in p["flags"] for p in portaal["payments"])
    double = flags_of(answer, "same-reference-in-file")
    assert {(f["dossier"], tuple(f["others"])) for f in double} == {(A, (TYPO,)), (TYPO, (A,))}
    assert f"Betalingskenmerk {REFERENCE} staat vaker in dit bestand: ook voor {TYPO}." in \
        [f["text"]["nl"] for f in double]
    assert f"Payment reference {REFERENCE} occurs more than once in this file: also for {A}." in \
        [f["text"]["en"] for f in double]
    shared = flags_of(answer, "shared-participant-iban")
    assert {(f["dossier"], tuple(f["others"])) for f in shared} == {(A, (TYPO,)), (TYPO, (A,))}
    shown = hhb(store_url, "payment-files", "show", name).stdout  # what a person reads
    assert "Woningcorporatie Portaal" in shown and f"Betalingskenmerk {REFERENCE} staat vaker" in shown


def test_the_apis_answers_carry_the_warning_and_the_flags(store_url, tmp_path):
    app = create_app(db_url=store_url)
    engine = app.state.context.engine
    staff = {"Authorization": f"Bearer {access.issue(engine, 'staff', 's.taf', 't', team='Wijkteam Noord')[0]}"}
    finance = {"Authorization": f"Bearer {access.issue(engine, 'finance', 'f.inance', 't')[0]}"}
    job = {"Authorization": f"Bearer {access.issue(engine, 'job', 'nightly', 't')[0]}"}
    try:
        with TestClient(app) as client:
            first = client.post("/api/v1/households", json=load_document(document(tmp_path, A)), headers=staff)
            assert first.status_code == 201 and first.json()["warnings"] == []
            second = client.post("/api/v1/households", json=load_document(document(tmp_path, TYPO)), headers=staff)
            assert second.status_code == 201, second.text
            assert {(w["field"], tuple(w["others"])) for w in second.json()["warnings"]} == \
                {("charges[0].reference", (A,)), ("participants[0].iban", (A,))}
            run = client.post("/api/v1/runs", json={"date": "2026-12-01"}, headers=job).json()
            [name] = run["payment_files"]
            assert run["escalated"] == [name]
            assert client.get(f"/api/v1/payment-files/{name}/review", headers=job).status_code == 403
            answer = client.get(f"/api/v1/payment-files/{name}/review", headers=finance).json()
            assert {f["dossier"] for f in flags_of(answer, "same-reference-in-file")} == {A, TYPO}
            assert answer["state"] == "pending" and answer["sha256_matches"] is True
    finally:
        engine.close()


def test_the_same_reference_paid_for_another_household_in_the_month_is_flagged(store_url, tmp_path):
    hhb(store_url, "onboard", str(document(tmp_path, A)))
    hhb(store_url, "onboard", str(document(tmp_path, TYPO, **{"pay_day: 1": "pay_day: 15",
                                                             "NL44RABO0123456789": "NL84KNAB0001234561"})))
    first = json.loads(hhb(store_url, "reconcile", "--date", "2026-12-01", "--json").stdout)["payment_files"]
    assert flags_of(review(store_url, first[0]), "same-reference-in-file") == []  # one rent in this file
    [later] = json.loads(hhb(store_url, "reconcile", "--date", "2026-12-15", "--json").stdout)["payment_files"]
    [flag] = [f for f in flags_of(review(store_url, later), "same-reference-in-month") if f["dossier"] == TYPO]
    assert flag["others"] == [A] and flag["text"]["en"] == \
        f"Payment reference {REFERENCE} was also paid this month for {A}."


def test_a_payment_above_its_agreement_and_a_creditor_account_new_this_month_are_flagged(store_url, tmp_path):
    hhb(store_url, "onboard", str(document(tmp_path, A)))
    statement = tmp_path / "incomes.xml"
    statement.write_bytes(camt053([Tx("1320.50", day, "NL14BNGH0285001234", "Gemeente Utrecht", f"Uitkering {A}")
                                   for day in (date(2026, 11, 30), date(2026, 12, 30), date(2027, 1, 29))]))
    hhb(store_url, "import", str(statement), "--date", "2027-01-29")
    [december] = json.loads(hhb(store_url, "reconcile", "--date", "2026-12-01", "--json").stdout)["payment_files"]
    new = {f["text"]["nl"] for f in flags_of(review(store_url, december), "new-creditor-iban")}
    assert "Rekening NL20INGB0001234567 van Woningcorporatie Portaal krijgt deze maand voor het eerst geld van ons." \
        in new
    assert flags_of(review(store_url, december), "above-agreement") == []
    # staff lower the rent for December after the night wrote the file: the file pays more
    hhb(store_url, "change-amount", A, "huur", "600.00", "--from", "2026-12-01")
    [above] = flags_of(review(store_url, december), "above-agreement")
    assert above["dossier"] == A and above["text"]["en"] == "€ 655.00 is more than agreement huur (€ 600.00)."
    # January's rent goes on 31 December (1 January is a closing day): December still, so new
    later = json.loads(hhb(store_url, "reconcile", "--date", "2027-02-01", "--json").stdout)["payment_files"]
    [december_31, february] = sorted(later)
    assert [f for f in flags_of(review(store_url, december_31), "new-creditor-iban") if "Portaal" in f["text"]["nl"]]
    assert not [f for f in flags_of(review(store_url, february), "new-creditor-iban") if "Portaal" in f["text"]["nl"]]
