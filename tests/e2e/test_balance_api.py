"""GET /balance and GET /journal: for the team lead, finance and the auditor."""

from __future__ import annotations

from tests.e2e.test_api import app, client, problem, settings_env, world  # noqa: F401 - fixtures


def test_the_api_answers_the_balance_check_and_the_journal_for_lead_finance_and_auditor(world):
    for who in ("lead", "finance", "auditor"):
        report = world.ok(who, "GET", "/balance").json()
        assert set(report) >= {"in_order", "accounts", "without_statement", "buffer"}
        assert world.ok(who, "GET", "/journal?month=2026-11").json()["month"] == "2026-11"
    problem(world.call("staff", "GET", "/balance"), 403)
    problem(world.call("lead", "GET", "/journal?month=november"), 422, "month")
    problem(world.call("lead", "GET", "/balance?account=NL91ABNA0417164300"), 422, "account")
