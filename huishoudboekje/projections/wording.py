"""What a supplement did, and what someone else took from the household's money, in the
words a participant reads (plain Dutch, and English).

A view model, like `left.py`: the page, `hhb left` and the forecast take these sentences
as they are. B1 Dutch: short sentences, no jargon; "leefgeld" as the household knows it.
"""

from __future__ import annotations

from datetime import date

from ..domain.money import Money

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}

# What a participant calls the income that came late, by its agreement's category.
_INCOME = {
    "nl": {"bijstand": "uitkering", "uitkering": "uitkering", "ww": "uitkering", "wia": "uitkering",
           "wajong": "uitkering", "aow": "uitkering", "loon": "loon", "salaris": "salaris",
           "toeslag": "toeslag", "zorgtoeslag": "zorgtoeslag", "huurtoeslag": "huurtoeslag",
           "kindgebonden-budget": "kindgebonden budget", "kinderbijslag": "kinderbijslag",
           "alimentatie": "alimentatie"},
    "en": {"bijstand": "benefit", "uitkering": "benefit", "ww": "benefit", "wia": "benefit",
           "wajong": "benefit", "aow": "pension", "loon": "wages", "salaris": "salary",
           "toeslag": "allowance", "zorgtoeslag": "healthcare allowance", "huurtoeslag": "housing allowance",
           "kindgebonden-budget": "child budget", "kinderbijslag": "child benefit", "alimentatie": "alimony"},
}
_OTHER = {"nl": "inkomen", "en": "income"}

_TEXT = {
    "nl": {
        "late": "Uw {income} kwam later binnen; ",
        "done": "wij hebben het leefgeld aangevuld op {day}.",
        "done_weeks": "wij hebben het leefgeld aangevuld op {day}. De rest komt bij uw volgende weken.",
        "done_debts": "wij hebben daarmee op {day} betaald wat nog open stond.",
        "coming": "wij vullen het leefgeld aan op {day}.",
        "coming_debts": "wij betalen daarmee op {day} wat nog open staat.",
        "repaid": " Ook hebben wij terugbetaald wat u de gemeente nog schuldig was.",
        "arrears": " Ook hebben wij een achterstand betaald.",
    },
    "en": {
        "late": "Your {income} came in late; ",
        "done": "we topped up your leefgeld on {day}.",
        "done_weeks": "we topped up your leefgeld on {day}. The rest comes with your next weeks.",
        "done_debts": "with it, we paid what was still open on {day}.",
        "coming": "we will top up your leefgeld on {day}.",
        "coming_debts": "with it, we will pay what is still open on {day}.",
        "repaid": " We also paid back what you still owed the municipality.",
        "arrears": " We also paid an overdue bill.",
    },
}


def day_words(day: date | str, lang: str) -> str:
    """'2 januari' / '2 January'."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day} {MONTHS[lang][day.month - 1]}"


def income_words(categories: list[str], lang: str) -> str:
    names = {_INCOME[lang].get(category, _OTHER[lang]) for category in categories}
    return names.pop() if len(names) == 1 else _OTHER[lang]


def supplement_text(categories: list[str], leefgeld: bool, day: date | str, lang: str, *, repaid: bool = False,
                    arrears: bool = False, done: bool = True, weeks: bool = False) -> str:
    """A sentence or three on a supplement that was paid (`done`) or comes the next night."""
    words = _TEXT[lang]
    text = words["late"].format(income=income_words(categories, lang))
    if not leefgeld:
        return text + words["done_debts" if done else "coming_debts"].format(day=day_words(day, lang))
    key = ("done_weeks" if weeks else "done") if done else "coming"
    text += words[key].format(day=day_words(day, lang))
    if done and arrears:
        text += words["arrears"]
    if done and repaid:
        text += words["repaid"]
    return text


def texts(categories: list[str], leefgeld: bool, day: date | str, **how: bool) -> dict[str, str]:
    """`supplement_text` in every language the product offers."""
    return {lang: supplement_text(categories, leefgeld, day, lang, **how) for lang in ("nl", "en")}


# -- what someone else took from the household's money (domain/deductions.py) -----------------

_DEDUCTION = {
    "nl": {
        "verrekening": "{who} heeft {amount} verrekend met uw {income}.",
        "verrekening_plain": "{who} heeft {amount} verrekend.",
        "beslag": "Er is beslag gelegd op uw {income}. {who} kreeg daardoor {amount}.",
        "beslag_plain": "Er is beslag gelegd op uw geld. {who} kreeg daardoor {amount}.",
        "bankkosten": "De bank heeft {amount} kosten afgeschreven.",
        "overig": "{who} heeft {amount} van uw geld afgeschreven.",
        "coming": " Dit bedrag gaat af van het geld voor uw betaaldag van {day}.",
        "taken": " Dit bedrag ging af van het geld voor uw betaaldag van {day}.",
        "advanced": " De gemeente betaalde daarvan {amount} voor. Dat betaalt u later vanzelf terug.",
        "tax_office": "De Belastingdienst",
        "someone": "Een schuldeiser",
    },
    "en": {
        "verrekening": "{who} set off {amount} against your {income}.",
        "verrekening_plain": "{who} set off {amount}.",
        "beslag": "A garnishment was made on your {income}. {who} received {amount} because of it.",
        "beslag_plain": "A garnishment was made on your money. {who} received {amount} because of it.",
        "bankkosten": "The bank charged {amount} in costs.",
        "overig": "{who} took {amount} from your money.",
        "coming": " This amount comes off the money for your pay date of {day}.",
        "taken": " This amount came off the money for your pay date of {day}.",
        "advanced": " The municipality paid {amount} of it in advance. You pay that back later, automatically.",
        "tax_office": "The tax office",
        "someone": "A creditor",
    },
}


def euros(amount: Money | str, lang: str) -> str:
    """€ 48,00 in Dutch, €48.00 in English (as the participant's page writes amounts)."""
    value = Money(amount) if not isinstance(amount, Money) else amount
    whole, cents = f"{abs(value.amount):.2f}".split(".")
    grouped = f"{int(whole):,}"
    sign = "-" if value.amount < 0 else ""
    if lang == "en":
        return f"{sign}€{grouped}.{cents}"
    return f"{sign}€\u00a0{grouped.replace(',', '.')},{cents}"


def who_words(name: str | None, lang: str) -> str:
    """Who took the money, as a person names them: the tax office by that name."""
    words = _DEDUCTION[lang]
    if not name or not name.strip():
        return words["someone"]
    if name.strip().lower().startswith("belastingdienst"):
        return words["tax_office"]
    return name.strip()


def agreement_words(agreement_id: str | None, category: str | None, lang: str) -> str:
    """An income by its agreement where the household knows it so (zorgtoeslag), else by category."""
    names = _INCOME[lang]
    key = (agreement_id or "").lower()
    return names[key] if key in names else income_words([category or ""], lang)


def deduction_text(kind: str, who: str | None, amount: Money, lang: str, *, agreement_id: str | None = None,
                   category: str | None = None, coming: date | str | None = None, taken: date | str | None = None,
                   advanced: Money | None = None) -> str:
    """A sentence on a deduction ("De Belastingdienst heeft € 48,00 verrekend met uw
    zorgtoeslag."), and what it does to the pay date: `coming` (still to come off it),
    `taken` (came off it), `advanced` (what of it the municipality paid in advance)."""
    words = _DEDUCTION[lang]
    key = kind if kind in words else "overig"
    if kind in ("verrekening", "beslag") and agreement_id is None:
        key = f"{kind}_plain"
    text = words[key].format(who=who_words(who, lang), amount=euros(amount, lang),
                             income=agreement_words(agreement_id, category, lang))
    if coming is not None:
        text += words["coming"].format(day=day_words(coming, lang))
    elif taken is not None:
        text += words["taken"].format(day=day_words(taken, lang))
    if advanced is not None and advanced.is_positive:
        text += words["advanced"].format(amount=euros(advanced, lang))
    return text


def deduction_texts(kind: str, who: str | None, amount: Money, **how: object) -> dict[str, str]:
    """`deduction_text` in every language the product offers."""
    return {lang: deduction_text(kind, who, amount, lang, **how) for lang in ("nl", "en")}  # type: ignore[arg-type]
