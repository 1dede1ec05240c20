"""Debits that are not ours (issue 20): the domain rules, with exact amounts, and a
property that deductions keep a household's books balanced at every step."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huishoudboekje.domain.agreement import CHARGE, INCOME, Agreement, AmountFrom, Counterparty, Participant, \
    Withholding
from huishoudboekje.domain.errors import DomainError, HouseholdError, NotFound
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.matching import IncomeAgreement, MatchIndex
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.schedule import Schedule
from huishoudboekje.domain.statement import BankTransaction
from tests.unit.test_household_money import households as random_households

M = Money
ZERO = Money.zero()
START = date(2026, 11, 1)
DECEMBER, JANUARY = date(2026, 12, 1), date(2026, 12, 31)  # pay day 1; 1 January is closed
ACCOUNT = "NL39BNGH0285009999"
TOESLAGEN = "NL86INGB0002445588"


def household(limit: str = "1500.00", minimum: str = "200.00", rent: str = "650.00",
              withheld: Withholding | None = None) -> Household:
    h = Household(dossier="HHB-DEDUCT", team="T", start=START, pay_day=1, buffer_limit=M(limit),
                  minimum_leefgeld=M(minimum), leefgeld_schedule="monthly", execute_on="pay-date",
                  participants=[Participant("P", "NL44RABO0123456789")], account=None, actor="t")
    h.add_agreement(Agreement(id="huur", kind=CHARGE, category="huur",
                              counterparty=Counterparty("Woningcorporatie", "NL20INGB0001234567"),
                              amounts=(AmountFrom(START, M(rent)),),
                              schedule=Schedule(every="month", start=START, day=1), priority=1), "t")
    h.add_agreement(Agreement(id="bijstand", kind=INCOME, category="bijstand",
                              counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
                              amounts=(AmountFrom(START, M("1000.00")),),
                              schedule=Schedule(every="month", start=START, day=25), withheld=withheld), "t")
    h.add_agreement(Agreement(id="zorgtoeslag", kind=INCOME, category="toeslag",
                              counterparty=Counterparty("Belastingdienst/Toeslagen", TOESLAGEN),
                              amounts=(AmountFrom(START, M("131.00")),),
                              schedule=Schedule(every="month", start=START, day=20),
                              match_terms=("zorgtoeslag", "HHB-DEDUCT")), "t")
    return h


def deduct(h: Household, tx: str, amount: str, on: date, kind: str = "verrekening",
           agreement: str | None = "zorgtoeslag", who: str = "Belastingdienst/Toeslagen"):
    return h.book_deduction(tx, kind, M(amount), on, agreement, who, f"{kind} {tx}", "t")


def leefgeld(h: Household, pay_date: date) -> Money:
    return sum((i.amount for i in h.instructions_of(pay_date) if i.kind == "leefgeld"), ZERO)


def balanced(h: Household) -> bool:
    return h.totals["in"] + h.totals["returned"] == \
        h.totals["out"] + h.deducted_total + h.held() - h.buffer_outstanding


# -- booking: the pot first, the rest pending ----------------------------------------------


def test_a_deduction_the_pot_covers_leaves_the_pot_at_once():
    h = household()
    h.book_income("in-1", "bijstand", M("1000.00"), date(2026, 11, 25), "t")
    h.pay(DECEMBER, ACCOUNT)
    h.return_payment(h.instructions_of(DECEMBER)[0].id, "back-1", date(2026, 12, 3), M("650.00"))
    assert h.pot == M("650.00")  # the returned rent is in the pot
    deduction = deduct(h, "tx-1", "48.00", date(2026, 12, 4))
    assert (deduction.from_pot, deduction.pending) == (M("48.00"), ZERO)
    assert (h.pot, h.pending_deduction, h.held()) == (M("602.00"), ZERO, M("602.00"))
    assert balanced(h)


def test_what_the_pot_cannot_cover_is_pending_and_the_next_pay_date_sees_less():
    h = household()
    h.book_income("in-1", "bijstand", M("1000.00"), date(2026, 11, 25), "t")
    deduction = deduct(h, "tx-1", "48.00", date(2026, 11, 26))
    # The bijstand waits for the pay date (not in the pot): all of it is pending.
    assert (deduction.from_pot, deduction.pending) == (ZERO, M("48.00"))
    assert h.held() == M("952.00") and balanced(h)
    assert h.forecast(date(2026, 11, 27)).expected_leefgeld == M("302.00")  # 1000 - 650 - 48
    h.pay(DECEMBER, ACCOUNT)
    assert leefgeld(h, DECEMBER) == M("302.00")
    assert (h.pending_deduction, h.buffer_outstanding, h.held()) == (ZERO, ZERO, ZERO)
    assert h.deductions["tx-1"].taken_on == DECEMBER
    [run] = [e for e in h.collect_events() if type(e).__name__ == "PayDateRun"]
    assert (run.deducted, run.deduction_advanced, run.pot_before) == (M("48.00"), None, M("952.00"))
    assert balanced(h)


def test_a_pot_too_short_on_the_pay_date_has_the_buffer_advance_the_rest_within_its_room():
    h = household(limit="700.00")
    deduct(h, "tx-1", "120.00", date(2026, 11, 26), kind="beslag", agreement=None, who="Deurwaarder Jansen")
    h.book_income("in-1", "bijstand", M("100.00"), date(2026, 11, 25), "t")
    h.pay(DECEMBER, ACCOUNT)
    # 100.00 from the pot and 20.00 advanced for the garnishment; then the rent is
    # advanced (650.00: 670.00 of 700.00) and 30.00 of the 200.00 minimum leefgeld.
    run = [e for e in h.collect_events() if type(e).__name__ == "PayDateRun"][-1]
    assert (run.deducted, run.deduction_advanced) == (M("100.00"), M("20.00"))
    assert [(i.kind, i.amount) for i in h.instructions_of(DECEMBER)] == [("charge", M("650.00")),
                                                                         ("leefgeld", M("30.00"))]
    assert h.buffer_outstanding == M("700.00") and h.pending_deduction == ZERO
    assert h.deductions["tx-1"].advanced == M("20.00")
    assert balanced(h)


def test_what_even_the_buffer_cannot_advance_stays_pending_for_the_pay_date_after():
    h = household(limit="50.00", rent="0.01", minimum="0.00")
    deduct(h, "tx-1", "80.00", date(2026, 11, 26), kind="bankkosten", agreement=None, who=None)
    h.pay(DECEMBER, ACCOUNT)
    assert (h.buffer_outstanding, h.pending_deduction, h.held()) == (M("50.00"), M("30.00"), M("-30.00"))
    assert [d.amount for d in h.arrears] == [M("0.01")]  # the rent found no room left
    assert balanced(h)
    h.book_income("in-1", "bijstand", M("1000.00"), date(2026, 12, 24), "t")
    h.pay(JANUARY, ACCOUNT)
    assert h.pending_deduction == ZERO and h.buffer_outstanding == ZERO
    assert leefgeld(h, JANUARY) == M("1000.00") - M("30.00") - M("50.00") - M("0.02")  # two rents
    assert balanced(h)


# -- undoing ---------------------------------------------------------------------------------


def test_undone_before_the_pay_date_took_it_it_is_as_if_never_booked():
    h = household()
    h.book_income("in-1", "bijstand", M("1000.00"), date(2026, 11, 25), "t")
    deduct(h, "tx-1", "48.00", date(2026, 11, 26))
    assert h.undo_deduction("tx-1", "niet van dit huishouden", date(2026, 11, 27), "t") == ZERO
    assert (h.pending_deduction, h.deducted_total, h.held()) == (ZERO, ZERO, M("1000.00"))
    h.pay(DECEMBER, ACCOUNT)
    assert leefgeld(h, DECEMBER) == M("350.00")
    assert balanced(h)


def test_undone_after_the_pay_date_took_it_the_whole_amount_goes_back_to_the_pot():
    h = household(limit="700.00")
    h.book_income("in-1", "bijstand", M("100.00"), date(2026, 11, 25), "t")
    deduct(h, "tx-1", "120.00", date(2026, 11, 26), kind="beslag", agreement=None)
    h.pay(DECEMBER, ACCOUNT)  # 100.00 from the pot, 20.00 advanced
    assert h.undo_deduction("tx-1", "verkeerd geboekt", date(2026, 12, 2), "t") == M("120.00")
    assert (h.pot, h.buffer_outstanding, h.deducted_total) == (M("120.00"), M("700.00"), ZERO)
    assert balanced(h)
    h.book_income("in-2", "bijstand", M("1000.00"), date(2026, 12, 24), "t")
    h.pay(JANUARY, ACCOUNT)
    # 1,120.00 in the pot: the rent, the minimum leefgeld, then 270.00 of the 700.00 repaid.
    assert (h.buffer_outstanding, leefgeld(h, JANUARY)) == (M("430.00"), M("200.00"))
    assert balanced(h)


def test_undo_is_refused_for_a_transaction_not_deducted_and_after_the_settlement():
    h = household()
    with pytest.raises(HouseholdError, match="not deducted"):
        h.undo_deduction("tx-9", "?", date(2026, 11, 27), "t")
    deduct(h, "tx-1", "10.00", date(2026, 11, 26))
    h.end_participation(date(2026, 11, 28), "t")
    h.pay(h.settlement_date(), ACCOUNT)
    assert h.settled_on is not None
    with pytest.raises(HouseholdError, match="settled"):
        h.undo_deduction("tx-1", "?", date(2026, 12, 2), "t")
    with pytest.raises(HouseholdError, match="settled"):
        deduct(h, "tx-2", "10.00", date(2026, 12, 2))


# -- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind, agreement, amount, error, words", [
    ("boete", "zorgtoeslag", "10.00", DomainError, "not one of verrekening, beslag, bankkosten, overig"),
    ("verrekening", "toeslag", "10.00", NotFound, "no agreement 'toeslag'"),
    ("verrekening", "huur", "10.00", HouseholdError, "not an income agreement"),
    ("verrekening", "zorgtoeslag", "0.00", HouseholdError, "more than 0.00"),
])
def test_a_deduction_that_cannot_be_booked_is_refused_in_words(kind, agreement, amount, error, words):
    h = household()
    with pytest.raises(error, match=words):
        deduct(h, "tx-1", amount, date(2026, 11, 26), kind=kind, agreement=agreement)
    assert not h.deductions and h.held() == ZERO


def test_a_transaction_is_deducted_once():
    h = household()
    deduct(h, "tx-1", "10.00", date(2026, 11, 26))
    with pytest.raises(HouseholdError, match="already"):
        deduct(h, "tx-1", "10.00", date(2026, 11, 26))


# -- the coach's signal ----------------------------------------------------------------------


def test_each_deduction_raises_a_signal_by_its_kind_and_undoing_resolves_it():
    h = household()
    deduct(h, "tx-1", "48.00", date(2026, 11, 26))
    deduct(h, "tx-2", "120.00", date(2026, 11, 27), kind="beslag", agreement=None, who="Deurwaarder")
    deduct(h, "tx-3", "4.95", date(2026, 11, 30), kind="bankkosten", agreement=None, who=None)
    found = {s.details["transaction"]: s for s in h.signals.values() if s.rule == "deduction-booked"}
    assert {t: (s.severity, s.amount, s.details["kind"], s.status) for t, s in found.items()} == {
        "tx-1": ("high", M("48.00"), "verrekening", "open"),
        "tx-2": ("high", M("120.00"), "beslag", "open"),
        "tx-3": ("low", M("4.95"), "bankkosten", "open")}
    assert found["tx-1"].agreement_id == "zorgtoeslag"
    h.update_signals(date(2026, 11, 30), unrepaid_cycles=3)  # the nightly rules leave it be
    h.undo_deduction("tx-2", "andere schuldenaar", date(2026, 12, 1), "m.bakker")
    after = h.signals[found["tx-2"].key]
    assert (after.status, after.history[-1]["by"]) == ("resolved", "m.bakker")
    assert h.signals[found["tx-1"].key].status == "open"


# -- an income that arrives less what its payer withholds ------------------------------------


def test_an_income_with_a_withholding_is_expected_net_by_booking_forecast_and_matching():
    h = household(withheld=Withholding(M("50.00"), "beslag", "Deurwaarder Jansen"))
    assert h.forecast(date(2026, 11, 2)).expected_leefgeld == M("431.00")  # 950 + 131 - 650
    booking = h.book_income("in-1", "bijstand", M("950.00"), date(2026, 11, 25), "t")
    assert (booking.expected, booking.deviates) == (M("950.00"), False)
    income = IncomeAgreement.of(h.dossier, h.agreements["bijstand"])
    assert income.amount_on(date(2026, 11, 25)) == M("950.00")
    h.update_signals(date(2026, 11, 26), unrepaid_cycles=3)
    assert not [s for s in h.signals.values() if s.rule == "income-deviates"]


def test_a_clawback_debit_matches_the_allowance_it_names_and_nothing_else():
    h = household()
    index = MatchIndex([IncomeAgreement.of(h.dossier, a) for a in h.agreements.values() if a.kind == INCOME])

    def debit(text: str, iban: str = TOESLAGEN, day: date = date(2027, 3, 5)) -> BankTransaction:
        from decimal import Decimal
        return BankTransaction(ACCOUNT, day, day, Decimal("-48.00"), iban, "Belastingdienst/Toeslagen", text,
                               None, None)

    found = index.match_debit(debit("Verrekening zorgtoeslag 2025 HHB-DEDUCT"))
    assert found.booked is not None and found.booked.income.key == "HHB-DEDUCT/zorgtoeslag"
    assert index.match_debit(debit("Verrekening huurtoeslag HHB-DEDUCT")).booked is None
    assert index.match_debit(debit("zorgtoeslag HHB-DEDUCT", iban="NL20INGB0001234567")).booked is None
    assert index.match(debit("zorgtoeslag HHB-DEDUCT")).booked is None  # a debit is never an income


# -- the books balance, whatever is deducted, undone, paid and returned ----------------------


KINDS = st.sampled_from(["verrekening", "beslag", "bankkosten", "overig"])


@settings(max_examples=120)
@given(random_households(), st.lists(st.integers(0, 300_000), min_size=12, max_size=12), st.data())
def test_deductions_keep_the_books_balanced_at_every_step(household, incomes, data):
    """incomes in + returned == paid out + deducted + held − buffer outstanding, after every
    booking, deduction, undo, pay date and return; the buffer never above its limit."""
    day, booked, count = START, [], 0

    def check() -> None:
        assert balanced(household)
        assert ZERO <= household.buffer_outstanding <= household.buffer_limit.max(ZERO)
        assert household.pending_deduction >= ZERO

    for month, income in enumerate(incomes):
        if income:
            household.book_income(f"t{month}", "inkomen", Money.from_cents(income), day + timedelta(days=3), "t")
        for _ in range(data.draw(st.integers(0, 3), label="deductions this month")):
            count += 1
            amount = Money.from_cents(data.draw(st.integers(1, 200_000), label="deducted"))
            on = day + timedelta(days=data.draw(st.integers(0, 30)))
            household.book_deduction(f"d{count}", data.draw(KINDS), amount, on, None, "X", "", "t")
            booked.append(f"d{count}")
            check()
        if booked and data.draw(st.integers(0, 4)) == 0:  # now and then staff undo one
            undone = data.draw(st.sampled_from(booked), label="undone")
            if undone in household.deductions:
                household.undo_deduction(undone, "niet van ons", day, "t")
                booked.remove(undone)
                check()
        for pay_date in household.pay_dates_between(day, day + timedelta(days=31)):
            household.pay(pay_date, ACCOUNT)
            check()
            issued = household.instructions_of(pay_date)
            if issued and data.draw(st.integers(0, 5)) == 0:
                household.return_payment(issued[0].id, f"r{month}", pay_date, issued[0].amount)
                check()
        day += timedelta(days=31)
    # Nothing is pending that a pot or the buffer's room could have taken on the last pay date.
    if household.pending_deduction.is_positive and household.last_pay_date is not None:
        assert household.buffer_outstanding >= household.buffer_limit or household.settled_on is not None \
            or household.pot == ZERO


# -- onboarding documents -----------------------------------------------------------------------


def _example(**withheld):
    import yaml

    from huishoudboekje.onboarding import canonical

    data = canonical(yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "HHB-2026-0001.yaml")
                                    .read_text()))
    if withheld:
        data["incomes"][0]["withheld"] = withheld
    return data


def test_an_income_in_a_document_may_say_what_its_payer_withholds_and_old_documents_stay_valid():
    from huishoudboekje.onboarding import parse_document

    old = parse_document(_example(), "old.yaml")
    assert all(a.withheld is None for a in old.agreements)
    spec = parse_document(_example(amount="75.00", by="Deurwaarderskantoor Janssen"), "new.yaml")
    bijstand = next(a for a in spec.agreements if a.id == "bijstand")
    assert bijstand.withheld == Withholding(M("75.00"), "beslag", "Deurwaarderskantoor Janssen")
    assert bijstand.expected_on(date(2026, 11, 30)) == M("1245.50")


@pytest.mark.parametrize("withheld, words", [
    ({"amount": "0.00"}, "incomes[0].withheld.amount: must be more than 0.00"),
    ({"amount": "1400.00"}, "incomes[0].withheld.amount: 1400.00 is more than the income's 1320.50"),
    ({"amount": "10.00", "kind": "boete"}, "incomes[0].withheld.kind"),
    ({"amount": 10.5}, "incomes[0].withheld.amount: write amounts as text"),
])
def test_a_withholding_that_makes_no_sense_is_refused_with_its_field(withheld, words):
    from huishoudboekje.onboarding import DocumentError, parse_document

    with pytest.raises(DocumentError) as refused:
        parse_document(_example(**withheld), "bad.yaml")
    assert words in str(refused.value)


# -- the words a participant reads ------------------------------------------------------------------


@pytest.mark.parametrize("kind, who, how, nl, en", [
    ("verrekening", "Belastingdienst/Toeslagen", {"agreement_id": "zorgtoeslag", "category": "toeslag"},
     "De Belastingdienst heeft € 48,00 verrekend met uw zorgtoeslag.",
     "The tax office set off €48.00 against your healthcare allowance."),
    ("verrekening", "Gemeente Utrecht", {"agreement_id": "bijstand", "category": "bijstand"},
     "Gemeente Utrecht heeft € 48,00 verrekend met uw uitkering.",
     "Gemeente Utrecht set off €48.00 against your benefit."),
    ("verrekening", None, {}, "Een schuldeiser heeft € 48,00 verrekend.", "A creditor set off €48.00."),
    ("beslag", "Deurwaarder Jansen", {}, "Er is beslag gelegd op uw geld. Deurwaarder Jansen kreeg daardoor € 48,00.",
     "A garnishment was made on your money. Deurwaarder Jansen received €48.00 because of it."),
    ("beslag", "Deurwaarder Jansen", {"agreement_id": "loon", "category": "loon"},
     "Er is beslag gelegd op uw loon. Deurwaarder Jansen kreeg daardoor € 48,00.",
     "A garnishment was made on your wages. Deurwaarder Jansen received €48.00 because of it."),
    ("bankkosten", "ING", {}, "De bank heeft € 48,00 kosten afgeschreven.", "The bank charged €48.00 in costs."),
    ("overig", "Incasso BV", {"coming": date(2026, 12, 1)},
     "Incasso BV heeft € 48,00 van uw geld afgeschreven. Dit bedrag gaat af van het geld voor uw betaaldag van "
     "1 december.",
     "Incasso BV took €48.00 from your money. This amount comes off the money for your pay date of 1 December."),
    ("beslag", None, {"taken": date(2026, 12, 1), "advanced": M("20.00")},
     "Er is beslag gelegd op uw geld. Een schuldeiser kreeg daardoor € 48,00. Dit bedrag ging af van het geld "
     "voor uw betaaldag van 1 december. De gemeente betaalde daarvan € 20,00 voor. Dat betaalt u later vanzelf "
     "terug.",
     "A garnishment was made on your money. A creditor received €48.00 because of it. This amount came off the "
     "money for your pay date of 1 December. The municipality paid €20.00 of it in advance. You pay that back "
     "later, automatically."),
])
def test_each_kind_of_deduction_is_one_plain_sentence_in_dutch_and_english(kind, who, how, nl, en):
    from huishoudboekje.projections.wording import deduction_texts

    texts = deduction_texts(kind, who, M("48.00"), **how)
    assert texts == {"nl": nl.replace("€ ", "€\u00a0"), "en": en}


def test_amounts_are_written_as_the_participant_page_writes_them():
    from adapters.web.words import money
    from huishoudboekje.projections.wording import euros

    for amount in ("0.05", "48.00", "1234.56", "-172.70", "1000000.00"):
        for lang in ("nl", "en"):
            assert euros(M(amount), lang) == money(M(amount), lang)
