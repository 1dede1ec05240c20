"""The CLI and the API answer the same question with the same fields (issue 17).

Both call one `Services` object (`adapters/bootstrap.py`); this test holds them to it:
for every read command the CLI's `--json` output equals the API's answer, on SQLite
and on PostgreSQL. A field added to one and not the other fails here.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from adapters.cli import app as cli
from huishoudboekje import users
from tests.e2e.test_api import A, NOORD, app, client, settings_env, world  # noqa: F401 - fixtures

runner = CliRunner()
D = quote(A, safe="")

# (the CLI's command, the API's path and who asks): one row per read command
READS = [
    (["households"], "/households", "auditor"),
    (["households", "--team", NOORD], "/households", "staff"),
    (["show", A], f"/households/{D}", "auditor"),
    (["history", A], f"/households/{D}/history", "auditor"),
    (["history", A, "--as-of", "2026-12-15"], f"/households/{D}/history?as_of=2026-12-15", "auditor"),
    (["left", A, "--date", "2026-12-15"], f"/households/{D}/left?date=2026-12-15", "auditor"),
    (["signals"], "/signals", "auditor"),
    (["signals", "--dossier", A, "--status", "open"], f"/signals?dossier={D}&status=open", "auditor"),
    (["unmatched"], "/unmatched", "auditor"),
    (["teams", "list"], "/teams", "auditor"),
    (["report"], "/reports", "auditor"),
    (["report", "--team", NOORD, "--month", "2026-11"], "/reports?month=2026-11", "lead"),
    (["payment-files"], "/payment-files", "job"),
    (["payment-files", "list", "--state", "pending"], "/payment-files?state=pending", "finance"),
    (["balance"], "/balance", "auditor"),
    (["journal", "--month", "2026-11"], "/journal?month=2026-11", "auditor"),
    (["notices", "show", A], f"/households/{D}/notices", "auditor"),
    (["maatwerk", "list"], "/maatwerk", "auditor"),
    (["maatwerk", "list", "--team", NOORD], "/maatwerk", "staff"),
    (["maatwerk", "show", "MW-2026-0001"], "/maatwerk/MW-2026-0001", "auditor"),
    (["maatwerk", "report"], "/maatwerk/report", "auditor"),
    (["debts", "list", A], f"/households/{D}/debts", "auditor"),
    (["debts", "list"], "/debts", "auditor"),
    (["debts", "list", "--team", NOORD], "/debts", "staff"),
    (["arrangements", "list", A], f"/households/{D}/arrangements", "auditor"),
]
PROPOSAL = {"team": NOORD, "dossier": A, "creditor": {"name": "Advocatenkantoor Jansen", "iban": "NL91ABNA0417164300"},
            "amount": "450.00", "reference": "Factuur 2027-118", "category": "wonen",
            "problem": "De scheiding kan niet worden afgerond.", "prevents": ["huisuitzetting"],
            "participant_actions": "Meldt zich bij de schuldhulp.", "regular_provision_checked": True}

DEBT = {"creditor": "Woonstad Rotterdam", "iban": "NL91ABNA0417164300", "amount": "1500.00", "since": "2025-10-01",
        "kind": "huur", "reference": "HUUR-2025-77"}


@pytest.fixture
def with_case(world):
    """A maatwerk case, proposed and approved once over the API by the staff token's own account."""
    users.add(world.engine, name="j.devries", email="j.devries@example.nl", role="staff", team=NOORD,
              discipline="zorg", actor="test")
    assert world.ok("staff", "POST", "/maatwerk", json=PROPOSAL).json() == {"case": "MW-2026-0001",
                                                                             "status": "proposed"}
    assert world.ok("staff", "POST", "/maatwerk/MW-2026-0001/approve", json={}).json()["approvals"] == 1
    assert world.ok("staff", "POST", f"/households/{D}/debts", json=DEBT).json()["debt"] == f"{A}:S1"
    assert world.ok("staff", "POST", f"/households/{D}/debts/S1/arrangements",
                    json={"monthly": "72.00", "from": "2026-12-01"}).json()["arrangement"] == f"{A}:R1"
    return world


def cli_json(store_url: str, args: list[str]):
    result = runner.invoke(cli, [*args, "--json", "--db", store_url])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("command, path, who", READS, ids=[" ".join(r[0]) for r in READS])
def test_the_cli_and_the_api_give_the_same_answer(with_case, store_url, command, path, who):
    world = with_case
    from_api = world.ok(who, "GET", path).json()
    from_cli = cli_json(store_url, command)
    assert from_cli, "an empty answer would compare equal without showing anything"
    assert from_cli == from_api


def test_the_overview_is_the_same_page(world, store_url):
    result = runner.invoke(cli, ["overview", A, "--month", "2026-12", "--db", store_url])
    assert result.exit_code == 0, result.output
    page = world.ok("auditor", "GET", f"/households/{D}/overview?month=2026-12").text
    assert "<html" in page and result.stdout == page


def test_every_read_the_api_offers_is_compared(app):
    """A new GET under /api/v1 needs its CLI command and a row in READS (or a reason here)."""
    gets = {path.removeprefix("/api/v1") for path, operations in app.openapi()["paths"].items()
            if "get" in operations and path.startswith("/api/v1")}
    compared = {path.split("?")[0].replace(D, "{dossier}").replace("MW-2026-0001", "{case}") for _, path, _ in READS}
    elsewhere = {
        "/households/{dossier}/overview",  # HTML: test_the_overview_is_the_same_page
        "/payment-files/{name}",  # the file itself: the CLI writes it to disk (HHB_VAR_DIR)
        "/payment-files/{name}/review",  # test_a_payment_files_review_is_the_same_in_the_cli_and_the_api
        "/me/left", "/me/overview",  # a participant's own household: the same services as /households/…
        # each logs its own read, so the two answers differ in `access_log`; and the log grows with
        # every read here: both compared in test_privacy.py (test_the_cli_and_the_api_answer_alike)
        "/households/{dossier}/subject-access", "/access-log",
        "/signals/queue",  # empty here; compared with the CLI in test_creditor_reports.py
    }
    assert gets - compared - elsewhere == set()


def test_a_payment_files_review_is_the_same_in_the_cli_and_the_api(world, store_url):
    from_api = world.ok("finance", "GET", f"/payment-files/{world.file}/review").json()
    assert from_api["creditors"] and cli_json(store_url, ["payment-files", "show", world.file]) == from_api


def test_the_teams_contact_card_is_the_same_in_the_cli_and_the_api(world, store_url):
    runner.invoke(cli, ["teams", "update", NOORD, "--phone", "030 286 12 34", "--email", "noord@example.nl",
                        "--hours", "ma–vr 9.00–17.00", "--db", store_url])
    from_api = world.ok("auditor", "GET", "/teams").json()
    assert cli_json(store_url, ["teams", "list"]) == from_api
    assert {"name": NOORD, "phone": "030 286 12 34", "email": "noord@example.nl",
            "hours": "ma–vr 9.00–17.00"} in from_api
