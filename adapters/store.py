"""Where the events live: a SQLite file by default, PostgreSQL given a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.engine import Engine
from huishoudboekje.retry import retrying


class StoreError(DomainError):
    """A database URL we cannot use."""


def persistence_env(url: str | None, var_dir: Path = Path("var"), write_timeout: int = 120,
                    lock_timeout: int = 60, create: bool = True) -> dict[str, str]:
    """The eventsourcing settings for a database URL (None: the embedded default).

    `write_timeout` and `lock_timeout` (seconds, PostgreSQL): how long one write may take,
    and how long it waits for another writer, before it fails having written nothing.
    """
    if not url:
        if create:
            var_dir.mkdir(parents=True, exist_ok=True)
        return _sqlite(str(var_dir / "huishoudboekje.sqlite"))
    parsed = urlparse(url)
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return _postgres(parsed, write_timeout, lock_timeout)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if parsed.netloc:  # sqlite://relative/path
            path = parsed.netloc + path
        elif path.startswith("//"):
            path = path[1:]
        elif path.startswith("/"):  # sqlite:///relative (three slashes)
            path = path[1:]
        if not path.strip():
            raise StoreError(f"database URL: '{url}' names no file (sqlite:///FILE)")
        if create:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite(path)
    raise StoreError(f"database URL: '{parsed.scheme}' is not supported (sqlite:///FILE or postgresql://)")


def _sqlite(path: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def _postgres(parsed, write_timeout: int, lock_timeout: int) -> dict[str, str]:
    env = {
        # The library's PostgreSQL store, writing events in bounded statements (see there).
        "PERSISTENCE_MODULE": "adapters.pgstore",
        "POSTGRES_WRITE_TIMEOUT": str(write_timeout),
        "POSTGRES_LOCK_TIMEOUT": str(lock_timeout),
        "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }
    for part in (parsed.query or "").split("&"):
        if part.startswith("schema="):
            env["POSTGRES_SCHEMA"] = part.split("=", 1)[1]
    return env


def open_engine(url: str | None, var_dir: Path = Path("var"), write_timeout: int = 120,
                lock_timeout: int = 60, create: bool = True) -> Engine:
    """The store at `url`; with `create` False (commands that only read) a store that is
    not there yet is refused, naming where it was looked for, instead of made empty."""
    env = persistence_env(url, var_dir, write_timeout, lock_timeout, create)
    if env["PERSISTENCE_MODULE"] != "adapters.pgstore":
        path = Path(env["SQLITE_DBNAME"])
        if not create and not path.is_file():
            raise StoreError(f"no store at {path.resolve()}: {ONLY_READS}")
        return Engine(env=env)
    state = postgres_state(env)
    if state == NO_SCHEMA and create:
        _create_schema(env)
    elif state in (NO_TABLES, NO_SCHEMA) and not create:
        raise StoreError(f"no store in {describe(env)}"
                         f"{' (the schema does not exist)' if state == NO_SCHEMA else ''}: {ONLY_READS}")
    if state == READY:
        # PostgreSQL refuses concurrent CREATE OR REPLACE of the library's functions
        # ("tuple concurrently updated"); once the tables exist, leave them be.
        env["CREATE_TABLE"] = "n"
    # only the known race is retried
    return retrying(lambda: Engine(env=env), attempts=5, on=(Exception,),
                    when=lambda exc: "concurrently updated" in str(exc))


ONLY_READS = ("this command only reads and makes no new store; run it where the store is, or name it "
              "with --db or HHB_DATABASE_URL (or HHB_VAR_DIR)")
READY, EVENTS_ONLY, NO_TABLES, NO_SCHEMA = "ready", "events only", "no tables", "no schema"


def describe(env: dict[str, str]) -> str:
    """Where a store is, in words a person can check (never the password)."""
    if env["PERSISTENCE_MODULE"] != "adapters.pgstore":
        return f"the SQLite file {Path(env['SQLITE_DBNAME']).resolve()}"
    schema = env.get("POSTGRES_SCHEMA") or "public"
    return (f"PostgreSQL database '{env['POSTGRES_DBNAME']}' schema '{schema}' at "
            f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']} as user '{env['POSTGRES_USER']}'")


def _connect(env: dict[str, str]):
    import psycopg

    try:
        return psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                               user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None,
                               connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT") or 10), autocommit=True)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or ["no reason given"])[0]
        reason = first.rsplit("failed: ", 1)[-1].replace("FATAL:", "").strip()
        raise StoreError(f"the database cannot be reached ({describe(env)}): {reason}") from None


def postgres_state(env: dict[str, str]) -> str:
    """READY (all the store's tables are there), EVENTS_ONLY (the events, no read models
    yet), NO_TABLES or NO_SCHEMA; a database that
    cannot be reached is a StoreError in one line."""
    schema = env.get("POSTGRES_SCHEMA") or "public"
    names = [f"{schema}.{Engine.name.lower()}_events", f"{schema}.{Engine.name.lower()}_tracking",
             f"{schema}.hhb_households", f"{schema}.hhb_signals"]
    with _connect(env) as conn:
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is None:
            return NO_SCHEMA
        found = conn.execute("SELECT " + ", ".join(["to_regclass(%s)"] * len(names)), names).fetchone()
    if found is not None and all(found):
        return READY
    return EVENTS_ONLY if found is not None and found[0] else NO_TABLES


def _create_schema(env: dict[str, str]) -> None:
    import psycopg
    from psycopg.sql import SQL, Identifier

    schema = env.get("POSTGRES_SCHEMA") or "public"
    with _connect(env) as conn:
        try:
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(schema)))
        except psycopg.errors.UniqueViolation:
            pass  # another process made it at the same moment
        except psycopg.Error as exc:
            reason = (str(exc).strip().splitlines() or [""])[0]
            raise StoreError(f"the schema '{schema}' does not exist and cannot be made ({describe(env)}): "
                             f"{reason}") from None
