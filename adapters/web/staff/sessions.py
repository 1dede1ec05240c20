"""Staff sign-in sessions, in a table of their own beside the event store.

`staff_sessions` lives in the same SQLite file or PostgreSQL schema as the events, so
every server process sees the same sessions. A row holds the SHA-256 of the session's
cookie secret (never the secret), the account's name, the session's CSRF token and when
it was last used; a session unused for longer than HHB_STAFF_SESSION_MINUTES is gone.
Sessions are not facts of the domain: nothing here is an event.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, delete, select, update
from sqlalchemy.engine import Engine as SqlEngine

from ...shared_state import create_tables, store_engine

METADATA = MetaData()
SESSIONS = Table("staff_sessions", METADATA,
                 Column("session_hash", String(64), primary_key=True),
                 Column("name", String(200), nullable=False),
                 Column("csrf", String(64), nullable=False),
                 Column("created", DateTime(timezone=True), nullable=False),
                 Column("last_seen", DateTime(timezone=True), nullable=False))

# The newest TOTP time step each account signed in with: a code works once.
TOTP_STEPS = Table("staff_totp_steps", METADATA,
                   Column("name", String(200), primary_key=True),
                   Column("step", BigInteger, nullable=False))


@dataclass(frozen=True)
class StaffSession:
    name: str  # the account's name, as `users.account` finds it
    csrf: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class SessionStore:
    def __init__(self, engine: SqlEngine, idle_minutes: int) -> None:
        self.engine, self.idle = engine, timedelta(minutes=idle_minutes)
        create_tables(engine, METADATA)

    @classmethod
    def beside(cls, env: dict[str, str], idle_minutes: int) -> SessionStore:
        """The sessions in the event store's database: its SQLite file, or its PostgreSQL
        schema (the engine's search path)."""
        return cls(store_engine(env)[0], idle_minutes)

    def start(self, name: str, now: datetime | None = None) -> tuple[str, StaffSession]:
        """A new session: its cookie secret (returned once) and what it holds."""
        now = now or datetime.now(timezone.utc)
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.last_seen < now - self.idle))
            conn.execute(SESSIONS.insert().values(session_hash=_hash(secret), name=name, csrf=csrf,
                                                  created=now, last_seen=now))
        return secret, StaffSession(name, csrf)

    def claim_step(self, name: str, step: int) -> bool:
        """Record that `name` signed in with TOTP step `step`; False if that step, or a
        later one, was used before (a code seen over someone's shoulder works no more)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(TOTP_STEPS.c.step).where(TOTP_STEPS.c.name == name)).first()
            if row is not None and row.step >= step:
                return False
            if row is None:
                conn.execute(TOTP_STEPS.insert().values(name=name, step=step))
            else:  # only if still older: of two sign-ins at once, one wins
                changed = conn.execute(update(TOTP_STEPS).where(TOTP_STEPS.c.name == name,
                                                                TOTP_STEPS.c.step < step).values(step=step))
                return changed.rowcount == 1
        return True

    def find(self, secret: str | None, now: datetime | None = None) -> StaffSession | None:
        """The session of this cookie secret if it was used within the idle time (and
        touch it); None otherwise (an expired one is removed)."""
        if not secret:
            return None
        now = now or datetime.now(timezone.utc)
        key = _hash(secret)
        with self.engine.begin() as conn:
            row = conn.execute(select(SESSIONS).where(SESSIONS.c.session_hash == key)).first()
            if row is None:
                return None
            last_seen = row.last_seen if row.last_seen.tzinfo else row.last_seen.replace(tzinfo=timezone.utc)
            if now - last_seen > self.idle:
                conn.execute(delete(SESSIONS).where(SESSIONS.c.session_hash == key))
                return None
            conn.execute(update(SESSIONS).where(SESSIONS.c.session_hash == key).values(last_seen=now))
            return StaffSession(row.name, row.csrf)

    def end(self, secret: str | None) -> None:
        if secret:
            with self.engine.begin() as conn:
                conn.execute(delete(SESSIONS).where(SESSIONS.c.session_hash == _hash(secret)))

    def end_all(self, name: str) -> None:
        """Every session of an account (a disabled account, a new password)."""
        with self.engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.name == name))
