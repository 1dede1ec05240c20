"""One pass over a camt.053 document: statements out, each entry released once read."""

from __future__ import annotations

from dataclasses import replace
from typing import BinaryIO

from lxml import etree

from huishoudboekje.bulk import without_cycle_collection
from huishoudboekje.domain.statement import BankTransaction, Statement, StatementError

from .elements import _index, _local
from .fast import _Planned
from .general import _NOT_BOOKED, _entry, _entry_status, _header_account, _statement
from .guard import (
    _PARSER_OPTIONS,
    MAX_ENTRY_ELEMENTS,
    _Budget,
    _check_message,
    _check_root,
    _guarded_stream,
    _Replay,
)

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

