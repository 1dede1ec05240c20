"""camt.053 parsing: versions, namespaces, batches, refusals and the sample corpus."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.camt053 import is_camt053, parse_camt053
from huishoudboekje.domain.statement import StatementError

NS02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
OWN_IBAN = "NL91ABNA0417164300"
DEBTOR_IBAN = "NL20INGB0001234567"
CREDITOR_IBAN = "NL44RABO0123456789"

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "huishoudboekje-vng"


# --- fixture builders ---------------------------------------------------------------


def tx(
    amount: str | None = None,
    *,
    ustrd: tuple[str, ...] = (),
    ref: str | None = None,
    e2e: str | None = None,
    dbtr: tuple[str, str] | None = None,
    cdtr: tuple[str, str] | None = None,
    v08: bool = False,
    extra: str = "",
) -> str:
    """One TxDtls; `dbtr`/`cdtr` are (name, iban); v08 puts amount and name its own way."""
    refs = f"<Refs><EndToEndId>{e2e}</EndToEndId></Refs>" if e2e else ""
    if amount is None:
        amt = ""
    elif v08:
        amt = f'<Amt Ccy="EUR">{amount}</Amt>'
    else:
        amt = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
    parties = "".join(
        _party(tag, party, v08) for tag, party in (("Dbtr", dbtr), ("Cdtr", cdtr)) if party
    )
    related = f"<RltdPties>{parties}</RltdPties>" if parties else ""
    strd = f"<Strd><CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf></Strd>" if ref else ""
    remit = "".join(f"<Ustrd>{u}</Ustrd>" for u in ustrd) + strd
    rmt = f"<RmtInf>{remit}</RmtInf>" if remit else ""
    return f"<TxDtls>{refs}{amt}{related}{rmt}{extra}</TxDtls>"


def _party(tag: str, party: tuple[str, str], v08: bool) -> str:
    name, iban = party
    named = f"<Pty><Nm>{name}</Nm></Pty>" if v08 else f"<Nm>{name}</Nm>"
    return f"<{tag}>{named}</{tag}><{tag}Acct><Id><IBAN>{iban}</IBAN></Id></{tag}Acct>"


def entry(
    amount: str | None = "12.50",
    indicator: str | None = "CRDT",
    booked: str | None = "<Dt>2024-03-01</Dt>",
    valued: str | None = "<Dt>2024-03-02</Dt>",
    details: tuple[str, ...] = (),
    *,
    status: str = "<Sts>BOOK</Sts>",
    ref: str = "<AcctSvcrRef>BANKREF1</AcctSvcrRef>",
    extra: str = "",
) -> str:
    parts = [
        f'<Amt Ccy="EUR">{amount}</Amt>' if amount is not None else "",
        f"<CdtDbtInd>{indicator}</CdtDbtInd>" if indicator is not None else "",
        status,
        f"<BookgDt>{booked}</BookgDt>" if booked is not None else "",
        f"<ValDt>{valued}</ValDt>" if valued is not None else "",
        ref,
        f"<NtryDtls>{''.join(details)}</NtryDtls>" if details else "",
        extra,
    ]
    return f"<Ntry>{''.join(parts)}</Ntry>"


def balance(code: str, amount: str, indicator: str = "CRDT", day: str = "2024-02-29") -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def statement(
    *entries: str,
    iban: str | None = OWN_IBAN,
    account: str | None = None,
    stmt_id: str = "STMT-1",
    balances: str = "",
) -> str:
    acct = account if account is not None else f"<Id><IBAN>{iban}</IBAN></Id>"
    return (
        f"<Stmt><Id>{stmt_id}</Id><CreDtTm>2024-03-03T06:00:00</CreDtTm>"
        f"<Acct>{acct}<Ccy>EUR</Ccy></Acct>{balances}{''.join(entries)}</Stmt>"
    )


def document(*statements: str, ns: str | None = NS02, prefix: str | None = None) -> bytes:
    body = (
        "<Document><BkToCstmrStmt><GrpHdr><MsgId>MSG-1</MsgId></GrpHdr>"
        f"{''.join(statements)}</BkToCstmrStmt></Document>"
    )
    if prefix:  # every element in the prefixed namespace, as some banks write it
        body = re.sub(r"<(/?)(\w+)", rf"<\1{prefix}:\2", body)
    if ns is not None:
        declaration = f' xmlns:{prefix}="{ns}"' if prefix else f' xmlns="{ns}"'
        body = body.replace("Document>", f"Document{declaration}>", 1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def parse_one(xml: bytes):
    [stmt] = parse_camt053(xml, "test.xml")
    return stmt


def refusal(xml: bytes | io.IOBase) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse_camt053(xml, "bad.xml")
    assert caught.value.file == "bad.xml"
    return caught.value


# --- recognising the format ---------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        document(statement()),
        document(statement(), ns=NS08),
        document(statement(), prefix="camt"),
        document(statement(), ns=None),
    ],
    ids=["v02", "v08", "prefixed", "no-namespace"],
)
def test_sniff_recognises_camt053(head):
    assert is_camt053(head[:4096])


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"not xml at all",
        b":20:STARTUMS\r\n:25:NL91ABNA0417164300\r\n",
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt>',
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>',
    ],
    ids=["empty", "text", "mt940", "camt052", "pain001"],
)
def test_sniff_rejects_other_formats(head):
    assert not is_camt053(head)


def test_sniff_reads_utf16():
    xml = document(statement()).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert is_camt053(xml.encode("utf-16"))


# --- versions and namespaces --------------------------------------------------------


def test_v02_credit_names_the_debtor():
    xml = document(
        statement(
            entry(
                "12.50",
                "CRDT",
                details=(
                    tx(
                        e2e="E2E-1",
                        ustrd=("Huur  maart", "2024"),
                        dbtr=("J. Jansen", "nl20 ingb 0001 2345 67"),
                        cdtr=("Ons eigen", OWN_IBAN),
                    ),
                ),
            )
        )
    )
    stmt = parse_one(xml)
    [t] = stmt.transactions
    assert (stmt.account, stmt.statement_id) == (OWN_IBAN, "STMT-1")
    assert t.account == OWN_IBAN
    assert t.amount == Decimal("12.50") and t.is_credit
    assert (t.booking_date, t.value_date) == (date(2024, 3, 1), date(2024, 3, 2))
    assert (t.counterparty_name, t.counterparty_iban) == ("J. Jansen", DEBTOR_IBAN)
    assert t.description == "Huur maart 2024"
    assert (t.end_to_end_id, t.bank_reference, t.where) == ("E2E-1", "BANKREF1", "entry 1")


def test_v08_debit_names_the_creditor():
    details = tx(
        "40.00",
        v08=True,
        ref="RF18539007547034",
        dbtr=("Ons eigen", OWN_IBAN),
        cdtr=("Energie B.V.", CREDITOR_IBAN),
    )
    xml = document(
        statement(entry("40.00", "DBIT", details=(details,)), iban="nl91 abna 0417 1643 00"),
        ns=NS08,
    )
    stmt = parse_one(xml)
    [t] = stmt.transactions
    assert stmt.account == OWN_IBAN
    assert t.amount == Decimal("-40.00") and not t.is_credit
    assert (t.counterparty_name, t.counterparty_iban) == ("Energie B.V.", CREDITOR_IBAN)
    assert t.description == "RF18539007547034"


@pytest.mark.parametrize(
    "options",
    [
        {"prefix": "camt"},
        {"ns": None},
        {"ns": "http://example.com/not-iso"},
        {"ns": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.05"},
    ],
    ids=["prefixed", "no-namespace", "other-namespace", "v05"],
)
def test_namespace_variants_parse_alike(options):
    xml = document(statement(entry("7.25", "DBIT")), **options)
    [t] = parse_one(xml).transactions
    assert t.amount == Decimal("-7.25")
    assert t.account == OWN_IBAN


def test_every_stmt_block_is_its_own_statement_and_entries_count_on():
    xml = document(
        statement(entry("1.00"), stmt_id="A"),
        statement(entry("2.00"), entry("3.00", "DBIT"), iban=CREDITOR_IBAN, stmt_id="B"),
    )
    first, second = parse_camt053(xml, "two.xml")
    assert (first.statement_id, first.account, len(first.transactions)) == ("A", OWN_IBAN, 1)
    assert (second.statement_id, second.account) == ("B", CREDITOR_IBAN)
    assert [t.amount for t in second.transactions] == [Decimal("2.00"), Decimal("-3.00")]
    assert [t.where for t in second.transactions] == ["entry 2", "entry 3"]
    assert {t.account for t in second.transactions} == {CREDITOR_IBAN}


def test_reads_from_a_binary_stream():
    xml = document(statement(entry("5.00")))
    [stmt] = parse_camt053(io.BytesIO(xml), "stream.xml")
    assert stmt.transactions[0].amount == Decimal("5.00")


def test_large_file_streams_from_a_reader():
    count = 5000

    class Chunks(io.RawIOBase):
        """Hands out the document piece by piece; never holds it whole."""

        def __init__(self) -> None:
            head, tail = document(statement("@@")).split(b"@@")
            one = entry("0.01", ref="").encode()
            self.parts = iter([head, *([one] * count), tail])

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return next(self.parts, b"")

    stmt = parse_one_from(Chunks())
    assert len(stmt.transactions) == count
    assert sum((t.amount for t in stmt.transactions), Decimal("0")) == Decimal("50.00")
    assert stmt.transactions[-1].where == f"entry {count}"


def parse_one_from(stream: io.RawIOBase):
    [stmt] = parse_camt053(stream, "stream.xml")
    return stmt


# --- batch bookings -----------------------------------------------------------------


def test_batch_entry_gives_one_transaction_per_txdtls():
    details = (
        tx("10.00", dbtr=("A", DEBTOR_IBAN), ustrd=("een",)),
        tx("20.00", dbtr=("B", CREDITOR_IBAN), ustrd=("twee",)),
        tx("30.50", dbtr=("C", DEBTOR_IBAN), ustrd=("drie",)),
    )
    xml = document(statement(entry("60.50", "CRDT", details=details)))
    txs = parse_one(xml).transactions
    assert [t.amount for t in txs] == [Decimal("10.00"), Decimal("20.00"), Decimal("30.50")]
    assert [t.counterparty_name for t in txs] == ["A", "B", "C"]
    assert [t.description for t in txs] == ["een", "twee", "drie"]
    assert [t.where for t in txs] == [f"entry 1, transaction {m}" for m in (1, 2, 3)]


def test_batch_debit_amounts_are_negative_and_v08_amounts_count():
    details = (tx("1.00", v08=True), tx("2.00", v08=True), tx("3.00", v08=True))
    xml = document(statement(entry("6.00", "DBIT", details=details)), ns=NS08)
    amounts = [t.amount for t in parse_one(xml).transactions]
    assert amounts == [Decimal("-1.00"), Decimal("-2.00"), Decimal("-3.00")]


def test_batch_that_does_not_add_up_is_refused():
    details = (tx("10.00"), tx("20.00"), tx("30.00"))
    error = refusal(document(statement(entry("60.50", details=details))))
    assert error.where == "entry 1"
    assert "add up to 60.00" in error.reason and "60.50" in error.reason


def test_batch_transaction_without_amount_is_refused():
    details = (tx("10.00"), tx(None), tx("30.00"))
    error = refusal(document(statement(entry("40.00", details=details))))
    assert error.where == "entry 1, transaction 2"
    assert "no amount" in error.reason


def test_single_txdtls_takes_the_booked_entry_amount():
    # Charges or a currency conversion can make a lone TxAmt differ; the entry is booked.
    xml = document(statement(entry("99.00", "DBIT", details=(tx("100.00"),))))
    [t] = parse_one(xml).transactions
    assert t.amount == Decimal("-99.00")


# --- refusing broken entries --------------------------------------------------------


@pytest.mark.parametrize(
    "broken, missing",
    [
        ({"amount": None}, "amount"),
        ({"booked": None}, "booking date"),
        ({"booked": ""}, "booking date"),
        ({"indicator": None}, "credit/debit indicator"),
    ],
    ids=["amount", "date", "empty-date", "indicator"],
)
def test_entry_missing_a_mandatory_element_is_refused(broken, missing):
    xml = document(statement(entry("1.00"), entry(**broken)))
    error = refusal(xml)
    assert error.where == "entry 2"
    assert missing in error.reason
    assert "entry 2" in str(error)


def test_every_missing_element_is_named():
    error = refusal(document(statement(entry(amount=None, indicator=None))))
    assert "amount" in error.reason and "credit/debit indicator" in error.reason


@pytest.mark.parametrize(
    "amount, indicator, reason",
    [
        ("1.005", "CRDT", "more than two decimals"),
        ("1e3", "CRDT", "not a decimal number"),
        ("12,50", "CRDT", "not a decimal number"),
        ("-5.00", "CRDT", "negative but marked CRDT"),
        ("5.00", "BOTH", "unknown credit/debit indicator"),
    ],
)
def test_bad_amounts_are_refused(amount, indicator, reason):
    error = refusal(document(statement(entry(amount, indicator))))
    assert error.where == "entry 1"
    assert reason in error.reason


def test_minus_sign_on_a_debit_repeats_the_indicator():
    [t] = parse_one(document(statement(entry("-148.45", "DBIT")))).transactions
    assert t.amount == Decimal("-148.45")


def test_amounts_are_decimals_with_two_places():
    [t] = parse_one(document(statement(entry("20", "CRDT")))).transactions
    assert isinstance(t.amount, Decimal) and str(t.amount) == "20.00"


def test_invalid_date_is_refused():
    error = refusal(document(statement(entry(booked="<Dt>2024-02-30</Dt>"))))
    assert (error.where, "booking date" in error.reason) == ("entry 1", True)


# --- dates, descriptions, references ------------------------------------------------


def test_value_date_falls_back_to_booking_date_and_datetime_gives_its_date():
    xml = document(statement(entry(booked="<DtTm>2024-03-05T23:59:00+01:00</DtTm>", valued=None)))
    [t] = parse_one(xml).transactions
    assert (t.booking_date, t.value_date) == (date(2024, 3, 5), date(2024, 3, 5))


def test_description_joins_unstructured_and_structured_remittance():
    details = tx(ustrd=("  factuur\n 123 ", "maart"), ref="RF18 5390")
    [t] = parse_one(document(statement(entry(details=(details,))))).transactions
    assert t.description == "factuur 123 maart RF18 5390"


def test_description_falls_back_to_additional_information():
    with_tx_info = tx(extra="<AddtlTxInf>Transactie  info</AddtlTxInf>")
    ntry_info = "<AddtlNtryInf>/TRTP/SEPA Incasso/REMI/Premie</AddtlNtryInf>"
    xml = document(
        statement(entry(details=(with_tx_info,), extra=ntry_info), entry(extra=ntry_info))
    )
    first, second = parse_one(xml).transactions
    assert first.description == "Transactie info"
    assert second.description == "/TRTP/SEPA Incasso/REMI/Premie"
    assert second.counterparty_iban is None and second.counterparty_name is None


def test_references():
    xml = document(
        statement(
            entry(details=(tx(e2e="NOTPROVIDED"),)),
            entry(ref="", extra="<NtryRef>NTRY-9</NtryRef>"),
            entry(ref="", details=(tx(extra=""),)),
        )
    )
    first, second, third = parse_one(xml).transactions
    assert first.end_to_end_id is None and first.bank_reference == "BANKREF1"
    assert second.bank_reference == "NTRY-9"
    assert third.bank_reference is None


@pytest.mark.parametrize("status", ["<Sts>PDNG</Sts>", "<Sts><Cd>PDNG</Cd></Sts>"])
def test_pending_entries_are_not_booked_but_still_counted(status):
    xml = document(statement(entry("1.00", booked=None, status=status), entry("2.00")))
    [t] = parse_one(xml).transactions
    assert (t.amount, t.where) == (Decimal("2.00"), "entry 2")


# --- statement header ---------------------------------------------------------------


def test_balances_are_signed_and_dated():
    balances = balance("OPBD", "100.00", "DBIT", "2024-02-29") + balance(
        "CLBD", "87.50", "DBIT", "2024-03-01"
    )
    stmt = parse_one(document(statement(entry("12.50", "CRDT"), balances=balances)))
    assert (stmt.opening_balance, stmt.closing_balance) == (Decimal("-100.00"), Decimal("-87.50"))
    assert (stmt.opening_date, stmt.closing_date) == (date(2024, 2, 29), date(2024, 3, 1))
    assert stmt.imbalance() == Decimal("0.00")


def test_previous_closing_balance_opens_when_there_is_no_opbd():
    balances = balance("PRCD", "5.00", "CRDT", "2024-02-28") + balance("CLBD", "17.50")
    stmt = parse_one(document(statement(entry("12.50"), balances=balances)))
    assert (stmt.opening_balance, stmt.opening_date) == (Decimal("5.00"), date(2024, 2, 28))


def test_opbd_is_preferred_over_prcd():
    balances = balance("PRCD", "1.00", day="2024-02-28") + balance("OPBD", "2.00")
    stmt = parse_one(document(statement(balances=balances)))
    assert stmt.opening_balance == Decimal("2.00")


def test_missing_balances_are_none_and_an_empty_statement_is_fine():
    stmt = parse_one(document(statement(balances=balance("CLAV", "3.00"))))
    assert stmt.transactions == []
    assert (stmt.opening_balance, stmt.closing_balance, stmt.opening_date) == (None, None, None)


def test_account_falls_back_to_other_identification():
    account = "<Id><Othr><Id>105084986</Id></Othr></Id>"
    stmt = parse_one(document(statement(entry(), account=account)))
    assert stmt.account == "105084986"
    assert stmt.transactions[0].account == "105084986"


def test_statement_without_account_is_refused():
    error = refusal(document(statement(account="<Id></Id>")))
    assert (error.where, error.reason) == ("statement 1", "statement has no account")


def test_account_written_after_the_entries_still_reaches_every_transaction():
    # Out of schema order: the header has no account yet when the entries are read.
    late = (
        f"<Stmt><Id>LATE</Id>{entry('1.00')}{entry('2.00')}"
        f"<Acct><Id><IBAN>{CREDITOR_IBAN}</IBAN></Id></Acct></Stmt>"
    )
    stmt = parse_one(document(late))
    assert stmt.account == CREDITOR_IBAN
    assert [t.account for t in stmt.transactions] == [CREDITOR_IBAN, CREDITOR_IBAN]


def test_each_statement_gives_its_own_account_to_its_transactions():
    xml = document(statement(entry("1.00")), statement(entry("2.00"), iban=CREDITOR_IBAN))
    first, second = parse_camt053(xml, "two.xml")
    assert [t.account for t in first.transactions] == [OWN_IBAN]
    assert [t.account for t in second.transactions] == [CREDITOR_IBAN]


# --- refusing what is not a safe camt.053 -------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>&secret;</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct></Stmt>
</BkToCstmrStmt></Document>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>&lol9;</Id></Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_and_entities_are_refused(xml):
    error = refusal(xml)
    assert "DTD and entity declarations are not allowed" in error.reason


def test_dtd_hidden_behind_a_long_comment_is_still_refused():
    # Past the bytes scanned up front, the parsed prolog is the second defence.
    padding = b"<!--" + b"x" * 100_000 + b"-->\n"
    xml = XXE.replace(b"<!DOCTYPE", padding + b"<!DOCTYPE", 1)
    assert "DTD and entity declarations" in refusal(xml).reason


@pytest.mark.parametrize(
    "xml, named",
    [
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02">'
            b"<BkToCstmrAcctRpt/></Document>",
            "camt.052",
        ),
        (b"<Document><BkToCstmrAcctRpt/></Document>", "camt.052"),
        (b"<Document><BkToCstmrDbtCdtNtfctn/></Document>", "camt.054"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
            b"<CstmrCdtTrfInitn/></Document>",
            "pain.001",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.050.001.02">'
            b"<BkToCstmrStmt/></Document>",
            "camt.050",
        ),
        (b"<Invoice><Id>1</Id></Invoice>", "<Invoice>"),
    ],
    ids=["camt052", "camt052-no-ns", "camt054", "pain001", "camt050-ns", "other-xml"],
)
def test_other_message_types_are_refused_by_name(xml, named):
    error = refusal(xml)
    assert "not a camt.053" in error.reason and named in error.reason


def test_other_message_type_is_refused_before_the_rest_is_read():
    # A pain.001 without a namespace: refused by its name as soon as it starts,
    # not after a tree of the whole file has been built.
    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.reads = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            self.reads += 1
            if self.reads > 20:
                raise AssertionError("read on after the document element was known")
            if self.reads == 1:
                return b"<Document><CstmrCdtTrfInitn>"
            return b"<PmtInf><Nm>x</Nm></PmtInf>" * 1000

    assert "pain.001" in refusal(Endless()).reason


@pytest.mark.parametrize(
    "xml",
    [
        # A second message after the statements: refused before its entries are read.
        document(statement(entry())).replace(
            b"</Document>", f"<BkToCstmrAcctRpt>{statement(entry('1.005'))}</BkToCstmrAcctRpt></Document>".encode()
        ),
        # Found before the broken end of the file.
        document(statement(entry())).replace(b"</Document>", b"<BkToCstmrAcctRpt/><<"),
        # Past a prolog longer than the bytes scanned for a DTD, before a broken end.
        b"<!--" + b"x" * 100_000 + b"-->\n<Document><BkToCstmrAcctRpt><<",
    ],
    ids=["after-statements", "before-broken-end", "after-long-prolog"],
)
def test_message_type_is_refused_where_it_starts(xml):
    error = refusal(xml)
    assert "not a camt.053" in error.reason and "camt.052" in error.reason


def test_unsupported_version_is_refused():
    xml = document(statement(), ns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01")
    assert "camt.053.001.01 is not supported" in refusal(xml).reason


@pytest.mark.parametrize(
    "xml",
    [b"", b"this is not xml", b":20:STARTUMS\n:25:NL91ABNA0417164300\n", b"<Document><BkToCstmrStmt><Stmt><Id>1"],
    ids=["empty", "text", "mt940", "truncated"],
)
def test_not_xml_is_refused_with_a_line(xml):
    error = refusal(xml)
    assert error.reason.startswith("not well-formed XML: ") and "line" in error.reason


def test_text_stream_is_refused_not_crashed():
    assert "bytes" in refusal(io.StringIO("<Document/>")).reason


def test_truncated_files_only_ever_raise_statement_error():
    xml = document(
        statement(entry(details=(tx("1.00"), tx("2.00"))), entry("4.00", "DBIT")),
        statement(balances=balance("OPBD", "1.00")),
    )
    for cut in range(0, len(xml), 13):
        try:
            parse_camt053(xml[:cut], "cut.xml")
        except StatementError:
            pass


def test_entries_outside_a_statement_are_refused():
    xml = f"<BkToCstmrStmt>{entry()}</BkToCstmrStmt>".encode()
    assert "outside a statement" in refusal(xml).reason


# --- the sample corpus of the municipal Huishoudboekje project ----------------------

# Each refusal checked by hand against the file; the reason is what must be in it.
BROKEN_SAMPLES = {
    # An XML external-entity attack.
    "CAMT_DANGEROUS.xml": "DTD and entity declarations are not allowed",
    # A pain.001 payment order, not a statement.
    "incorrect.xml": "pain.001",
    # Declares camt.053.001.01, which predates the supported versions.
    "Wrong_format_CAMT.053_v1.xml": "camt.053.001.01 is not supported",
    # A camt.050 namespace around a statement body: the message type is wrong.
    "incorrectCamtType.xml": "camt.050",
    # '-1251.26' marked CRDT: a credit with a minus sign cannot be booked either way.
    "Negative_amount_CAMT.053_v1.xml": "negative but marked CRDT",
    # Acct/Id is empty: whose statement it is cannot be told.
    "camt053_AccountIdentification_Missing.xml": "statement has no account",
    # The entry lacks mandatory elements.
    "camt053_Transactions_One_MissingCdtDbtInd.xml": "no credit/debit indicator",
    "camt053_Transactions_One_Missing_Amount.xml": "no amount",
    "camt053_Transactions_One_Missing_AmountAndCdtDbtInd.xml": "no amount (Amt) and no credit",
    # Only the TxDtls amount: the booked entry amount (Ntry/Amt) is mandatory.
    "camt053_Transactions_One_OnlyTxtAmntTag_Amount.xml": "no amount",
}


@pytest.mark.skipif(not (SAMPLES / "camt").is_dir(), reason="sample corpus ../shared absent")
def test_sample_corpus():
    files = sorted((SAMPLES / "camt").glob("*.xml")) + sorted(
        (SAMPLES / "camt-edge-cases").glob("*.xml")
    )
    refused, parsed = {}, {}
    for path in files:
        try:
            with path.open("rb") as stream:
                parsed[path.name] = parse_camt053(stream, path.name)
        except StatementError as error:
            refused[path.name] = error
    for name, error in sorted(refused.items()):
        print(f"refused {name}: {error}")
    assert set(refused) == set(BROKEN_SAMPLES)
    for name, expected in BROKEN_SAMPLES.items():
        assert expected in refused[name].reason, name
    assert len(parsed) == len(files) - len(BROKEN_SAMPLES)
    # Real bank exports reconcile exactly: batches split, signs right.
    for name in ("CAMT_ABN.xml", "CAMT_ING.xml"):
        [stmt] = parsed[name]
        assert stmt.imbalance() == Decimal("0.00"), name


def test_a_transaction_read_in_bulk_is_the_one_the_constructor_makes():
    # Parsers build transactions with `BankTransaction.read`, which skips the dataclass's
    # per-field setattr: it must set exactly the fields the class has.
    from huishoudboekje.domain.statement import BankTransaction

    values = ("NL91ABNA0417164300", date(2024, 3, 1), date(2024, 3, 2), Decimal("-12.50"), DEBTOR_IBAN,
              "Eneco", "Termijn maart", "E2E-1", "REF-1", "entry 1")
    assert len(values) == len(BankTransaction.__dataclass_fields__)
    read, made = BankTransaction.read(*values), BankTransaction(*values)
    assert read == made and vars(read) == vars(made) and hash(read) == hash(made)
    with pytest.raises(AttributeError):
        read.amount = Decimal("0.00")  # still frozen
