"""Statement import and income matching through `hhb`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from adapters.camt053 import parse_camt053
from adapters.cli import app
from adapters.store import open_engine
from tests.factories import MANAGED, Tx, camt053, mt940

runner = CliRunner()
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")


@pytest.fixture(autouse=True)
def managed(monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", f"{MANAGED},NL63BNGH0285008888")


@pytest.fixture
def onboarded(store_url, example_doc):
    assert hhb(store_url, "onboard", str(example_doc)).exit_code == 0
    return store_url


def hhb(store_url, *args):
    return runner.invoke(app, [*args, "--db", store_url])


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def imported(store_url, *files, extra=()):
    result = hhb(store_url, "import", *files, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def queue(store_url):
    return json.loads(hhb(store_url, "unmatched", "--json").stdout)


def events(store_url, tmp_path):
    engine = open_engine(store_url, tmp_path / "var")
    try:
        return engine.event_count()
    finally:
        engine.close()


def bijstand(amount="1320.50", day=date(2026, 11, 30), iban=GEMEENTE[0], text="Uitkering nov HHB-2026-0001"):
    return Tx(amount, day, iban, GEMEENTE[1], text)


def zorgtoeslag(amount="131.00", day=date(2026, 11, 20), text="HHB-2026-0001 Zorgtoeslag november"):
    return Tx(amount, day, *TOESLAGEN, text)


def test_camt053_incomes_are_matched_and_booked(onboarded, tmp_path):
    f = write(tmp_path, "nov.xml", camt053([zorgtoeslag(), bijstand()]))
    assert imported(onboarded, f) == {"files": 1, "transactions": 2, "new": 2, "duplicates": 0,
                                      "matched": 2, "unmatched": 0, "payments_confirmed": 0,
                                      "payments_returned": 0}
    history = json.loads(hhb(onboarded, "history", "HHB-2026-0001", "--json").stdout)["events"]
    assert [e["event"] for e in history].count("IncomeBooked") == 2


def test_mt940_structured_imports_the_same_way(onboarded, tmp_path):
    f = write(tmp_path, "nov.txt", mt940([zorgtoeslag(), bijstand()]))
    assert imported(onboarded, f)["matched"] == 2


def test_importing_the_same_statement_twice_records_each_transaction_once(onboarded, tmp_path):
    f = write(tmp_path, "nov.xml", camt053([zorgtoeslag(), bijstand()]))
    imported(onboarded, f)
    again = imported(onboarded, f)
    assert (again["new"], again["duplicates"], again["matched"]) == (0, 2, 0)


def test_transaction_ids_do_not_change_between_versions():
    # Stores keep these ids: a statement imported after an upgrade must find its
    # transactions of before as duplicates, so the id of a booking never changes.
    from decimal import Decimal

    from huishoudboekje.domain.statement import BankTransaction, Statement
    from huishoudboekje.statements import identify

    t = BankTransaction(MANAGED, date(2026, 10, 30), date(2026, 11, 2), Decimal("1320.50"), "NL14BNGH0285001234",
                        "Gemeente Utrecht", "Bijstand  11-2026 HHB-2026-00001", None, "REF1", "entry 1")
    twice = Statement("a.xml", MANAGED, None, None, None, transactions=[t, t])  # two equal bookings
    assert [ident for ident, _ in identify([twice])] == ["T202610-6d71f901f3a1e39375e3",
                                                          "T202610-a6baeed72ae471aefd0e"]


def test_overlapping_statements_import_to_exactly_the_transactions_of_the_month(onboarded, tmp_path):
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    txs = [Tx("-2.50", d, None, None, f"kosten {d}") for d in days]
    txs.append(Tx("-2.50", days[11], None, None, f"kosten {days[11]}"))  # two equal bookings on one day
    first = write(tmp_path, "1-15.xml", camt053([t for t in txs if t.day.day <= 15], statement_id="A"))
    second = write(tmp_path, "10-31.xml", camt053([t for t in txs if t.day.day >= 10], statement_id="B"))
    a = imported(onboarded, first)
    b = imported(onboarded, second)
    assert a["new"] + b["new"] == len(txs)
    assert b["duplicates"] == len([t for t in txs if 10 <= t.day.day <= 15])
    assert len(queue(onboarded)) == len(txs)


def test_a_statement_whose_balances_do_not_add_up_is_refused_with_the_difference(onboarded, tmp_path):
    f = write(tmp_path, "cut.xml", camt053([zorgtoeslag(), bijstand()], opening="1000.00", closing="2000.00"))
    before = events(onboarded, tmp_path)
    result = hhb(onboarded, "import", f)
    assert result.exit_code == 2
    assert "off by 451.50" in " ".join(result.stderr.split())
    assert events(onboarded, tmp_path) == before
    allowed = imported(onboarded, f, extra=("--allow-unbalanced",))
    assert allowed["matched"] == 2


@pytest.mark.parametrize("name, content, message", [
    ("notes.txt", b"just some notes\nnothing to see\n", "not a bank statement"),
    ("pain.xml", b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
                 b"<CstmrCdtTrfInitn/></Document>", "pain.001"),
    ("xxe.xml", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>', "DTD"),
    ("laughs.xml", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                   b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>', "DTD"),
])
def test_files_that_are_not_statements_are_refused_and_nothing_is_recorded(
        onboarded, tmp_path, name, content, message):
    good = write(tmp_path, "good.xml", camt053([zorgtoeslag()]))
    bad = write(tmp_path, name, content)
    before = events(onboarded, tmp_path)
    result = hhb(onboarded, "import", good, bad)
    assert result.exit_code == 2
    assert name in result.stderr and message in result.stderr
    assert events(onboarded, tmp_path) == before


@pytest.mark.parametrize("remove, message", [
    ('<Amt Ccy="EUR">131.00</Amt>', "entry 1"),
    ("<CdtDbtInd>CRDT</CdtDbtInd>", "entry 1"),
    ("<BookgDt><Dt>2026-11-20</Dt></BookgDt><ValDt><Dt>2026-11-20</Dt></ValDt>", "entry 1"),
])
def test_an_entry_without_amount_indicator_or_date_is_named(onboarded, tmp_path, remove, message):
    head, entry = camt053([zorgtoeslag()], closing="1131.00").decode().split("<Ntry>")
    assert remove in entry
    bad = write(tmp_path, "broken.xml", f"{head}<Ntry>{entry.replace(remove, '', 1)}".encode())
    result = hhb(onboarded, "import", bad)
    assert result.exit_code == 2 and "broken.xml" in result.stderr and message in result.stderr


def test_a_statement_of_an_account_we_do_not_manage_is_refused(onboarded, tmp_path):
    f = write(tmp_path, "other.xml", camt053([zorgtoeslag()], account="NL20INGB0001234567"))
    result = hhb(onboarded, "import", f)
    assert result.exit_code == 2
    assert "NL20INGB0001234567 is not managed" in result.stderr


def test_a_file_over_the_size_limit_is_refused(onboarded, tmp_path, monkeypatch):
    monkeypatch.setenv("HHB_MAX_STATEMENT_BYTES", "500")
    f = write(tmp_path, "big.xml", camt053([zorgtoeslag(), bijstand()]))
    result = hhb(onboarded, "import", f)
    assert result.exit_code == 2 and "over the limit of 500" in result.stderr


# -- matching rules -------------------------------------------------------------------


@pytest.mark.parametrize("tx, reason", [
    # A debit from the payer that names no income of ours (a clawback that does is a
    # deduction: tests/e2e/test_deductions.py).
    (Tx("-131.00", date(2026, 11, 20), *TOESLAGEN, "HHB-2026-0001 kinderopvangtoeslag"), "debit"),
    (Tx("131.00", date(2026, 11, 20), "NL20INGB0001234567", "Iemand", "HHB-2026-0001 zorgtoeslag"),
     "no income agreement with counterparty NL20INGB0001234567"),
    (Tx("131.00", date(2026, 11, 20), *TOESLAGEN, "HHB-2026-0001 huurtoeslag"), "misses term 'zorgtoeslag'"),
], ids=["wrong direction", "wrong IBAN", "missing term"])
def test_transactions_that_match_no_agreement_go_to_the_queue_with_the_reason(onboarded, tmp_path, tx, reason):
    f = write(tmp_path, "s.xml", camt053([tx]))
    result = imported(onboarded, f)
    assert (result["matched"], result["unmatched"]) == (0, 1)
    [waiting] = queue(onboarded)
    assert reason in waiting["reason"]


def test_match_terms_ignore_case_and_accents(onboarded, tmp_path):
    f = write(tmp_path, "s.xml", camt053([zorgtoeslag(text="hhb-2026-0001 ZÓRGTOESLAG")]))
    assert imported(onboarded, f)["matched"] == 1


def test_an_ended_agreement_no_longer_matches(onboarded, tmp_path):
    assert hhb(onboarded, "end-agreement", "HHB-2026-0001", "zorgtoeslag", "--on", "2026-11-15").exit_code == 0
    f = write(tmp_path, "s.xml", camt053([zorgtoeslag()]))
    assert imported(onboarded, f)["unmatched"] == 1
    assert "not valid on 2026-11-20" in queue(onboarded)[0]["reason"]


def test_two_candidates_go_to_the_queue_ranked(onboarded, tmp_path, example_doc):
    second = tmp_path / "second.yaml"
    second.write_text(example_doc.read_text().replace("HHB-2026-0001", "HHB-2026-0002")
                      .replace("NL44RABO0123456789", "NL60RABO0001234561")
                      .replace('amount: "131.00"', 'amount: "140.00"'))
    assert hhb(onboarded, "onboard", str(second)).exit_code == 0
    tx = Tx("131.00", date(2026, 11, 20), *TOESLAGEN, "Zorgtoeslag HHB-2026-0001 HHB-2026-0002")
    f = write(tmp_path, "s.xml", camt053([tx]))
    assert imported(onboarded, f)["unmatched"] == 1
    [waiting] = queue(onboarded)
    assert waiting["candidates"] == ["HHB-2026-0001/zorgtoeslag", "HHB-2026-0002/zorgtoeslag"]
    assert "2 agreements match" in waiting["reason"]


def test_an_amount_outside_tolerance_is_booked_and_flagged_as_deviating(onboarded, tmp_path):
    f = write(tmp_path, "s.xml", camt053([bijstand(amount="1250.50")]))  # tolerance is 25.00
    assert imported(onboarded, f)["matched"] == 1
    history = json.loads(hhb(onboarded, "history", "HHB-2026-0001", "--json").stdout)["events"]
    booked = [e for e in history if e["event"] == "IncomeBooked"][-1]
    assert "deviates=True" in booked["details"] and "expected=1320.50" in booked["details"]


# -- the queue by hand ----------------------------------------------------------------


def test_staff_book_ignore_and_undo_from_the_queue(onboarded, tmp_path):
    stray = Tx("131.00", date(2026, 11, 20), *TOESLAGEN, "HHB-2026-0001 toeslag")  # no term 'zorgtoeslag'
    costs = Tx("-4.95", date(2026, 11, 30), None, None, "Kosten betalingsverkeer")
    imported(onboarded, write(tmp_path, "s.xml", camt053([stray, costs])))
    waiting = {w["description"]: w["transaction"] for w in queue(onboarded)}

    booked = hhb(onboarded, "book", waiting["HHB-2026-0001 toeslag"], "HHB-2026-0001", "zorgtoeslag",
                 "--actor", "m.bakker")
    assert booked.exit_code == 0, booked.output
    ignored = hhb(onboarded, "book", waiting["Kosten betalingsverkeer"], "--ignore", "--reason", "bankkosten")
    assert ignored.exit_code == 0
    assert queue(onboarded) == []

    history = json.loads(hhb(onboarded, "history", "HHB-2026-0001", "--json").stdout)["events"]
    assert (history[-1]["event"], history[-1]["actor"]) == ("IncomeBooked", "m.bakker")

    undone = hhb(onboarded, "book", waiting["HHB-2026-0001 toeslag"], "--undo", "--reason", "verkeerd")
    assert undone.exit_code == 0
    assert [w["transaction"] for w in queue(onboarded)] == [waiting["HHB-2026-0001 toeslag"]]
    history = json.loads(hhb(onboarded, "history", "HHB-2026-0001", "--json").stdout)["events"]
    assert history[-1]["event"] == "BookingUndone"


def test_booking_a_debit_as_income_is_refused(onboarded, tmp_path):
    imported(onboarded, write(tmp_path, "s.xml", camt053([Tx("-4.95", date(2026, 11, 30), None, None, "x")])))
    [waiting] = queue(onboarded)
    result = hhb(onboarded, "book", waiting["transaction"], "HHB-2026-0001", "zorgtoeslag")
    assert result.exit_code == 2 and "debit" in result.stderr


def test_match_terms_are_whole_words_so_one_dossier_never_matches_another(onboarded, tmp_path):
    f = write(tmp_path, "s.xml", camt053([zorgtoeslag(text="HHB-2026-00012 zorgtoeslag")]))
    assert imported(onboarded, f)["unmatched"] == 1
    assert "misses term 'hhb 2026 0001'" in queue(onboarded)[0]["reason"]


# -- matching against the income directory ---------------------------------------------


def test_a_changed_income_agreement_is_what_the_next_import_matches_against(onboarded, tmp_path):
    """The directory the import matches against moves with every change to an agreement."""
    assert hhb(onboarded, "change-amount", "HHB-2026-0001", "bijstand", "1400.00",
               "--from", "2026-11-01").exit_code == 0
    imported(onboarded, write(tmp_path, "s.xml", camt053([bijstand(amount="1400.00")])))
    history = json.loads(hhb(onboarded, "history", "HHB-2026-0001", "--json").stdout)["events"]
    booked = [e for e in history if e["event"] == "IncomeBooked"][-1]
    assert "deviates=False" in booked["details"] and "expected=1400.00" in booked["details"]


def test_income_for_a_household_that_ended_goes_to_the_queue(onboarded, tmp_path):
    assert hhb(onboarded, "end-participation", "HHB-2026-0001", "--on", "2026-11-25").exit_code == 0
    counts = imported(onboarded, write(tmp_path, "s.xml", camt053([zorgtoeslag()])))
    assert (counts["matched"], counts["unmatched"]) == (0, 1)
    assert queue(onboarded)[0]["description"] == "HHB-2026-0001 Zorgtoeslag november"


def _delete_streams(engine, idents):
    """Remove aggregates' events and snapshots, as if a store had been written without them."""
    for recorder in (engine.recorder, engine.snapshots.recorder):
        postgres = "postgres" in type(recorder).__module__ or "pgstore" in type(recorder).__module__
        if postgres:
            table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
            statement, params = f"DELETE FROM {table} WHERE originator_id = %s", [(i,) for i in idents]
        else:
            statement, params = (f"DELETE FROM {recorder.events_table_name} WHERE originator_id = ?",
                                 [(i.hex,) for i in idents])
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.executemany(statement, params)


def _directory_entries(store_url, tmp_path):
    from huishoudboekje.domain.directory import SHARD_IDS

    engine = open_engine(store_url, tmp_path / "var")
    try:
        return [entry[0] for ident in SHARD_IDS for entry in engine.repository.get(ident).households.values()]
    finally:
        engine.close()


def test_a_store_from_before_the_income_directory_still_matches(onboarded, tmp_path):
    """Stores written before the directory existed get one, built from their households."""
    from huishoudboekje.domain.directory import DIRECTORY_ID, SHARD_IDS

    engine = open_engine(onboarded, tmp_path / "var")
    try:
        _delete_streams(engine, [DIRECTORY_ID, *SHARD_IDS])
        assert engine.get_or_none(SHARD_IDS[0]) is None
    finally:
        engine.close()
    assert imported(onboarded, write(tmp_path, "s.xml", camt053([zorgtoeslag(), bijstand()])))["matched"] == 2
    assert "HHB-2026-0001" in _directory_entries(onboarded, tmp_path)


def test_a_store_with_one_income_directory_is_split_into_shards_and_still_matches(onboarded, tmp_path):
    """Stores written before the directory was split have it as one aggregate: its
    entries go to the shards, and the import matches as before."""
    from huishoudboekje.domain.directory import DIRECTORY_ID, SHARD_IDS, IncomeDirectory, entry_of

    engine = open_engine(onboarded, tmp_path / "var")
    try:
        household = engine.household("HHB-2026-0001")
        _delete_streams(engine, [DIRECTORY_ID, *SHARD_IDS])
        old = IncomeDirectory()  # the unsplit directory, as an earlier version wrote it
        old.load({household.id.hex: entry_of(household)})
        engine.save(old)
        assert engine.get_or_none(SHARD_IDS[0]) is None and old.id == DIRECTORY_ID
    finally:
        engine.close()
    assert imported(onboarded, write(tmp_path, "s.xml", camt053([zorgtoeslag(), bijstand()])))["matched"] == 2
    assert _directory_entries(onboarded, tmp_path) == ["HHB-2026-0001"]


def test_an_agreement_ended_by_another_process_during_an_import_is_not_booked(onboarded, tmp_path, monkeypatch):
    """Optimistic concurrency: the import reads the directory, staff end the agreement
    before the bookings are written; the import starts again and sees the change."""
    from huishoudboekje.engine import Engine

    original = Engine.current_versions
    interfered = []

    def staff_act_first(self, ids):
        if not interfered:
            interfered.append(True)
            result = hhb(onboarded, "end-agreement", "HHB-2026-0001", "zorgtoeslag", "--on", "2026-11-15")
            assert result.exit_code == 0, result.output
        return original(self, ids)

    monkeypatch.setattr(Engine, "current_versions", staff_act_first)
    counts = imported(onboarded, write(tmp_path, "s.xml", camt053([zorgtoeslag()])))
    assert interfered and (counts["matched"], counts["unmatched"]) == (0, 1)
    assert "not valid on 2026-11-20" in queue(onboarded)[0]["reason"]
    history = json.loads(hhb(onboarded, "history", "HHB-2026-0001", "--json").stdout)["events"]
    assert [e["event"] for e in history].count("IncomeBooked") == 0


def test_a_ledger_snapshot_from_before_rows_still_loads(onboarded, tmp_path):
    """Ledgers once kept `Recorded` objects; their snapshots must still load (upcast)."""
    from dataclasses import replace as copy_with

    from huishoudboekje.domain.ledger import Ledger, ledger_id

    imported(onboarded, write(tmp_path, "s.xml", camt053([zorgtoeslag(), bijstand(iban="NL02ABNA0123456789")])))
    engine = open_engine(onboarded, tmp_path / "var")
    try:
        ledger = engine.repository.get(ledger_id(MANAGED, "2026-11"))
        old = Ledger.Snapshot.take(ledger)
        state = {k: v for k, v in old.state.items() if k not in ("rows", "class_version")}
        state["transactions"] = {r.id: r for r in ledger.recorded()}  # version 1 of the state
        engine.snapshots.put([copy_with(old, state=state)])
        engine.repository.cache and engine.repository.cache.clear()
        loaded = engine.repository.get(ledger.id)
        assert [r.id for r in loaded.unmatched()] == [r.id for r in ledger.unmatched()]
        assert len(loaded.recorded()) == 2 and loaded.newest_value_date == date(2026, 11, 30)
    finally:
        engine.close()
    assert [w["description"] for w in queue(onboarded)] == ["Uitkering nov HHB-2026-0001"]


def test_a_household_whose_bookings_were_appended_directly_is_snapshotted_when_next_saved(onboarded, tmp_path):
    """Imports append bookings without loading households, so no snapshot is taken
    then; the next save of the household takes one once its tail is long enough."""
    from huishoudboekje.domain.household import Booking, Household, booking_row, household_id
    from huishoudboekje.domain.money import Money

    engine = open_engine(onboarded, tmp_path / "var")
    try:
        hid = household_id("HHB-2026-0001")
        start = engine.current_versions([hid])[hid]
        for n in range(household_interval()):
            booking = Booking(f"T{n}", "zorgtoeslag", Money("131.00"), date(2026, 11, 20), Money("131.00"), False)
            engine.save(events=[Household.incomes_booked(hid, start + n + 1, [booking_row(booking)], "test")])
        latest = engine.snapshots.recorder.select_events(hid, desc=True, limit=1)
        assert not latest or latest[0].originator_version <= start  # appended without one

        engine.change_household("HHB-2026-0001", lambda h: h.change_amount(
            "bijstand", Money("1400.00"), date(2026, 12, 1), "test"))
        household = engine.household("HHB-2026-0001")
        [snapshot] = engine.snapshots.recorder.select_events(hid, desc=True, limit=1)
        assert snapshot.originator_version == household.version
        assert len(household.bookings) >= household_interval()
    finally:
        engine.close()


def test_a_household_keeps_one_snapshot_per_hundred_versions_and_loads_the_same(onboarded, tmp_path):
    """Older snapshots were most of the store; one per hundred versions is kept for the
    projections, which load a household at the version of a notification."""
    from huishoudboekje.domain.household import household_id
    from huishoudboekje.domain.money import Money
    from huishoudboekje.engine import SNAPSHOTS_KEPT_EVERY

    engine = open_engine(onboarded, tmp_path / "var")
    try:
        hid = household_id("HHB-2026-0001")
        for n in range(SNAPSHOTS_KEPT_EVERY + 3 * household_interval()):  # into a second hundred
            engine.change_household("HHB-2026-0001", lambda h, n=n: h.change_amount(
                "bijstand", Money(f"{1400 + n}.00"), date(2026, 12, 1), "test"))
        household = engine.household("HHB-2026-0001")
        taken = range(household_interval(), household.version + 1, household_interval())
        newest_per_hundred = {(v - 1) // SNAPSHOTS_KEPT_EVERY: v for v in taken}
        assert [s.originator_version for s in engine.snapshots.recorder.select_events(hid)] == \
            sorted(newest_per_hundred.values())
        early = engine.repository.get(hid, version=SNAPSHOTS_KEPT_EVERY + 5)  # as a projection loads it
    finally:
        engine.close()
    replayed = open_engine(onboarded, tmp_path / "var")  # the events alone give the same household
    try:
        replayed.snapshots = None
        events_only = replayed.repository.__class__(replayed.events)
        assert vars(events_only.get(hid)) == vars(household)
        assert vars(events_only.get(hid, version=SNAPSHOTS_KEPT_EVERY + 5)) == vars(early)
    finally:
        replayed.close()


def household_interval() -> int:
    from huishoudboekje.domain.household import Household
    from huishoudboekje.engine import Engine

    return Engine.snapshotting_intervals[Household]


def test_versions_are_read_on_any_store(example_doc):
    """`current_versions` has SQL for SQLite and PostgreSQL and a slow way for the rest."""
    from adapters.documents import load_document
    from huishoudboekje.domain.household import household_id
    from huishoudboekje.engine import Engine
    from huishoudboekje.households import onboard
    from huishoudboekje.onboarding import parse_document

    from huishoudboekje import teams

    engine = Engine(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    teams.add(engine, "Wijkteam Noord", "test")
    onboard(engine, [(str(example_doc), parse_document(load_document(example_doc), str(example_doc)))], actor="test",
            managed=[MANAGED])
    hid = household_id("HHB-2026-0001")
    assert engine.current_versions([hid]) == {hid: engine.household("HHB-2026-0001").version}


def test_events_of_rows_are_stored_as_the_library_would_store_them(onboarded, tmp_path):
    # The import's ledger and booking events are encoded by orjson (see transcodings):
    # what is stored must be what the library would store, and read back as the event.
    from uuid import uuid4

    import orjson
    from eventsourcing.persistence import Mapper

    from huishoudboekje.domain.household import Household
    from huishoudboekje.domain.ledger import Ledger, row_of
    from huishoudboekje.transcodings import rows_events

    odd = Tx("12.34", date(2026, 11, 3), "NL02RABO0123456789", "Één onbekende", 'Ödeme \u00e9\u2028 "quoted" \\ end')
    [statement] = parse_camt053(camt053([odd, zorgtoeslag()]), "odd.xml")
    ledger = Ledger(account=MANAGED, month="2026-11")
    ledger.record(import_id="I1", files=["odd.xml"], allow_unbalanced=True, actor="test",
                  rows=[row_of(f"T{n}", t, "unmatched", reason="é", candidates=["A/b", "C/d"])
                        for n, t in enumerate(statement.transactions)])
    booked = Household.incomes_booked(uuid4(), 7, [["T1", "zorgtoeslag", "131.00", "2026-11-20", "131.00", True]], "ik")
    events = [*ledger.collect_events()[1:], booked]
    assert {type(e) for e in events} == rows_events()
    engine = open_engine(onboarded)
    try:
        library = Mapper(transcoder=engine.mapper.transcoder)
        for event in events:
            stored = engine.mapper.to_stored_event(event)
            # to the byte, but for a statement line's personal fields: sealed (`trace_seals`)
            assert orjson.loads(engine.mapper.reveal(stored.state)) == orjson.loads(library.to_stored_event(event).state)
            assert engine.mapper.to_domain_event(stored).__dict__ == event.__dict__
        # And end to end: what an import stored reads back as its events, timestamps and all.
        imported(onboarded, write(tmp_path, "nov.xml", camt053([odd, zorgtoeslag(), bijstand()])))
        topics = {f"{cls.__module__}:{cls.__qualname__}" for cls in rows_events()}
        stored = [s for s in engine.recorder.select_notifications(1, 10_000) if s.topic in topics]
        assert len(stored) == 2
        for record in stored:
            assert type(engine.mapper.to_domain_event(record).timestamp).__name__ == "datetime"
    finally:
        engine.close()


def test_a_write_blocked_by_another_writer_stops_with_a_message_having_written_nothing(
        onboarded, tmp_path, monkeypatch):
    """On PostgreSQL a write waits at most HHB_DB_LOCK_TIMEOUT for the events table
    (a hung writer holds it); then it says so and nothing of it is stored. Run again
    once the other writer is gone, it imports as usual."""
    if not onboarded.startswith("postgresql"):
        pytest.skip("SQLite has its own lock timeout")
    import psycopg

    monkeypatch.setenv("HHB_DB_LOCK_TIMEOUT", "1")
    before = events(onboarded, tmp_path)
    f = write(tmp_path, "nov.xml", camt053([zorgtoeslag(), bijstand()]))
    base, schema = onboarded.split("?schema=")
    with psycopg.connect(base) as other:  # a transaction that holds the table and does not end
        other.execute(f'LOCK TABLE "{schema}".huishoudboekje_events IN EXCLUSIVE MODE')
        result = hhb(onboarded, "import", f, "--json")
        other.rollback()
    assert result.exit_code == 1
    assert "another writer held the events table for more than 1 s" in result.output
    assert "nothing of this command was written, run it again" in result.output
    assert events(onboarded, tmp_path) == before
    assert imported(onboarded, f)["matched"] == 2
