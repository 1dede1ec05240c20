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
from tests.factories import MANAGED, release_pending

runner = CliRunner()
GONE, KEPT = "HHB-DEMO-0001", "HHB-DEMO-0002"  # persona 1 is erased, persona 2 takes part still
NAME, IBAN, PHONE, TERM = "Fatima el Amrani", "NL60RABO0001234561", "06-12345678", "el Amrani"
STREET, NOTE = "Zonnebloemstraat", "Mevrouw belde huilend over de energierekening"
ERASED_ON = "2027-01-15"  # after the last weekly leefgeld of December is executed
PRIVACY, LEAD, LEAD2, STAFF, AUDITOR, FINANCE = "p.rivacy", "t.lead", "s.econd", "j.devries", "a.udit", "f.inance"


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
                             (LEAD2, "teamlead", "Wijkteam Noord"), (STAFF, "staff", "Wijkteam Noord"), (AUDITOR, "auditor", None),
                             (FINANCE, "finance", None)):
        hhb(store_url, "users", "add", "--name", name, "--email", f"{name}@gemeente.nl", "--role", role,
            *(("--team", team) if team else ()))
    return store_url


def ended(store_url, tmp_path, release=True):
    """Persona 1's November incomes come in, 1 December pays its rent and its leefgeld, its
    participation ends on 4 December and the settlement pays out what it held."""
    from adapters.demo import _november_statement

    engine = open_engine(store_url, tmp_path / "var")
    try:
        statement = tmp_path / "november.xml"
        statement.write_bytes(_november_statement(engine, [GONE], MANAGED))
    finally:
        engine.close()
    hhb(store_url, "import", str(statement))
    hhb(store_url, "reconcile", "--date", "2026-12-01", "--json")
    hhb(store_url, "end-participation", GONE, "--on", "2026-12-04")
    hhb(store_url, "reconcile", "--date", "2026-12-10", "--json")
    if release:
        release_pending(store_url, FINANCE)
    return store_url


def erase(store_url, *extra, code=0):
    return hhb(store_url, "erase", GONE, "--reason", "verzoek van de deelnemer", "--date", ERASED_ON,
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
    assert "final settlement is not paid yet (on 2026-11-23)" in erase(households, "--actor", PRIVACY,
                                                                       code=2).output
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


def test_a_household_whose_payments_wait_in_a_file_nobody_released_is_not_erased(households, tmp_path):
    ended(households, tmp_path, release=False)
    before = written(households, tmp_path)
    assert "not released yet" in erase(households, "--actor", PRIVACY, code=2).output
    assert written(households, tmp_path) == before
    release_pending(households, FINANCE)
    assert json.loads(erase(households, "--actor", PRIVACY).stdout)["again"] is False


@pytest.mark.parametrize("who, why", [
    ((STAFF,), "only the privacy officer or a team lead"),
    ((LEAD,), "second person's confirmation"),
    ((LEAD, LEAD), "another person"),
    ((LEAD, STAFF), "a team lead or the privacy officer confirms"),
    (("n.iemand",), "no staff account"),
])
def test_who_may_not_erase_is_refused_and_nothing_is_written(households, tmp_path, who, why):
    ended(households, tmp_path)
    before = written(households, tmp_path)
    args = ["--actor", who[0], *(("--confirmed-by", who[1]) if len(who) > 1 else ())]
    assert why in erase(households, *args, code=2).output
    assert written(households, tmp_path) == before
    assert out(households, "access-log", "--by", AUDITOR, "--dossier", GONE) == []
    assert out(households, "show", GONE)["participants"][0]["name"] == NAME


def test_a_team_lead_erases_alone_where_the_setting_asks_for_no_confirmation(households, tmp_path, monkeypatch):
    ended(households, tmp_path)
    monkeypatch.setenv("HHB_ERASE_CONFIRMATION", "none")
    done = json.loads(erase(households, "--actor", LEAD).stdout)
    assert done["confirmed_by"] is None and done["erased_on"] == ERASED_ON


# -- an erasure ------------------------------------------------------------------------------------

def _leefgeld_payees(store_url, tmp_path):
    engine = open_engine(store_url, tmp_path / "var")
    try:
        return {(i.creditor_name, i.creditor_iban) for i in engine.household(GONE).instructions.values()
                if i.kind == "leefgeld"}
    finally:
        engine.close()


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
    ended(households, tmp_path)
    assert _leefgeld_payees(households, tmp_path) == {(NAME, IBAN)}
    money, others = _money(households), _others(households, tmp_path)
    done = json.loads(erase(households, "--actor", LEAD, "--confirmed-by", PRIVACY).stdout)
    assert done == {"dossier": GONE, "erased_on": ERASED_ON, "reason": "verzoek van de deelnemer",
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
    assert _leefgeld_payees(households, tmp_path) == {(ERASED, ERASED)}  # it was paid leefgeld, to her
    # the money is as it was; the other households' rows are the same, also rebuilt
    assert _money(households) == money
    hhb(households, "projections", "rebuild")
    assert _others(households, tmp_path) == others
    # the nightly job passes it by; a second erasure shreds again, without a second event
    hhb(households, "reconcile", "--date", "2027-01-20", "--json")
    events = len(out(households, "history", GONE)["events"])
    assert json.loads(erase(households, "--actor", PRIVACY).stdout)["again"] is True
    assert len(out(households, "history", GONE)["events"]) == events
    log = out(households, "access-log", "--by", AUDITOR, "--dossier", GONE)
    assert [(e["actor"], e["action"]) for e in log] == [
        (LEAD, f"hhb erase: verzoek van de deelnemer; confirmed by {PRIVACY}"),
        (PRIVACY, "hhb erase (again): verzoek van de deelnemer")]


def test_no_personal_data_of_the_erased_household_is_left_in_its_events_and_snapshots(households, tmp_path):
    ended(households, tmp_path)
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


def test_a_team_lead_erases_only_households_of_their_own_team(households, tmp_path):
    ended(households, tmp_path)
    hhb(households, "users", "add", "--name", "z.lead", "--email", "z.lead@gemeente.nl", "--role", "teamlead",
        "--team", "Wijkteam Zuid")
    before = written(households, tmp_path)
    assert "own team" in erase(households, "--actor", "z.lead", "--confirmed-by", PRIVACY, code=2).output
    assert "household's team" in erase(households, "--actor", LEAD, "--confirmed-by", "z.lead", code=2).output
    assert written(households, tmp_path) == before


def test_an_erased_household_takes_no_new_personal_data(households, tmp_path):
    ended(households, tmp_path)
    erase(households, "--actor", PRIVACY)
    before = written(households, tmp_path)
    for command in (("notices", "set", GONE, "--email", "fatima@example.nl", "--actor", STAFF),
                    ("consent", GONE, "--date", "2027-01-20", "--way", "signed-form", "--actor", STAFF),
                    ("tokens", "link", GONE)):
        assert "erased" in hhb(households, *command, code=2).output, command
    assert written(households, tmp_path) == before


def test_an_erased_households_access_overview_says_in_words_that_its_data_was_erased(households, tmp_path):
    from adapters.subject_access import render_html

    ended(households, tmp_path)
    erase(households, "--actor", LEAD, "--confirmed-by", PRIVACY)
    data = json.loads(hhb(households, "subject-access", GONE, "--actor", AUDITOR).stdout)
    assert data["erased_on"] == ERASED_ON
    page = " ".join(render_html(data).split())
    assert "Uw persoonsgegevens zijn verwijderd" in page
    assert "Op 15 januari 2027 hebben wij uw naam, adres, rekeningnummers" in page
    assert f"{LEAD} verwijderde uw persoonsgegevens" in page and f"{AUDITOR} maakte dit overzicht" in page
    assert "hhb erase" not in page  # the log's command names are not the participant's words
    kept = json.loads(hhb(households, "subject-access", KEPT).stdout)
    assert kept["erased_on"] is None and "Uw persoonsgegevens zijn verwijderd" not in render_html(kept)
