"""Several server processes on one database keep the API's promises together (issue 25).

Two `hhb serve` processes on two ports against one store stand for two workers behind a
load balancer, deterministically: the test decides which process gets which request.
`hhb serve --workers 2` itself is started too, and must run two worker processes.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.api.app import FAILED_LOGIN_LIMIT
from adapters.documents import load_document
from adapters.store import open_engine
from huishoudboekje import access
from tests.conftest import ROOT
from tests.factories import MANAGED
from tests.serving import hhb_serve

A = "HHB-2026-0001"
DOC_A = load_document(ROOT / "examples" / "HHB-2026-0001.yaml")
END = (f"/api/v1/households/{A}/end", {"end": "2027-01-31"})  # refused when done twice: a second write shows


@dataclass
class Answer:
    status: int
    body: bytes
    replayed: bool


def call(base: str, token: str, path: str, body: dict | None = None, key: str | None = None) -> Answer:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, response.read(), response.headers.get("Idempotent-Replayed") == "true")
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(), exc.headers.get("Idempotent-Replayed") == "true")


@dataclass
class Store:
    url: str
    env: dict[str, str]
    staff: str
    auditor: str


@pytest.fixture
def store(store_url, tmp_path) -> Store:
    engine = open_engine(store_url, tmp_path / "var")
    try:
        staff, _ = access.issue(engine, "staff", "j.devries", "test", team="Wijkteam Noord")
        auditor, _ = access.issue(engine, "auditor", "a.udit", "test")
    finally:
        engine.close()
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(tmp_path / "var")}
    for name in ("HHB_TRUSTED_PROXIES", "HHB_DATABASE_URL", "HHB_WORKERS"):
        env.pop(name, None)
    return Store(store_url, env, staff, auditor)


@pytest.fixture
def two_servers(store):
    with hhb_serve(store.url, store.env) as (one, _), hhb_serve(store.url, store.env) as (two, _):
        assert call(one, store.staff, "/api/v1/households", DOC_A).status == 201
        yield one, two


def ended(base: str, store: Store) -> int:
    """How often household A's participation was ended, by its history."""
    events = json.loads(call(base, store.auditor, f"/api/v1/households/{A}/history").body)["events"]
    return [e["event"] for e in events].count("ParticipationEnded")


def test_the_same_key_on_two_servers_answers_once_and_writes_once(two_servers, store):
    one, two = two_servers
    first = call(one, store.staff, *END, key="end-1")
    again = call(two, store.staff, *END, key="end-1")
    assert first.status == 200 and not first.replayed
    assert (again.status, again.body, again.replayed) == (first.status, first.body, True)
    assert ended(one, store) == ended(two, store) == 1
    # the key is bound to its request on the other server too
    other = call(one, store.staff, END[0], {"end": "2027-02-28"}, key="end-1")
    assert other.status == 422 and json.loads(other.body)["field"] == "Idempotency-Key"
    # and without a key the second server sees a second command, which the engine refuses
    assert call(two, store.staff, *END).status == 422


def test_the_same_key_sent_to_both_servers_at_once_writes_once(two_servers, store):
    answers: dict[str, Answer] = {}
    start = threading.Barrier(2)

    def send(base: str) -> None:
        start.wait()
        answers[base] = call(base, store.staff, *END, key="end-2")

    threads = [threading.Thread(target=send, args=(base,)) for base in two_servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status for answer in answers.values())
    # the later of the two gets the first's answer, or 409 while the first still runs; never a second write
    assert statuses in ([200, 200], [200, 409]), statuses
    [body] = {answer.body for answer in answers.values() if answer.status == 200}  # one answer, however often
    assert ended(two_servers[0], store) == 1
    # once the first has answered, either server replays it
    for base in two_servers:
        replay = call(base, store.staff, *END, key="end-2")
        assert (replay.status, replay.body, replay.replayed) == (200, body, True)


def test_eleven_bad_tokens_spread_over_two_servers_trip_the_limiter(two_servers, store):
    answers = [call(two_servers[n % 2], f"hhbt_guess{n}", "/api/v1/households").status
               for n in range(FAILED_LOGIN_LIMIT + 1)]
    assert answers == [401] * FAILED_LOGIN_LIMIT + [429]
    assert [call(base, f"hhbt_more{n}", "/api/v1/households").status for n, base in enumerate(two_servers)] == [429] * 2
    for base in two_servers:  # a valid token from the same address is still let in
        assert call(base, store.staff, "/api/v1/households").status == 200


def worker_processes(pid: int) -> list[int]:
    """The processes uvicorn started to serve (not the multiprocessing helpers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_serve_with_two_workers_runs_two_processes_that_share_keys_and_the_limiter(store):
    with hhb_serve(store.url, store.env, "--workers", "2") as (base, process):
        assert len(worker_processes(process.pid)) == 2
        assert call(base, store.staff, "/api/v1/households", DOC_A).status == 201
        answers = [call(base, store.staff, *END, key="end-3") for _ in range(4)]
        assert [(a.status, a.body, a.replayed) for a in answers] == (
            [(200, answers[0].body, False)] + [(200, answers[0].body, True)] * 3)
        assert ended(base, store) == 1
        bad = [call(base, f"hhbt_guess{n}", "/api/v1/households").status for n in range(FAILED_LOGIN_LIMIT + 1)]
        assert bad == [401] * FAILED_LOGIN_LIMIT + [429]


def test_a_staff_session_made_on_one_server_is_valid_on_the_other(store, tmp_path, monkeypatch):
    """The staff web app's sessions live in the database: a coach signed in through one
    worker stays signed in whichever worker the load balancer sends the next page to, and
    signing out on one ends the session on both."""
    import re

    import httpx
    import pyotp

    from tests.e2e.staff_web import PASSWORD, hhb

    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    hhb(store.url, "users", "add", "--name", "Anna Jansen", "--email", "anna@example.nl", "--role", "staff",
        "--team", "Wijkteam Noord", "--actor", "beheer")
    out = hhb(store.url, "users", "password", "anna@example.nl", "--actor", "beheer", stdin=PASSWORD + "\n")
    secret = re.search(r"secret=([A-Z2-7]+)", out).group(1)
    with hhb_serve(store.url, store.env) as (one, _), hhb_serve(store.url, store.env) as (two, _):
        with httpx.Client(base_url=one) as first:
            form = first.get("/medewerker/inloggen").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            signed = first.post("/medewerker/inloggen", data={"email": "anna@example.nl", "password": PASSWORD,
                                                               "code": pyotp.TOTP(secret).now(), "csrf": csrf})
            assert signed.status_code == 303 and signed.headers["location"] == "/medewerker/"
            cookies = dict(first.cookies)
        with httpx.Client(base_url=two, cookies=cookies) as second:
            page = second.get("/medewerker/")
            assert page.status_code == 200 and "Anna Jansen" in page.text  # the same session on the other worker
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            assert second.post("/medewerker/uitloggen", data={"csrf": token}).status_code == 303
        with httpx.Client(base_url=one, cookies=cookies) as again:
            assert again.get("/medewerker/").status_code == 303  # signed out on the other: out here too
