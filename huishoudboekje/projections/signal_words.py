"""What a signal is about, in the words staff read: plain Dutch by default, English on
request (`hhb signals --lang en`, and `text` of each signal in `GET /signals`).

A view model, like `wording.py`: the rules' codes (`domain/signals.py`) stay the API's and
the code's; a person reads a sentence. A rule without words here (a control's signal)
is shown by its code.
"""

from __future__ import annotations

from typing import Any

from .wording import day_words, euros

LANGUAGES = ("nl", "en")

_TITLES = {
    "nl": {
        "income-late": "Inkomen niet op tijd binnen",
        "income-deviates": "Inkomen wijkt af van de afspraak",
        "shortfall-ahead": "Tekort verwacht op een volgende betaaldag",
        "buffer-drawn": "De buffer heeft voorgeschoten",
        "buffer-not-repaid": "Voorschot van de buffer wordt niet terugbetaald",
        "arrears": "Achterstand: een vaste last is niet (helemaal) betaald",
        "payment-returned": "Een betaling kwam terug",
        "paid-amount-differs": "De bank betaalde een ander bedrag",
        "structural-deficit": "Structureel tekort: de inkomsten dekken de vaste lasten niet",
        "external": "Melding van een schuldeiser",
        "echo-refused": "Een bankregel met ons kenmerk past niet bij de betaling",
        "booking-corrected": "Een boeking is teruggedraaid nadat het geld al betaald was",
        "payments-held": "Betalingen van dit huishouden zijn tegengehouden",
        "leefgeld-held": "Leefgeld boven het plafond wacht op goedkeuring",
        "leefgeld-below-minimum": "Minder leefgeld betaald dan het minimum",
        "deduction-booked": "Iemand anders heeft geld van de rekening gehaald",
        "term-missed": "Termijn van een betalingsregeling niet betaald",
        # rules of issue 23 made on other branches, worded here so a merge finds them
        "moratorium-ending": "Moratorium loopt binnen 30 dagen af: daarna worden de regelingen weer betaald",
        "eviction-planned": "Een schuldeiser meldt een geplande ontruiming",
        "eviction-unmatched": "Geplande ontruiming gemeld, maar bij geen huishouden gevonden",
    },
    "en": {
        "income-late": "Income did not arrive on time",
        "income-deviates": "Income differs from the agreement",
        "shortfall-ahead": "Shortfall expected on a coming pay date",
        "buffer-drawn": "The buffer advanced money",
        "buffer-not-repaid": "An advance from the buffer is not being repaid",
        "arrears": "Arrears: a fixed charge was not (fully) paid",
        "payment-returned": "A payment came back",
        "paid-amount-differs": "The bank paid a different amount",
        "structural-deficit": "Structural deficit: the incomes do not cover the fixed charges",
        "external": "A creditor's report",
        "echo-refused": "A bank line with our reference does not fit the payment",
        "booking-corrected": "A booking was taken back after the money was paid out",
        "payments-held": "This household's payments were held",
        "leefgeld-held": "Leefgeld above the ceiling waits for approval",
        "leefgeld-below-minimum": "Less leefgeld paid than the minimum",
        "deduction-booked": "Someone else took money from the account",
        "term-missed": "A payment arrangement's term was not paid",
        "moratorium-ending": "A moratorium ends within 30 days: the arrangements are paid again after it",
        "eviction-planned": "A creditor reports a planned eviction",
        "eviction-unmatched": "A planned eviction was reported, but no household was found for it",
    },
}

_TERM_MISSED = {
    "nl": ("De termijn van {amount} aan {creditor} (regeling {arrangement}) van de betaaldag {day} is niet "
           "betaald: na de vaste lasten en het minimale leefgeld was er te weinig geld. De hele termijn is "
           "overgeslagen, de buffer betaalt geen termijnen. Een schuldeiser kan de regeling stoppen na gemiste "
           "termijnen: neem contact op."),
    "en": ("The term of {amount} to {creditor} (arrangement {arrangement}) of the pay date {day} was not paid: "
           "after the fixed charges and the minimum leefgeld there was too little money. The whole term was "
           "skipped; the buffer pays no terms. A creditor may end the arrangement after missed terms: get in "
           "touch."),
}


def signal_text(signal: dict[str, Any], lang: str = "nl") -> str:
    """A sentence or two on `signal` (a row of `GET /signals`: rule, amount, period, details)."""
    lang = lang if lang in LANGUAGES else "nl"
    rule, details = signal["rule"], signal.get("details") or {}
    title = _TITLES[lang].get(rule, rule)
    if rule == "term-missed" and "arrangement" in details:
        return _TERM_MISSED[lang].format(amount=euros(signal["amount"], lang), creditor=details.get("creditor", "?"),
                                         arrangement=details["arrangement"], day=_day(signal["period"], lang))
    return title


def texts(signal: dict[str, Any]) -> dict[str, str]:
    """`signal_text` in every language the product offers."""
    return {lang: signal_text(signal, lang) for lang in LANGUAGES}


def _day(period: str, lang: str) -> str:
    try:
        return f"{day_words(period, lang)} {period[:4]}"
    except ValueError:
        return period
