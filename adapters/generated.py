"""Generated bank statements (camt.053, MT940) for the demo, the tests and the benchmarks."""

from __future__ import annotations

import random
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


def camt053(txs: list[Tx], *, account: str = MANAGED, opening: str = "25000.00",
            closing: str | None = None, version: str = "02", statement_id: str = "S1") -> bytes:
    """A camt.053 document whose balances add up unless `closing` says otherwise. The account
    opens with the municipality's buffer money in it, as a managed account does."""
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


def mt940(txs: list[Tx], *, account: str = MANAGED, opening: str = "25000.00",
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


# -- the benchmarks' volume (tests/integration/test_volume_postgres.py, bench/bench_postgres.py) ----------

_GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
_TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
_INCOMES = [  # id, payer, day in November, terms besides the dossier number
    ("bijstand", _GEMEENTE, "last-business-day", ()),
    ("zorgtoeslag", _TOESLAGEN, 20, ("zorgtoeslag",)),
    ("huurtoeslag", _TOESLAGEN, 20, ("huurtoeslag",)),
    ("kgb", _TOESLAGEN, 20, ("kindgebonden",)),
]


def ibans(bank: str, count: int, offset: int) -> list[str]:
    """`count` valid NL IBANs at `bank` (RABO, ASNB, ...), deterministic."""
    from schwifty import IBAN

    return [str(IBAN.generate("NL", bank_code=bank, account_code=f"{offset + n:010d}")) for n in range(count)]


def _amount(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}"


def volume_documents(rng: random.Random, households: int) -> list[dict]:
    """Onboarding documents (as loaded YAML) of households with four incomes and two
    charges, starting on 16 November 2026 with pay day 1: the benchmarks' households."""
    participants = ibans("ASNB", households, 0)
    docs = []
    for n in range(households):
        d = f"HHB-2026-{n:05d}"  # fixed width: no dossier is a substring of another
        incomes = []
        for ident, (iban, name), day, terms in _INCOMES:
            incomes.append({
                "id": ident, "category": "bijstand" if ident == "bijstand" else "toeslag",
                "counterparty": {"name": name, "iban": iban}, "amount": _amount(rng, 80, 1400),
                "schedule": {"every": "month", "day": day}, "tolerance": {"days": 3, "amount": "25.00"},
                "match": {"terms": [d, *terms]}})
        docs.append({
            "dossier": d, "team": "Wijkteam Noord", "start": "2026-11-16", "pay_day": 1,
            "buffer_limit": "1500.00", "minimum_leefgeld": "250.00",
            "participants": [{"name": f"Deelnemer {n}", "iban": participants[n]}],
            "incomes": incomes,
            "charges": [
                {"id": "huur", "category": "huur",
                 "counterparty": {"name": "Woningcorporatie Portaal", "iban": "NL20INGB0001234567"},
                 "amount": _amount(rng, 450, 800), "schedule": {"every": "month", "day": 1},
                 "reference": f"{5012345678900000 + n:016d}"},
                {"id": "energie", "category": "energie",
                 "counterparty": {"name": "Eneco", "iban": "NL44RABO0123456789"},
                 "amount": _amount(rng, 60, 160), "schedule": {"every": "month", "day": 1}},
            ]})
    return docs


def onboard_volume(url: str, docs: list[dict], var_dir, actor: str) -> None:
    """Onboard `volume_documents` into the store at `url`, 500 a call, their team first."""
    from adapters.store import open_engine
    from huishoudboekje import teams
    from huishoudboekje.households import onboard
    from huishoudboekje.onboarding import parse_document

    engine = open_engine(url, var_dir)
    try:
        teams.add(engine, "Wijkteam Noord", actor)
        for start in range(0, len(docs), 500):
            specs = [(f"{d['dossier']}.yaml", parse_document(d, f"{d['dossier']}.yaml"))
                     for d in docs[start:start + 500]]
            onboard(engine, specs, actor=actor, managed=[MANAGED])
    finally:
        engine.close()


def volume_statement(docs: list[dict], rng: random.Random) -> bytes:
    """A camt.053 of five credits a household: its four November incomes (5% cut by a
    recovery) and one from a stranger that cannot match."""
    from huishoudboekje.domain.calendar import last_business_day

    strangers = ibans("RABO", 50, 7_000_000)
    txs = []
    for n, doc in enumerate(docs):
        for income in doc["incomes"]:
            day = income["schedule"]["day"]
            when = last_business_day(2026, 11) if day == "last-business-day" else date(2026, 11, day)
            amount = income["amount"]
            if rng.random() < 0.05:  # cut by a recovery: booked, flagged as deviating
                amount = str(Decimal(amount) - rng.randint(30, 70))
            terms = " ".join(income["match"]["terms"][1:])
            payer = income["counterparty"]
            txs.append(Tx(amount, when, payer["iban"], payer["name"],
                          f"{income['id'].title()} 11-2026 {doc['dossier']} {terms}".strip()))
        txs.append(Tx(_amount(rng, 5, 400), date(2026, 11, rng.randint(16, 30)), strangers[n % 50],
                      "J. Jansen", f"Terugbetaling {n}"))
    txs.sort(key=lambda t: t.day)
    return camt053(txs, account=MANAGED, statement_id=f"VOL{len(txs)}")
