"""What the engine accepts before money moves: the limits staff set (HHB_ settings).

Pure values; the application passes them to the import and the nightly job.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import Money

# What a SEPA credit transfer (pain.001, EPC rulebook) can carry, and so the largest
# amount a statement line may hold for us to ever pay it on.
PAYABLE_MAX = Money("999999999.99")


@dataclass(frozen=True)
class Limits:
    # A return may come back short by what the returning bank keeps, at most this much.
    return_fee: Money = Money("25.00")
    # A matched income above this many times its agreement's amount waits for a person.
    income_factor: Decimal = Decimal(3)
    # A matched income above this amount waits for a person, whatever its agreement says.
    income_ceiling: Money = Money("10000.00")
    # Leefgeld above this in one cycle is held for a second person's approval (a
    # household's own `participant_ceiling` comes first). None: no ceiling.
    participant_ceiling: Money | None = Money("5000.00")

    def implausible_income(self, amount: Money, expected: Money) -> str | None:
        """Why a matched credit is too far outside its agreement to book by itself."""
        if amount > self.income_ceiling:
            return f"{amount} is above the ceiling for an income of {self.income_ceiling} (HHB_INCOME_CEILING)"
        if expected.is_positive and amount.amount > expected.amount * self.income_factor:
            return (f"{amount} is more than {self.income_factor} times the expected {expected} "
                    "(HHB_INCOME_MAX_FACTOR)")
        return None
