"""Typos and hostile input refused before anything is written (issue 16): credential
lifetimes, accounts that would pay the wrong party, bookings no bank makes.

Each case is the exact input of the issue, through the CLI, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from huishoudboekje import access
from huishoudboekje.domain.access import Credential, hash_secret
from huishoudboekje.domain.statement import StatementError
from tests.conftest import ROOT
from tests.factories import MANAGED, Tx, camt053, mt940
from tests.e2e.test_teams import hhb, ok, settings_env  # noqa: F401 - the autouse fixture applies here too

EXAMPLE = ROOT / "examples" / "HHB-2026-0001.yaml"
LANDLORD = "NL20INGB0001234567"  # the example's rent goes here


def refused(store_url, *args, says: str):
    result = hhb(store_url, *args)
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split()), result.output
    return result


def events(store_url) -> int:
    from adapters.store import open_engine

    engine = open_engine(store_url, Path("var"))
    try:
        return engine.event_count()
    finally:
        engine.close()


# -- credential lifetimes ----------------------------------------------------------------------


@pytest.mark.parametrize("days", ["0", "-1", "366"])
def test_a_token_or_link_lifetime_outside_1_to_365_days_is_refused(store_url, days):
    ok(store_url, "onboard", str(EXAMPLE))
    before = events(store_url)
    refused(store_url, "tokens", "issue", "--role", "staff", "--name", "j.devries", "--team", "Wijkteam Noord",
            "--days", days, says=f"--days: {days} is not a lifetime of 1 to 365 days")
    refused(store_url, "tokens", "link", "HHB-2026-0001", "--days", days,
            says=f"--days: {days} is not a lifetime of 1 to 365 days")
    assert events(store_url) == before


def test_a_token_is_valid_for_the_days_asked_and_at_most_the_setting(store_url, monkeypatch):
    issued = json.loads(ok(store_url, "tokens", "issue", "--role", "auditor", "--name", "a", "--days", "1").stdout)
    assert date.fromisoformat(issued["expires"][:10]) - date.today() in (timedelta(days=1), timedelta(days=0))
    default = json.loads(ok(store_url, "tokens", "issue", "--role", "auditor", "--name", "b").stdout)
    assert date.fromisoformat(default["expires"][:10]) >= date.today() + timedelta(days=364)
    monkeypatch.setenv("HHB_MAX_CREDENTIAL_DAYS", "30")
    refused(store_url, "tokens", "issue", "--role", "auditor", "--name", "c", "--days", "31",
            says="--days: 31 is not a lifetime of 1 to 30 days")


def test_only_a_job_token_may_never_expire_and_its_issuer_is_warned(store_url):
    result = ok(store_url, "tokens", "issue", "--role", "job", "--name", "nightly", "--no-expiry")
    issued = json.loads(result.stdout)
    assert issued["expires"] is None
    assert "warning: this token never expires" in result.stderr
    refused(store_url, "tokens", "issue", "--role", "auditor", "--name", "a", "--no-expiry",
            says="only tokens of the job role may be issued without expiry")


def test_credentials_issued_without_expiry_by_earlier_versions_keep_working(engine):
    secret = "hhbt_issued-by-an-earlier-version"
    old = Credential(secret_hash=hash_secret(secret), role="auditor", name="a.udit", team=None, dossier=None,
                     expires=None, issued=datetime(2026, 1, 5, tzinfo=timezone.utc), actor="cli")
    engine.save(old)
    found = access.authenticate(engine, secret, now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert found is not None and found.role == "auditor"


# -- onboarding: accounts that would pay the wrong party ---------------------------------------------


def edited(tmp_path, edit) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    edit(doc)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


@pytest.mark.parametrize(("edit", "field", "says"), [
    (lambda d: d["participants"][0].update(iban=LANDLORD), "participants[0].iban",
     "is the account of Woningcorporatie Portaal, the creditor of charge 'huur'"),
    (lambda d: d["participants"][0].update(iban=MANAGED), "participants[0].iban",
     "is one of the municipality's managed accounts"),
    (lambda d: d["charges"][0]["counterparty"].update(iban=MANAGED), "charges[0].counterparty.iban",
     "is one of the municipality's managed accounts"),
], ids=["participant-is-landlord", "participant-is-managed", "creditor-is-managed"])
def test_an_account_that_would_pay_the_wrong_party_is_refused_naming_the_field(store_url, tmp_path, edit, field, says):
    path = edited(tmp_path, edit)
    before = events(store_url)
    result = refused(store_url, "onboard", str(path), says=says)
    assert field in result.output
    assert events(store_url) == before


# -- statements: bookings no bank makes -----------------------------------------------------------------


GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")


@pytest.mark.parametrize("fmt", [camt053, mt940], ids=["camt053", "mt940"])
@pytest.mark.parametrize(("tx", "says"), [
    (Tx("1320.50", date(2026, 11, 30), *GEMEENTE, "Bijstand HHB-2026-0001", value_day=date(9999, 12, 31)),
     "is more than 7 days after the import date 2026-12-01"),  # MT940 writes 9999 as 2099
    (Tx("0.00", date(2026, 11, 30), *GEMEENTE, "Bijstand HHB-2026-0001"), "the amount is 0.00"),
], ids=["value-date-9999", "zero"])
def test_a_booking_no_bank_makes_is_refused_naming_file_and_entry(store_url, tmp_path, fmt, tx, says):
    ok(store_url, "onboard", str(EXAMPLE))
    before = events(store_url)
    good = Tx("131.00", date(2026, 11, 20), "NL86INGB0002445588", "Belastingdienst", "zorgtoeslag")
    path = tmp_path / ("bad.xml" if fmt is camt053 else "bad.sta")
    try:
        path.write_bytes(fmt([good, tx]))
    except Exception:  # noqa: BLE001 - MT940 cannot even write the year 9999: 6-digit dates
        pytest.skip("this format cannot carry the date")
    result = refused(store_url, "import", str(path), "--date", "2026-12-01", says=says)
    where = "entry 2" if fmt is camt053 else "line"
    assert str(path) in " ".join(result.output.split()) and where in result.output
    assert events(store_url) == before


def test_a_value_date_within_the_days_ahead_is_imported(store_url, tmp_path, monkeypatch):
    ok(store_url, "onboard", str(EXAMPLE))
    path = tmp_path / "soon.xml"
    path.write_bytes(camt053([Tx("1320.50", date(2026, 12, 8), *GEMEENTE, "Bijstand HHB-2026-0001")]))
    monkeypatch.setenv("HHB_VALUE_DAYS_AHEAD", "6")
    refused(store_url, "import", str(path), "--date", "2026-12-01", says="more than 6 days after")
    monkeypatch.delenv("HHB_VALUE_DAYS_AHEAD")
    assert json.loads(ok(store_url, "import", str(path), "--date", "2026-12-01", "--json").stdout)["new"] == 1


# -- bounded parsing ----------------------------------------------------------------------------------


def test_a_52_mb_camt053_with_millions_of_empty_elements_in_one_entry_is_refused(store_url, tmp_path):
    ok(store_url, "onboard", str(EXAMPLE))
    before = events(store_url)
    statement = camt053([Tx("1320.50", date(2026, 11, 30), *GEMEENTE, "Bijstand HHB-2026-0001")])
    head, tail = statement.split(b"</NtryDtls>", 1)
    path = tmp_path / "hostile.xml"
    with path.open("wb") as out:  # 52 MB, under the 50 MiB limit of HHB_MAX_STATEMENT_BYTES
        out.write(head)
        for _ in range(13):
            out.write(b"<X/>" * 1_000_000)
        out.write(b"</NtryDtls>" + tail)
    assert 52_000_000 <= path.stat().st_size <= 50 * 1024 * 1024
    result = refused(store_url, "import", str(path), "--date", "2026-12-01",
                     says="entry 1: more than 200,000 XML elements in one entry")
    assert str(path) in " ".join(result.output.split())
    assert events(store_url) == before


def test_unknown_elements_below_the_cap_in_every_entry_still_import():
    from adapters.camt053 import parse_camt053

    entries = [Tx("1320.50", date(2026, 11, d), *GEMEENTE, f"Bijstand {d}") for d in range(2, 7)]
    padded = camt053(entries).replace(b"</NtryDtls>", b"<Unknown/>" * 40_000 + b"</NtryDtls>")
    [statement] = parse_camt053(padded, "padded.xml", max_entry_elements=50_000)
    assert [t.description for t in statement.transactions] == [f"Bijstand {d}" for d in range(2, 7)]
    third = padded.split(b"<Unknown/>" * 40_000, 2)
    too_many = third[0] + b"<Unknown/>" * 40_000 + third[1] + b"<Unknown/>" * 60_000 + third[2]
    with pytest.raises(StatementError, match=r"padded\.xml, entry 2: more than 50,000 XML elements"):
        parse_camt053(too_many, "padded.xml", max_entry_elements=50_000)
