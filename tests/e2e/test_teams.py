"""The team register (issue 16): `hhb teams add/list/update`, onboarding and tokens name a
registered team, a look-alike name is refused, and older stores are taken over.

Stores of the `store_url` fixture have the tests' four teams registered already (conftest).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app as cli
from adapters.documents import read_specs
from adapters.store import open_engine
from huishoudboekje import access, households
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.team import REGISTER_ID
from tests.conftest import ROOT
from tests.factories import MANAGED

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "HHB-2026-0001.yaml"
LOOKALIKE = "Wijkteam N\u043eord"  # a Cyrillic "о" for the first o of Noord


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args):
    return runner.invoke(cli, [*args, "--db", store_url])


def ok(store_url, *args):
    result = hhb(store_url, *args)
    assert result.exit_code == 0, result.output
    return result


def said(result) -> str:
    return " ".join(result.output.split())


def test_teams_are_added_listed_and_updated_as_events(store_url):
    added = json.loads(ok(store_url, "teams", "add", "Wijkteam Overvecht", "--phone", "030 286 12 34",
                          "--email", "overvecht@example.org", "--hours", "ma-vr 9-17").stdout)
    assert added == {"name": "Wijkteam Overvecht", "phone": "030 286 12 34", "email": "overvecht@example.org",
                     "hours": "ma-vr 9-17"}
    ok(store_url, "teams", "update", "Wijkteam Overvecht", "--hours", "ma-do 9-16")
    listed = {t["name"]: t for t in json.loads(ok(store_url, "teams", "list", "--json").stdout)}
    assert listed["Wijkteam Overvecht"]["hours"] == "ma-do 9-16"
    assert listed["Wijkteam Overvecht"]["phone"] == "030 286 12 34"  # what was not given stays
    again = hhb(store_url, "teams", "add", "Wijkteam Overvecht")
    assert again.exit_code == 2 and "registered already" in said(again)
    bad = hhb(store_url, "teams", "add", "Wijkteam Leidsche Rijn", "--email", "not-an-address")
    assert bad.exit_code == 2 and "--email: 'not-an-address' is not an e-mail address" in said(bad)
    unknown = hhb(store_url, "teams", "update", "Wijkteam Nergens", "--hours", "nooit")
    assert unknown.exit_code == 2 and "'Wijkteam Nergens' is not a registered team" in said(unknown)
    engine = open_engine(store_url, Path("var"))
    try:
        names = [type(e).__name__ for e in engine.events.get(REGISTER_ID)]
    finally:
        engine.close()
    assert names[-2:] == ["TeamAdded", "TeamUpdated"]


def test_a_look_alike_team_name_with_a_cyrillic_o_is_refused_and_the_real_one_suggested(store_url, tmp_path):
    document = tmp_path / "lookalike.yaml"
    document.write_text(EXAMPLE.read_text(encoding="utf-8").replace("team: Wijkteam Noord", f"team: {LOOKALIKE}"),
                        encoding="utf-8")
    refused = hhb(store_url, "onboard", str(document))
    assert refused.exit_code == 2
    assert (f"team: '{LOOKALIKE}' is not a registered team; it looks like 'Wijkteam Noord' but has "
            "'\u043e' (U+043E CYRILLIC SMALL LETTER O)") in said(refused)
    assert "did you mean 'Wijkteam Noord'?" in said(refused)
    token = hhb(store_url, "tokens", "issue", "--role", "staff", "--name", "x", "--team", LOOKALIKE)
    assert token.exit_code == 2 and "--team: 'Wijkteam N\u043eord' is not a registered team" in said(token)
    add = hhb(store_url, "teams", "add", LOOKALIKE)
    assert add.exit_code == 2 and "looks like the registered team 'Wijkteam Noord'" in said(add)
    assert json.loads(ok(store_url, "households", "--json").stdout) == []


@pytest.mark.parametrize("name, odd", [("Wijkteam N0ord", "'0' (U+0030 DIGIT ZERO)"),
                                       ("W1jkteam Noord", "'1' (U+0031 DIGIT ONE)"),
                                       ("Wljkteam Noord", "'l' (U+006C LATIN SMALL LETTER L)"),
                                       ("Wijkteam Noord 5", None)])
def test_a_team_name_with_a_digit_for_a_letter_is_refused_as_a_look_alike(store_url, name, odd):
    add = hhb(store_url, "teams", "add", name)
    if odd is None:  # a digit of its own is a name of its own
        assert add.exit_code == 0, said(add)
        return
    assert add.exit_code == 2 and f"team '{name}' looks like the registered team 'Wijkteam Noord' but has {odd}" \
        in said(add)


def test_an_unregistered_team_is_refused_for_onboarding_and_tokens(store_url, tmp_path):
    document = tmp_path / "typo.yaml"
    document.write_text(EXAMPLE.read_text().replace("team: Wijkteam Noord", "team: Wijkteam Noordd"))
    refused = hhb(store_url, "onboard", str(document))
    assert refused.exit_code == 2 and "team: 'Wijkteam Noordd' is not a registered team; did you mean " \
                                      "'Wijkteam Noord'?" in said(refused)
    token = hhb(store_url, "tokens", "issue", "--role", "teamlead", "--name", "t", "--team", "Wijkteam Utrecht")
    assert token.exit_code == 2 and "register it first with hhb teams add" in said(token)
    ok(store_url, "teams", "add", "Wijkteam Utrecht")
    ok(store_url, "tokens", "issue", "--role", "teamlead", "--name", "t", "--team", "Wijkteam Utrecht")


def test_the_team_names_of_an_older_store_are_taken_into_the_register_on_first_use(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = open_engine(url, tmp_path / "var")
    try:  # a store as an earlier version wrote it: teams only as text on households and tokens
        [(_, spec)] = read_specs([EXAMPLE])
        household = households._new_household(spec, "cli")
        engine.add_household(household)
        engine.add_household(Household(dossier="HHB-OLD-2", team="Team Vleuten-De Meern", start=spec.start,
                                        pay_day=1, buffer_limit=spec.buffer_limit,
                                        minimum_leefgeld=spec.minimum_leefgeld, leefgeld_schedule="monthly",
                                        execute_on="pay-date", participants=spec.participants, account=None,
                                        actor="cli"))
        credential = access.Credential(secret_hash=access.hash_secret("hhbt_old"), role="staff", name="s",
                                       team="Wijkteam Oud-West", dossier=None, expires=None,
                                       issued=datetime(2026, 1, 5, tzinfo=timezone.utc), actor="cli")
        engine.save(credential, access._log(engine).trigger_event(credential_id=credential.id, role="staff"))
        assert engine.get_or_none(REGISTER_ID) is None
    finally:
        engine.close()
    listed = [t["name"] for t in json.loads(ok(url, "teams", "list", "--json").stdout)]
    assert listed == ["Team Vleuten-De Meern", "Wijkteam Noord", "Wijkteam Oud-West"]
    ok(url, "onboard", str(EXAMPLE))  # its own team is registered now: unchanged, not refused
    engine = open_engine(url, tmp_path / "var")
    try:
        [opened] = engine.events.get(REGISTER_ID)
        assert type(opened).__name__ == "Opened" and opened.actor == "upgrade"
    finally:
        engine.close()


def test_the_demo_registers_its_teams_before_onboarding(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    ok(url, "demo")
    listed = {t["name"]: t for t in json.loads(ok(url, "teams", "list", "--json").stdout)}
    assert set(listed) == {"Wijkteam Noord", "Wijkteam Zuid"} and listed["Wijkteam Noord"]["phone"]
    ok(url, "demo")  # twice: nothing to add
