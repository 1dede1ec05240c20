from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huishoudboekje.domain.money import Money, MoneyError, parse_money


def test_money_is_exact_euros():
    assert Money("0.10") + Money("0.20") == Money("0.30")
    assert str(Money(5)) == "5.00"
    assert Money.from_cents(123456).amount == Decimal("1234.56")


@pytest.mark.parametrize("bad", [1.5, True, "12.345", "abc", "NaN", "Infinity", "9" * 27])
def test_money_refuses_what_is_not_an_exact_amount(bad):
    with pytest.raises(MoneyError):
        Money(bad)


def test_parse_money_refuses_negative_amounts_from_staff():
    with pytest.raises(MoneyError, match="negative"):
        parse_money("-1.00")


def test_money_cannot_be_mixed_with_other_numbers():
    with pytest.raises(TypeError):
        Money("1.00") + Decimal("1.00")  # type: ignore[operator]


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=60))
def test_split_parts_add_up_exactly_and_differ_by_at_most_a_cent(cents, parts):
    pieces = Money.from_cents(cents).split(parts)
    assert len(pieces) == parts
    assert sum(p.cents for p in pieces) == cents
    assert max(p.cents for p in pieces) - min(p.cents for p in pieces) <= 1
    assert pieces == sorted(pieces, reverse=True)
