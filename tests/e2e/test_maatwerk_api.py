"""Maatwerk over the API (`/api/v1/maatwerk`): roles, team scoping, the actor's account."""

from __future__ import annotations

from huishoudboekje import users
from tests.e2e.test_api import NOORD, ZUID, app, client, problem, settings_env, world  # noqa: F401 - fixtures
from tests.e2e.test_parity import PROPOSAL


def _accounts(world):
    for name, discipline, team in (("j.devries", "zorg", NOORD), ("b.schuld", "schuldhulp", NOORD),
                                   ("c.inkomen", "inkomen", NOORD), ("m.bakker", "inkomen", ZUID)):
        users.add(world.engine, name=name, email=f"{name}@example.nl", role="staff", team=team,
                  discipline=discipline, actor="test")
    world.headers["schuld"] = world.token("staff", "b.schuld", team=NOORD)
    world.headers["inkomen"] = world.token("staff", "c.inkomen", team=NOORD)
    world.headers["mismatch"] = world.token("staff", "c.inkomen", team=ZUID)


def test_three_approvals_over_the_api_pay_and_other_teams_see_nothing(world, tmp_path):
    _accounts(world)
    assert world.call("auditor", "POST", "/maatwerk", json=PROPOSAL).status_code == 403
    created = world.ok("staff", "POST", "/maatwerk", json=PROPOSAL)
    assert created.status_code == 201 and created.json() == {"case": "MW-2026-0001", "status": "proposed"}
    problem(world.call("other", "POST", "/maatwerk", json=PROPOSAL), 422, "team")
    world.ok("staff", "POST", "/maatwerk/MW-2026-0001/approve", json={})
    problem(world.call("staff", "POST", "/maatwerk/MW-2026-0001/approve", json={}), 422, "actor")
    problem(world.call("mismatch", "POST", "/maatwerk/MW-2026-0001/approve", json={}), 403, "actor")
    problem(world.call("other", "GET", "/maatwerk/MW-2026-0001"), 404, "case")
    assert world.ok("other", "GET", "/maatwerk").json() == []
    world.ok("schuld", "POST", "/maatwerk/MW-2026-0001/approve", json={})
    paid = world.ok("inkomen", "POST", "/maatwerk/MW-2026-0001/approve", json={}).json()
    assert paid["status"] == "paid" and paid["payment_file"].endswith("HHBMW20260001.xml")
    assert (tmp_path / "var" / "payments" / paid["payment_file"]).is_file()
    case = world.ok("auditor", "GET", "/maatwerk/MW-2026-0001").json()
    assert [a["by"] for a in case["approvals"]] == ["j.devries", "b.schuld", "c.inkomen"]
    assert [a["discipline"] for a in case["approvals"]] == ["zorg", "schuldhulp", "inkomen"]
    [noord] = world.ok("lead", "GET", "/maatwerk/report").json()["teams"]
    assert noord["team"] == NOORD and noord["spent"] == "450.00" and noord["avoided"] == "6000.00"
    problem(world.call("staff", "POST", "/maatwerk/MW-2026-0001/follow-up", json={"outcome": "beter"}), 422)
    followed = world.ok("staff", "POST", "/maatwerk/MW-2026-0001/follow-up",
                        json={"outcome": "same", "note": "Nog onrustig"}).json()
    assert followed["follow_up"]["outcome"] == "same" and followed["follow_up"]["by"] == "staff:j.devries"
