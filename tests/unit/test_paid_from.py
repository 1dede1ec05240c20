"""The onboarding month: `paid_from`, the day the creditors' direct debits stop (issue 18).

Charges due before it are the direct debit's to collect, not ours: paying them too
would have the landlord collect December twice. Left out, charges are ours from the
first pay date, as before. Minimum leefgeld 0.00 here, so only the charges speak.
"""

from __future__ import annotations

from datetime import date

import pytest

from huishoudboekje.domain.agreement import CHARGE, INCOME, Agreement, AmountFrom, Counterparty, Participant
from huishoudboekje.domain.household import Household, HouseholdError
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.schedule import Schedule
from huishoudboekje.onboarding import DocumentError, parse_document

ACCOUNT = "NL39BNGH0285009999"


def household(start: date, paid_from: date | None = None, income_day: int = 24) -> Household:
    h = Household(dossier="HHB-PF", team="T", start=start, pay_day=1, buffer_limit=Money("1500.00"),
                  minimum_leefgeld=Money("0.00"), leefgeld_schedule="monthly", execute_on="pay-date",
                  participants=[Participant("P", "NL44RABO0123456789")], account=None, actor="t")
    if paid_from is not None:
        h.change_settings({"paid_from": paid_from}, "t")
    h.add_agreement(Agreement(id="huur", kind=CHARGE, category="huur",
                              counterparty=Counterparty("Portaal", "NL20INGB0001234567"),
                              amounts=(AmountFrom(start, Money("650.00")),),
                              schedule=Schedule(every="month", start=start, day=1), priority=1), "t")
    h.add_agreement(Agreement(id="loon", kind=INCOME, category="loon",
                              counterparty=Counterparty("Werkgever", "NL14BNGH0285001234"),
                              amounts=(AmountFrom(start, Money("1500.00")),),
                              schedule=Schedule(every="month", start=start, day=income_day)), "t")
    return h


def rent_paid(h: Household, pay_date: date) -> list[tuple[str, date, Money]]:
    return [(i.kind, i.period, i.amount) for i in h.instructions_of(pay_date) if i.agreement_id == "huur"]


def test_the_landlords_direct_debit_for_december_still_runs_so_we_pay_from_january():
    h = household(date(2026, 12, 1), paid_from=date(2027, 1, 1))
    december = h.pay(date(2026, 12, 1), ACCOUNT)
    assert rent_paid(h, date(2026, 12, 1)) == [] and december.advanced == Money("0.00")
    h.book_income("tx-dec", "loon", Money("1500.00"), date(2026, 12, 24), "t")
    january = date(2026, 12, 31)  # 1 January is a TARGET holiday: the pay date moves back
    assert h.pay_date_on_or_after(date(2026, 12, 2)) == january
    result = h.pay(january, ACCOUNT)
    assert rent_paid(h, january) == [("charge", date(2027, 1, 1), Money("650.00"))]
    assert (result.advanced, result.leefgeld) == (Money("0.00"), Money("850.00"))
    assert h.charges_paid_from() == date(2027, 1, 1)


def test_without_paid_from_the_first_pay_date_pays_its_charges_as_before():
    h = household(date(2026, 12, 1))
    assert h.charges_paid_from() == date(2026, 12, 1)
    december = h.pay(date(2026, 12, 1), ACCOUNT)
    # the onboarding month: no income yet, so the buffer advances the rent
    assert rent_paid(h, date(2026, 12, 1)) == [("charge", date(2026, 12, 1), Money("650.00"))]
    assert december.advanced == Money("650.00")


def test_a_charge_due_between_paid_from_and_the_first_pay_date_is_ours_and_paid_late():
    # start on Sunday 1 November: the first pay date is 1 December, and November's rent,
    # due on the start, was nobody's to pay until staff say the direct debit stopped then
    h = household(date(2026, 11, 1), paid_from=date(2026, 11, 1))
    h.book_income("tx-nov", "loon", Money("1500.00"), date(2026, 11, 24), "t")
    result = h.pay(date(2026, 12, 1), ACCOUNT)
    assert sorted(rent_paid(h, date(2026, 12, 1))) == [("arrears", date(2026, 11, 1), Money("650.00")),
                                                       ("charge", date(2026, 12, 1), Money("650.00"))]
    assert result.leefgeld == Money("200.00")

    as_before = household(date(2026, 11, 1))
    as_before.book_income("tx-nov", "loon", Money("1500.00"), date(2026, 11, 24), "t")
    as_before.pay(date(2026, 12, 1), ACCOUNT)
    assert rent_paid(as_before, date(2026, 12, 1)) == [("charge", date(2026, 12, 1), Money("650.00"))]


def test_paid_from_cannot_move_once_a_pay_date_has_run_nor_lie_before_the_start():
    h = household(date(2026, 12, 1), paid_from=date(2027, 1, 1))
    with pytest.raises(HouseholdError, match="paid_from: 2026-11-01 lies before the start 2026-12-01"):
        h.change_settings({"paid_from": date(2026, 11, 1)}, "t")
    h.pay(date(2026, 12, 1), ACCOUNT)
    with pytest.raises(HouseholdError, match="paid_from: cannot change once a pay date has run"):
        h.change_settings({"paid_from": date(2027, 2, 1)}, "t")


def test_a_document_with_paid_from_before_its_start_is_refused_naming_the_field():
    doc = {"dossier": "HHB-PF", "team": "T", "start": "2026-12-01", "paid_from": "2026-11-01", "pay_day": 1,
           "buffer_limit": "1500.00", "minimum_leefgeld": "250.00",
           "participants": [{"name": "P", "iban": "NL44RABO0123456789"}]}
    with pytest.raises(DocumentError) as refused:
        parse_document(doc, "pf.yaml")
    assert [str(p) for p in refused.value.problems] == ["paid_from: 2026-11-01 lies before the start 2026-12-01"]
    assert parse_document({**doc, "paid_from": "2027-01-01"}, "pf.yaml").paid_from == date(2027, 1, 1)
