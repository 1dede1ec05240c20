"""Issue 18's rules, each with exact amounts: no month without money to live on.

The minimum leefgeld before arrears (the buffer advances it within its room), arrears
part-paid oldest first before reserves and repayment, reserves that catch up, a cap on
repayment, a leefgeld target with the household's leefgeld reserve, and the signals.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from adapters.cli import app
from adapters.store import open_engine
from huishoudboekje.domain.agreement import CHARGE, INCOME, Agreement, AmountFrom, Counterparty, Participant
from huishoudboekje.domain.household import Household, HouseholdError, household_id
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.paydate import (
    LEEFGELD_RESERVE,
    CycleState,
    Due,
    Policy,
    Reservation,
    reservation_with_catch_up,
    run_cycle,
)
from huishoudboekje.domain.schedule import Schedule

M = Money
ZERO = Money.zero()
P, NEXT = date(2026, 12, 1), date(2026, 12, 31)
ACCOUNT = "NL39BNGH0285009999"
LANDLORD = "NL20INGB0001234567"


def policy(limit="1500.00", minimum="250.00", **changes) -> Policy:
    return Policy(buffer_limit=M(limit), minimum_leefgeld=M(minimum), leefgeld_weekly=False,
                  execute_on_due_date=False, participant_name="Deelnemer", participant_iban="NL44RABO0123456789",
                  **changes)


def rent(amount: str, on: date = P) -> Due:
    return Due("huur", on, M(amount), 1, "Woningcorporatie", LANDLORD, "5012345678901234")


def household(start: date, rent_amount: str, minimum: str, limit: str = "1500.00",
              income: str | None = None, income_day: int = 1) -> Household:
    h = Household(dossier="HHB-RULES", team="T", start=start, pay_day=1, buffer_limit=M(limit),
                  minimum_leefgeld=M(minimum), leefgeld_schedule="monthly", execute_on="pay-date",
                  participants=[Participant("P", "NL44RABO0123456789")], account=None, actor="t")
    h.add_agreement(Agreement(id="huur", kind=CHARGE, category="huur",
                              counterparty=Counterparty("Woningcorporatie", LANDLORD),
                              amounts=(AmountFrom(start, M(rent_amount)),),
                              schedule=Schedule(every="month", start=start, day=1), priority=1), "t")
    if income is not None:
        h.add_agreement(Agreement(id="bijstand", kind=INCOME, category="bijstand",
                                  counterparty=Counterparty("Gemeente", "NL14BNGH0285001234"),
                                  amounts=(AmountFrom(start, M(income)),),
                                  schedule=Schedule(every="month", start=start, day=income_day)), "t")
    return h


def paid(h: Household, pay_date: date) -> list[tuple[str, str | None, Money]]:
    return [(i.kind, i.agreement_id, i.amount) for i in h.instructions_of(pay_date)]


def open_signals(h: Household) -> dict[str, str]:
    return {s.key: s.severity for s in h.signals.values() if s.is_open}


# -- the acceptance examples ---------------------------------------------------------


def test_a_the_minimum_leefgeld_is_advanced_with_the_charges_when_the_income_comes_after_the_run():
    # Pay day 1, 1,200.00 expected and arriving on the 1st, but booked after the run:
    # the rent and the minimum leefgeld are advanced (the late-income supplement of the
    # night after is branch late18's).
    h = household(date(2026, 12, 1), "850.00", "250.00", income="1200.00")
    h.pay(P, ACCOUNT)
    assert paid(h, P) == [("charge", "huur", M("850.00")), ("leefgeld", None, M("250.00"))]
    assert h.buffer_outstanding == M("1100.00")
    h.book_income("tx-1", "bijstand", M("1200.00"), P, "t")  # booked after the run
    assert h.buffer_outstanding == M("1100.00")
    h.update_signals(P, unrepaid_cycles=3)
    assert not [k for k in open_signals(h) if k.startswith("leefgeld-below-minimum")]


def test_b_three_months_without_income_minimum_then_rent_then_arrears_with_a_high_signal():
    h = household(date(2026, 12, 1), "650.00", "200.00")
    december, january, february = date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 1)  # 1 Jan: closed
    h.pay(december, ACCOUNT)
    h.update_signals(december, unrepaid_cycles=3)
    assert paid(h, december) == [("charge", "huur", M("650.00")), ("leefgeld", None, M("200.00"))]
    assert h.buffer_outstanding == M("850.00")
    assert not [k for k in open_signals(h) if k.startswith("leefgeld-below-minimum")]

    h.pay(january, ACCOUNT)
    h.update_signals(january, unrepaid_cycles=3)
    assert paid(h, january) == [("charge", "huur", M("650.00"))]  # no leefgeld: the buffer is at its limit
    assert h.buffer_outstanding == M("1500.00")
    assert open_signals(h)["leefgeld-below-minimum:-:2026-12-31"] == "high"
    signal = h.signals["leefgeld-below-minimum:-:2026-12-31"]
    assert (signal.amount, signal.details["minimum"], signal.details["paid"]) == (M("200.00"), "200.00", "0.00")

    h.pay(february, ACCOUNT)
    h.update_signals(february, unrepaid_cycles=3)
    assert paid(h, february) == []
    assert [(d.agreement_id, d.due, d.amount) for d in h.arrears] == [("huur", date(2027, 2, 1), M("650.00"))]
    assert open_signals(h)["leefgeld-below-minimum:-:2027-02-01"] == "high"
    assert "arrears:huur:2027-02-01" in open_signals(h)


def test_c_rent_arrears_are_part_paid_before_anything_is_reserved_or_repaid():
    # 650.00 rent arrears, the buffer at its limit, and 400.00 left after the current
    # charges and the minimum leefgeld: 400.00 to the landlord, 250.00 stays owed.
    old = rent("650.00", date(2026, 11, 1))
    before = CycleState(M("1350.00"), {}, M("1500.00"), (old,))
    result = run_cycle(P, NEXT, before, policy(), [rent("700.00")], [], [Reservation("water", M("20.40"), 3)])
    assert [(p.kind, p.period, p.amount) for p in result.payments] == [
        ("charge", P, M("700.00")), ("arrears", date(2026, 11, 1), M("400.00")), ("leefgeld", P, M("250.00"))]
    assert result.reserved == {"water": ZERO} and result.repaid == ZERO
    owed = replace(old, amount=M("250.00"), paid=M("400.00"))
    assert result.after.arrears == (owed,) and result.part_paid == (owed,)
    # Next cycle pays the rest, before reserving or repaying anything.
    following = run_cycle(NEXT, date(2027, 2, 1), replace(result.after, pot=M("1300.00")), policy(),
                          [rent("700.00", date(2027, 1, 1))], [], [Reservation("water", M("20.40"), 3)])
    [arrears] = [p for p in following.payments if p.kind == "arrears"]
    assert (arrears.amount, arrears.settled_before, arrears.rest) == (M("250.00"), M("400.00"), ZERO)
    assert following.after.arrears == () and following.reserved == {"water": M("20.40")}
    assert following.repaid == M("79.60") and following.leefgeld == M("250.00")


def test_a_part_paid_period_has_instruction_ids_of_its_own_and_owes_only_the_rest():
    # No income: the rent goes into arrears in February, part-paid on 1 March and on
    # 1 April; every part gets its own id, and the period owes only what is left.
    h = household(date(2026, 12, 1), "650.00", "200.00")
    for pay_date in (date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 1)):
        h.pay(pay_date, ACCOUNT)
    h.add_agreement(Agreement(id="loon", kind=INCOME, category="loon",
                              counterparty=Counterparty("Werkgever", "NL14BNGH0285001234"),
                              amounts=(AmountFrom(date(2027, 2, 1), M("1000.00")),),
                              schedule=Schedule(every="month", start=date(2027, 2, 1), day=20)), "t")
    h.book_income("feb", "loon", M("1000.00"), date(2027, 2, 20), "t")
    h.pay(date(2027, 3, 1), ACCOUNT)
    # 1 March: rent 650 (the buffer has no room: from the pot), minimum 200, 150 to February's rent.
    assert paid(h, date(2027, 3, 1)) == [("charge", "huur", M("650.00")), ("arrears", "huur", M("150.00")),
                                         ("leefgeld", None, M("200.00"))]
    assert [(d.due, d.amount, d.paid) for d in h.arrears] == [(date(2027, 2, 1), M("500.00"), M("150.00"))]
    h.book_income("mar", "loon", M("1000.00"), date(2027, 3, 20), "t")
    h.pay(date(2027, 4, 1), ACCOUNT)
    assert paid(h, date(2027, 4, 1)) == [("charge", "huur", M("650.00")), ("arrears", "huur", M("150.00")),
                                         ("leefgeld", None, M("200.00"))]
    parts = [i for i in h.instructions.values() if i.kind == "arrears"]
    assert [(i.pay_date, i.period, i.settled_before, i.rest) for i in parts] == [
        (date(2027, 3, 1), date(2027, 2, 1), ZERO, M("500.00")),
        (date(2027, 4, 1), date(2027, 2, 1), M("150.00"), M("350.00"))]
    assert len({i.id for i in parts} | {i.end_to_end_id for i in parts}) == 4
    # An amount change of the period is followed, less what was paid of it already.
    h.change_amount("huur", M("600.00"), date(2027, 2, 1), "t")
    h.pay(date(2027, 4, 30), ACCOUNT)  # 1 May is a Saturday
    assert [(d.due, d.amount) for d in h.arrears][:1] == [(date(2027, 2, 1), M("300.00"))]


def test_a_returned_part_payment_is_owed_again_with_the_rest():
    h = household(date(2026, 12, 1), "650.00", "200.00", limit="0.00", income="600.00", income_day=20)
    h.book_income("nov", "bijstand", M("600.00"), date(2026, 11, 20), "t")
    h.pay(P, ACCOUNT)  # rent cannot be paid in full: the minimum first, then 400.00 of it
    [part] = [i for i in h.instructions_of(P) if i.kind == "arrears"]
    assert (part.amount, part.rest) == (M("400.00"), M("250.00"))
    h.return_payment(part.id, "ret-1", date(2026, 12, 3))
    assert [(d.due, d.amount, d.paid, d.returned) for d in h.arrears] == [(P, M("650.00"), ZERO, True)]


# -- reserves catch up -----------------------------------------------------------------------


def test_reserve_parts_missed_are_spread_over_the_cycles_left():
    # A yearly 1,200.00: 100.00 a cycle, eleven parts before the due cycle, which pays
    # the twelfth from its pot.
    assert reservation_with_catch_up(M("1200.00"), 12, M("300.00"), 8) == M("100.00")  # on schedule
    # Came in with four cycles left and nothing held: 700.00 missed, 175.00 more a cycle.
    assert reservation_with_catch_up(M("1200.00"), 12, ZERO, 4) == M("275.00")
    assert reservation_with_catch_up(M("1200.00"), 12, M("825.00"), 1) == M("275.00")
    assert reservation_with_catch_up(M("1200.00"), 12, M("1150.00"), 1) == M("50.00")  # never more than the amount
    # 33.34 a part; two parts (66.68) held when the due cycle comes: 23.34 missed.
    assert reservation_with_catch_up(M("100.00"), 3, M("10.00"), 1) == M("56.68")


def test_a_household_that_came_in_late_reserves_a_yearly_charge_in_full_on_time():
    h = household(date(2026, 12, 1), "500.00", "0.00", limit="0.00", income="1500.00", income_day=20)
    h.add_agreement(Agreement(id="belasting", kind=CHARGE, category="gemeentelijke-belastingen",
                              counterparty=Counterparty("Gemeente", "NL91ABNA0417164300"),
                              amounts=(AmountFrom(date(2026, 12, 1), M("1200.00")),),
                              schedule=Schedule(every="year", start=date(2026, 12, 1), day=28, months=(4,)),
                              priority=5), "t")
    pay_dates = [date(2026, 12, 1), date(2026, 12, 31), date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 1)]
    held = []
    for n, pay_date in enumerate(pay_dates):
        h.book_income(f"in{n}", "bijstand", M("1500.00"), pay_date.replace(day=1), "t")
        h.pay(pay_date, ACCOUNT)
        held.append(str(h.reserves.get("belasting", ZERO)))
    # Four cycles before April's: 100.00 a part plus 700.00 missed, spread over four.
    assert held == ["275.00", "550.00", "825.00", "1100.00", "0.00"]
    assert ("charge", "belasting", M("1200.00")) in paid(h, date(2027, 4, 1))


# -- buffer repayment, leefgeld target, buffer_covers_leefgeld ---------------------------------


def test_buffer_repayment_is_capped_per_cycle():
    before = CycleState(M("1000.00"), {}, M("900.00"))
    result = run_cycle(P, NEXT, before, policy(buffer_repayment_max=M("200.00")), [], [], [])
    assert (result.repaid, result.leefgeld, result.after.buffer_outstanding) == (
        M("200.00"), M("800.00"), M("700.00"))
    uncapped = run_cycle(P, NEXT, before, policy(), [], [], [])
    assert (uncapped.repaid, uncapped.leefgeld) == (M("750.00"), M("250.00"))


def test_a_leefgeld_target_keeps_the_excess_and_tops_up_lean_months():
    pol = policy(limit="0.00", leefgeld_target=M("600.00"))
    state, leefgeld, saved = CycleState(ZERO, {}, ZERO), [], []
    for income in ("1500.00", "300.00", "100.00", "900.00"):
        result = run_cycle(P, NEXT, replace(state, pot=state.pot + M(income)), pol, [], [], [])
        state = result.after
        leefgeld.append(str(result.leefgeld))
        saved.append(str(state.reserves.get(LEEFGELD_RESERVE, ZERO)))
    assert leefgeld == ["600.00", "600.00", "600.00", "600.00"]
    assert saved == ["900.00", "600.00", "100.00", "400.00"]
    # The participant ceiling still applies to what goes to the participant.
    held = run_cycle(P, NEXT, CycleState(M("1500.00"), {}, ZERO), replace(pol, participant_ceiling=M("500.00")),
                     [], [], [])
    assert (held.leefgeld, held.on_hold, held.after.reserves[LEEFGELD_RESERVE]) == (
        M("500.00"), M("100.00"), M("900.00"))
    # Without a target (any more) the reserve is the household's money again.
    back = run_cycle(P, NEXT, CycleState(ZERO, {LEEFGELD_RESERVE: M("400.00")}, ZERO), policy(limit="0.00"),
                     [], [], [])
    assert back.leefgeld == M("400.00") and back.after.reserves[LEEFGELD_RESERVE] == ZERO


def test_the_leefgeld_reserve_pays_the_minimum_before_the_buffer_does():
    before = CycleState(M("700.00"), {LEEFGELD_RESERVE: M("150.00")}, ZERO)
    result = run_cycle(P, NEXT, before, policy(leefgeld_target=M("400.00")), [rent("650.00")], [], [])
    assert result.advanced == M("50.00")  # 50 from the pot, 150 from the reserve, 50 advanced
    assert result.leefgeld == M("250.00") and result.after.reserves[LEEFGELD_RESERVE] == ZERO


def test_without_buffer_covers_leefgeld_the_buffer_pays_charges_only():
    before = CycleState(ZERO, {}, ZERO)
    result = run_cycle(P, NEXT, before, policy(minimum="200.00", buffer_covers_leefgeld=False),
                       [rent("650.00")], [], [])
    assert (result.advanced, result.leefgeld, result.leefgeld_short) == (M("650.00"), ZERO, M("200.00"))


def test_the_final_settlement_repays_everything_before_leefgeld_whatever_the_cap_and_target():
    h = household(date(2026, 12, 1), "650.00", "200.00", income="1000.00", income_day=20)
    h.change_settings({"buffer_repayment_max": M("50.00"), "leefgeld_target": M("300.00")}, "t")
    h.pay(P, ACCOUNT)  # no income yet: 650 + 200 advanced
    h.book_income("dec", "bijstand", M("1000.00"), date(2026, 12, 20), "t")
    h.end_participation(date(2026, 12, 22), "t")
    settlement = h.settlement_date()
    h.pay(settlement, ACCOUNT)
    assert paid(h, settlement) == [("leefgeld", None, M("150.00"))]
    assert h.buffer_outstanding == ZERO and LEEFGELD_RESERVE not in h.reserves


# -- signals -----------------------------------------------------------------------------------


def test_a_leefgeld_below_the_minimum_signal_clears_once_a_pay_date_pays_the_minimum():
    h = household(date(2026, 12, 1), "650.00", "200.00", limit="650.00", income="1000.00", income_day=20)
    h.pay(P, ACCOUNT)  # the buffer pays the rent and has no room for leefgeld
    h.update_signals(P, unrepaid_cycles=3)
    assert open_signals(h)["leefgeld-below-minimum:-:2026-12-01"] == "high"
    h.book_income("dec", "bijstand", M("1000.00"), date(2026, 12, 20), "t")
    h.pay(NEXT, ACCOUNT)
    h.update_signals(NEXT, unrepaid_cycles=3)
    assert not [k for k in open_signals(h) if k.startswith("leefgeld-below-minimum")]


def test_the_structural_deficit_counts_the_minimum_leefgeld():
    h = household(date(2026, 12, 1), "800.00", "250.00", income="1000.00", income_day=20)
    h.update_signals(date(2026, 11, 25), unrepaid_cycles=3)
    assert not [s for s in h.signals.values() if s.rule == "structural-deficit"]
    h.update_signals(date(2026, 12, 2), unrepaid_cycles=3)
    [deficit] = [s for s in h.signals.values() if s.rule == "structural-deficit"]
    assert (deficit.amount, deficit.details["minimum_leefgeld"]) == (M("50.00"), "250.00")


# -- settings -----------------------------------------------------------------------------------


def test_settings_are_checked_by_the_household():
    h = household(date(2026, 12, 1), "650.00", "200.00")
    with pytest.raises(HouseholdError, match="buffer_repayment_max: must be more than 0.00"):
        h.change_settings({"buffer_repayment_max": ZERO}, "t")
    with pytest.raises(HouseholdError, match="leefgeld.target: 150.00 is below the minimum leefgeld 200.00"):
        h.change_settings({"leefgeld_target": M("150.00")}, "t")


def test_onboarding_documents_carry_the_new_settings_and_refuse_bad_ones(store_url, tmp_path, example_doc):
    runner = CliRunner()
    doc = yaml.safe_load(example_doc.read_text())
    doc.update(buffer_covers_leefgeld=False, buffer_repayment_max="150.00",
               leefgeld={"schedule": "monthly", "target": "900.00"})
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["onboard", str(path), "--db", store_url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    engine = open_engine(store_url, tmp_path / "var")
    try:
        h = engine.household_by_id(household_id(doc["dossier"]))
        assert (h.buffer_covers_leefgeld, h.buffer_repayment_max, h.leefgeld_target) == (
            False, M("150.00"), M("900.00"))
        assert h.policy().leefgeld_target == M("900.00")
    finally:
        engine.close()
    for change, message in [({"buffer_repayment_max": "0.00"}, "buffer_repayment_max: must be more than 0.00"),
                            ({"leefgeld": {"target": "100.00"}}, "leefgeld: target 100.00 is below the minimum"),
                            ({"buffer_covers_leefgeld": "ja"}, "buffer_covers_leefgeld: Input should be a valid")]:
        path.write_text(yaml.safe_dump({**doc, **change}))
        bad = runner.invoke(app, ["onboard", str(path), "--db", store_url], catch_exceptions=False)
        assert bad.exit_code == 2 and message in bad.output, bad.output


def test_a_part_payment_and_a_payment_of_the_whole_period_on_one_pay_date_have_different_ids():
    from huishoudboekje.domain.paydate import Payment

    h = household(date(2026, 12, 1), "650.00", "200.00")
    whole = Payment("arrears", "huur", date(2026, 11, 1), 1, M("650.00"), P, "W", LANDLORD, None)
    first = replace(whole, amount=M("400.00"), rest=M("250.00"))
    second = replace(whole, amount=M("250.00"), settled_before=M("400.00"))
    ids = {h._instruction(P, payment, ACCOUNT).id for payment in (whole, first, second)}
    assert len(ids) == 3
    # A payment of a whole period keeps the id it has always had (stores of earlier versions).
    from uuid import uuid5
    assert h._instruction(P, whole, ACCOUNT).id == uuid5(h.id, f"{P}|arrears|huur|2026-11-01|1").hex
