"""The daily balance check held against a bank the engine does not control (issue 20).

A separate bank simulator (tests/bank.py) executes the pain.001 files the engine writes
and writes the statements; over random histories of incomes (late, short, missing),
returns, the municipality's funding, bank costs and debits nobody books, the engine's
balance per account equals the bank's closing balance at every statement, with what
nobody booked yet shown as open items, never as a difference.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import bootstrap
from adapters.camt053 import parse_camt053
from adapters.demo import register_teams
from adapters.documents import read_specs
from huishoudboekje.config import Settings
from huishoudboekje.domain.agreement import INCOME
from huishoudboekje.domain.errors import DomainError
from huishoudboekje.treasury import mark_municipal
from tests.bank import Bank, Entry

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "NL39BNGH0285009999"
FUNDING = "NL91ABNA0417164300"
FIRST, LAST = date(2026, 11, 1), date(2027, 1, 6)

events = st.lists(st.tuples(
    st.integers(0, (LAST - FIRST).days),
    st.sampled_from(["funding", "bank-cost", "municipal-cost", "stray-debit", "return", "stray-credit", "hold"]),
    st.integers(1, 20_000)), max_size=8)
income_changes = st.dictionaries(st.integers(0, 40), st.sampled_from(["missing", "late", "short"]), max_size=6)


def _services(tmp: Path):
    config = Settings(var_dir=tmp / "var", database_url=f"sqlite:///{tmp / 'events.sqlite'}",
                      managed_accounts=[ACCOUNT], funding_accounts=[FUNDING])
    services = bootstrap(settings=config)
    specs = read_specs(sorted((ROOT / "personas").glob("*.yaml")))
    register_teams(services.engine, sorted({spec.team for _, spec in specs}))
    services.onboard(specs, "coach")
    return services


def _incomes(services, changes: dict[int, str]) -> dict[date, list[Entry]]:
    """What the personas' payers pay, day by day, with some late, short or missing."""
    due: dict[date, list[Entry]] = {}
    number = 0
    for _, dossier in sorted(services.engine.household_ids(), key=lambda pair: pair[1]):
        household = services.engine.household(dossier)
        for agreement in household.agreements.values():
            if agreement.kind != INCOME:
                continue
            for day in agreement.schedule.occurrences(FIRST, LAST):
                change = changes.get(number)
                number += 1
                amount = agreement.amount_on(day).amount
                if change == "missing":
                    continue
                if change == "late":
                    day += timedelta(days=3)
                if change == "short":
                    amount -= Decimal("1.00")
                text = f"{' '.join(agreement.match_terms)} {day:%m-%Y}"
                due.setdefault(day, []).append(Entry(day, amount, agreement.counterparty.iban,
                                                     agreement.counterparty.name, text))
    return due


def _event(bank: Bank, day: date, kind: str, cents: int) -> str | None:
    """One random happening at the bank; returns a description staff will recognise."""
    amount = Decimal(cents) / 100
    if kind == "funding":
        bank.book(Entry(day, amount, FUNDING, "Gemeente, eigen rekening", "aanvulling buffer"))
    elif kind in ("bank-cost", "municipal-cost"):
        bank.book(Entry(day, -(amount % 50 + Decimal("0.05")), None, None, f"Kosten {kind} {cents}"))
        return f"Kosten {kind} {cents}" if kind == "municipal-cost" else None
    elif kind == "stray-debit":
        bank.book(Entry(day, -amount, "NL02ABNA0123456789", "Onbekend", "incasso"))
    elif kind == "stray-credit":
        bank.book(Entry(day, amount, "NL02ABNA0123456789", "Onbekend", "storting"))
    elif kind == "return" and bank.executed:
        candidates = sorted(set(bank.executed) - bank.returned)
        if candidates:
            bank.return_transfer(candidates[cents % len(candidates)], day, Decimal(cents % 3))
    return None


def _send_new_files(services, bank: Bank, sent: set[str], day: date | None = None, hold: bool = False) -> None:
    """Finance releases what the night wrote (four eyes: not the job), or holds it for a
    day; the bank collects only what reached the outbox. A file the account cannot cover
    yet waits."""
    services.catch_up()
    for row in services.payment_files(("pending", "held")):
        try:
            if hold and row["state"] == "pending":
                services.hold_payment_file(row["name"], "finance:f.inance", "eerst navragen", day)
            else:
                services.release_payment_file(row["name"], "finance:f.inance", day)
        except DomainError:
            continue
    for path in sorted(services.settings.outbox.glob("*.xml")):
        if path.name not in sent:
            sent.add(path.name)
            bank.accept(path.read_bytes())


def _check(services, day: date) -> None:
    report = services.balance(on=day)
    assert [a["account"] for a in report["accounts"]] == [ACCOUNT]
    for account in report["accounts"]:
        assert account["difference"] == "0.00", account
        assert account["date"] == day.isoformat()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(events, income_changes)
def test_the_engines_balance_equals_the_banks_at_every_statement(tmp_path_factory, happenings, changes):
    tmp = tmp_path_factory.mktemp("bank")
    services = _services(tmp)
    try:
        bank = Bank(ACCOUNT, Decimal("25000.00"), FIRST)
        incomes = _incomes(services, changes)
        by_day: dict[int, list[tuple[str, int]]] = {}
        for offset, kind, cents in happenings:
            by_day.setdefault(offset, []).append((kind, cents))
        sent: set[str] = set()
        ours: list[str] = []
        day = FIRST
        while day <= LAST:
            if day > FIRST:  # the morning: yesterday's statement, staff mark what is the municipality's
                yesterday = day - timedelta(days=1)
                statement = bank.statement(yesterday)
                services.import_statements(parse_camt053(statement, f"{yesterday}.xml"), "import")
                for queued in services.unmatched():
                    if queued["description"] in ours:
                        mark_municipal(services.engine, queued["transaction"], "finance", "bankkosten gemeente")
                _check(services, yesterday)
            services.pay(day, today=day)  # the night's job
            held = any(kind == "hold" for kind, _ in by_day.get((day - FIRST).days, []))
            _send_new_files(services, bank, sent, day, hold=held)
            for entry in incomes.get(day, []):
                bank.book(entry)
            for kind, cents in by_day.get((day - FIRST).days, []):
                marked = _event(bank, day, kind, cents)
                if marked:
                    ours.append(marked)
            bank.execute(day)
            day += timedelta(days=1)
        assert bank.executed, "the engine paid nothing: the history tested nothing"
    finally:
        services.engine.close()
