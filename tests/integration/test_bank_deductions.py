"""Deductions held against a bank the engine does not control (issue 20).

The bank simulator of `tests/bank.py` executes the engine's payment files and writes
the statements, as in `test_bank_balance.py`; here the bank also books debits someone
else made: the tax office's set-off of a persona's zorgtoeslag (the import books it by
itself), a bailiff's garnishment and bank costs (staff book them onto a household the
next morning), and now and then staff undo one and mark it the municipality's own cost.
At every statement the engine's balance equals the bank's to the cent, and nothing that
was booked is left as an open item.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.camt053 import parse_camt053
from huishoudboekje import deductions, statements
from huishoudboekje.treasury import mark_municipal
from tests.bank import Bank, Entry
from tests.integration.test_bank_balance import FIRST, LAST, _check, _incomes, _send_new_files, _services

TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
BAILIFF = ("NL02ABNA0123456789", "Deurwaarderskantoor Janssen")
# Persona 1 and 2's zorgtoeslag, by the words the tax office's set-off names them with.
CLAWBACKS = (("HHB-DEMO-0001", "Verrekening zorgtoeslag 2025 el Amrani"),
             ("HHB-DEMO-0002", "Verrekening zorgtoeslag 2025 Jansen"))
DOSSIERS = ("HHB-DEMO-0001", "HHB-DEMO-0002", "HHB-DEMO-0003")

happenings = st.lists(st.tuples(
    st.integers(0, (LAST - FIRST).days),
    st.sampled_from(["clawback", "garnishment", "bank-cost", "undo"]),
    st.integers(1, 40_000)), min_size=1, max_size=8)
income_changes = st.dictionaries(st.integers(0, 40), st.sampled_from(["missing", "late", "short"]), max_size=4)


def _debit(bank: Bank, day: date, kind: str, cents: int, serial: int) -> tuple[str, str, str] | None:
    """One debit someone else makes; returns (description, dossier, kind) for staff to book."""
    amount = Decimal(cents) / 100
    dossier = DOSSIERS[cents % len(DOSSIERS)]
    if kind == "clawback":
        _, text = CLAWBACKS[cents % len(CLAWBACKS)]
        bank.book(Entry(day, -amount, *TOESLAGEN, f"{text} {serial}"))
    elif kind == "garnishment":
        text = f"Beslag {dossier} {serial}"
        bank.book(Entry(day, -amount, *BAILIFF, text))
        return text, dossier, "beslag"
    elif kind == "bank-cost":
        text = f"Kosten betalingsverkeer {serial}"
        bank.book(Entry(day, -(amount % 20 + Decimal("0.05")), None, None, text))
        return text, dossier, "bankkosten"
    return None


def _morning(services, to_book: dict[str, tuple[str, str]], undo: bool) -> None:
    """Staff book yesterday's debits onto their households; with `undo`, they take the
    oldest deduction back and mark it the municipality's own cost."""
    engine = services.engine
    for queued in services.unmatched():
        wanted = to_book.pop(queued["description"], None)
        if wanted is not None:
            deductions.book(engine, queued["transaction"], wanted[0], wanted[1], None, "coach")
    if undo:
        booked = sorted((r.transaction.booking_date, r.id) for ledger in statements.ledgers(engine)
                        for r in ledger.recorded() if r.outcome == "deduction")
        if booked:
            ident = booked[0][1]
            statements.undo(engine, ident, "coach", "niet van dit huishouden", on=booked[0][0])
            mark_municipal(engine, ident, "finance", "kosten van de gemeente")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(happenings, income_changes)
def test_deductions_keep_the_engines_balance_equal_to_the_banks_at_every_statement(tmp_path_factory, events,
                                                                                    changes):
    tmp = tmp_path_factory.mktemp("bank")
    services = _services(tmp)
    try:
        bank = Bank("NL39BNGH0285009999", Decimal("25000.00"), FIRST)
        incomes = _incomes(services, changes)
        by_day: dict[int, list[tuple[str, int]]] = {}
        for offset, kind, cents in events:
            by_day.setdefault(offset, []).append((kind, cents))
        sent: set[str] = set()
        to_book: dict[str, tuple[str, str]] = {}
        undo_next = False
        serial = made = 0
        day = FIRST
        while day <= LAST:
            if day > FIRST:  # the morning: yesterday's statement, then staff book what waits for them
                yesterday = day - timedelta(days=1)
                services.import_statements(parse_camt053(bank.statement(yesterday), f"{yesterday}.xml"), "import")
                _morning(services, to_book, undo_next)
                undo_next = False
                _check(services, yesterday)
                report = services.balance(on=yesterday)
                assert not [item for account in report["accounts"] for item in account["open_items"]
                            if item["description"] in to_book or item["amount"].startswith("-")
                            and item["description"].startswith(("Verrekening", "Beslag", "Kosten"))]
            services.pay(day, today=day)  # the night's job
            _send_new_files(services, bank, sent, day)
            for entry in incomes.get(day, []):
                bank.book(entry)
            for kind, cents in by_day.get((day - FIRST).days, []):
                serial += 1
                if kind == "undo":
                    undo_next = True
                    continue
                waiting = _debit(bank, day, kind, cents, serial)
                made += day < LAST  # the last day's statement is never imported
                if waiting is not None:
                    to_book[waiting[0]] = waiting[1:]
            bank.execute(day)
            day += timedelta(days=1)
        assert bank.executed, "the engine paid nothing: the history tested nothing"
        outcomes = [r.outcome for ledger in statements.ledgers(services.engine) for r in ledger.recorded()
                    if r.transaction.amount < 0 and not r.transaction.end_to_end_id]
        # Every debit someone else made was booked as a deduction, or undone and marked the municipality's.
        assert sorted(outcomes) == sorted(o for o in outcomes if o in ("deduction", "cost")) and len(outcomes) == made
    finally:
        services.engine.close()
