"""The ledger of a managed account: every bank line recorded once, in events of bounded size."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson
from hypothesis import given
from hypothesis import strategies as st

from huishoudboekje.domain.ledger import (BOOKED, BYTES_PER_EVENT, IGNORED, ROWS_PER_EVENT, UNMATCHED, Ledger, Recorded,
                                          chunked, from_row, ledger_id, month_of, row_of, to_row)
from huishoudboekje.domain.statement import BankTransaction, Statement
from huishoudboekje.statements import identify

from .build import MANAGED, TOESLAGEN, credit

NOVEMBER = date(2026, 11, 20)


def rows(count: int, description: str = "Zorgtoeslag 11-2026 HHB-2026-0001", start: int = 0) -> list[list]:
    return [row_of(f"T202611-{start + n:020x}", credit("154.00", description), UNMATCHED, reason="no match",
                   candidates=["HHB-2026-0001/zorgtoeslag"]) for n in range(count)]


def imported(ledger: Ledger) -> list[list[list]]:
    """The rows of each `TransactionsImported` event the ledger has still to save."""
    return [e.rows for e in ledger.pending_events if type(e).__name__ == "TransactionsImported"]


def replayed(ledger: Ledger) -> Ledger:
    """The ledger as loading it from its stored events makes it."""
    rebuilt = None
    for event in ledger.pending_events:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    return rebuilt


def test_a_statement_of_2500_lines_is_recorded_in_events_of_at_most_1000_rows():
    ledger = Ledger(account=MANAGED, month="2026-11")
    ledger.record(import_id="I1", files=["nov.xml"], allow_unbalanced=False, rows=rows(2500), actor="import")
    assert [len(chunk) for chunk in imported(ledger)] == [1000, 1000, 500]
    assert len(ledger.recorded()) == 2500
    assert {r.import_id for r in ledger.recorded()} == {"I1"}
    assert replayed(ledger).rows == ledger.rows


# Descriptions as banks send them, and worse: accents, quotes and control characters
# take more bytes in the stored JSON than characters in the text.
descriptions = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=420),
    st.builds(lambda text, times: text * times, st.sampled_from(["Huur ", "Crème brûlée ", '"', "\x01", "😀"]),
              st.integers(0, 420)),
)


@given(st.lists(st.tuples(st.integers(1, 400), descriptions), max_size=6), st.integers(0, 2))
def test_chunking_keeps_every_row_once_in_order_and_within_both_bounds(runs, extra):
    # Runs of equal rows make statements of up to a few thousand lines without
    # drawing each line.
    made = [row for n, (count, text) in enumerate(runs) for row in rows(count * (1 + extra), text, start=n * 10**4)]
    chunks = chunked(made)
    assert [row for chunk in chunks for row in chunk] == made  # none lost, none twice, same order
    for chunk in chunks:
        assert 1 <= len(chunk) <= ROWS_PER_EVENT
        assert len(chunk) == 1 or len(orjson.dumps(chunk)) <= BYTES_PER_EVENT
    for chunk, following in zip(chunks, chunks[1:]):  # and no more events than the bounds need
        grown = chunk + following[:1]
        assert len(grown) > ROWS_PER_EVENT or len(orjson.dumps(grown)) > BYTES_PER_EVENT


def test_a_line_larger_than_an_event_is_recorded_in_an_event_of_its_own():
    huge = rows(1, "x" * (BYTES_PER_EVENT + 1), start=7)
    made = rows(2) + huge + rows(2, start=9)
    assert [len(chunk) for chunk in chunked(made)] == [2, 1, 2]


def test_an_overlapping_statement_finds_its_lines_recorded_and_two_equal_lines_count_twice():
    # The same two payments of 50.00 on one day, and a third line: the second file
    # overlaps the first and adds one line of its own.
    same = credit("50.00", "Gift", iban=TOESLAGEN)
    third = credit("154.00", "Zorgtoeslag HHB-2026-0001", day=date(2026, 11, 21))
    later = credit("12.00", "Rente", day=date(2026, 11, 22))
    first = Statement("a.xml", MANAGED, "A", None, None, transactions=[same, same, third])
    second = Statement("b.xml", MANAGED, "B", None, None, transactions=[same, same, third, later])
    ledger = Ledger(account=MANAGED, month="2026-11")
    ids = identify([first])
    assert len(set(ids)) == 3
    ledger.record(import_id="I1", files=["a.xml"], allow_unbalanced=False, actor="import",
                  rows=[row_of(ident, t, UNMATCHED) for ident, t in ids])
    again = identify([second])
    assert [ident in ledger for ident, _ in again] == [True, True, True, False]
    assert again[:3] == ids


def test_lines_keep_the_order_they_came_in_and_a_resolved_line_keeps_its_place():
    ledger = Ledger(account=MANAGED, month="2026-11")
    lines = [credit("10.00", f"line {n}", day=date(2026, 11, 30 - n)) for n in range(4)]
    ledger.record(import_id="I1", files=["a.xml"], allow_unbalanced=False, actor="import",
                  rows=[row_of(f"T{n}", t, UNMATCHED, reason="no match") for n, t in enumerate(lines)])
    assert ledger.newest_value_date == date(2026, 11, 30)  # the newest, not the last line's
    ledger.resolve("T1", BOOKED, "HHB-2026-0001", "zorgtoeslag", "staff", reason="booked by hand")
    ledger.resolve("T2", IGNORED, None, None, "staff")
    assert [r.id for r in ledger.recorded()] == ["T0", "T1", "T2", "T3"]
    assert [r.id for r in ledger.unmatched()] == ["T0", "T3"]
    assert ledger.get("T1") == Recorded("T1", lines[1], BOOKED, "HHB-2026-0001", "zorgtoeslag", "booked by hand",
                                        import_id="I1")
    assert ledger.get("T2").reason == "no match"  # resolved without a reason: the old one stays
    assert replayed(ledger).rows == ledger.rows


recorded = st.builds(
    Recorded,
    id=st.text(min_size=1, max_size=30),
    transaction=st.builds(
        BankTransaction.read, st.just(MANAGED), st.dates(), st.dates(),
        st.integers(-10**9, 10**9).filter(bool).map(lambda c: Decimal(c).scaleb(-2)),
        st.one_of(st.none(), st.just(TOESLAGEN)), st.one_of(st.none(), st.text(max_size=20)),
        st.text(max_size=60), st.one_of(st.none(), st.text(max_size=35)), st.one_of(st.none(), st.text(max_size=20)),
        st.text(max_size=10)),
    outcome=st.sampled_from([UNMATCHED, BOOKED, IGNORED]),
    dossier=st.one_of(st.none(), st.text(max_size=20)),
    agreement_id=st.one_of(st.none(), st.text(max_size=20)),
    reason=st.one_of(st.none(), st.text(max_size=60)),
    candidates=st.lists(st.text(max_size=20), max_size=3).map(tuple),
    import_id=st.one_of(st.none(), st.text(max_size=17)),
)


@given(recorded)
def test_a_recorded_line_reads_back_from_its_row_unchanged(line):
    row = orjson.loads(orjson.dumps(to_row(line)))  # as the store writes and reads it
    assert from_row(row) == line


@given(st.lists(recorded, max_size=5, unique_by=lambda r: r.id))
def test_a_snapshot_of_version_1_reads_as_rows(lines):
    state = {"transactions": {line.id: line for line in lines}}
    Ledger.upcast_v1_v2(state)
    assert "transactions" not in state
    assert [from_row(row) for row in state["rows"].values()] == lines


def test_a_ledger_is_found_by_its_account_and_booking_month():
    assert month_of(date(2026, 1, 31)) == "2026-01"
    assert ledger_id(MANAGED, "2026-11") == Ledger(account=MANAGED, month="2026-11").id
    assert ledger_id(MANAGED, "2026-11") != ledger_id(MANAGED, "2026-12")
    # Stored ledgers are found by this id: it must never change.
    assert str(ledger_id(MANAGED, "2026-11")) == "1f8d0b89-8fc1-506b-876c-d3bab58dea7c"
