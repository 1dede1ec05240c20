"""What staff read of a signal: plain Dutch by default, English on request."""

from __future__ import annotations

from huishoudboekje.domain.signals import RULES
from huishoudboekje.projections.signal_words import signal_text, texts


def test_every_rule_of_a_household_has_words_in_dutch_and_english():
    for rule in RULES:
        words = texts({"rule": rule, "amount": "10.00", "period": "2027-02-01", "details": {}})
        assert words["nl"] != rule and words["en"] != rule and words["nl"] != words["en"], rule


def test_a_missed_term_says_how_much_to_whom_and_what_it_means():
    signal = {"rule": "term-missed", "amount": "1072.00", "period": "2027-02-01",
              "details": {"creditor": "Vestia", "arrangement": "HHB-2026-0001:R1", "term": "1072.00"}}
    assert signal_text(signal) == (
        "De termijn van €\u00a01.072,00 aan Vestia (regeling HHB-2026-0001:R1) van de betaaldag 1 februari 2027 is "
        "niet betaald: na de vaste lasten en het minimale leefgeld was er te weinig geld. De hele termijn is "
        "overgeslagen, de buffer betaalt geen termijnen. Een schuldeiser kan de regeling stoppen na gemiste "
        "termijnen: neem contact op.")
    assert signal_text(signal, "en").startswith("The term of €1,072.00 to Vestia (arrangement HHB-2026-0001:R1)")
    assert signal_text({"rule": "balance-difference", "amount": "1.00", "period": "-"}) == "balance-difference"
