"""The engine's own signals (`Controls`): listed with no dossier for teamleads, finance and
auditors (not for staff), resolved by a teamlead or finance, in the CLI and the API alike."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

from typer.testing import CliRunner

from adapters.cli import app as cli
from huishoudboekje import controls
from huishoudboekje.domain.signals import CRITICAL
from tests.e2e.test_api import A, app, client, problem, settings_env, world  # noqa: F401 - fixtures

KEY = "balance-difference:NL39BNGH0285009999:2026-12-01"
runner = CliRunner()


def raise_one(world):
    controls.raise_signal(world.engine, "balance-difference", KEY, CRITICAL, {"amount": "12.34"}, date(2026, 12, 1))
    world.client.app.state.context.services.catch_up()


def ids(world, who, query=""):
    return {s["id"] for s in world.ok(who, "GET", f"/signals{query}").json()}


def test_a_control_signal_is_seen_by_teamleads_finance_and_auditors_not_by_staff(world, store_url):
    raise_one(world)
    [row] = [s for s in world.ok("auditor", "GET", "/signals").json() if s["id"] == KEY]
    assert (row["dossier"], row["team"], row["rule"], row["severity"], row["amount"], row["status"]) == \
        (None, None, "balance-difference", CRITICAL, "12.34", "open")
    assert KEY in ids(world, "lead") and KEY not in ids(world, "staff")
    assert ids(world, "finance") == {KEY}  # finance: the engine's own signals only
    assert KEY not in ids(world, "lead", f"?dossier={quote(A, safe='')}")  # a dossier has none of them
    listed = runner.invoke(cli, ["signals", "--json", "--db", store_url])
    assert KEY in {s["id"] for s in json.loads(listed.stdout)}


def test_a_teamlead_or_finance_resolves_it_staff_cannot_and_finance_cannot_touch_a_households(world, store_url):
    raise_one(world)
    path = f"/signals/{quote(KEY, safe='')}/resolve"
    problem(world.call("staff", "POST", path, json={"note": "x"}), 404, "signal")
    problem(world.call("finance", "POST", f"/signals/{quote(world.signal, safe='')}/resolve"), 404, "signal")
    problem(world.call("lead", "POST", f"/signals/{quote(KEY, safe='')}/acknowledge"), 422, "signal")
    assert world.ok("finance", "POST", path, json={"note": "bankkosten geboekt"}).json() == \
        {"signal": KEY, "status": "resolved"}
    [row] = [s for s in world.ok("lead", "GET", "/signals?status=resolved").json() if s["id"] == KEY]
    assert row["history"][-1]["by"] == "finance:f.inance" and row["history"][-1]["note"] == "bankkosten geboekt"


def test_the_cli_resolves_a_control_signal_by_its_key(world, store_url):
    raise_one(world)
    result = runner.invoke(cli, ["signals", "resolve", KEY, "--note", "verklaard", "--actor", "t.lead",
                                 "--db", store_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"signal": KEY, "status": "resolved"}
    unknown = runner.invoke(cli, ["signals", "resolve", "balance-difference:nope", "--db", store_url])
    assert unknown.exit_code == 3 and "no signal balance-difference:nope" in unknown.stderr
