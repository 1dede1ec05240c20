"""Bank statements in: record every transaction once, book incomes, confirm payments.

One call is all-or-nothing: every statement is checked (managed account, balances)
before anything is written, and everything the call records — ledgers, bookings,
confirmations — is saved in one transaction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import RecordConflictError

from .bulk import without_cycle_collection
from .retry import retrying
from .domain.deductions import VERREKENING
from .domain.household import NAMESPACE, Household, HouseholdError, booking_from_row, row_of_booking
from .domain.ids import end_to_end_prefix, household_prefix
from .maatwerk_echoes import MaatwerkEchoes
from .domain.ledger import (
    BOOKED,
    COLUMN,
    CONFIRMATION,
    COST,
    DEDUCTION,
    FUNDING,
    IGNORED,
    RETURN,
    UNMATCHED,
    Ledger,
    Recorded,
    ledger_id,
    month_of,
    row_of,
)
from .domain.limits import PAYABLE_MAX, Limits
from .domain.matching import MatchIndex
from .domain.money import Money
from .domain.signals import ECHO_REFUSED
from .domain.statement import BankTransaction, Statement, StatementError
from .domain.treasury import AccountBook, StatementBalance, account_book_id, statement_key
from .engine import Engine, NotFound


class LedgerLogged(DomainEvent):
    ledger_id: UUID
    account: str
    month: str


@dataclass
class ImportResult:
    files: int = 0
    transactions: int = 0
    new: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    payments_confirmed: int = 0
    payments_returned: int = 0
    deviating: int = 0
    import_id: str = ""
    allow_unbalanced: bool = False
    unbalanced: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ledger_log(engine: Engine) -> EventSourcedLog[LedgerLogged]:
    return EventSourcedLog(engine.events, uuid5(NAMESPACE, "/ledgers"), LedgerLogged)


def resolve_account(account: str, managed: list[str]) -> str | None:
    """The managed IBAN a statement is for; some banks name only the account number."""
    compact = account.replace(" ", "").upper()
    if compact in managed:
        return compact
    if compact.isdigit():
        for iban in managed:
            if iban[8:].lstrip("0") == compact.lstrip("0"):
                return iban
    return None


def check_statements(statements: list[Statement], managed: list[str], allow_unbalanced: bool,
                     result: ImportResult) -> list[Statement]:
    """Refuse the whole call on the first statement that is not ours or does not add up."""
    checked = []
    for number, statement in enumerate(statements, start=1):
        where = f"statement {statement.statement_id or number}"
        account = resolve_account(statement.account, managed)
        if account is None:
            raise StatementError(statement.file, where,
                                 f"account {statement.account} is not managed by this engine "
                                 "(HHB_MANAGED_ACCOUNTS)")
        off = statement.imbalance()
        if off:
            if not allow_unbalanced:
                raise StatementError(
                    statement.file, where,
                    f"the entries do not add up: opening balance {statement.opening_balance} plus the "
                    f"entries is {statement.closing_balance - off}, but the closing balance is "
                    f"{statement.closing_balance} (off by {abs(off)}; a truncated or corrupted file? "
                    "--allow-unbalanced imports it anyway)")
            result.unbalanced.append(f"{statement.file}, {where}: off by {off}")
        for transaction in statement.transactions:
            if abs(transaction.amount) > PAYABLE_MAX.amount:
                raise StatementError(statement.file, transaction.where or where,
                                     f"amount {transaction.amount} is more than a SEPA payment can carry "
                                     f"(at most {PAYABLE_MAX}); a typing error or a corrupted file?")
        transactions = [_with_account(t, account) for t in statement.transactions]
        checked.append(Statement(statement.file, account, statement.statement_id,
                                 statement.opening_balance, statement.closing_balance,
                                 statement.opening_date, statement.closing_date, transactions))
    return checked


def _with_account(transaction: BankTransaction, account: str) -> BankTransaction:
    if transaction.account == account:
        return transaction
    return replace(transaction, account=account)


def import_statements(engine: Engine, statements: list[Statement], *, managed: list[str],
                      allow_unbalanced: bool = False, actor: str = "import",
                      limits: Limits = Limits(), funding: list[str] | None = None) -> ImportResult:
    """`funding`: the municipality's own accounts (HHB_FUNDING_ACCOUNTS): what they pay
    in is buffer funding, nobody's income."""
    result = ImportResult(files=len({s.file for s in statements}), allow_unbalanced=allow_unbalanced)
    checked = check_statements(statements, managed, allow_unbalanced, result)

    def attempt() -> ImportResult:
        with without_cycle_collection():
            return _record(engine, checked, managed, actor, ImportResult(**asdict(result)), limits,
                           frozenset(funding or ()))

    return retrying(attempt, attempts=4)


def _record(engine: Engine, statements: list[Statement], managed: list[str], actor: str,
            result: ImportResult, limits: Limits = Limits(), funding: frozenset[str] = frozenset()) -> ImportResult:
    identified = identify(statements)
    result.transactions = len(identified)
    result.import_id = _import_id(identified)
    books = balances_of(engine, statements, result.import_id, actor)
    ledgers: dict[tuple[str, str], Ledger] = {}
    fresh: dict[str, BankTransaction] = {}
    for ident, transaction in identified:
        key = (transaction.account, month_of(transaction.booking_date))
        if key not in ledgers:
            ledgers[key] = engine.get_or_none(ledger_id(*key)) or Ledger(account=key[0], month=key[1])
        if ident in ledgers[key] or ident in fresh:
            result.duplicates += 1
        else:
            fresh[ident] = transaction
    result.new = len(fresh)
    if not fresh:
        if books:
            engine.save(*books)
        return result
    book = _Bookkeeper(engine, managed, actor)
    book.limits = limits
    book.funding = funding
    recorded = [book.handle(ident, t, result) for ident, t in fresh.items()]  # ledger rows
    aggregates, events = book.changes()
    by_ledger: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for row in recorded:
        by_ledger[(row[COLUMN.account], row[COLUMN.booking_date][:7])].append(row)  # month of the ISO date
    files = sorted({s.file for s in statements})
    for key, rows in by_ledger.items():
        ledgers[key].record(import_id=result.import_id, files=files,
                            allow_unbalanced=bool(result.unbalanced), rows=rows, actor=actor)
    new_ledgers = [ledger for ledger in ledgers.values() if ledger.version == len(ledger.pending_events)]
    engine.save(*ledgers.values(), *aggregates, *books, *_log_ledgers(engine, new_ledgers), events=events)
    return result


def balances_of(engine: Engine, statements: list[Statement], import_id: str, actor: str) -> list[AccountBook]:
    """Each managed account's book with the balances of these statements it did not know yet."""
    books: dict[str, AccountBook] = {}
    for statement in statements:
        account = statement.account
        if account not in books:
            books[account] = engine.get_or_none(account_book_id(account)) or AccountBook(account=account)
        key = statement_key(statement.statement_id, statement.opening_date, statement.closing_date,
                            statement.opening_balance, statement.closing_balance)
        closing_date = statement.closing_date or max((t.booking_date for t in statement.transactions), default=None)
        books[account].record(StatementBalance(
            key=key, file=statement.file, statement_id=statement.statement_id,
            opening_balance=statement.opening_balance, opening_date=statement.opening_date,
            closing_balance=statement.closing_balance, closing_date=closing_date, import_id=import_id), actor)
    return [book for book in books.values() if book.pending_events]


def identify(statements: list[Statement]) -> list[tuple[str, BankTransaction]]:
    """Ids that survive overlapping files: equal bookings within a statement are numbered.

    An id is 'T', the booking month and the first 20 hex digits of a digest of the transaction's
    identity and its occurrence; each transaction's identity is made once.
    """
    identified = []
    sha256 = hashlib.sha256
    for statement in statements:
        seen: dict[str, int] = {}
        for transaction in statement.transactions:
            identity = transaction.identity()
            occurrence = seen.get(identity, 0)
            seen[identity] = occurrence + 1
            digest = sha256(f"{identity}|{occurrence}".encode()).hexdigest()
            booked = transaction.booking_date
            identified.append((f"T{booked.year:04d}{booked.month:02d}-{digest[:20]}", transaction))
    return identified


def _import_id(identified: list[tuple[str, BankTransaction]]) -> str:
    digest = hashlib.sha256("|".join(sorted(i for i, _ in identified)).encode()).hexdigest()
    return f"I{digest[:16]}"


def _log_ledgers(engine: Engine, ledgers: list[Ledger]) -> list[LedgerLogged]:
    log = ledger_log(engine)
    last = log.get_last()
    version = None if last is None else last.originator_version + 1
    events = []
    for ledger in ledgers:
        logged = log.trigger_event(next_originator_version=version, ledger_id=ledger.id,
                                   account=ledger.account, month=ledger.month)
        events.append(logged)
        version = logged.originator_version + 1
    return events


class _Bookkeeper:
    """Decides what each new transaction is, and changes the households it touches.

    Incomes are matched against the income directory, not against loaded households,
    and booked by appending one `IncomesBooked` event at each household's next
    version: an import touching thousands of households loads none of them. Only
    households whose payment instructions come back (confirmations, returns) are
    loaded, and bookings on those go through the aggregate.
    """

    limits = Limits()  # what `_record` was given
    funding: frozenset[str] = frozenset()  # the municipality's own accounts

    def __init__(self, engine: Engine, managed: list[str], actor: str) -> None:
        self.engine = engine
        self.actor = actor
        self.default_account = managed[0]
        self.directory = engine.income_directory()
        self._households: dict[UUID, Household] = {}  # loaded for payment echoes
        self._indexes: dict[str, MatchIndex] = {}
        self._hid_of: dict[str, UUID] = {}  # dossier -> household id
        self._by_prefix: dict[str, UUID] | None = None
        self._bookings: list[tuple[UUID, list[Any]]] = []  # booking_row()s
        self.maatwerk: MaatwerkEchoes | None = None

    def handle(self, ident: str, transaction: BankTransaction, result: ImportResult) -> list[Any]:
        if self.maatwerk is None:
            self.maatwerk = MaatwerkEchoes(self.engine, self.actor, self.limits)
        case = self.maatwerk.case_of(transaction)  # the team's money: never a household's id
        if case is not None:
            return self.maatwerk.handle(ident, transaction, case, result)
        instruction = self._instruction_for(transaction)
        if instruction is not None:
            return self._payment_echo(ident, transaction, instruction, result)
        if (transaction.counterparty_iban or "").replace(" ", "").upper() in self.funding:
            return row_of(ident, transaction, FUNDING, reason="the municipality's own account (HHB_FUNDING_ACCOUNTS)")
        if not transaction.is_credit:
            return self._debit(ident, transaction, result)
        return self._income(ident, transaction, result)

    def _debit(self, ident: str, transaction: BankTransaction, result: ImportResult) -> list[Any]:
        """A debit that is not one of our payments: the clawback of the one income it names
        (`MatchIndex.match_debit`) is booked as a `verrekening` deduction on that household
        (loaded: deductions are few); anything else waits for staff."""
        match = self._index(transaction.account).match_debit(transaction)
        chosen = match.booked
        reason = match.reason
        if chosen is not None:
            income = chosen.income
            hid = self._hid_of[income.dossier]
            if hid not in self._households:
                self._households[hid] = self.engine.household_by_id(hid)
            try:
                self._households[hid].book_deduction(
                    ident, VERREKENING, Money(abs(transaction.amount)), transaction.value_date, income.agreement_id,
                    transaction.counterparty_name, transaction.description, self.actor)
            except HouseholdError as exc:  # settled, say: a person looks
                reason = f"{income.key}: {exc}"
            else:
                result.matched += 1
                return row_of(ident, transaction, DEDUCTION, income.dossier, income.agreement_id, VERREKENING)
        result.unmatched += 1
        return row_of(ident, transaction, UNMATCHED, reason=f"a debit that is not one of our payment instructions; "
                      f"{reason}", candidates=[c.income.key for c in match.candidates])

    def _income(self, ident: str, transaction: BankTransaction, result: ImportResult) -> list[Any]:
        match = self._index(transaction.account).match(transaction)
        chosen = match.booked
        if chosen is None:
            result.unmatched += 1
            return row_of(ident, transaction, UNMATCHED, reason=match.reason,
                          candidates=[c.income.key for c in match.candidates])
        income = chosen.income
        implausible = self.limits.implausible_income(chosen.expected + chosen.difference, chosen.expected)
        if implausible is not None:  # far outside its agreement: a person looks before money moves
            result.unmatched += 1
            return row_of(ident, transaction, UNMATCHED,
                          reason=f"{implausible} for {income.key}; book it by hand if it is right",
                          candidates=[income.key])
        # The candidate was weighed by the rule of `Household.book_income` already.
        deviates = not chosen.within_tolerance
        self._bookings.append((self._hid_of[income.dossier], row_of_booking(
            ident, income.agreement_id, chosen.expected + chosen.difference, transaction.value_date,
            chosen.expected, deviates)))
        result.matched += 1
        result.deviating += deviates
        return row_of(ident, transaction, BOOKED, income.dossier, income.agreement_id,
                      "amount deviates" if deviates else None)

    def _payment_echo(self, ident: str, transaction: BankTransaction,
                      found: tuple[Household, str], result: ImportResult) -> list[Any]:
        household, instruction_id = found
        amount = Money(abs(transaction.amount))
        # Our end-to-end id is no secret: every creditor sees it on its own statement.
        # A line that does not fit what we sent (`Household.echo_problem`) settles
        # nothing by itself: staff get it in the queue and a signal on the household.
        problem = household.echo_problem(instruction_id, amount, transaction.is_credit,
                                         transaction.counterparty_iban, self.limits.return_fee)
        if problem is not None:
            household.refuse_echo(instruction_id, ident, transaction.booking_date, amount,
                                  transaction.counterparty_iban, problem, self.actor)
            result.unmatched += 1
            return row_of(ident, transaction, UNMATCHED,
                          reason=f"{problem}, by its end-to-end id ({household.dossier}); check with the bank")
        if transaction.is_credit:
            if household.return_payment(instruction_id, ident, transaction.booking_date, amount,
                                        transaction.counterparty_iban, self.limits.return_fee):
                result.payments_returned += 1
            return row_of(ident, transaction, RETURN, household.dossier)
        # A debit for a payment that came back already: its execution, in a statement
        # imported after the return's; the return said all there is to say.
        if household.confirm_payment(instruction_id, ident, transaction.booking_date, amount,
                                     transaction.counterparty_iban):
            result.payments_confirmed += 1
        return row_of(ident, transaction, CONFIRMATION, household.dossier)

    def _instruction_for(self, transaction: BankTransaction) -> tuple[Household, str] | None:
        e2e = (transaction.end_to_end_id or "").upper()
        prefix = end_to_end_prefix(e2e)
        if prefix is None:
            return None
        if self._by_prefix is None:
            self._by_prefix = {household_prefix(hid): UUID(hid) for hid in self.directory.households}
        hid = self._by_prefix.get(prefix)
        if hid is None:
            return None
        if hid not in self._households:
            self._households[hid] = self.engine.household_by_id(hid)
        household = self._households[hid]
        ident = household.instructions.with_end_to_end_id(e2e)
        return None if ident is None else (household, ident)

    def _index(self, account: str) -> MatchIndex:
        if account not in self._indexes:
            incomes = self.directory.incomes(account, self.default_account)
            self._hid_of.update((income.dossier, hid) for hid, income in incomes)
            self._indexes[account] = MatchIndex([income for _, income in incomes])
        return self._indexes[account]

    def changes(self) -> tuple[list[Any], list[DomainEvent]]:
        """The aggregates to save and the events to append, for one atomic write.

        Bookings on a household that is loaded anyway go through the aggregate; the
        rest become events at the household's next versions, read now. Those versions
        are only consistent with the directory the matching used if the directory has
        not moved on since it was read: otherwise the import starts again.
        """
        direct: dict[UUID, list[list[Any]]] = defaultdict(list)
        for hid, booking in self._bookings:
            if hid not in self._households:
                direct[hid].append(booking)
        versions: dict[UUID, int] = {}
        if self._bookings:
            # The directory's shards last: on PostgreSQL each statement reads one
            # snapshot, and the shards' versions are then read after every household's.
            read = self.directory.versions
            versions = self.engine.current_versions([*direct, *read])
            if any(versions.get(ident) != version for ident, version in read.items()):
                raise RecordConflictError("the income directory changed during the import")
        for hid, row in self._bookings:
            if hid in self._households:
                booking = booking_from_row(row)
                self._households[hid].book_income(booking.transaction_id, booking.agreement_id, booking.amount,
                                                  booking.value_date, self.actor)
        aggregates: list[Any] = [h for h in self._households.values() if h.pending_events]
        aggregates += self.maatwerk.aggregates() if self.maatwerk is not None else []
        events = [Household.incomes_booked(hid, versions[hid] + 1, bookings, self.actor)
                  for hid, bookings in direct.items()]
        return aggregates, events


# -- the unmatched queue --------------------------------------------------------------


def ledgers(engine: Engine) -> list[Ledger]:
    ids = {logged.ledger_id for logged in ledger_log(engine).get()}
    return [engine.repository.get(i) for i in ids]


def unmatched(engine: Engine) -> list[Recorded]:
    queue = [r for ledger in ledgers(engine) for r in ledger.unmatched()]
    return sorted(queue, key=lambda r: (r.transaction.value_date, r.id))


def find_transaction(engine: Engine, ident: str) -> tuple[Ledger, Recorded]:
    month = f"{ident[1:5]}-{ident[5:7]}" if len(ident) > 7 else ""
    for logged in ledger_log(engine).get():
        if logged.month != month:
            continue
        ledger = engine.repository.get(logged.ledger_id)
        if ident in ledger:
            return ledger, ledger.get(ident)
    raise NotFound(f"no bank transaction {ident}")


def book(engine: Engine, ident: str, dossier: str, agreement_id: str, actor: str,
         reason: str = "booked by hand") -> Recorded:
    """Book a transaction from the queue by hand onto an income agreement; `reason`: the
    ledger's note (the staff web app adds the person's own words)."""

    def attempt() -> Recorded:
        ledger, recorded = find_transaction(engine, ident)
        if recorded.outcome not in (UNMATCHED, IGNORED):
            raise HouseholdError(f"{ident} is {recorded.outcome} already; undo that first")
        if not recorded.transaction.is_credit:
            raise HouseholdError(f"{ident} is a debit; only credits are booked as income (book a debit someone "
                                 "else made with --deduction KIND)")
        household = engine.household(dossier)
        household.book_income(ident, agreement_id, Money(recorded.transaction.amount),
                              recorded.transaction.value_date, actor)
        ledger.resolve(ident, BOOKED, dossier, agreement_id, actor, reason=reason)
        engine.save(ledger, household)
        return ledger.get(ident)

    return engine.retrying(attempt)


def echo_of(engine: Engine, ident: str) -> tuple[str, str] | None:
    """(dossier, instruction id) of the payment whose end-to-end id a recorded
    transaction carries, or None."""
    _, recorded = find_transaction(engine, ident)
    e2e = (recorded.transaction.end_to_end_id or "").upper()
    prefix = end_to_end_prefix(e2e)
    if prefix is None:
        return None
    for hid, dossier in engine.household_ids():
        if household_prefix(hid) == prefix:
            instruction_id = engine.household_by_id(hid).instructions.with_end_to_end_id(e2e)
            return None if instruction_id is None else (dossier, instruction_id)
    return None


def accept_return(engine: Engine, ident: str, actor: str, on: date | None = None) -> Recorded:
    """A person takes a queued credit with our end-to-end id for the return of that
    payment after all (say the returning bank kept more than HHB_RETURN_FEE_LIMIT):
    the pot gets what came back and the charge is owed again. Never more than was paid,
    and a payment comes back once."""

    def attempt() -> Recorded:
        ledger, recorded = find_transaction(engine, ident)
        if recorded.outcome != UNMATCHED:
            raise HouseholdError(f"{ident} is {recorded.outcome}; only a transaction in the queue can be accepted")
        if not recorded.transaction.is_credit:
            raise HouseholdError(f"{ident} is a debit; only a credit can be the return of a payment")
        echo = echo_of(engine, ident)
        if echo is None:
            raise HouseholdError(f"{ident} carries no end-to-end id of a payment the engine still holds")
        dossier, instruction_id = echo
        household = engine.household(dossier)
        transaction = recorded.transaction
        amount = Money(transaction.amount)
        # A person may accept a return short by more than the fee limit (the bank kept
        # more), but never one from another account than the payment went to, nor more
        # than was paid: the end-to-end id is no secret (see `Household.echo_problem`).
        paid = household.instructions[instruction_id].amount
        problem = household.echo_problem(instruction_id, amount, True, transaction.counterparty_iban, paid)
        if problem is not None:
            raise HouseholdError(f"{ident} cannot be accepted as the return of {dossier}'s payment: it {problem}; "
                                 "it stays in the queue (check with the bank)")
        if not household.return_payment(instruction_id, ident, transaction.booking_date, amount,
                                        transaction.counterparty_iban, paid):
            raise HouseholdError(f"{ident}: that payment came back already")
        for key, signal in list(household.signals.items()):
            if signal.rule == ECHO_REFUSED and signal.details.get("transaction") == ident and signal.is_open:
                household.resolve_signal(key, on or date.today(), actor, "accepted as the return by hand")
        ledger.resolve(ident, RETURN, dossier, None, actor, reason="accepted as the return of its payment by hand")
        engine.save(ledger, household)
        return ledger.get(ident)

    return engine.retrying(attempt)


def ignore(engine: Engine, ident: str, actor: str, reason: str) -> Recorded:
    """Mark a transaction as not ours (bank costs, a stray payment)."""

    def attempt() -> Recorded:
        ledger, recorded = find_transaction(engine, ident)
        if recorded.outcome != UNMATCHED:
            raise HouseholdError(f"{ident} is {recorded.outcome}; only unmatched transactions are ignored")
        ledger.resolve(ident, IGNORED, None, None, actor, reason=reason)
        engine.save(ledger)
        return ledger.get(ident)

    return engine.retrying(attempt)


def undo(engine: Engine, ident: str, actor: str, reason: str, on: date | None = None) -> Recorded:
    """Undo a booking (automatic or by hand) or an ignore: back to the queue, as new events.

    A booking a pay date has paid out already is corrected (`Household.correct_booking`):
    what the household still holds of it leaves its books, what was paid out becomes a
    claim with a signal. `on`: the business date of the correction (default today)."""

    def attempt() -> Recorded:
        ledger, recorded = find_transaction(engine, ident)
        changed: list[Any] = [ledger]
        note = f"undone: {reason}"
        if recorded.outcome == BOOKED:
            household = engine.household(recorded.dossier or "")
            if ident in household.bookings:
                household.undo_booking(ident, reason, actor)
            else:
                claim = household.correct_booking(ident, recorded.agreement_id, Money(recorded.transaction.amount),
                                                  on or date.today(), reason, actor)
                note = f"corrected after it was paid out (claim {claim} on {household.dossier}): {reason}"
            changed.append(household)
        elif recorded.outcome == DEDUCTION:  # see domain/deductions.py: the household gets it all back
            household = engine.household(recorded.dossier or "")
            household.undo_deduction(ident, reason, on or date.today(), actor)
            changed.append(household)
        elif recorded.outcome not in (IGNORED, FUNDING, COST):
            raise HouseholdError(f"{ident} is {recorded.outcome}; nothing to undo")
        ledger.resolve(ident, UNMATCHED, None, None, actor, reason=note)
        engine.save(*changed)
        return ledger.get(ident)

    return engine.retrying(attempt)


def to_dict(recorded: Recorded) -> dict[str, Any]:
    t = recorded.transaction
    return {
        "transaction": recorded.id,
        "account": t.account,
        "booking_date": t.booking_date.isoformat(),
        "value_date": t.value_date.isoformat(),
        "amount": str(Decimal(t.amount).quantize(Decimal("0.01"))),
        "counterparty": {"name": t.counterparty_name, "iban": t.counterparty_iban},
        "description": t.description,
        "end_to_end_id": t.end_to_end_id,
        "outcome": recorded.outcome,
        "dossier": recorded.dossier,
        "agreement": recorded.agreement_id,
        "reason": recorded.reason,
        "candidates": list(recorded.candidates),
    }

