"""The participant page's view model: everything a person reads, prepared from
`what_is_left`, so that the templates only lay it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money, total
from huishoudboekje.domain.team import contact_card
from huishoudboekje.projections.left import left_this_month
from huishoudboekje.projections.wording import income_words

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


@dataclass(frozen=True)
class Say:
    """How amounts and days are written for one reader: their language, as of their day."""

    lang: str
    as_of: date

    @property
    def m(self) -> dict[str, str]:
        return MESSAGES[self.lang]

    def eur(self, value: Money | str) -> str:
        return money(value, self.lang)

    def day(self, value: date | str, weekday: bool = True) -> str:
        return day_words(value, self.lang, weekday=weekday, today=self.as_of)

    def label(self, agreement: str, category: str) -> str:
        return label(agreement, category, self.lang)


def view_model(household: Household, left: dict[str, Any], lang: str, as_of: date,
               contact: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Everything the participant page shows; each part is made by its own function below.
    `contact`: the household's contact card (`huishoudboekje.teams.contact`); without it,
    the card names the team alone."""
    say = Say(lang, as_of)
    m = say.m
    came_in, expected = income_rows(say, left["incomes"])
    owed = Money(left["buffer_owed"])
    team = household.team or ""
    story = month_story(say, left)
    cycle_leefgeld = Money(left.get("month", {}).get("leefgeld", left["leefgeld"]["paid"]))
    return {
        "hero": hero(say, household, left),
        "updated": (m["updated"].format(day=day_words(left["data_as_of"], lang, weekday=False, year=True))
                    if left["data_as_of"] else m["updated_never"]),
        "stale": (m["stale"].format(day=day_words(left["data_as_of"], lang, weekday=True, year=True))
                  if left.get("data_stale") else ""),
        "story": story,
        # the advance, explained where the page first names it: the story, or else the section
        "voorschot_means": m["voorschot_means"] if story or owed.is_positive else "",
        "parts": part_rows(say, left["leefgeld"]["parts"]),
        "came_in": came_in,
        "deductions": deduction_rows(say, left.get("deductions", [])),
        "expected": expected,
        "charges": [charge_row(say, charge) for charge in left["charges"]],
        "saving": saving_rows(say, household, left["reserves"]),
        # never "you always keep the minimum" on a month that left less (issue 19)
        "owed": ([m["owed"].format(amount=say.eur(owed))] +
                 ([m["owed_minimum"].format(amount=say.eur(household.minimum_leefgeld))]
                  if cycle_leefgeld >= household.minimum_leefgeld else [])) if owed.is_positive else [],
        "shortfall": m["shortfall"] if Money(left["forecast"]["shortfall"]).is_positive else "",
        "questions": m["questions"].format(team=team) if team else m["questions_plain"],
        "contact": contact if contact is not None else contact_card(None, household),
    }


def month_story(say: Say, left: dict[str, Any]) -> list[str]:
    """A bad month in one or two sentences, from its facts (`what_is_left`'s `month`): what
    came in and what was paid from it, or what was missing and what the municipality
    advanced; then what is still owed and when the next leefgeld comes, and about how much."""
    facts = left.get("month") or {}
    if not facts.get("bad"):
        return []
    m, eur = say.m, say.eur
    first = ""
    for late in facts["late_incomes"]:
        first += (" " if first else "") + m["m_late"].format(income=income_words(late["categories"], say.lang),
                                                              day=say.day(late["on"], weekday=False))
        repaid, leefgeld = Money(late["repaid"]), Money(late["leefgeld"])
        if repaid.is_positive and leefgeld.is_positive:
            first += m["m_from_both"].format(repaid=eur(repaid), leefgeld=eur(leefgeld))
        elif repaid.is_positive:
            first += m["m_from_repaid"].format(repaid=eur(repaid))
        elif leefgeld.is_positive:
            first += m["m_from_leefgeld"].format(leefgeld=eur(leefgeld))
        else:
            first += m["m_from_bills"]
    advanced = Money(facts["advanced"])
    if not first and advanced.is_positive:
        pay_date = facts["pay_date"]
        missing = [i for i in left["incomes"] if i["status"] in ("missing", "late") and i["date"] <= pay_date]
        came = [i for i in left["incomes"] if i["received_on"] and i["date"] <= pay_date < i["received_on"]]
        if missing:
            first = m["m_missing"].format(income=income_words([i["category"] for i in missing], say.lang),
                                          day=say.day(pay_date, weekday=False))
        elif came:  # in since, the coming night uses it (the forecast's supplement says how)
            first = m["m_came_after"].format(income=income_words([i["category"] for i in came], say.lang),
                                             pay=say.day(pay_date, weekday=False),
                                             day=say.day(max(i["received_on"] for i in came), weekday=False))
        else:
            first = m["m_short"].format(day=say.day(pay_date, weekday=False))
        leefgeld_too = Money(facts["leefgeld"]).is_positive
        first += m["m_advanced" if leefgeld_too else "m_advanced_bills"].format(amount=eur(advanced))
    second = ""
    owed = Money(facts["buffer_owed"])
    if owed.is_positive:
        second = m["m_owed"].format(amount=eur(owed))
    second += m["m_next"].format(day=say.day(facts["next_pay_date"], weekday=False),
                                 amount=eur(facts["next_leefgeld"]))
    return [line.strip() for line in (first, second) if line.strip()]


HERO_LABELS = {"to-come": "hero_to_come", "paid": "hero_paid", "upcoming": "hero_upcoming", "none": "hero_none"}


def hero(say: Say, household: Household, left: dict[str, Any]) -> Hero:
    """The big number at the top, what it means and when the next leefgeld comes."""
    m, day = say.m, say.day
    parts, forecast = left["leefgeld"]["parts"], left["forecast"]
    kind, amount = headline(left, cycle_ran(household, left))
    shown = Hero(kind, m[HERO_LABELS[kind]], amount, say.eur(amount))
    if kind == "to-come":
        coming = [p for p in parts if p["date"] > say.as_of.isoformat()]  # what `scheduled` adds up
        first = min(coming, key=lambda p: p["date"])
        received = Money(left["leefgeld"].get("received", left["leefgeld"]["paid"]))
        if received.is_positive:
            shown.about.append(m["already"].format(amount=say.eur(received)))
        sent = total(Money(p["amount"]) for p in parts if p.get("progress") == "sent")
        if sent.is_positive:
            shown.about.append(m["on_its_way"].format(amount=say.eur(sent)))
        shown.next_line = m["next"].format(day=day(first["date"]))
        shown.next_detail = m["next_amount"].format(amount=say.eur(first["amount"]))
    elif kind == "upcoming":  # the earlier of: the next unpaid pay date, the end of the cycle shown
        shown.next_line = m["next"].format(day=day(min(forecast["next_pay_date"], left["cycle"]["next_pay_date"])))
        shown.next_detail = m["upcoming_detail"]
    else:
        done = [p for p in parts if p["status"] in ("paid", "confirmed")]
        confirmed = [p["confirmed_on"] for p in done if p.get("progress") == "paid" and p.get("confirmed_on")]
        waiting = [p for p in done if p.get("progress") == "sent"]
        if kind == "paid" and waiting:  # in a file, its execution date come; the bank has not confirmed it
            shown.about.append(m["sent_on"].format(day=day(max(p["date"] for p in waiting))))
        elif kind == "paid" and confirmed:
            shown.about.append(m["paid_on"].format(day=day(max(confirmed))))
        if kind == "none":
            shown.about.append(m["none_left"])
        shown.next_line = m["next"].format(day=day(left["cycle"]["next_pay_date"]))
        expected_next = Money(forecast["expected_leefgeld"])
        if expected_next.is_positive:
            shown.next_detail = m["next_expected"].format(amount=say.eur(expected_next))
    # An income that came late and was used after all (projections/wording.py says it),
    # unless the month's story at the top says it already (`month_story`).
    if not left.get("month", {}).get("bad"):
        shown.about.extend(done["text"][say.lang] for done in left.get("supplements", []))
    if forecast.get("supplement"):
        shown.about.append(forecast["supplement"]["text"][say.lang])
    return shown


# A part's progress: (message key, tone); a part without one (an older API answer) is planned.
PART_PROGRESS = {"paid": ("part_paid", "done"), "sent": ("part_sent", "coming"),
                 "returned": ("part_returned", "attention")}


def part_rows(say: Say, parts: list[dict[str, Any]]) -> list[Row]:
    """The weekly parts of the leefgeld; none when it comes in one part that did not fail."""
    if not (len(parts) > 1 or any(p.get("progress") == "returned" for p in parts)):
        return []
    rows = []
    for p in parts:
        key, tone = PART_PROGRESS.get(p.get("progress") or "planned", ("part_coming", "coming"))
        text = say.m[key].format(day=say.day(p["confirmed_on"], weekday=False)) if p.get("confirmed_on") else \
            say.m[key].replace(" op {day}", "").replace(" on {day}", "")
        rows.append(Row(say.day(p["date"]), say.eur(p["amount"]), text, tone))
    return rows


# Income not (yet) received, by status: (message key with {day}, tone).
EXPECTED_STATUS = {"late": ("in_late", "attention"), "missing": ("in_missing", "attention")}
RECEIVED = ("received", "deviating")


def income_rows(say: Say, incomes: list[dict[str, Any]]) -> tuple[list[Row], list[Row]]:
    """The incomes that came in, and those still expected."""
    came_in, expected = [], []
    for income in incomes:
        title = say.label(income["agreement"], income["category"])
        if income["status"] in RECEIVED:
            text, tone = received_words(say, income)
            came_in.append(Row(title, say.eur(income["received"]), with_withheld(say, text, income), tone,
                               income["counterparty"]))
        else:
            key, tone = EXPECTED_STATUS.get(income["status"], ("in_expected", "coming"))
            text = say.m[key].format(day=say.day(income["date"], weekday=False))
            expected.append(Row(title, say.eur(income["expected"]), with_withheld(say, text, income), tone,
                                income["counterparty"]))
    return came_in, expected


def with_withheld(say: Say, text: str, income: dict[str, Any]) -> str:
    """An income's status, and what its payer keeps back each time (a garnishment)."""
    withheld = income.get("withheld")
    if not withheld:
        return text
    amount = say.eur(withheld["amount"])
    more = say.m["in_withheld"].format(amount=amount, by=withheld["by"]) if withheld.get("by") else \
        say.m["in_withheld_plain"].format(amount=amount)
    return (text if text.endswith(".") else text + ".") + more


def deduction_rows(say: Say, deductions: list[dict[str, Any]]) -> list[Row]:
    """What someone else took from the household's money: a set-off, a garnishment, bank
    costs; each with its sentence (`what_is_left` words it). Bank costs are no alarm."""
    return [Row(say.m.get(f"dk_{d['kind']}", say.m["dk_overig"]), say.eur(d["amount"]), d["text"][say.lang],
                "done" if d["kind"] == "bankkosten" else "attention", d.get("counterparty") or "")
            for d in deductions]


def received_words(say: Say, income: dict[str, Any]) -> tuple[str, str]:
    """When an income came in, and whether it was more or less than expected; its tone."""
    on = say.day(income["received_on"], weekday=False)
    if income["status"] != "deviating":
        return say.m["in_received"].format(day=on), "done"
    more = Money(income["received"]) > Money(income["expected"])
    text = say.m["in_more" if more else "in_less"].format(day=on, expected=say.eur(income["expected"]))
    return text, "done" if more else "attention"


def charge_row(say: Say, charge: dict[str, Any]) -> Row:
    """A fixed bill we pay for the household, and where its payment stands by the bank data:
    planned, sent to the bank, paid (confirmed by a statement) or returned."""
    m, status, progress = say.m, charge["status"], charge.get("progress")
    if status == "in-arrears":
        text, tone = m["ch_arrears"], "attention"
    elif status == "self-paid":  # a phase-out: the participant pays it (issue 23)
        text, tone = m["ch_self"].format(day=say.day(charge["due"], weekday=False)), "coming"
    elif progress == "returned" or status == "returned":
        text, tone = m["ch_returned"], "attention"
    elif progress == "paid" or (progress is None and status in ("paid", "confirmed")):
        on = charge.get("confirmed_on")
        text, tone = (m["ch_paid"].format(day=say.day(on, weekday=False)) if on else m["ch_paid_plain"]), "done"
    elif progress == "sent":
        text, tone = m["ch_sent"].format(day=say.day(charge["paid_on"], weekday=False)), "coming"
    elif charge["paid_on"]:
        text, tone = m["ch_will"].format(day=say.day(charge["paid_on"], weekday=False)), "coming"
    elif charge["due"] >= say.as_of.isoformat():
        text, tone = m["ch_before"].format(day=say.day(charge["due"], weekday=False)), "coming"
    else:
        text, tone = m["ch_pending"], "coming"
    return Row(say.label(charge["agreement"], charge["category"]), say.eur(charge["amount"]), text, tone,
               charge["counterparty"])


def saving_rows(say: Say, household: Household, reserves: dict[str, Any]) -> list[Row]:
    """What is put aside for bills that do not come every month."""
    categories = {a.id: a.category for a in household.agreements.values()}
    return [Row(say.label(agreement, categories.get(agreement, agreement)), say.eur(amount),
                say.m["saved"].format(amount=say.eur(amount)))
            for agreement, amount in reserves.items() if Money(amount).is_positive]
