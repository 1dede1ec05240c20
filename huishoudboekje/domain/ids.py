"""The ids the engine makes: of a household, and the end-to-end id of a payment."""

from __future__ import annotations

import hashlib
from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://huishoudboekje.example/")


def household_id(dossier: str) -> UUID:
    return uuid5(NAMESPACE, f"household/{dossier}")


def end_to_end_id(household: UUID, instruction_id: str) -> str:
    """Unique, deterministic, 35 characters at most, and traceable to the household.

    The bank echoes it in the statement of the executed payment; the first twelve
    characters say which household to confirm it on.
    """
    digest = hashlib.sha256(instruction_id.encode()).hexdigest()[:20]
    return f"{household.hex[:12]}-{digest}".upper()
