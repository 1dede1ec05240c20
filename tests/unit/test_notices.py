"""Which notices are due (a pure function of the household's facts) and what they say."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from huishoudboekje.domain.notices import (KINDS, LANGUAGES, LEEFGELD, LINK, PROBLEM, HouseholdNotices, LinkFact,
                                           NoticeError, due, text)
from tests.unit.build import charge
from tests.unit.test_household_money import START, monthly_household, months_of, with_income

AMOUNT = re.compile(r"\d+[.,]\d\d")
IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def chosen(on: date, channel: str = "email", address: str = "p@example.nl") -> HouseholdNotices:
    notices = HouseholdNotices("HHB-PAYDAY")
    notices.choose(channel, address, "nl", on, "staff:j.devries")
    return notices


def paid_household():
    household = with_income(monthly_household(1, due_days=()))
    household.add_agreement(charge("huur", "700.00"), "t")
    months_of(household, START, date(2027, 1, 2))  # pay dates of 1 December and 31 December
    return household


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_holds_no_amount_name_or_iban(kind, language):
    link = "https://hhb.example.nl/p/hhbp_" + "x" * 43
    message = text(kind, language, link)
    assert not AMOUNT.search(message) and not IBAN.search(message)
    assert not re.search(r"(?i)deelnemer|sanne|vries|€|eur\b", message)
    assert ("nieuw" in message) if language == "nl" else ("new" in message)


def test_nothing_is_due_without_consent_or_after_it_was_withdrawn():
    household = paid_household()
    assert due(household, HouseholdNotices("HHB-PAYDAY"), [], date(2027, 1, 2), 14) == []
    notices = chosen(START)
    assert due(household, notices, [], date(2027, 1, 2), 14)
    notices.choose("none", None, "nl", date(2026, 12, 2), "staff:j.devries")
    assert due(household, notices, [], date(2027, 1, 2), 14) == []


def test_only_what_happens_after_the_choice_is_announced_each_once():
    household = paid_household()
    notices = chosen(date(2026, 12, 15))  # after the leefgeld of 1 December was sent
    [notice] = due(household, notices, [], date(2027, 1, 2), 14)
    [leefgeld] = [i for i in household.instructions.values()
                  if i.kind == "leefgeld" and i.pay_date == date(2026, 12, 31)]
    assert (notice.kind, notice.id) == (LEEFGELD, f"HHB-PAYDAY/leefgeld/{leefgeld.id}")
    notices.record_sent(notice.id, notice.kind, "email", date(2027, 1, 2))
    assert due(household, notices, [], date(2027, 1, 2), 14) == []
    # choosing again (another address) starts nothing over
    notices.choose("sms", "+31612345678", "nl", date(2027, 1, 2), "staff:j.devries")
    assert due(household, notices, [], date(2027, 1, 2), 14) == []


def test_a_returned_payment_is_a_problem_notice_and_a_second_return_another():
    household = paid_household()
    notices = chosen(date(2026, 12, 2))
    [rent] = [i for i in household.instructions.values() if i.agreement_id == "huur" and i.kind == "charge"
              and i.pay_date == date(2026, 12, 1)]
    household.return_payment(rent.id, "R1", date(2026, 12, 3))
    household.update_signals(date(2026, 12, 3), 3)
    problems = [n for n in due(household, notices, [], date(2026, 12, 3), 14) if n.kind == PROBLEM]
    assert [n.fact for n in problems] == ["payment-returned:huur:2026-12-01"]


def test_a_link_expiring_soon_is_renewed_once_and_not_while_a_longer_one_exists():
    household = paid_household()
    notices = chosen(date(2026, 12, 2))
    notices.record_sent("x", LEEFGELD, "email", date(2026, 12, 2))
    today = date(2027, 1, 2)
    moment = datetime(2027, 1, 2, tzinfo=timezone.utc)
    soon = LinkFact("aaaaaaaaaaaa", moment + timedelta(days=10))
    later = LinkFact("bbbbbbbbbbbb", moment + timedelta(days=90))
    links = [n for n in due(household, notices, [soon], today, 14) if n.kind == LINK]
    assert [n.id for n in links] == ["HHB-PAYDAY/link-expiring/aaaaaaaaaaaa"]
    assert not [n for n in due(household, notices, [soon, later], today, 14) if n.kind == LINK]
    assert not [n for n in due(household, notices, [LinkFact("c" * 12, moment - timedelta(days=1))], today, 14)
                if n.kind == LINK]  # an expired link is not renewed: staff issue one in person
    assert not [n for n in due(household, notices, [LinkFact("d" * 12, moment + timedelta(days=5), revoked=True)],
                               today, 14) if n.kind == LINK]


@pytest.mark.parametrize("channel, address", [("email", "no-at-sign"), ("sms", "12"), ("none", "p@example.nl"),
                                              ("fax", "0301234567")])
def test_a_choice_that_cannot_be_sent_is_refused(channel, address):
    notices = HouseholdNotices("HHB-PAYDAY")
    with pytest.raises(NoticeError):
        notices.choose(channel, address, "nl", START, "staff")
    assert notices.channel == "none" and len(notices.pending_events) == 1  # only its start
