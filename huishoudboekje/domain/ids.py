"""The ids the engine makes, and reads back: of a household, of a payment instruction,
and the end-to-end id the bank echoes for a payment. Made and parsed here only."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from .money import Money

NAMESPACE = uuid5(NAMESPACE_URL, "https://huishoudboekje.example/")


def household_id(dossier: str) -> UUID:
    return uuid5(NAMESPACE, f"household/{dossier}")


def end_to_end_id(household: UUID, instruction_id: str) -> str:
    """Unique, deterministic, 35 characters at most, and traceable to the household.

    The bank echoes it in the statement of the executed payment; the first twelve
    characters say which household to confirm it on.
    """
    digest = hashlib.sha256(instruction_id.encode()).hexdigest()[:20]
    return f"{household_prefix(household)}-{digest.upper()}"


_PREFIX = 12  # the characters of the household's id that begin an end-to-end id


def household_prefix(household: UUID | str) -> str:
    """What an end-to-end id of this household (a UUID, or its hex) begins with."""
    return (household.hex if isinstance(household, UUID) else household)[:_PREFIX].upper()


def end_to_end_prefix(end_to_end_id: str) -> str | None:
    """The household part (`household_prefix`) of an end-to-end id in upper case, or None
    for an id the engine did not make."""
    if len(end_to_end_id) != _PREFIX + 1 + 20 or end_to_end_id[_PREFIX] != "-":
        return None
    return end_to_end_id[:_PREFIX]


def instruction_id(household: UUID, pay_date: date, payment: Any, of: str | None = None) -> str:
    """A payment instruction's id: the same payment of the same pay date gets the same id,
    so a job killed at any moment and run again pays it once. `of`: a supplement's
    payment (its night), which gets an id of its own, never one of the pay date's."""
    key = f"{pay_date}|{payment.kind}|{payment.agreement_id}|{payment.period}|{payment.part}"
    if of is not None:
        key = f"{pay_date}|{of}|{payment.kind}|{payment.agreement_id}|{payment.period}|{payment.part}"
    if getattr(payment, "participant", 0):
        key += f"|participant{payment.participant}"  # a second participant's share of the leefgeld
    settled_before = getattr(payment, "settled_before", Money.zero())
    rest = getattr(payment, "rest", Money.zero())
    if settled_before or rest:
        # A part-payment of arrears: which part it is tells it apart from a payment
        # of the whole period and from other parts, in this cycle or a later one.
        key += f"|{settled_before}|{rest}"
    return uuid5(household, key).hex
