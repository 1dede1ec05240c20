"""The access log: who read which household's data, when, and through what.

One append-only table (`hhb_access_log`) beside the event store, in the same SQLite
file or PostgreSQL schema, declared with SQLAlchemy as the read models are. The app
only ever inserts and selects; triggers in the database refuse an UPDATE or DELETE,
so a row cannot be changed by a mistake in the app either. It is not a projection: a
rebuild of the read models leaves it alone, and it cannot be rebuilt from the events.

Reads by a person are logged (CLI commands given `--actor`, the staff API with the
caller's token); the participant's own page is not logged per view, but creating and
revoking a participant's link are (`LINK_CREATED`, `LINK_REVOKED`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from huishoudboekje import access
from huishoudboekje.domain.access import PARTICIPANT
from huishoudboekje.engine import Engine

TABLE = "hhb_access_log"
LINK_CREATED = "link created"
LINK_REVOKED = "link revoked"
CREATE_LOCK = 7_311_024  # pg_advisory_xact_lock key while the table and its trigger are created

_METADATA = MetaData()
_ACCESS_LOG = Table(
    TABLE, _METADATA,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),  # UTC, ISO 8601
    Column("actor", Text, nullable=False),
    Column("dossier", Text, nullable=False),
    Column("action", Text, nullable=False),  # the command or route
    Index("hhb_access_log_dossier", "dossier", "at"),
    Index("hhb_access_log_actor", "actor", "at"))

_SQLITE_GUARDS = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END"
    for verb in ("UPDATE", "DELETE")]
_POSTGRES_GUARD = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_append_only'
                 AND tgrelid = '{qualified}'::regclass) THEN
    CREATE FUNCTION {prefix}{table}_refuse() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN RAISE EXCEPTION 'the access log is append-only'; END $f$;
    CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {qualified}
      FOR EACH ROW EXECUTE FUNCTION {prefix}{table}_refuse();
  END IF;
END $$"""


@dataclass(frozen=True)
class Entry:
    at: str
    actor: str
    dossier: str
    action: str

    def as_dict(self) -> dict[str, str]:
        return {"at": self.at, "actor": self.actor, "dossier": self.dossier, "action": self.action}


class AccessLog:
    """Appends entries and reads them back; opened on an engine's own database."""

    def __init__(self, engine: Engine) -> None:
        self.datastore: Any = engine.factory.datastore  # type: ignore[attr-defined]
        schema = getattr(self.datastore, "schema", None)
        self.postgres = engine.env.get("PERSISTENCE_MODULE") in ("adapters.pgstore", "eventsourcing.postgres")
        self.prefix = f"{schema}." if self.postgres and schema else ""
        self._ready = False
        self._lock = threading.Lock()

    # -- writing ------------------------------------------------------------------------

    def record(self, actor: str, dossiers: Iterable[str], action: str, at: datetime | None = None) -> int:
        """One entry per household read (a list logs each household it shows)."""
        moment = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
        rows = [{"at": moment, "actor": actor, "dossier": d, "action": action} for d in dict.fromkeys(dossiers)]
        if not rows:
            return 0
        with self._transaction(commit=True) as cursor:
            cursor.executemany(self._sql(f"INSERT INTO {{t}}{TABLE} (at, actor, dossier, action) "
                                         "VALUES (:at, :actor, :dossier, :action)"), rows)
        return len(rows)

    def append(self, entries: Iterable[Entry]) -> int:
        """Entries as they were, in their order (a store migrated, `hhb privacy migrate`)."""
        rows = [e.as_dict() for e in entries]
        if rows:
            with self._transaction(commit=True) as cursor:
                cursor.executemany(self._sql(f"INSERT INTO {{t}}{TABLE} (at, actor, dossier, action) "
                                             "VALUES (:at, :actor, :dossier, :action)"), rows)
        return len(rows)

    # -- reading ------------------------------------------------------------------------

    def entries(self, dossier: str | None = None, actor: str | None = None,
                since: datetime | None = None) -> list[Entry]:
        """Oldest first; `since`: entries at or after that moment (UTC)."""
        where, params = [], {}
        if dossier is not None:
            where.append("dossier = :dossier")
            params["dossier"] = dossier
        if actor is not None:
            where.append("actor = :actor")
            params["actor"] = actor
        if since is not None:
            where.append("at >= :since")
            params["since"] = since.astimezone(timezone.utc).isoformat(timespec="seconds")
        query = f"SELECT at, actor, dossier, action FROM {{t}}{TABLE}"
        if where:
            query += " WHERE " + " AND ".join(where)
        with self._transaction(commit=False) as cursor:
            cursor.execute(self._sql(query + " ORDER BY entry_id"), params)
            return [Entry(**{k: row[k] for k in ("at", "actor", "dossier", "action")}) for row in cursor.fetchall()]

    # -- the table ----------------------------------------------------------------------

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[Any]:
        self._create()
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _sql(self, text: str) -> str:
        text = text.replace("{t}", self.prefix)
        return re.sub(r"(?<!:):(\w+)", r"%(\1)s", text) if self.postgres else text

    def _create(self) -> None:
        with self._lock:
            if self._ready:
                return
            with self.datastore.transaction(commit=True) as cursor:
                if self.postgres:  # two processes starting together would collide in the catalog
                    cursor.execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": CREATE_LOCK})
                for statement in self._ddl():
                    cursor.execute(statement)
            self._ready = True

    def _ddl(self) -> list[str]:
        if not self.postgres:
            return [*_compiled(sqlite.dialect(), None), *_SQLITE_GUARDS]
        schema = self.prefix.rstrip(".") or None
        qualified = f"{self.prefix}{TABLE}"
        return [*_compiled(postgresql.dialect(), schema),
                _POSTGRES_GUARD.format(table=TABLE, qualified=qualified, prefix=self.prefix)]


def links(engine: Engine) -> dict[str, tuple[str, bool]]:
    """Every participant's link: short id -> (dossier, revoked)."""
    return {c.short_id: (c.dossier or "", c.revoked is not None)
            for c in access.credentials(engine) if c.role == PARTICIPANT}


def log_link_changes(log: AccessLog, actor: str, before: dict[str, tuple[str, bool]],
                     after: dict[str, tuple[str, bool]]) -> None:
    """Log the links created and revoked between two looks (`links`)."""
    for short_id, (dossier, revoked) in after.items():
        if short_id not in before:
            log.record(actor, [dossier], f"{LINK_CREATED} {short_id}")
        if revoked and not before.get(short_id, ("", False))[1]:
            log.record(actor, [dossier], f"{LINK_REVOKED} {short_id}")


def _compiled(dialect: Any, schema: str | None) -> list[str]:
    table = _ACCESS_LOG.to_metadata(MetaData(), schema=schema) if schema else _ACCESS_LOG
    return [str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)).strip(),
            *(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)).strip()
              for index in sorted(table.indexes, key=lambda i: i.name or ""))]
