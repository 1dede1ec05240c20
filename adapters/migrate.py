"""`hhb privacy migrate`: a store copied into a new, empty one, every event written anew
by today's mapper (huishoudboekje/migration.py), the access log copied beside it, the
read models built from the copied events, and every household compared with the old."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from huishoudboekje.config import Settings
from huishoudboekje.migration import MigrationError, compare, copy_events

from .store import describe, open_engine, persistence_env

Progress = Callable[[str, int, int], None]


def where(env: dict[str, str]) -> tuple[str, ...]:
    """What makes two URLs the same store: the file, or the database and schema."""
    if env["PERSISTENCE_MODULE"] != "adapters.pgstore":
        return ("sqlite", str(Path(env["SQLITE_DBNAME"]).resolve()))
    host = env["POSTGRES_HOST"].replace("localhost", "127.0.0.1")
    return ("postgres", host, env["POSTGRES_PORT"], env["POSTGRES_DBNAME"], env.get("POSTGRES_SCHEMA") or "public")


def migrate(old_url: str | None, new_url: str, settings: Settings,
            progress: Progress | None = None) -> dict[str, Any]:
    """Copy the store at `old_url` (None: the configured one) into the empty store at
    `new_url`; refused, with nothing written, when the new store is the old one or holds
    events. The answer says what was copied and where the two stores differ (nowhere,
    when `same` is true)."""
    old_url = old_url or settings.database_url
    old_env = persistence_env(old_url, settings.var_dir, create=False)
    new_env = persistence_env(new_url, settings.var_dir, create=False)
    if where(old_env) == where(new_env):
        raise MigrationError(f"--to: that is the store being migrated ({describe(old_env)}); "
                             "name a new, empty store")
    old = open_engine(old_url, settings.var_dir, settings.db_write_timeout, settings.db_lock_timeout, create=False)
    try:
        if not old.event_count():
            raise MigrationError(f"--db: the store to migrate holds no events ({describe(old_env)})")
        new = open_engine(new_url, settings.var_dir, settings.db_write_timeout, settings.db_lock_timeout)
        try:
            return _migrate(old, new, old_env, new_env, progress)
        finally:
            new.close()
    finally:
        old.close()


def _migrate(old: Any, new: Any, old_env: dict[str, str], new_env: dict[str, str],
             progress: Progress | None) -> dict[str, Any]:
    from huishoudboekje.projections.views import Projections

    from .access_log import AccessLog

    copied = copy_events(old, new, progress=(lambda done, of: progress("events", done, of)) if progress else None)
    erased = destroyed_owners(old)
    for owner in erased:  # what was erased stays erased: its "[verwijderd]" was sealed anew with a new key
        new.keyring.destroy(UUID(owner))
    entries = access_log_entries(old)
    AccessLog(new).append(entries)
    Projections(new).catch_up(progress=(lambda done, of: progress("read models", done, of)) if progress else None)
    checked = compare(old, new, copied)
    same = not checked["different"] and not checked["aggregates_different"]
    return {"from": describe(old_env), "to": describe(new_env), "events": copied.events,
            "access_log_entries": len(entries), "erased": len(erased), **checked, "same": same}


def destroyed_owners(engine: Any) -> list[str]:
    """The owners (hex) whose key the store destroyed: the households erased in it. Read
    from the key table itself (`personal_data.TABLE`); none in a store older than it."""
    from huishoudboekje.personal_data import TABLE

    table = _table(engine, TABLE)
    if table is None:
        return []
    with engine.factory.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT owner FROM {table} WHERE destroyed_at IS NOT NULL ORDER BY owner")
        return [r["owner"] for r in cursor.fetchall()]


def access_log_entries(engine: Any) -> list[Any]:
    """The old store's access log, oldest first; none (and no table made in the old
    store) when it has none yet."""
    from .access_log import TABLE, AccessLog

    return AccessLog(engine).entries() if _table(engine, TABLE) else []


def _table(engine: Any, name: str) -> str | None:
    """The table's name as SQL (with the schema on PostgreSQL) if the store has it."""
    datastore = engine.factory.datastore
    postgres = "pgstore" in engine.env.get("PERSISTENCE_MODULE", "")
    schema = getattr(datastore, "schema", None) if postgres else None
    table = f"{schema}.{name}" if schema else name
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT to_regclass(%s) AS found" if postgres else
                       "SELECT name AS found FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        row = cursor.fetchone()
    return table if row and row["found"] else None
