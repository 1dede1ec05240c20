"""Privacy (issue 24): a participant's consent, the access log of who read what, on both stores."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.access_log import AccessLog
from adapters.api.app import create_app
from adapters.cli import app
from adapters.store import open_engine
from huishoudboekje import access
from tests.conftest import ROOT
from tests.factories import MANAGED

runner = CliRunner()
A, B = "HHB-2026-0001", "HHB-DEMO-0002"  # A in team Noord, B in team Zuid
AUDITOR = "a.udit"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("HHB_ACTOR", raising=False)


def hhb(store_url, *args, code=0):
    result = runner.invoke(app, [*args, "--db", store_url])
    assert result.exit_code == code, result.output
    return result


def out(store_url, *args):
    return json.loads(hhb(store_url, *args, "--json").stdout)


def with_consent(tmp_path: Path, consent: dict | None) -> Path:
    doc = yaml.safe_load((ROOT / "examples" / "HHB-2026-0001.yaml").read_text())
    if consent is not None:
        doc["consent"] = consent
    path = tmp_path / f"doc-{len(list(tmp_path.glob('doc-*')))}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def log(store_url, *args):
    return out(store_url, "access-log", "--by", AUDITOR, *args)


@pytest.fixture
def two_households(store_url):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    hhb(store_url, "onboard", str(ROOT / "personas" / "persona-2-nuluren.yaml"))
    hhb(store_url, "users", "add", "--name", AUDITOR, "--email", "a.udit@gemeente.nl", "--role", "auditor")
    return store_url


# -- consent ---------------------------------------------------------------------------------------

def test_consent_from_the_onboarding_document_is_shown_to_staff(store_url, tmp_path):
    hhb(store_url, "onboard", str(with_consent(tmp_path, {"date": "2026-10-20", "way": "signed-form"})))
    consent = out(store_url, "show", A)["consent"]
    assert consent == {"on": "2026-10-20", "way": "signed-form", "actor": "cli", "withdrawn": None,
                       "withdrawn_by": None}
    # the same document again changes nothing; one without consent (an old file) still loads
    assert json.loads(hhb(store_url, "onboard", str(with_consent(tmp_path, None))).stdout)["status"] == "unchanged"
    assert out(store_url, "show", A)["consent"]["on"] == "2026-10-20"


def test_a_document_with_a_way_that_is_not_known_is_refused_naming_the_field(store_url, tmp_path):
    result = hhb(store_url, "onboard", str(with_consent(tmp_path, {"date": "2026-10-20", "way": "wink"})), code=2)
    assert "consent.way" in result.output
    hhb(store_url, "show", A, code=3)  # nothing was written


def test_consent_by_command_and_its_withdrawal_ends_the_participation(store_url):
    hhb(store_url, "onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml"))
    assert out(store_url, "show", A)["consent"] is None  # a household onboarded without one
    hhb(store_url, "consent", A, "--date", "2026-10-28", "--way", "in-person", "--actor", "j.devries")
    assert out(store_url, "show", A)["consent"]["way"] == "in-person"
    hhb(store_url, "consent", A, "--date", "2026-12-10", code=2)  # neither --way nor --withdrawn
    answer = json.loads(hhb(store_url, "consent", A, "--withdrawn", "--date", "2026-12-10",
                            "--actor", "j.devries").stdout)
    assert answer["end"] == "2026-12-10" and answer["reason"] == "stopped-by-participant"
    assert answer["settlement_date"] == "2026-12-11"
    shown = out(store_url, "show", A)
    assert shown["status"] == "ended" and shown["end"] == "2026-12-10"
    assert shown["consent"]["withdrawn"] == "2026-12-10" and shown["consent"]["withdrawn_by"] == "j.devries"
    assert out(store_url, "report")["endings"].get("stopped-by-participant") == 1
    result = hhb(store_url, "consent", A, "--withdrawn", "--date", "2026-12-11", code=2)
    assert "withdrawn already" in result.output


# -- the access log: the CLI -----------------------------------------------------------------------

READS = [("show", A), ("history", A), ("left", A, "--date", "2026-12-01"), ("debts", "list", A),
         ("arrangements", "list", A), ("signals", "--dossier", A)]


def test_every_read_through_the_cli_by_a_person_is_logged_and_none_of_another_household(two_households):
    store_url = two_households
    for read in READS:
        hhb(store_url, *read, "--actor", "j.devries")
    hhb(store_url, "overview", A, "--month", "2026-12", "-o", "/dev/null", "--actor", "j.devries")
    hhb(store_url, "show", A)  # no person named: nothing to log
    entries = log(store_url, "--dossier", A)
    assert [e["action"] for e in entries] == ["hhb show", "hhb history", "hhb left", "hhb debts list",
                                              "hhb arrangements list", "hhb signals", "hhb overview"]
    assert {e["actor"] for e in entries} == {"j.devries"} and all(e["at"].endswith("+00:00") for e in entries)
    assert log(store_url, "--dossier", B) == []
    # a list logs each household it shows
    hhb(store_url, "households", "--team", "Wijkteam Zuid", "--actor", "m.bakker")
    assert [(e["dossier"], e["action"]) for e in log(store_url, "--actor", "m.bakker")] == [(B, "hhb households")]
    assert log(store_url, "--since", "2099-01-01") == []


def test_a_participants_link_created_and_revoked_is_logged(two_households):
    store_url = two_households
    link = json.loads(hhb(store_url, "tokens", "link", A, "--actor", "j.devries").stdout)
    hhb(store_url, "tokens", "revoke", link["id"], "--actor", "t.lead")
    assert [(e["actor"], e["action"]) for e in log(store_url, "--dossier", A)] == [
        ("j.devries", f"link created {link['id']}"), ("t.lead", f"link revoked {link['id']}")]


def test_only_an_auditor_reads_the_access_log(two_households):
    store_url = two_households
    hhb(store_url, "users", "add", "--name", "j.devries", "--email", "j@gemeente.nl", "--role", "staff",
        "--team", "Wijkteam Noord")
    assert "only an auditor" in hhb(store_url, "access-log", "--by", "j.devries", code=2).output
    assert "--by" in hhb(store_url, "access-log", code=2).output
    assert "no staff account" in hhb(store_url, "access-log", "--by", "nobody", code=2).output


def test_the_app_cannot_change_or_delete_an_entry_and_a_rebuild_keeps_them(two_households, tmp_path):
    store_url = two_households
    hhb(store_url, "show", A, "--actor", "j.devries")
    engine = open_engine(store_url, tmp_path / "var")
    try:
        access_log = AccessLog(engine)
        for statement in ("UPDATE {t}hhb_access_log SET actor = 'someone else'", "DELETE FROM {t}hhb_access_log"):
            with pytest.raises(Exception, match="append-only"):
                with access_log.datastore.transaction(commit=True) as cursor:
                    cursor.execute(access_log._sql(statement))
    finally:
        engine.close()
    hhb(store_url, "projections", "rebuild")
    assert [e["actor"] for e in log(store_url, "--dossier", A)] == ["j.devries"]


def test_no_code_of_the_app_updates_or_deletes_an_entry():
    code = [p for base in ("huishoudboekje", "adapters") for p in (ROOT / base).rglob("*.py")]
    statement = re.compile(r"(UPDATE|DELETE\s+FROM)\s+[{}\w.]*(hhb_access_log|{TABLE})")  # the table by name
    writes = [f"{p.name}: {m.group(0)}" for p in code for m in statement.finditer(p.read_text(encoding="utf-8"))]
    assert writes == []


# -- the access log: the API -----------------------------------------------------------------------

@pytest.fixture
def api(two_households):
    app_ = create_app(db_url=two_households)
    engine = app_.state.context.engine
    with TestClient(app_) as client:
        def token(role, name, **kwargs):
            secret, _ = access.issue(engine, role, name, "test", **kwargs)
            return {"Authorization": f"Bearer {secret}"}

        client.staff = token("staff", "j.devries", team="Wijkteam Noord")
        client.auditor = token("auditor", AUDITOR)
        client.participant = token("participant", "Sanne de Vries", dossier=A)
        client.job = token("job", "nightly")
        yield client
    engine.close()


def test_every_read_through_the_api_is_logged_with_its_caller_and_request(api):
    path = f"/api/v1/households/{quote(A, safe='')}"
    reads = [path, f"{path}/history", f"{path}/left?date=2026-12-01", f"{path}/debts", f"{path}/notices",
             f"{path}/overview?month=2026-12", f"/api/v1/signals?dossier={quote(A, safe='')}"]
    for url in reads:
        assert api.get(url, headers=api.staff).status_code == 200, url
    assert api.get("/api/v1/households", headers=api.staff).status_code == 200  # lists team Noord: A only
    assert api.get("/api/v1/me/left", headers=api.participant).status_code == 200  # their own: not per view
    assert api.get(f"/api/v1/households/{B}", headers=api.staff).status_code == 404  # another team's: not read
    entries = api.get(f"/api/v1/access-log?dossier={quote(A, safe='')}", headers=api.auditor).json()
    assert [e["action"] for e in entries] == [f"GET {u.split('?')[0]}" for u in reads] + ["GET /api/v1/households"]
    assert {e["actor"] for e in entries} == {"staff:j.devries"}
    assert api.get(f"/api/v1/access-log?dossier={B}", headers=api.auditor).json() == []
    assert api.get("/api/v1/access-log", headers=api.staff).status_code == 403
    answer = api.get(f"{path}/subject-access", headers=api.auditor).json()  # a read by the auditor, logged too
    assert answer["dossier"] == A and answer["access_log"][-1]["actor"] == "auditor:a.udit"
    assert api.get(f"/api/v1/households/{B}/subject-access", headers=api.staff).status_code == 404


def test_the_cli_and_the_api_answer_alike(api, two_households):
    path = f"/api/v1/households/{quote(A, safe='')}"
    from_api = api.get(f"{path}/subject-access", headers=api.auditor).json()
    from_cli = json.loads(hhb(two_households, "subject-access", A).stdout)
    for answer in (from_api, from_cli):
        del answer["access_log"]  # each holds its own read
    assert from_cli == from_api
    assert log(two_households, "--dossier", A) == api.get("/api/v1/access-log", headers=api.auditor).json()


def test_consent_through_the_api(api):
    path = f"/api/v1/households/{quote(A, safe='')}"
    answer = api.post(f"{path}/consent", json={"on": "2026-10-30", "way": "signed-form"}, headers=api.staff)
    assert answer.status_code == 200, answer.text
    shown = api.get(path, headers=api.staff).json()["consent"]
    assert shown["way"] == "signed-form" and shown["actor"] == "staff:j.devries"
    refused = api.post(f"{path}/consent", json={"on": "2026-12-10", "way": "in-person", "withdrawn": True},
                       headers=api.staff)
    assert refused.status_code == 422
    ended = api.post(f"{path}/consent", json={"on": "2026-12-10", "withdrawn": True}, headers=api.staff).json()
    assert ended["reason"] == "stopped-by-participant" and ended["consent"]["withdrawn"] == "2026-12-10"
    assert api.get(path, headers=api.staff).json()["status"] == "ended"


# -- a participant's own data ----------------------------------------------------------------------

MINE, OTHERS = "HHB-DEMO-0001", ("HHB-DEMO-0002", "HHB-DEMO-0003")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's three personas paid on 1 December; a creditor's report about persona 1 and
    a note on a signal of persona 1 and of persona 3."""
    tmp = tmp_path_factory.mktemp("subject")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        hhb(db, "demo")
        report = tmp / "report.json"
        report.write_text(json.dumps({"signals": [{
            "dossier": MINE, "partnerType": "Energie", "bedrag": "212.40", "startdatumAchterstand": "2026-10-01",
            "signaalDatum": "2026-11-20", "crisisIndicatie": False}]}))
        hhb(db, "signals", "import", str(report), "--actor", "j.devries")
        for dossier, note in ((MINE, "Gebeld met mevrouw over de energierekening"),
                              (OTHERS[1], "Geheime notitie over het derde huishouden")):
            [signal] = [s for s in out(db, "signals", "--dossier", dossier) if s["status"] == "open"][:1]
            hhb(db, "signals", "ack", signal["id"], "--note", note, "--actor", "j.devries")
        hhb(db, "show", OTHERS[0], "--actor", "m.bakker")  # a read of another household
        engine = open_engine(db, tmp / "var")
        households = {d: engine.household(d) for d in (MINE, *OTHERS)}
        engine.close()
        yield {"db": db, "tmp": tmp, "households": households}


def _theirs(household) -> list[str]:
    """What identifies another household's data: its dossier, its people, its payments, its notes."""
    marks = [household.dossier, *(p.name for p in household.participants), *(p.iban for p in household.participants)]
    marks += [i.end_to_end_id for i in household.instructions.values()]
    return marks + [h["note"] for s in household.signals.values() for h in s.history
                    if h.get("note") and h["by"] != "system"]  # the engine's own notes are the same for all


def test_the_json_holds_every_agreement_payment_signal_and_note_of_the_household_and_nothing_else(demo):
    mine = demo["households"][MINE]
    data = json.loads(hhb(demo["db"], "subject-access", MINE, "--actor", "j.devries").stdout)
    assert {a["id"] for a in data["agreements"]} == set(mine.agreements)
    assert {p["id"] for p in data["payments"]} >= set(mine.instructions) and mine.instructions
    assert all(p["pay_date"] == "2026-12-01" for p in data["payments"])
    assert {s["key"] for s in data["signals"]} == set(mine.signals) and mine.signals
    assert [n["note"] for n in data["notes"]] == ["Gebeld met mevrouw over de energierekening"]
    assert {t["outcome"] for t in data["statement_lines"]} == {"booked"}  # its November incomes
    assert data["participants"][0]["name"] == mine.participants[0].name
    assert [e["actor"] for e in data["access_log"]] == ["j.devries"]  # this request itself
    text = json.dumps(data, ensure_ascii=False)
    for other in OTHERS:
        for mark in _theirs(demo["households"][other]):
            assert mark not in text, mark


def test_the_pdf_says_it_in_plain_dutch_with_every_agreement_payment_signal_and_note(demo):
    pypdf = pytest.importorskip("pypdf")
    if not __import__("shutil").which("chromium"):
        pytest.skip("no Chromium for PDF output")
    mine = demo["households"][MINE]
    target = demo["tmp"] / "inzage.pdf"
    hhb(demo["db"], "subject-access", MINE, "--format", "pdf", "--out", str(target), "--actor", "j.devries")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(target).pages)
    flat = " ".join(text.split())
    assert "Wat wij over u bewaren" in flat and "Uw afspraken" in flat
    for agreement in mine.agreements:
        assert f"Afspraak {agreement}" in flat
    for instruction in mine.instructions.values():
        assert f"Kenmerk {instruction.end_to_end_id}" in flat
    for key in mine.signals:
        assert f"Code {key}" in flat
    assert "Gebeld met mevrouw over de energierekening" in flat
    for other in OTHERS:
        for mark in _theirs(demo["households"][other]):
            assert mark not in flat, mark


def test_an_unknown_dossier_is_not_found_and_logs_nothing(demo):
    result = runner.invoke(app, ["subject-access", "HHB-NOPE", "--db", demo["db"]])
    assert result.exit_code == 3
