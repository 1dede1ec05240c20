"""SEPA credit-transfer files (pain.001) for payment instructions.

`sepaxml.SepaTransfer` builds the document. Its output is then post-processed with
lxml, because sepaxml stamps random and clock-based values into it (MsgId, CreDtTm,
PmtInfId), always writes an empty debtor agent when there is no BIC, and only knows
unstructured remittance information. The result is validated against the XSD that
ships with sepaxml; a file that does not validate is never returned.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import sepaxml
from lxml import etree

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.iban import Iban, IbanError
from huishoudboekje.domain.money import Money, total
from huishoudboekje.domain.payment_files import FilePayment
from huishoudboekje.domain.sepa_text import NAME_MAX, REMITTANCE_MAX, SepaTextError
from huishoudboekje.domain.sepa_text import sepa_safe as _sepa_safe

PAIN_VERSIONS = ("pain.001.001.09", "pain.001.001.03")

ID_MAX = 35
MAX_AMOUNT = Money("999999999.99")  # EPC maximum for one credit transfer

_SCHEMA_DIR = Path(sepaxml.__file__).parent / "schemas"
_ID_CHARS = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]+")
_BIC = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_FILE_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'



class PaymentFileError(DomainError):
    """A payment file that cannot be made, or content that is not a valid pain.001."""


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    amount: Money
    remittance: str
    execution_date: date
    structured_reference: bool = False


@dataclass(frozen=True)
class PaymentFile:
    name: str
    content: bytes
    sha256: str
    count: int
    control_sum: Money
    message_id: str


# --- text ------------------------------------------------------------------------


def sepa_safe(text: str, max_len: int, *, field: str = "text") -> str:
    """`text` in the SEPA Latin character set (see huishoudboekje.domain.sepa_text)."""
    try:
        return _sepa_safe(text, max_len, field=field)
    except SepaTextError as exc:
        raise PaymentFileError(str(exc)) from None


def _check_id(value: str, field: str) -> str:
    """An identifier (MsgId, EndToEndId) must already be SEPA-safe; it is not altered."""
    if not isinstance(value, str) or not _ID_CHARS.fullmatch(value) or len(value) > ID_MAX:
        raise PaymentFileError(f"{field}: '{value}' is not 1-{ID_MAX} SEPA characters")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise PaymentFileError(f"{field}: '{value}' may not start or end with '/' or hold '//'")
    return value


def _iban(value: str, field: str) -> Iban:
    try:
        return Iban(value)
    except IbanError as exc:
        raise PaymentFileError(f"{field}: {exc}") from None


def _bic(value: str | None) -> str | None:
    if value is None:
        return None
    bic = "".join(str(value).split()).upper()
    if not _BIC.fullmatch(bic):
        raise PaymentFileError(f"debtor_bic: '{value}' is not a BIC")
    return bic


def _structured_ref(transfer: Transfer) -> str:
    ref = "".join(transfer.remittance.split())
    if not ref.isascii() or not ref.isdigit() or len(ref) > ID_MAX:
        raise PaymentFileError(
            f"{transfer.end_to_end_id}: structured reference '{transfer.remittance}' is not digits"
        )
    return ref


# --- input checks ----------------------------------------------------------------


def _check_transfer(transfer: Transfer) -> None:
    field = _check_id(transfer.end_to_end_id, "end_to_end_id")
    if not isinstance(transfer.amount, Money):
        raise PaymentFileError(f"{field}: amount must be Money, not {type(transfer.amount).__name__}")
    if not transfer.amount.is_positive:
        raise PaymentFileError(f"{field}: amount {transfer.amount} is not positive")
    if transfer.amount > MAX_AMOUNT:
        raise PaymentFileError(f"{field}: amount {transfer.amount} exceeds {MAX_AMOUNT}")
    if isinstance(transfer.execution_date, datetime) or not isinstance(transfer.execution_date, date):
        raise PaymentFileError(f"{field}: execution_date must be a date")
    if transfer.structured_reference:
        _structured_ref(transfer)


def _check_transfers(transfers: list[Transfer]) -> None:
    if not transfers:
        raise PaymentFileError("transfers: a payment file holds at least one transfer")
    seen: set[str] = set()
    for transfer in transfers:
        _check_transfer(transfer)
        if transfer.end_to_end_id in seen:
            raise PaymentFileError(f"end_to_end_id: '{transfer.end_to_end_id}' is used twice")
        seen.add(transfer.end_to_end_id)


def check_transfer(transfer: Transfer) -> None:
    """What one transfer must be for a file to carry it (amount, ids, IBAN, name,
    remittance), without building a file: the nightly job asks before it pays."""
    _check_transfer(transfer)
    _payment(transfer)


# --- building with sepaxml --------------------------------------------------------


def _payment(transfer: Transfer) -> dict:
    field = transfer.end_to_end_id
    if transfer.structured_reference:
        description = _structured_ref(transfer)  # replaced by Strd afterwards
    else:
        description = sepa_safe(transfer.remittance, REMITTANCE_MAX, field=f"{field}: remittance")
    return {
        "name": sepa_safe(transfer.creditor_name, NAME_MAX, field=f"{field}: creditor_name"),
        "IBAN": str(_iban(transfer.creditor_iban, f"{field}: creditor_iban")),
        "amount": transfer.amount.cents,
        "execution_date": transfer.execution_date,
        "description": description,
        "endtoend_id": transfer.end_to_end_id,
    }


def _sepaxml_document(config: dict, transfers: list[Transfer], version: str) -> bytes:
    document = sepaxml.SepaTransfer(config, schema=version, clean=False)
    # Stable sort: payment blocks come in date order, transfers keep their order.
    for transfer in sorted(transfers, key=lambda t: t.execution_date):
        document.add_payment(_payment(transfer))
    return document.export(validate=False)


# --- post-processing with lxml ----------------------------------------------------


class _Tree:
    """The parsed document with namespace-aware helpers."""

    def __init__(self, content: bytes, version: str) -> None:
        self.ns = f"urn:iso:std:iso:20022:tech:xsd:{version}"
        self.root = etree.fromstring(content, _parser())

    def tag(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, node: etree._Element, path: str) -> etree._Element:
        found = node.find(self.tag(path))
        if found is None:
            raise PaymentFileError(f"pain.001 without {path}")
        return found

    def findall(self, node: etree._Element, path: str) -> list[etree._Element]:
        return node.findall(self.tag(path))

    def add(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        child.text = text
        return child


def _timestamp(created_at: datetime) -> str:
    if created_at.tzinfo is None:
        return created_at.strftime("%Y-%m-%dT%H:%M:%S")
    return created_at.isoformat(timespec="seconds")


def _fix_header(tree: _Tree, message_id: str, created_at: datetime) -> None:
    header = tree.find(tree.root, "CstmrCdtTrfInitn/GrpHdr")
    tree.find(header, "MsgId").text = message_id
    tree.find(header, "CreDtTm").text = _timestamp(created_at)


def _payment_blocks(tree: _Tree) -> list[etree._Element]:
    return tree.findall(tree.root, "CstmrCdtTrfInitn/PmtInf")


def _execution_date(tree: _Tree, block: etree._Element) -> str:
    node = tree.find(block, "ReqdExctnDt")
    dated = node.find(tree.tag("Dt"))
    return (dated if dated is not None else node).text


def _fix_payment_ids(tree: _Tree, message_id: str) -> None:
    """PmtInfId = message id (cut to leave room) + execution date: unique and repeatable."""
    for block in _payment_blocks(tree):
        day = _execution_date(tree, block).replace("-", "")
        tree.find(block, "PmtInfId").text = f"{message_id[:ID_MAX - 9]}-{day}"


def _fix_debtor_agent(tree: _Tree) -> None:
    """Without a BIC, EPC guidelines want Othr/Id NOTPROVIDED rather than an empty agent."""
    for block in _payment_blocks(tree):
        institution = tree.find(block, "DbtrAgt/FinInstnId")
        if len(institution) == 0:
            tree.add(tree.add(institution, "Othr"), "Id", "NOTPROVIDED")


def _strd(tree: _Tree, remittance: etree._Element, ref: str) -> None:
    reference = tree.add(tree.add(remittance, "Strd"), "CdtrRefInf")
    kind = tree.add(reference, "Tp")
    tree.add(tree.add(kind, "CdOrPrtry"), "Cd", "SCOR")
    tree.add(kind, "Issr", "CUR")
    tree.add(reference, "Ref", ref)


def _structured_references(tree: _Tree, transfers: list[Transfer]) -> None:
    """Replace Ustrd with Strd/CdtrRefInf (SCOR, issuer CUR) for betalingskenmerken."""
    refs = {t.end_to_end_id: _structured_ref(t) for t in transfers if t.structured_reference}
    for tx in tree.findall(tree.root, "CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf"):
        ref = refs.get(tree.find(tx, "PmtId/EndToEndId").text)
        if ref is not None:
            remittance = tree.find(tx, "RmtInf")
            remittance.clear()
            _strd(tree, remittance, ref)


# --- checks on the result ---------------------------------------------------------


def _check_totals(tree: _Tree, count: int, control_sum: Money) -> None:
    header = tree.find(tree.root, "CstmrCdtTrfInitn/GrpHdr")
    _check_sum(tree, header, count, control_sum, "GrpHdr")
    for block in _payment_blocks(tree):
        amounts = [Money(a.text) for a in tree.findall(block, "CdtTrfTxInf/Amt/InstdAmt")]
        _check_sum(tree, block, len(amounts), total(amounts), tree.find(block, "PmtInfId").text)


def _check_sum(tree: _Tree, node: etree._Element, count: int, amount: Money, where: str) -> None:
    if int(tree.find(node, "NbOfTxs").text) != count:
        raise PaymentFileError(f"{where}: NbOfTxs is not {count}")
    if Money(tree.find(node, "CtrlSum").text) != amount:
        raise PaymentFileError(f"{where}: CtrlSum is not {amount}")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


@lru_cache(maxsize=None)
def _schema(version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_SCHEMA_DIR / f"{version}.xsd")))


def _check_version(version: str) -> None:
    if version not in PAIN_VERSIONS:
        raise PaymentFileError(f"version: '{version}' is not one of {', '.join(PAIN_VERSIONS)}")


def validate_pain001(content: bytes, version: str) -> None:
    """Raise PaymentFileError unless `content` is valid against the pain.001 `version` XSD."""
    _check_version(version)
    try:
        document = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise PaymentFileError(f"not well-formed XML: {exc}") from None
    schema = _schema(version)
    if not schema.validate(document):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3])
        raise PaymentFileError(f"not a valid {version} file: {errors}")


# --- the public builder -----------------------------------------------------------


def _file_name(debtor_iban: str, message_id: str) -> str:
    return _FILE_NAME_UNSAFE.sub("-", f"pain001-{debtor_iban}-{message_id}") + ".xml"


def _config(debtor_name: str, debtor_iban: Iban, debtor_bic: str | None) -> dict:
    config = {
        "name": sepa_safe(debtor_name, NAME_MAX, field="debtor_name"),
        "IBAN": str(debtor_iban),
        "currency": "EUR",
        "batch": True,
    }
    if debtor_bic is not None:
        config["BIC"] = debtor_bic
    return config


def build_pain001(
    *,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str | None,
    message_id: str,
    created_at: datetime,
    transfers: list[Transfer],
    version: str = "pain.001.001.09",
) -> PaymentFile:
    """A validated pain.001 file: one payment block per execution date, byte-for-byte repeatable."""
    _check_version(version)
    _check_id(message_id, "message_id")
    _check_transfers(transfers)
    iban = _iban(debtor_iban, "debtor_iban")
    config = _config(debtor_name, iban, _bic(debtor_bic))

    tree = _Tree(_sepaxml_document(config, transfers, version), version)
    _fix_header(tree, message_id, created_at)
    _fix_payment_ids(tree, message_id)
    _fix_debtor_agent(tree)
    _structured_references(tree, transfers)

    count, control_sum = len(transfers), total(t.amount for t in transfers)
    _check_totals(tree, count, control_sum)
    content = _XML_DECLARATION + etree.tostring(tree.root, encoding="utf-8", xml_declaration=False)
    validate_pain001(content, version)
    return PaymentFile(
        name=_file_name(iban, message_id),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        count=count,
        control_sum=control_sum,
        message_id=message_id,
    )


# --- reading a file back (for its review) -------------------------------------------


def read_pain001(content: bytes) -> list[FilePayment]:
    """The transfers a pain.001 file (either version) carries, as the bank will read them:
    what a person reviews before releasing it (`hhb payment-files show`)."""
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise PaymentFileError(f"not well-formed XML: {exc}") from None
    version = etree.QName(root).namespace.rsplit(":", 1)[-1] if etree.QName(root).namespace else ""
    _check_version(version)
    tree = _Tree.__new__(_Tree)
    tree.ns, tree.root = f"urn:iso:std:iso:20022:tech:xsd:{version}", root
    payments = []
    for block in _payment_blocks(tree):
        day = date.fromisoformat(_execution_date(tree, block))
        for tx in tree.findall(block, "CdtTrfTxInf"):
            reference = tx.find(tree.tag("RmtInf/Strd/CdtrRefInf/Ref"))
            text = tx.find(tree.tag("RmtInf/Ustrd"))
            payments.append(FilePayment(
                end_to_end_id=tree.find(tx, "PmtId/EndToEndId").text or "",
                creditor_name=tree.find(tx, "Cdtr/Nm").text or "",
                creditor_iban=tree.find(tx, "CdtrAcct/Id/IBAN").text or "",
                amount=Money(tree.find(tx, "Amt/InstdAmt").text or ""),
                execution_date=day,
                reference=reference.text if reference is not None else None,
                remittance=text.text if text is not None else None))
    return payments
