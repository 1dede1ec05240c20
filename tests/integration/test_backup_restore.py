"""A backup is only as good as its restore: a store dumped with pg_dump and restored into
a fresh database loads with the same money (README, "Running it in production")."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import date
from urllib.parse import urlsplit

import psycopg
import pytest
from typer.testing import CliRunner

from adapters.bootstrap import bootstrap
from adapters.cli import app as cli
from huishoudboekje.config import Settings
from tests.conftest import POSTGRES_URL, ROOT, empty_store, register_teams
from tests.e2e.test_api import STATEMENT
from tests.factories import MANAGED

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                                 reason="pg_dump/pg_restore are not on this machine")]
runner = CliRunner()


def money(url: str) -> dict:
    """Everything a person would compare: each household's month, the read models as a
    rebuild makes them, and the balance check."""
    svc = bootstrap(url, Settings())
    try:
        svc.projections.rebuild()
        left = {row["dossier"]: svc.left(svc.household(row["dossier"]), date(2026, 12, 2))
                for row in svc.households()}
        return {"left": left, "views": svc.projections.view.dump(), "balance": svc.balance(on=date(2026, 12, 1))}
    finally:
        svc.engine.close()


def test_a_pg_dump_restored_into_a_fresh_database_loads_with_the_same_money(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    with empty_store("postgres", tmp_path) as url:
        register_teams(url, tmp_path)
        (tmp_path / "nov.xml").write_bytes(STATEMENT if isinstance(STATEMENT, bytes) else STATEMENT.encode())
        for args in (["onboard", str(ROOT / "examples" / "HHB-2026-0001.yaml")], ["import", str(tmp_path / "nov.xml")],
                     ["reconcile", "--date", "2026-12-01"]):
            result = runner.invoke(cli, [*args, "--db", url])
            assert result.exit_code == 0, result.output
        schema = url.rsplit("schema=", 1)[1]
        server = urlsplit(POSTGRES_URL)._replace(query="")
        dump = tmp_path / "store.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}", server.geturl()],
                       check=True, timeout=300)
        database = f"hhb_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL.split("?")[0], autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database}")
        try:
            fresh = server._replace(path=f"/{database}").geturl()
            subprocess.run(["pg_restore", "--no-owner", f"--dbname={fresh}", str(dump)], check=True, timeout=300)
            original, restored = money(url), money(f"{fresh}?schema={schema}")
            assert original["left"] and original["balance"]
            assert restored == original
        finally:
            with psycopg.connect(POSTGRES_URL.split("?")[0], autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
