"""camt.053 (ISO 20022 bank-to-customer statement) files to `Statement` records.

Banks send camt.053 in versions .001.02 to .001.08, with or without namespace
prefixes and sometimes with a wrong or missing namespace, so elements are matched on
their local names only. Files are read with `lxml.etree.iterparse` and every entry is
released once handled, so a statement with many thousands of entries parses in flat
memory. A document with a DTD is refused before any entity in it can be expanded.

Speed: libxml2 builds the tree and reports only complete entries and statements to
Python (`_WATCHED`), and each entry is read from one index of its children per
element descended into (`_index`), not by scanning children once per name.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import attrgetter, itemgetter
from typing import BinaryIO, NamedTuple

from lxml import etree

from huishoudboekje.bulk import without_cycle_collection
from huishoudboekje.domain.statement import BankTransaction, Statement, StatementError

SUPPORTED_VERSIONS = range(2, 9)  # camt.053.001.02 up to camt.053.001.08
MAX_ENTRY_ELEMENTS = 200_000  # elements and attributes in one entry (see `_Budget`); a normal one has about 50

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
_CENTS = re.compile(r"[0-9]{1,20}\.[0-9]{2}")  # within Decimal's 28 digits: quantize would change nothing
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


def parse_camt053(source: bytes | BinaryIO, file: str, *,
                  max_entry_elements: int = MAX_ENTRY_ELEMENTS) -> list[Statement]:
    """All statements in a camt.053 file, one `Statement` per `Stmt` block.

    Memory stays bounded whatever the file's shape: libxml2 never holds more than
    `max_entry_elements` elements and attributes beyond what was released (see `_Budget`).

    Raises StatementError for anything that cannot be imported, and nothing else.
    """
    budget = _Budget(file, max_entry_elements)
    try:
        with without_cycle_collection():
            return _Reader(file, budget).read(_guarded_stream(source, file, budget))
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


def _guarded_stream(source: bytes | BinaryIO, file: str, budget: _Budget) -> _Replay:
    """The source as a stream, after refusing a DTD found in its first bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    head = source.read(_GUARD_BYTES)
    if not isinstance(head, bytes):
        raise StatementError(file, None, "a camt.053 file must be read as bytes, not text")
    if any(marker in head for marker in _DTD_MARKERS):
        raise StatementError(file, None, _DTD_REASON)
    return _Replay(head, source, _DocumentCheck(file), budget)


class _Replay(io.RawIOBase):
    """The head already read, then the rest of the stream: no need to seek back.

    Every chunk also goes to the `_DocumentCheck` until it is done. A StatementError
    it raises here leaves `read`, and iterparse raises it after the events it has
    already parsed from earlier chunks, that is in document order.
    """

    def __init__(self, head: bytes, rest: BinaryIO, check: _DocumentCheck, budget: _Budget) -> None:
        self._unread = head
        self._rest = rest
        self._check: _DocumentCheck | None = check
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._unread:
            size = len(self._unread) if size is None or size < 0 else size
            chunk, self._unread = self._unread[:size], self._unread[size:]
        else:
            chunk = self._rest.read(size)
        if self._check is not None and self._check.read(chunk):
            self._check = None  # done: it holds no more of the document
        self._budget.feed(chunk)
        return chunk


class _Budget:
    """Refuses a file before libxml2 holds more than `limit` elements it cannot release.

    The reader sees only complete entries and statements (`_WATCHED`, for speed), and
    releases each when handled; until then libxml2 builds whatever an entry holds. A
    52 MB file with millions of empty unknown elements in one entry took 5.7 GB. So
    every chunk is counted on its way into the parser, at C speed: start tags (`<`
    less `</`) and attributes (`=`), an upper bound of the nodes it adds. Whatever was
    fed since the last release (at most that much plus one chunk) is what the tree can
    hold; past `limit` the file is refused naming the entry being read. Memory is then
    bounded by the limit, not by the file.
    """

    def __init__(self, file: str, limit: int) -> None:
        self.file, self.limit = file, limit
        self.held = 0  # nodes fed since the last release: an upper bound of what the tree holds
        self.last = 0  # of them, in the newest chunk (part of it may come after the release)
        self.entries = 0  # entries handled so far

    def feed(self, chunk: bytes) -> None:
        self.last = chunk.count(b"<") - chunk.count(b"</") + chunk.count(b"=")
        self.held += self.last
        if self.held > self.limit:
            raise StatementError(self.file, f"entry {self.entries + 1}",
                                 f"more than {self.limit:,} XML elements in one entry; no bank statement "
                                 "has that many, so the file is refused")

    def released(self, entries: int) -> None:
        self.entries = entries
        self.held = self.last


class _DocumentCheck:
    """Checks the document element and the first child of a `Document` as they start.

    A reader that sees every element refuses a wrong document (a pain.001, a
    camt.052, another namespace version) the moment these start: before anything
    else in the file can go wrong, and before a tree is built of it. The main parse
    reports only a few watched elements, so a second parser reads the same bytes
    until it has seen these two; usually the first chunk. `_Reader` checks any
    later child of a `Document`.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.parser = etree.XMLPullParser(events=("start",), **_PARSER_OPTIONS)
        self.root: etree._Element | None = None

    def read(self, chunk: bytes) -> bool:
        """Take the next chunk (b"" at the end); whether the check is done."""
        done = not chunk
        try:
            if chunk:
                self.parser.feed(chunk)
            else:
                self.parser.close()
        except etree.XMLSyntaxError:
            done = True  # left to the main parse, which meets it in the same place
        for _event, el in self.parser.read_events():  # elements started before any error
            if self.root is None:
                self.root = el
                _check_root(el, self.file)
                if _local(el) != "Document":
                    return True  # only the children of a Document are checked
            else:
                _check_message(_local(el), self.file)  # the next start: its first child
                return True
        return done


# The parser reports only the ends of these elements to Python; libxml2 builds all
# others into the tree without a round trip per element, which is what makes a large
# file fast. `{*}` matches the local name in any namespace and in none, like the rest
# of this module. BkToCstmrStmt is only there to learn the document element early
# (see `_Reader`).
_WATCHED = ("{*}Ntry", "{*}Stmt", "{*}BkToCstmrStmt")


class _Reader:
    """One pass over the document; keeps only the statement being read.

    The document checks (DTD, namespace, message type) refuse a file in the same
    order as a reader that sees every element would: the document element and each
    child of a `Document` as they start, before anything inside or after them.
    `_DocumentCheck` does so for the document element and its first child. A later
    child of a `Document` can only follow a BkToCstmrStmt (any other first child is
    refused), whose end is reported, so the document element is known here by then.
    Such a child is checked before anything reported after it is handled
    (`_check_position`), or else at a parse error or at the end.
    """

    def __init__(self, file: str, budget: _Budget) -> None:
        self.file = file
        self.budget = budget
        self.entries = 0  # entries seen so far, for 'entry N' across all statements
        self.statements: list[Statement] = []
        self.pending: list[BankTransaction] = []  # transactions of the current Stmt
        # The account the pending transactions were given: read from the statement
        # header when the first of them was read (the header precedes the entries),
        # so that no transaction needs a copy when the statement ends.
        self.account: str | None = None
        self.root: etree._Element | None = None  # the document element, once checked
        self.top_checked = 0  # children of a Document root checked so far
        self.seen_parent: etree._Element | None = None  # see `_check_position`

    def read(self, stream: _Replay) -> list[Statement]:
        events = etree.iterparse(stream, events=("end",), tag=_WATCHED, **_PARSER_OPTIONS)
        try:
            for _event, el in events:
                self._check_position(el)
                name = _local(el)
                if name == "Ntry":
                    self._on_entry(el)
                elif name == "Stmt":
                    self._on_statement(el)
        except etree.XMLSyntaxError:
            # A reader seeing every element had checked all elements before the
            # error as they started: do so now, so that the same refusal comes first.
            self._check_document(self.root)
            raise
        self._check_document(events.root)  # Document children after the last report
        if self.pending:  # entries outside any Stmt belong to no account
            raise StatementError(self.file, None, "entries found outside a statement (Stmt)")
        return self.statements

    def _check_position(self, el: etree._Element) -> None:
        """Check the document, and its children up to the one holding `el`.

        The tree may already hold elements after `el` (libxml2 parses ahead in
        chunks), so a later child of the root is left for a later report.
        """
        parent = el.getparent()
        if parent is not None and parent is self.seen_parent:
            return  # a sibling of the previous element: the same child of the root
        if self.root is None:
            self._check_document(el.getroottree().getroot(), until=el)
        else:
            self._check_top_level(until=el)
        if parent is not None and parent is not self.root:
            # Below the root, siblings are in the same child of the root. Holding
            # the parent keeps its proxy alive, so `is` recognises it next time.
            self.seen_parent = parent

    def _check_document(self, root: etree._Element | None, until: etree._Element | None = None) -> None:
        """The document element, then its children (up to the one holding `until`)."""
        if root is None:
            return
        if self.root is None:
            _check_root(root, self.file)
            self.root = root
        self._check_top_level(until)

    def _check_top_level(self, until: etree._Element | None = None) -> None:
        """Refuse a child of a `Document` root other than the statement message.

        In document order, up to the child that holds `until` (all if None).
        """
        root = self.root
        if root is None or until is root or _local(root) != "Document":
            return
        children = [child for child in root if isinstance(child.tag, str)]
        stop = len(children)
        if until is not None:
            while (parent := until.getparent()) is not root:
                until = parent
            stop = children.index(until) + 1
        for child in children[self.top_checked : stop]:
            _check_message(_local(child), self.file)
        self.top_checked = max(self.top_checked, stop)

    def _on_entry(self, el: etree._Element) -> None:
        self.entries += 1
        self.pending.extend(self._booked(el))
        # Released only now that nothing refers to an element inside the entry:
        # lxml frees a child without a Python proxy at once, but must first move
        # one with a proxy to a document of its own.
        _release(el, keep_header=True)
        self.budget.released(self.entries)

    def _booked(self, el: etree._Element) -> list[BankTransaction]:
        """The transactions of an entry; none when it is not booked yet."""
        planned = _Planned.of(el)
        if planned is not None:
            if planned.status() in _NOT_BOOKED:
                return []
            if self.account is None:
                self.account = _header_account(el.getparent())
            transactions = planned.transactions(self.entries, self.account, self.file)
            if transactions is not None:
                return transactions
        ntry = _index(el)
        if _entry_status(ntry) in _NOT_BOOKED:
            return []
        if self.account is None:
            self.account = _header_account(el.getparent())
        return _entry(ntry, self.entries, self.account, self.file)

    def _on_statement(self, el: etree._Element) -> None:
        where = f"statement {len(self.statements) + 1}"
        statement = _statement(el, self.file, where)
        transactions = self.pending
        if self.account != statement.account:
            # The header did not give the account yet when the first entry was
            # read (out of schema order, or entries outside this Stmt): correct it.
            transactions = [replace(t, account=statement.account) for t in transactions]
        self.statements.append(replace(statement, transactions=transactions))
        self.pending = []
        self.account = None
        _release(el)
        self.budget.released(self.entries)


def _release(el: etree._Element, keep_header: bool = False) -> None:
    """Free a handled element and the handled siblings before it (flat memory).

    Entries sit after the statement header, which is still needed: for an entry
    (`keep_header`) only earlier entries are dropped. A finished statement needs
    nothing before it any more.
    """
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is None:
        return
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
    account = _header_account(stmt)
    if not account:
        raise StatementError(file, where, "statement has no account")
    return account


def _header_account(stmt: etree._Element | None) -> str:
    """The statement's own account (IBAN, else another Id); "" when it has none."""
    iban = _text(stmt, "Acct", "Id", "IBAN")
    if iban:
        return _compact_iban(iban)
    return _text(stmt, "Acct", "Id", "Othr", "Id") or ""


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
#
# Entries are the bulk of a file. Each Ntry and TxDtls is read from an `_index` of its
# children, built in one pass, instead of scanning its children again for every name
# looked up; `ntry`, `tx` and `related` below are such indexes.


def _entry_status(ntry: _Index) -> str | None:
    sts = _first(ntry, "Sts")
    return _own_text(_child(sts, "Cd")) or _own_text(sts)  # v08 wraps the code in Cd


def _entry(ntry: _Index, number: int, account: str, file: str) -> list[BankTransaction]:
    where = f"entry {number}"
    amount_text = _own_text(_first(ntry, "Amt"))
    indicator = _own_text(_first(ntry, "CdtDbtInd"))
    booked_text = _date_text(_first(ntry, "BookgDt"))
    if not (amount_text and indicator and booked_text):
        _refuse_incomplete(amount_text, indicator, booked_text, file, where)
    amount = _signed(amount_text, indicator, "entry amount", file, where)
    booked = _parse_date(booked_text, "booking date", file, where)
    valued = _date_of(_first(ntry, "ValDt"), "value date", file, where) or booked
    details = [tx for dtls in ntry.get("NtryDtls", ()) for tx in _children(dtls, "TxDtls")]
    if not details:
        return [_transaction(ntry, None, amount, booked, valued, account, where)]
    if len(details) == 1:
        # The entry amount is what was booked on the account; a lone TxDtls amount
        # may differ by charges or currency conversion and is only informative.
        return [_transaction(ntry, _index(details[0]), amount, booked, valued, account, where)]
    return _batch(ntry, details, amount, booked, valued, account, file, where)


def _refuse_incomplete(
    amount: str | None, indicator: str | None, booked: str | None, file: str, where: str
) -> None:
    """Refuse an entry lacking a mandatory element, naming every one that is missing."""
    required = (
        ("amount (Amt)", amount),
        ("credit/debit indicator (CdtDbtInd)", indicator),
        ("booking date (BookgDt)", booked),
    )
    missing = [label for label, value in required if not value]
    if missing:
        raise StatementError(file, where, "entry has no " + " and no ".join(missing))


def _batch(
    ntry: _Index,
    details: list[etree._Element],
    amount: Decimal,
    booked: date,
    valued: date,
    account: str,
    file: str,
    where: str,
) -> list[BankTransaction]:
    """A batch booking: one transaction per TxDtls, which must add up to the entry."""
    transactions = []
    for number, element in enumerate(details, start=1):
        tx = _index(element)
        tx_where = f"{where}, transaction {number}"
        tx_amount = _tx_amount(ntry, tx, amount, file, tx_where)
        if tx_amount is None:
            raise StatementError(file, tx_where, "batch transaction has no amount (AmtDtls/TxAmt/Amt)")
        transactions.append(_transaction(ntry, tx, tx_amount, booked, valued, account, tx_where))
    _check_sum(amount, [t.amount for t in transactions], file, where)
    return transactions


def _tx_amount(ntry: _Index, tx: _Index, entry_amount: Decimal, file: str, where: str) -> Decimal | None:
    """The transaction's own amount in the entry's currency, signed; None if absent."""
    currency = _attr(_first(ntry, "Amt"), "Ccy")
    details = _first(tx, "AmtDtls")
    candidates = (  # in this order of preference
        _child(_child(details, "TxAmt"), "Amt"),
        _first(tx, "Amt"),
        _child(_child(details, "CntrValAmt"), "Amt"),
    )
    for el in candidates:
        if el is None or not (el.text or "").strip():
            continue
        if currency and _attr(el, "Ccy") not in (None, currency):
            continue  # a foreign-currency amount cannot be added to the entry
        indicator = _own_text(_first(tx, "CdtDbtInd")) or ("DBIT" if entry_amount < 0 else "CRDT")
        return _signed(el.text, indicator, "transaction amount", file, where)
    return None


def _check_sum(entry: Decimal, parts: list[Decimal], file: str, where: str) -> None:
    total = sum(parts, Decimal("0.00"))
    if total != entry:
        raise StatementError(
            file, where, f"the transaction amounts add up to {total}, not to the entry amount {entry}"
        )


def _transaction(
    ntry: _Index,
    tx: _Index | None,
    amount: Decimal,
    booked: date,
    valued: date,
    account: str,
    where: str,
) -> BankTransaction:
    # Who is on the other side of the booking, and the element of their account.
    party, party_account = ("Dbtr", "DbtrAcct") if amount > 0 else ("Cdtr", "CdtrAcct")
    tx = tx or {}  # no TxDtls: as if it were empty
    related = _index(_first(tx, "RltdPties"))
    refs = _first(tx, "Refs")
    end_to_end = _own_text(_child(refs, "EndToEndId"))
    return BankTransaction(
        account=account,
        booking_date=booked,
        value_date=valued,
        amount=amount,
        counterparty_iban=_counterparty_iban(_first(related, party_account)),
        counterparty_name=_counterparty_name(_first(related, party)),
        description=_description(ntry, tx),
        end_to_end_id=None if (end_to_end or "").upper() == "NOTPROVIDED" else end_to_end,
        bank_reference=_own_text(_first(ntry, "AcctSvcrRef"))
        or _own_text(_child(refs, "AcctSvcrRef"))
        or _own_text(_first(ntry, "NtryRef")),
        where=where,
    )


def _counterparty_iban(account: etree._Element | None) -> str | None:
    """The IBAN in a DbtrAcct or CdtrAcct."""
    iban = _own_text(_child(_child(account, "Id"), "IBAN"))
    return _compact_iban(iban) if iban else None


def _counterparty_name(party: etree._Element | None) -> str | None:
    """The name of a Dbtr or Cdtr; .001.08 nests it one level deeper: Dbtr/Pty/Nm."""
    name = _own_text(_child(party, "Nm")) or _own_text(_child(_child(party, "Pty"), "Nm"))
    return _one_line(name) or None


def _description(ntry: _Index, tx: _Index) -> str:
    """Remittance information as one line; the bank's additional info if there is none."""
    parts: list[str] = []
    for element in tx.get("RmtInf", ()):
        rmt = _index(element)
        parts += [el.text or "" for el in rmt.get("Ustrd", ())]
        parts += [_text(strd, "CdtrRefInf", "Ref") or "" for strd in rmt.get("Strd", ())]
    text = _one_line(" ".join(parts)) or _one_line(_own_text(_first(tx, "AddtlTxInf")))
    return text or _one_line(_own_text(_first(ntry, "AddtlNtryInf")))


# --- the fast path for entries of a common shape -------------------------------------
#
# Nearly all entries of a large file have the same few shapes. The shape of an entry
# (its elements in document order, each with its number of children) fixes the path
# of every element in it, so the paths are worked out once per shape (`_plan`) and
# each entry is then read by position: one pass over its elements in C
# (`Element.iter`) instead of a Python call per element visited. A shape in which a
# path occurs twice (batch bookings, several remittance blocks, ...) has no plan;
# such entries, and any entry the fast path cannot read to the end (a missing
# field), are read the general way above, which also words every refusal.

_Shape = tuple[object, ...]  # the tags of an entry's elements, then their numbers of children


class _Positions(NamedTuple):
    """Where each field is among the elements a plan picks, see `_positions`.

    An absent field (None from `_positions`) is at `ABSENT` in a plan: the last
    place, where `_Planned` keeps None.
    """

    status_code: int | None  # Sts/Cd (.001.08), else
    status: int | None  # Sts
    amount: int | None
    indicator: int | None
    booked: tuple[int | None, int | None]  # BookgDt/Dt, BookgDt/DtTm
    valued: tuple[int | None, int | None]  # ValDt/Dt, ValDt/DtTm
    has_tx: bool  # one NtryDtls/TxDtls
    debtor: tuple[int | None, int | None, int | None]  # IBAN, Nm, Pty/Nm: the other side of a credit
    creditor: tuple[int | None, int | None, int | None]  # the same for a debit
    end_to_end: int | None
    tx_reference: int | None  # TxDtls/Refs/AcctSvcrRef
    unstructured: int | None  # RmtInf/Ustrd
    structured: int | None  # RmtInf/Strd (the element: it may hold no Ref)
    structured_ref: int | None  # RmtInf/Strd/CdtrRefInf/Ref
    tx_info: int | None  # AddtlTxInf
    entry_info: int | None  # AddtlNtryInf
    reference: int | None  # AcctSvcrRef
    entry_reference: int | None  # NtryRef


class _Plan(NamedTuple):
    pick: Callable[[list[etree._Element]], tuple[etree._Element, ...]]  # the elements read
    at: _Positions  # positions among the picked elements


ABSENT = -1
_PLANS: dict[_Shape, _Plan | None] = {}
_MAX_PLANS = 256  # shapes remembered; a file of ever new shapes is just read slowly
_TAG, _TEXT = attrgetter("tag"), attrgetter("text")


def _plan(shape: _Shape) -> _Plan | None:
    """How to read an entry of this shape; None if a path repeats."""
    count = len(shape) // 2
    paths: dict[str, int] = {}
    open_elements: list[list] = []  # [path, children still to come]
    for position, tag, children in zip(range(count), shape[:count], shape[count:]):
        if not isinstance(tag, str):
            return None
        while open_elements and open_elements[-1][1] == 0:
            open_elements.pop()
        if open_elements:
            parent = open_elements[-1]
            parent[1] -= 1
            name = tag[tag.rfind("}") + 1 :]  # as in `_local`
            path = f"{parent[0]}/{name}" if parent[0] else name
        else:
            path = ""  # the entry itself
        if path in paths:
            return None
        paths[path] = position
        open_elements.append([path, children])
    at = _positions(paths)
    # Only the elements a field is read from are picked, in document order.
    wanted = sorted({p for field in at if not isinstance(field, bool)
                     for p in (field if isinstance(field, tuple) else (field,)) if p is not None})
    index = {position: i for i, position in enumerate(wanted)}

    def renumber(field):  # an absent field reads the sentinel after the picked texts
        if isinstance(field, bool):
            return field
        if isinstance(field, tuple):
            return tuple(renumber(p) for p in field)
        return ABSENT if field is None else index[field]

    pick = itemgetter(*wanted) if len(wanted) > 1 else (lambda elements: tuple(elements[p] for p in wanted))
    return _Plan(pick, _Positions(*(renumber(field) for field in at)))


def _positions(paths: dict[str, int]) -> _Positions:
    at = paths.get
    tx = "NtryDtls/TxDtls/"

    def party(name: str) -> tuple[int | None, int | None, int | None]:
        related = f"{tx}RltdPties/"
        return at(f"{related}{name}Acct/Id/IBAN"), at(f"{related}{name}/Nm"), at(f"{related}{name}/Pty/Nm")

    return _Positions(
        status_code=at("Sts/Cd"), status=at("Sts"), amount=at("Amt"), indicator=at("CdtDbtInd"),
        booked=(at("BookgDt/Dt"), at("BookgDt/DtTm")), valued=(at("ValDt/Dt"), at("ValDt/DtTm")),
        has_tx="NtryDtls/TxDtls" in paths, debtor=party("Dbtr"), creditor=party("Cdtr"),
        end_to_end=at(f"{tx}Refs/EndToEndId"), tx_reference=at(f"{tx}Refs/AcctSvcrRef"),
        unstructured=at(f"{tx}RmtInf/Ustrd"), structured=at(f"{tx}RmtInf/Strd"),
        structured_ref=at(f"{tx}RmtInf/Strd/CdtrRefInf/Ref"), tx_info=at(f"{tx}AddtlTxInf"),
        entry_info=at("AddtlNtryInf"), reference=at("AcctSvcrRef"), entry_reference=at("NtryRef"),
    )


class _Planned:
    """An entry read through the plan of its shape (see above)."""

    __slots__ = ("texts", "stripped", "at")

    def __init__(self, texts: list[str | None], at: _Positions) -> None:
        texts.append(None)  # at ABSENT
        self.texts = texts
        self.stripped = [text.strip() or None if text else None for text in texts]  # as `_own_text`
        self.at = at

    @classmethod
    def of(cls, ntry: etree._Element) -> _Planned | None:
        elements = list(ntry.iter())
        shape = (*map(_TAG, elements), *map(len, elements))
        try:
            plan = _PLANS[shape]
        except KeyError:
            plan = _plan(shape)
            if len(_PLANS) < _MAX_PLANS:
                _PLANS[shape] = plan
        if plan is None:
            return None
        return cls(list(map(_TEXT, plan.pick(elements))), plan.at)

    def status(self) -> str | None:
        own, at = self.stripped, self.at
        return own[at.status_code] or own[at.status]  # as `_entry_status`

    def transactions(self, number: int, account: str, file: str) -> list[BankTransaction] | None:
        """As `_entry` (a booked entry with at most one TxDtls); None: read it the general way."""
        own, at = self.stripped, self.at  # own[i]: as `_own_text` of the element at i
        amount_text, indicator = own[at.amount], own[at.indicator]
        booked_text = own[at.booked[0]] or own[at.booked[1]]  # as `_date_text`
        if not (amount_text and indicator and booked_text):
            return None  # the general way names what is missing
        where = f"entry {number}"
        amount = _signed(amount_text, indicator, "entry amount", file, where)
        booked = _day(booked_text, "booking date", file, where)
        valued_text = own[at.valued[0]] or own[at.valued[1]]
        valued = booked if valued_text is None else _day(valued_text, "value date", file, where)
        if not at.has_tx:  # as `_transaction` with no TxDtls
            iban = name = end_to_end = tx_reference = None
            description = ""
        else:
            iban_at, name_at, nested_name_at = at.debtor if amount > 0 else at.creditor
            iban = own[iban_at]
            name = own[name_at] or own[nested_name_at]
            end_to_end = own[at.end_to_end]
            tx_reference = own[at.tx_reference]
            if at.structured == ABSENT:  # as `_description`
                description = _one_line(self.texts[at.unstructured])
            else:
                parts = [self.texts[at.unstructured] or ""] if at.unstructured != ABSENT else []
                parts.append(own[at.structured_ref] or "")
                description = _one_line(" ".join(parts))
            description = description or _one_line(own[at.tx_info])
        return [BankTransaction.read(
            account,
            booked,
            valued,
            amount,
            _compact_iban(iban) if iban else None,
            _one_line(name) or None,
            description or _one_line(own[at.entry_info]),
            None if (end_to_end or "").upper() == "NOTPROVIDED" else end_to_end,
            own[at.reference] or tx_reference or own[at.entry_reference],
            where,
        )]


_DAYS: dict[str, date] = {}  # date texts read by `_Planned`, with their dates


def _day(text: str, what: str, file: str, where: str) -> date:
    """As `_parse_date`; a file spans a few months, so each date text is read once."""
    day = _DAYS.get(text)
    if day is None:
        day = _parse_date(text, what, file, where)
        if len(_DAYS) < 1024:
            _DAYS[text] = day
    return day


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
    if _CENTS.fullmatch(raw):  # nearly every amount: already exact to the cent, in range
        return Decimal(raw)
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
    return _parse_date(_date_text(holder), what, file, where)


def _parse_date(text: str | None, what: str, file: str, where: str) -> date | None:
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
#
# Elements are matched on their local name only (see the module docstring). These
# helpers are the hot path of a large file: each reads a child's tag once and slices
# the local name inline, as a call per child costs more than the slicing itself.

_Index = dict[str, list[etree._Element]]  # an element's children by local name


def _local(el: etree._Element) -> str:
    tag = el.tag
    # Comments and processing instructions have a function as tag (none are kept).
    return tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""


def _index(el: etree._Element | None) -> _Index:
    """The children of `el` by local name, each list in document order; {} for None."""
    index: _Index = {}
    if el is None:
        return index
    for child in el:
        tag = child.tag
        if isinstance(tag, str):  # as in `_local`
            name = tag[tag.rfind("}") + 1 :]
            if name in index:
                index[name].append(child)
            else:
                index[name] = [child]
    return index


def _first(index: _Index, name: str) -> etree._Element | None:
    """The first child of that name in an `_index`, as `_child` would find it."""
    found = index.get(name)
    return found[0] if found else None


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    """The first child of `el` with that local name; None if none (or no `el`)."""
    if el is not None:
        for child in el:
            tag = child.tag
            if isinstance(tag, str) and tag[tag.rfind("}") + 1 :] == name:  # as in `_local`
                return child
    return None


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    """All children of `el` with that local name."""
    found = []
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag[tag.rfind("}") + 1 :] == name:  # as in `_local`
            found.append(child)
    return found


def _own_text(el: etree._Element | None) -> str | None:
    """The element's text, stripped; None when it is absent or blank."""
    if el is None:
        return None
    return (el.text or "").strip() or None


def _text(el: etree._Element | None, *path: str) -> str | None:
    """The text of the first child named path[0], its first child named path[1], ..."""
    for name in path:
        el = _child(el, name)
    return _own_text(el)


def _attr(el: etree._Element | None, name: str) -> str | None:
    return el.get(name) if el is not None else None
