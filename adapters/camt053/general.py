"""The general reader: a statement's header and its entries, whatever their shape.

Every entry the fast path (`fast.py`) cannot read is read here, and every refusal of
an entry is worded here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from lxml import etree

from huishoudboekje.domain.statement import BankTransaction, Statement, StatementError

from .elements import (
    _attr,
    _child,
    _children,
    _compact_iban,
    _date_of,
    _date_text,
    _first,
    _Index,
    _index,
    _one_line,
    _own_text,
    _parse_date,
    _signed,
    _text,
)

_NOT_BOOKED = {"PDNG", "INFO"}  # pending or informational entries are not on the account yet


# --- statement header -------------------------------------------------------------


class _Balance(NamedTuple):
    amount: Decimal | None  # signed
    day: date | None


def _statement(stmt: etree._Element, file: str, where: str) -> Statement:
    opening = _balance(stmt, ("OPBD", "PRCD"), file, where)
    closing = _balance(stmt, ("CLBD",), file, where)
    return Statement(
        file=file,
        account=_account(stmt, file, where),
        statement_id=_text(stmt, "Id"),
        opening_balance=opening.amount,
        closing_balance=closing.amount,
        opening_date=opening.day,
        closing_date=closing.day,
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


def _balance(stmt: etree._Element, codes: tuple[str, ...], file: str, where: str) -> _Balance:
    """The first balance of the first code present (OPBD before PRCD), signed; or Nones."""
    balances = _children(stmt, "Bal")
    for code in codes:
        bal = next((b for b in balances if _text(b, "Tp", "CdOrPrtry", "Cd") == code), None)
        if bal is not None:
            return _balance_value(bal, f"{code} balance", file, where)
    return _Balance(None, None)


def _balance_value(bal: etree._Element, what: str, file: str, where: str) -> _Balance:
    amount, indicator = _text(bal, "Amt"), _text(bal, "CdtDbtInd")
    if amount is None or indicator is None:
        raise StatementError(file, where, f"{what} has no amount or no credit/debit indicator")
    signed = _signed(amount, indicator, what, file, where)
    return _Balance(signed, _date_of(_child(bal, "Dt"), what, file, where))


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

