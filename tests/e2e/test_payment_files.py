"""Four eyes on every payment file (issue 20), through the CLI and the API, on SQLite and
PostgreSQL: a file the job writes waits, pending, until a person with the role finance
who did not change its households that day releases it into the outbox; its bytes must
be the recorded ones; a held file's payments are not sent, and released later they go
unchanged; hold, release and rerun (also after a kill) pay every instruction once."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.api.app import create_app
from adapters.bootstrap import bootstrap
from adapters.cli import app as cli
from adapters.payments import Pain001Writer
from adapters.store import open_engine
from huishoudboekje import access
from huishoudboekje.config import Settings
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.payment_files import ReleaseRefused
from huishoudboekje.projections.views import Projections
from huishoudboekje.reconcile import reconcile
from tests.e2e.test_maatwerk import approve, propose, team  # noqa: F401 - the maatwerk team fixture
from tests.e2e.test_reconcile import check_pain, november_incomes
from tests.factories import MANAGED, camt053

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
A = "HHB-2026-0001"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("HHB_ACTOR", raising=False)


def hhb(url, *args):
    return runner.invoke(cli, [*args, "--db", url])


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def as_json(url, *args):
    return json.loads(ok(hhb(url, *args, "--json")).stdout)


def files(tmp_path, where="payments"):
    return sorted((tmp_path / "var" / where).glob("*.xml"))


@pytest.fixture
def paid(store_url, tmp_path, example_doc):
    """The example household onboarded by s.taf, its November incomes, 1 December paid."""
    ok(hhb(store_url, "onboard", str(example_doc), "--actor", "s.taf"))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053(november_incomes()))
    ok(hhb(store_url, "import", str(statement)))
    ok(hhb(store_url, "reconcile", "--date", "2026-12-01"))
    [pending] = files(tmp_path)
    return store_url, pending


def progress(url, day="2026-12-01"):
    left = as_json(url, "left", A, "--date", day)
    return {c["agreement"]: c["progress"] for c in left["charges"] if c.get("agreement") == "huur"}["huur"]


# -- the CLI ------------------------------------------------------------------------------


def test_a_written_file_waits_for_a_second_person_then_goes_to_the_outbox_unchanged(paid, tmp_path):
    url, pending = paid
    [listed] = as_json(url, "payment-files")  # no subcommand: the list, as before
    assert (listed["name"], listed["state"]) == (pending.name, "pending") and files(tmp_path, "outbox") == []
    assert progress(url) == "planned"  # in a file nobody released: not with the bank
    nameless = hhb(url, "payment-files", "release", pending.name)
    assert nameless.exit_code == 2 and "--actor" in nameless.stderr
    own = hhb(url, "payment-files", "release", pending.name, "--actor", "S.Taf")  # who onboarded it today
    assert own.exit_code == 2 and A in own.stderr and "vier ogen" in own.stderr and "four eyes" in own.stderr
    job = hhb(url, "payment-files", "release", pending.name, "--actor", "job")
    assert job.exit_code == 2 and "finance" in job.stderr
    assert as_json(url, "payment-files", "list")[0]["state"] == "pending"
    released = json.loads(ok(hhb(url, "payment-files", "release", pending.name, "--actor", "f.inance")).stdout)
    assert (released["state"], released["by"], released["in_outbox"]) == ("released", "f.inance", True)
    [sent] = files(tmp_path, "outbox")
    assert sent.name == pending.name and sent.read_bytes() == pending.read_bytes()
    assert list((tmp_path / "var" / "outbox").glob("*.part")) == []
    assert progress(url) == "sent"
    again = hhb(url, "payment-files", "release", pending.name, "--actor", "f.inance")
    assert again.exit_code == 2 and "al vrijgegeven door f.inance" in again.stderr
    [row] = as_json(url, "payment-files", "list", "--state", "released")
    assert (row["changed_by"], row["first_execution"]) == ("f.inance", "2026-12-01")


def test_a_file_whose_bytes_changed_is_refused_naming_it_and_nothing_goes_out(paid, tmp_path):
    url, pending = paid
    pending.write_bytes(pending.read_bytes().replace(b"712.40", b"812.40"))
    refused = hhb(url, "payment-files", "release", pending.name, "--actor", "f.inance")
    assert refused.exit_code == 2 and pending.name in refused.stderr
    assert "de inhoud is veranderd" in refused.stderr and "the content changed" in refused.stderr
    assert files(tmp_path, "outbox") == [] and as_json(url, "payment-files")[0]["state"] == "pending"
    review = as_json(url, "payment-files", "show", pending.name)
    assert review["sha256_matches"] is False and review["on_disk"] is True


def test_a_held_file_is_not_sent_and_released_later_goes_as_it_was(paid, tmp_path):
    url, pending = paid
    content = pending.read_bytes()
    nameless = hhb(url, "payment-files", "hold", pending.name, "--reason", "huur dubbel?")
    assert nameless.exit_code == 2
    held = json.loads(ok(hhb(url, "payment-files", "hold", pending.name, "--reason", " huur  dubbel? ",
                             "--actor", "f.inance")).stdout)
    assert (held["state"], held["reason"]) == ("held", "huur dubbel?")
    assert progress(url, "2026-12-03") == "planned"  # its date came, but it is not with the bank
    again = hhb(url, "payment-files", "hold", pending.name, "--reason", "x", "--actor", "f.inance")
    assert again.exit_code == 2 and "al tegengehouden" in again.stderr
    ok(hhb(url, "reconcile", "--date", "2026-12-03"))  # later nights file nothing of it again
    assert files(tmp_path) == [pending] and files(tmp_path, "outbox") == []
    ok(hhb(url, "payment-files", "release", pending.name, "--actor", "a.nder"))
    [sent] = files(tmp_path, "outbox")
    assert sent.read_bytes() == content and progress(url, "2026-12-03") == "sent"


def test_the_escalation_of_a_file_nobody_released_is_resolved_by_its_release(paid, tmp_path):
    url, pending = paid
    key = f"payment-file-unreleased:{pending.name}"
    [signal] = [s for s in as_json(url, "signals") if s["id"] == key]
    assert (signal["dossier"], signal["severity"], signal["amount"]) == (None, "critical", "1431.10")
    assert signal["details"]["execution_date"] == "2026-12-01"
    ok(hhb(url, "payment-files", "release", pending.name, "--actor", "f.inance"))
    [signal] = [s for s in as_json(url, "signals") if s["id"] == key]
    assert signal["status"] == "resolved" and signal["history"][-1]["by"] == "f.inance"


def test_escalation_waits_for_the_working_day_before_the_execution_date(store_url, tmp_path, example_doc):
    from huishoudboekje import payment_files

    ok(hhb(store_url, "onboard", str(example_doc)))
    svc = bootstrap(store_url, Settings())
    try:
        reconcile(svc.engine, date(2026, 12, 1), default_account=MANAGED, write_file=svc.payment_writer())
        svc.catch_up()
        # executes Tuesday 1 December: the working day before is Monday 30 November
        assert payment_files.escalate(svc.engine, svc.projections, date(2026, 11, 27)) == []
        [raised] = payment_files.escalate(svc.engine, svc.projections, date(2026, 11, 30))
        assert payment_files.escalate(svc.engine, svc.projections, date(2026, 12, 1)) == []  # once
        svc.catch_up()
        [signal] = [s for s in svc.signals() if s["rule"] == "payment-file-unreleased"]
        assert signal["severity"] == "high" and signal["details"]["file"] == raised
    finally:
        svc.engine.close()


def test_the_account_must_cover_the_file(paid, tmp_path):
    url, pending = paid
    short = bootstrap(url, Settings())
    short.available = lambda account: Money("1000.00") if account == MANAGED else None
    try:
        with pytest.raises(ReleaseRefused, match=r"tekort 431\.10.*shortfall 431\.10"):
            short.release_payment_file(pending.name, "f.inance")
        assert files(tmp_path, "outbox") == []
        short.available = lambda account: Money("1431.10")
        assert short.release_payment_file(pending.name, "f.inance")["state"] == "released"
    finally:
        short.engine.close()


# -- hold, release, rerun: every instruction once ------------------------------------------


class Killed(BaseException):
    """The process dies: nothing catches it."""


class DiesBeforeWriting(Pain001Writer):
    def store(self, record, content):
        raise Killed()


def test_hold_release_and_rerun_pay_every_instruction_once_also_after_a_kill(store_url, tmp_path, example_doc):
    ok(hhb(store_url, "onboard", str(example_doc)))
    statement = tmp_path / "nov.xml"
    statement.write_bytes(camt053(november_incomes()))
    ok(hhb(store_url, "import", str(statement)))
    engine = open_engine(store_url, tmp_path / "ev")
    try:  # killed between recording the file and writing it
        with pytest.raises(Killed):
            reconcile(engine, date(2026, 12, 1), default_account=MANAGED,
                      write_file=DiesBeforeWriting(tmp_path / "var" / "payments", "Gemeente Huishoudboekje"))
    finally:
        engine.close()
    [recorded] = as_json(store_url, "payment-files")
    assert recorded["state"] == "pending" and files(tmp_path) == []
    missing = hhb(store_url, "payment-files", "release", recorded["name"], "--actor", "f.inance")
    assert missing.exit_code == 2 and "run the job again" in missing.stderr
    ok(hhb(store_url, "reconcile", "--date", "2026-12-01"))  # the rerun writes it, byte for byte
    [pending] = files(tmp_path)
    assert hashlib.sha256(pending.read_bytes()).hexdigest() == recorded["sha256"]
    ok(hhb(store_url, "payment-files", "hold", pending.name, "--reason", "controle", "--actor", "f.inance"))
    ok(hhb(store_url, "reconcile", "--date", "2026-12-02"))  # a later night: nothing filed again
    ok(hhb(store_url, "payment-files", "release", pending.name, "--actor", "f.inance"))
    december = tmp_path / "dec.xml"
    december.write_bytes(camt053([replace(t, day=t.day.replace(month=12)) for t in november_incomes()],
                                 statement_id="DEC"))
    ok(hhb(store_url, "import", str(december), "--date", "2026-12-31"))
    ok(hhb(store_url, "reconcile", "--date", "2026-12-31"))  # the next pay date, and its own file
    for listed in as_json(store_url, "payment-files", "list", "--state", "pending"):
        ok(hhb(store_url, "payment-files", "release", listed["name"], "--actor", "f.inance"))
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        issued = [i.end_to_end_id for e in engine.events.get(engine.household(A).id)
                  if type(e).__name__ in ("PayDateRun", "PayDateSupplemented") for i in e.instructions]
        views = Projections(engine)  # the read models of files, their payments and signals rebuild the same
        views.catch_up()
        live = views.dump()
        assert live["hhb_unreleased"] == [] and {r["state"] for r in live["hhb_payment_files"]} == {"released"}
        views.rebuild(batch=7)
        assert views.dump() == live
    finally:
        engine.close()
    sent = [e2e for path in files(tmp_path, "outbox") for e2e in check_pain(path)[2]]
    assert len(issued) >= 4 and sorted(sent) == sorted(issued)  # each once, none twice, none missing
    assert len(files(tmp_path, "outbox")) == len(files(tmp_path)) == 2


# -- the API --------------------------------------------------------------------------------


@pytest.fixture
def api(paid):
    url, pending = paid
    app = create_app(db_url=url)
    engine = app.state.context.engine

    def token(role, name, team=None):
        return {"Authorization": f"Bearer {access.issue(engine, role, name, 'test', team=team)[0]}"}

    callers = {"job": token("job", "nightly"), "finance": token("finance", "f.inance"),
               "auditor": token("auditor", "a.udit"), "staff": token("staff", "s.taf", "Wijkteam Noord"),
               "own": token("finance", " S.TAF ")}  # the same person as staff s.taf, who onboarded A
    with TestClient(app) as client:
        yield lambda who, method, path, **kw: client.request(method, f"/api/v1{path}", headers=callers[who], **kw), \
            pending
    engine.close()


def test_only_a_finance_person_who_did_not_change_its_households_releases_through_the_api(api, tmp_path):
    call, pending = api
    path = f"/payment-files/{pending.name}"
    for who in ("job", "staff", "auditor"):
        assert call(who, "POST", f"{path}/release").status_code == 403, who
        assert call(who, "POST", f"{path}/hold", json={"reason": "x"}).status_code == 403, who
    own = call("own", "POST", f"{path}/release")
    assert own.status_code == 403 and A in own.json()["detail"] and own.json()["field"] == "actor"
    assert call("job", "GET", path).status_code == 409  # the bank connection gets it once released
    assert call("auditor", "GET", f"{path}/review").status_code == 200
    released = call("finance", "POST", f"{path}/release")
    assert released.status_code == 200, released.text
    assert released.json() == {**released.json(), "state": "released", "by": "finance:f.inance", "in_outbox": True}
    assert call("job", "GET", path).content == pending.read_bytes()
    assert call("finance", "POST", f"{path}/release").status_code == 409
    assert [f["state"] for f in call("job", "GET", "/payment-files?state=released").json()] == ["released"]


def test_a_hold_through_the_api_records_the_reason_and_a_changed_file_is_a_conflict(api, tmp_path):
    call, pending = api
    path = f"/payment-files/{pending.name}"
    held = call("finance", "POST", f"{path}/hold", json={"reason": "dubbele huur?"})
    assert held.status_code == 200 and held.json()["reason"] == "dubbele huur?"
    [row] = call("finance", "GET", "/payment-files?state=held").json()
    assert (row["changed_by"], row["reason"]) == ("finance:f.inance", "dubbele huur?")
    pending.write_bytes(pending.read_bytes() + b"\n")
    changed = call("finance", "POST", f"{path}/release")
    assert changed.status_code == 409 and pending.name in changed.json()["detail"]
    assert call("finance", "POST", "/payment-files/nope.xml/release").status_code == 404


# -- maatwerk: the 24 hours include the release ---------------------------------------------


def test_a_maatwerk_file_waits_for_a_finance_person_who_did_not_approve_it(team, tmp_path):
    url, case = team, "MW-2026-0001"
    ok(propose(url, tmp_path))
    for approver in ("Anna Zorg", "Bram Schuld", "Cor Inkomen"):
        paid = json.loads(ok(approve(url, case, approver)).stdout)
    name = paid["payment_file"]
    [row] = [f for f in as_json(url, "payment-files") if f["name"] == name]
    assert (row["state"], row["first_execution"], row["control_sum"]) == ("pending", "2026-12-04", "450.00")
    assert files(tmp_path, "outbox") == []
    approver = hhb(url, "payment-files", "release", name, "--actor", "Bram Schuld")
    assert approver.exit_code == 2 and "besloot mee" in approver.stderr and "four eyes" in approver.stderr
    review = as_json(url, "payment-files", "show", name)
    [payment] = [p for c in review["creditors"] for p in c["payments"]]
    assert (payment["dossier"], payment["kind"], payment["agreement"], payment["flags"]) == \
        (A, "maatwerk", case, [])
    ok(hhb(url, "payment-files", "release", name, "--actor", "f.inance"))
    [sent] = files(tmp_path, "outbox")
    assert sent.name == name and sent.read_bytes() == (tmp_path / "var" / "payments" / name).read_bytes()
