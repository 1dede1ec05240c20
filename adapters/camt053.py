"""camt.053 (ISO 20022 bank-to-customer statement) files to `Statement` records.

Banks send camt.053 in versions .001.02 to .001.08, with or without namespace
prefixes and sometimes with a wrong or missing namespace, so elements are matched on
their local names only. Files are read with `lxml.etree.iterparse` and every entry is
released once handled, so a statement with many thousands of entries parses in flat
memory. A document with a DTD is refused before any entity in it can be expanded.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from lxml import etree

from huishoudboekje.domain.statement import BankTransaction, Statement, StatementError

SUPPORTED_VERSIONS = range(2, 9)  # camt.053.001.02 up to camt.053.001.08

# Hardened against XXE and entity expansion: nothing is fetched, no entity is
# substituted, libxml2 keeps its size limits. A DOCTYPE is refused outright anyway.
_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    attribute_defaults=False,
    remove_comments=True,
    remove_pis=True,
)

_GUARD_BYTES = 64 * 1024  # the prolog is scanned for a DTD before lxml sees it
_DTD_REASON = "DTD and entity declarations are not allowed (possible XXE / entity-expansion attack)"
_DTD_MARKERS = tuple(
    marker.encode(codec)
    for marker in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for codec in ("utf-8", "utf-16-le", "utf-16-be")
)

_ISO_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})\.\d{3}\.(\d{2})")
# What a document element tells about the message, for a clear refusal.
_KNOWN_MESSAGES = {
    "BkToCstmrAcctRpt": "camt.052 (account report)",
    "BkToCstmrDbtCdtNtfctn": "camt.054 (debit/credit notification)",
    "CstmrCdtTrfInitn": "pain.001 (credit transfer initiation)",
    "CstmrDrctDbtInitn": "pain.008 (direct debit initiation)",
    "CstmrPmtStsRpt": "pain.002 (payment status report)",
}
_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CENT = Decimal("0.01")
_NOT_BOOKED = {"PDNG", "INFO"}  # pending or informational entries are not on the account yet


def is_camt053(head: bytes) -> bool:
    """Whether the first few KB of a file look like a camt.053 statement."""
    text = _sniff_text(head).lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return False
    if "camt.053.001." in text:
        return True
    return re.search(r"<([\w.-]+:)?BkToCstmrStmt[\s>/]", text) is not None


def _sniff_text(head: bytes) -> str:
    # UTF-16 files have a BOM or NUL bytes between the ASCII of the markup.
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:64]:
        codec = "utf-16-be" if head[:2] == b"\xfe\xff" or head[:1] == b"\x00" else "utf-16-le"
        return head.decode(codec, errors="ignore")
    return head.decode("latin-1")


def parse_camt053(source: bytes | BinaryIO, file: str) -> list[Statement]:
    """All statements in a camt.053 file, one `Statement` per `Stmt` block.

    Raises StatementError for anything that cannot be imported, and nothing else.
    """
    try:
        return _Reader(file).read(_guarded_stream(source, file))
    except StatementError:
        raise
    except etree.XMLSyntaxError as exc:
        raise StatementError(file, None, _syntax_reason(exc)) from None
    except Exception as exc:  # the contract: callers only ever see StatementError
        raise StatementError(file, None, f"cannot read camt.053: {type(exc).__name__}: {exc}") from exc


def _syntax_reason(exc: etree.XMLSyntaxError) -> str:
    message = (exc.msg or str(exc)).strip()
    if "line" not in message:
        message += f", line {max(exc.lineno or 1, 1)}"
    return f"not well-formed XML: {message}"


def _guarded_stream(source: bytes | BinaryIO, file: str) -> BinaryIO:
    """The source as a stream, after refusing a DTD found in its first bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    head = source.read(_GUARD_BYTES)
    if not isinstance(head, bytes):
        raise StatementError(file, None, "a camt.053 file must be read as bytes, not text")
    if any(marker in head for marker in _DTD_MARKERS):
        raise StatementError(file, None, _DTD_REASON)
    return _Replay(head, source)


class _Replay(io.RawIOBase):
    """The head already read, then the rest of the stream: no need to seek back."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            size = len(self._head) if size is None or size < 0 else size
            chunk, self._head = self._head[:size], self._head[size:]
            return chunk
        return self._rest.read(size)


class _Reader:
    """One pass over the document; keeps only the statement being read."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.entries = 0  # entries seen so far, for 'entry N' across all statements
        self.statements: list[Statement] = []
        self.pending: list[BankTransaction] = []  # transactions of the current Stmt

    def read(self, stream: BinaryIO) -> list[Statement]:
        for event, el in etree.iterparse(stream, events=("start", "end"), **_PARSER_OPTIONS):
            if event == "start":
                self._on_start(el)
            elif _local(el) == "Ntry":
                self._on_entry(el)
            elif _local(el) == "Stmt":
                self._on_statement(el)
        if self.pending:  # entries outside any Stmt belong to no account
            raise StatementError(self.file, None, "entries found outside a statement (Stmt)")
        return self.statements

    def _on_start(self, el: etree._Element) -> None:
        parent = el.getparent()
        if parent is None:
            _check_root(el, self.file)
        elif parent.getparent() is None and _local(parent) == "Document":
            _check_message(_local(el), self.file)

    def _on_entry(self, el: etree._Element) -> None:
        self.entries += 1
        if _entry_status(el) not in _NOT_BOOKED:
            self.pending.extend(_entry(el, self.entries, self.file))
        _release(el)

    def _on_statement(self, el: etree._Element) -> None:
        where = f"statement {len(self.statements) + 1}"
        statement = _statement(el, self.file, where)
        transactions = [replace(t, account=statement.account) for t in self.pending]
        self.statements.append(replace(statement, transactions=transactions))
        self.pending = []
        _release(el)


def _release(el: etree._Element) -> None:
    """Free a handled element and the handled siblings before it (flat memory)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is None:
        return
    # Entries sit after the statement header, which is still needed: drop only
    # earlier entries. A finished statement needs nothing before it any more.
    keep_header = _local(el) == "Ntry"
    while (prev := el.getprevious()) is not None:
        if keep_header and _local(prev) != "Ntry":
            break
        parent.remove(prev)


# --- document and message type ----------------------------------------------------


def _check_root(root: etree._Element, file: str) -> None:
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:  # second defence, after the head scan
        raise StatementError(file, None, _DTD_REASON)
    match = _ISO_NAMESPACE.match(etree.QName(root).namespace or "")
    if match:
        _check_iso_namespace(match, file)
    if _local(root) not in ("Document", "BkToCstmrStmt"):
        _check_message(_local(root), file)


def _check_iso_namespace(match: re.Match[str], file: str) -> None:
    kind, version = match.group(1), int(match.group(2))
    if kind != "camt.053":
        found = match.group(0).rsplit(":", 1)[1]
        raise StatementError(file, None, f"not a camt.053 statement but a {found} message")
    if version not in SUPPORTED_VERSIONS:
        raise StatementError(
            file, None, f"camt.053.001.{version:02d} is not supported (only .001.02 up to .001.08)"
        )


def _check_message(name: str, file: str) -> None:
    if name != "BkToCstmrStmt":
        found = _KNOWN_MESSAGES.get(name, f"a <{name}> document")
        raise StatementError(file, None, f"not a camt.053 statement (BkToCstmrStmt) but {found}")


# --- statement header -------------------------------------------------------------


def _statement(stmt: etree._Element, file: str, where: str) -> Statement:
    opening = _balance(stmt, ("OPBD", "PRCD"), file, where)
    closing = _balance(stmt, ("CLBD",), file, where)
    return Statement(
        file=file,
        account=_account(stmt, file, where),
        statement_id=_text(stmt, "Id"),
        opening_balance=opening[0],
        closing_balance=closing[0],
        opening_date=opening[1],
        closing_date=closing[1],
    )


def _account(stmt: etree._Element, file: str, where: str) -> str:
    iban = _text(stmt, "Acct", "Id", "IBAN")
    if iban:
        return _compact_iban(iban)
    other = _text(stmt, "Acct", "Id", "Othr", "Id")
    if other:
        return other
    raise StatementError(file, where, "statement has no account")


def _balance(
    stmt: etree._Element, codes: tuple[str, ...], file: str, where: str
) -> tuple[Decimal | None, date | None]:
    """The first balance of the first code present (OPBD before PRCD), signed; or Nones."""
    balances = _children(stmt, "Bal")
    for code in codes:
        bal = next((b for b in balances if _text(b, "Tp", "CdOrPrtry", "Cd") == code), None)
        if bal is not None:
            return _balance_value(bal, f"{code} balance", file, where)
    return None, None


def _balance_value(bal: etree._Element, what: str, file: str, where: str) -> tuple[Decimal, date | None]:
    amount, indicator = _text(bal, "Amt"), _text(bal, "CdtDbtInd")
    if amount is None or indicator is None:
        raise StatementError(file, where, f"{what} has no amount or no credit/debit indicator")
    signed = _signed(amount, indicator, what, file, where)
    return signed, _date_of(_child(bal, "Dt"), what, file, where)


# --- entries ----------------------------------------------------------------------


def _entry_status(ntry: etree._Element) -> str | None:
    return _text(ntry, "Sts", "Cd") or _text(ntry, "Sts")  # v08 wraps the code in Cd


def _entry(ntry: etree._Element, number: int, file: str) -> list[BankTransaction]:
    where = f"entry {number}"
    _require(ntry, file, where)
    amount = _signed(_text(ntry, "Amt"), _text(ntry, "CdtDbtInd"), "entry amount", file, where)
    booked = _date_of(_child(ntry, "BookgDt"), "booking date", file, where)
    valued = _date_of(_child(ntry, "ValDt"), "value date", file, where) or booked
    details = [tx for dtls in _children(ntry, "NtryDtls") for tx in _children(dtls, "TxDtls")]
    if not details:
        return [_transaction(ntry, None, amount, booked, valued, where)]
    if len(details) == 1:
        # The entry amount is what was booked on the account; a lone TxDtls amount
        # may differ by charges or currency conversion and is only informative.
        return [_transaction(ntry, details[0], amount, booked, valued, where)]
    return _batch(ntry, details, amount, booked, valued, file, where)


def _require(ntry: etree._Element, file: str, where: str) -> None:
    """Refuse an entry lacking a mandatory element, naming every one that is missing."""
    required = (
        ("amount (Amt)", _text(ntry, "Amt")),
        ("credit/debit indicator (CdtDbtInd)", _text(ntry, "CdtDbtInd")),
        ("booking date (BookgDt)", _date_text(_child(ntry, "BookgDt"))),
    )
    missing = [label for label, value in required if not value]
    if missing:
        raise StatementError(file, where, "entry has no " + " and no ".join(missing))


def _batch(
    ntry: etree._Element,
    details: list[etree._Element],
    amount: Decimal,
    booked: date,
    valued: date,
    file: str,
    where: str,
) -> list[BankTransaction]:
    """A batch booking: one transaction per TxDtls, which must add up to the entry."""
    transactions = []
    for index, tx in enumerate(details, start=1):
        tx_where = f"{where}, transaction {index}"
        tx_amount = _tx_amount(ntry, tx, amount, file, tx_where)
        if tx_amount is None:
            raise StatementError(file, tx_where, "batch transaction has no amount (AmtDtls/TxAmt/Amt)")
        transactions.append(_transaction(ntry, tx, tx_amount, booked, valued, tx_where))
    _check_sum(amount, [t.amount for t in transactions], file, where)
    return transactions


def _tx_amount(
    ntry: etree._Element, tx: etree._Element, entry_amount: Decimal, file: str, where: str
) -> Decimal | None:
    """The transaction's own amount in the entry's currency, signed; None if absent."""
    currency = _attr(_child(ntry, "Amt"), "Ccy")
    for path in (("AmtDtls", "TxAmt", "Amt"), ("Amt",), ("AmtDtls", "CntrValAmt", "Amt")):
        el = _child(tx, *path)
        if el is None or not (el.text or "").strip():
            continue
        if currency and _attr(el, "Ccy") not in (None, currency):
            continue  # a foreign-currency amount cannot be added to the entry
        indicator = _text(tx, "CdtDbtInd") or ("DBIT" if entry_amount < 0 else "CRDT")
        return _signed(el.text, indicator, "transaction amount", file, where)
    return None


def _check_sum(entry: Decimal, parts: list[Decimal], file: str, where: str) -> None:
    total = sum(parts, Decimal("0.00"))
    if total != entry:
        raise StatementError(
            file, where, f"the transaction amounts add up to {total}, not to the entry amount {entry}"
        )


def _transaction(
    ntry: etree._Element,
    tx: etree._Element | None,
    amount: Decimal,
    booked: date,
    valued: date,
    where: str,
) -> BankTransaction:
    party = "Dbtr" if amount > 0 else "Cdtr"  # who is on the other side of the booking
    related = _child(tx, "RltdPties") if tx is not None else None
    end_to_end = _text(tx, "Refs", "EndToEndId") if tx is not None else None
    return BankTransaction(
        account="",  # filled in when the statement's account is known
        booking_date=booked,
        value_date=valued,
        amount=amount,
        counterparty_iban=_counterparty_iban(related, party),
        counterparty_name=_counterparty_name(related, party),
        description=_description(ntry, tx),
        end_to_end_id=None if (end_to_end or "").upper() == "NOTPROVIDED" else end_to_end,
        bank_reference=_text(ntry, "AcctSvcrRef")
        or (_text(tx, "Refs", "AcctSvcrRef") if tx is not None else None)
        or _text(ntry, "NtryRef"),
        where=where,
    )


def _counterparty_iban(related: etree._Element | None, party: str) -> str | None:
    iban = _text(related, f"{party}Acct", "Id", "IBAN") if related is not None else None
    return _compact_iban(iban) if iban else None


def _counterparty_name(related: etree._Element | None, party: str) -> str | None:
    if related is None:
        return None
    # .001.08 nests the party one level deeper: Dbtr/Pty/Nm.
    name = _text(related, party, "Nm") or _text(related, party, "Pty", "Nm")
    return _one_line(name) or None


def _description(ntry: etree._Element, tx: etree._Element | None) -> str:
    """Remittance information as one line; the bank's additional info if there is none."""
    parts: list[str] = []
    if tx is not None:
        for rmt in _children(tx, "RmtInf"):
            parts += [el.text or "" for el in _children(rmt, "Ustrd")]
            parts += [_text(strd, "CdtrRefInf", "Ref") or "" for strd in _children(rmt, "Strd")]
    text = _one_line(" ".join(parts))
    if not text and tx is not None:
        text = _one_line(_text(tx, "AddtlTxInf"))
    return text or _one_line(_text(ntry, "AddtlNtryInf"))


# --- values -----------------------------------------------------------------------


def _signed(text: str, indicator: str, what: str, file: str, where: str) -> Decimal:
    """A camt amount (always positive by the schema) signed by its CRDT/DBIT indicator."""
    indicator = indicator.strip().upper()
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(file, where, f"{what} has unknown credit/debit indicator {indicator!r}")
    value = _amount(text, what, file, where)
    if value < 0 and indicator == "CRDT":
        # A minus on a credit could mean a reversal or a mistake: too ambiguous to book.
        raise StatementError(file, where, f"{what} {text.strip()} is negative but marked CRDT")
    # Some exports write debits as '-148.45' with DBIT: the sign repeats the indicator.
    return -abs(value) if indicator == "DBIT" else value


def _amount(text: str, what: str, file: str, where: str) -> Decimal:
    raw = text.strip()
    if not _AMOUNT.fullmatch(raw):
        raise StatementError(file, where, f"{what} {raw!r} is not a decimal number")
    try:
        value = Decimal(raw)
        cents = value.quantize(_CENT)
    except InvalidOperation:
        raise StatementError(file, where, f"{what} {raw!r} is out of range") from None
    if cents != value:
        raise StatementError(file, where, f"{what} {raw!r} has more than two decimals")
    return cents


def _date_text(holder: etree._Element | None) -> str | None:
    if holder is None:
        return None
    return _text(holder, "Dt") or _text(holder, "DtTm")


def _date_of(holder: etree._Element | None, what: str, file: str, where: str) -> date | None:
    """The date in a Dt/DtTm choice; the date part of a date-time, as the bank wrote it."""
    text = _date_text(holder)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementError(file, where, f"{what} {text!r} is not a date") from None


def _compact_iban(value: str) -> str:
    return "".join(value.split()).upper()


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


# --- element access by local name -------------------------------------------------


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in el if _local(child) == name]


def _child(el: etree._Element | None, *path: str) -> etree._Element | None:
    for name in path:
        if el is None:
            return None
        el = next((child for child in el if _local(child) == name), None)
    return el


def _text(el: etree._Element | None, *path: str) -> str | None:
    found = _child(el, *path)
    text = (found.text or "").strip() if found is not None else ""
    return text or None


def _attr(el: etree._Element | None, name: str) -> str | None:
    return el.get(name) if el is not None else None
