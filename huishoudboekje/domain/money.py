"""Exact euros.

`Money` is an immutable amount of euros with exactly two decimals. It is built from
a `str`, an `int` or a `Decimal`; a float is refused, because a float cannot hold most
cent amounts exactly. Input with more than two decimals is refused rather than rounded:
somebody typed something they did not mean.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from .errors import DomainError

CENT = Decimal("0.01")
LIMIT = Decimal(10) ** 15  # a thousand billion euros: anything larger is a typing error


class MoneyError(DomainError):
    """An amount that is not a valid euro amount."""


class Money:
    __slots__ = ("amount",)
    amount: Decimal

    def __init__(self, value: str | int | Decimal | Money = 0) -> None:
        object.__setattr__(self, "amount", _to_decimal(value))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    @classmethod
    def zero(cls) -> Money:
        return _ZERO

    @classmethod
    def from_cents(cls, cents: int) -> Money:
        if not isinstance(cents, int) or isinstance(cents, bool):
            raise MoneyError(f"cents must be an integer, not {type(cents).__name__}")
        return cls(Decimal(cents).scaleb(-2))

    @property
    def cents(self) -> int:
        return int(self.amount.scaleb(2))

    @classmethod
    def _exact(cls, amount: Decimal) -> Money:
        """Internal: `amount` is already a two-place Decimal (a sum of Money, say)."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        return money

    def __add__(self, other: Money) -> Money:
        return Money._exact(self.amount + _other(other))

    def __sub__(self, other: Money) -> Money:
        return Money._exact(self.amount - _other(other))

    def __neg__(self) -> Money:
        return Money._exact(-self.amount)

    def __abs__(self) -> Money:
        return Money._exact(abs(self.amount))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Money):
            return self.amount == other.amount
        return NotImplemented

    # All four written out: functools.total_ordering derives the rest through an extra
    # Python call, and comparisons run millions of times in a pay-date run.
    def __lt__(self, other: Money) -> bool:
        return self.amount < _other(other)

    def __le__(self, other: Money) -> bool:
        return self.amount <= _other(other)

    def __gt__(self, other: Money) -> bool:
        return self.amount > _other(other)

    def __ge__(self, other: Money) -> bool:
        return self.amount >= _other(other)

    def __hash__(self) -> int:
        return hash(self.amount)

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return str(self.amount)

    def __repr__(self) -> str:
        return f"Money('{self.amount}')"

    def __reduce__(self):  # pickling and deepcopy keep the value
        return (Money, (str(self.amount),))

    def __deepcopy__(self, memo: dict) -> Money:
        return self

    def __copy__(self) -> Money:
        return self

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def split(self, parts: int) -> list[Money]:
        """Split into `parts` amounts that differ by at most a cent and add up exactly.

        The larger parts come first, so a participant never waits for the extra cent.
        """
        if parts < 1:
            raise MoneyError("an amount is split into at least one part")
        base, rest = divmod(self.cents, parts)
        return [Money.from_cents(base + (1 if i < rest else 0)) for i in range(parts)]

    def times_fraction(self, numerator: int, denominator: int) -> Money:
        """This amount times numerator/denominator, rounded half-even to the cent."""
        value = (self.amount * numerator / denominator).quantize(CENT, ROUND_HALF_EVEN)
        return Money(value)


def _other(other: object) -> Decimal:
    if not isinstance(other, Money):
        raise TypeError(f"cannot combine Money with {type(other).__name__}")
    return other.amount


def _to_decimal(value: object) -> Decimal:
    if type(value) is Decimal and value.is_finite() and -LIMIT < value < LIMIT:
        cents = value.quantize(CENT)  # the common case first: an amount read from a file
        if cents == value:
            return cents
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError(f"an amount must be exact; {type(value).__name__} is refused")
    if isinstance(value, int):
        return Decimal(value).quantize(CENT)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"'{value}' is not an amount") from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise MoneyError(f"an amount cannot be made from {type(value).__name__}")
    if not number.is_finite():
        raise MoneyError(f"'{value}' is not a finite amount")
    if abs(number) >= LIMIT:
        raise MoneyError(f"'{value}' is too large for an amount")
    if number != number.quantize(CENT, ROUND_HALF_EVEN):
        raise MoneyError(f"'{value}' has more than two decimals")
    return number.quantize(CENT)


def parse_money(value: object, *, allow_negative: bool = False) -> Money:
    """Money from user input, with the rules staff documents are held to."""
    money = Money(value)  # type: ignore[arg-type]
    if money.is_negative and not allow_negative:
        raise MoneyError(f"'{value}' is negative")
    return money


def total(amounts) -> Money:
    result = Decimal("0.00")
    for money in amounts:
        result += money.amount
    return Money._exact(result)


_ZERO = Money(0)
