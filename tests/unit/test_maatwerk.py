"""Maatwerk's rules without a store: the proposal and price list checked field by field,
the approvals' refusals, and the report's sums (a property: months, categories and items
add up to the cases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.documents import load_document
from huishoudboekje.domain.maatwerk import MaatwerkCase, MaatwerkError, end_to_end_id, number_of
from huishoudboekje.domain.maatwerk_proposal import (CATEGORIES, DEFAULT_PRICES, PriceList, ProposalError,
                                                     parse_proposal)
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.run import PaymentFileRecord
from huishoudboekje.domain.staff import StaffAccount
from huishoudboekje.maatwerk import instruction_of
from huishoudboekje.maatwerk_report import team_report
from tests.conftest import ROOT

PRICES = PriceList.parse(DEFAULT_PRICES)
DOC = load_document(ROOT / "examples" / "maatwerk-voorstel.yaml")
NOORD = "Wijkteam Noord"
ZORG, SCHULD, INKOMEN = (StaffAccount(n, f"{n}@x.nl", "staff", NOORD, d)
                         for n, d in (("anna", "zorg"), ("bram", "schuldhulp"), ("cor", "inkomen")))


def test_the_shipped_price_list_file_is_the_default():
    assert PriceList.parse(load_document(ROOT / "examples" / "maatwerk-prijslijst.yaml")) == PRICES
    assert {i: str(p.amount) for i, p in PRICES.items.items()} == {
        "huisuitzetting": "6000.00", "afsluiting-energie": "790.00", "herhuisvesting": "1200.00",
        "deurwaarder": "200.00", "bijstandsuitkering": "900.00"}


def test_the_issues_proposal_reads_as_written():
    proposal = parse_proposal(DOC, PRICES)
    assert (proposal.team, proposal.dossier, proposal.amount, proposal.avoided) == (
        NOORD, "HHB-2026-0001", Money("450.00"), Money("6000.00"))


@pytest.mark.parametrize("change, field", [
    ({"amount": "4,50"}, "amount"), ({"amount": "-1.00"}, "amount"), ({"category": "huis"}, "category"),
    ({"creditor": {"name": "X", "iban": "NL00ABNA0000000000"}}, "creditor.iban"),
    ({"prevents": ["ontruiming"]}, "prevents"), ({"regular_provision_checked": "ja"}, "regular_provision_checked"),
    ({"problem": ""}, "problem"), ({"resident": {"name": "P", "iban": "NL44RABO0123456789"}}, "dossier"),
    ({"bedrag": "1.00"}, "bedrag"),
])
def test_a_bad_field_is_named(change, field):
    with pytest.raises(ProposalError) as refused:
        parse_proposal({**DOC, **change}, PRICES)
    assert refused.value.field == field and field in str(refused.value)


def _case(number="MW-2026-0001", amount="450.00", category="wonen", prevents=("huisuitzetting",),
          paid_on=date(2026, 12, 3)) -> MaatwerkCase:
    proposal = parse_proposal({**DOC, "amount": amount, "category": category, "prevents": list(prevents)}, PRICES)
    case = MaatwerkCase(number=number, proposal=proposal, proposer="anna", on=paid_on, actor="anna")
    for account in (ZORG, SCHULD, INKOMEN):
        case.approve(account, paid_on, account.name)
    file = PaymentFileRecord("f.xml", "0" * 64, 1, proposal.amount, "NL39BNGH0285009999", "M", "v", ())
    case.pay(instruction=instruction_of(case, paid_on, paid_on), file=file, on=paid_on, over_budget=None,
             actor="cor")
    return case


def test_approvals_refused_with_their_reason():
    proposal = parse_proposal(DOC, PRICES)
    case = MaatwerkCase(number="MW-2026-0001", proposal=proposal, proposer="anna", on=date(2026, 12, 3), actor="a")
    case.approve(ZORG, date(2026, 12, 3), "anna")
    for account, says in ((ZORG, "approved MW-2026-0001 already"),
                          (StaffAccount("Dirk", "d@x.nl", "staff", NOORD, "zorg"), "approved as zorg already"),
                          (StaffAccount("Eva", "e@x.nl", "staff", "Wijkteam Zuid", "inkomen"), "is not in"),
                          (StaffAccount("Fem", "f@x.nl", "staff", NOORD, None), "has no discipline")):
        with pytest.raises(MaatwerkError, match=says):
            case.approve(account, date(2026, 12, 3), account.name)
    assert len(case.approvals) == 1


def test_a_maatwerk_end_to_end_id_is_never_a_households():
    e2e = end_to_end_id("MW-2026-0001")
    assert number_of(e2e) == "MW-2026-0001" and len(e2e) <= 35
    from huishoudboekje.domain.ids import end_to_end_prefix

    assert end_to_end_prefix(e2e) is None
    assert number_of("07A2BB03568B-0123456789ABCDEF0123") is None


class _NoStore:
    def get_or_none(self, ident):
        return None


cases = st.lists(st.tuples(
    st.integers(1, 12), st.sampled_from(CATEGORIES), st.decimals(Decimal("0.01"), Decimal("5000.00"), places=2),
    st.lists(st.sampled_from(sorted(PRICES.items)), max_size=4)), max_size=25)


@given(cases)
def test_the_report_adds_up_to_its_cases_per_month_category_and_item(drawn):
    paid = [_case(f"MW-2026-{n:04d}", str(amount), category, prevents, date(2026, month, 3))
            for n, (month, category, amount, prevents) in enumerate(drawn, start=1)]
    report = team_report(_NoStore(), NOORD, 2026, paid, Money("15000.00"), date(2027, 1, 1))
    spent = sum((c.proposal.amount for c in paid), Money.zero())
    avoided = sum((c.proposal.avoided for c in paid), Money.zero())
    assert (report["spent"], report["avoided"], report["cases"]) == (str(spent), str(avoided), len(paid))
    for part in ("by_month", "by_category"):
        rows = report[part].values()
        assert sum((Money(r["spent"]) for r in rows), Money.zero()) == spent
        assert sum((Money(r["avoided"]) for r in rows), Money.zero()) == avoided
        assert sum(r["cases"] for r in rows) == len(paid)
    for month, row in report["by_month"].items():
        mine = [c for c in paid if f"{c.paid_on:%Y-%m}" == month]
        assert Money(row["spent"]) == sum((c.proposal.amount for c in mine), Money.zero())
    assert sum((Money(a) for a in report["avoided_by_item"].values()), Money.zero()) == avoided
    assert Money(report["overrun"]) == (spent - Money("15000.00")).max(Money.zero())
