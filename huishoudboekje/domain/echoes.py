"""What a bank statement says of the payments a household made: a line carrying a
payment's end-to-end id confirms it, returns it, or is refused. A mixin of
`Household` (plain methods: the events stay on the aggregate)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from .errors import HouseholdError
from .instructions import Instruction
from .money import Money
from .paydate import Due
from .signals import ECHO_REFUSED, Signal
from .signals import fact as signal_fact


class PaymentEchoes:
    """The commands for a `Household`'s payment echoes (see `domain/household.py`)."""

    def echo_problem(self, instruction_id: str, amount: Money, is_credit: bool, counterparty_iban: str | None,
                     fee_limit: Money) -> str | None:
        """Why a statement line carrying this payment's end-to-end id does not fit it
        (None: it fits). The id is no secret (every creditor sees it on its own
        statement), so only a line that fits what was sent may change money: a return
        is a credit from the account the payment went to, of at most what was paid and
        at least that less `fee_limit` (what a returning bank may keep), of a payment
        not returned before; a confirmation is a debit of exactly what was paid, to
        that account."""
        instruction = self.instructions[instruction_id]
        paid, to = instruction.amount, instruction.creditor_iban
        iban = (counterparty_iban or "").replace(" ", "").upper() or None
        if is_credit:
            if instruction.status == "returned":
                return f"returns {amount} of a payment of {paid} that came back already"
            if iban != to:
                return f"returns {amount} from {iban or 'no account'}, but the payment of {paid} went to {to}"
            if amount > paid:
                return f"returns {amount} of a payment of {paid}"
            if amount < paid - fee_limit:
                return (f"returns {amount} of a payment of {paid}: more short than a returning bank may keep "
                        f"({fee_limit}, HHB_RETURN_FEE_LIMIT)")
            return None
        if amount != paid:
            return f"debits {amount} for a payment of {paid}"
        if iban != to:
            return f"debits {amount} to {iban or 'no account'}, but the payment was made out to {to}"
        if instruction.status == "confirmed" or instruction.confirmed_by is not None:
            return f"debits {amount} for a payment that is confirmed already"
        return None

    def refuse_echo(self, instruction_id: str, transaction_id: str, booking_date: date, amount: Money,
                    counterparty_iban: str | None, reason: str, actor: str) -> None:
        """A line with our end-to-end id that does not fit (`echo_problem`): no money
        moves, and staff get a signal of its own for it (the line waits in the queue)."""
        instruction = self.instructions[instruction_id]
        signal = Signal.raised(signal_fact(
            ECHO_REFUSED, instruction.agreement_id or "leefgeld", instruction.period, amount,
            instance=transaction_id, transaction=transaction_id, reason=reason, received=amount,
            counterparty=counterparty_iban or "-", paid=instruction.amount, creditor=instruction.creditor_iban,
            pay_date=instruction.pay_date), booking_date)
        if signal.key in self.signals:
            return
        self._echo_refused(instruction_id=instruction_id, transaction_id=transaction_id,
                           booking_date=booking_date, reason=reason, signal=signal, actor=actor)

    def _check_echo(self, instruction_id: str, amount: Money, is_credit: bool, counterparty_iban: str | None,
                    fee_limit: Money | None) -> None:
        problem = self.echo_problem(instruction_id, amount, is_credit, counterparty_iban,
                                    fee_limit if fee_limit is not None else self.instructions[instruction_id].amount)
        if problem is not None:
            raise HouseholdError(f"{instruction_id}: a line that {problem}")

    def confirm_payment(self, instruction_id: str, transaction_id: str, booking_date: date,
                        amount: Money | None = None, counterparty_iban: str | None = None) -> bool:
        """The bank executed a payment; `amount` and `counterparty_iban` (given by an
        import) must be what was sent.

        A payment returned before its execution was imported keeps its status, but the
        execution is remembered (`confirmed_by`), so a second debit is seen as one;
        returns False then, as nothing is newly confirmed.
        """
        instruction = self.instructions.get(instruction_id)
        if instruction is None or instruction.confirmed_by is not None or instruction.status == "confirmed":
            return False
        if amount is not None:
            self._check_echo(instruction_id, amount, False, counterparty_iban, None)
        self._payment_confirmed(
            instruction_id=instruction_id, transaction_id=transaction_id, booking_date=booking_date
        )
        return instruction.status == "scheduled"

    def return_payment(self, instruction_id: str, transaction_id: str, booking_date: date,
                       amount: Money | None = None, counterparty_iban: str | None = None,
                       fee_limit: Money | None = None) -> bool:
        """The bank sent a payment back: `amount` is what came back (a returning bank may
        keep a fee), never more than was paid; None: all of it. An import also gives
        the account it came from and the most a returning bank may keep (`echo_problem`)."""
        instruction = self.instructions.get(instruction_id)
        if instruction is None or instruction.status == "returned":
            return False
        if amount is not None and not Money.zero() < amount <= instruction.amount:
            raise HouseholdError(f"{instruction_id}: {amount} cannot come back of a payment of {instruction.amount}")
        if counterparty_iban is not None or fee_limit is not None:
            self._check_echo(instruction_id, amount or instruction.amount, True, counterparty_iban, fee_limit)
        self._payment_returned(
            instruction_id=instruction_id, transaction_id=transaction_id, booking_date=booking_date,
            amount=None if amount == instruction.amount else amount,
        )
        return True

    def _owed_again(self, instruction: Instruction) -> None:
        """A returned charge or arrears payment: its period is owed again, for what the
        payment paid of it (`PaymentReturned`)."""
        agreement = self.agreements[instruction.agreement_id]
        period = (agreement.id, instruction.period)
        open_due = next((d for d in self.arrears if d.period == period), None)
        if open_due is not None:  # a part-payment of a period still partly owed: owed again
            self.arrears = [replace(d, amount=d.amount + instruction.amount,
                                    paid=(d.paid - instruction.amount).max(Money.zero()), returned=True)
                            if d is open_due else d for d in self.arrears]
            return
        self.arrears.append(
            Due(
                agreement_id=agreement.id,
                due=instruction.period,
                amount=instruction.amount,
                priority=agreement.priority,
                creditor_name=instruction.creditor_name,
                creditor_iban=instruction.creditor_iban,
                reference=instruction.reference,
                returned=True,
                paid=instruction.settled_before + instruction.rest,  # the other parts were paid
            )
        )
