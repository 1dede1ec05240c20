"""Values and element access shared by the general reader and the fast path."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from huishoudboekje.domain.statement import StatementError

_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CENT = Decimal("0.01")
_CENTS = re.compile(r"[0-9]{1,20}\.[0-9]{2}")  # within Decimal's 28 digits: quantize would change nothing


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
