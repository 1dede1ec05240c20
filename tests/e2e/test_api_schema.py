"""Fuzzing the API from its own OpenAPI document: no request may make it answer 5xx.

In-process (ASGI transport, no network), SQLite only, a bounded number of examples per
operation. Each operation is called with a token of a role that may use it, so the
generated input reaches the handler instead of stopping at the access check.
"""

from __future__ import annotations

from datetime import date

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from adapters.api.app import FailedLogins, create_app  # noqa: E402
from adapters.documents import load_document  # noqa: E402
from huishoudboekje import access, teams  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.factories import MANAGED, Tx, camt053  # noqa: E402

EXAMPLES = 20  # per operation and generation mode: about 20 s in all
ROLE_OF = {"/api/v1/statements": "job", "/api/v1/runs": "job", "/api/v1/payment-files": "job",
           "/api/v1/payment-files/{name}": "job", "/api/v1/payment-files/{name}/review": "finance",
           "/api/v1/payment-files/{name}/release": "finance", "/api/v1/payment-files/{name}/hold": "finance",
           "/api/v1/reports": "teamlead",
           "/api/v1/me/left": "participant", "/api/v1/me/overview": "participant"}


@pytest.fixture
def api(tmp_path, monkeypatch):
    """The app with two households, a statement, a pay run, and a token for each role it needs."""
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    app = create_app(db_url=f"sqlite:///{tmp_path / 'events.sqlite'}")
    app.state.context.failed_logins = FailedLogins(app.state.context.shared, limit=10**9)  # fuzzed tokens must not lock us out
    engine = app.state.context.engine
    teams.add(engine, "Wijkteam Noord", "test")
    tokens = {role: access.issue(engine, role, "fuzz", "test", team="Wijkteam Noord")[0]
              for role in ("staff", "teamlead", "job", "finance")}
    seed(app, tokens)
    tokens["participant"] = access.issue(engine, "participant", "fuzz", "test", dossier="HHB-2026-0001")[0]
    yield app, tokens
    engine.close()


def seed(app, tokens) -> None:
    staff, job = ({"Authorization": f"Bearer {tokens[r]}"} for r in ("staff", "job"))
    with TestClient(app) as client:
        for doc in ("examples/HHB-2026-0001.yaml", "personas/persona-3-statushouder.yaml"):
            assert client.post("/api/v1/households", json=load_document(ROOT / doc), headers=staff).is_success
        statement = camt053([Tx("1320.50", date(2026, 11, 30), "NL14BNGH0285001234", "Gemeente Utrecht",
                                "HHB-2026-0001"), Tx("9.99", date(2026, 11, 27), "NL02ABNA0123456789", "X")])
        assert client.post("/api/v1/statements", content=statement, headers=job).is_success
        assert client.post("/api/v1/runs", json={"date": "2026-12-01"}, headers=job).is_success


# Each operation is driven with hypothesis directly: schemathesis' lazy pytest loader
# (`schemathesis.pytest.from_fixture`) fails on pytest 9 (it sets `Function._nodeid`).
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_input_makes_the_api_fail(api, mode):
    app, tokens = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures = []
    for operation in operations:
        headers = {"Authorization": f"Bearer {tokens[ROLE_OF.get(operation.path, 'staff')]}"}
        try:
            fuzz(operation, GenerationMode(mode), headers)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def fuzz(operation, mode, headers) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])  # no shrinking: the first failure is reported as is
    def call(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    call()
