"""Notices to participants who chose them, through local SMTP and HTTP gateway stubs,
on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import json
import logging
import queue
import re
import socketserver
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.access_log import AccessLog
from adapters.store import open_engine
from huishoudboekje import access
from tests.factories import MANAGED, Tx, camt053

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")
AMOUNT = re.compile(r"\d+[.,]\d\d")
IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


# -- the stubs the tests start ------------------------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every message lands in the server's queue."""

    def handle(self) -> None:
        def say(line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        say("220 stub")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.upper()
            if verb.startswith("MAIL"):
                recipients = []
                say("250 ok")
            elif verb.startswith("RCPT"):
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                data = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(part)
                self.server.received.put((recipients, email.message_from_bytes(b"".join(data))))  # type: ignore[attr-defined]
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:  # EHLO, HELO, RSET, NOOP: no extensions, so no STARTTLS
                say("250 stub")


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        failing = self.server.failures > 0  # type: ignore[attr-defined]
        if failing:
            self.server.failures -= 1  # type: ignore[attr-defined]
        else:
            self.server.received.put((dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(503 if failing else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def smtp_stub():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.received = queue.Queue()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway_stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayHandler)
    server.daemon_threads = True
    server.received = queue.Queue()
    server.failures = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def drained(q: queue.Queue) -> list:
    """What the stub received so far: every send returned only after the stub had it."""
    items = []
    while not q.empty():
        items.append(q.get_nowait())
    return items


# -- helpers --------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    for name in ("HHB_SMTP_URL", "HHB_SMS_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)


def hhb(store_url, *args):
    return runner.invoke(app, [*args, "--db", store_url])


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def onboard(store_url, tmp_path, dossier):
    text = (ROOT / "examples" / "HHB-2026-0001.yaml").read_text().replace("HHB-2026-0001", dossier)
    doc = tmp_path / f"{dossier}.yaml"
    doc.write_text(text)
    ok(hhb(store_url, "onboard", str(doc)))


def import_incomes(store_url, tmp_path, *dossiers):
    txs = []
    for dossier in dossiers:
        txs += [Tx("131.00", date(2026, 11, 20), *TOESLAGEN, f"{dossier} zorgtoeslag"),
                Tx("1320.50", date(2026, 11, 30), *GEMEENTE, f"Uitkering {dossier}")]
    statement = tmp_path / "november.xml"
    statement.write_bytes(camt053(txs))
    ok(hhb(store_url, "import", str(statement), "--date", "2026-12-01"))


def send(store_url, day):
    return json.loads(ok(hhb(store_url, "notices", "send", "--date", day)).stdout)


def nothing_personal(message: str) -> None:
    assert not AMOUNT.search(message), message
    assert not IBAN.search(message), message
    assert "Sanne" not in message and "Vries" not in message, message


# -- the tests ------------------------------------------------------------------------------------

def test_leefgeld_notice_by_email_once_and_only_to_who_chose_it(store_url, tmp_path, monkeypatch, smtp_stub):
    monkeypatch.setenv("HHB_SMTP_URL", f"smtp://127.0.0.1:{smtp_stub.server_address[1]}")
    for dossier in ("HHB-2026-0001", "HHB-2026-0002", "HHB-2026-0003"):
        onboard(store_url, tmp_path, dossier)
    ok(hhb(store_url, "notices", "set", "HHB-2026-0001", "--email", "sanne@example.nl", "--date", "2026-11-25"))
    # 0002 never chose; 0003 chose and changed its mind before the pay date
    ok(hhb(store_url, "notices", "set", "HHB-2026-0003", "--email", "p3@example.nl", "--date", "2026-11-25"))
    ok(hhb(store_url, "notices", "set", "HHB-2026-0003", "--off", "--date", "2026-11-28"))
    import_incomes(store_url, tmp_path, "HHB-2026-0001", "HHB-2026-0002", "HHB-2026-0003")
    ok(hhb(store_url, "reconcile", "--date", "2026-12-01", "--json"))

    first = send(store_url, "2026-12-01")
    second = send(store_url, "2026-12-01")
    later = send(store_url, "2026-12-02")

    mails = drained(smtp_stub.received)
    assert [to for to, _ in mails] == [["sanne@example.nl"]]
    assert len(first["sent"]) == 1 and first["sent"][0].startswith("HHB-2026-0001/leefgeld/")
    assert second["sent"] == [] and later["sent"] == []
    message = mails[0][1]
    assert message["X-Notice-Id"] == first["sent"][0]
    body = message.get_payload()
    assert "leefgeld is verstuurd" in body
    nothing_personal(body + message["Subject"])
    shown = json.loads(ok(hhb(store_url, "notices", "show", "HHB-2026-0001", "--json")).stdout)
    assert shown["channel"] == "email" and shown["sent"] == 1


def test_text_message_of_a_late_income_and_a_fresh_link_once(store_url, tmp_path, monkeypatch, gateway_stub):
    monkeypatch.setenv("HHB_SMS_GATEWAY_URL", f"http://127.0.0.1:{gateway_stub.server_address[1]}/send")
    monkeypatch.setenv("HHB_PUBLIC_URL", "https://hhb.example.nl")
    onboard(store_url, tmp_path, "HHB-2026-0001")
    ok(hhb(store_url, "notices", "set", "HHB-2026-0001", "--sms", "06-1234 5678", "--lang", "en",
           "--date", "2026-11-01"))
    ok(hhb(store_url, "tokens", "link", "HHB-2026-0001", "--days", "5"))  # expires within HHB_NOTICE_LINK_DAYS
    # No income comes in: the job raises income-late
    ok(hhb(store_url, "reconcile", "--date", "2026-12-10", "--json"))
    today = date.today().isoformat()

    first = send(store_url, today)
    second = send(store_url, today)

    received = drained(gateway_stub.received)
    kinds = sorted(body["id"].split("/")[1] for _, body in received)
    assert "problem" in kinds and kinds.count("link-expiring") == 1
    assert len(received) == len(first["sent"]) and second["sent"] == []
    assert len({body["id"] for _, body in received}) == len(received)
    for headers, body in received:
        assert body["to"] == "0612345678"
        assert headers["Idempotency-Key"] == body["id"]
        nothing_personal(body["text"])
    link_text = next(body["text"] for _, body in received if "/link-expiring/" in body["id"])
    secret = re.search(r"https://hhb\.example\.nl/p/(\S+)", link_text).group(1)
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        principal = access.authenticate(engine, secret)
        assert principal is not None and principal.dossier == "HHB-2026-0001"
        # both links, staff's and the job's fresh one, are in the access log (issue 24)
        created = [(e.actor, e.action) for e in AccessLog(engine).entries("HHB-2026-0001")]
        assert [actor for actor, _ in created] == ["cli", "notices"]
        assert created[1][1] == f"link created {access.hash_secret(secret)[:12]}"
    finally:
        engine.close()


def test_without_a_gateway_notices_are_recorded_not_sent(store_url, tmp_path, caplog):
    onboard(store_url, tmp_path, "HHB-2026-0001")
    ok(hhb(store_url, "notices", "set", "HHB-2026-0001", "--email", "sanne@example.nl", "--date", "2026-11-25"))
    import_incomes(store_url, tmp_path, "HHB-2026-0001")
    ok(hhb(store_url, "reconcile", "--date", "2026-12-01", "--json"))
    with caplog.at_level(logging.WARNING, logger="huishoudboekje.notices"):
        first = send(store_url, "2026-12-01")
    assert first["sent"] == [] and len(first["not_sent"]) == 1
    assert "no gateway for email is configured" in first["not_sent"][0]["reason"]
    assert "HHB_SMTP_URL" in caplog.text
    assert send(store_url, "2026-12-01")["not_sent"] == []  # recorded: not tried again


def test_a_failing_gateway_is_tried_again_and_sends_once(store_url, tmp_path, monkeypatch, gateway_stub):
    monkeypatch.setenv("HHB_SMS_GATEWAY_URL", f"http://127.0.0.1:{gateway_stub.server_address[1]}/send")
    onboard(store_url, tmp_path, "HHB-2026-0001")
    ok(hhb(store_url, "notices", "set", "HHB-2026-0001", "--sms", "+31612345678", "--date", "2026-11-25"))
    import_incomes(store_url, tmp_path, "HHB-2026-0001")
    ok(hhb(store_url, "reconcile", "--date", "2026-12-01", "--json"))
    gateway_stub.failures = 1
    first = send(store_url, "2026-12-01")
    assert first["sent"] == [] and len(first["failed"]) == 1
    second = send(store_url, "2026-12-01")
    third = send(store_url, "2026-12-01")
    assert second["sent"] == [first["failed"][0]["id"]] and third["sent"] == []
    assert [body["id"] for _, body in drained(gateway_stub.received)] == second["sent"]


def test_a_bad_address_is_refused_and_writes_nothing(store_url, tmp_path):
    onboard(store_url, tmp_path, "HHB-2026-0001")
    bad = hhb(store_url, "notices", "set", "HHB-2026-0001", "--email", "sanne-at-example")
    assert bad.exit_code == 2 and "not an e-mail address" in bad.output
    assert hhb(store_url, "notices", "set", "HHB-2026-0001", "--sms", "12").exit_code == 2
    assert hhb(store_url, "notices", "set", "HHB-2026-0001", "--email", "a@b.nl", "--off").exit_code == 2
    assert hhb(store_url, "notices", "set", "HHB-0000", "--email", "a@b.nl").exit_code == 3
    assert json.loads(ok(hhb(store_url, "notices", "show", "HHB-2026-0001", "--json")).stdout)["channel"] == "none"


def test_a_misspelt_notice_setting_is_refused(store_url, monkeypatch):
    monkeypatch.setenv("HHB_SMPT_URL", "smtp://127.0.0.1:25")
    result = hhb(store_url, "notices", "send")
    assert result.exit_code == 2 and "HHB_SMPT_URL" in result.output and "HHB_SMTP_URL" in result.output


def test_the_api_records_the_choice_for_the_team_only(store_url, monkeypatch):
    from fastapi.testclient import TestClient

    from adapters.api.app import create_app
    from tests.e2e.test_api import DOC_A, NOORD, ZUID

    app = create_app(db_url=store_url)
    engine = app.state.context.engine
    try:
        with TestClient(app) as client:
            def bearer(role, name, team):
                return {"Authorization": "Bearer " + access.issue(engine, role, name, "test", team=team)[0]}

            staff, other = bearer("staff", "j.devries", NOORD), bearer("staff", "m.bakker", ZUID)
            assert client.post("/api/v1/households", json=DOC_A, headers=staff).status_code == 201
            path = "/api/v1/households/HHB-2026-0001/notices"
            choice = {"channel": "sms", "address": "+31612345678", "language": "en", "on": "2026-11-25"}
            assert client.post(path, json=choice, headers=other).status_code == 404
            answer = client.post(path, json=choice, headers=staff)
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"dossier": "HHB-2026-0001", "channel": "sms", "address": "+31612345678",
                                     "language": "en", "since": "2026-11-25", "sent": 0}
            assert client.get(path, headers=staff).json() == answer.json()
    finally:
        engine.close()


def test_the_nightly_job_pays_then_notifies_and_a_failing_notice_leaves_the_payments(store_url, tmp_path,
                                                                                     monkeypatch, smtp_stub):
    from adapters.bootstrap import bootstrap
    from adapters.cli.runs import nightly

    monkeypatch.setenv("HHB_SMTP_URL", f"smtp://127.0.0.1:{smtp_stub.server_address[1]}")
    onboard(store_url, tmp_path, "HHB-2026-0001")
    ok(hhb(store_url, "notices", "set", "HHB-2026-0001", "--email", "sanne@example.nl", "--date", "2026-11-25"))
    import_incomes(store_url, tmp_path, "HHB-2026-0001")
    svc = bootstrap(store_url)
    try:
        def broken(today):
            raise ConnectionError("mail server gone")

        svc.send_notices = broken
        summary = nightly(svc, date(2026, 12, 1))
        assert summary["households_paid"] == 1 and summary["notices"].startswith("not sent: ConnectionError")
    finally:
        svc.engine.close()
    assert drained(smtp_stub.received) == []
    svc = bootstrap(store_url)
    try:
        summary = nightly(svc, date(2026, 12, 2))  # nothing more to pay; the notice goes out now
        assert summary["households_paid"] == 0 and len(summary["notices"]["sent"]) == 1
    finally:
        svc.engine.close()
    assert len(drained(smtp_stub.received)) == 1


@pytest.mark.parametrize("name, value", [("HHB_SMTP_URL", "http://mail.example.nl"),
                                         ("HHB_SMTP_URL", "smtp://mail.example.nl:port"),
                                         ("HHB_SMS_GATEWAY_URL", "gateway.example.nl/send")])
def test_a_gateway_address_that_cannot_work_is_refused(store_url, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    result = hhb(store_url, "notices", "send")
    assert result.exit_code == 2 and name in result.output
