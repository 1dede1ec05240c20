"""MT940 bank statement files into `Statement` records.

The `mt-940` library reads the tag values (balances, statement lines, with its
entry-date year guessing and reversal marks). Splitting the file into tags is
done here, because the library's own splitter cannot say on which line a tag
stood, drops a :61: that a bank glued onto the end of the previous :86: line,
merges a :61: without transaction type code into the one before it, and files
a statement-level :86: (ING's /SUM/) under the last transaction. The Dutch
structured :86: (MT940S) is split by `split_86`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import mt940

from huishoudboekje.domain.iban import is_iban
from huishoudboekje.domain.statement import BankTransaction, Statement, StatementError

__all__ = ["is_mt940", "parse_mt940", "split_86"]

_SNIFF_BYTES = 8192
_CENT = Decimal("0.01")
# SWIFT caps a :86: line at 65 characters; a free-text line of exactly that
# length was cut by the bank, not by the writer, so it joins without a space.
_SWIFT_LINE = 65

# Library behaviour that differs from 5.0.0 and that we want: RC (reversal of a
# credit) takes money out, and lower-case marks count.
_OPTIONS = mt940.Options(reversal_sign=True, case_insensitive_marks=True)

# ---------------------------------------------------------------- sniffing

_HAS_20 = re.compile(r"(?m)(?:^|\{4:)[ \t]*:20:")
_HAS_25 = re.compile(r"(?m)^[ \t]*:25:")
_HAS_BODY = re.compile(r"(?m)^[ \t]*:(?:61|60[FM]?):")


def is_mt940(head: bytes) -> bool:
    """Whether the first few KB look like an MT940 statement file."""
    text = head[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    return _looks_like_mt940(text.replace("\r", "\n"))


def _looks_like_mt940(text: str) -> bool:
    return bool(_HAS_20.search(text) and _HAS_25.search(text) and _HAS_BODY.search(text))


def _decode(data: bytes) -> str:
    """Text with '\n' line ends (some exports still end lines with a lone CR)."""
    return _text(data).replace("\r\n", "\n").replace("\r", "\n")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Dutch bank exports are often Windows-1252
    except UnicodeDecodeError:
        return data.decode("latin-1")  # cp1252 leaves five bytes undefined


# ---------------------------------------------------------------- tokenizing


@dataclass
class _Tag:
    name: str  # '20', '28C', '61', '86', ...
    line: int  # 1-based line of the tag in the file
    lines: list[str] = field(default_factory=list)  # value, then continuation lines

    @property
    def where(self) -> str:
        return f"line {self.line}"

    @property
    def first(self) -> str:
        return self.lines[0].strip()


_TAG_START = re.compile(r":(\d{2}[A-Z]?|NS):")
# Some exports lose the line break before a tag (seen in the BNG sample:
# '... Zahlungsnummer 1234568 :61:140912D100,00NMSC092'); split only where the
# rest clearly is a statement line or closing balance.
_GLUED_TAG = re.compile(r"(?<=\s)(?=:61:\d{6}|:62[FM]:[CD]\d{6})")
# End of a message: '-', '-}' (SWIFT envelope), or ING's soft hyphen '\xad}'.
_TRAILER = re.compile(r"[-\u00ad](?:\}.*)?")


def _tokenize(text: str) -> list[_Tag]:
    tags: list[_Tag] = []
    open_tag: _Tag | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _unwrap_envelope(raw)
        if line is None:  # envelope or trailer: whatever came before is complete
            open_tag = None
            continue
        for piece in _GLUED_TAG.split(line):
            if piece.strip():
                open_tag = _feed(tags, open_tag, piece, number)
    return tags


def _unwrap_envelope(line: str) -> str | None:
    """The line without SWIFT envelope; None if nothing of the statement is on it."""
    if line.startswith("{"):
        _, found, rest = line.partition("{4:")
        return rest if found and rest.strip() else None
    if _TRAILER.fullmatch(line.strip()):
        return None
    return line


def _feed(tags: list[_Tag], open_tag: _Tag | None, piece: str, number: int) -> _Tag | None:
    match = _TAG_START.match(piece)
    # Like the library: inside a :86:, a ':XX:' the library does not know is text.
    in_details = open_tag is not None and open_tag.name == "86"
    if match and not (in_details and not _known_tag(match.group(1))):
        tag = _Tag(match.group(1), number, [piece[match.end() :]])
        tags.append(tag)
        return tag
    if open_tag is not None:
        open_tag.lines.append(piece)
    return open_tag  # text before the first tag (bank headers) is dropped


def _known_tag(name: str) -> bool:
    known = mt940.tags.TAG_BY_ID
    return name in known or (name[:2].isdigit() and int(name[:2]) in known)


def _blocks(tags: list[_Tag]) -> list[list[_Tag]]:
    """One list of tags per statement; each :20: opens a statement."""
    blocks: list[list[_Tag]] = []
    for tag in tags:
        if tag.name == "20" or not blocks:
            blocks.append([])
        blocks[-1].append(tag)
    return blocks


# ---------------------------------------------------------------- parsing


def parse_mt940(data: bytes, file: str) -> list[Statement]:
    """Every statement in an MT940 file, in file order."""
    text = _decode(data)
    if not _looks_like_mt940(text):
        raise StatementError(file, None, "not an MT940 file (no :20:, :25: and :60F:/:61: tags)")
    context = mt940.models.Transactions(
        processors={"post_transaction_details": []},  # :86: is split by split_86
        options=_OPTIONS,
    )
    return [_statement(block, file, context) for block in _blocks(_tokenize(text))]


class _Entry(NamedTuple):
    line: _Tag  # the :61: statement line
    information: list[_Tag]  # the :86: that follows it, if any


@dataclass
class _Draft:
    """What one :20: block says, gathered before the records are built."""

    head: dict[str, str] = field(default_factory=dict)
    opening: tuple[Decimal, date] | None = None
    closing: tuple[Decimal, date] | None = None
    entries: list[_Entry] = field(default_factory=list)


def _statement(block: list[_Tag], file: str, context: mt940.models.Transactions) -> Statement:
    draft = _gather(block, file, context)
    if not draft.head.get("25"):
        raise StatementError(file, block[0].where, "statement has no :25: account")
    account = _account(draft.head["25"])
    opening, opening_date = draft.opening or (None, None)
    closing, closing_date = draft.closing or (None, None)
    return Statement(
        file=file,
        account=account,
        statement_id=_statement_id(draft.head),
        opening_balance=opening,
        closing_balance=closing,
        opening_date=opening_date,
        closing_date=closing_date,
        transactions=[
            _transaction(t61, t86, account, file, context) for t61, t86 in draft.entries
        ],
    )


def _gather(block: list[_Tag], file: str, context: mt940.models.Transactions) -> _Draft:
    draft = _Draft()
    attach = False  # whether a :86: here belongs to the last :61:
    for tag in block:
        if tag.name == "61":
            draft.entries.append(_Entry(tag, []))
        elif tag.name == "86" and attach:
            draft.entries[-1].information.append(tag)
        elif tag.name in ("60", "60F", "60M"):
            draft.opening = draft.opening or _balance(tag, file, context)
        elif tag.name in ("62", "62F", "62M"):
            draft.closing = _balance(tag, file, context)
        elif tag.name in ("20", "25", "28", "28C"):
            draft.head.setdefault(tag.name[:2], tag.first)
        attach = tag.name == "61" or (tag.name == "86" and attach)
    return draft


def _account(value: str) -> str:
    """The IBAN (or plain account number) of ':25:', without BIC or currency."""
    compact = "".join(value.split()).upper()
    account = compact.rsplit("/", 1)[-1]  # 'ABNANL2A/NL12…' names the BIC first
    if _valid_iban(account):
        return account
    if len(account) > 4 and account[-3:].isalpha() and account[-4].isdigit():
        return account[:-3]  # 'NL69INGB0123456789EUR': currency appended
    return account


def _statement_id(head: dict[str, str]) -> str | None:
    # :28C: alone repeats across files (ING sends '00000', BNG '1/1'); the :20:
    # reference in front makes it tell statements apart.
    return "/".join(part for part in (head.get("20"), head.get("28")) if part) or None


# ---------------------------------------------------------------- library calls


def _library_parse(
    tag: _Tag, value: str, file: str, context: mt940.models.Transactions
) -> dict:
    """Run one tag value through the mt-940 tag parser and its processors."""
    parser = context.tags.get(tag.name) or context.tags[context.normalize_tag_id(tag.name[:2])]
    try:
        fields = parser.parse(context, value)
        for step in context.processors.get(f"pre_{parser.slug}", []):
            fields = step(context, parser, fields)
        result = parser(context, fields)
        for step in context.processors.get(f"post_{parser.slug}", []):
            result = step(context, parser, fields, result)
    except Exception as exc:  # RuntimeError, ValueError, decimal errors: never raw
        detail = "" if isinstance(exc, RuntimeError) else f" ({exc})"
        reason = f"cannot read :{tag.name}: {value!r}{detail}"
        raise StatementError(file, tag.where, reason) from exc
    return result


def _plain_date(value: date) -> date:
    return date(value.year, value.month, value.day)  # drop the library's subclass


def _two_decimals(amount: Decimal, tag: _Tag, file: str) -> Decimal:
    rounded = amount.quantize(_CENT)
    if rounded != amount:
        raise StatementError(file, tag.where, f"amount {amount} has more than two decimals")
    return rounded


# SWIFT amounts always carry a decimal comma; the library also takes bare
# digits, which lets it read '…CN654NONREF' (no amount) as 654.
_BALANCE = re.compile(r"[CD]\d{6}[A-Z]{3}\d{1,15},\d*")


def _balance(
    tag: _Tag, file: str, context: mt940.models.Transactions
) -> tuple[Decimal, date]:
    value = tag.first
    if not _BALANCE.fullmatch(value):
        raise StatementError(file, tag.where, f"malformed :{tag.name}: balance {value!r}")
    balance = next(iter(_library_parse(tag, value, file, context).values()))
    return _two_decimals(balance.amount.amount, tag, file), _plain_date(balance.date)


# ---------------------------------------------------------------- statement lines

_STATEMENT_LINE = re.compile(
    r"(?P<date>\d{6})(?:\d{4}|\s{4})?(?P<mark>R?[CD])?(?:[A-Z](?=\d))?(?P<amount>\d{1,15},\d*)?",
    re.IGNORECASE,
)
_NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "EREF", "PREF", "MARF", "KREF"})


def _check_statement_line(tag: _Tag, file: str) -> tuple[str, Decimal]:
    """The D/C mark and unsigned amount of a :61:, or why it has none."""
    shape = _STATEMENT_LINE.match(tag.first)
    if not shape:
        reason = "no value date (YYMMDD)"
    elif not shape["mark"]:
        reason = "no debit/credit mark (C, D, RC or RD)"
    elif not shape["amount"]:
        reason = "no amount"
    else:
        return shape["mark"].upper(), Decimal(shape["amount"].replace(",", "."))
    raise StatementError(file, tag.where, f"statement line {tag.first!r} has {reason}")


def _transaction(
    t61: _Tag, t86: list[_Tag], account: str, file: str, context: mt940.models.Transactions
) -> BankTransaction:
    mark, magnitude = _check_statement_line(t61, file)
    # A :61: may carry supplementary details (Rabobank: the counter-account) on a second line.
    value = "\n".join([t61.first, *(line.strip() for line in t61.lines[1:2])])
    data = _library_parse(t61, value, file, context)
    amount = _two_decimals(data["amount"].amount, t61, file)
    if abs(amount) != magnitude:
        raise StatementError(file, t61.where, f"amount of {t61.first!r} is ambiguous")
    details = _read_details([line for tag in t86 for line in tag.lines], mark in ("C", "RD"))
    value_date = _plain_date(data["date"])
    return BankTransaction(
        account=account,
        booking_date=_plain_date(data.get("entry_date") or value_date),
        value_date=value_date,
        amount=amount,
        counterparty_iban=details.iban or _supplementary_iban(data),
        counterparty_name=details.name,
        description=details.description,
        end_to_end_id=details.end_to_end_id,
        bank_reference=_bank_reference(data),
        where=t61.where,
    )


def _bank_reference(data: dict) -> str | None:
    # ING appends '/TRCD/…' to the bank reference; the reference itself has no '/'.
    bank = (data.get("bank_reference") or "").split("/")[0].strip()
    if bank:
        return bank
    customer = (data.get("customer_reference") or "").strip()
    return None if customer.upper() in _NO_REFERENCE else customer


def _supplementary_iban(data: dict) -> str | None:
    extra = "".join((data.get("extra_details") or "").split()).upper()
    return extra if extra and _valid_iban(extra) else None


# ---------------------------------------------------------------- :86: details


@dataclass(frozen=True)
class _Details:
    description: str
    iban: str | None = None
    name: str | None = None
    end_to_end_id: str | None = None


def _read_details(lines: list[str], credit: bool) -> _Details:
    if not lines:
        return _Details("")
    fields = split_86("\n".join(lines))
    if not fields:
        text = _join_free_text(lines)
        return _Details(text, iban=_find_iban(text))
    eref = fields.get("EREF", "")
    return _Details(
        description=fields.get("REMI") or fields.get("CDTRREF") or _collapse("".join(lines)),
        iban="".join(fields.get("IBAN", "").split()).upper() or None,
        name=_counterparty_name(fields, credit),
        end_to_end_id=None if eref.upper() in ("", "NOTPROVIDED") else eref,
    )


def _counterparty_name(fields: dict[str, str], credit: bool) -> str | None:
    # The payer (ordering party) for credits, the payee (beneficiary) for debits.
    order = ("ORDP/NAME", "NAME", "BENM/NAME") if credit else ("BENM/NAME", "NAME", "ORDP/NAME")
    return next((fields[key] for key in order if fields.get(key)), None)


def _join_free_text(lines: list[str]) -> str:
    text = lines[0]
    for previous, line in zip(lines, lines[1:]):
        text += ("" if len(previous.rstrip()) == _SWIFT_LINE else " ") + line
    return _collapse(text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


_IBAN_TOKEN = re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b")


def _find_iban(text: str) -> str | None:
    return next((token for token in _IBAN_TOKEN.findall(text) if _valid_iban(token)), None)


@functools.lru_cache(maxsize=4096)
def _valid_iban(value: str) -> bool:
    return is_iban(value)  # cached: a statement names the same few accounts many times


# ---------------------------------------------------------------- split_86

# Sub-field codes of the Dutch structured :86: (NVB MT940S, as used by ABN AMRO,
# ING, Rabobank, BNG). Longest first so CDTRREFTP is not read as CDTRREF.
_CODES = (
    "CDTRREFTP", "CDTRREF", "RTRN", "TRTP", "EREF", "PREF", "KREF", "MARF", "CSID",
    "CNTP", "REMI", "PURP", "ULTC", "ULTD", "ULTB", "BENM", "ORDP", "IBAN", "NAME",
    "ADDR", "ISDT", "EXCH", "CHGS", "SVCL", "BUSP", "OCMT", "ORIG", "ACCW", "BIC", "ID",
)  # fmt: skip
_CODE = re.compile(r"/(" + "|".join(_CODES) + r")/")
_PARTIES = frozenset({"ORDP", "BENM", "ULTC", "ULTD", "ULTB"})
_PARTY_PARTS = frozenset({"NAME", "ID", "ADDR"})


def split_86(text: str) -> dict[str, str]:
    """The sub-fields of a structured :86:, e.g. {'IBAN': …, 'NAME': …, 'REMI': …}.

    Free text (not starting with a known '/CODE/') gives {}. Line breaks are
    removed without a space: banks wrap at a fixed width, even inside a word
    or a code. Party parts are keyed under their party ('ORDP/NAME'); ING's
    CNTP is spread over IBAN, BIC, NAME and CITY; REMI is reduced to its text
    or structured reference.
    """
    flat = text.replace("\r", "").replace("\n", "").strip()
    codes = list(_CODE.finditer(flat))
    if not codes or codes[0].start() != 0:
        return {}
    fields: dict[str, str] = {}
    party = None
    for code, following in zip(codes, [*codes[1:], None]):
        key = code.group(1)
        if key in _PARTY_PARTS and party:
            key = f"{party}/{key}"
        else:
            party = key if key in _PARTIES else None
        raw = flat[code.end() : following.start() if following else len(flat)]
        fields.setdefault(key, raw.removesuffix("/"))  # ING separates fields with '//'
    return _tidy(fields)


def _tidy(fields: dict[str, str]) -> dict[str, str]:
    if "CNTP" in fields:
        for key, value in _counterparty_parts(fields["CNTP"]).items():
            fields.setdefault(key, value)
    if "REMI" in fields:
        fields["REMI"] = _remittance(fields["REMI"])
    return {key: _collapse(value) for key, value in fields.items()}


def _counterparty_parts(cntp: str) -> dict[str, str]:
    """ING's '/CNTP/account/BIC/name/city/'; the name may itself hold a '/'."""
    parts = cntp.split("/")
    named = {"IBAN": parts[0], "BIC": parts[1] if len(parts) > 1 else ""}
    if len(parts) > 3:
        named |= {"NAME": "/".join(parts[2:-1]), "CITY": parts[-1]}
    elif len(parts) == 3:
        named["NAME"] = parts[2]
    return {key: value for key, value in named.items() if value.strip()}


def _remittance(remi: str) -> str:
    """'USTD//free text' gives the text, 'STRD/CUR/1234…' the reference."""
    if remi.startswith("USTD/"):
        return remi[len("USTD/") :].strip("/")
    if remi.startswith("STRD/"):
        parts = [part for part in remi.split("/") if part]
        return "/".join(parts[2:]) if len(parts) > 2 else ""
    return remi
