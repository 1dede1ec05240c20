"""Erasure by crypto-shredding (issue 24): `hhb erase`, on both stores."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.store import open_engine
from huishoudboekje.domain.household import household_id
from huishoudboekje.domain.notices import notices_id
from huishoudboekje.personal_data import ERASED
from huishoudboekje.projections.views import Projections
from tests.conftest import POSTGRES_URL, ROOT
from tests.factories import MANAGED

runner = CliRunner()
GONE, KEPT = "HHB-DEMO-0001", "HHB-DEMO-0002"  # persona 1 is erased, persona 2 takes part still
NAME, IBAN, PHONE, TERM = "Fatima el Amrani", "NL60RABO0001234561", "06-12345678", "el Amrani"
STREET, NOTE = "Zonnebloemstraat", "Mevrouw belde huilend over de energierekening"
PRIVACY, LEAD, LEAD2, STAFF, AUDITOR = "p.rivacy", "t.lead", "s.econd", "j.devries", "a.udit"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("HHB_ACTOR", raising=False)
    monkeypatch.delenv("HHB_ERASE_CONFIRMATION", raising=False)


def hhb(store_url, *args, code=0):
    result = runner.invoke(app, [*args, "--db", store_url])
    assert result.exit_code == code, result.output
    return result


def out(store_url, *args):
    return json.loads(hhb(store_url, *args, "--json").stdout)


@pytest.fixture
def households(store_url, tmp_path):
    """Persona 1 with an address and a note on a creditor's report, persona 2 beside it; staff."""
    for persona in ("persona-1-eenoudergezin.yaml", "persona-2-nuluren.yaml"):
        hhb(store_url, "onboard", str(ROOT / "personas" / persona))
    hhb(store_url, "address", GONE, "--postcode", "3511 AB", "--number", "12A", "--street", STREET,
        "--place", "Utrecht")
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"signals": [{
        "dossier": GONE, "partnerType": "Energie", "bedrag": "212.40", "startdatumAchterstand": "2026-10-01",
        "signaalDatum": "2026-11-10", "crisisIndicatie": False}]}))
    hhb(store_url, "signals", "import", str(report), "--actor", STAFF)
    [signal] = [s for s in out(store_url, "signals", "--dossier", GONE) if s["status"] == "open"][:1]
    hhb(store_url, "signals", "ack", signal["id"], "--note", NOTE, "--actor", STAFF)
    for name, role, team in ((PRIVACY, "privacy", None), (LEAD, "teamlead", "Wijkteam Noord"),
                             (LEAD2, "teamlead", "Wijkteam Noord"), (STAFF, "staff", "Wijkteam Noord"), (AUDITOR, "auditor", None)):
        hhb(store_url, "users", "add", "--name", name, "--email", f"{name}@gemeente.nl", "--role", role,
            *(("--team", team) if team else ()))
    return store_url


def ended(store_url):
    """Persona 1's participation ends before its first pay date; the settlement is run."""
    hhb(store_url, "end-participation", GONE, "--on", "2026-11-20")
    hhb(store_url, "reconcile", "--date", "2026-11-23", "--json")
    return store_url


def erase(store_url, *extra, code=0):
    return hhb(store_url, "erase", GONE, "--reason", "verzoek van de deelnemer", "--date", "2026-11-30",
               *extra, code=code)


def written(store_url, tmp_path):
    """What would show that something was written: the events, the destroyed keys, the log."""
    engine = open_engine(store_url, tmp_path / "var")
    try:
        destroyed = [engine.keyring.destroyed(o) for o in (household_id(GONE), notices_id(GONE))]
        return engine.event_count(), destroyed
    finally:
        engine.close()


# -- refusals --------------------------------------------------------------------------------------

def test_a_household_that_takes_part_or_awaits_its_settlement_is_not_erased_and_nothing_is_written(
        households, tmp_path):
    before = written(households, tmp_path)
    assert "still takes part" in erase(households, "--actor", PRIVACY, code=2).output
    hhb(households, "end-participation", GONE, "--on", "2026-11-20")
    before = written(households, tmp_path)
    assert "final settlement is not paid yet" in erase(households, "--actor", PRIVACY, code=2).output
    assert written(households, tmp_path) == before and before[1] == [False, False]
    assert out(households, "show", GONE)["participants"][0]["name"] == NAME


def test_a_household_that_holds_money_is_not_erased(households, tmp_path):
    """Persona 2 without incomes: its first pay date's leefgeld came from the buffer, and
    its settlement had nothing to repay it with: the household owes the buffer still."""
    hhb(households, "reconcile", "--date", "2026-12-01", "--json")
    hhb(households, "end-participation", KEPT, "--on", "2026-12-04")
    hhb(households, "reconcile", "--date", "2026-12-10", "--json")
    assert out(households, "show", KEPT)["status"] == "ended"
    before = written(households, tmp_path)
    result = hhb(households, "erase", KEPT, "--reason", "r", "--actor", PRIVACY, "--date", "2026-12-11", code=2)
    assert "still holds money: buffer owed" in result.output
    assert written(households, tmp_path) == before


@pytest.mark.parametrize("who, why", [
    ((STAFF,), "only the privacy officer or a team lead"),
    ((LEAD,), "second person's confirmation"),
    ((LEAD, LEAD), "another person"),
    ((LEAD, STAFF), "a team lead or the privacy officer confirms"),
    (("n.iemand",), "no staff account"),
])
def test_who_may_not_erase_is_refused_and_nothing_is_written(households, tmp_path, who, why):
    ended(households)
    before = written(households, tmp_path)
    args = ["--actor", who[0], *(("--confirmed-by", who[1]) if len(who) > 1 else ())]
    assert why in erase(households, *args, code=2).output
    assert written(households, tmp_path) == before
    assert out(households, "access-log", "--by", AUDITOR, "--dossier", GONE) == []
    assert out(households, "show", GONE)["participants"][0]["name"] == NAME


def test_a_team_lead_erases_alone_where_the_setting_asks_for_no_confirmation(households, monkeypatch):
    ended(households)
    monkeypatch.setenv("HHB_ERASE_CONFIRMATION", "none")
    done = json.loads(erase(households, "--actor", LEAD).stdout)
    assert done["confirmed_by"] is None and done["erased_on"] == "2026-11-30"


# -- an erasure ------------------------------------------------------------------------------------

def _money(store_url):
    """The team report's totals and the balance check (without how far the read models are)."""
    return [{k: v for k, v in answer.items() if k != "projection"}
            for answer in (out(store_url, "report"), out(store_url, "balance"))]


def _others(store_url, tmp_path):
    engine = open_engine(store_url, tmp_path / "var")
    try:
        views = Projections(engine)
        views.catch_up()
        dump = views.dump()
    finally:
        engine.close()
    return {table: [r for r in rows if r.get("dossier") != GONE] for table, rows in dump.items()
            if table in ("hhb_households", "hhb_signals", "hhb_household_keys")}


def test_an_erased_household_reads_erased_everywhere_while_the_money_adds_up(households, tmp_path):
    ended(households)
    money, others = _money(households), _others(households, tmp_path)
    done = json.loads(erase(households, "--actor", LEAD, "--confirmed-by", PRIVACY).stdout)
    assert done == {"dossier": GONE, "erased_on": "2026-11-30", "reason": "verzoek van de deelnemer",
                    "actor": LEAD, "confirmed_by": PRIVACY, "again": False}
    shown = out(households, "show", GONE)
    assert shown["participants"][0]["name"] == shown["participants"][0]["iban"] == ERASED
    assert shown["participants"][0]["contact"] == ERASED
    assert shown["address"]["street"] == shown["address"]["postcode"] == ERASED
    history = json.dumps(out(households, "history", GONE), ensure_ascii=False)
    assert NAME not in history and NOTE not in history and ERASED in history
    signals = json.dumps(out(households, "signals", "--dossier", GONE), ensure_ascii=False)
    assert NOTE not in signals
    assert out(households, "show", KEPT)["participants"][0]["name"] != ERASED
    # the money is as it was; the other households' rows are the same, also rebuilt
    assert _money(households) == money
    hhb(households, "projections", "rebuild")
    assert _others(households, tmp_path) == others
    # the nightly job passes it by; a second erasure shreds again, without a second event
    hhb(households, "reconcile", "--date", "2026-12-02", "--json")
    events = len(out(households, "history", GONE)["events"])
    assert json.loads(erase(households, "--actor", PRIVACY).stdout)["again"] is True
    assert len(out(households, "history", GONE)["events"]) == events
    log = out(households, "access-log", "--by", AUDITOR, "--dossier", GONE)
    assert [(e["actor"], e["action"]) for e in log] == [
        (LEAD, f"hhb erase: verzoek van de deelnemer; confirmed by {PRIVACY}"),
        (PRIVACY, "hhb erase (again): verzoek van de deelnemer")]


def test_no_personal_data_of_the_erased_household_is_left_in_its_events_and_snapshots(households, tmp_path):
    ended(households)
    erase(households, "--actor", PRIVACY)
    marks = [NAME, IBAN, PHONE, TERM, STREET, NOTE, "3511 AB"]
    found = _household_bytes(households, tmp_path, [household_id(GONE), notices_id(GONE)])
    assert found, "the household's events were looked for"
    for mark in marks:
        assert mark.encode() not in found, mark
    # persona 2's own data is still there, sealed: readable, and not in the clear
    kept = _household_bytes(households, tmp_path, [household_id(KEPT)])
    assert b"pd1:" in kept and b"Kevin Jansen" not in kept


def _household_bytes(store_url, tmp_path, owners) -> bytes:
    """The stored events and snapshots of these aggregates, as the database holds them,
    after SQLite overwrote what was deleted and vacuumed (PostgreSQL: dead rows vacuumed)."""
    engine = open_engine(store_url, tmp_path / "var")
    tables = (engine.recorder.events_table_name, engine.snapshots.recorder.events_table_name)
    engine.close()
    if store_url.startswith("sqlite"):
        path = urlparse(store_url).path
        path = path[1:] if path.startswith("//") else path
        con = sqlite3.connect(path)
        try:
            con.execute("PRAGMA secure_delete=ON")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("VACUUM")
            marks = ",".join("?" * len(owners))
            rows = [r for table in tables for r in con.execute(
                f"SELECT state FROM {table} WHERE originator_id IN ({marks})", [o.hex for o in owners])]
        finally:
            con.close()
        return b"\n".join(bytes(r[0]) for r in rows)
    import psycopg

    schema = parse_qs(urlparse(store_url).query)["schema"][0]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM {schema}.{table}")
        rows = [r for table in tables for r in conn.execute(
            f"SELECT state FROM {schema}.{table} WHERE originator_id = ANY(%s)", (list(owners),))]
    return b"\n".join(bytes(r[0]) for r in rows)
