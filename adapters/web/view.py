"""The participant page's view model: everything a person reads, prepared from
`what_is_left`, so that the templates only lay it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money
from huishoudboekje.projections.left import left_this_month

from .words import MESSAGES, day_words, label, money

# -- what a person reads ----------------------------------------------------------------------


@dataclass
class Row:
    title: str
    amount: str
    status: str
    tone: str = "done"  # done | coming | attention
    who: str = ""


@dataclass
class Hero:
    kind: str  # to-come | paid | upcoming | none
    label: str
    amount: Money
    amount_text: str
    about: list[str] = field(default_factory=list)  # sentences about the big number
    next_line: str = ""  # when the next leefgeld comes
    next_detail: str = ""


def headline(left: dict[str, Any], ran: bool = True) -> tuple[str, Money]:
    """The one number at the top, and what it means.

    Leefgeld still to come this cycle (`left_this_month`) while there is any; once all of
    it is paid, what was paid this cycle ("this is your leefgeld for this month"); when
    this cycle's pay date has not been run (before the household's first pay date), the
    leefgeld the forecast expects on the next one.
    """
    scheduled = left_this_month(left)
    paid = Money(left["leefgeld"]["paid"])
    if scheduled.is_positive:
        return "to-come", scheduled
    if paid.is_positive:
        return "paid", paid
    if not ran and not left["leefgeld"]["parts"]:
        return "upcoming", Money(left["forecast"]["expected_leefgeld"])
    return "none", Money.zero()


def cycle_ran(household: Household, left: dict[str, Any]) -> bool:
    """Whether the pay date of the cycle shown has been run for this household."""
    pay_date = date.fromisoformat(left["cycle"]["pay_date"])
    return (pay_date >= household.start and household.last_pay_date is not None
            and pay_date <= household.last_pay_date)


def view_model(household: Household, left: dict[str, Any], lang: str, as_of: date) -> dict[str, Any]:
    m = MESSAGES[lang]

    def eur(value: Money | str) -> str:
        return money(value, lang)

    def day(value: date | str, weekday: bool = True) -> str:
        return day_words(value, lang, weekday=weekday, today=as_of)

    parts = left["leefgeld"]["parts"]
    kind, amount = headline(left, cycle_ran(household, left))
    forecast = left["forecast"]
    hero = Hero(kind, m[{"to-come": "hero_to_come", "paid": "hero_paid", "upcoming": "hero_upcoming",
                         "none": "hero_none"}[kind]], amount, eur(amount))
    coming = [p for p in parts if p["date"] > as_of.isoformat()]  # what `scheduled` adds up
    expected_next = Money(forecast["expected_leefgeld"])
    if kind == "to-come":
        first = min(coming, key=lambda p: p["date"])
        paid = Money(left["leefgeld"]["paid"])
        if paid.is_positive:
            hero.about.append(m["already"].format(amount=eur(paid)))
        hero.next_line = m["next"].format(day=day(first["date"]))
        hero.next_detail = m["next_amount"].format(amount=eur(first["amount"]))
    elif kind == "upcoming":  # the earlier of: the next unpaid pay date, the end of the cycle shown
        hero.next_line = m["next"].format(day=day(min(forecast["next_pay_date"], left["cycle"]["next_pay_date"])))
        hero.next_detail = m["upcoming_detail"]
    else:
        done = [p for p in parts if p["status"] in ("paid", "confirmed")]
        if kind == "paid" and done:
            hero.about.append(m["paid_on"].format(day=day(max(p["date"] for p in done))))
        if kind == "none":
            hero.about.append(m["none_left"])
        hero.next_line = m["next"].format(day=day(left["cycle"]["next_pay_date"]))
        if expected_next.is_positive:
            hero.next_detail = m["next_expected"].format(amount=eur(expected_next))

    part_rows = []
    if len(parts) > 1 or any(p["status"] == "returned" for p in parts):
        for p in parts:
            status, tone = {"paid": (m["part_paid"], "done"), "confirmed": (m["part_paid"], "done"),
                            "returned": (m["part_returned"], "attention")}.get(
                p["status"], (m["part_coming"], "coming"))
            part_rows.append(Row(day(p["date"]), eur(p["amount"]), status, tone))

    came_in, expected = [], []
    for income in left["incomes"]:
        title = label(income["agreement"], income["category"], lang)
        status = income["status"]
        if status in ("received", "deviating"):
            text = m["in_received"].format(day=day(income["received_on"], weekday=False))
            tone = "done"
            if status == "deviating":
                more = Money(income["received"]) > Money(income["expected"])
                text = m["in_more" if more else "in_less"].format(
                    day=day(income["received_on"], weekday=False), expected=eur(income["expected"]))
                tone = "done" if more else "attention"
            came_in.append(Row(title, eur(income["received"]), text, tone, income["counterparty"]))
        else:
            key, tone = {"late": ("in_late", "attention"), "missing": ("in_missing", "attention")}.get(
                status, ("in_expected", "coming"))
            expected.append(Row(title, eur(income["expected"]), m[key].format(day=day(income["date"], weekday=False)),
                                tone, income["counterparty"]))

    charges = []
    for charge in left["charges"]:
        status = charge["status"]
        if status in ("paid", "confirmed"):
            text, tone = m["ch_paid"].format(day=day(charge["paid_on"] or charge["due"], weekday=False)), "done"
        elif status == "returned":
            text, tone = m["ch_returned"], "attention"
        elif status == "in-arrears":
            text, tone = m["ch_arrears"], "attention"
        elif charge["paid_on"]:
            text, tone = m["ch_will"].format(day=day(charge["paid_on"], weekday=False)), "coming"
        elif charge["due"] >= as_of.isoformat():
            text, tone = m["ch_before"].format(day=day(charge["due"], weekday=False)), "coming"
        else:
            text, tone = m["ch_pending"], "coming"
        charges.append(Row(label(charge["agreement"], charge["category"], lang), eur(charge["amount"]), text, tone,
                           charge["counterparty"]))

    categories = {a.id: a.category for a in household.agreements.values()}
    saving = [Row(label(agreement, categories.get(agreement, agreement), lang), eur(amount),
                  m["saved"].format(amount=eur(amount)))
              for agreement, amount in left["reserves"].items() if Money(amount).is_positive]

    owed = Money(left["buffer_owed"])
    team = household.team or ""
    return {
        "hero": hero,
        "updated": (m["updated"].format(day=day_words(left["data_as_of"], lang, weekday=False, year=True))
                    if left["data_as_of"] else m["updated_never"]),
        "parts": part_rows,
        "came_in": came_in,
        "expected": expected,
        "charges": charges,
        "saving": saving,
        "owed": [m["owed"].format(amount=eur(owed)),
                 m["owed_minimum"].format(amount=eur(household.minimum_leefgeld))] if owed.is_positive else [],
        "shortfall": m["shortfall"] if Money(forecast["shortfall"]).is_positive else "",
        "questions": m["questions"].format(team=team) if team else m["questions_plain"],
    }
