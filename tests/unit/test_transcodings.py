"""How values are written into stored events and snapshots, and read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from eventsourcing.persistence import JSONTranscoder

from huishoudboekje import transcodings
from huishoudboekje.domain.agreement import AmountFrom, Counterparty, Participant, Tolerance
from huishoudboekje.domain.household import Booking, Instruction, PayDayFrom
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.paydate import Due

EXAMPLES = [
    Instruction(id="i1", end_to_end_id="E2E", pay_date=date(2026, 12, 1), kind="charge", agreement_id="huur",
                period=date(2026, 12, 1), part=1, amount=Money("712.40"), execution_date=date(2026, 11, 30),
                creditor_name="Woonstichting Één", creditor_iban="NL91ABNA0417164300", reference=None,
                status="confirmed"),
    Instruction(id="i2", end_to_end_id="E2F", pay_date=date(2026, 12, 1), kind="leefgeld", agreement_id=None,
                period=date(2026, 12, 1), part=3, amount=Money("0.01"), execution_date=date(2026, 12, 15),
                creditor_name="A. de Vries", creditor_iban="NL91ABNA0417164300", reference="leefgeld"),
    Booking(transaction_id="T1", agreement_id="bijstand", amount=Money("-1.00"), value_date=date(2026, 11, 24),
            expected=Money("1320.50"), deviates=True),
    Due(agreement_id="water", due=date(2027, 1, 15), amount=Money("96.30"), priority=3,
        creditor_name="Vitens", creditor_iban="NL91ABNA0417164300"),
    AmountFrom(effective=date(2026, 1, 1), amount=Money("1000000.00")),
    PayDayFrom(effective=date(2026, 1, 1), pay_day="last-business-day"),
    PayDayFrom(effective=date(2026, 1, 1), pay_day=25),
    Counterparty(name="CZ", iban="NL91ABNA0417164300"),
    Participant(name="Fatima el Amrani", iban="NL91ABNA0417164300", contact=None),
    Tolerance(days=3, amount=Money("5.00")),
]


def transcoder() -> JSONTranscoder:
    t = JSONTranscoder()
    transcodings.register(t)
    return t


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_a_value_is_stored_as_one_row_and_reads_back_equal(value):
    t = transcoder()
    stored = t.encode({"value": value})
    assert stored.count(b"{") == 2  # the event's own object and the row's wrapper: nothing per field
    read = t.decode(stored)["value"]
    assert read == value and type(read) is type(value)
    assert [type(getattr(read, f)) for f in vars(read)] == [type(getattr(value, f)) for f in vars(value)]


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_values_stored_by_earlier_versions_as_dicts_still_read(value):
    earlier = JSONTranscoder()  # what versions before the rows wrote
    for cls, name in transcodings.DATACLASSES.items():
        earlier.register(transcodings.DataclassAsDict(cls, name))
    earlier.register(transcodings.DateAsISO())
    earlier.register(transcodings.MoneyAsStr())
    stored = earlier.encode({"value": value})
    assert b'"_type_":"' + transcodings.DATACLASSES[type(value)].encode() + b'"' in stored
    assert transcoder().decode(stored)["value"] == value


def test_a_row_written_before_a_field_was_added_reads_with_its_default():
    row = transcodings.DataclassAsRow(Instruction, "instruction_row").encode(EXAMPLES[1])
    old = transcoder().decode(b'{"v":{"_type_":"instruction_row","_data_":' + _json(row[:-1]) + b"}}")["v"]
    assert old.status == "scheduled" and old == EXAMPLES[1]


def test_only_plain_fields_can_be_rows():
    @dataclass(frozen=True)
    class Nested:
        inner: Counterparty

    with pytest.raises(TypeError, match="Nested.inner"):
        transcodings.DataclassAsRow(Nested, "nested_row")


def _json(value) -> bytes:
    import json

    return json.dumps(value).encode()


def test_a_households_instructions_are_one_list_of_rows_read_back_only_when_asked_for():
    from huishoudboekje.domain.household import Instructions, instruction_row

    held = Instructions(EXAMPLES[:2])
    stored = transcoder().encode({"instructions": held})
    assert stored.count(b"{") == 2  # the state's own object and one wrapper for them all
    read = transcoder().decode(stored)["instructions"]
    assert read._items == {"i1": instruction_row(EXAMPLES[0]), "i2": instruction_row(EXAMPLES[1])}  # still rows
    assert read == held and read["i1"] is read["i1"] and type(read["i2"]) is Instruction
    assert instruction_row(EXAMPLES[1]) == transcodings.DataclassAsRow(Instruction, "instruction_row").encode(
        EXAMPLES[1])  # the same row a PayDateRun event stores


def test_the_nightly_checks_read_rows_and_objects_alike():
    from dataclasses import replace

    from huishoudboekje.domain.household import Instructions, instruction_row

    returned = replace(EXAMPLES[0], id="i3", end_to_end_id="E2G", status="returned")
    scheduled = replace(EXAMPLES[0], id="i4", end_to_end_id="E2H", status="scheduled", pay_date=date(2026, 9, 1))
    values = [EXAMPLES[0], EXAMPLES[1], returned, scheduled]
    for held in (Instructions(values), Instructions([instruction_row(v) for v in values]),
                 Instructions([instruction_row(EXAMPLES[1])[:-1], *values[2:], EXAMPLES[0]])):
        assert held.returned() == [returned]
        assert sorted(held.settled_before(date(2026, 12, 2))) == ["i1", "i3"]  # i2 scheduled, i4 too
        assert held.settled_before(date(2026, 12, 1)) == []
        assert sorted(held.paid_charges()) == [("i1", "huur", date(2026, 12, 1), Money("712.40")),
                                               ("i4", "huur", date(2026, 12, 1), Money("712.40"))]
        assert (held.with_end_to_end_id("E2G"), held.with_end_to_end_id("nope")) == ("i3", None)
