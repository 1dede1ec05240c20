"""Issue 24's acceptance of erasure: after `hhb erase`, a byte search of the whole database
finds none of the household's personal data, on SQLite (secure_delete, the WAL
checkpointed, vacuumed) and PostgreSQL (vacuumed, `pg_dump`), while the money still adds
up and the read models of every other household rebuild the same.

The household is the demo's persona 1 (Fatima el Amrani): onboarded, given an address
and an e-mail address for notices, paid on 1 December, its name on statement lines (the
incomes booked to it, the echoes of its payments, a transfer from herself that waited in
the queue until staff booked it), in a creditor's report that found it by address and
name and in one that found no household until staff put it on hers, a note on a signal;
then ended and settled. Its surname alone is searched too: it
is a match term of its incomes (in the income directory) and on the lines of its
allowances ("huurtoeslag el Amrani 11-2026").
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import urlparse, parse_qs

import pytest
import yaml
from typer.testing import CliRunner

from adapters.cli import app
from adapters.generated import Tx, camt053
from adapters.store import open_engine
from tests.conftest import ROOT, empty_store
from tests.factories import MANAGED, release_pending

runner = CliRunner()
MINE, OTHERS = "HHB-DEMO-0001", ("HHB-DEMO-0002", "HHB-DEMO-0003")
NAME, IBAN = "Fatima el Amrani", "NL60RABO0001234561"
STREET, EMAIL = "Kanaalstraat", "fatima.elamrani@example.nl"
NOTE = "Gebeld met mevrouw over haar schulden bij de energieleverancier"
OWN_TRANSFER = "Spaargeld terug van Fatima el Amrani voor de huur"
QUEUED_NAME = "Fatma Elamrani-Bouzid"  # a report no household was found for, then put on hers
SECRETS = {
    "name": NAME, "surname": "el Amrani", "IBAN": IBAN, "IBAN on paper": "NL60 RABO 0001 2345 61", "street": STREET,
    "e-mail": EMAIL, "phone": "06-12345678", "postcode": "3512 AB", "postcode in the report": "3512AB",
    "note": NOTE, "statement description": OWN_TRANSFER, "name in a queued report": QUEUED_NAME,
}


def hhb(db: str, *args: str, code: int = 0):
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == code, result.output
    return result


def out(db: str, *args: str):
    return json.loads(hhb(db, *args, "--json").stdout)


def _statement_of_december(db: str, var: Path) -> bytes:
    """The echoes of the payments of 1 December, and a transfer from the participant herself."""
    engine = open_engine(db, var)
    try:
        txs = [Tx(f"-{i.amount}", date(2026, 12, 1), i.creditor_iban, i.creditor_name, "betaling", i.end_to_end_id)
               for dossier in (MINE, *OTHERS) for i in engine.household(dossier).instructions_of(date(2026, 12, 1))]
    finally:
        engine.close()
    txs.append(Tx("600.00", date(2026, 12, 2), IBAN, NAME, OWN_TRANSFER))
    return camt053(txs, account=MANAGED, opening="30000.00", statement_id="DEC-1")


def _history(db: str, tmp: Path) -> None:
    hhb(db, "demo")
    doc = yaml.safe_load((ROOT / "personas" / "persona-1-eenoudergezin.yaml").read_text())
    doc["address"] = {"postcode": "3512 AB", "number": "7", "street": STREET, "place": "Utrecht"}
    (tmp / "persona-1.yaml").write_text(yaml.safe_dump(doc))
    hhb(db, "onboard", str(tmp / "persona-1.yaml"))
    hhb(db, "notices", "set", MINE, "--email", EMAIL, "--date", "2026-12-01")
    (tmp / "report.json").write_text(json.dumps({"signals": [{
        "partnerType": "Energie", "bedrag": "212.40", "startdatumAchterstand": "2026-10-01",
        "signaalDatum": "2026-11-20", "crisisIndicatie": False, "naam": NAME, "postcode": "3512AB",
        "huisnummer": "7"}]}))
    hhb(db, "signals", "import", str(tmp / "report.json"), "--actor", "j.devries")
    (tmp / "queued.json").write_text(json.dumps({"signals": [{
        "partnerType": "Water", "bedrag": "88.10", "startdatumAchterstand": "2026-10-01",
        "signaalDatum": "2026-11-21", "crisisIndicatie": False, "naam": QUEUED_NAME, "postcode": "3512AB",
        "huisnummer": "9"}]}))
    hhb(db, "signals", "import", str(tmp / "queued.json"), "--actor", "j.devries")
    [queued] = out(db, "signals", "queue")
    hhb(db, "signals", "assign", queued["report"], MINE, "--actor", "j.devries")
    signal = next(s for s in out(db, "signals", "--dossier", MINE) if s["status"] == "open")
    hhb(db, "signals", "ack", signal["id"], "--note", NOTE, "--actor", "j.devries")
    (tmp / "december.xml").write_bytes(_statement_of_december(db, tmp / "var"))
    hhb(db, "import", str(tmp / "december.xml"))
    [own] = [t for t in out(db, "unmatched") if t["description"] == OWN_TRANSFER]
    hhb(db, "book", own["transaction"], MINE, "bijstand", "--actor", "j.devries")
    hhb(db, "end-participation", MINE, "--on", "2026-12-31", "--reason", "stabilised", "--actor", "j.devries")
    hhb(db, "reconcile", "--date", "2027-01-05")


def _money(db: str) -> dict:
    report = out(db, "report")
    return {"report": {k: v for k, v in report.items() if k != "projection"},  # its position moves on
            "balance": out(db, "balance")}


def _others(db: str, var: Path) -> dict:
    hhb(db, "projections", "rebuild")
    engine = open_engine(db, var)
    try:
        from huishoudboekje.projections.views import Projections

        views = Projections(engine)
        tables = views.dump()
        # sealed values differ in every rebuild (a fresh nonce each): compared as they read
        opened = {name: [{k: engine.keyring.reveal_text(v) if isinstance(v, str) else v for k, v in row.items()}
                         for row in rows] for name, rows in tables.items()}
        views.close()
    finally:
        engine.close()
    return {name: sorted((row for row in rows if MINE not in json.dumps(row, default=str)),
                         key=lambda row: json.dumps(row, sort_keys=True, default=str))
            for name, rows in opened.items() if name != "hhb_event_counts"}


def _sqlite_bytes(db: str) -> bytes:
    path = Path(urlparse(db).path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _postgres_bytes(db: str) -> bytes:
    import psycopg

    parsed = urlparse(db)
    schema = parse_qs(parsed.query)["schema"][0]
    base = db.split("?", 1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])]
        for table in tables:
            conn.execute(f'VACUUM FULL "{schema}"."{table}"')
    dump = shutil.which("pg_dump")
    assert dump, "pg_dump is needed for the PostgreSQL byte search"
    return subprocess.run([dump, "--no-owner", "--schema", schema, "--dbname", base],
                          check=True, capture_output=True).stdout


def _found(data: bytes) -> list[str]:
    """What of SECRETS is in `data`, as UTF-8 or as the hex a dump writes a bytea in (the
    events' state on PostgreSQL)."""
    return [what for what, text in SECRETS.items()
            if text.encode("utf8") in data or text.encode("utf8").hex().encode() in data]


def _where(db: str, raw: bytes) -> dict[str, list[str]]:
    """For a failure's message: each secret found, and in which table (and event topic)."""
    places: dict[str, set[str]] = {}
    if db.startswith("sqlite"):
        with sqlite3.connect(urlparse(db).path) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in names:
                columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    data = b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
                    topic = dict(zip(columns, row)).get("topic", "")
                    for what in _found(data):
                        places.setdefault(what, set()).add(f"{table} {topic}".strip())
    else:
        section = "?"
        for line in raw.splitlines():
            if line.startswith(b"COPY "):
                section = line.split(b" ")[1].decode()
            for what in _found(line):
                places.setdefault(what, set()).add(section)
    return {what: sorted(where) for what, where in places.items()}


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_after_erasure_no_byte_of_the_household_is_left_and_the_money_still_adds_up(kind, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    with empty_store(kind, tmp_path) as db:
        _history(db, tmp_path)
        hhb(db, "users", "add", "--name", "f.inance", "--email", "f.inance@gemeente.nl", "--role", "finance")
        release_pending(db)  # a payment still in a file nobody released holds erasure back
        held = hhb(db, "subject-access", MINE, "--format", "json", "--actor", "p.rivacy").stdout
        readable = {what for what, text in SECRETS.items() if text in held}  # the store holds them
        assert readable >= set(SECRETS) - {"IBAN on paper", "postcode", "postcode in the report",
                                           "name in a queued report"}
        assert readable & {"postcode", "postcode in the report"}
        assert QUEUED_NAME in hhb(db, "signals", "queue", "--all", "--json").stdout
        money, others = _money(db), _others(db, tmp_path / "var")

        hhb(db, "users", "add", "--name", "p.rivacy", "--email", "p.rivacy@gemeente.nl", "--role", "privacy")
        hhb(db, "erase", MINE, "--reason", "verzoek van de deelnemer", "--actor", "p.rivacy", "--date", "2027-02-01")

        assert _money(db) == money
        assert _others(db, tmp_path / "var") == others
        raw = _sqlite_bytes(db) if kind == "sqlite" else _postgres_bytes(db)
        assert _found(raw) == [], _where(db, raw)
        held = hhb(db, "subject-access", MINE, "--format", "json", "--actor", "p.rivacy").stdout
        assert [what for what, text in SECRETS.items() if text in held] == []
        assert "[verwijderd]" in held
        assert QUEUED_NAME not in hhb(db, "signals", "queue", "--all", "--json").stdout
