"""Issuing, revoking and checking credentials (staff tokens, participant links)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid5

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent

from .domain.access import PARTICIPANT, AccessError, Credential, hash_secret
from .domain.household import NAMESPACE
from .engine import Engine, NotFound


class CredentialLogged(DomainEvent):
    credential_id: UUID
    role: str


@dataclass(frozen=True)
class Principal:
    """Who a request is from, as the API sees it."""

    role: str
    name: str
    team: str | None
    dossier: str | None
    credential: str  # short id, for logs and events

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}"


def _log(engine: Engine) -> EventSourcedLog[CredentialLogged]:
    return EventSourcedLog(engine.events, uuid5(NAMESPACE, "/credentials"), CredentialLogged)


def issue(engine: Engine, role: str, name: str, actor: str, *, team: str | None = None,
          dossier: str | None = None, valid_days: int | None = None,
          now: datetime | None = None) -> tuple[str, Credential]:
    """A new secret, returned once; only its hash is stored."""
    now = now or datetime.now(timezone.utc)
    if role == PARTICIPANT:
        engine.household(dossier or "")  # NotFound for an unknown dossier
    secret = ("hhbp_" if role == PARTICIPANT else "hhbt_") + secrets.token_urlsafe(32)
    expires = now + timedelta(days=valid_days) if valid_days else None
    credential = Credential(secret_hash=hash_secret(secret), role=role, name=name, team=team,
                            dossier=dossier, expires=expires, issued=now, actor=actor)
    log = _log(engine)
    engine.save(credential, log.trigger_event(credential_id=credential.id, role=role))
    return secret, credential


def authenticate(engine: Engine, secret: str, now: datetime | None = None) -> Principal | None:
    credential = engine.get_or_none(Credential.create_id(hash_secret(secret)))
    if credential is None or not credential.valid_at(now or datetime.now(timezone.utc)):
        return None
    return Principal(credential.role, credential.name, credential.team, credential.dossier, credential.short_id)


def revoke(engine: Engine, short_id: str, actor: str, now: datetime | None = None) -> Credential:
    for credential in credentials(engine):
        if credential.short_id == short_id:
            credential.revoke(now or datetime.now(timezone.utc), actor)
            engine.save(credential)
            return credential
    raise NotFound(f"no token or link {short_id}")


def credentials(engine: Engine) -> list[Credential]:
    return [engine.repository.get(logged.credential_id) for logged in _log(engine).get()]


__all__ = ["AccessError", "Principal", "issue", "authenticate", "revoke", "credentials"]
