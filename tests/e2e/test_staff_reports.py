"""The staff web app's Betaalbestanden and Rapportage pages (issue 21), and the API's
/docs page that works offline."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from adapters.web.staff.reports import flatten
from tests.conftest import register_teams
from tests.e2e.staff_web import ACCOUNTS, OWN, PASSWORD, ROOT, csrf, hhb, prepare, sign_in
from tests.factories import MANAGED, Tx, camt053


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff-reports")
    db = f"sqlite:///{tmp / 'events.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
        patch.setenv("HHB_VAR_DIR", str(tmp / "var"))
        secrets = prepare(db, tmp)
    return db, secrets, tmp


@pytest.fixture
def app(store, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(store[2] / "var"))
    monkeypatch.setenv("HHB_OUTBOX_DIR", str(store[2] / "outbox"))
    return create_app(db_url=store[0])


def client_of(app, store, role: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    email = ACCOUNTS[role][1]
    answer = sign_in(client, email, store[1][email])
    assert answer.status_code == 303, answer.text
    return client


def files_of(db: str, state: str | None = None) -> list[dict]:
    rows = json.loads(hhb(db, "payment-files", "list", "--json"))
    return [r for r in rows if state is None or r["state"] == state]


def test_who_sees_the_payment_files_and_the_report(app, store):
    name = files_of(store[0])[0]["name"]
    expected = {  # role: (files, a file's review, report)
        "staff": (403, 403, 403), "teamlead": (403, 403, 200), "auditor": (200, 200, 200),
        "finance": (200, 200, 403), "other-staff": (403, 403, 403)}
    for role, codes in expected.items():
        client = client_of(app, store, role)
        got = tuple(client.get(p).status_code for p in
                    ("/medewerker/betaalbestanden", f"/medewerker/betaalbestanden/{name}", "/medewerker/rapportage"))
        assert got == codes, role
        nav = client.get("/medewerker/").text
        assert ('href="/medewerker/betaalbestanden"' in nav) == (codes[0] == 200)
        assert ('href="/medewerker/rapportage"' in nav) == (codes[2] == 200)


def test_finance_holds_a_pending_file_with_a_reason(app, store):
    db = store[0]
    pending = files_of(db, "pending")
    page_of = f"/medewerker/betaalbestanden/{pending[0]['name']}"
    finance = client_of(app, store, "finance")
    assert f'href="{page_of}"' in finance.get("/medewerker/").text  # the werkvoorraad links to it
    token = csrf(finance.get(page_of).text)
    answer = finance.post(page_of, data={"action": "hold", "reason": " ", "csrf": token})
    assert answer.status_code == 400 and "Reden: vul in waarom" in answer.text
    assert files_of(db, "pending")[0]["name"] == pending[0]["name"]  # nothing changed
    assert finance.post(page_of, data={"action": "hold", "reason": "IBAN nakijken", "csrf": token}).status_code == 303
    held = next(f for f in files_of(db) if f["name"] == pending[0]["name"])
    assert held["state"] == "held" and held["reason"] == "IBAN nakijken"


def test_who_changed_a_household_the_file_pays_may_not_release_it(app, store):
    db = store[0]
    held = files_of(db, "held")[0]
    dossier = next(p["dossier"] for c in json.loads(hhb(db, "payment-files", "show", held["name"], "--json"))["creditors"]
                   for p in c["payments"] if p["dossier"])
    hhb(db, "users", "add", "--name", "Frank Geld", "--email", "frank@example.nl", "--role", "finance",
        "--actor", "beheer")
    out = hhb(db, "users", "password", "frank@example.nl", "--actor", "beheer", stdin=PASSWORD + "\n")
    secret = parse_qs(urlparse(re.search(r'"totp_uri": "([^"]+)"', out).group(1)).query)["secret"][0]
    hhb(db, "address", dossier, "--postcode", "3511 AB", "--number", "12A", "--actor", "Frank Geld")
    frank = TestClient(app, follow_redirects=False)
    assert sign_in(frank, "frank@example.nl", secret).status_code == 303
    page_of = f"/medewerker/betaalbestanden/{held['name']}"
    refused = frank.post(page_of, data={"action": "release", "csrf": csrf(frank.get(page_of).text)})
    assert refused.status_code == 409 and "Er is niets gewijzigd." in refused.text
    assert "vier ogen" in refused.text and dossier in refused.text
    assert files_of(db, "held")[0]["name"] == held["name"]


def test_finance_releases_a_held_file_from_its_review(app, store):
    db = store[0]
    pending = files_of(db, "held")[0]  # held by the test above; pending ones are released alike
    page_of = f"/medewerker/betaalbestanden/{pending['name']}"
    auditor = client_of(app, store, "auditor")
    review = auditor.get(page_of).text
    assert "tegengehouden" in review and "Vrijgeven aan de bank" not in review  # auditors change nothing
    refused = auditor.post(page_of, data={"action": "release", "csrf": csrf(review)})
    assert refused.status_code == 403
    staff = client_of(app, store, "staff")
    assert staff.post(page_of, data={"action": "release", "csrf": csrf(staff.get("/medewerker/").text)}
                      ).status_code == 403
    finance = client_of(app, store, "finance")
    listing = finance.get("/medewerker/betaalbestanden").text
    assert pending["name"] in listing and "tegengehouden" in listing
    review = finance.get(page_of).text
    assert str(pending["count"]) in review and "Vrijgeven aan de bank" in review
    assert finance.post(page_of, data={"action": "release", "csrf": "not-the-token"}).status_code == 400
    assert files_of(db, "held")[0]["name"] == pending["name"]  # nothing changed
    answer = finance.post(page_of, data={"action": "release", "csrf": csrf(review)})
    assert answer.status_code == 303, answer.text
    assert "Het betaalbestand is vrijgegeven." in finance.get(answer.headers["location"]).text
    released = next(f for f in files_of(db) if f["name"] == pending["name"])
    assert released["state"] == "released" and released["changed_by"] == "finance:Dirk Smit"


def test_the_report_page_has_charts_and_their_tables(app, store):
    page = client_of(app, store, "teamlead").get("/medewerker/rapportage")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 4 and 'role="img"' in html
    assert "<script" not in html and "<style" not in html  # the page's CSP allows neither
    assert "Signalen per maand" in html and "Huishoudens per leefgeld deze maand" in html
    assert "Voorschot van de buffer open aan het eind van elke maand" in html
    assert "Team Wijkteam Noord" in html and "De cijfers van deze grafiek" in html
    css = client_of(app, store, "teamlead").get("/medewerker/static/charts.css")
    assert css.status_code == 200 and ".pygal-chart" in css.text
    english = client_of(app, store, "teamlead").get("/medewerker/rapportage", params={"lang": "en"}).text
    assert "<h1>Report · Team Wijkteam Noord</h1>" in english and "Download as CSV" in english
    bad = client_of(app, store, "teamlead").get("/medewerker/rapportage", params={"month": "11-2026"})
    assert bad.status_code == 400 and "Maand: schrijf de maand als JJJJ-MM" in bad.text


def _report_api(app, store, team: str | None, month: str | None = None) -> dict:
    token = json.loads(hhb(store[0], "tokens", "issue", "--role", "auditor", "--name", "api",
                           "--actor", "beheer"))["token"]
    params = {k: v for k, v in (("team", team), ("month", month)) if v}
    answer = TestClient(app).get("/api/v1/reports", params=params, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("role, team", [("teamlead", "Wijkteam Noord"), ("auditor", None)])
def test_the_csv_holds_the_reports_numbers_exactly(app, store, role, team):
    client = client_of(app, store, role)
    answer = client.get("/medewerker/rapportage.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["field", "value"]
    expected = flatten(_report_api(app, store, team))
    assert [tuple(r) for r in rows[1:len(expected) + 1]] == expected
    charted = [r[0] for r in rows[len(expected) + 1:]]  # then the charts' numbers
    assert charted and all(field.startswith("chart.") for field in charted)
    assert any(field.startswith("chart.buffer_exposure.") for field in charted)
    assert ("households", str(_report_api(app, store, team)["households"])) in expected
    if team:
        assert ("team", team) in expected


def test_a_teamlead_reads_only_their_own_teams_report(app, store):
    client = client_of(app, store, "teamlead")
    assert client.get("/medewerker/rapportage", params={"team": "Wijkteam Zuid"}).status_code == 403
    assert client.get("/medewerker/rapportage.csv", params={"team": "Wijkteam Zuid"}).status_code == 403
    assert OWN  # the team's own report is the default


def test_the_api_docs_work_offline(app):
    client = TestClient(app)
    page = client.get("/docs")
    assert page.status_code == 200
    hosts = set(re.findall(r"(?:src|href)=[\"']?(https?://[^\"' >]+)", page.text))
    assert not hosts, hosts
    assets = re.findall(r"(?:src|href)=[\"']?(/[^\"' >]+)", page.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert b"cdn.jsdelivr" not in answer.content
    assert client.get("/redoc").status_code == 404  # ReDoc would load its script from a CDN
    spec = client.get("/openapi.json").text
    assert "HHB-2026-0001" in spec


def test_the_buffer_owed_at_each_months_end_is_charted_and_in_the_csv(tmp_path, monkeypatch):
    # A household starting in October with nothing in yet: its pay date of 2 October
    # advances its charges from the buffer; its benefit of 30 October repays all of it on
    # the pay date of 2 November.
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HHB_OUTBOX_DIR", str(tmp_path / "outbox"))
    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    register_teams(db, tmp_path, ("Wijkteam Noord",))
    persona = (ROOT / "personas" / "persona-3-statushouder.yaml").read_text(encoding="utf-8")
    document = tmp_path / "buffer.yaml"
    document.write_text(persona.replace("HHB-DEMO-0003", "HHB-BUF-0001")
                        .replace("start: 2026-11-01", "start: 2026-10-01").replace("pay_day: 1", "pay_day: 2")
                        .replace('amount: "1120.00"', 'amount: "2500.00"'), encoding="utf-8")
    hhb(db, "onboard", str(document), "--actor", "Anna Jansen")
    hhb(db, "reconcile", "--date", "2026-10-03")
    statement = tmp_path / "oktober.xml"
    statement.write_bytes(camt053([Tx("2500.00", date(2026, 10, 30), "NL14BNGH0285001234", "Gemeente Utrecht",
                                      "HHB-BUF-0001 bijstand")], statement_id="oktober"))
    hhb(db, "import", str(statement), "--date", "2026-10-30")
    hhb(db, "reconcile", "--date", "2026-11-03")
    hhb(db, "users", "add", "--name", "Bram de Boer", "--email", "bram@example.nl", "--role", "teamlead",
        "--team", "Wijkteam Noord", "--actor", "beheer")
    out = hhb(db, "users", "password", "bram@example.nl", "--actor", "beheer", stdin=PASSWORD + "\n")
    secret = parse_qs(urlparse(re.search(r'"totp_uri": "([^"]+)"', out).group(1)).query)["secret"][0]
    client = TestClient(create_app(db_url=db), follow_redirects=False)
    assert sign_in(client, "bram@example.nl", secret).status_code == 303

    html = client.get("/medewerker/rapportage", params={"month": "2026-12"}).text
    section = html[html.index('id="fig-buffer_exposure"'):]
    svg = section[section.index("<svg"):section.index("</svg>")]
    assert re.findall(r'<desc class="value">([^<]*)</desc>', svg) == ["€\u00a01.034,50", "€\u00a00,00", "€\u00a00,00"]
    assert [label for label in ("2026-10", "2026-11", "2026-12") if f">{label}<" in svg] == ["2026-10", "2026-11",
                                                                                              "2026-12"]
    table = section[section.index("<table"):section.index("</table>")]
    assert re.findall(r"<tr><th scope=\"row\">(\S+)</th><td class=\"num\">([^<]+)</td>", table) == [
        ("2026-10", "€\u00a01.034,50"), ("2026-11", "€\u00a00,00"), ("2026-12", "€\u00a00,00")]
    rows = list(csv.reader(io.StringIO(client.get("/medewerker/rapportage.csv", params={"month": "2026-12"}).text)))
    charted = {field: value for field, value in rows if field.startswith("chart.buffer_exposure.")}
    assert charted == {"chart.buffer_exposure.2026-10": "1034.50", "chart.buffer_exposure.2026-11": "0.00",
                       "chart.buffer_exposure.2026-12": "0.00"}
