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


STAFF, TEAMLEAD, AUDITOR, JOB, PARTICIPANT = Role
ROLES = tuple(Role)
