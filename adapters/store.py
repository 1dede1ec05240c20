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
                    lock_timeout: int = 60) -> dict[str, str]:
    """The eventsourcing settings for a database URL (None: the embedded default).

    `write_timeout` and `lock_timeout` (seconds, PostgreSQL): how long one write may take,
    and how long it waits for another writer, before it fails having written nothing.
    """
    if not url:
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
                lock_timeout: int = 60) -> Engine:
    env = persistence_env(url, var_dir, write_timeout, lock_timeout)
    if env["PERSISTENCE_MODULE"] != "adapters.pgstore":
        return Engine(env=env)
    if _postgres_tables_exist(env):
        # PostgreSQL refuses concurrent CREATE OR REPLACE of the library's functions
        # ("tuple concurrently updated"); once the tables exist, leave them be.
        env["CREATE_TABLE"] = "n"
    # only the known race is retried
    return retrying(lambda: Engine(env=env), attempts=5, on=(Exception,),
                    when=lambda exc: "concurrently updated" in str(exc))


def _postgres_tables_exist(env: dict[str, str]) -> bool:
    import psycopg

    schema = env.get("POSTGRES_SCHEMA") or "public"
    names = [f"{schema}.{Engine.name.lower()}_events", f"{schema}.{Engine.name.lower()}_tracking",
             f"{schema}.hhb_households", f"{schema}.hhb_signals"]
    try:
        with psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                             user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None,
                             connect_timeout=10) as conn:
            found = conn.execute("SELECT " + ", ".join(["to_regclass(%s)"] * len(names)), names).fetchone()
    except psycopg.Error:
        return False  # let the library connect and report what is wrong
    return found is not None and all(found)
