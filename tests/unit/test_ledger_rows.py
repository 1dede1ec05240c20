"""A ledger keeps each transaction as a plain JSON list; `LedgerRow` names its places."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huishoudboekje.domain.ledger import COLUMN, UNMATCHED, Ledger, LedgerRow, Recorded, row_of, to_row
from huishoudboekje.domain.statement import BankTransaction

RENT = BankTransaction("NL91ABNA0417164300", date(2026, 11, 3), date(2026, 11, 4), Decimal("-612.40"),
                       "NL44RABO0123456789", "Woonstad", "Huur november", "E2E-1", "BANK-7", "entry 2")


def test_a_row_holds_each_field_at_the_place_ledger_row_names():
    row = row_of("T1", RENT, UNMATCHED, "D-1", "huur", "no match", ["D-1/huur"], "I-9")
    named = LedgerRow(*row)._asdict()
    assert named == {
        "id": "T1", "account": "NL91ABNA0417164300", "booking_date": "2026-11-03", "value_date": "2026-11-04",
        "amount": "-612.40", "counterparty_iban": "NL44RABO0123456789", "counterparty_name": "Woonstad",
        "description": "Huur november", "end_to_end_id": "E2E-1", "bank_reference": "BANK-7", "where": "entry 2",
        "outcome": UNMATCHED, "dossier": "D-1", "agreement_id": "huur", "reason": "no match",
        "candidates": ["D-1/huur"], "import_id": "I-9",
    }
    assert all(row[getattr(COLUMN, name)] == value for name, value in named.items())
    assert type(row) is list  # stored as a JSON list, as stores written before keep it


def test_a_resolved_transaction_keeps_its_bank_fields_and_its_reason_unless_given_a_new_one():
    ledger = Ledger(account=RENT.account, month="2026-11")
    ledger.record(import_id="I-9", files=["nov.xml"], allow_unbalanced=False, actor="test",
                  rows=[row_of("T1", RENT, UNMATCHED, reason="no agreement for this IBAN")])
    assert [r.id for r in ledger.unmatched()] == ["T1"]

    ledger.resolve("T1", "ignored", None, None, actor="staff")
    assert ledger.get("T1") == Recorded("T1", RENT, "ignored", reason="no agreement for this IBAN", import_id="I-9")
    assert ledger.unmatched() == []
    ledger.resolve("T1", "booked", "D-1", "huur", actor="staff", reason="by hand")
    assert ledger.get("T1") == Recorded("T1", RENT, "booked", "D-1", "huur", "by hand", import_id="I-9")
    assert type(ledger.rows["T1"]) is list
    assert to_row(ledger.get("T1")) == ledger.rows["T1"]
