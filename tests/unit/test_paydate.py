"""Pay dates and the pay-date cycle: worked examples, one test per rule, and a
24-month household simulation checked with Hypothesis.

Hypothesis example counts for the simulation follow HYPOTHESIS_PROFILE:
default 300, "ci" 2000, "thorough" 10000. The profiles are registered here (unless
already registered elsewhere) but not loaded globally, so other test files keep theirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from huishoudboekje.domain.calendar import is_business_day
from huishoudboekje.domain.money import Money, total
from huishoudboekje.domain.paydate import (
    LAST_BUSINESS_DAY,
    LEEFGELD_RESERVE,
    STEPS,
    CycleResult,
    CycleState,
    Due,
    PayDateError,
    Policy,
    Reservation,
    leefgeld_part_dates,
    next_pay_date,
    pay_date_in,
    pay_date_on_or_after,
    reservation_part,
    run_cycle,
)

# -- Hypothesis profiles ------------------------------------------------------------------

EXAMPLES = {"default": 300, "ci": 2000, "thorough": 10_000}

for _name in ("ci", "thorough"):
    try:
        settings.get_profile(_name)
    except InvalidArgument:
        settings.register_profile(_name, max_examples=EXAMPLES[_name], deadline=None)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
SIMULATION = settings(
    max_examples=EXAMPLES.get(PROFILE, EXAMPLES["default"]),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- helpers ------------------------------------------------------------------------------

M = Money
ZERO = Money.zero()
P = date(2026, 12, 1)
NEXT = date(2026, 12, 31)
PARTICIPANT_IBAN = "NL91ABNA0417164300"


def due(agreement: str, amount: str, priority: int = 1, on: date = P) -> Due:
    return Due(
        agreement_id=agreement,
        due=on,
        amount=M(amount),
        priority=priority,
        creditor_name=agreement.title(),
        creditor_iban=f"NL-{agreement}",
        reference=f"ref-{agreement}",
    )


def policy(
    limit: str = "0.00", minimum: str = "0.00", weekly: bool = False, on_due: bool = False
) -> Policy:
    return Policy(
        buffer_limit=M(limit),
        minimum_leefgeld=M(minimum),
        leefgeld_weekly=weekly,
        execute_on_due_date=on_due,
        participant_name="Deelnemer",
        participant_iban=PARTICIPANT_IBAN,
    )


def state(pot: str, outstanding: str = "0.00", reserves=None, arrears=()) -> CycleState:
    reserves = {k: M(v) for k, v in (reserves or {}).items()}
    return CycleState(M(pot), reserves, M(outstanding), tuple(arrears))


def run(
    before: CycleState,
    pol: Policy,
    charges=(),
    irregular=(),
    reservations=(),
    pay_date: date = P,
    next_pay: date = NEXT,
) -> CycleResult:
    return run_cycle(pay_date, next_pay, before, pol, charges, irregular, reservations)


def paid(result: CycleResult, kind: str | None = None) -> list[tuple[str | None, Money]]:
    return [
        (p.agreement_id, p.amount)
        for p in result.payments
        if kind is None or p.kind == kind
    ]


def leefgeld_payments(result: CycleResult):
    return [p for p in result.payments if p.kind == "leefgeld"]


# -- pay dates ----------------------------------------------------------------------------


def test_pay_day_on_a_sunday_moves_back_into_the_previous_month():
    # 1 Nov 2026 is a Sunday, 31 Oct a Saturday.
    assert pay_date_in(2026, 11, 1) == date(2026, 10, 30)


def test_pay_day_on_new_year_moves_to_new_years_eve():
    assert pay_date_in(2027, 1, 1) == date(2026, 12, 31)


def test_last_business_day_of_december():
    assert pay_date_in(2026, 12, LAST_BUSINESS_DAY) == date(2026, 12, 31)


def test_pay_day_on_christmas_moves_to_christmas_eve():
    assert pay_date_in(2026, 12, 25) == date(2026, 12, 24)


def test_pay_day_on_a_business_day_stays():
    assert pay_date_in(2026, 12, 1) == date(2026, 12, 1)


@pytest.mark.parametrize("bad", [0, 29, 31, -1, "1", "last", True, None, 1.0])
def test_impossible_pay_days_are_refused(bad):
    with pytest.raises(PayDateError):
        pay_date_in(2026, 12, bad)
    with pytest.raises(PayDateError):
        next_pay_date(date(2026, 12, 1), bad)


def test_next_pay_date_is_strictly_after():
    assert next_pay_date(date(2026, 10, 29), 1) == date(2026, 10, 30)
    # The November pay date (30 Oct) is passed, so December's is next.
    assert next_pay_date(date(2026, 10, 30), 1) == date(2026, 12, 1)
    assert next_pay_date(date(2026, 12, 1), 1) == date(2026, 12, 31)
    assert next_pay_date(date(2026, 12, 31), 1) == date(2027, 2, 1)
    assert next_pay_date(date(2026, 12, 24), 25) == date(2027, 1, 25)
    assert next_pay_date(date(2026, 12, 1), LAST_BUSINESS_DAY) == date(2026, 12, 31)


def test_pay_date_on_or_after_includes_the_day_itself():
    assert pay_date_on_or_after(date(2026, 12, 31), 1) == date(2026, 12, 31)
    assert pay_date_on_or_after(date(2026, 10, 31), 1) == date(2026, 12, 1)
    assert pay_date_on_or_after(date(2026, 12, 25), 25) == date(2027, 1, 25)


@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)),
    pay_day=st.one_of(st.integers(1, 28), st.just(LAST_BUSINESS_DAY)),
)
@settings(deadline=None)
def test_next_pay_date_is_the_nearest_business_day_pay_date_after(day, pay_day):
    following = next_pay_date(day, pay_day)
    assert following > day
    assert is_business_day(following)
    # Nothing in between is a pay date: the one before `following` is <= day.
    assert pay_date_on_or_after(day + timedelta(days=1), pay_day) == following
    assert 20 <= (next_pay_date(following, pay_day) - following).days <= 40


def test_reservation_part_rounds_up_to_the_cent():
    assert reservation_part(M("61.20"), 3) == M("20.40")
    assert reservation_part(M("100.00"), 3) == M("33.34")
    assert reservation_part(M("0.01"), 12) == M("0.01")
    assert reservation_part(M("120.00"), 12) == M("10.00")
    with pytest.raises(PayDateError):
        reservation_part(M("10.00"), 0)


# -- worked examples --------------------------------------------------------------------------


def test_example_a_bijstand_with_rent_and_water_reservation():
    pot = M("1320.50") + M("131.00")  # bijstand + zorgtoeslag
    water = reservation_part(M("61.20"), 3)
    assert water == M("20.40")
    result = run_cycle(
        date(2026, 12, 1),
        date(2026, 12, 31),
        CycleState(pot, {}, ZERO),
        policy(),
        [due("huur", "712.40", 1, date(2026, 12, 1))],
        [],
        [Reservation("water", water, 3)],
    )
    assert paid(result) == [("huur", M("712.40")), (None, M("718.70"))]
    assert result.after.reserves["water"] == M("20.40")
    assert result.reserved == {"water": M("20.40")}
    assert result.leefgeld == M("718.70")
    [leefgeld] = leefgeld_payments(result)
    assert leefgeld.execution_date == date(2026, 12, 1)
    assert leefgeld.creditor_iban == PARTICIPANT_IBAN
    assert result.advanced == ZERO and result.after.buffer_outstanding == ZERO
    assert result.after.pot == ZERO


def test_example_b_buffer_advances_the_charges_and_the_minimum_leefgeld_then_is_repaid():
    # Issue 18: the minimum leefgeld comes before repayment and may be advanced too; a
    # month with 400.00 in and 861.35 of charges leaves the participant 250.00, not 0.00.
    pol = policy(limit="1500.00", minimum="250.00")

    def charges(month_pay_date: date, due_month: tuple[int, int]):
        y, m = due_month
        return [
            due("huur", "600.00", 1, date(y, m, 1)),
            due("energie", "150.00", 2, date(y, m, 5)),
            due("zorgverzekering", "111.35", 4, date(y, m, 10)),
        ]

    december = run(state("400.00"), pol, charges(P, (2026, 12)))
    assert december.advanced == M("711.35")
    assert december.after.buffer_outstanding == M("711.35")
    assert december.leefgeld == M("250.00")
    assert [p.amount for p in leefgeld_payments(december)] == [M("250.00")]
    assert december.leefgeld_short == ZERO
    assert [a for a, _ in paid(december, "charge")] == ["huur", "energie", "zorgverzekering"]

    january_state = CycleState(
        december.after.pot + M("1400.00"),
        december.after.reserves,
        december.after.buffer_outstanding,
        december.after.arrears,
    )
    january = run(
        january_state,
        pol,
        charges(date(2026, 12, 31), (2027, 1)),
        pay_date=date(2026, 12, 31),
        next_pay=date(2027, 2, 1),
    )
    assert total(a for _, a in paid(january, "charge")) == M("861.35")
    assert january.advanced == ZERO
    assert january.repaid == M("288.65")
    assert january.leefgeld == M("250.00")
    assert january.after.buffer_outstanding == M("422.70")


# -- step 1: charges due ------------------------------------------------------------------------


def test_short_pot_at_buffer_limit_sends_big_priority_charge_to_arrears_and_part_pays_it():
    # Pot 100, buffer 200: huur needs 400 from the buffer and cannot be paid in full;
    # energie (pot 100 + advance 50) still fits; zorg would need 160 more (total 210 >
    # 200); internet takes 40. What the buffer still has (110) goes to the oldest
    # arrears, huur, as a part-payment: in arrears from step 1 on, part-paid in step 3.
    huur = due("huur", "500.00", 1)
    energie = due("energie", "150.00", 2, date(2026, 12, 5))
    zorg = due("zorg", "160.00", 3, date(2026, 12, 2))
    internet = due("internet", "40.00", 4, date(2026, 12, 2))
    result = run(state("100.00"), policy(limit="200.00"), [zorg, internet, huur, energie])
    assert paid(result) == [("energie", M("150.00")), ("internet", M("40.00")), ("huur", M("110.00"))]
    huur_rest = replace(huur, amount=M("390.00"), paid=M("110.00"))
    assert result.new_arrears == (huur_rest, zorg)
    assert result.part_paid == (huur_rest,)
    assert result.advanced == M("200.00")
    assert result.after.buffer_outstanding == M("200.00")
    assert result.after.arrears == (huur_rest, zorg)
    assert result.leefgeld == ZERO


def test_the_buffer_may_reach_its_limit_exactly_but_not_pass_it():
    result = run(state("100.00", outstanding="200.00"), policy(limit="700.00"), [due("huur", "600.00")])
    assert paid(result, "charge") == [("huur", M("600.00"))]
    assert result.after.buffer_outstanding == M("700.00")
    result = run(state("99.99", outstanding="200.00"), policy(limit="700.00"), [due("huur", "600.00")])
    # Not in full: in arrears, and part-paid with the pot and the room up to the limit.
    assert paid(result) == [("huur", M("599.99"))]
    assert result.new_arrears == (replace(due("huur", "600.00"), amount=M("0.01"), paid=M("599.99")),)
    assert result.advanced == M("500.00")
    assert result.after.buffer_outstanding == M("700.00")


def test_charges_are_paid_in_full_or_not_at_all_then_part_paid_as_arrears_without_a_buffer():
    result = run(state("500.00"), policy(), [due("huur", "600.00", 1), due("gwl", "80.00", 2)])
    # Step 1 pays gwl in full and cannot pay huur; step 3 pays what is left to the landlord.
    assert [(p.kind, p.agreement_id, p.amount) for p in result.payments] == [
        ("charge", "gwl", M("80.00")), ("arrears", "huur", M("420.00"))]
    [part] = [p for p in result.payments if p.kind == "arrears"]
    assert (part.settled_before, part.rest) == (ZERO, M("180.00"))
    assert [(d.agreement_id, d.amount, d.paid) for d in result.new_arrears] == [("huur", M("180.00"), M("420.00"))]
    assert result.leefgeld == ZERO


def test_same_priority_is_paid_by_due_date_then_agreement():
    charges = [
        due("b", "10.00", 1, date(2026, 12, 3)),
        due("a", "10.00", 1, date(2026, 12, 3)),
        due("c", "10.00", 1, date(2026, 12, 2)),
    ]
    result = run(state("100.00"), policy(), charges)
    assert [a for a, _ in paid(result, "charge")] == ["c", "a", "b"]


def test_outstanding_above_a_lowered_limit_does_not_block_what_the_pot_pays():
    result = run(state("700.00", outstanding="500.00"), policy(limit="300.00"), [due("huur", "600.00")])
    assert paid(result, "charge") == [("huur", M("600.00"))]
    assert result.advanced == ZERO
    assert result.repaid == M("100.00")


def test_a_zero_due_is_settled_without_a_payment_and_a_negative_one_refused():
    old_free = due("huur", "0.00", 1, date(2026, 11, 1))
    result = run(
        state("10.00", arrears=[old_free]), policy(), [due("gwl", "0.00")], [due("water", "0.00")]
    )
    assert paid(result) == [(None, M("10.00"))]
    assert result.new_arrears == () and result.after.arrears == ()
    with pytest.raises(PayDateError):
        due("huur", "-1.00")


def test_a_period_offered_twice_is_refused():
    huur = due("huur", "600.00")
    with pytest.raises(PayDateError):
        run(state("1000.00", arrears=[huur]), policy(), [huur])
    with pytest.raises(PayDateError):
        run(state("1000.00"), policy(), [huur], [huur])


def test_next_pay_date_must_follow_the_pay_date():
    with pytest.raises(PayDateError):
        run(state("1.00"), policy(), next_pay=P)


# -- irregular charges -------------------------------------------------------------------------


def test_irregular_charge_first_months_reserve_short_topped_up_from_pot():
    water = due("water", "61.20", 3, date(2026, 12, 15))
    result = run(state("500.00", reserves={"water": "20.40"}), policy(), [], [water])
    assert paid(result, "charge") == [("water", M("61.20"))]
    assert result.from_reserves == {"water": M("20.40")}
    assert result.after.reserves["water"] == ZERO
    assert result.leefgeld == M("500.00") - M("40.80")


def test_irregular_charge_fully_reserved_returns_the_excess_to_the_pot():
    water = due("water", "61.20", 3, date(2026, 12, 15))
    result = run(state("100.00", reserves={"water": "70.00"}), policy(), [], [water])
    assert paid(result, "charge") == [("water", M("61.20"))]
    assert result.from_reserves == {"water": M("61.20")}
    assert result.after.reserves["water"] == ZERO
    assert result.leefgeld == M("108.80")


def test_released_excess_helps_a_higher_priority_charge():
    # Huur (priority 1) is sorted before water, yet water's excess pays part of it.
    huur = due("huur", "600.00", 1)
    water = due("water", "61.20", 3, date(2026, 12, 15))
    result = run(state("580.00", reserves={"water": "100.00"}), policy(), [huur], [water])
    assert paid(result, "charge") == [("huur", M("600.00")), ("water", M("61.20"))]
    assert result.new_arrears == ()
    assert result.leefgeld == M("18.80")


def test_unpaid_irregular_charge_is_part_paid_from_its_reserve_and_the_pot():
    water = due("water", "61.20", 3, date(2026, 12, 15))
    result = run(state("10.00", reserves={"water": "20.40"}), policy(), [], [water])
    assert paid(result) == [("water", M("30.40"))]
    assert result.new_arrears == (replace(water, amount=M("30.80"), paid=M("30.40")),)
    assert result.from_reserves == {"water": M("20.40")}
    assert result.after.reserves["water"] == ZERO
    assert result.leefgeld == ZERO


def test_irregular_charge_may_use_the_buffer():
    water = due("water", "61.20", 3, date(2026, 12, 15))
    result = run(state("10.00", reserves={"water": "20.40"}), policy(limit="100.00"), [], [water])
    assert paid(result, "charge") == [("water", M("61.20"))]
    assert result.advanced == M("30.80")


# -- step 2: reservations ------------------------------------------------------------------------


def test_reservations_come_from_the_pot_only_in_priority_order():
    reservations = [
        Reservation("verzekering", M("30.00"), 5),
        Reservation("water", M("20.40"), 3),
    ]
    result = run(state("700.00"), policy(limit="1000.00"), [due("huur", "650.00")], [], reservations)
    assert result.reserved == {"water": M("20.40"), "verzekering": M("29.60")}
    assert result.after.reserves == {"water": M("20.40"), "verzekering": M("29.60")}
    assert result.advanced == ZERO
    assert result.leefgeld == ZERO


def test_nothing_reserved_when_the_buffer_paid_the_charges():
    result = run(
        state("100.00", reserves={"water": "40.80"}),
        policy(limit="1000.00"),
        [due("huur", "650.00")],
        [],
        [Reservation("water", M("20.40"), 3)],
    )
    assert result.advanced == M("550.00")
    assert result.reserved == {"water": ZERO}
    assert result.after.reserves == {"water": M("40.80")}


# -- step 3: arrears --------------------------------------------------------------------------


def test_arrears_are_paid_oldest_first_after_the_current_charges():
    oldest = due("energie", "100.00", 2, date(2026, 10, 5))
    same_day_higher = due("huur", "100.00", 1, date(2026, 10, 5))
    newer = due("huur", "100.00", 1, date(2026, 11, 1))
    current = due("huur", "500.00", 1)
    result = run(
        state("720.00", arrears=[newer, oldest, same_day_higher]), policy(), [current]
    )
    assert [(p.kind, p.agreement_id, p.period, p.amount) for p in result.payments] == [
        ("charge", "huur", P, M("500.00")),
        ("arrears", "huur", date(2026, 10, 5), M("100.00")),
        ("arrears", "energie", date(2026, 10, 5), M("100.00")),
        ("arrears", "huur", date(2026, 11, 1), M("20.00")),  # what is left: a part-payment
    ]
    assert result.paid_arrears == (same_day_higher, oldest)
    assert result.after.arrears == (replace(newer, amount=M("80.00"), paid=M("20.00")),)
    assert result.leefgeld == ZERO


def test_arrears_may_use_the_buffer_and_unpaid_ones_stay_with_the_new_ones():
    old = due("huur", "300.00", 1, date(2026, 11, 1))
    older = due("energie", "900.00", 2, date(2026, 10, 5))
    current = due("zorg", "500.00", 1)
    result = run(state("250.00", arrears=[old, older]), policy(limit="400.00"), [current])
    # Zorg takes the whole pot and 250 from the buffer; the oldest, energie, gets the
    # buffer's last 150 as a part-payment; huur waits.
    assert paid(result) == [("zorg", M("500.00")), ("energie", M("150.00"))]
    assert result.advanced == M("400.00")
    assert result.paid_arrears == ()
    assert result.after.arrears == (replace(older, amount=M("750.00"), paid=M("150.00")), old)
    result = run(state("600.00", arrears=[old, older]), policy(limit="400.00"), [current])
    # 100 left after zorg, and 400 of room: energie, the oldest, gets all 500 of it.
    assert paid(result, "arrears") == [("energie", M("500.00"))]
    assert result.advanced == M("400.00")
    assert result.after.arrears == (replace(older, amount=M("400.00"), paid=M("500.00")), old)
    assert [p.execution_date for p in result.payments if p.kind == "arrears"] == [P]


def test_new_arrears_join_the_open_ones_in_after_state():
    old = due("energie", "900.00", 2, date(2026, 10, 5))
    current = due("huur", "600.00", 1)
    result = run(state("100.00", arrears=[old]), policy(), [current])
    assert result.new_arrears == (current,)
    assert result.after.arrears == (replace(old, amount=M("800.00"), paid=M("100.00")), current)


# -- step 4: buffer repayment --------------------------------------------------------------------


def test_repayment_never_leaves_less_than_the_minimum():
    result = run(state("1000.00", outstanding="900.00"), policy(limit="1000.00", minimum="250.00"))
    assert result.repaid == M("750.00")
    assert result.leefgeld == M("250.00")
    assert result.after.buffer_outstanding == M("150.00")


def test_full_repayment_when_there_is_room():
    result = run(state("1000.00", outstanding="100.00"), policy(limit="1000.00", minimum="250.00"))
    assert result.repaid == M("100.00")
    assert result.leefgeld == M("900.00")
    assert result.after.buffer_outstanding == ZERO


@pytest.mark.parametrize("pot", ["250.00", "249.99", "0.00"])
def test_nothing_repaid_at_or_below_the_minimum_which_the_buffer_makes_up(pot):
    result = run(state(pot, outstanding="500.00"), policy(limit="1000.00", minimum="250.00"))
    assert result.repaid == ZERO
    assert result.leefgeld == M("250.00")
    assert result.advanced == M("250.00") - M(pot)
    assert result.after.buffer_outstanding == M("500.00") + M("250.00") - M(pot)


# -- step 5: leefgeld ---------------------------------------------------------------------------


def test_weekly_leefgeld_parts_add_up_and_closing_days_move_back():
    # P = Fri 4 Dec 2026, next = Mon 4 Jan 2027: parts on 4, 11, 18, 25 Dec and 1 Jan;
    # 25 Dec and 1 Jan are TARGET2 closing days, executed on 24 and 31 Dec.
    pay, following = pay_date_in(2026, 12, 4), pay_date_in(2027, 1, 4)
    assert (pay, following) == (date(2026, 12, 4), date(2027, 1, 4))
    result = run(state("1000.01"), policy(weekly=True), pay_date=pay, next_pay=following)
    parts = leefgeld_payments(result)
    assert [p.amount for p in parts] == [M("200.01")] + [M("200.00")] * 4
    assert total(p.amount for p in parts) == M("1000.01") == result.leefgeld
    assert [p.part for p in parts] == [1, 2, 3, 4, 5]
    assert all(p.period == pay for p in parts)
    assert [p.execution_date for p in parts] == [
        date(2026, 12, 4),
        date(2026, 12, 11),
        date(2026, 12, 18),
        date(2026, 12, 24),
        date(2026, 12, 31),
    ]
    assert result.after.pot == ZERO


def test_weekly_part_dates_stop_before_the_next_pay_date():
    assert leefgeld_part_dates(P, NEXT, weekly=True) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 22),
        date(2026, 12, 29),
    ]
    assert leefgeld_part_dates(P, date(2026, 12, 29), weekly=True)[-1] == date(2026, 12, 22)
    assert leefgeld_part_dates(P, NEXT, weekly=False) == [P]


def test_a_few_cents_of_weekly_leefgeld_skip_zero_parts():
    result = run(state("0.03"), policy(weekly=True))
    assert [(p.part, p.amount) for p in leefgeld_payments(result)] == [
        (1, M("0.01")),
        (2, M("0.01")),
        (3, M("0.01")),
    ]


def test_no_leefgeld_payment_when_nothing_is_left():
    result = run(state("600.00"), policy(weekly=True), [due("huur", "600.00")])
    assert leefgeld_payments(result) == []
    assert result.leefgeld == ZERO


# -- step 6: execution dates -------------------------------------------------------------------


def test_execution_on_pay_date_by_default():
    result = run(state("1000.00"), policy(), [due("gwl", "50.00", 1, date(2026, 12, 15))])
    assert [p.execution_date for p in result.payments] == [P, P]


def test_execute_on_due_date_moves_closing_days_back_but_not_before_p():
    charges = [
        due("huur", "100.00", 1, P),
        due("gwl", "50.00", 2, date(2026, 12, 15)),
        due("energie", "50.00", 3, date(2026, 12, 26)),  # Saturday and closing day
        due("zorg", "50.00", 4, date(2026, 12, 25)),  # Christmas
    ]
    arrear = due("oud", "10.00", 1, date(2026, 11, 20))
    result = run(state("1000.00", arrears=[arrear]), policy(on_due=True), charges)
    dates = {p.agreement_id: p.execution_date for p in result.payments}
    assert dates == {
        "huur": P,
        "gwl": date(2026, 12, 15),
        "energie": date(2026, 12, 24),
        "zorg": date(2026, 12, 24),
        "oud": P,
        None: P,
    }


def test_execute_on_due_date_never_before_the_pay_date():
    # A pay date on a Saturday (not from pay_date_in): Sunday's charge would move to
    # Thursday, before the money is there; it is executed on P instead.
    saturday = date(2026, 12, 26)
    charge = due("huur", "100.00", 1, date(2026, 12, 27))
    result = run(
        state("100.00"),
        policy(on_due=True),
        [charge],
        pay_date=saturday,
        next_pay=date(2027, 1, 26),
    )
    assert result.payments[0].execution_date == saturday


def test_the_steps_run_in_the_documented_order():
    assert [step.__name__ for step in STEPS] == [
        "release_excess_reserves",
        "pay_charges_due",
        "set_aside_minimum_leefgeld",
        "pay_arrears",
        "reserve_irregular",
        "repay_buffer",
        "pay_leefgeld",
    ]


def test_input_state_is_not_changed():
    reserves = {"water": M("20.40")}
    before = CycleState(M("100.00"), reserves, ZERO, ())
    reserves["water"] = M("99.00")
    result = run(before, policy(), [], [due("water", "61.20", 3)])
    assert before.reserves == {"water": M("20.40")}
    assert result.after.reserves["water"] == ZERO


# -- the 24-month household simulation ---------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """A household's agreement: due on `day` every `every` months (1, 3 or 12)."""

    agreement_id: str
    amount: Money
    priority: int
    day: int
    every: int
    offset: int  # due in months whose index modulo `every` equals this
    creditor_iban: str

    def due_dates(self, start: date, end: date) -> list[date]:
        """Nominal due dates in [start, end)."""
        found = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            on = date(year, month, self.day)
            if start <= on < end and (year * 12 + month - 1) % self.every == self.offset:
                found.append(on)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def due(self, on: date) -> Due:
        return Due(
            self.agreement_id, on, self.amount, self.priority, "Schuldeiser", self.creditor_iban, None
        )


@dataclass(frozen=True)
class Household:
    charges: tuple[Charge, ...]
    policy: Policy
    pay_day: int | str
    first_pay_date: date
    incomes: tuple[Money, ...]  # one per cycle


@st.composite
def charges(draw, index: int) -> Charge:
    every = draw(st.sampled_from([1, 1, 1, 3, 12]))
    return Charge(
        agreement_id=f"agreement-{index}",
        amount=Money.from_cents(draw(st.integers(1, 150_000))),
        priority=draw(st.integers(1, 5)),
        day=draw(st.integers(1, 28)),
        every=every,
        offset=draw(st.integers(0, every - 1)),
        creditor_iban=f"NL{index:02d}CRED0000000{index:03d}",
    )


@st.composite
def households(draw, cycles: int = 24) -> Household:
    count = draw(st.integers(1, 8))
    pay_day = draw(st.one_of(st.integers(1, 28), st.just(LAST_BUSINESS_DAY)))
    year, month = draw(st.integers(2025, 2030)), draw(st.integers(1, 12))
    minimum = Money.from_cents(draw(st.integers(0, 100_000)))
    pol = Policy(
        buffer_limit=Money.from_cents(draw(st.integers(0, 300_000))),
        minimum_leefgeld=minimum,
        leefgeld_weekly=draw(st.booleans()),
        execute_on_due_date=draw(st.booleans()),
        participant_name="Deelnemer",
        participant_iban=PARTICIPANT_IBAN,
        buffer_covers_leefgeld=draw(st.booleans()),
        buffer_repayment_max=draw(st.none() | st.integers(1, 100_000).map(Money.from_cents)),
        leefgeld_target=draw(st.none() | st.integers(0, 200_000).map(lambda c: minimum + Money.from_cents(c))),
    )
    incomes = draw(st.lists(st.integers(0, 400_000), min_size=cycles, max_size=cycles))
    return Household(
        charges=tuple(draw(charges(i)) for i in range(count)),
        policy=pol,
        pay_day=pay_day,
        first_pay_date=pay_date_in(year, month, pay_day),
        incomes=tuple(Money.from_cents(c) for c in incomes),
    )


def cycle_inputs(household: Household, pay: date, following: date):
    """Due lists and reservations of one cycle, as the application would gather them."""
    regular, irregular, reservations = [], [], []
    for charge in household.charges:
        dates = charge.due_dates(pay, following)
        if charge.every == 1:
            regular += [charge.due(on) for on in dates]
        elif dates:
            irregular += [charge.due(on) for on in dates]
        else:
            part = reservation_part(charge.amount, charge.every)
            reservations.append(Reservation(charge.agreement_id, part, charge.priority))
    return regular, irregular, reservations


def check_cycle(household: Household, result: CycleResult, pay: date, following: date,
                saved_before: Money = ZERO) -> None:
    pol = household.policy
    ibans = {c.creditor_iban for c in household.charges} | {pol.participant_iban}
    after = result.after
    assert after.pot == ZERO
    assert ZERO <= after.buffer_outstanding <= pol.buffer_limit
    assert all(p.amount.is_positive for p in result.payments)
    assert all(p.creditor_iban in ibans for p in result.payments)
    assert all(pay <= p.execution_date < following for p in result.payments)
    assert all(not m.is_negative for m in after.reserves.values())
    # Leefgeld: never negative, parts add up exactly, larger first, numbered from 1.
    parts = [p for p in result.payments if p.kind == "leefgeld"]
    assert not result.leefgeld.is_negative
    assert total(p.amount for p in parts) == result.leefgeld
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert len(parts) <= len(leefgeld_part_dates(pay, following, pol.leefgeld_weekly))
    amounts = [p.amount.cents for p in parts]
    assert amounts == sorted(amounts, reverse=True)
    assert not amounts or amounts[0] - amounts[-1] <= 1
    # The buffer funds at most the minimum leefgeld (more only from the household's own
    # leefgeld reserve), and nothing is repaid in a cycle that advances.
    from_saved = (saved_before - after.reserves.get(LEEFGELD_RESERVE, ZERO)).max(ZERO)
    if result.advanced.is_positive:
        assert result.repaid == ZERO and result.leefgeld <= pol.minimum_leefgeld + from_saved
    if after.buffer_outstanding.is_positive and pol.buffer_repayment_max is None:
        assert result.leefgeld <= pol.minimum_leefgeld + from_saved
    # The minimum comes first: short of it only when the buffer had no room (or may not
    # pay leefgeld), and then nothing went to arrears, reserves or repayment.
    assert result.leefgeld == pol.minimum_leefgeld - result.leefgeld_short or result.leefgeld >= pol.minimum_leefgeld
    if result.leefgeld_short.is_positive:
        assert not pol.buffer_covers_leefgeld or after.buffer_outstanding >= pol.buffer_limit
        assert not [p for p in result.payments if p.kind == "arrears" and p.amount.is_positive] or \
            after.buffer_outstanding >= pol.buffer_limit or not pol.buffer_covers_leefgeld
        assert result.repaid == ZERO and not any(m.is_positive for m in result.reserved.values())
    # Repayment comes after every arrear and reserve part, and within its cap.
    if result.repaid.is_positive:
        assert after.arrears == () and result.leefgeld >= pol.minimum_leefgeld
    if pol.buffer_repayment_max is not None:
        assert result.repaid <= pol.buffer_repayment_max
    # A target is never passed; the leefgeld reserve only holds a target's excess.
    if pol.leefgeld_target is not None:
        assert result.leefgeld <= pol.leefgeld_target.max(pol.minimum_leefgeld)
    elif LEEFGELD_RESERVE in after.reserves:
        assert after.reserves[LEEFGELD_RESERVE] == ZERO


def simulate(household: Household) -> None:
    before = CycleState(ZERO, {}, ZERO, ())
    incomes_in = paid_out = ZERO
    offered: dict[tuple[str, date], Money] = {}  # every period ever due, and its amount
    paid_periods: dict[tuple[str, date], Money] = {}  # what was paid of each, in one or more parts
    payment_keys: set[tuple] = set()
    leefgeld_parts: set[tuple[date, int]] = set()
    pay = household.first_pay_date
    for income in household.incomes:
        following = next_pay_date(pay, household.pay_day)
        regular, irregular, reservations = cycle_inputs(household, pay, following)
        offered |= {d.period: d.amount for d in regular + irregular}
        state = CycleState(before.pot + income, before.reserves, before.buffer_outstanding, before.arrears)
        incomes_in += income
        result = run_cycle(pay, following, state, household.policy, regular, irregular, reservations)
        check_cycle(household, result, pay, following, before.reserves.get(LEEFGELD_RESERVE, ZERO))

        for payment in result.payments:
            if payment.kind == "leefgeld":
                key = (payment.period, payment.part)
                assert key not in leefgeld_parts
                leefgeld_parts.add(key)
            else:
                key = (payment.agreement_id, payment.period)
                so_far = paid_periods.get(key, ZERO)
                assert payment.settled_before == so_far  # each part knows what was paid before it
                assert so_far + payment.amount + payment.rest == offered[key]
                paid_periods[key] = so_far + payment.amount
                # What tells instructions apart (see Household._instruction) never repeats.
                ident = (pay, payment.kind, key, payment.part, payment.settled_before, payment.rest)
                assert ident not in payment_keys
                payment_keys.add(ident)
        assert {d.period for d in result.paid_arrears} <= {d.period for d in before.arrears}

        paid_out += total(p.amount for p in result.payments)
        after = result.after
        reserved = total(after.reserves.values())
        # The books balance to the cent at every pay date.
        assert incomes_in == paid_out + after.pot + reserved - after.buffer_outstanding
        before, pay = after, following

    # Every period that fell due is paid in full, or what it still owes is in arrears,
    # once: its parts and what stays owed add up to its amount.
    open_periods = {d.period: d for d in before.arrears}
    assert len(open_periods) == len(before.arrears)
    for period, amount in offered.items():
        owed = open_periods[period].amount if period in open_periods else ZERO
        assert paid_periods.get(period, ZERO) + owed == amount, period
        if period in open_periods:
            assert open_periods[period].paid == paid_periods.get(period, ZERO)


@SIMULATION
@given(households())
def test_households_over_24_months_keep_their_books(household):
    simulate(household)


@SIMULATION
@given(households(), st.integers(200_000, 1_000_000))
def test_well_funded_households_pay_everything_and_build_no_debt(household, income_cents):
    # With ample income every month no charge goes into arrears and nothing is advanced.
    # Three times every amount covers two periods of a charge in one cycle plus parts.
    charges_total = total(c.amount for c in household.charges)
    ample = Money.from_cents(income_cents) + charges_total + charges_total + charges_total
    rich = Household(
        household.charges,
        household.policy,
        household.pay_day,
        household.first_pay_date,
        tuple(ample for _ in household.incomes),
    )
    simulate(rich)
    pay = rich.first_pay_date
    before = CycleState(ZERO, {}, ZERO, ())
    for income in rich.incomes:
        following = next_pay_date(pay, rich.pay_day)
        regular, irregular, reservations = cycle_inputs(rich, pay, following)
        state = CycleState(before.pot + income, before.reserves, ZERO, ())
        result = run_cycle(pay, following, state, rich.policy, regular, irregular, reservations)
        assert result.new_arrears == () and result.advanced == ZERO
        assert result.reserved == {r.agreement_id: r.part for r in reservations}
        before, pay = result.after, following
