"""Leefgeld split over the participants of one household (issue 23), for households where
two adults each need money of their own.

A participant's `share` is an exact fraction, written as text ("1/2", "0.5", "2/3"):
either no participant of a household has one (all leefgeld goes to the first, as it
always did), or every one has, and the shares add up to exactly 1. A pay date then
splits each leefgeld payment (each weekly part, each top-up) over the participants:
each gets its share rounded down to the cent, and the cents left over go to the first
participant, so the parts always add up to the whole and the split is the same every
time the same events are replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from .agreement import Participant
from .cycle import Payment
from .errors import DomainError
from .money import Money


def parse_share(text: Any, field: str = "share") -> Fraction:
    """A share as an exact fraction more than 0 and at most 1; a DomainError naming `field`."""
    try:
        share = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise DomainError(f"share '{text}' is not a fraction such as 1/2 or 0.5", field=field) from None
    if not 0 < share <= 1:
        raise DomainError(f"share '{text}' must be more than 0 and at most 1", field=field)
    return share


def check_shares(shares: Sequence[Any | None]) -> list[Fraction]:
    """The participants' shares (None where a participant has none) as fractions; [] when
    none has one. Every participant has one, or none has; together they make exactly 1."""
    if all(share is None for share in shares):
        return []
    for index, share in enumerate(shares):
        if share is None:
            raise DomainError("give every participant a share, or none (then the first gets all leefgeld)",
                              field=f"participants[{index}].share")
    fractions = [parse_share(share, f"participants[{index}].share") for index, share in enumerate(shares)]
    if sum(fractions) != 1:
        raise DomainError(f"the shares add up to {sum(fractions)}, not 1", field="participants[0].share")
    return fractions


def split_by_shares(amount: Money, shares: Sequence[Fraction]) -> list[Money]:
    """`amount` in parts by `shares` (which add up to 1): each rounded down to the cent,
    the cents left over to the first. The parts add up to `amount` exactly."""
    parts = [amount.cents * share.numerator // share.denominator for share in shares]
    parts[0] += amount.cents - sum(parts)
    return [Money.from_cents(cents) for cents in parts]


def leefgeld_payments(policy: Any, period: date, parts: Sequence[tuple[date, Money]]) -> tuple[Payment, ...]:
    """The leefgeld payments of `parts` ((execution date, amount), numbered from 1), each
    split over the participants by `policy.leefgeld_shares`; no payment of zero."""
    payees = policy.leefgeld_shares or (Participant(policy.participant_name, policy.participant_iban),)
    shares = [parse_share(p.share) for p in policy.leefgeld_shares] or [Fraction(1)]
    payments = []
    for number, (day, amount) in enumerate(parts, start=1):
        if not amount.is_positive:
            continue
        for index, (payee, share) in enumerate(zip(payees, split_by_shares(amount, shares))):
            if share.is_positive:
                payments.append(Payment(kind="leefgeld", agreement_id=None, period=period, part=number, amount=share,
                                        execution_date=day, creditor_name=payee.name, creditor_iban=payee.iban,
                                        reference=None, participant=index))
    return tuple(payments)
