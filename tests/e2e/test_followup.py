"""What's left, signals, projections, overviews and reports — day by day, on both stores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.store import open_engine
from huishoudboekje.domain.money import Money
from huishoudboekje.projections.views import Projections
from tests.factories import MANAGED, Tx, camt053, release_pending

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
GEMEENTE = ("NL14BNGH0285001234", "Gemeente Utrecht")
TOESLAGEN = ("NL86INGB0002445588", "Belastingdienst/Toeslagen")


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def hhb(store_url, *args):
    result = runner.invoke(app, [*args, "--db", store_url])
    assert result.exit_code == 0, result.output
    return result


def out(store_url, *args):
    return json.loads(hhb(store_url, *args, "--json").stdout)


def days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


def open_signals(store_url, dossier):
    return {(s["rule"], s["period"]): s for s in out(store_url, "signals", "--dossier", dossier)
            if s["status"] != "resolved"}


def import_on(store_url, tmp_path, name, transactions):
    path = tmp_path / name
    path.write_bytes(camt053(transactions, statement_id=name))
    on = max(t.value_day or t.day for t in transactions)  # the day the statement comes in
    hhb(store_url, "import", str(path), "--date", on.isoformat())


def test_persona_3_late_benefit_day_by_day(store_url, tmp_path, personas):
    """Late benefit: income late after its tolerance, shortfall ahead before the pay date,
    a buffer advance on it, and all of it resolved once the benefit arrives and is repaid."""
    persona = next(p for p in personas if "statushouder" in p.name)
    dossier = "HHB-DEMO-0003"
    hhb(store_url, "onboard", str(persona))
    seen: dict[str, date] = {}
    left = {}
    for day in days(date(2026, 11, 26), date(2027, 2, 2)):
        if day == date(2027, 1, 20):  # the benefit finally starts, with back pay for Nov and Dec
            import_on(store_url, tmp_path, "jan20", [Tx("3360.00", day, *GEMEENTE, f"Bijstand {dossier} nabetaling")])
        if day == date(2027, 1, 29):
            import_on(store_url, tmp_path, "jan29", [Tx("1120.00", day, *GEMEENTE, f"Bijstand {dossier} januari")])
        hhb(store_url, "reconcile", "--date", day.isoformat())
        for (rule, period) in open_signals(store_url, dossier):
            seen.setdefault(f"{rule}:{period}", day)
        left[day] = out(store_url, "left", dossier, "--date", day.isoformat())

    assert seen["shortfall-ahead:2026-12-01"] < date(2026, 12, 1)  # known before the pay date
    assert seen["income-late:2026-11-30"] == date(2026, 12, 4)  # 30 Nov + 3 business days tolerance
    assert seen["buffer-drawn:2026-12-01"] == date(2026, 12, 1)
    # Issue 18: the buffer advances the charges and the minimum leefgeld, so the newly
    # arrived resident has 200.00 to live on in December and January instead of nothing.
    assert left[date(2026, 12, 1)]["buffer_owed"] == "1034.50"
    assert left[date(2026, 12, 1)]["leefgeld"]["paid"] == "200.00"
    assert [c["status"] for c in left[date(2026, 12, 1)]["charges"] if c["due"] == "2026-12-01"] == ["paid", "paid"]
    assert left[date(2026, 12, 10)]["incomes"][0]["status"] in ("late", "missing")
    # the buffer limit is reached on 31 December: the rent (598.60, more than the 465.50
    # the buffer has left) cannot be paid in full; insurance, energy and the minimum
    # leefgeld are, and the landlord gets the last 29.60 as a part-payment
    assert {k for k in seen if k.startswith("arrears:")} == {"arrears:2027-01-01"}
    assert left[date(2026, 12, 31)]["buffer_owed"] == "1500.00"
    assert left[date(2026, 12, 31)]["leefgeld"]["paid"] == "200.00"
    assert [(c["agreement"], c["status"]) for c in left[date(2026, 12, 31)]["charges"]] == [
        ("huur", "in-arrears"), ("zorgverzekering", "paid"), ("energie", "paid")]
    assert not [k for k in seen if k.startswith("leefgeld-below-minimum")]
    final = open_signals(store_url, dossier)
    assert not [k for k in final if k[0] in ("income-late", "shortfall-ahead", "buffer-drawn", "arrears")]
    assert left[date(2027, 2, 1)]["buffer_owed"] == "0.00"
    # the back pay pays the rest of January's rent (569.00) and the buffer (1500.00) first:
    # 200.00 + 200.00 + 1576.50 over three months, as 0 + 0 + 1976.50 before
    assert left[date(2027, 2, 1)]["leefgeld"]["paid"] == "1576.50"
    history = out(store_url, "signals", "--dossier", dossier, "--status", "resolved")
    late = next(s for s in history if s["rule"] == "income-late" and s["period"] == "2026-11-30")
    assert [h["status"] for h in late["history"]] == ["open", "resolved"]


def test_persona_1_sees_weekly_leefgeld_and_a_fresh_date(store_url, tmp_path, personas):
    persona = next(p for p in personas if "eenoudergezin" in p.name)
    hhb(store_url, "onboard", str(persona))
    incomes = [Tx("1190.00", date(2026, 11, 30), *GEMEENTE, "HHB-DEMO-0001 bijstand"),
               Tx("381.00", date(2026, 11, 20), *TOESLAGEN, "huurtoeslag el Amrani"),
               Tx("131.00", date(2026, 11, 20), *TOESLAGEN, "zorgtoeslag el Amrani"),
               Tx("412.00", date(2026, 11, 20), *TOESLAGEN, "kindgebonden budget el Amrani")]
    import_on(store_url, tmp_path, "nov", incomes)
    hhb(store_url, "reconcile", "--date", "2026-12-09")
    left = out(store_url, "left", "HHB-DEMO-0001", "--date", "2026-12-09")
    assert left["data_as_of"] == "2026-11-30"
    assert left["cycle"] == {"pay_date": "2026-12-01", "next_pay_date": "2026-12-31"}
    parts = left["leefgeld"]["parts"]
    assert len(parts) == 5 and [p["status"] for p in parts] == ["paid", "paid", "scheduled", "scheduled", "scheduled"]
    assert Money(left["leefgeld"]["paid"]) == Money(parts[0]["amount"]) + Money(parts[1]["amount"])
    assert left["reserves"] == {"water": "22.80"}
    assert {c["agreement"]: c["status"] for c in left["charges"]}["energie"] == "paid"
    assert left["forecast"]["shortfall"] == "0.00"


def test_rebuilding_the_projections_gives_identical_results(store_url, tmp_path, personas):
    hhb(store_url, "onboard", *map(str, personas))
    import_on(store_url, tmp_path, "nov", [Tx("1190.00", date(2026, 11, 30), *GEMEENTE, "HHB-DEMO-0001")])
    for day in ("2026-12-01", "2026-12-04", "2026-12-31"):
        hhb(store_url, "reconcile", "--date", day)
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        views = Projections(engine)
        live = views.dump()
        assert views.rebuild(batch=7) > 0
        assert views.dump() == live
        assert live["hhb_signals"] and len(live["hhb_households"]) == 3
    finally:
        engine.close()


def test_staff_acknowledge_and_resolve_signals_with_their_name(store_url, personas):
    hhb(store_url, "onboard", next(str(p) for p in personas if "statushouder" in p.name))
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    [drawn] = [s for s in out(store_url, "signals") if s["rule"] == "buffer-drawn"]
    hhb(store_url, "signals", "ack", drawn["id"], "--actor", "a.yilmaz", "--note", "gebeld")
    hhb(store_url, "signals", "resolve", drawn["id"], "--actor", "a.yilmaz")
    after = next(s for s in out(store_url, "signals", "--status", "resolved") if s["id"] == drawn["id"])
    assert [(h["status"], h["by"]) for h in after["history"]] == [
        ("open", "system"), ("acknowledged", "a.yilmaz"), ("resolved", "a.yilmaz")]


def test_signals_come_most_urgent_first_and_filter_by_team(store_url, tmp_path, personas):
    hhb(store_url, "onboard", *map(str, personas))
    hhb(store_url, "reconcile", "--date", "2026-12-31")
    signals = out(store_url, "signals")
    ranks = ["critical", "high", "medium", "low"]
    assert [ranks.index(s["severity"]) for s in signals] == sorted(ranks.index(s["severity"]) for s in signals)
    assert signals[0]["severity"] == "critical"
    zuid = out(store_url, "signals", "--team", "Wijkteam Zuid")
    assert zuid and {s["dossier"] for s in zuid} == {"HHB-DEMO-0002"}
    keys = [s["id"] for s in signals]  # DOSSIER|rule:agreement:period, or a control's key
    assert len(keys) == len(set(keys))  # never a duplicate


def test_creditor_reports_are_imported_all_or_nothing(store_url, tmp_path, example_doc):
    hhb(store_url, "onboard", str(example_doc))
    good = {"signals": [{"dossier": "HHB-2026-0001", "partnerType": "Energie", "bedrag": "212.40",
                         "startdatumAchterstand": "2026-10-01", "signaalDatum": "2026-11-20",
                         "crisisIndicatie": True}]}
    bad = {"signals": good["signals"] + [{**good["signals"][0], "dossier": "HHB-NOPE"}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    refused = runner.invoke(app, ["signals", "import", str(tmp_path / "bad.json"), "--db", store_url])
    assert refused.exit_code == 2 and "signals[1].dossier" in refused.stderr
    assert out(store_url, "signals") == []
    (tmp_path / "good.json").write_text(json.dumps(good))
    assert json.loads(hhb(store_url, "signals", "import", str(tmp_path / "good.json")).stdout)["new"] == 1
    [external] = out(store_url, "signals")
    assert (external["rule"], external["severity"], external["details"]["partner"]) == ("external", "critical", "Energie")
    again = json.loads(hhb(store_url, "signals", "import", str(tmp_path / "good.json")).stdout)
    assert {k: again[k] for k in ("signals", "new", "known", "queued")} == {"signals": 1, "new": 0, "known": 1,
                                                                           "queued": 0}


def test_monthly_overview_and_team_report(store_url, tmp_path, personas):
    hhb(store_url, "onboard", *map(str, personas))
    import_on(store_url, tmp_path, "nov", [Tx("983.41", date(2026, 11, 25), "NL83ABNA0248101010",
                                                "Uitzendbureau Flex BV", "salaris Jansen nov")])
    hhb(store_url, "reconcile", "--date", "2026-12-01")
    release_pending(store_url)
    html = hhb(store_url, "overview", "HHB-DEMO-0002", "--month", "2026-12").stdout
    assert "Uw overzicht van december 2026" in html
    assert "€\u00a0645,80" in html and "Mitros" in html and "Wat wij voor u betaalden" in html
    nov = hhb(store_url, "overview", "HHB-DEMO-0002", "--month", "2026-11").stdout
    assert "€\u00a0983,41" in nov
    report = out(store_url, "report", "--team", "Wijkteam Noord")
    assert report["households"] == 2
    # nothing came in for 1 and 3: their charges and their minimum leefgeld were advanced,
    # (1164.40 + 250.00) + (834.50 + 200.00)
    assert report["buffer_outstanding"] == "2448.90"
    assert set(report["households_with_shortfall_ahead"]) <= {"HHB-DEMO-0001", "HHB-DEMO-0003"}
    assert report["open_signals"]["buffer-drawn"] == 2


@pytest.mark.slow
def test_a_projection_killed_midway_counts_every_event_once(store_url, tmp_path, personas):
    hhb(store_url, "onboard", *map(str, personas))
    for day in ("2026-12-01", "2026-12-15", "2026-12-31", "2027-01-15", "2027-02-01"):
        hhb(store_url, "reconcile", "--date", day)
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED}
    command = [sys.executable, "-m", "adapters.cli", "projections", "rebuild", "--batch", "3", "--db", store_url]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    for seen, line in enumerate(process.stderr, start=1):
        if seen == 6:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        views = Projections(engine)
        assert 0 < views.status().position < views.status().newest  # really stopped halfway
        views.catch_up(batch=4)
        expected = Counter(n.topic.rsplit(":", 1)[-1]
                           for n in engine.recorder.select_notifications(start=1, limit=10**6))
        assert views.event_counts() == dict(expected)
        assert views.status().lag == 0
    finally:
        engine.close()


def test_personas_1_and_2_over_three_months_day_by_day(store_url, tmp_path, personas):
    """Persona 1 is covered every month; persona 2's thin month draws the buffer, is seen
    coming before its pay date, and a wage far below the usual is flagged as deviating."""
    hhb(store_url, "onboard", *[str(p) for p in personas if "statushouder" not in p.name])
    flex = ("NL83ABNA0248101010", "Uitzendbureau Flex BV")
    wages = {date(2026, 11, 25): "1190.00", date(2026, 12, 24): "480.00", date(2027, 1, 25): "1402.35"}
    seen: dict[str, date] = {}
    for day in days(date(2026, 11, 20), date(2027, 2, 2)):
        statement = []
        if day.day == 20 or (day.day == 18 and day.month == 12):  # the 20th of December 2026 is a Sunday
            statement += [Tx("381.00", day, *TOESLAGEN, "huurtoeslag el Amrani"),
                          Tx("131.00", day, *TOESLAGEN, "zorgtoeslag el Amrani"),
                          Tx("412.00", day, *TOESLAGEN, "kindgebonden budget el Amrani"),
                          Tx("131.00", day, *TOESLAGEN, "zorgtoeslag Jansen")]
        if day in (date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 29)):
            statement.append(Tx("1190.00", day, *GEMEENTE, "HHB-DEMO-0001 bijstand"))
        if day in wages:
            statement.append(Tx(wages[day], day, *flex, "salaris Jansen"))
        if day == date(2027, 1, 4):  # quarterly, due on Sunday 3 January
            statement.append(Tx("634.50", day, "NL36INGB0007654321", "SVB", "kinderbijslag el Amrani"))
        if statement:
            import_on(store_url, tmp_path, f"s{day}", statement)
        hhb(store_url, "reconcile", "--date", day.isoformat())
        for dossier in ("HHB-DEMO-0001", "HHB-DEMO-0002"):
            for rule, period in open_signals(store_url, dossier):
                seen.setdefault(f"{dossier}:{rule}:{period}", day)
        one = out(store_url, "left", "HHB-DEMO-0001", "--date", day.isoformat())
        assert Money(one["leefgeld"]["paid"]) + Money(one["leefgeld"]["scheduled"]) >= Money.zero()

    assert not [k for k in seen if k.startswith("HHB-DEMO-0001:") and "water" not in k]
    assert seen["HHB-DEMO-0002:income-deviates:2026-12-24"] == date(2026, 12, 24)
    assert seen["HHB-DEMO-0002:shortfall-ahead:2026-12-31"] < date(2026, 12, 31)
    assert seen["HHB-DEMO-0002:buffer-drawn:2026-12-31"] == date(2026, 12, 31)
    two = out(store_url, "left", "HHB-DEMO-0002", "--date", "2027-02-01")
    assert two["buffer_owed"] == "0.00"  # January's wage repaid the advance
    still_open = open_signals(store_url, "HHB-DEMO-0002")
    assert not [k for k in still_open if k[0] in ("shortfall-ahead", "buffer-drawn")]
