"""The HTTP API: access by role and team, actors, idempotency, bad input, failed logins.

Every test runs on SQLite and on PostgreSQL (the `store_url` fixture).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import (FAILED_LOGIN_LIMIT, FAILED_LOGIN_WINDOW, PROBLEM, FailedLogins, create_app,
                              trusted_networks)
from adapters.documents import load_document
from huishoudboekje import access
from huishoudboekje.config import Settings
from huishoudboekje.domain.access import Credential, hash_secret
from huishoudboekje.domain.ledger import BOOKED, UNMATCHED
from huishoudboekje.statements import ledgers
from tests.conftest import ROOT
from tests.factories import MANAGED, Tx, camt053

NOORD, ZUID = "Wijkteam Noord", "Wijkteam Zuid"
A, B = "HHB-2026-0001", "HHB-DEMO-0002"  # A in team Noord, B in team Zuid
A_NAME, B_NAME = "Sanne de Vries", "Kevin Jansen"
DOC_A = load_document(ROOT / "examples" / "HHB-2026-0001.yaml")
DOC_B = load_document(ROOT / "personas" / "persona-2-nuluren.yaml")
DOC_C = load_document(ROOT / "personas" / "persona-3-statushouder.yaml")  # team Noord, not onboarded
STATEMENT = camt053([
    Tx("1320.50", date(2026, 11, 30), "NL14BNGH0285001234", "Gemeente Utrecht", "Bijstand HHB-2026-0001"),
    Tx("45.00", date(2026, 11, 25), "NL02ABNA0123456789", "P. Onbekend", "terugbetaling"),
], statement_id="nov")
REPORT_A = {"signals": [{"dossier": A, "partnerType": "Energie", "bedrag": "212.40",
                         "startdatumAchterstand": "2026-10-01", "signaalDatum": "2026-11-20",
                         "crisisIndicatie": True}]}


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def app(store_url):
    app = create_app(db_url=store_url)
    yield app
    app.state.context.engine.close()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


class World:
    """Two teams' households, a statement, a pay run, a creditor's report, and every kind of caller."""

    def __init__(self, app, client: TestClient) -> None:
        self.client = client
        self.engine = app.state.context.engine
        self.headers = {
            "staff": self.token("staff", "j.devries", team=NOORD),
            "other": self.token("staff", "m.bakker", team=ZUID),
            "lead": self.token("teamlead", "t.lead", team=NOORD),
            "auditor": self.token("auditor", "a.udit"),
            "job": self.token("job", "nightly"),
            "finance": self.token("finance", "f.inance"),
            "none": {},
            "revoked": self.token("staff", "gone", team=NOORD),
            "expired": self.token("staff", "old", team=NOORD, valid_days=1,
                                  now=datetime.now(timezone.utc) - timedelta(days=10)),
        }
        revoked = self.headers["revoked"]["Authorization"].removeprefix("Bearer ")
        access.revoke(self.engine, access.hash_secret(revoked)[:12], "test")
        self.ok("staff", "POST", "/households", json=DOC_A)
        self.ok("other", "POST", "/households", json=DOC_B)
        self.headers["participant"] = self.token("participant", A_NAME, dossier=A)  # once A exists
        self.ok("job", "POST", "/statements", content=STATEMENT, headers={"Content-Type": "application/xml"})
        self.ok("job", "POST", "/runs", json={"date": "2026-12-01"})
        self.ok("job", "POST", "/signals/import", json=REPORT_A)
        recorded = [r for ledger in ledgers(self.engine) for r in ledger.recorded()]
        self.unmatched = next(r.id for r in recorded if r.outcome == UNMATCHED)
        self.booked = next(r.id for r in recorded if r.outcome == BOOKED)
        self.signal = next(s["id"] for s in self.ok("auditor", "GET", f"/signals?dossier={A}").json()
                           if s["rule"].startswith("external"))
        [self.file] = [f["name"] for f in self.ok("job", "GET", "/payment-files").json()]

    def token(self, role, name, *, team=None, dossier=None, **kwargs):
        secret, _ = access.issue(self.engine, role, name, "test", team=team, dossier=dossier, **kwargs)
        return {"Authorization": f"Bearer {secret}"}

    def call(self, who, method, path, headers=None, **kwargs):
        return self.client.request(method, f"/api/v1{path}", headers={**self.headers[who], **(headers or {})},
                                   **kwargs)

    def ok(self, who, method, path, **kwargs):
        response = self.call(who, method, path, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response

    def events(self, who="auditor", dossier=A):
        return self.ok(who, "GET", f"/households/{quote(dossier, safe='')}/history").json()["events"]


@pytest.fixture
def world(app, client):
    return World(app, client)


def problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


# -- 1. who may do what ---------------------------------------------------------------------------

CALLERS = ("staff", "other", "lead", "auditor", "job", "participant", "finance", "none", "revoked", "expired")


def expect(staff, other, lead, auditor, job, participant, finance=403):
    """staff = staff of A's team; other = staff of B's team; lead = A's team's lead; participant = A's;
    finance reviews payment files (and nothing else, unless said). Without a valid token (none,
    revoked, expired) the answer is always 401."""
    return dict(zip(CALLERS, (staff, other, lead, auditor, job, participant, finance, 401, 401, 401), strict=True))


LIST = expect(200, 200, 200, 200, 403, 403)  # lists filter by team instead of refusing
READ_A = expect(200, 404, 200, 200, 403, 403)  # another team's household is "not found"
READ_B = expect(404, 200, 404, 200, 403, 403)
WRITE_A = expect(200, 404, 200, 403, 403, 403)
# 422: the role may do this and reached the engine, which refused what was asked; the matrix
# asks for refused or no-op changes so that the order of the callers does not matter.
REFUSED_A = expect(422, 404, 422, 403, 403, 403)
UNKNOWN_A = expect(404, 404, 404, 403, 403, 403)  # allowed, but there is no such thing
JOB = expect(403, 403, 403, 403, 200, 403)
FILES = expect(403, 403, 403, 200, 200, 403, finance=200)
MINE = expect(403, 403, 403, 403, 403, 200)


def matrix(w: World):
    """(method, path, body, expected status per caller)."""
    return [
        ("GET", "/households", None, LIST),
        ("GET", "/teams", None, LIST),
        ("POST", "/households", DOC_A, WRITE_A),  # unchanged
        ("GET", f"/households/{A}", None, READ_A),
        ("GET", f"/households/{A}/history?as_of=2026-12-15", None, READ_A),
        ("GET", f"/households/{A}/left?date=2026-12-15", None, READ_A),
        ("GET", f"/households/{A}/overview?month=2026-12", None, READ_A),
        ("POST", f"/households/{A}/agreements/huur/amount-changes",
         {"amount": "712.40", "effective": "2026-11-01"}, WRITE_A),  # the amount it has
        ("POST", f"/households/{A}/agreements/water/end", {"end": "2099-12-31"}, WRITE_A),
        ("POST", f"/households/{A}/pay-day", {"pay_day": 1, "effective": "2027-01-01"}, WRITE_A),
        ("POST", f"/households/{A}/notices", {"channel": "none"}, WRITE_A),  # the choice it has
        ("GET", f"/households/{A}/notices", None, READ_A),
        ("POST", f"/households/{A}/end", {"end": "2020-01-01"}, REFUSED_A),  # before its start
        ("POST", f"/households/{A}/release", None, REFUSED_A),  # nothing held above the ceiling
        ("GET", f"/households/{B}", None, READ_B),
        ("GET", f"/households/{B}/left", None, READ_B),
        ("GET", f"/households/{B}/history", None, READ_B),
        ("POST", "/statements", STATEMENT, JOB),  # known already: duplicates only
        ("GET", "/unmatched", None, LIST),
        ("POST", f"/unmatched/{w.unmatched}/book", {"dossier": A, "agreement": "huur"}, REFUSED_A),  # a charge
        ("POST", f"/unmatched/{w.booked}/ignore", {"reason": "x"}, REFUSED_A),  # booked on A
        ("POST", f"/unmatched/{w.unmatched}/undo", {"reason": "x"}, expect(422, 422, 422, 403, 403, 403)),
        ("POST", f"/unmatched/{w.unmatched}/return", None, expect(422, 422, 422, 403, 403, 403)),  # not ours
        ("POST", "/runs", {"date": "2026-12-01"}, JOB),  # done already
        ("GET", "/payment-files", None, FILES),
        ("GET", f"/payment-files/{w.file}", None, expect(403, 403, 403, 200, 409, 403, finance=200)),  # pending
        ("GET", f"/payment-files/{w.file}/review", None, expect(403, 403, 403, 200, 403, 403, finance=200)),
        ("POST", "/payment-files/nope.xml/release", None, expect(403, 403, 403, 403, 403, 403, finance=404)),
        ("POST", f"/payment-files/{w.file}/hold", {"reason": ""}, expect(403, 403, 403, 403, 403, 403, finance=422)),
        ("GET", "/signals", None, expect(200, 200, 200, 200, 403, 403, finance=200)),
        ("GET", f"/signals?dossier={B}", None, expect(200, 200, 200, 200, 403, 403, finance=200)),  # empty for Noord
        ("POST", "/signals/import", REPORT_A, expect(200, 422, 200, 403, 200, 403)),  # B's staff: unknown dossier
        ("POST", f"/signals/{quote(w.signal, safe='')}/acknowledge", {"note": "gebeld"}, WRITE_A),
        ("POST", f"/signals/{quote(A + '|nope:x:2026-12', safe='')}/resolve", None,
         expect(404, 404, 404, 403, 403, 403, finance=404)),
        ("GET", "/reports", None, expect(403, 403, 200, 200, 403, 403)),
        ("GET", f"/reports?team={ZUID}", None, expect(403, 403, 403, 200, 403, 403)),
        ("GET", "/me/left", None, MINE),
        ("GET", f"/me/left?dossier={B}", None, MINE),  # a participant cannot name another household
        ("GET", "/me/overview?month=2026-12", None, MINE),
    ]


# what each caller must never see in an answer
FORBIDDEN_TEXT = {"staff": (B, B_NAME), "lead": (B, B_NAME), "participant": (B, B_NAME), "other": (A, A_NAME)}


def test_every_endpoint_answers_every_caller_as_documented(app, world):
    # revoked and expired tokens fail on purpose
    app.state.context.failed_logins = FailedLogins(app.state.context.shared, limit=10_000)
    wrong = []
    for method, path, body, expected in matrix(world):
        for who in CALLERS:
            before = world.engine.event_count()
            kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
            response = world.call(who, method, path, **kwargs)
            if response.status_code != expected[who]:
                wrong.append(f"{method} {path} as {who}: {response.status_code}, expected {expected[who]}")
                continue
            if response.status_code >= 300:
                assert response.headers["content-type"] == PROBLEM, (method, path, who)
                assert world.engine.event_count() == before, f"{method} {path} as {who} wrote events"
            else:
                leaked = [text for text in FORBIDDEN_TEXT.get(who, ()) if text in response.text]
                assert not leaked, f"{method} {path} as {who} shows {leaked}"
    assert not wrong, "\n".join(wrong)


def test_another_teams_household_looks_exactly_like_an_unknown_one(world):
    for path in ("", "/left", "/history"):
        theirs = problem(world.call("staff", "GET", f"/households/{B}{path}"), 404, "dossier")
        unknown = problem(world.call("staff", "GET", f"/households/HHB-NOPE{path}"), 404, "dossier")
        assert theirs["detail"].replace(B, "X") == unknown["detail"].replace("HHB-NOPE", "X")
    assert {h["dossier"] for h in world.ok("staff", "GET", "/households").json()} == {A}
    assert {h["dossier"] for h in world.ok("auditor", "GET", "/households").json()} == {A, B}
    assert world.ok("staff", "GET", f"/signals?team={ZUID}").json() == []


def test_participants_see_their_own_household_only(world):
    left = world.ok("participant", "GET", "/me/left?date=2026-12-15").json()
    assert left["dossier"] == A and left["cycle"]["pay_date"] == "2026-12-01"
    page = world.ok("participant", "GET", "/me/overview?month=2026-11")
    assert page.headers["content-type"].startswith("text/html") and A_NAME in page.text
    for path in (f"/households/{B}", f"/households/{A}", "/households", "/signals", "/unmatched"):
        problem(world.call("participant", "GET", path), 403)


def test_staff_see_only_their_own_teams_candidates_in_the_queue(world):
    both = camt053([Tx("131.00", date(2026, 11, 20), "NL86INGB0002445588", "Belastingdienst/Toeslagen",
                       "zorgtoeslag HHB-2026-0001 Jansen")], statement_id="both")  # fits A and B: staff decide
    world.ok("job", "POST", "/statements", content=both)

    def candidates(who):
        return next(r["candidates"] for r in world.ok(who, "GET", "/unmatched").json() if r["amount"] == "131.00")

    assert sorted(candidates("auditor")) == [f"{A}/zorgtoeslag", f"{B}/zorgtoeslag"]
    assert candidates("staff") == candidates("lead") == [f"{A}/zorgtoeslag"]
    assert candidates("other") == [f"{B}/zorgtoeslag"]


def test_payment_files_download_only_by_recorded_name_and_by_the_job_once_released(world):
    problem(world.call("job", "GET", f"/payment-files/{world.file}"), 409, "name")  # pending: four eyes first
    assert world.ok("finance", "POST", f"/payment-files/{world.file}/release").json()["state"] == "released"
    response = world.ok("job", "GET", f"/payment-files/{world.file}")
    assert response.headers["content-type"].startswith("application/xml")
    assert response.content.startswith(b"<?xml") and b"pain.001" in response.content
    for name in ("..%2F..%2Fevents.sqlite", "%2E%2E", "nope.xml", world.file + ".part"):
        assert world.call("auditor", "GET", f"/payment-files/{name}").status_code == 404


# -- 2. every write records who made it --------------------------------------------------------------


def test_writes_record_the_authenticated_actor(world):
    world.ok("staff", "POST", f"/households/{A}/agreements/huur/amount-changes",
             json={"amount": "735.00", "effective": "2027-01-01"})
    world.ok("lead", "POST", f"/unmatched/{world.unmatched}/book", json={"dossier": A, "agreement": "bijstand"})
    world.ok("staff", "POST", f"/signals/{quote(world.signal, safe='')}/acknowledge", json={"note": "gebeld"})
    actors = {(e["event"], e["actor"]) for e in world.events()}
    assert {("Onboarded", "staff:j.devries"), ("AgreementAmountChanged", "staff:j.devries"),
            ("IncomeBooked", "job:nightly"), ("IncomeBooked", "teamlead:t.lead"),
            ("SignalAcknowledged", "staff:j.devries")} <= actors
    assert ("Onboarded", "staff:m.bakker") in {(e["event"], e["actor"]) for e in world.events(dossier=B)}
    [signal] = [s for s in world.ok("staff", "GET", f"/signals?dossier={A}").json() if s["id"] == world.signal]
    assert signal["status"] == "acknowledged" and signal["history"][-1]["by"] == "staff:j.devries"


# -- 3. Idempotency-Key ------------------------------------------------------------------------------


def test_a_retried_write_with_the_same_key_happens_once(world):
    key = {"Idempotency-Key": "end-A-1"}
    first = world.ok("staff", "POST", f"/households/{A}/end", json={"end": "2027-01-31"}, headers=key)
    assert first.json()["settlement_date"] == "2027-02-01"  # the business day after: what is held is paid out
    count = world.engine.event_count()
    again = world.ok("staff", "POST", f"/households/{A}/end", json={"end": "2027-01-31"}, headers=key)
    assert world.engine.event_count() == count
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    # without the key the same request is a second command, which the engine refuses
    problem(world.call("staff", "POST", f"/households/{A}/end", json={"end": "2027-01-31"}), 422)
    assert [e["event"] for e in world.events()].count("ParticipationEnded") == 1


def test_onboarding_replayed_answers_created_again(world):
    key = {"Idempotency-Key": "c-1"}
    first = world.ok("staff", "POST", "/households", json=DOC_C, headers=key)
    assert first.status_code == 201 and first.json()["status"] == "created"
    assert first.headers["location"] == "/api/v1/households/HHB-DEMO-0003"
    count = world.engine.event_count()
    again = world.ok("staff", "POST", "/households", json=DOC_C, headers=key)
    assert (again.status_code, again.json(), again.headers["location"]) == (201, first.json(), first.headers["location"])
    assert world.engine.event_count() == count
    # a key belongs to one credential: the teamlead's "c-1" is a request of its own
    assert world.ok("lead", "POST", "/households", json=DOC_C, headers=key).json()["status"] == "unchanged"


def test_the_same_key_with_another_request_is_refused(world):
    key = {"Idempotency-Key": "k-2"}
    world.ok("staff", "POST", f"/households/{A}/agreements/huur/amount-changes",
             json={"amount": "735.00", "effective": "2027-01-01"}, headers=key)
    count = world.engine.event_count()
    for path, body in ((f"/households/{A}/agreements/huur/amount-changes", {"amount": "740.00", "effective": "2027-01-01"}),
                       (f"/households/{A}/agreements/water/amount-changes", {"amount": "735.00", "effective": "2027-01-01"})):
        problem(world.call("staff", "POST", path, json=body, headers=key), 422, "Idempotency-Key")
    assert world.engine.event_count() == count


def test_a_refusal_is_replayed_too_and_writes_nothing(world):
    key = {"Idempotency-Key": "k-3"}
    first = problem(world.call("staff", "POST", f"/households/{A}/end", json={"end": "2020-01-01"}, headers=key), 422)
    count = world.engine.event_count()
    assert problem(world.call("staff", "POST", f"/households/{A}/end", json={"end": "2020-01-01"},
                              headers=key), 422) == first
    assert world.engine.event_count() == count


# -- 4. bad input -------------------------------------------------------------------------------------

AMOUNT = f"/households/{A}/agreements/huur/amount-changes"


@pytest.mark.parametrize("path, body, field", [
    (AMOUNT, {"amount": 735.5, "effective": "2027-01-01"}, "amount"),  # a float is not exact
    (AMOUNT, {"amount": "7.355", "effective": "2027-01-01"}, "amount"),
    (AMOUNT, {"amount": "735.00", "effective": "2027-02-30"}, "effective"),
    (AMOUNT, {"amount": "735.00"}, "effective"),
    (AMOUNT, {"amount": "735.00", "effective": "2027-01-01", "by": "me"}, "by"),
    (AMOUNT, ["735.00"], "body"),
    (f"/households/{A}/pay-day", {"pay_day": "often", "effective": "2027-01-01"}, "pay_day"),
    (f"/households/{A}/pay-day", {"pay_day": 29, "effective": "2027-01-01"}, "pay_day"),
    (f"/households/{A}/notices", {"channel": "email", "address": "sanne-at-example"}, "address"),
    (f"/households/{A}/notices", {"channel": "fax", "address": "0301234567"}, "channel"),
    (f"/households/{A}/notices", {"channel": "none", "address": "sanne@example.nl"}, "address"),
    ("/households", {**DOC_C, "participants": [{"name": "X", "iban": "NL00RABO0123456789"}]}, "participants[0].iban"),
    ("/households", {**DOC_C, "charges": DOC_C["charges"][:1] * 2}, "charges[1].id"),
    ("/households", {**DOC_C, "team": NOORD, "buffer_limit": True}, "buffer_limit"),
    ("/households", {**DOC_C, "account": "NL02ABNA0123456789"}, "account"),  # not a managed account
    ("/households", {**DOC_C, "team": NOORD, "buffer_repayment_max": "0.00"}, "buffer_repayment_max"),
    ("/households", {**DOC_C, "team": NOORD, "leefgeld": {"target": "10.00"}}, "leefgeld"),  # below the minimum
    ("/households", {**DOC_A, "account": "NL02ABNA0123456789"}, "account"),  # nor in an edit
])
def test_wrong_fields_are_named_and_nothing_is_written(world, path, body, field):
    count = world.engine.event_count()
    problem(world.call("staff", "POST", path, json=body), 422, field)
    assert world.engine.event_count() == count


def test_malformed_json_is_a_problem(world):
    count = world.engine.event_count()
    body = problem(world.call("staff", "POST", AMOUNT, content=b'{"amount": "1.00",',
                              headers={"Content-Type": "application/json"}), 422, "body")
    assert "malformed JSON" in body["detail"]
    problem(world.call("staff", "POST", AMOUNT, content=b"\xff\xfe{", headers={"Content-Type": "application/json"}),
            400, "body")  # not even text
    body = problem(world.call("staff", "POST", AMOUNT, content=b'{"amount": "1.00", "effective": "2027-01-01"}',
                              headers={"Content-Type": "text/plain"}), 422, "body")
    assert "application/json" in body["detail"]
    assert world.engine.event_count() == count


def test_unknown_dossier_transaction_and_signal(world):
    count = world.engine.event_count()
    problem(world.call("staff", "POST", "/households/HHB-NOPE/agreements/huur/amount-changes",
                       json={"amount": "735.00", "effective": "2027-01-01"}), 404, "dossier")
    problem(world.call("auditor", "GET", "/households/HHB-NOPE"), 404, "dossier")
    problem(world.call("staff", "POST", "/unmatched/T202611-nope/ignore", json={}), 404, "transaction")
    problem(world.call("staff", "POST", "/signals/HHB-NOPE/resolve"), 404, "signal")
    problem(world.call("staff", "POST", f"/households/{A}/agreements/nope/amount-changes",
                       json={"amount": "735.00", "effective": "2027-01-01"}), 404, "agreement")
    problem(world.call("job", "POST", "/signals/import",
                       json={"signals": [{**REPORT_A["signals"][0], "dossier": "HHB-NOPE"}]}), 422, "signals[0].dossier")
    assert world.engine.event_count() == count


@pytest.mark.parametrize("content, field", [
    (b"hello, this is not a statement", "body"),
    (b"", "body"),
    (b"<?xml version='1.0'?><Document><Other/></Document>", None),
    (camt053([Tx("5.00", date(2026, 11, 2))], account="NL69INGB0123456789"), "statement S1"),  # not ours
    (camt053([Tx("5.00", date(2026, 11, 2))], closing="999.00"), "statement S1"),  # does not add up
])
def test_an_upload_that_is_not_a_usable_statement_writes_nothing(world, content, field):
    count = world.engine.event_count()
    body = problem(world.call("job", "POST", "/statements?filename=bank.xml", content=content), 422, field)
    assert body["file"] == "bank.xml"
    assert world.engine.event_count() == count


def test_oversized_bodies_are_refused_announced_or_streamed(app, world):
    app.state.max_body = 4096  # the same check as the 10 MiB default, cheaper to exceed
    count = world.engine.event_count()
    padded = {**DOC_C, "participants": [{**DOC_C["participants"][0], "contact": "x" * 5000}]}
    problem(world.call("staff", "POST", "/households", json=padded), 413)

    def chunks():  # no Content-Length: the limit must count what arrives
        for _ in range(10):
            yield b"x" * 1000

    problem(world.call("job", "POST", "/statements", content=chunks()), 413)
    problem(world.call("staff", "POST", "/households", content=chunks(),
                       headers={"Content-Type": "application/json"}), 413)
    assert world.engine.event_count() == count
    assert world.ok("staff", "POST", "/households", json=DOC_C).status_code == 201  # small bodies pass


def test_the_registered_teams_are_listed(world):
    names = [t["name"] for t in world.ok("staff", "GET", "/teams").json()]
    assert NOORD in names and ZUID in names


def test_onboarding_names_a_registered_team(world):
    lookalike = {**DOC_C, "team": "Wijkteam N\u043eord"}  # a Cyrillic "о": not the caller's team either
    problem(world.call("lead", "POST", "/households", json=lookalike), 403, "team")
    # a token an earlier version issued for a team nobody registered
    secret = "hhbt_issued-before-the-register"
    old = Credential(secret_hash=hash_secret(secret), role="staff", name="o.ud", team="Wijkteam Oud", dossier=None,
                     expires=None, issued=datetime.now(timezone.utc), actor="cli")
    world.engine.save(old)
    before = world.engine.event_count()
    body = problem(world.client.post("/api/v1/households", json={**DOC_C, "team": "Wijkteam Oud"},
                                     headers={"Authorization": f"Bearer {secret}"}), 422, "team")
    assert "'Wijkteam Oud' is not a registered team" in body["detail"]
    assert world.engine.event_count() == before


def test_dates_out_of_range_are_problems_not_errors(world):
    for who, path, where in (("participant", "/me/left?date=0001-01-01", "date"),
                             ("participant", "/me/left?date=9999-12-31", "date"),
                             ("participant", "/me/overview?month=9999-12", "month"),
                             ("staff", f"/households/{A}/left?date=9999-12-31", "date"),
                             ("staff", f"/households/{A}/overview?month=9999-12", "month"),
                             ("staff", f"/households/{A}/history?as_of=0001-01-01", "as_of")):
        problem(world.call(who, "GET", path), 422, where)


def test_onboarding_a_participant_paid_into_the_landlords_account_is_refused(world):
    doc = {**DOC_C, "participants": [{**DOC_C["participants"][0], "iban": DOC_C["charges"][0]["counterparty"]["iban"]}]}
    before = world.engine.event_count()
    body = problem(world.call("staff", "POST", "/households", json=doc), 422, "participants[0].iban")
    assert "the creditor of charge" in body["detail"]
    assert world.engine.event_count() == before


def test_unknown_routes_and_methods_are_problems_too(world):
    problem(world.call("staff", "GET", "/nothing-here"), 404)
    problem(world.call("staff", "DELETE", "/households"), 405)


# -- 5. failed logins ------------------------------------------------------------------------------------


def test_ten_bad_tokens_from_an_address_do_not_lock_out_a_valid_token_from_it(app, world):
    now = [1000.0]
    app.state.context.failed_logins = FailedLogins(app.state.context.shared, clock=lambda: now[0])
    for n in range(FAILED_LOGIN_LIMIT):
        problem(world.client.get("/api/v1/households", headers={"Authorization": f"Bearer hhbt_guess{n}"}), 401)
    world.ok("staff", "GET", "/households")  # a good token from the same client is let in
    world.ok("participant", "GET", "/me/left")
    refused = problem(world.client.get("/api/v1/households", headers={"Authorization": "Bearer hhbt_guess"}), 429)
    assert "wait a minute" in refused["detail"]
    problem(world.call("revoked", "GET", "/households"), 429)  # a failing token is refused too
    now[0] += FAILED_LOGIN_WINDOW + 1
    problem(world.client.get("/api/v1/households", headers={"Authorization": "Bearer hhbt_guess"}), 401)


def test_twelve_wrong_participant_links_do_not_lock_staff_out(app, world):
    answers = [world.client.get(f"/p/hhbp_wrong{n}").status_code for n in range(12)]
    assert answers == [404] * FAILED_LOGIN_LIMIT + [429, 429]
    world.ok("staff", "GET", "/households")
    world.ok("participant", "GET", "/me/left")


def test_rotating_x_forwarded_for_from_an_untrusted_address_is_limited(app, world):
    answers = [world.client.get("/api/v1/households", headers={
        "Authorization": f"Bearer hhbt_guess{n}", "X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(60)]
    assert answers == [401] * FAILED_LOGIN_LIMIT + [429] * (60 - FAILED_LOGIN_LIMIT)
    world.ok("staff", "GET", "/households", headers={"X-Forwarded-For": "203.0.113.99"})


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own(app, world, monkeypatch):
    monkeypatch.setenv("HHB_TRUSTED_PROXIES", "10.0.0.0/24")
    app.state.context.trusted_proxies = trusted_networks(Settings())
    with TestClient(app, client=("10.0.0.1", 50000)) as via_proxy:
        def attempt(forwarded, token="hhbt_guess"):
            return via_proxy.get("/api/v1/households", headers={
                "Authorization": f"Bearer {token}", "X-Forwarded-For": forwarded}).status_code

        # the guesser's own entry is the rightmost one the proxy appended; what it wrote itself is ignored
        assert [attempt(f"192.0.2.{n}, 198.51.100.7", f"hhbt_guess{n}") for n in range(11)] == [401] * 10 + [429]
        assert attempt("198.51.100.8", "hhbt_other") == 401  # another client behind the same proxy
        # one secret tried from many addresses is limited too
        assert [attempt(f"198.51.100.{n + 20}", "hhbt_same") for n in range(11)] == [401] * 10 + [429]
        staff = world.headers["staff"]
        assert via_proxy.get("/api/v1/households", headers={**staff, "X-Forwarded-For": "198.51.100.7"}
                             ).status_code == 200


# -- the published document ----------------------------------------------------------------------------


def test_the_openapi_document_describes_every_operation(world):
    document = world.client.get("/openapi.json").json()
    operations = [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 25
    for path, method, op in operations:
        assert op.get("summary"), (method, path)
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok and all(op["responses"][c]["description"] for c in ok), (method, path)
        assert PROBLEM in op["responses"]["401"]["content"], (method, path)
        if method == "post":
            assert any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])), path
    text = world.client.get("/openapi.json").text.lower()
    assert not any(word in text for word in ("bsn", "citizen", "burgerservicenummer"))


def test_ending_an_agreement_names_what_was_paid_for_after_its_end(world):
    ended = world.ok("staff", "POST", f"/households/{A}/agreements/huur/end", json={"end": "2026-11-29"})
    assert [p["period"] for p in ended.json()["paid_after_end"]] == ["2026-12-01"]  # paid on the pay date
