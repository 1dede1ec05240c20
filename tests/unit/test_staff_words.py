"""Every kind of household event, and every signal, has words in Dutch and in English in
the staff web app: a new kind without them fails here."""

from __future__ import annotations

from eventsourcing.domain import DomainEvent

from adapters.web.staff.history import SENTENCES
from adapters.web.staff.words import RULE_NAMES, RULE_NAMES_EN
from adapters.web.staff.words import SENTENCES as SIGNAL_SENTENCES
from adapters.web.staff.words import signal_sentence
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.signals import RULES


def event_kinds() -> set[str]:
    """The household's own event classes; `Event` and `Created` are the library's bases
    (the household is created by `Onboarded`) and `Snapshot` is no event of the history."""
    found = set()
    for name in dir(Household):
        kind = getattr(Household, name, None)
        if isinstance(kind, type) and issubclass(kind, Household.Event) and kind.__qualname__.startswith("Household."):
            found.add(kind.__qualname__.split(".", 1)[1])
    return found - {"Event", "Created"}


def test_every_household_event_kind_has_a_dutch_and_an_english_sentence():
    kinds = event_kinds()
    assert {"Onboarded", "PayDateRun", "SignalRaised", "IncomesBooked"} <= kinds  # the walk finds them
    assert issubclass(Household.PayDateRun, DomainEvent)
    for lang in ("nl", "en"):
        words = SENTENCES[lang]
        missing = {k for k in kinds if k not in words and not {f"{k}.income", f"{k}.charge"} <= set(words)}
        assert not missing, (lang, sorted(missing))
    assert set(SENTENCES["nl"]) == set(SENTENCES["en"])  # nothing in one language only
    assert all(SENTENCES["nl"][k] != SENTENCES["en"][k] for k in SENTENCES["nl"])


def test_every_signal_has_a_name_and_a_sentence_in_both_languages():
    assert set(RULES) <= set(RULE_NAMES) and set(RULES) <= set(SIGNAL_SENTENCES["nl"])
    assert set(RULE_NAMES) == set(RULE_NAMES_EN)
    assert set(SIGNAL_SENTENCES["nl"]) == set(SIGNAL_SENTENCES["en"])
    signal = {"rule": "buffer-drawn", "amount": "1034.50", "period": "2026-12-01", "details": {}}
    assert signal_sentence(signal) == "Op de betaaldag van 1 december 2026 schoot de buffer €\u00a01.034,50 voor."
    assert signal_sentence(signal, "en") == "On the pay date of 1 December 2026 the buffer advanced €1,034.50."
