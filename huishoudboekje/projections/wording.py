"""What a supplement did, in the words a participant reads (plain Dutch, and English).

A view model, like `left.py`: the page, `hhb left` and the forecast take these sentences
as they are. B1 Dutch: short sentences, no jargon; "leefgeld" as the household knows it.
"""

from __future__ import annotations

from datetime import date

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
