"""Who a credential speaks for. Imports nothing, so the household (its two-person rule
reads an actor's role) and the credentials can both use it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Members equal the strings stored in events."""
    STAFF = "staff"
    TEAMLEAD = "teamlead"
    AUDITOR = "auditor"
    JOB = "job"
    PARTICIPANT = "participant"
    FINANCE = "finance"  # reviews and releases payment files (four eyes); no team, no household
    PRIVACY = "privacy"  # the privacy officer: erases a household's personal data (`hhb erase`); no team


STAFF, TEAMLEAD, AUDITOR, JOB, PARTICIPANT, FINANCE, PRIVACY = Role
ROLES = tuple(Role)


def person(actor: str) -> str:
    """Who an actor is, for a rule that takes two people: an API actor is 'role:name' and
    one person may hold a token of each role, so the role goes, and the name counts
    without regard to case or spacing ('staff:Anna' and 'finance: anna ' are one)."""
    role, sep, name = actor.partition(":")
    if sep and role.strip().lower() in ROLES:
        actor = name
    return " ".join(actor.split()).casefold()
