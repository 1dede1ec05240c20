"""What's left this month: read from the household projection, never from history.

The household's projected state holds its agreements, its money and the payments of
its recent pay dates; this module only looks at it on a date. Statuses:
incomes expected | received | late | missing | deviating;
charges scheduled | paid | confirmed | returned | in-arrears | self-paid (a phase-out).

`status` of a payment says whether its execution date has come (kept for the API);
`progress` says what the bank data shows, for the participant to read:
planned (with its date) | sent (in a payment file the job completed and a person released
to the bank, its execution date come) | paid (a statement confirmed it, `confirmed_on`) | returned.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, NamedTuple

from ..domain.agreement import CHARGE, INCOME
from ..domain.calendar import is_business_day
from ..domain.household import Household
from ..domain.money import Money, total
from ..domain.signals import income_deadline
from .wording import deduction_texts, texts


class Cycle(NamedTuple):
    """A pay-date cycle: from its pay date up to (not including) the next."""

    pay_date: date
    next_pay_date: date


def cycle_of(household: Household, as_of: date) -> Cycle:
    """The pay-date cycle `as_of` lies in: [pay date, next pay date). After the final
    settlement: the settlement, which paid out the last of the household's money."""
    settled = household.settled_on
    if settled is not None and as_of >= settled:
        return Cycle(settled, date.fromordinal(settled.toordinal() + 1))
    upcoming = household.pay_date_on_or_after(as_of)
    if upcoming == as_of:
        return Cycle(as_of, household.next_pay_date(as_of))
    # A cycle is about a month, up to two when the pay day moved: start well before.
    previous = household.pay_date_on_or_after(date.fromordinal(as_of.toordinal() - 70))
    while True:
        following = household.next_pay_date(previous)
        if following > as_of:
            break
        previous = following
    # A pay date the job caught up on a later day (see Household.pay_dates_between).
    ran = [d for d in map(date.fromisoformat, household.paid_on) if previous < d <= as_of]
    return Cycle(max(ran) if ran else previous, following)


STALE_AFTER = 2  # business days: bank data older than this is said at the top of the page


def what_is_left(household: Household, as_of: date, data_as_of: date | None,
                 filed_through: date | None = None, unreleased: Collection[str] = ()) -> dict[str, Any]:
    """`filed_through`: the last day the nightly job completed (`Projections.filed_through`);
    None: not known, and a payment whose execution date has come counts as sent.
    `unreleased`: ids of the household's payments in a file nobody released yet (or
    held): not sent, whatever their date (`Projections.unreleased`)."""
    pay_date, next_pay = cycle_of(household, as_of)
    instructions = household.cycle_instructions(pay_date)  # with what supplements paid since
    leefgeld = [i for i in instructions if i.kind == "leefgeld"]
    forecast = household.forecast(as_of)
    progress = _Progress(household, as_of, filed_through, unreleased)
    parts = [{"date": i.execution_date.isoformat(), "amount": str(i.amount), "status": _payment_status(i, as_of),
              **progress.of(i)} for i in leefgeld]
    previous_pay = cycle_of(household, date.fromordinal(pay_date.toordinal() - 1)).pay_date
    return {
        "dossier": household.dossier,
        "as_of": as_of.isoformat(),
        "data_as_of": data_as_of.isoformat() if data_as_of else None,
        "data_stale": stale(data_as_of, as_of),
        "cycle": {"pay_date": pay_date.isoformat(), "next_pay_date": next_pay.isoformat()},
        "leefgeld": {
            "paid": str(total(i.amount for i in leefgeld if i.execution_date <= as_of and i.status != "returned")),
            "scheduled": str(total(i.amount for i in leefgeld if i.execution_date > as_of)),
            # what the bank confirmed, and what is on its way (planned or sent, not confirmed)
            "received": str(total(Money(p["amount"]) for p in parts if p["progress"] == "paid")),
            "on_its_way": str(total(Money(p["amount"]) for p in parts if p["progress"] in ("planned", "sent"))),
            "parts": parts,
        },
        "incomes": _incomes(household, previous_pay, pay_date, next_pay, as_of),
        "deductions": _deductions(household, previous_pay, forecast.next_pay_date),
        "charges": _charges(household, pay_date, next_pay, as_of, instructions, progress),
        "buffer_owed": str(household.buffer_outstanding),
        "reserves": {k: str(v) for k, v in sorted(household.reserves.items())},
        "forecast": {
            "next_pay_date": forecast.next_pay_date.isoformat(),
            "expected_leefgeld": str(forecast.expected_leefgeld),
            "shortfall": str(forecast.shortfall),
            "supplement": _coming_supplement(household, as_of),
            # charges the participant pays (a phase-out), due from the next pay date to the one after
            "self_paid": household.self_paid_rows(
                forecast.next_pay_date.fromordinal(forecast.next_pay_date.toordinal() - 1),
                household.next_pay_date(forecast.next_pay_date).fromordinal(
                    household.next_pay_date(forecast.next_pay_date).toordinal() - 1)) if household.self_paid else [],
        },
        "supplements": _supplements(household, pay_date),
        "month": _month(household, pay_date, parts, forecast),
    }


def _month(household: Household, pay_date: date, parts: list[dict[str, Any]], forecast: Any) -> dict[str, Any]:
    """The cycle's facts a bad month is explained with: what the pay date advanced, what
    came in late and what was paid from it, what is still owed, what comes next.

    `bad`: the buffer advanced or is owed, a payment is in arrears, or the leefgeld
    stayed below the minimum. Read from the household's state only: the last pay date's
    inputs (the buffer before it) and the cycle's supplements (the buffer repaid since).
    """
    supplements = household.supplements_of(pay_date)
    repaid_since = total(Money(s["repaid"]) for s in supplements)
    inputs = household.cycle_inputs
    advanced = Money.zero()
    if inputs is not None and inputs.pay_date == pay_date:  # supplements advance nothing
        advanced = (household.buffer_outstanding + repaid_since - inputs.state.buffer_outstanding).max(Money.zero())
    late = []
    for done in supplements:
        night = date.fromisoformat(done["day"])
        booked = [b for b in household.recent_income if b.agreement_id in done["incomes"] and b.value_date <= night
                  and b.value_date > pay_date.fromordinal(pay_date.toordinal() - 45)]
        late.append({"incomes": list(done["incomes"]),
                     "categories": [household.agreements[a].category if a in household.agreements else "overig"
                                    for a in done["incomes"]],
                     "amount": done["income"], "on": max(b.value_date for b in booked).isoformat() if booked
                     else done["day"], "repaid": done["repaid"], "leefgeld": done["leefgeld"],
                     "arrears": done["arrears"]})
    leefgeld = total(Money(p["amount"]) for p in parts if p["progress"] != "returned")
    owed = household.buffer_outstanding
    bad = (advanced.is_positive or owed.is_positive or repaid_since.is_positive or bool(household.arrears)
           or (bool(parts) and leefgeld < household.minimum_leefgeld))
    return {"bad": bad, "pay_date": pay_date.isoformat(), "advanced": str(advanced), "late_incomes": late,
            "leefgeld": str(leefgeld), "buffer_owed": str(owed), "minimum_leefgeld": str(household.minimum_leefgeld),
            "next_pay_date": forecast.next_pay_date.isoformat(), "next_leefgeld": str(forecast.expected_leefgeld)}


def _deductions(household: Household, previous_pay: date, next_pay: date) -> list[dict[str, Any]]:
    """What someone else took from the household's money since the pay date before this
    cycle's (as its incomes), and what is still to come off the next pay date, each with
    its sentence for the household (`text`: nl, en)."""
    rows = []
    for d in household.deductions_since(date.fromordinal(previous_pay.toordinal() + 1)):
        agreement = household.agreements.get(d.agreement_id or "")
        rows.append({
            "transaction": d.transaction_id, "kind": d.kind, "amount": str(d.amount), "on": d.on.isoformat(),
            "agreement": d.agreement_id, "counterparty": d.counterparty, "pending": str(d.pending),
            "taken_on": d.taken_on.isoformat() if d.taken_on else None, "advanced": str(d.advanced),
            "text": deduction_texts(d.kind, d.counterparty or (agreement.counterparty.name if agreement else None),
                                    d.amount, agreement_id=d.agreement_id,
                                    category=agreement.category if agreement else None,
                                    coming=next_pay if d.pending.is_positive else None, taken=d.taken_on,
                                    advanced=d.advanced)})
    return rows


def _categories(household: Household, agreement_ids: list[str]) -> list[str]:
    return [household.agreements[a].category if a in household.agreements else "overig" for a in agreement_ids]


def _supplements(household: Household, pay_date: date) -> list[dict[str, Any]]:
    """What the supplements of this cycle did, each with its sentence for the household."""
    weekly = household.leefgeld_schedule == "weekly"
    rows = []
    for done in household.supplements_of(pay_date):
        rows.append({**{k: done[k] for k in ("day", "execution_date", "incomes", "income", "leefgeld", "repaid",
                                             "arrears")},
                     "text": texts(_categories(household, done["incomes"]), Money(done["leefgeld"]).is_positive,
                                   done["execution_date"], repaid=Money(done["repaid"]).is_positive,
                                   arrears=Money(done["arrears"]).is_positive, weeks=weekly)})
    return rows


def _coming_supplement(household: Household, as_of: date) -> dict[str, Any] | None:
    """A late income the next night supplements this cycle with: what it will pay, when."""
    tomorrow = date.fromordinal(as_of.toordinal() + 1)
    planned = household.planned_supplement(tomorrow, tomorrow)
    if planned is None:
        return None
    late, found = planned
    return {"execution_date": found.execution_date.isoformat(), "leefgeld": str(found.leefgeld),
            "repaid": str(found.repaid), "text": texts(_categories(household, sorted({b.agreement_id for b in late})),
                                                        found.leefgeld.is_positive, found.execution_date,
                                                        done=False)}


def _incomes(household: Household, previous_pay: date, pay_date: date, next_pay: date,
             as_of: date) -> list[dict[str, Any]]:
    """Incomes for this cycle's pay date and the next: expected in (previous pay date, next pay date].

    One that should have been in the pot on a pay date that has passed is missing.
    """
    rows = []
    first = date.fromordinal(previous_pay.toordinal() + 1)
    for agreement in household.agreements.values():
        if agreement.kind != INCOME:
            continue
        for day in agreement.schedule.occurrences(first, next_pay):
            booking = household.income_received(agreement.id, day)
            expected = agreement.expected_on(day)  # less what its payer withholds
            if booking is not None:
                status = "deviating" if booking.deviates else "received"
            elif day <= pay_date <= as_of:
                status = "missing"
            elif income_deadline(agreement, day) < as_of:
                status = "late"
            else:
                status = "expected"
            rows.append({"agreement": agreement.id, "category": agreement.category,
                         "counterparty": agreement.counterparty.name, "date": day.isoformat(),
                         "expected": str(expected),
                         "received": str(booking.amount) if booking else None,
                         "received_on": booking.value_date.isoformat() if booking else None,
                         "status": status, "withheld": _withheld(agreement)})
    return sorted(rows, key=lambda r: (r["date"], r["agreement"]))


def _withheld(agreement: Any) -> dict[str, str | None] | None:
    """What the payer keeps back of an income (a garnishment), or None."""
    withheld = agreement.withheld
    if withheld is None:
        return None
    return {"amount": str(withheld.amount), "kind": withheld.kind, "by": withheld.by}


def _charges(household: Household, pay_date: date, next_pay: date, as_of: date,
             instructions: list[Any], progress: _Progress) -> list[dict[str, Any]]:
    paid = {(i.agreement_id, i.period): i for i in instructions if i.kind == "charge"}
    for i in instructions:  # a charge of this cycle part-paid as arrears, its last part paid since
        if i.kind == "arrears" and not i.rest and i.period >= pay_date:
            paid.setdefault((i.agreement_id, i.period), i)
    owed = {(d.agreement_id, d.due) for d in household.arrears}
    first = max(pay_date, household.pay_date_on_or_after(household.start))  # the engine pays from here
    # ...or from before the pay date, when a run paid this cycle late (a household
    # onboarded after its pay date): what it paid then belongs to this cycle.
    first = min([first, *(period for _, period in paid)])
    last = date.fromordinal(next_pay.toordinal() - 1)
    rows = []
    for agreement in household.agreements.values():
        if agreement.kind != CHARGE:
            continue
        for day in agreement.schedule.occurrences(first, last):
            instruction = paid.get((agreement.id, day))
            if (agreement.id, day) in owed:
                status = "in-arrears"
            elif instruction is not None:
                status = _payment_status(instruction, as_of)
            elif household.self_paid_on(agreement.id, day):
                status = "self-paid"  # a phase-out: the participant pays it (issue 23)
            else:
                status = "scheduled"
            rows.append({"agreement": agreement.id, "category": agreement.category,
                         "counterparty": agreement.counterparty.name,
                         "amount": str(agreement.amount_on(day)), "due": day.isoformat(),
                         "paid_on": instruction.execution_date.isoformat() if instruction else None,
                         "status": status,
                         **(progress.of(instruction) if instruction is not None and status != "in-arrears"
                            else {"progress": None, "confirmed_on": None})})
    for due in household.arrears:
        if due.due < pay_date:
            rows.append({"agreement": due.agreement_id, "category": household.agreements[due.agreement_id].category
                         if due.agreement_id in household.agreements else "overig",
                         "counterparty": due.creditor_name, "amount": str(due.amount),
                         "due": due.due.isoformat(), "paid_on": None, "status": "in-arrears",
                         "progress": None, "confirmed_on": None})
    return sorted(rows, key=lambda r: (r["due"], r["agreement"]))


def _payment_status(instruction: Any, as_of: date) -> str:
    if instruction.status in ("confirmed", "returned"):
        return instruction.status
    return "paid" if instruction.execution_date <= as_of else "scheduled"


class _Progress:
    """Where a payment stands by the bank data: planned | sent | paid | returned.

    Sent needs its execution date come and its payment file recorded and released to the
    bank: the file of the night that issued it (a pay date's, or a supplement's), which is
    recorded before that night completes, and which a person released since (four eyes;
    one pending or held keeps its payments `unreleased`). The nights are in the household
    (`paid_on`, `supplemented_on`), the last completed one and the unreleased payments in
    the read model: no event is read for it.
    """

    def __init__(self, household: Household, as_of: date, filed_through: date | None,
                 unreleased: Collection[str] = ()) -> None:
        self.as_of, self.filed_through, self.unreleased = as_of, filed_through, unreleased
        self.night: dict[str, str] = {}
        for nights in (household.paid_on, household.supplemented_on):
            for night, ids in nights.items():
                for ident in ids:
                    self.night.setdefault(ident, night)

    def of(self, instruction: Any) -> dict[str, Any]:
        confirmed_on = getattr(instruction, "confirmed_on", None)
        if instruction.status == "returned":
            word = "returned"
        elif instruction.status == "confirmed":
            word = "paid"
        elif instruction.execution_date <= self.as_of and self._filed(instruction):
            word = "sent"
        else:
            word = "planned"
        return {"progress": word, "confirmed_on": confirmed_on.isoformat() if word == "paid" and confirmed_on
                else None}

    def _filed(self, instruction: Any) -> bool:
        if instruction.id in self.unreleased:
            return False
        if self.filed_through is None:
            return True
        night = self.night.get(instruction.id, instruction.pay_date.isoformat())
        return night <= self.filed_through.isoformat()


def stale(data_as_of: date | None, as_of: date) -> bool:
    """Whether the newest bank data is more than `STALE_AFTER` TARGET2 business days old."""
    if data_as_of is None or data_as_of >= as_of:
        return False
    days, day = 0, data_as_of
    while day < as_of:
        day = date.fromordinal(day.toordinal() + 1)
        days += is_business_day(day)
        if days > STALE_AFTER:
            return True
    return False


def left_this_month(left: dict[str, Any]) -> Money:
    """The one number a participant looks for: leefgeld still to come this cycle."""
    return Money(left["leefgeld"]["scheduled"])
