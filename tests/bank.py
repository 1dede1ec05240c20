"""A bank, for tests: it keeps a managed account's balance its own way, executes the
pain.001 files the engine writes, and writes camt.053 statements of what it booked.

It shares no code with the engine: it reads the payment files with lxml as any bank's
parser would, and writes its statements by hand. The balance check is then held
against money the engine's books did not compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from lxml import etree

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


@dataclass(frozen=True)
class Entry:
    day: date
    amount: Decimal  # signed: a debit is negative
    iban: str | None = None
    name: str | None = None
    description: str = ""
    end_to_end_id: str | None = None


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    creditor_iban: str
    creditor_name: str
    execution_date: date


class Bank:
    def __init__(self, account: str, opening: Decimal, first_day: date) -> None:
        self.account = account
        self.balance = opening
        self.entries: list[Entry] = []
        self.stated_through = first_day - timedelta(days=1)  # the last statement's closing day
        self.stated_balance = opening
        self.queued: list[Transfer] = []
        self.executed: dict[str, Transfer] = {}
        self.returned: set[str] = set()
        self.messages: set[str] = set()
        self.statements = 0

    # -- money in and out --------------------------------------------------------

    def book(self, entry: Entry) -> None:
        assert entry.day > self.stated_through, "a bank books nothing into a statement it has sent"
        self.entries.append(entry)
        self.balance += entry.amount

    def accept(self, content: bytes) -> int:
        """Take a pain.001 file: its transfers wait for their execution date. A message
        id the bank has seen is refused, as real banks do; returns the transfers taken."""
        root = etree.fromstring(content)
        message_id = _text(root, ".//{*}GrpHdr/{*}MsgId")
        if message_id in self.messages:
            return 0
        self.messages.add(message_id)
        taken = 0
        for block in root.iterfind(".//{*}PmtInf"):
            day = date.fromisoformat(_text(block, "{*}ReqdExctnDt/{*}Dt", _text(block, "{*}ReqdExctnDt", "")))
            for tx in block.iterfind("{*}CdtTrfTxInf"):
                self.queued.append(Transfer(
                    end_to_end_id=_text(tx, "{*}PmtId/{*}EndToEndId"),
                    amount=Decimal(_text(tx, "{*}Amt/{*}InstdAmt")),
                    creditor_iban=_text(tx, "{*}CdtrAcct/{*}Id/{*}IBAN"),
                    creditor_name=_text(tx, "{*}Cdtr/{*}Nm", ""),
                    execution_date=day))
                taken += 1
        return taken

    def execute(self, day: date) -> None:
        """Every transfer due on or before `day` leaves the account on `day` at the latest."""
        due = [t for t in self.queued if t.execution_date <= day]
        self.queued = [t for t in self.queued if t.execution_date > day]
        for transfer in due:
            booked = max(transfer.execution_date, self.stated_through + timedelta(days=1))
            self.executed[transfer.end_to_end_id] = transfer
            self.book(Entry(booked, -transfer.amount, transfer.creditor_iban, transfer.creditor_name,
                            "betaling", transfer.end_to_end_id))

    def return_transfer(self, end_to_end_id: str, day: date, fee: Decimal = Decimal("0.00")) -> bool:
        transfer = self.executed.get(end_to_end_id)
        if transfer is None or end_to_end_id in self.returned or fee >= transfer.amount:
            return False
        self.returned.add(end_to_end_id)
        self.book(Entry(day, transfer.amount - fee, transfer.creditor_iban, transfer.creditor_name,
                        "retour: rekening opgeheven", end_to_end_id))
        return True

    # -- statements ----------------------------------------------------------------

    def statement(self, through: date) -> bytes:
        """A camt.053 of everything booked since the last statement, through `through`."""
        first = self.stated_through + timedelta(days=1)
        entries = sorted((e for e in self.entries if first <= e.day <= through), key=lambda e: e.day)
        opening = self.stated_balance
        closing = opening + sum((e.amount for e in entries), Decimal("0.00"))
        self.statements += 1
        self.stated_through, self.stated_balance = through, closing
        body = "".join(_entry(e, n) for n, e in enumerate(entries, start=1))
        ident = f"SIM-{through:%Y%m%d}-{self.statements}"
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{CAMT}"><BkToCstmrStmt>'
            f"<GrpHdr><MsgId>M-{ident}</MsgId><CreDtTm>{through}T21:00:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>{ident}</Id><CreDtTm>{through}T21:00:00</CreDtTm>"
            f"<Acct><Id><IBAN>{self.account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
            f"{_balance('OPBD', opening, first)}{_balance('CLBD', closing, through)}{body}"
            f"</Stmt></BkToCstmrStmt></Document>"
        ).encode()


def _text(node: etree._Element, path: str, default: str | None = None) -> str:
    found = node.find(path)
    if found is None or found.text is None:
        if default is None:
            raise AssertionError(f"the payment file has no {path}")
        return default
    return found.text.strip()


def _balance(code: str, amount: Decimal, day: date) -> str:
    sign = "CRDT" if amount >= 0 else "DBIT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{abs(amount):.2f}</Amt>"
            f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")


def _entry(e: Entry, number: int) -> str:
    credit = e.amount > 0
    party = "Dbtr" if credit else "Cdtr"
    related = ""
    if e.iban:
        related = (f"<RltdPties><{party}><Nm>{escape(e.name or '')}</Nm></{party}>"
                   f"<{party}Acct><Id><IBAN>{e.iban}</IBAN></Id></{party}Acct></RltdPties>")
    refs = f"<Refs><EndToEndId>{e.end_to_end_id}</EndToEndId></Refs>" if e.end_to_end_id else ""
    return (f"<Ntry><Amt Ccy=\"EUR\">{abs(e.amount):.2f}</Amt><CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>{e.day}</Dt></BookgDt><ValDt><Dt>{e.day}</Dt></ValDt>"
            f"<AcctSvcrRef>SIM{number:06d}</AcctSvcrRef><NtryDtls><TxDtls>{refs}{related}"
            f"<RmtInf><Ustrd>{escape(e.description)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")
