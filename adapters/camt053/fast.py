"""The fast path: entries of a common shape read by position, as the general reader would.

Why it exists: parsing is most of an import, and the import is held to at most four
times a bare lxml parse plus a raw insert (`bench/bench_import.py`, `bench/results/
SUMMARY.md`). Reading every entry the general way took 3.3 times bare lxml; by
position, once per shape, 2.2 times. The tricks below (shapes keyed by C-level
`map`s, `itemgetter` picking only the elements a field comes from, texts stripped in
one pass, date texts read once) each showed in `bench/results/import_profile.txt`;
keep them unless the benchmark says otherwise.

It reads exactly what the general reader (`general.py`) reads, or hands the entry to
it: `tests/unit/test_camt053_fast.py` reads generated entries both ways and requires the
same statements, or the same refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from operator import attrgetter, itemgetter
from typing import NamedTuple

from lxml import etree

from huishoudboekje.domain.statement import BankTransaction

from .elements import _compact_iban, _one_line, _parse_date, _signed

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

