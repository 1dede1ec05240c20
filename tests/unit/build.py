"""Households, agreements and bank lines for the unit tests: in memory, no store.

Every amount is written as a string and becomes `Money`; dates are business dates.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huishoudboekje.domain.agreement import CHARGE, INCOME, Agreement, AmountFrom, Counterparty, Participant, Tolerance
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.schedule import Schedule
from huishoudboekje.domain.statement import BankTransaction

START = date(2026, 11, 1)
MANAGED = "NL39BNGH0285009999"  # the municipality's managed account, where incomes arrive
TOESLAGEN = "NL86INGB0002445588"  # Belastingdienst/Toeslagen: pays thousands of households
GEMEENTE = "NL14BNGH0285001234"
LANDLORD = "NL20INGB0001234567"
PARTICIPANT = "NL44RABO0123456789"


def income(ident: str, amount: str, *, terms: tuple[str, ...] = (), iban: str = GEMEENTE, day: int = 25,
           tolerance: str = "25.00", days: int = 3, start: date = START, end: date | None = None,
           changes: tuple[tuple[date, str], ...] = ()) -> Agreement:
    """A monthly income; `changes`: (effective, amount) steps after the first."""
    steps = (AmountFrom(start, Money(amount)),) + tuple(AmountFrom(d, Money(a)) for d, a in changes)
    return Agreement(id=ident, kind=INCOME, category="toeslag", counterparty=Counterparty("Payer", iban),
                     amounts=steps, schedule=Schedule(every="month", start=start, end=end, day=day),
                     tolerance=Tolerance(days, Money(tolerance)), match_terms=terms)


def charge(ident: str, amount: str, *, day: int = 1, priority: int = 1, start: date = START) -> Agreement:
    return Agreement(id=ident, kind=CHARGE, category="huur", counterparty=Counterparty("Landlord", LANDLORD),
                     amounts=(AmountFrom(start, Money(amount)),),
                     schedule=Schedule(every="month", start=start, day=day), priority=priority)


def household(dossier: str = "HHB-2026-0001", *agreements: Agreement, buffer_limit: str = "0.00",
              account: str | None = None, start: date = START) -> Household:
    """Pay day 1, monthly leefgeld, no minimum leefgeld (so only the rule under test speaks)."""
    made = Household(dossier=dossier, team="Wijkteam Noord", start=start, pay_day=1,
                     buffer_limit=Money(buffer_limit), minimum_leefgeld=Money("0.00"),
                     leefgeld_schedule="monthly", execute_on="pay-date",
                     participants=[Participant("Deelnemer", PARTICIPANT)], account=account, actor="test")
    for agreement in agreements:
        made.add_agreement(agreement, "test")
    return made


def credit(amount: str, description: str, *, iban: str | None = TOESLAGEN, day: date = date(2026, 11, 20),
           account: str = MANAGED) -> BankTransaction:
    """A bank line on the managed account; a negative `amount` is a debit."""
    return BankTransaction(account, day, day, Decimal(amount), iban, "Payer", description, None, None, "entry 1")
