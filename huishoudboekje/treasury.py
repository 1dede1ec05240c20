"""The municipality's side of the managed accounts: its own money, the daily balance
check (kasaansluiting) and the month's journal for the accountant.

The check itself is pure (`domain/treasury.py`); this module gathers its terms from the
households, the ledgers and the account books, and marks transactions as the
municipality's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .domain.errors import DomainError, HouseholdError
from .domain.household import Household, Instruction
from .domain.ledger import COLUMN, COST, FUNDING, IGNORED, UNMATCHED, LedgerRow, Recorded
from .domain.money import Money
from .domain.treasury import AccountBook, BalanceCheck, StatementBalance, account_book_id
from .engine import Engine
from . import controls, maatwerk
from .statements import find_transaction, ledgers

# Outcomes that are the municipality's or nobody's: they change no household's books.
_NOT_HOUSEHOLDS = {UNMATCHED, FUNDING, COST, IGNORED}


@dataclass
class _Holdings:
    """What the households of one account hold, owe and have on its way."""

    held: Money = Money.zero()
    outstanding: Money = Money.zero()
    claims: Money = Money.zero()
    in_flight: Money = Money.zero()
    maatwerk: Money = Money.zero()  # signed: maatwerk paid out of the account, less in flight, plus returned


@dataclass
class BalanceReport:
    """Every account's check, and the buffers' exposure against its ceiling."""

    checks: list[BalanceCheck] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # accounts without any statement yet
    buffer_exposure: Money = Money.zero()
    buffer_ceiling: Money | None = None

    @property
    def in_order(self) -> bool:
        return not self.missing and all(check.in_order for check in self.checks)

    @property
    def unexplained(self) -> list[BalanceCheck]:
        return [check for check in self.checks if check.difference]

    def as_dict(self) -> dict[str, Any]:
        return {
            "in_order": self.in_order,
            "accounts": [check.as_dict() for check in self.checks],
            "without_statement": list(self.missing),
            "buffer": {
                "exposure": str(self.buffer_exposure),
                "ceiling": None if self.buffer_ceiling is None else str(self.buffer_ceiling),
                "near_ceiling": self.near_ceiling,
            },
        }

    @property
    def near_ceiling(self) -> bool:
        """Within a tenth of the ceiling, or over it: the team lead should look now."""
        if self.buffer_ceiling is None:
            return False
        return self.buffer_exposure.cents * 10 >= self.buffer_ceiling.cents * 9


def _holdings(engine: Engine, default_account: str) -> dict[str, _Holdings]:
    holdings: dict[str, _Holdings] = defaultdict(_Holdings)
    for hid, _ in engine.household_ids():
        household = engine.household_by_id(hid)
        mine = holdings[household.account or default_account]
        mine.held = mine.held + household.held()
        mine.outstanding = mine.outstanding + household.buffer_outstanding
        mine.claims = mine.claims + household.claim
        for instruction in _scheduled(household):
            mine.in_flight = mine.in_flight + instruction.amount
    for case in maatwerk.cases(engine):
        if case.file is None or case.instruction is None:
            continue
        mine = holdings[case.file.debtor_account]
        still_here = case.instruction.amount if case.instruction.status == "scheduled" else Money.zero()
        mine.maatwerk = mine.maatwerk - case.instruction.amount + still_here + case.returned
    return holdings


def _scheduled(household: Household) -> Iterator[Instruction]:
    """The household's payments neither seen executed nor returned: still in the account."""
    for key in household.instructions:
        instruction = household.instructions[key]
        if instruction.status == "scheduled":
            yield instruction


def _rows_by_account(engine: Engine) -> dict[str, list[list[Any]]]:
    rows: dict[str, list[list[Any]]] = defaultdict(list)
    for ledger in ledgers(engine):
        rows[ledger.account].extend(ledger.rows.values())
    return rows


def check_account(account: str, statement: StatementBalance, opening: StatementBalance,
                  holdings: _Holdings, rows: list[list[Any]]) -> BalanceCheck:
    """The check of one account on one statement's closing date (see `domain/treasury.py`)."""
    closing = statement.closing_date.isoformat() if statement.closing_date else "9999-12-31"
    check = BalanceCheck(account=account, statement=statement, opening=Money(opening.opening_balance),
                         households=holdings.held, buffer_outstanding=holdings.outstanding,
                         claims=holdings.claims, in_flight=holdings.in_flight, maatwerk=holdings.maatwerk)
    for row in rows:
        outcome, amount = row[COLUMN.outcome], Money(row[COLUMN.amount])
        if row[COLUMN.booking_date] > closing:
            if outcome not in _NOT_HOUSEHOLDS:
                check.after_statement = check.after_statement + amount
            continue
        if outcome == FUNDING:
            check.funding = check.funding + amount
        elif outcome == COST:
            check.own_costs = check.own_costs + amount
        elif outcome == IGNORED:
            check.not_ours = check.not_ours + amount
        elif outcome == UNMATCHED:
            check.open_items.append(_open_item(row))
    check.open_items.sort(key=lambda item: (item["booking_date"], item["transaction"]))
    return check


def _open_item(row: list[Any]) -> dict[str, Any]:
    r = LedgerRow(*row)
    return {"transaction": r.id, "booking_date": r.booking_date, "amount": str(Money(r.amount)),
            "counterparty": r.counterparty_name, "description": r.description, "reason": r.reason}


def balance(engine: Engine, *, managed: list[str], default_account: str, account: str | None = None,
            on: date | None = None, buffer_ceiling: Money | None = None) -> BalanceReport:
    """Each managed account (or `account`) checked on its last statement closing on or
    before `on` (default: its last statement)."""
    if account is not None and account not in managed:
        raise DomainError(f"account {account} is not managed by this engine (HHB_MANAGED_ACCOUNTS)",
                          field="account")
    holdings = _holdings(engine, default_account)
    rows = _rows_by_account(engine)
    report = BalanceReport(buffer_ceiling=buffer_ceiling,
                           buffer_exposure=sum((h.outstanding for h in holdings.values()), Money.zero()))
    for iban in [account] if account else managed:
        book: AccountBook | None = engine.get_or_none(account_book_id(iban))
        statement = book.latest(on) if book else None
        opening = book.opening if book else None
        if statement is None or opening is None:
            report.missing.append(iban)
            continue
        report.checks.append(check_account(iban, statement, opening, holdings.get(iban, _Holdings()),
                                           rows.get(iban, [])))
    return report


def available(engine: Engine, account: str, default_account: str,
              unreleased: Callable[[Iterable[str]], set[str]]) -> Money | None:
    """What `account` holds for a payment file about to be released: the bank's closing
    balance of its last statement, less what is already on its way — payments in files
    released to the bank and not yet seen executed (`unreleased` tells the instructions
    of files still pending or held). None without a statement: not known."""
    book: AccountBook | None = engine.get_or_none(account_book_id(account))
    statement = book.latest() if book else None
    if statement is None or statement.closing_balance is None:
        return None
    scheduled: dict[str, Money] = {}
    for hid, _ in engine.household_ids():
        household = engine.household_by_id(hid)
        if (household.account or default_account) == account:
            scheduled.update((i.id, i.amount) for i in _scheduled(household))
    for case in maatwerk.cases(engine):
        instruction = case.instruction
        if case.file is not None and case.file.debtor_account == account and instruction is not None \
                and instruction.status == "scheduled":
            scheduled[instruction.id] = instruction.amount
    waiting = unreleased(scheduled)  # one look at the read model for them all
    on_its_way = sum((amount for ident, amount in scheduled.items() if ident not in waiting), Money.zero())
    return Money(statement.closing_balance) - on_its_way


BALANCE_DIFFERENCE = "balance-difference"
BUFFER_CEILING = "buffer-ceiling-near"


def raise_signals(engine: Engine, report: BalanceReport, on: date) -> list[str]:
    """The team lead hears of every unexplained difference (critical: the books and the
    bank disagree and nothing may absorb it) and of the buffers nearing their ceiling.
    Once per account and statement date, and once per month for the ceiling."""
    raised = []
    for check in report.unexplained:
        day = check.statement.closing_date.isoformat() if check.statement.closing_date else "unknown"
        key = f"{BALANCE_DIFFERENCE}:{check.account}:{day}"
        if controls.raise_signal(engine, BALANCE_DIFFERENCE, key, "critical", {
                "account": check.account, "date": day, "amount": str(abs(check.difference)),
                "difference": str(check.difference), "bank": str(check.bank), "books": str(check.engine)}, on):
            raised.append(key)
    if report.near_ceiling and report.buffer_ceiling is not None:
        key = f"{BUFFER_CEILING}:{on:%Y-%m}"
        if controls.raise_signal(engine, BUFFER_CEILING, key, "high", {
                "amount": str(report.buffer_exposure), "ceiling": str(report.buffer_ceiling)}, on):
            raised.append(key)
    return raised


# -- the municipality's own money ---------------------------------------------------------


def mark_municipal(engine: Engine, ident: str, actor: str, reason: str) -> Recorded:
    """A transaction in the queue is the municipality's own: a credit funds the buffer
    (a refund of bank costs, a top-up from another account), a debit is its own cost
    (bank costs it bears). No household's books change."""

    def attempt() -> Recorded:
        ledger, recorded = find_transaction(engine, ident)
        if recorded.outcome not in (UNMATCHED, IGNORED):
            raise HouseholdError(f"{ident} is {recorded.outcome} already; undo that first")
        outcome = FUNDING if recorded.transaction.is_credit else COST
        ledger.resolve(ident, outcome, None, None, actor, reason=reason or "the municipality's own")
        engine.save(ledger)
        return ledger.get(ident)

    return engine.retrying(attempt)


# -- the month's journal -------------------------------------------------------------------

KINDS = {
    "booked": "inkomen", "confirmation": "betaling", "return": "terugboeking", "funding": "financiering",
    "cost": "kosten gemeente", "ignored": "niet van ons", "unmatched": "open post", "deduction": "afschrijving",
}
JOURNAL_COLUMNS = ("datum", "rekening", "transactie", "bedrag", "soort", "dossier", "afspraak",
                   "tegenpartij", "omschrijving")


@dataclass
class Journal:
    month: str
    lines: list[dict[str, str]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # sums against the statements

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month, "lines": self.lines, "accounts": self.accounts}


def journal(engine: Engine, month: str, managed: list[str]) -> Journal:
    """One line per euro movement the bank booked in `month` (YYYY-MM), each with the
    household it is of; per account, the lines add up to the month's statements."""
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() or not 1 <= int(month[5:]) <= 12:
        raise DomainError(f"month {month!r} is not a month such as 2026-11", field="month")
    result = Journal(month)
    for account, rows in sorted(_rows_by_account(engine).items()):
        mine = sorted((r for r in rows if r[COLUMN.booking_date][:7] == month),
                      key=lambda r: (r[COLUMN.booking_date], r[COLUMN.id]))
        for row in mine:
            r = LedgerRow(*row)
            result.lines.append({
                "datum": r.booking_date, "rekening": account, "transactie": r.id, "bedrag": str(Money(r.amount)),
                "soort": KINDS.get(r.outcome, r.outcome), "dossier": r.dossier or "",
                "afspraak": r.agreement_id or "", "tegenpartij": r.counterparty_name or "",
                "omschrijving": r.description})
        result.accounts[account] = _month_sums(engine, account, month, mine)
    for account in managed:
        result.accounts.setdefault(account, _month_sums(engine, account, month, []))
    return result


def _month_sums(engine: Engine, account: str, month: str, rows: list[list[Any]]) -> dict[str, Any]:
    total = sum((Money(r[COLUMN.amount]) for r in rows), Money.zero())
    book: AccountBook | None = engine.get_or_none(account_book_id(account))
    statements = sorted((s for s in (book.statements.values() if book else ())
                         if s.closing_date and s.closing_date.isoformat()[:7] == month),
                        key=lambda s: (s.opening_date or s.closing_date, s.closing_date))
    opening = statements[0].opening_balance if statements else None
    closing = statements[-1].closing_balance if statements else None
    movement = None if opening is None or closing is None else Money(closing) - Money(opening)
    return {"lines_total": str(total), "statements_opening": None if opening is None else str(Money(opening)),
            "statements_closing": None if closing is None else str(Money(closing)),
            "statements_movement": None if movement is None else str(movement),
            "adds_up": None if movement is None else movement == total}
