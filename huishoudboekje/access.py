"""Issuing, revoking and checking credentials (staff tokens, participant links)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent

from . import teams
from .domain.access import CREDENTIAL_LOG_ID, JOB, PARTICIPANT, AccessError, Credential, hash_secret
from .domain.errors import HouseholdError
from .domain.team import TeamError
from .engine import Engine, NotFound


MAX_DAYS = 365  # default of HHB_MAX_CREDENTIAL_DAYS


class CredentialLogged(DomainEvent):
    credential_id: UUID
    role: str
    dossier: str | None = None  # a participant's link: its household (absent in older stores)


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
    return EventSourcedLog(engine.events, CREDENTIAL_LOG_ID, CredentialLogged)


def issue(engine: Engine, role: str, name: str, actor: str, *, team: str | None = None,
          dossier: str | None = None, valid_days: int | None = None, no_expiry: bool = False,
          max_days: int = MAX_DAYS, now: datetime | None = None) -> tuple[str, Credential]:
    """A new secret, returned once; only its hash is stored.

    Valid for `valid_days` (1 to `max_days`, HHB_MAX_CREDENTIAL_DAYS; default the
    maximum). Only a token of the `job` role may be issued without expiry (`no_expiry`),
    for the nightly job a person does not renew. Checked here and not in the
    `Credential` itself, so that credentials issued earlier keep loading and working.
    """
    now = now or datetime.now(timezone.utc)
    expires = now + timedelta(days=lifetime(role, valid_days, no_expiry, max_days)) if not no_expiry else None
    if role == PARTICIPANT:
        try:  # NotFound for an unknown dossier; an erased one gets no link
            engine.household(dossier or "").refuse_if_erased()
        except HouseholdError as exc:
            raise AccessError(str(exc)) from None
    if team is not None:
        try:
            teams.require(engine, team, "--team")
        except TeamError as exc:
            raise AccessError(str(exc)) from None
    secret = ("hhbp_" if role == PARTICIPANT else "hhbt_") + secrets.token_urlsafe(32)
    credential = Credential(secret_hash=hash_secret(secret), role=role, name=name, team=team,
                            dossier=dossier, expires=expires, issued=now, actor=actor)
    log = _log(engine)
    engine.save(credential, log.trigger_event(credential_id=credential.id, role=role, dossier=dossier))
    return secret, credential


def issue_link(engine: Engine, dossier: str, actor: str, valid_days: int, max_days: int = MAX_DAYS,
               now: datetime | None = None) -> tuple[str, Credential]:
    """A participant's personal link to their own page (`hhb tokens link`, the staff web app)."""
    lifetime(PARTICIPANT, valid_days, False, max_days)
    name = engine.household(dossier).participants[0].name  # NotFound for an unknown dossier
    return issue(engine, PARTICIPANT, name, actor, dossier=dossier, valid_days=valid_days, max_days=max_days,
                 now=now)


def revoke_link(engine: Engine, dossier: str, short_id: str, actor: str, now: datetime | None = None) -> Credential:
    """Revoke one of this household's links; NotFound for any other id (a staff token, another
    household's link, one revoked already), so a page of one household cannot revoke what is
    not its own."""
    for credential in links(engine, {dossier}):
        if credential.short_id == short_id and credential.revoked is None:
            credential.revoke(now or datetime.now(timezone.utc), actor)
            engine.save(credential)
            return credential
    raise NotFound(f"no link {short_id} for {dossier}")


def lifetime(role: str, valid_days: int | None, no_expiry: bool, max_days: int) -> int:
    """The days a new credential is valid; AccessError for a lifetime that is not allowed."""
    if no_expiry:
        if role != JOB:
            raise AccessError(f"--no-expiry: only tokens of the job role may be issued without expiry, "
                              f"not a {role} token; give --days (1 to {max_days})")
        if valid_days is not None:
            raise AccessError("--days and --no-expiry: give one of them, not both")
        return 0
    if valid_days is None:
        return max_days
    if not 1 <= valid_days <= max_days:
        raise AccessError(f"--days: {valid_days} is not a lifetime of 1 to {max_days} days "
                          "(the most is HHB_MAX_CREDENTIAL_DAYS)")
    return valid_days


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


def links(engine: Engine, dossiers: set[str] | None = None) -> list[Credential]:
    """Participants' links, oldest first: of these households, or of all. Only the links
    that can be theirs are read (the index names a link's household since it had the field)."""
    found = []
    for logged in _log(engine).get():
        known = getattr(logged, "dossier", None)
        if logged.role != PARTICIPANT or (dossiers is not None and known is not None and known not in dossiers):
            continue
        credential = engine.repository.get(logged.credential_id)
        if dossiers is None or credential.dossier in dossiers:
            found.append(credential)
    return found


__all__ = ["AccessError", "Principal", "issue", "issue_link", "lifetime", "authenticate", "revoke", "revoke_link",
           "credentials", "links"]
