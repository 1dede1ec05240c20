"""Which store: a command that only reads never makes a new, empty store (running hhb from
another folder used to make one silently), and says where it looked; a PostgreSQL schema
that does not exist yet is made by a command that writes, and a database that cannot be
reached is one plain line."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from adapters.cli import app as cli
from tests.conftest import POSTGRES_URL, empty_store

runner = CliRunner()

READ_COMMANDS = [["left", "HHB-2026-0001"], ["signals"], ["report"], ["balance"], ["households"],
                 ["projections", "status"], ["debts", "list"], ["teams", "list"], ["unmatched"],
                 ["payment-files", "list"], ["maatwerk", "list"], ["journal", "--month", "2026-11"]]
SERVER = urlsplit(POSTGRES_URL)
AT = f"at {SERVER.hostname}:{SERVER.port or 5432} as user '{SERVER.username or 'postgres'}'"
ONLY_READS = ("this command only reads and makes no new store; run it where the store is, or name it with "
              "--db or HHB_DATABASE_URL (or HHB_VAR_DIR)")


def plain(output: str) -> str:
    return " ".join(output.split())


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_a_reading_command_in_another_folder_makes_no_store_and_says_where_it_looked(
        tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HHB_VAR_DIR")  # the default: ./var in whatever folder hhb runs in
    result = runner.invoke(cli, command)
    assert result.exit_code == 2
    assert plain(result.output) == f"error: no store at {tmp_path}/var/huishoudboekje.sqlite: {ONLY_READS}"
    assert list(tmp_path.iterdir()) == []


def test_a_reading_command_finds_the_store_a_writing_command_made(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store' / 'events.sqlite'}"
    assert runner.invoke(cli, ["teams", "add", "Wijkteam Noord", "--db", url]).exit_code == 0
    listed = runner.invoke(cli, ["teams", "list", "--db", url, "--json"])
    assert listed.exit_code == 0 and "Wijkteam Noord" in listed.output


@pytest.mark.postgres
def test_a_schema_that_does_not_exist_is_made_by_a_writing_command_and_refused_by_a_reading_one(tmp_path):
    with empty_store("postgres", tmp_path) as existing:
        schema = f"t_{uuid.uuid4().hex[:12]}"  # not made: the URL names a schema that is not there
        url = existing.replace(existing.rsplit("schema=", 1)[1], schema)
        try:
            refused = runner.invoke(cli, ["households", "--db", url])
            assert refused.exit_code == 2
            assert plain(refused.output) == (
                f"error: no store in PostgreSQL database '{SERVER.path.lstrip('/') or 'postgres'}' schema "
                f"'{schema}' {AT} (the schema does not exist): {ONLY_READS}")
            assert runner.invoke(cli, ["teams", "add", "Wijkteam Noord", "--db", url]).exit_code == 0
            listed = runner.invoke(cli, ["teams", "list", "--db", url, "--json"])
            assert listed.exit_code == 0 and "Wijkteam Noord" in listed.output
        finally:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.postgres
def test_a_database_that_cannot_be_reached_is_one_line_naming_it(tmp_path):
    with empty_store("postgres", tmp_path):  # skips where there is no PostgreSQL at all
        url = SERVER._replace(path="/hhb_no_such_database", query="").geturl()
        result = runner.invoke(cli, ["teams", "add", "Wijkteam Noord", "--db", url])
    assert result.exit_code == 2
    assert plain(result.output) == ("error: the database cannot be reached (PostgreSQL database "
                                    f"'hhb_no_such_database' schema 'public' {AT}): "
                                    "database \"hhb_no_such_database\" does not exist")
