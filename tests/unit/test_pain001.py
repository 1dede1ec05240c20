"""pain.001 credit-transfer files: XSD-valid, deterministic, totals that add up."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
import sepaxml
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from adapters.pain001 import (
    PAIN_VERSIONS,
    PaymentFileError,
    Transfer,
    build_pain001,
    sepa_safe,
    validate_pain001,
)
from huishoudboekje.domain.money import Money

SEPA_TEXT = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
DEBTOR_IBAN = "NL20INGB0001234567"
CREATED_AT = datetime(2025, 1, 1, 9, 30, 15)
JAN_2, JAN_3 = date(2025, 1, 2), date(2025, 1, 3)


def transfer(e2e: str, amount: str = "12.34", day: date = JAN_3, **kwargs) -> Transfer:
    fields = {
        "creditor_name": "Eneco",
        "creditor_iban": "NL91ABNA0417164300",
        "remittance": "Termijn januari",
    }
    fields.update(kwargs)
    return Transfer(end_to_end_id=e2e, amount=Money(amount), execution_date=day, **fields)


def three_transfers() -> list[Transfer]:
    return [
        transfer("E2E-1", "12.34", JAN_3, creditor_name="Woningcorporatie Café Ëlzé & Zn"),
        transfer(
            "E2E-2",
            "100.00",
            JAN_2,
            creditor_name="Gemeente Utrecht",
            creditor_iban="NL69INGB0123456789",
            remittance="1234 5678 9012 3456",
            structured_reference=True,
        ),
        transfer("E2E-3", "0.05", JAN_3, creditor_iban="NL44RABO0123456789"),
    ]


def build(transfers=None, version="pain.001.001.09", **kwargs):
    args = {
        "debtor_name": "J. de Vries",
        "debtor_iban": DEBTOR_IBAN,
        "debtor_bic": "INGBNL2A",
        "message_id": "MSG-2025-001",
        "created_at": CREATED_AT,
        "transfers": three_transfers() if transfers is None else transfers,
        "version": version,
    }
    args.update(kwargs)
    return build_pain001(**args)


def parse(content: bytes) -> tuple[etree._Element, dict[str, str]]:
    root = etree.fromstring(content)
    return root, {"p": etree.QName(root).namespace}


def xsd(version: str) -> etree.XMLSchema:
    path = Path(sepaxml.__file__).parent / "schemas" / f"{version}.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


# --- validity ----------------------------------------------------------------------


@pytest.mark.parametrize("version", PAIN_VERSIONS)
@pytest.mark.parametrize("bic", ["INGBNL2A", None])
def test_both_versions_are_valid_against_the_shipped_xsd(version, bic):
    content = build(version=version, debtor_bic=bic).content
    root, ns = parse(content)
    schema = xsd(version)
    assert schema.validate(root), schema.error_log
    assert ns["p"] == f"urn:iso:std:iso:20022:tech:xsd:{version}"
    validate_pain001(content, version)


def test_without_bic_the_debtor_agent_is_not_provided():
    root, ns = parse(build(debtor_bic=None).content)
    ids = root.xpath("//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:Othr/p:Id/text()", namespaces=ns)
    assert ids == ["NOTPROVIDED", "NOTPROVIDED"]


def test_validate_rejects_a_broken_file():
    content = build().content.replace(b"<NbOfTxs>3</NbOfTxs>", b"<NbOfTxs>drie</NbOfTxs>")
    with pytest.raises(PaymentFileError, match="not a valid"):
        validate_pain001(content, "pain.001.001.09")
    with pytest.raises(PaymentFileError, match="well-formed"):
        validate_pain001(b"<Document>", "pain.001.001.09")


def test_validate_rejects_the_other_version_and_unknown_versions():
    content = build(version="pain.001.001.03").content
    with pytest.raises(PaymentFileError):
        validate_pain001(content, "pain.001.001.09")
    with pytest.raises(PaymentFileError, match="version"):
        validate_pain001(content, "pain.001.001.02")
    with pytest.raises(PaymentFileError, match="version"):
        build(version="pain.008.001.02")


# --- structure and totals ----------------------------------------------------------


@pytest.mark.parametrize("version", PAIN_VERSIONS)
def test_one_payment_block_per_execution_date(version):
    root, ns = parse(build(version=version).content)
    blocks = root.xpath("//p:PmtInf", namespaces=ns)
    assert len(blocks) == 2
    dates = [b.xpath("string(p:ReqdExctnDt)", namespaces=ns) for b in blocks]
    assert dates == ["2025-01-02", "2025-01-03"]
    e2e = [b.xpath("p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()", namespaces=ns) for b in blocks]
    assert e2e == [["E2E-2"], ["E2E-1", "E2E-3"]]


def test_group_header_totals_equal_the_file_totals():
    payment_file = build()
    root, ns = parse(payment_file.content)
    assert payment_file.count == 3
    assert payment_file.control_sum == Money("112.39")
    assert root.xpath("string(//p:GrpHdr/p:NbOfTxs)", namespaces=ns) == "3"
    assert Money(root.xpath("string(//p:GrpHdr/p:CtrlSum)", namespaces=ns)) == Money("112.39")


def test_each_payment_block_has_its_own_count_and_control_sum():
    root, ns = parse(build().content)
    found = {}
    for block in root.xpath("//p:PmtInf", namespaces=ns):
        amounts = block.xpath("p:CdtTrfTxInf/p:Amt/p:InstdAmt/text()", namespaces=ns)
        control_sum = Money(block.xpath("string(p:CtrlSum)", namespaces=ns))
        count = int(block.xpath("string(p:NbOfTxs)", namespaces=ns))
        assert count == len(amounts)
        assert control_sum == sum((Money(a) for a in amounts), Money.zero())
        found[block.xpath("string(p:PmtInfId)", namespaces=ns)] = (count, control_sum)
    assert found == {
        "MSG-2025-001-20250102": (1, Money("100.00")),
        "MSG-2025-001-20250103": (2, Money("12.39")),
    }


def test_amounts_are_written_as_exact_euros():
    root, ns = parse(build().content)
    amounts = root.xpath("//p:InstdAmt", namespaces=ns)
    assert [(a.text, a.get("Ccy")) for a in amounts] == [
        ("100.00", "EUR"),
        ("12.34", "EUR"),
        ("0.05", "EUR"),
    ]


def test_header_uses_message_id_and_created_at():
    payment_file = build()
    root, ns = parse(payment_file.content)
    assert root.xpath("string(//p:GrpHdr/p:MsgId)", namespaces=ns) == "MSG-2025-001"
    assert root.xpath("string(//p:GrpHdr/p:CreDtTm)", namespaces=ns) == "2025-01-01T09:30:15"
    assert payment_file.message_id == "MSG-2025-001"


def test_long_message_id_still_gives_unique_payment_block_ids():
    message_id = "M" * 35
    root, ns = parse(build(message_id=message_id).content)
    ids = root.xpath("//p:PmtInf/p:PmtInfId/text()", namespaces=ns)
    assert ids == ["M" * 26 + "-20250102", "M" * 26 + "-20250103"]


# --- remittance --------------------------------------------------------------------


@pytest.mark.parametrize("version", PAIN_VERSIONS)
def test_structured_reference_is_written_as_creditor_reference(version):
    root, ns = parse(build(version=version).content)
    (tx,) = root.xpath("//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='E2E-2']", namespaces=ns)
    ref = tx.xpath("p:RmtInf/p:Strd/p:CdtrRefInf", namespaces=ns)[0]
    assert ref.xpath("string(p:Ref)", namespaces=ns) == "1234567890123456"
    assert ref.xpath("string(p:Tp/p:CdOrPrtry/p:Cd)", namespaces=ns) == "SCOR"
    assert ref.xpath("string(p:Tp/p:Issr)", namespaces=ns) == "CUR"
    assert tx.xpath("p:RmtInf/p:Ustrd", namespaces=ns) == []


def test_free_text_remittance_is_unstructured():
    root, ns = parse(build().content)
    (tx,) = root.xpath("//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='E2E-1']", namespaces=ns)
    assert tx.xpath("p:RmtInf/p:Ustrd/text()", namespaces=ns) == ["Termijn januari"]
    assert tx.xpath("p:RmtInf/p:Strd", namespaces=ns) == []


def test_structured_reference_must_be_digits():
    bad = transfer("E2E-1", remittance="RF18 5390 0754 7034", structured_reference=True)
    with pytest.raises(PaymentFileError, match="E2E-1"):
        build([bad])


def test_long_remittance_is_cut_to_140():
    root, ns = parse(build([transfer("E2E-1", remittance="Huur " * 60)]).content)
    text = root.xpath("string(//p:Ustrd)", namespaces=ns)
    assert len(text) <= 140 and text.startswith("Huur Huur")


# --- SEPA-safe text ----------------------------------------------------------------


def test_dutch_name_is_transliterated_without_garbage():
    assert sepa_safe("Woningcorporatie Café Ëlzé & Zn", 70) == "Woningcorporatie Cafe Elze + Zn"
    root, ns = parse(build().content)
    names = root.xpath("//p:Cdtr/p:Nm/text()", namespaces=ns)
    assert "Woningcorporatie Cafe Elze + Zn" in names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zoë Ïnce", "Zoe Ince"),
        ("Straße", "Strasse"),
        ("Øresund", "Oresund"),
        ("IJsselmeer en Ĳmuiden", "IJsselmeer en IJmuiden"),
        ("  veel \t spaties\n hier ", "veel spaties hier"),
        ("„citaat” ‘enkel’", "'citaat' 'enkel'"),
        ("jan@voorbeeld.nl 50% korting!", "jan voorbeeld.nl 50 korting"),
        ("a/b-c?d:e(f).g,h'i+j", "a/b-c?d:e(f).g,h'i+j"),
        ("€ 10", "EUR 10"),
    ],
)
def test_sepa_safe_transliterates(text, expected):
    assert sepa_safe(text, 140) == expected


def test_sepa_safe_cuts_to_max_len_without_trailing_space():
    assert sepa_safe("abcd efgh", 5) == "abcd"
    assert sepa_safe("ß" * 10, 5) == "sssss"


def test_sepa_safe_refuses_to_leave_nothing():
    with pytest.raises(PaymentFileError, match="creditor_name"):
        sepa_safe("😀🏠💶", 70, field="creditor_name")


def test_emoji_only_creditor_name_raises_naming_the_field():
    with pytest.raises(PaymentFileError, match="E2E-1: creditor_name"):
        build([transfer("E2E-1", creditor_name="😀🏠💶")])


def test_emoji_only_debtor_name_raises():
    with pytest.raises(PaymentFileError, match="debtor_name"):
        build(debtor_name="🙂")


@given(st.text(), st.integers(min_value=1, max_value=140))
def test_sepa_safe_only_emits_the_sepa_character_set(text, max_len):
    try:
        safe = sepa_safe(text, max_len)
    except PaymentFileError:
        return
    assert SEPA_TEXT.fullmatch(safe)
    assert 0 < len(safe) <= max_len
    assert safe == safe.strip() and "  " not in safe


# --- determinism -------------------------------------------------------------------


@pytest.mark.parametrize("version", PAIN_VERSIONS)
def test_same_inputs_give_identical_bytes(version, monkeypatch):
    first = build(version=version)
    # sepaxml's own ids are random and clock-based; none of that may leak through.
    monkeypatch.setattr(sepaxml.shared, "make_msg_id", lambda: "OTHER-RANDOM-MSGID")
    monkeypatch.setattr(sepaxml.transfer, "make_id", lambda name: "OTHER-RANDOM-ID")
    second = build(version=version)
    assert first.content == second.content
    assert first.sha256 == second.sha256
    assert b"RANDOM" not in second.content


def test_different_created_at_changes_the_file():
    assert build().content != build(created_at=datetime(2025, 1, 1, 9, 30, 16)).content


def test_file_name_and_hash():
    import hashlib

    payment_file = build(message_id="MSG/2025:001")
    assert payment_file.name == f"pain001-{DEBTOR_IBAN}-MSG-2025-001.xml"
    assert payment_file.sha256 == hashlib.sha256(payment_file.content).hexdigest()


# --- refused input -----------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "0.00", "-0.01", "-12.34"])
def test_zero_or_negative_amount_raises(amount):
    with pytest.raises(PaymentFileError, match="not positive"):
        build([transfer("E2E-1", amount)])


def test_amount_must_be_money():
    bad = Transfer("E2E-1", "Eneco", "NL91ABNA0417164300", "12.34", "x", JAN_3)  # type: ignore[arg-type]
    with pytest.raises(PaymentFileError, match="Money"):
        build([bad])


def test_empty_transfer_list_raises():
    with pytest.raises(PaymentFileError, match="at least one"):
        build([])


def test_duplicate_end_to_end_id_raises():
    with pytest.raises(PaymentFileError, match="twice"):
        build([transfer("E2E-1"), transfer("E2E-1", "1.00")])


@pytest.mark.parametrize("bad_id", ["", "x" * 36, "/lead", "a//b", "é-id"])
def test_unsafe_end_to_end_id_raises(bad_id):
    with pytest.raises(PaymentFileError, match="end_to_end_id"):
        build([transfer(bad_id)])


def test_invalid_ibans_and_bic_raise():
    with pytest.raises(PaymentFileError, match="creditor_iban"):
        build([transfer("E2E-1", creditor_iban="NL02RABO0123456789")])
    with pytest.raises(PaymentFileError, match="debtor_iban"):
        build(debtor_iban="NL00INGB0001234567")
    with pytest.raises(PaymentFileError, match="debtor_bic"):
        build(debtor_bic="ING")
