"""The guard: what is refused before, and while, lxml reads a camt.053 file.

A document with a DTD is refused before any entity in it can be expanded (the first
bytes are scanned, and the parser is hardened as a second defence); a document that
is not a camt.053 statement is refused as its first elements start; and an entry that
would make libxml2 hold too many elements is refused before it is built (`_Budget`).
"""

from __future__ import annotations

import io
import re
from typing import BinaryIO

from lxml import etree

from huishoudboekje.domain.statement import StatementError

from .elements import _local

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
