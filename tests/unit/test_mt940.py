"""MT940 adapter: statements, entries, :86: details and refusals.

Fixtures are written out here line by line, so each test shows the file it
reads; the shared VNG sample corpus is checked at the end when present.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.mt940 import is_mt940, parse_mt940, split_86
from huishoudboekje.domain.statement import StatementError

SHARED = Path(__file__).resolve().parents[3] / "shared"
SAMPLES = SHARED / "samples" / "huishoudboekje-vng" / "mt940"


def mt940(*lines: str, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return newline.join(lines).encode(encoding)


def only_statement(data: bytes):
    statements = parse_mt940(data, "test.sta")
    assert len(statements) == 1
    return statements[0]


# ABN AMRO style: structured :86: with single-slash codes, wrapped mid-word and
# mid-code ('NOTPRO' / 'VIDED'), a BIC in front of the account, CRLF endings.
ABN = mt940(
    "ABNANL2A",
    "940",
    "ABNANL2A",
    ":20:ABN AMRO BANK NV",
    ":25:ABNANL2A/NL91ABNA0417164300",
    ":28:13501/1",
    ":60F:D141231EUR1234,56",
    ":61:1412310102C500,01N654NONREF",
    ":86:/TRTP/SEPA OVERBOEKING/IBAN/NL86INGB0002445588/BIC/INGBNL2A/NAME/J. JAN",
    "SEN/REMI/Factuur 2014-12 huur/EREF/NOTPRO",
    "VIDED",
    ":61:150102D25,N426NONREF",
    ":86:/TRTP/SEPA Incasso algemeen doorlopend/CSID/NL98ZZZ999999990000/NAME/Ener",
    "gie BV/MARF/M-1/REMI/Termijn januari/IBAN/NL69INGB0123456789/BIC/INGBNL2A/EREF/",
    "E2E-0001",
    ":62F:D150102EUR759,55",
)

# ING style: SWIFT envelope, '//' separated codes, CNTP, USTD/STRD remittance,
# reversals, and a statement-level :86: (/SUM/) after the closing balances.
ING = mt940(
    "{1:F01INGBNL2ABXXX0000000000}",
    "{2:I940INGBNL2AXXXN}",
    "{4:",
    ":20:P150101000000001",
    ":25:NL69INGB0123456789EUR",
    ":28C:00000",
    ":60F:C141231EUR100,00",
    ":61:1501020102C10,00NTRFEREF//00000000001005/TRCD/00100/",
    ":86:/EREF/E2E-1//CNTP/NL91ABNA0417164300/ABNANL2A/A. de Vries///REMI/USTD//Huur januari/",
    ":61:1501020102RD2,50NRTIEREF//00000000001006/TRCD/00190/",
    ":86:/RTRN/MS03//EREF/E2E-2//CNTP/NL86INGB0002445588/INGBNL2A/Zorgverzekeraar///REMI/STRD/CUR/1070123412341234/",
    ":61:1501020102RC1,25NRTIEREF//00000000001007/TRCD/00190/",
    ":86:/RTRN/MS03//EREF/NOTPROVIDED//CNTP/NL86INGB0002445588/INGBNL2A/Werkgever///REMI/USTD//Terugboeking/",
    ":62F:C150102EUR111,25",
    ":64:C150102EUR111,25",
    ":86:/SUM/1/2/1,25/12,50/",
    "-}",
)

# BNG style: free-text :86: with the counter-account first, over several lines.
BNG = mt940(
    "0200 13XXXXXXXXXXXX00000",
    "940 02",
    ":20:34948929",
    ":25:0285053876",
    ":28C:9/1",
    ":60F:C201101EUR0,00",
    ":61:201102C322,00NMSC028",
    ":86:NL86INGB0002445588              INGBNL2A",
    "BELASTINGDIENST                 REFO:GVSXX2021",
    "TERUGGAAF  NR. 999999990T900252 VOORSCHOT HUURTOESLAG 2020",
    ":61:201103D41,61NMSC028",
    ":86:NL54INGB0661901247               Water   januari    2021",
    ":62F:C201103EUR280,39",
    "-",
    newline="\n",
)


# ---------------------------------------------------------------- structured


def test_structured_statement_balances_and_account():
    statement = only_statement(ABN)
    assert statement.file == "test.sta"
    assert statement.account == "NL91ABNA0417164300"
    assert statement.statement_id == "ABN AMRO BANK NV/13501/1"
    assert statement.opening_balance == Decimal("-1234.56")
    assert statement.closing_balance == Decimal("-759.55")
    assert statement.opening_date == date(2014, 12, 31)
    assert statement.closing_date == date(2015, 1, 2)
    assert statement.imbalance() == Decimal("0.00")


def test_structured_credit_joins_lines_broken_mid_field():
    credit = only_statement(ABN).transactions[0]
    assert credit.amount == Decimal("500.01")
    assert credit.value_date == date(2014, 12, 31)
    assert credit.booking_date == date(2015, 1, 2)  # entry date '0102' is in the next year
    assert credit.counterparty_iban == "NL86INGB0002445588"
    assert credit.counterparty_name == "J. JANSEN"
    assert credit.description == "Factuur 2014-12 huur"
    assert credit.end_to_end_id is None  # NOTPROVIDED, broken over two lines
    assert credit.bank_reference is None  # NONREF
    assert credit.account == "NL91ABNA0417164300"
    assert credit.where == "line 8"


def test_structured_debit_names_the_payee():
    debit = only_statement(ABN).transactions[1]
    assert debit.amount == Decimal("-25.00")  # '25,' is a SWIFT amount without cents
    assert debit.booking_date == debit.value_date == date(2015, 1, 2)
    assert debit.counterparty_iban == "NL69INGB0123456789"
    assert debit.counterparty_name == "Energie BV"
    assert debit.description == "Termijn januari"
    assert debit.end_to_end_id == "E2E-0001"
    assert debit.where == "line 12"


def test_ing_envelope_reversals_and_references():
    statement = only_statement(ING)
    assert statement.account == "NL69INGB0123456789"
    assert statement.statement_id == "P150101000000001/00000"
    assert statement.imbalance() == Decimal("0.00")
    credit, reversed_debit, reversed_credit = statement.transactions
    assert [t.where for t in statement.transactions] == ["line 8", "line 10", "line 12"]
    assert credit.amount == Decimal("10.00")
    assert credit.counterparty_iban == "NL91ABNA0417164300"
    assert credit.counterparty_name == "A. de Vries"
    assert credit.description == "Huur januari"
    assert credit.end_to_end_id == "E2E-1"
    assert credit.bank_reference == "00000000001005"  # without ING's '/TRCD/…'
    assert reversed_debit.amount == Decimal("2.50")  # RD gives money back
    assert reversed_debit.description == "1070123412341234"  # STRD/CUR reference
    assert reversed_credit.amount == Decimal("-1.25")  # RC takes it away
    assert reversed_credit.end_to_end_id is None


def test_statement_level_86_is_not_added_to_the_last_entry():
    last = only_statement(ING).transactions[-1]
    assert last.description == "Terugboeking"


# ---------------------------------------------------------------- free text


def test_unstructured_details_become_the_description():
    statement = only_statement(BNG)
    assert statement.account == "0285053876"  # plain account number kept as is
    assert statement.statement_id == "34948929/9/1"
    assert statement.imbalance() == Decimal("0.00")
    toeslag, water = statement.transactions
    assert toeslag.description == (
        "NL86INGB0002445588 INGBNL2A BELASTINGDIENST REFO:GVSXX2021 "
        "TERUGGAAF NR. 999999990T900252 VOORSCHOT HUURTOESLAG 2020"
    )
    assert toeslag.counterparty_iban == "NL86INGB0002445588"
    assert toeslag.counterparty_name is None
    assert toeslag.end_to_end_id is None
    assert toeslag.bank_reference == "028"
    assert water.description == "NL54INGB0661901247 Water januari 2021"
    assert water.counterparty_iban is None  # checksum fails: not taken as an IBAN


def test_free_text_line_cut_at_65_characters_joins_without_space():
    first = "Betaling van de maandelijkse termijn voor de energieleverantie EN"
    assert len(first) == 65
    data = mt940(
        ":20:X", ":25:NL91ABNA0417164300", ":60F:C150101EUR0,00",
        ":61:150101C1,00NTRFNONREF",
        f":86:{first}",
        "ERGIE januari",
        ":62F:C150101EUR1,00",
    )  # fmt: skip
    entry = only_statement(data).transactions[0]
    assert entry.description == first + "ERGIE januari"


def test_counter_account_on_second_line_of_61_is_used():
    # Rabobank puts the counter-account in the :61: supplementary details.
    data = mt940(
        ":940:",
        ":20:940S150101",
        ":25:NL91ABNA0417164300",
        ":28C:0",
        ":60F:C150101EUR000000001000,00",
        ":61:150101D000000000025,00N102EREF            ",
        "NL86INGB0002445588",
        ":86:/EREF/E2E-9/BENM//NAME/CONTRA ACCOUN",
        "T HOLDER/REMI/Reference 2015/ISDT/2015-01-01",
        ":62F:C150101EUR000000000975,00",
    )
    entry = only_statement(data).transactions[0]
    assert entry.amount == Decimal("-25.00")
    assert entry.counterparty_iban == "NL86INGB0002445588"
    assert entry.counterparty_name == "CONTRA ACCOUNT HOLDER"
    assert entry.description == "Reference 2015"
    assert entry.end_to_end_id == "E2E-9"
    assert entry.bank_reference is None  # 'EREF' only points into the :86:


# ---------------------------------------------------------------- files


def test_two_statements_in_one_file():
    data = mt940(
        ":20:STMT1",
        ":25:NL91ABNA0417164300",
        ":28C:1/1",
        ":60F:C150101EUR10,00",
        ":61:150105D3,00NTRFNONREF",
        ":86:eerste",
        ":62M:C150105EUR7,00",
        ":20:STMT2",
        ":25:NL91ABNA0417164300",
        ":28C:1/2",
        ":60M:C150105EUR7,00",
        ":61:150106C0,50NTRFNONREF",
        ":86:tweede",
        ":62F:C150106EUR7,50",
    )
    first, second = parse_mt940(data, "two.sta")
    assert (first.statement_id, second.statement_id) == ("STMT1/1/1", "STMT2/1/2")
    assert (first.opening_balance, first.closing_balance) == (Decimal("10.00"), Decimal("7.00"))
    assert (second.opening_balance, second.closing_balance) == (Decimal("7.00"), Decimal("7.50"))
    assert [t.description for t in first.transactions] == ["eerste"]
    assert [t.where for t in second.transactions] == ["line 12"]
    assert first.imbalance() == second.imbalance() == Decimal("0.00")


def test_statement_line_glued_to_previous_details_is_kept():
    # Seen in the BNG sample: the line break before a :61: is missing.
    data = mt940(
        ":20:1", ":25:NL91ABNA0417164300", ":60F:C150101EUR0,00",
        ":61:150101D1,00NMSC028",
        ":86:Zahlungsnummer 1234568 :61:150101D2,00NMSC092",
        ":86:OORSPR. VEREV.",
        ":62F:D150101EUR3,00",
    )  # fmt: skip
    first, second = only_statement(data).transactions
    assert first.description == "Zahlungsnummer 1234568"
    assert second.amount == Decimal("-2.00")
    assert second.description == "OORSPR. VEREV."
    assert (first.where, second.where) == ("line 4", "line 5")


def test_statement_lines_without_type_code_stay_apart():
    # mt940.parse alone merges these into one entry of 2,00 with both texts.
    data = mt940(
        ":20:1", ":25:NL91ABNA0417164300", ":60F:C150101EUR0,00",
        ":61:150101C1,00", ":86:een",
        ":61:150102C2,00", ":86:twee",
        ":62F:C150102EUR3,00",
    )  # fmt: skip
    statement = only_statement(data)
    assert [(t.amount, t.description) for t in statement.transactions] == [
        (Decimal("1.00"), "een"),
        (Decimal("2.00"), "twee"),
    ]


def test_lone_carriage_returns_end_lines():
    statement = only_statement(ING.replace(b"\r\n", b"\r"))
    assert [t.where for t in statement.transactions] == ["line 8", "line 10", "line 12"]
    assert statement.imbalance() == Decimal("0.00")


def test_booking_date_wraps_back_to_december():
    data = mt940(
        ":20:1", ":25:NL91ABNA0417164300", ":60F:C150101EUR0,00",
        ":61:1501021231C1,00NTRFNONREF",
        ":62F:C150102EUR1,00",
    )  # fmt: skip
    entry = only_statement(data).transactions[0]
    assert entry.value_date == date(2015, 1, 2)
    assert entry.booking_date == date(2014, 12, 31)
    assert entry.description == ""


@pytest.mark.parametrize(
    ("field_25", "account"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("ABNANL2A/NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("NL91ABNA0417164300EUR", "NL91ABNA0417164300"),
        ("NL12ABNA0123456789EUR", "NL12ABNA0123456789"),
        ("123456789", "123456789"),
    ],
)
def test_account_forms(field_25, account):
    data = mt940(":20:1", f":25:{field_25}", ":60F:C150101EUR0,00", ":62F:C150101EUR0,00")
    assert only_statement(data).account == account


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_accented_text_is_decoded(encoding):
    data = mt940(
        ":20:1", ":25:NL91ABNA0417164300", ":60F:C150101EUR0,00",
        ":61:150101D4,50NTRFNONREF",
        ":86:/TRTP/SEPA OVERBOEKING/IBAN/NL86INGB0002445588/NAME/Café Zoë/REMI/Koffie à 4,50",
        ":62F:D150101EUR4,50",
        encoding=encoding,
    )  # fmt: skip
    entry = only_statement(data).transactions[0]
    assert entry.counterparty_name == "Café Zoë"
    assert entry.description == "Koffie à 4,50"


def test_amounts_are_exact_decimals():
    for data in (ABN, ING, BNG):
        for statement in parse_mt940(data, "test.sta"):
            for amount in [statement.opening_balance, statement.closing_balance] + [
                t.amount for t in statement.transactions
            ]:
                assert isinstance(amount, Decimal)
                assert amount.as_tuple().exponent == -2


# ---------------------------------------------------------------- refusals

HEAD = (":20:1", ":25:NL91ABNA0417164300", ":60F:C150101EUR0,00", ":61:150101C1,00NTRFNONREF")


@pytest.mark.parametrize(
    ("line_61", "reason"),
    [
        (":61:1205120514CN654NONREF", "no amount"),  # the library would read 654
        (":61:120512C500.01NTRF", "no amount"),  # not a SWIFT decimal comma
        (":61:1205120514500,01N654NONREF", "no debit/credit mark"),
        (":61:C500,01N654NONREF", "no value date"),
    ],
)
def test_broken_statement_line_is_refused_with_its_line(line_61, reason):
    data = mt940(*HEAD, ":86:ok", line_61, ":62F:C150101EUR1,00")
    with pytest.raises(StatementError) as caught:
        parse_mt940(data, "bad.sta")
    assert caught.value.file == "bad.sta"
    assert caught.value.where == "line 6"
    assert reason in caught.value.reason


def test_impossible_value_date_is_refused_not_raised_raw():
    data = mt940(*HEAD[:3], ":61:151301C1,00NTRFNONREF", ":62F:C150101EUR1,00")
    with pytest.raises(StatementError) as caught:
        parse_mt940(data, "bad.sta")
    assert caught.value.where == "line 4"


@pytest.mark.parametrize(
    "balance", [":62F:C150101EUR", ":62F:X150101EUR1,00", ":62F:C150101EUR1.00"]
)
def test_malformed_balance_is_refused(balance):
    data = mt940(*HEAD, balance)
    with pytest.raises(StatementError) as caught:
        parse_mt940(data, "bad.sta")
    assert caught.value.where == "line 5"
    assert "balance" in caught.value.reason


def test_more_than_two_decimals_is_refused():
    data = mt940(*HEAD[:3], ":61:150101C1,005NTRFNONREF", ":62F:C150101EUR1,00")
    with pytest.raises(StatementError, match="two decimals"):
        parse_mt940(data, "bad.sta")


def test_statement_without_account_is_refused():
    data = mt940(":20:1", ":28C:1", ":60F:C150101EUR0,00", ":25:", ":61:150101C1,00NTRF")
    with pytest.raises(StatementError, match=":25:"):
        parse_mt940(data, "bad.sta")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"test",
        b"Datum;Naam;Rekening;Bedrag\n20150101;Jansen;NL91ABNA0417164300;1,00\n",
        b'<?xml version="1.0"?><Document><BkToCstmrStmt/></Document>',
    ],
)
def test_non_mt940_is_refused(data):
    assert not is_mt940(data)
    with pytest.raises(StatementError) as caught:
        parse_mt940(data, "other.txt")
    assert caught.value.where is None
    assert "not an MT940" in caught.value.reason


@pytest.mark.parametrize("data", [ABN, ING, BNG])
def test_is_mt940_sniffs_the_head(data):
    assert is_mt940(data[:400])


# ---------------------------------------------------------------- split_86


def test_split_86_abn_codes_over_broken_lines():
    fields = split_86(
        "/TRTP/SEPA OVERBOEKING/IB\nAN/NL86INGB0002445588/BIC/INGBNL2A/NAME/J. JAN\n"
        "SEN/REMI/Dit zijn de omschrijvingsregels/EREF/NOTPRO\nVIDED"
    )
    assert fields == {
        "TRTP": "SEPA OVERBOEKING",
        "IBAN": "NL86INGB0002445588",
        "BIC": "INGBNL2A",
        "NAME": "J. JANSEN",
        "REMI": "Dit zijn de omschrijvingsregels",
        "EREF": "NOTPROVIDED",
    }


def test_split_86_ing_counterparty_and_unstructured_remittance():
    fields = split_86(
        "/EREF/E2E-1//MARF/MNDT-1//CSID/NL98ZZZ999999990000//CNTP/NL91ABNA0417164300/"
        "ABNANL2A/A/B Beheer/AMSTERDAM//REMI/USTD//Contributie   februari/"
    )
    assert fields["EREF"] == "E2E-1"
    assert fields["MARF"] == "MNDT-1"
    assert fields["CSID"] == "NL98ZZZ999999990000"
    assert fields["IBAN"] == "NL91ABNA0417164300"
    assert fields["BIC"] == "ABNANL2A"
    assert fields["NAME"] == "A/B Beheer"
    assert fields["CITY"] == "AMSTERDAM"
    assert fields["REMI"] == "Contributie februari"


def test_split_86_structured_remittance_gives_the_reference():
    assert split_86("/REMI/STRD/CUR/9001123412341234/")["REMI"] == "9001123412341234"


def test_split_86_parties_keep_their_own_name():
    fields = split_86("/EREF/X/ORDP//NAME/Betaler/ID/123/ULTD//NAME/Namens/REMI/Gift")
    assert fields["ORDP/NAME"] == "Betaler"
    assert fields["ORDP/ID"] == "123"
    assert fields["ULTD/NAME"] == "Namens"
    assert fields["REMI"] == "Gift"
    assert "NAME" not in fields


def test_split_86_beneficiary_with_empty_remittance():
    fields = split_86("/BENM//NAME/JOHN DOE/REMI//ISDT/2013-01-02")
    assert fields["BENM/NAME"] == "JOHN DOE"
    assert fields["REMI"] == ""
    assert fields["ISDT"] == "2013-01-02"


@pytest.mark.parametrize(
    "text",
    [
        "NL86INGB0002445588              INGBNL2A BELASTINGDIENST",
        "BEA   NR:12AB34   01.02.15/12.00 Albert Heijn 1234,PAS123",
        "GIRO  1234567 J. JANSEN HUUR /REMI/ALS TEKST",
        "/XYZ/onbekende code",
        "",
    ],
)
def test_split_86_free_text_gives_nothing(text):
    assert split_86(text) == {}


# ---------------------------------------------------------------- sample corpus

# Read by hand: this file holds only the word 'test'.
REFUSED_SAMPLES = {"MT940-incorrect.txt"}
# Real bank samples whose balances are meaningful (the Banktransacties_* files
# are generated with dummy 0,00 balances).
BALANCED_SAMPLES = {"MT940-ABN.txt", "MT940-BNG.txt", "MT940-ING.txt"}


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared MT940 samples not available")
def test_sample_corpus_parses():
    files = sorted(SAMPLES.glob("*.txt"))
    assert files
    for path in files:
        data = path.read_bytes()
        if path.name in REFUSED_SAMPLES:
            with pytest.raises(StatementError) as caught:
                parse_mt940(data, path.name)
            assert caught.value.reason, path.name
            continue
        statements = parse_mt940(data, path.name)
        entries = [t for s in statements for t in s.transactions]
        assert len(entries) == data.count(b":61:"), path.name
        assert all(t.amount.as_tuple().exponent == -2 for t in entries), path.name
        if path.name in BALANCED_SAMPLES:
            assert all(s.imbalance() == Decimal("0.00") for s in statements), path.name


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared MT940 samples not available")
def test_five_thousand_entries_parse_quickly():
    data = (SAMPLES / "Banktransacties_persona_1_leefgeld_-_5000_banktransacties.txt").read_bytes()
    started = time.perf_counter()
    (statement,) = parse_mt940(data, "5000.txt")
    elapsed = time.perf_counter() - started
    assert len(statement.transactions) == 5040
    assert elapsed < 3, f"took {elapsed:.2f}s"
