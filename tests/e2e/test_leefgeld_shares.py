"""Leefgeld split over two participants of one household (issue 23), through `hhb` on SQLite
and PostgreSQL: each gets their share as a transfer of their own, with an id of its own, the
odd cent to the first; a document with wrong shares is refused naming the field, and
nothing is written.

The example household (bijstand 1,320.50, zorgtoeslag 131.00; rent 712.40, water reserved
at 20.40 a month) has 718.70 of leefgeld on 1 December: a third is 239.566…, two thirds
479.133…; rounded down 239.56 and 479.13 leave one cent, which goes to the first.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from adapters.api.app import create_app
from adapters.pain001 import read_pain001
from adapters.store import open_engine
from huishoudboekje import access
from tests.e2e.test_debts import Month, cli_json, hhb
from tests.factories import MANAGED

ROOT = Path(__file__).resolve().parents[2]
A = "HHB-2026-0001"
SANNE = ("NL44RABO0123456789", "Sanne de Vries")
JOOST = ("NL69INGB0123456789", "Joost de Vries")
ONE = "  - {name: Sanne de Vries, iban: NL44RABO0123456789}\n"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    monkeypatch.setenv("HHB_VAR_DIR", str(tmp_path / "var"))


def document(tmp_path, participants: str) -> Path:
    text = (ROOT / "examples" / f"{A}.yaml").read_text()
    assert ONE in text
    path = tmp_path / "household.yaml"
    path.write_text(text.replace(ONE, participants))
    return path


def leefgeld(tmp_path) -> list[tuple[str, str, str]]:
    return sorted((p.creditor_iban, str(p.amount), p.end_to_end_id)
                  for path in sorted((tmp_path / "var" / "payments").glob("*.xml"))
                  for p in read_pain001(path.read_bytes()) if p.creditor_iban in (SANNE[0], JOOST[0]))


def test_two_participants_each_get_their_share_with_the_odd_cent_to_the_first(store_url, tmp_path):
    hhb(store_url, "onboard", str(document(tmp_path, f"  - {{name: {SANNE[1]}, iban: {SANNE[0]}, share: \"1/3\"}}\n"
                                                     f"  - {{name: {JOOST[1]}, iban: {JOOST[0]}, share: \"2/3\"}}\n")))
    shown = cli_json(store_url, "show", A, "--json")
    assert [(p["name"], p["share"]) for p in shown["participants"]] == [(SANNE[1], "1/3"), (JOOST[1], "2/3")]
    month = Month(store_url, tmp_path)
    month.incomes("1320.50", date(2026, 11, 30))
    month.statement(date(2026, 11, 30))
    month.pay(date(2026, 12, 1))
    hhb(store_url, "reconcile", "--date", "2026-12-01")  # run again: nothing is paid twice
    paid = leefgeld(tmp_path)
    assert [(iban, amount) for iban, amount, _ in paid] == [(SANNE[0], "239.57"), (JOOST[0], "479.13")]
    assert len({e2e for _, _, e2e in paid}) == 2
    left = cli_json(store_url, "left", A, "--date", "2026-12-02")["leefgeld"]
    assert left["paid"] == "718.70"  # the household's leefgeld, and each participant's part of it
    assert sorted((p["to"], p["amount"]) for p in left["parts"]) == [(JOOST[1], "479.13"), (SANNE[1], "239.57")]
    engine = open_engine(store_url, tmp_path / "ev")
    try:
        instructions = [i for i in engine.household(A).instructions.values() if i.kind == "leefgeld"]
    finally:
        engine.close()
    assert sorted((i.creditor_iban, i.amount.amount, i.part) for i in instructions) == [
        (SANNE[0], Decimal("239.57"), 1), (JOOST[0], Decimal("479.13"), 1)]
    # the participant's page shows whose part each is
    app = create_app(db_url=store_url)
    try:
        link, _ = access.issue(app.state.context.engine, "participant", SANNE[1], "test", dossier=A, valid_days=30)
        with TestClient(app) as client:
            page = client.get(f"/p/{link}?date=2026-12-02")
    finally:
        app.state.context.engine.close()
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", unescape(page.text)).split())
    assert "€ 239,57 Sanne de Vries" in text and "€ 479,13 Joost de Vries" in text
    # the bank executed both, and the books still agree with it
    check = month.statement(date(2026, 12, 2))
    assert (check["in_order"], check["difference"]) == (True, "0.00")


@pytest.mark.parametrize("shares, field, words", [
    (('"1/2"', '"1/3"'), "participants[0].share", "add up to 5/6, not 1"),
    (('"1/2"', None), "participants[1].share", "every participant a share, or none"),
    (("0", "1"), "participants[0].share", "more than 0 and at most 1"),
    (('"half"', '"1/2"'), "participants[0].share", "not a fraction"),
])
def test_shares_that_do_not_make_the_whole_are_refused_and_nothing_is_written(store_url, tmp_path, shares, field,
                                                                              words):
    first, second = (f", share: {s}" if s else "" for s in shares)
    path = document(tmp_path, f"  - {{name: {SANNE[1]}, iban: {SANNE[0]}{first}}}\n"
                              f"  - {{name: {JOOST[1]}, iban: {JOOST[0]}{second}}}\n")
    refused = hhb(store_url, "onboard", str(path), code=2)
    assert field in refused.output and words in refused.output and "household.yaml" in refused.output
    assert cli_json(store_url, "households", "--json") == []
