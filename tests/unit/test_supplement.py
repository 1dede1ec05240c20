"""An income that came too late for its pay date is used as if it had been in time (issue 18).

The supplement runs the pay date's own rules again with the late income in the pot, so
each test compares with the same household whose income came in time: whatever the
rules are, the participant ends with exactly what they would have given.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from huishoudboekje.domain.agreement import CHARGE, INCOME, Agreement, AmountFrom, Counterparty, Participant
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money, total
from huishoudboekje.domain.schedule import Schedule
from tests.unit.test_household_money import households

START = date(2026, 11, 1)
PARTICIPANT = "NL44RABO0123456789"
ACCOUNT = "NL39BNGH0285009999"
P = date(2026, 12, 1)


def household(weekly: bool = False, income: str = "1200.00", income_day: int = 1, charges: str = "850.00",
              minimum: str = "250.00", limit: str = "1500.00") -> Household:
    h = Household(dossier="HHB-LATE", team="T", start=START, pay_day=1, buffer_limit=Money(limit),
                  minimum_leefgeld=Money(minimum), leefgeld_schedule="weekly" if weekly else "monthly",
                  execute_on="pay-date", participants=[Participant("P", PARTICIPANT)], account=None, actor="t")
    h.add_agreement(Agreement(id="huur", kind=CHARGE, category="huur",
                              counterparty=Counterparty("Verhuurder", "NL20INGB0001234567"),
                              amounts=(AmountFrom(START, Money(charges)),),
                              schedule=Schedule(every="month", start=START, day=1), priority=1), "t")
    h.add_agreement(Agreement(id="uitkering", kind=INCOME, category="bijstand",
                              counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
                              amounts=(AmountFrom(START, Money(income)),),
                              schedule=Schedule(every="month", start=START, day=income_day)), "t")
    return h


def night(h: Household, day: date):
    """What the job does for one household on `day`: its pay dates, then the supplement."""
    for pay_date in h.pay_dates_between(day, day):
        h.pay(pay_date, ACCOUNT)
    return h.supplement_late_incomes(day, day, ACCOUNT)


def leefgeld_paid(h: Household) -> Money:
    return total(i.amount for i in h.instructions.values() if i.kind == "leefgeld")


def books(h: Household) -> tuple:
    """What the participant and the creditors end with: leefgeld, buffer, arrears (what is
    owed and what of it was paid), reserves (the leefgeld reserve among them), held, and
    how far the leefgeld stays below the minimum."""
    charges: dict = {}
    for i in h.instructions.values():
        if i.kind != "leefgeld":
            charges[(i.agreement_id, i.period)] = charges.get((i.agreement_id, i.period), Money.zero()) + i.amount
    return (leefgeld_paid(h), h.buffer_outstanding, sorted((d.period, d.amount, d.paid) for d in h.arrears),
            dict(h.reserves), h.pot, h.on_hold, charges, h.leefgeld_short)


def on_time_and_late(**kwargs) -> tuple[Household, Household]:
    """The income of the 1st booked before the pay date ran, and the same booked after it."""
    on_time, late = household(**kwargs), household(**kwargs)
    on_time.book_income("tx-dec", "uitkering", Money(kwargs.get("income", "1200.00")), P, "t")
    night(on_time, P)
    night(late, P)
    late.book_income("tx-dec", "uitkering", Money(kwargs.get("income", "1200.00")), P, "t")
    return on_time, late


def test_acceptance_a_the_night_after_a_late_income_the_buffer_is_repaid_and_the_leefgeld_topped_up():
    on_time, late = on_time_and_late()
    # On the pay date the rent and the minimum leefgeld are advanced.
    [huur, minimum] = late.instructions_of(P)
    assert [(i.kind, i.amount) for i in (huur, minimum)] == [("charge", Money("850.00")), ("leefgeld", Money("250.00"))]
    assert late.buffer_outstanding == Money("1100.00")
    waiting = late.forecast(P)  # the next pay date's forecast does not count the income twice

    found = night(late, P + timedelta(days=1))

    assert late.forecast(P) == waiting == on_time.forecast(P)

    # The night after the income is booked: the buffer repaid in full, 100.00 more leefgeld.
    assert found.repaid == Money("1100.00") and late.buffer_outstanding == Money.zero()
    [top_up] = late.supplement_instructions_of(P + timedelta(days=1))
    assert (top_up.kind, top_up.amount, top_up.execution_date) == ("leefgeld", Money("100.00"), date(2026, 12, 2))
    assert leefgeld_paid(late) == Money("350.00")
    assert books(late) == books(on_time)  # exactly what the income in time would have given
    assert late.bookings == {} and late.totals["in"] == late.totals["out"] == Money("1200.00")


def test_a_supplement_is_made_once_and_its_payments_have_their_own_ids():
    _, late = on_time_and_late()
    night(late, date(2026, 12, 2))
    assert night(late, date(2026, 12, 3)) is None
    ids = [i.id for i in late.instructions.values()]
    assert len(ids) == len(set(ids)) == 3  # the rent, the minimum leefgeld, the top-up
    again = household()  # the same history gives the same ids: a rerun pays nothing twice
    night(again, P)
    again.book_income("tx-dec", "uitkering", Money("1200.00"), P, "t")
    night(again, date(2026, 12, 2))
    assert sorted(i.id for i in again.instructions.values()) == sorted(ids)
    assert [type(e).__name__ for e in late.collect_events()].count("PayDateSupplemented") == 1


def test_a_supplement_pays_arrears_before_repaying_the_buffer():
    # A buffer too small for the rent: it goes into arrears; the late income pays it.
    # On the pay date the minimum leefgeld takes 250.00 of the buffer's room and the rest
    # of it part-pays the rent: 600.00 stays in arrears.
    on_time, late = on_time_and_late(limit="500.00")
    assert [(d.agreement_id, d.amount, d.paid) for d in late.arrears] == [("huur", Money("600.00"), Money("250.00"))]
    assert late.buffer_outstanding == Money("500.00")
    found = night(late, date(2026, 12, 2))
    assert [(p.kind, p.amount, p.settled_before, p.rest, p.execution_date) for p in found.payments] == [
        ("arrears", Money("600.00"), Money("250.00"), Money.zero(), date(2026, 12, 2)),
        ("leefgeld", Money("100.00"), Money.zero(), Money.zero(), date(2026, 12, 2))]
    assert found.repaid == Money("500.00")
    assert late.arrears == [] and books(late) == books(on_time)


def test_weekly_leefgeld_is_topped_up_over_the_parts_still_to_come_the_first_the_next_business_day():
    on_time, late = household(weekly=True), household(weekly=True)
    on_time.book_income("tx-dec", "uitkering", Money("1200.00"), P, "t")
    night(on_time, P)
    night(late, P)
    # Weekly parts of this cycle: 1, 8, 15, 22 and 29 December, 50.00 each of the minimum
    # leefgeld the buffer advanced. The income comes on the 9th: 100.00 more, over the
    # three parts still to come.
    late.book_income("tx-dec", "uitkering", Money("1200.00"), date(2026, 12, 9), "t")
    found = night(late, date(2026, 12, 10))
    assert [(p.part, p.amount, p.execution_date) for p in found.payments] == [
        (1, Money("33.34"), date(2026, 12, 10)), (2, Money("33.33"), date(2026, 12, 22)),
        (3, Money("33.33"), date(2026, 12, 29))]
    assert books(late) == books(on_time)
    assert [p.amount for p in on_time.instructions_of(P) if p.kind == "leefgeld"] == [Money("70.00")] * 5


def test_an_income_whose_period_is_after_the_pay_date_waits_for_the_next_one():
    h = household(income_day=2)
    night(h, P)
    h.book_income("tx-dec", "uitkering", Money("1200.00"), date(2026, 12, 2), "t")  # the income of 2 December
    assert h.bookings["tx-dec"].period == date(2026, 12, 2)
    assert night(h, date(2026, 12, 3)) is None and "tx-dec" in h.bookings
    assert h.buffer_outstanding == Money("1100.00")  # the rent and the minimum leefgeld
    h.pay(date(2026, 12, 31), ACCOUNT)  # the next pay date has it in its pot, as always
    assert "tx-dec" not in h.bookings


def test_an_income_due_on_new_years_day_belongs_to_the_pay_date_of_31_december():
    # 1 January is a closing day: the pay date is 31 December, and so is the income's.
    on_time, late = household(), household()
    for h in (on_time, late):
        h.book_income("tx-dec", "uitkering", Money("1200.00"), P, "t")
        night(h, P)
    on_time.book_income("tx-jan", "uitkering", Money("1200.00"), date(2026, 12, 31), "t")
    night(on_time, date(2026, 12, 31))
    night(late, date(2026, 12, 31))
    late.book_income("tx-jan", "uitkering", Money("1200.00"), date(2026, 12, 31), "t")
    assert late.bookings["tx-jan"].period == date(2027, 1, 1)
    found = night(late, date(2027, 1, 1))
    assert found.execution_date == date(2027, 1, 4)  # the 1st is closed, the 2nd and 3rd a weekend
    assert books(late) == books(on_time)


def test_when_a_later_pay_date_has_run_the_income_goes_to_the_cycle_the_household_lives_in_now():
    # A budget coach wants it used now, not a month later: the income of December, booked
    # by hand on 4 January, supplements the pay date of 31 December as if it had been there.
    late, reference = household(), household()
    for h in (late, reference):
        night(h, P)
        h.book_income("tx-jan", "uitkering", Money("1200.00"), date(2026, 12, 31), "t")
    reference.book_income("tx-dec", "uitkering", Money("1200.00"), date(2026, 12, 10), "t")
    night(reference, date(2026, 12, 31))
    night(late, date(2026, 12, 31))
    late.book_income("tx-dec", "uitkering", Money("1200.00"), date(2026, 12, 10), "t")
    assert late.bookings["tx-dec"].period == P
    found = night(late, date(2027, 1, 4))
    assert found.pay_date == date(2026, 12, 31)
    assert books(late) == books(reference) and late.buffer_outstanding == Money.zero()


def test_a_pay_date_that_recorded_no_inputs_gets_no_supplement():
    h = household()
    night(h, P)
    h.cycle_inputs = None  # as a pay date run before the supplement existed
    h.book_income("tx-dec", "uitkering", Money("1200.00"), P, "t")
    assert night(h, date(2026, 12, 2)) is None and "tx-dec" in h.bookings


# -- the property: late plus its supplement ends as on time ---------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(households(), st.lists(st.integers(0, 300_000), min_size=8, max_size=8), st.integers(0, 5), st.data())
def test_a_late_income_and_its_supplement_end_as_the_income_in_time(household, incomes, late_month, data):
    """Incomes arrive on their pay dates; one is booked after its pay date ran. After the
    night that supplements it, leefgeld, buffer, arrears, reserves, held money and every
    charge paid are what the same history with that income in time gives; and every euro
    in is paid out, held, or advanced and not yet repaid, every night."""
    on_time, late = household, copy.deepcopy(household)
    day, booked, month, supplemented = START, 0, -1, False
    while day <= START + timedelta(days=31 * 9):
        pay_dates = late.pay_dates_between(day, day)
        if pay_dates and late.status == "active" and month < len(incomes) - 1:
            month += 1
            amount = Money.from_cents(incomes[month])
            if amount:
                booked += amount.cents
                on_time.book_income(f"t{month}", "inkomen", amount, pay_dates[0], "t")
                if month != late_month:
                    late.book_income(f"t{month}", "inkomen", amount, pay_dates[0], "t")
        night(on_time, day)
        found = night(late, day)
        supplemented = supplemented or found is not None
        if pay_dates and month == late_month and amount and f"t{month}" not in late.bookings:
            late.book_income(f"t{month}", "inkomen", amount, pay_dates[0], "t")  # after the run
        held = late.held().cents - late.buffer_outstanding.cents
        assert booked + late.totals["returned"].cents == late.totals["out"].cents + held
        if month > late_month + 1 or (supplemented and not late.bookings):
            break
        day += timedelta(days=1)
    event("supplemented" if supplemented else "no supplement")
    if supplemented:
        assert books(late)[1:] == books(on_time)[1:]
        assert leefgeld_paid(late) == leefgeld_paid(on_time)
    elif f"t{late_month}" in late.bookings:
        # The rules given more money would pay a period less than they did (say: an old
        # arrear now taking the buffer's room from a younger one already paid); nothing
        # paid is taken back, and the income waits for the next pay date as before.
        assert late.cycle_inputs is None or late.settled_on is not None or _would_take_back(late)


def _would_take_back(h: Household) -> bool:
    from huishoudboekje.domain.supplement import supplement

    late = h.late_incomes(date.max)
    return bool(late) and supplement(h.cycle_inputs, h.cycle_paid, total(b.amount for b in late),
                                     date.max, date.max) is None


def test_a_returned_supplement_has_a_signal_of_its_own_beside_the_pay_dates_payment():
    h = household()
    h.book_income("tx-a", "uitkering", Money("1000.00"), P, "t")
    night(h, P)
    h.book_income("tx-b", "uitkering", Money("300.00"), P, "t")  # a second part, booked after the run
    night(h, date(2026, 12, 2))
    [paid] = [i for i in h.instructions_of(P) if i.kind == "leefgeld"]  # the minimum, 100.00 of it advanced
    [top_up] = h.supplement_instructions_of(date(2026, 12, 2))  # 100.00 of the 300.00 repays that
    assert (paid.amount, top_up.amount) == (Money("250.00"), Money("200.00"))
    h.return_payment(paid.id, "r1", date(2026, 12, 3))
    h.return_payment(top_up.id, "r2", date(2026, 12, 4))
    h.update_signals(date(2026, 12, 4), 3)
    returned = sorted(s.amount for s in h.signals.values() if s.rule == "payment-returned")
    assert returned == [Money("200.00"), Money("250.00")]


def test_a_booking_pays_the_occurrence_nearest_its_value_date_and_halfway_the_later_one():
    h = household(income_day=25)
    assert h.income_period("uitkering", date(2026, 12, 3)) == date(2026, 11, 25)  # 8 days late
    assert h.income_period("uitkering", date(2026, 12, 20)) == date(2026, 12, 25)  # 5 days early
    assert h.income_period("uitkering", date(2026, 12, 10)) == date(2026, 12, 25)  # halfway: not late
    h.book_income("tx", "uitkering", Money("1200.00"), date(2026, 12, 3), "t")
    assert h.bookings["tx"].period == date(2026, 11, 25)


def test_a_supplement_pays_the_participants_account_as_it_is_now():
    _, late = on_time_and_late()
    late.change_settings({"participants": [Participant("P", "NL91ABNA0417164300")]}, "t")  # corrected by staff
    [top_up] = night(late, date(2026, 12, 2)).payments
    [instruction] = late.supplement_instructions_of(date(2026, 12, 2))
    assert top_up.creditor_iban == PARTICIPANT and instruction.creditor_iban == "NL91ABNA0417164300"



# -- the rules of issue 18 in a supplement ----------------------------------------------------


def test_the_repayment_cap_does_not_limit_repaying_the_same_cycles_advance():
    # At most 100.00 a cycle repays older advances; the 1,100.00 the pay date advanced
    # only because its income came late is repaid in full, as if it had come in time.
    late, on_time = household(limit="3000.00"), household(limit="3000.00")
    for h in (late, on_time):
        h.change_settings({"buffer_repayment_max": Money("100.00")}, "t")
        night(h, P)  # no income in December: 1,100.00 advanced
        assert h.buffer_outstanding == Money("1100.00")
    on_time.book_income("tx-jan", "uitkering", Money("1200.00"), date(2026, 12, 31), "t")
    night(on_time, date(2026, 12, 31))
    assert on_time.buffer_outstanding == Money("1000.00")  # the cap: 100.00 of the older advance
    night(late, date(2026, 12, 31))
    assert late.buffer_outstanding == Money("2200.00")
    late.book_income("tx-jan", "uitkering", Money("1200.00"), date(2026, 12, 31), "t")

    found = night(late, date(2027, 1, 1))

    assert found.repaid == Money("1200.00")  # this cycle's 1,100.00, and the cap's 100.00 of the older
    assert late.buffer_outstanding == Money("1000.00") and books(late) == books(on_time)


def test_a_supplement_runs_the_rules_the_pay_date_ran_with():
    # The leefgeld target of the pay date holds for its supplement, though staff removed
    # it since: its excess goes into the leefgeld reserve, as it would have on time.
    on_time, late = household(), household()
    for h in (on_time, late):
        h.change_settings({"leefgeld_target": Money("300.00"), "buffer_covers_leefgeld": True}, "t")
    on_time.book_income("tx-dec", "uitkering", Money("1200.00"), P, "t")
    night(on_time, P)
    night(late, P)
    assert late.cycle_inputs.policy.leefgeld_target == Money("300.00")
    late.change_settings({"leefgeld_target": None}, "t")
    late.book_income("tx-dec", "uitkering", Money("1200.00"), P, "t")

    found = night(late, date(2026, 12, 2))

    assert (found.leefgeld, found.repaid) == (Money("50.00"), Money("1100.00"))
    assert found.reserves == {"leefgeld reserve": Money("50.00")}
    assert late.reserves == on_time.reserves == {"leefgeld reserve": Money("50.00")}
    assert books(late) == books(on_time) and leefgeld_paid(late) == Money("300.00")


def test_a_supplement_that_reaches_the_minimum_clears_the_signal_and_part_pays_the_rent():
    # No buffer room: the pay date pays nothing, and the participant nothing to live on
    # (a high signal). 700.00 comes in late: the minimum leefgeld first, then 450.00 of
    # the rent; 400.00 stays in arrears, and the next pay date owes only that.
    on_time, late = household(limit="0.00"), household(limit="0.00")
    on_time.book_income("tx-dec", "uitkering", Money("700.00"), P, "t")
    night(on_time, P)
    night(late, P)
    assert late.instructions_of(P) == [] and late.leefgeld_short == Money("250.00")
    late.update_signals(P, 3)
    [short] = [s for s in late.signals.values() if s.rule == "leefgeld-below-minimum"]
    assert short.is_open and short.severity == "high"
    late.book_income("tx-dec", "uitkering", Money("700.00"), P, "t")

    found = night(late, date(2026, 12, 2))
    late.update_signals(date(2026, 12, 2), 3)

    assert [(p.kind, p.amount, p.settled_before, p.rest) for p in found.payments] == [
        ("arrears", Money("450.00"), Money.zero(), Money("400.00")),
        ("leefgeld", Money("250.00"), Money.zero(), Money.zero())]
    assert late.leefgeld_short == Money.zero() and not late.signals[short.key].is_open
    assert [(d.amount, d.paid) for d in late.arrears] == [(Money("400.00"), Money("450.00"))]
    assert books(late) == books(on_time)
    for h in (on_time, late):  # the income of January comes in time
        h.book_income("tx-jan", "uitkering", Money("1200.00"), date(2026, 12, 31), "t")
        night(h, date(2026, 12, 31))
    [rest] = [i for i in late.instructions_of(date(2026, 12, 31)) if i.kind == "arrears"]
    assert (rest.amount, rest.settled_before, rest.rest) == (Money("100.00"), Money("450.00"), Money("300.00"))
    assert books(late) == books(on_time)


def test_a_returned_supplement_payment_owes_that_payment_again_not_the_whole_period():
    _, late = on_time_and_late(limit="500.00")  # 250.00 of the rent paid on the pay date
    found = night(late, date(2026, 12, 2))
    [rest] = [i for i in late.supplement_instructions_of(date(2026, 12, 2)) if i.kind == "arrears"]
    assert (rest.amount, rest.settled_before, rest.period_amount) == (Money("600.00"), Money("250.00"),
                                                                      Money("850.00"))
    assert found.arrears_paid[0].amount == Money("600.00")
    late.return_payment(rest.id, "r1", date(2026, 12, 3))
    [owed] = late.arrears
    assert (owed.amount, owed.paid) == (Money("600.00"), Money("250.00"))


def test_recorded_inputs_written_before_the_new_settings_read_with_the_rules_defaults():
    import json

    from eventsourcing.persistence import JSONTranscoder

    from huishoudboekje import transcodings

    h = household()
    h.change_settings({"leefgeld_target": Money("300.00"), "buffer_repayment_max": Money("50.00"),
                       "buffer_covers_leefgeld": False}, "t")
    night(h, P)
    policy = h.cycle_inputs.policy
    assert (policy.leefgeld_target, policy.buffer_repayment_max, policy.buffer_covers_leefgeld) == (
        Money("300.00"), Money("50.00"), False)
    t = JSONTranscoder()
    transcodings.register(t)
    stored = json.loads(t.encode({"inputs": h.cycle_inputs}))
    data = stored["inputs"]["_data_"]["policy"]["_data_"]
    for name in ("buffer_covers_leefgeld", "buffer_repayment_max", "leefgeld_target"):
        del data[name]  # as the supplement's first version wrote them
    old = t.decode(json.dumps(stored).encode())["inputs"]
    assert (old.policy.leefgeld_target, old.policy.buffer_repayment_max, old.policy.buffer_covers_leefgeld) == (
        None, None, True)
    assert old.charges_due == h.cycle_inputs.charges_due


def test_what_is_left_shows_a_charge_whose_rest_a_supplement_paid_as_paid():
    from huishoudboekje.projections.left import what_is_left

    _, late = on_time_and_late(limit="500.00")  # 250.00 of the rent paid on the pay date
    [huur] = what_is_left(late, date(2026, 12, 1), None)["charges"]
    assert (huur["due"], huur["status"]) == ("2026-12-01", "in-arrears")
    night(late, date(2026, 12, 2))
    [huur] = what_is_left(late, date(2026, 12, 2), None)["charges"]
    assert (huur["status"], huur["paid_on"], huur["amount"]) == ("paid", "2026-12-02", "850.00")
