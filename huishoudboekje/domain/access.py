"""Who may do what: staff tokens and participants' personal links.

Only a hash of a secret is ever stored; the secret itself is shown once, when it is
issued. Each credential is its own small aggregate, found by the hash of the secret
a request presents, so checking a request reads one short stream.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import DomainError
from .household import NAMESPACE
from .roles import AUDITOR, FINANCE, JOB, PARTICIPANT, ROLES, STAFF, TEAMLEAD, Role  # noqa: F401 - where they were defined


CREDENTIAL_LOG_ID = uuid5(NAMESPACE, "/credentials")  # the index of every credential issued


class AccessError(DomainError):
    """A credential that cannot be issued or changed."""


class Credential(Aggregate):
    @staticmethod
    def create_id(secret_hash: str) -> UUID:
        return credential_id(secret_hash)

    @event("Issued")
    def __init__(self, secret_hash: str, role: str, name: str, team: str | None, dossier: str | None,
                 expires: datetime | None, issued: datetime, actor: str) -> None:
        if role not in ROLES:
            raise AccessError(f"role: {role!r} is not one of {', '.join(ROLES)}")
        if role in (STAFF, TEAMLEAD) and not team:
            raise AccessError(f"a {role} token belongs to a team (--team)")
        if role == PARTICIPANT and not dossier:
            raise AccessError("a participant link belongs to a household")
        self.secret_hash = secret_hash
        self.role = role
        self.name = name
        self.team = team
        self.dossier = dossier
        self.expires = expires
        self.issued = issued
        self.revoked: datetime | None = None

    def revoke(self, when: datetime, actor: str) -> None:
        if self.revoked is None:
            self._revoked(when=when, actor=actor)

    @event("Revoked")
    def _revoked(self, when: datetime, actor: str) -> None:
        self.revoked = when

    def valid_at(self, moment: datetime) -> bool:
        return self.revoked is None and (self.expires is None or moment < self.expires)

    @property
    def short_id(self) -> str:
        return self.secret_hash[:12]


def expiring(links: list[Credential], moment: datetime, days: int) -> Credential | None:
    """The household's newest valid link when every valid one expires within `days` of
    `moment` (the werkvoorraad's "link about to expire"); None when none is valid, or one
    lasts longer."""
    valid = [c for c in links if c.valid_at(moment)]
    horizon = moment + timedelta(days=days)
    if not valid or any(c.expires is None or c.expires > horizon for c in valid):
        return None
    return max(valid, key=lambda c: (c.expires, c.short_id))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def credential_id(secret_hash: str) -> UUID:
    return uuid5(NAMESPACE, f"credential/{secret_hash}")
