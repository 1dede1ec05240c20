"""A household's personal data in other aggregates' events is sealed as it is written, and
what erasure and retention destroy of it (issue 24; `huishoudboekje/trace_seals.py`,
`adapters/erase_traces.py`). On SQLite and PostgreSQL (`store_url`)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml

from adapters.camt053 import parse_camt053
from adapters.erase_traces import erase_unmatched_before, purge_household_traces
from adapters.generated import Tx, camt053
from adapters.shared_state import open_shared_state
from adapters.store import open_engine, persistence_env
from huishoudboekje.domain.directory import SHARD_IDS
from huishoudboekje.domain.household import household_id
from huishoudboekje.personal_data import ERASED
from huishoudboekje.statements import import_statements, unmatched
from tests.factories import MANAGED

STRANGER, STRANGER_IBAN = "Jan Onbekend-Persoon", "NL02ABNA0123456789"
TEXT = "Voorschot voor Jan Onbekend-Persoon, Dorpsstraat 1"


def _stored(engine) -> bytes:
    """Every event's stored state, as the database holds it."""
    return b"".join(bytes(n.state) for n in engine.recorder.select_notifications(1, 100_000))


def _import(engine, txs, statement_id="S1"):
    return import_statements(engine, parse_camt053(camt053(txs, statement_id=statement_id), "test.xml"),
                             managed=[MANAGED], actor="test")


@pytest.fixture
def engine(store_url, tmp_path):
    app = open_engine(store_url, tmp_path / "var")
    yield app
    app.close()


def test_a_line_for_nobody_is_sealed_readable_and_erased_by_retention_with_its_money_kept(engine):
    _import(engine, [Tx("125.00", date(2026, 11, 3), STRANGER_IBAN, STRANGER, TEXT)])
    stored = _stored(engine)
    assert STRANGER.encode() not in stored and TEXT.encode() not in stored and STRANGER_IBAN.encode() not in stored
    [line] = unmatched(engine)
    assert (line.transaction.counterparty_name, line.transaction.description) == (STRANGER, TEXT)

    assert erase_unmatched_before(engine, date(2026, 11, 3)) == 0  # not before the cut-off: kept
    assert erase_unmatched_before(engine, date(2026, 12, 1)) == 1
    engine._forget_cached()
    [line] = unmatched(engine)
    assert (line.transaction.counterparty_name, line.transaction.description) == (ERASED, ERASED)
    assert line.transaction.counterparty_iban == ERASED
    assert str(line.transaction.amount) == "125.00" and line.transaction.value_date == date(2026, 11, 3)


def test_the_income_directory_keeps_match_terms_sealed_and_reads_them_back(engine, example_doc, tmp_path):
    from adapters.documents import read_specs
    from huishoudboekje import households

    doc = yaml.safe_load(example_doc.read_text())
    for income in doc["incomes"]:
        income.setdefault("match", {}).setdefault("terms", []).append("Sanne de Vries")
    (tmp_path / "doc.yaml").write_text(yaml.safe_dump(doc))
    households.onboard(engine, read_specs([tmp_path / "doc.yaml"]), actor="test", managed=[MANAGED])
    directory = b"".join(bytes(e.state) for shard in SHARD_IDS for e in engine.recorder.select_events(shard))
    assert directory and b"Sanne de Vries" not in directory
    engine._forget_cached()
    [(_, _, rows)] = engine.income_directory().households.values()
    assert all("Sanne de Vries" in row[2] for row in rows)  # read back as they were written


def test_erasure_deletes_the_stored_api_answers_naming_the_dossier_and_no_other(store_url, tmp_path, engine):
    state = open_shared_state(persistence_env(store_url, tmp_path / "var"))
    try:
        for key, dossier in (("k1", "HHB-2026-0001"), ("k2", "HHB-2026-0002")):
            assert state.claim("staff", key, "f", now=0.0, expires=1e12) is None
            state.keep("staff", key, 200, json.dumps({"dossier": dossier, "name": "X"}).encode(), {}, expires=1e12)
        purge_household_traces(engine, household_id("HHB-2026-0001"), "HHB-2026-0001")
        assert state.claim("staff", "k1", "f", now=1.0, expires=1e12) is None  # gone: claimed anew
        assert state.claim("staff", "k2", "f", now=1.0, expires=1e12).status == 200  # kept
    finally:
        state.close()
