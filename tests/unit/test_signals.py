"""Early signals as staff see them: raised on their exact day, once, and cleared when the cause goes.

The households have no minimum leefgeld, so no test here depends on how the minimum
enters the rules; none asserts anything of the structural deficit signal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.schedule import Schedule
from huishoudboekje.domain.signals import (ACKNOWLEDGED, ARREARS, BUFFER_DRAWN, BUFFER_NOT_REPAID, CRITICAL, HIGH,
                                           INCOME_DEVIATES, INCOME_LATE, LOW, MEDIUM, OPEN, RESOLVED, SHORTFALL_AHEAD,
                                           Signal, external)

from .build import MANAGED, START, charge, household, income

ONE_DAY = timedelta(days=1)


def signals(made: Household, on: date, rule: str, unrepaid_cycles: int = 3) -> dict[str, Signal]:
    """The household's signals of one rule after tonight's check, by key."""
    made.update_signals(on, unrepaid_cycles)
    return {key: s for key, s in made.signals.items() if s.rule == rule}


def pay_through(made: Household, last: date) -> None:
    """Run every pay date up to `last`, as the nightly job does."""
    for pay_date in made.pay_dates_between(made.start, last):
        made.pay(pay_date, MANAGED)


# -- an income that does not arrive ------------------------------------------------------------


@pytest.mark.parametrize("day, days, expected_on, deadline", [
    (25, 3, date(2026, 11, 25), date(2026, 11, 30)),  # three business days: over the weekend
    (24, 3, date(2026, 12, 24), date(2026, 12, 30)),  # TARGET2 is closed on 25 and 26 December
    (25, 0, date(2026, 11, 25), date(2026, 11, 25)),  # no tolerance: late the next day
])
def test_an_income_is_late_the_day_after_its_deadline_and_not_on_it(day, days, expected_on, deadline):
    made = household("HHB-2026-0001", income("bijstand", "1100.00", day=day, days=days))
    key = f"{INCOME_LATE}:bijstand:{expected_on.isoformat()}"
    assert key not in signals(made, deadline, INCOME_LATE)
    late = signals(made, deadline + ONE_DAY, INCOME_LATE)[key]
    assert (late.status, late.severity, late.amount) == (OPEN, HIGH, Money("1100.00"))
    assert (late.details["expected_on"], late.details["deadline"]) == (expected_on.isoformat(), deadline.isoformat())


def test_a_late_income_clears_itself_when_it_arrives_even_after_staff_acknowledged_it():
    made = household("HHB-2026-0001", income("bijstand", "1100.00"))
    key = f"{INCOME_LATE}:bijstand:2026-11-25"
    assert signals(made, date(2026, 12, 1), INCOME_LATE)[key].is_open
    made.acknowledge_signal(key, date(2026, 12, 1), "staff", "called the municipality")
    assert signals(made, date(2026, 12, 2), INCOME_LATE)[key].status == ACKNOWLEDGED  # still waiting
    made.book_income("T1", "bijstand", Money("1100.00"), date(2026, 12, 3), "import")
    cleared = signals(made, date(2026, 12, 3), INCOME_LATE)[key]
    assert cleared.status == RESOLVED and cleared.cleared_itself
    assert [(h["status"], h["by"]) for h in cleared.history] == [(OPEN, "system"), (ACKNOWLEDGED, "staff"),
                                                                 (RESOLVED, "system")]
    assert made.update_signals(date(2026, 12, 4), 3) == 0  # nothing raised again


def test_an_income_that_came_up_to_a_week_early_is_not_late():
    made = household("HHB-2026-0001", income("bijstand", "1100.00"))
    made.book_income("T1", "bijstand", Money("1100.00"), date(2026, 11, 18), "import")  # 25 November less 7 days
    assert signals(made, date(2026, 12, 1), INCOME_LATE) == {}


def test_a_late_income_stays_open_as_it_grows_old_and_after_the_household_left():
    made = household("HHB-2026-0001", income("bijstand", "1100.00"))
    key = f"{INCOME_LATE}:bijstand:2026-11-25"
    assert signals(made, date(2026, 12, 1), INCOME_LATE)[key].is_open
    assert signals(made, date(2027, 2, 15), INCOME_LATE)[key].is_open  # beyond the 62 days looked back
    made.end_participation(date(2027, 2, 28), "staff")
    left = signals(made, date(2027, 3, 10), INCOME_LATE)
    assert left[key].is_open  # staff still have to see it through
    assert f"{INCOME_LATE}:bijstand:2027-02-25" not in left  # the household left: no new income is late


ONE_BOOKING_PAYS_EVERY_EARLIER_DATE = pytest.mark.xfail(strict=True, reason=(
    "Household.income_received counts any booking from a week before a date on, so one booking "
    "pays every earlier date of its agreement (reported; a fix must keep back pay clearing all it pays)"))


@ONE_BOOKING_PAYS_EVERY_EARLIER_DATE
def test_next_months_income_does_not_clear_the_signal_of_a_month_that_never_came():
    # November's bijstand never arrives; December's does, on time. The household is
    # 1,100.00 short, and staff must keep seeing it.
    made = household("HHB-2026-0001", income("bijstand", "1100.00"))
    key = f"{INCOME_LATE}:bijstand:2026-11-25"
    assert signals(made, date(2026, 12, 1), INCOME_LATE)[key].is_open
    made.book_income("T2", "bijstand", Money("1100.00"), date(2026, 12, 24), "import")
    assert signals(made, date(2026, 12, 24), INCOME_LATE)[key].is_open


def test_an_income_twelve_days_late_still_pays_its_own_month_and_not_the_next():
    made = household("HHB-2026-0001", income("bijstand", "1100.00"))
    november = f"{INCOME_LATE}:bijstand:2026-11-25"
    assert signals(made, date(2026, 12, 1), INCOME_LATE)[november].is_open
    made.book_income("T1", "bijstand", Money("1100.00"), date(2026, 12, 7), "import")
    assert signals(made, date(2026, 12, 7), INCOME_LATE)[november].cleared_itself
    late = signals(made, date(2027, 1, 5), INCOME_LATE)  # December's did not come: that is news
    assert late[f"{INCOME_LATE}:bijstand:2026-12-25"].is_open


def test_back_pay_for_two_months_clears_both_late_signals():
    made = household("HHB-2026-0001", income("bijstand", "1100.00"))
    late = signals(made, date(2027, 1, 5), INCOME_LATE)
    assert sorted(late) == [f"{INCOME_LATE}:bijstand:2026-11-25", f"{INCOME_LATE}:bijstand:2026-12-25"]
    made.book_income("T1", "bijstand", Money("2200.00"), date(2027, 1, 8), "import")  # nabetaling
    assert all(s.cleared_itself for s in signals(made, date(2027, 1, 8), INCOME_LATE).values())


@ONE_BOOKING_PAYS_EVERY_EARLIER_DATE
def test_a_missing_weekly_wage_stays_late_when_the_next_weeks_arrives():
    weekly = replace(income("loon", "310.00", days=1), schedule=Schedule(every="week", start=START, weekday=4))
    made = household("HHB-2026-0001", weekly)
    for friday in (6, 13, 27):  # the wage of Friday 20 November never came
        made.book_income(f"T{friday}", "loon", Money("310.00"), date(2026, 11, friday), "import")
    assert list(signals(made, date(2026, 11, 30), INCOME_LATE)) == [f"{INCOME_LATE}:loon:2026-11-20"]


# -- an income that arrives, but not as agreed --------------------------------------------------


@pytest.mark.parametrize("received, raised", [("1075.00", False), ("1074.99", True), ("1125.00", False),
                                              ("1125.01", True)])
def test_an_income_outside_its_tolerance_is_a_signal_and_one_at_the_tolerance_is_not(received, raised):
    made = household("HHB-2026-0001", income("bijstand", "1100.00", tolerance="25.00"))
    made.book_income("T1", "bijstand", Money(received), date(2026, 11, 25), "import")
    found = signals(made, date(2026, 11, 25), INCOME_DEVIATES)
    assert bool(found) is raised
    if raised:
        [deviating] = found.values()
        difference = Money(received) - Money("1100.00")
        assert (deviating.severity, deviating.amount) == (MEDIUM, abs(difference))
        assert deviating.details["difference"] == str(difference)
        assert not deviating.clears_itself  # a cut allowance is for staff to look into


# -- money the household is short of ------------------------------------------------------------


def test_rent_that_cannot_be_paid_is_critical_arrears_and_clears_itself_once_paid():
    made = household("HHB-2026-0001", income("bijstand", "1500.00"), charge("huur", "700.00"))
    pay_through(made, date(2026, 12, 1))  # November's income never came; no buffer
    key = f"{ARREARS}:huur:2026-12-01"
    owed = signals(made, date(2026, 12, 1), ARREARS)[key]
    assert (owed.status, owed.severity, owed.amount) == (OPEN, CRITICAL, Money("700.00"))
    made.book_income("T1", "bijstand", Money("1500.00"), date(2026, 12, 24), "import")
    pay_through(made, date(2026, 12, 31))  # pays January's rent and December's arrears
    assert made.arrears == []
    assert signals(made, date(2026, 12, 31), ARREARS)[key].cleared_itself


def test_an_advance_is_a_low_signal_and_one_not_repaid_for_the_set_number_of_pay_dates_a_medium_one():
    made = household("HHB-2026-0001", income("bijstand", "3000.00"), charge("huur", "700.00"), buffer_limit="1500.00")
    pay_through(made, date(2026, 12, 1))  # the buffer pays December's rent
    drawn = signals(made, date(2026, 12, 1), BUFFER_DRAWN)
    assert [(s.severity, s.amount) for s in drawn.values()] == [(LOW, Money("700.00"))]
    assert signals(made, date(2026, 12, 1), BUFFER_NOT_REPAID, unrepaid_cycles=2) == {}  # one pay date: not yet
    pay_through(made, date(2026, 12, 31))  # and January's
    [not_repaid] = signals(made, date(2026, 12, 31), BUFFER_NOT_REPAID, unrepaid_cycles=2).values()
    assert (not_repaid.severity, not_repaid.amount, not_repaid.details["cycles"]) == (MEDIUM, Money("1400.00"), "2")
    made.book_income("T1", "bijstand", Money("3000.00"), date(2027, 1, 25), "import")
    pay_through(made, date(2027, 2, 1))  # repaid in full
    assert made.buffer_outstanding == Money("0.00")
    made.update_signals(date(2027, 2, 1), 2)
    assert {s.rule: s.cleared_itself for s in made.signals.values() if s.rule.startswith("buffer")} == {
        BUFFER_DRAWN: True, BUFFER_NOT_REPAID: True}


@pytest.mark.parametrize("expected, raised", [("700.00", False), ("699.99", True)])
def test_a_shortfall_ahead_is_raised_before_the_pay_date_when_the_expected_income_will_not_cover_the_rent(
        expected, raised):
    made = household("HHB-2026-0001", income("bijstand", expected), charge("huur", "700.00"))
    ahead = signals(made, date(2026, 11, 20), SHORTFALL_AHEAD)  # 25 November's income still to come
    assert list(ahead) == ([f"{SHORTFALL_AHEAD}:-:2026-12-01"] if raised else [])
    assert all(s.severity == HIGH for s in ahead.values())


def test_a_shortfall_ahead_clears_itself_when_staff_record_the_income_that_covers_it():
    made = household("HHB-2026-0001", income("bijstand", "650.00"), charge("huur", "700.00"))
    key = f"{SHORTFALL_AHEAD}:-:2026-12-01"
    assert signals(made, date(2026, 11, 20), SHORTFALL_AHEAD)[key].is_open
    made.change_amount("bijstand", Money("750.00"), date(2026, 11, 1), "staff")  # the right amount after all
    assert signals(made, date(2026, 11, 21), SHORTFALL_AHEAD)[key].cleared_itself


def test_with_nothing_coming_in_the_whole_rent_is_the_shortfall():
    made = household("HHB-2026-0001", charge("huur", "700.00"))
    [ahead] = signals(made, date(2026, 11, 20), SHORTFALL_AHEAD).values()
    assert (ahead.amount, ahead.details["arrears_expected"], ahead.details["advance_needed"]) == (
        Money("700.00"), "700.00", "0.00")


# -- reports of creditors (vroegsignalering) --------------------------------------------------


@pytest.mark.parametrize("crisis, severity", [(True, CRITICAL), (False, HIGH)])
def test_a_creditors_report_is_received_once_and_a_crisis_is_critical(crisis, severity):
    made = household("HHB-2026-0001")
    report = external("Huur", Money("1400.00"), date(2026, 10, 1), date(2026, 12, 2), crisis, "VS-77")
    assert made.receive_external_signal(report, date(2026, 12, 2), "vroegsignalering")
    assert not made.receive_external_signal(report, date(2026, 12, 3), "vroegsignalering")  # sent twice
    assert [(s.key, s.severity, s.amount) for s in made.signals.values()] == [
        ("external:huur:2026-10-01", severity, Money("1400.00"))]


def test_a_report_of_an_unknown_kind_of_creditor_is_refused_with_the_kinds_there_are():
    with pytest.raises(ValueError, match="'Telefoon' is not one of Energie, Huur, Water, Zorgverzekering"):
        external("Telefoon", Money("80.00"), date(2026, 10, 1), date(2026, 12, 2), False)
