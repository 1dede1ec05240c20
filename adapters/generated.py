"""Generated bank statements (camt.053, MT940) for the demo, the tests and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

MANAGED = "NL39BNGH0285009999"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"


@dataclass(frozen=True)
class Tx:
    amount: str  # signed: "-712.40" is a debit
    day: date
    counterparty_iban: str | None = None
    counterparty_name: str | None = None
    description: str = ""
    end_to_end_id: str | None = None
    value_day: date | None = None


def camt053(txs: list[Tx], *, account: str = MANAGED, opening: str = "1000.00",
            closing: str | None = None, version: str = "02", statement_id: str = "S1") -> bytes:
    """A camt.053 document whose balances add up unless `closing` says otherwise."""
    moved = sum((Decimal(t.amount) for t in txs), Decimal("0.00"))
    close = Decimal(closing) if closing is not None else Decimal(opening) + moved
    first = min((t.day for t in txs), default=date(2026, 11, 1))
    last = max((t.day for t in txs), default=first)
    entries = "".join(_entry(t, i, version) for i, t in enumerate(txs, start=1))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS.format(version=version)}">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>M-{statement_id}</MsgId><CreDtTm>{last}T20:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>{last}T20:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f"{_balance('OPBD', Decimal(opening), first)}{_balance('CLBD', close, last)}"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _balance(code: str, amount: Decimal, day: date) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")


def _entry(t: Tx, number: int, version: str) -> str:
    amount = Decimal(t.amount)
    credit = amount > 0
    indicator = "CRDT" if credit else "DBIT"
    party = "Dbtr" if credit else "Cdtr"
    name = escape(t.counterparty_name or "")
    named = f"<Pty><Nm>{name}</Nm></Pty>" if version == "08" else f"<Nm>{name}</Nm>"
    related = ""
    if t.counterparty_iban:
        related = (f"<RltdPties><{party}>{named}</{party}>"
                   f"<{party}Acct><Id><IBAN>{t.counterparty_iban}</IBAN></Id></{party}Acct></RltdPties>")
    refs = f"<Refs><EndToEndId>{t.end_to_end_id}</EndToEndId></Refs>" if t.end_to_end_id else ""
    value = (t.value_day or t.day).isoformat()
    return (
        f'<Ntry><Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{t.day.isoformat()}</Dt></BookgDt><ValDt><Dt>{value}</Dt></ValDt>"
        f"<AcctSvcrRef>REF{number:06d}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls>{refs}{related}<RmtInf><Ustrd>{escape(t.description)}</Ustrd></RmtInf>"
        f"</TxDtls></NtryDtls></Ntry>"
    )


def mt940(txs: list[Tx], *, account: str = MANAGED, opening: str = "1000.00",
          closing: str | None = None, statement_id: str = "1") -> bytes:
    """A structured (MT940S) statement in the Dutch style."""
    moved = sum((Decimal(t.amount) for t in txs), Decimal("0.00"))
    close = Decimal(closing) if closing is not None else Decimal(opening) + moved
    first = min((t.day for t in txs), default=date(2026, 11, 1))
    last = max((t.day for t in txs), default=first)
    lines = [":20:HHBTEST", f":25:{account}EUR", f":28C:{statement_id}",
             f":60F:{_mt_balance(Decimal(opening), first)}"]
    for t in txs:
        amount = Decimal(t.amount)
        mark = "C" if amount > 0 else "D"
        value = t.value_day or t.day
        lines.append(f":61:{value:%y%m%d}{t.day:%m%d}{mark}{str(abs(amount)).replace('.', ',')}NTRFNONREF//B{t.day:%m%d}")
        fields = "/TRTP/SEPA OVERBOEKING"
        if t.counterparty_iban:
            fields += f"/IBAN/{t.counterparty_iban}/BIC/INGBNL2A/NAME/{t.counterparty_name or ''}"
        fields += f"/REMI/{t.description}"
        if t.end_to_end_id:
            fields += f"/EREF/{t.end_to_end_id}"
        chunks = [fields[i:i + 65] for i in range(0, len(fields), 65)]
        lines.append(":86:" + chunks[0])
        lines.extend(chunks[1:])
    lines.append(f":62F:{_mt_balance(close, last)}")
    return ("\r\n".join(lines) + "\r\n-").encode("latin-1")


def _mt_balance(amount: Decimal, day: date) -> str:
    mark = "C" if amount >= 0 else "D"
    return f"{mark}{day:%y%m%d}EUR{str(abs(amount)).replace('.', ',')}"
