"""Notices to participants: the participant's choice, and which notices are due.

A participant may choose to be told, by e-mail or text message, that there is news on
their page: leefgeld was sent, a problem arose (an income is late, a payment came back),
or their personal link is about to expire (the notice then carries a fresh one). The
choice is theirs, recorded by staff as consent (`NoticesChosen`); without it nothing is
ever sent.

The choice and what was sent live in an aggregate of their own per household, not in
the `Household`: the nightly job saves households with optimistic concurrency, and a
notice recorded on the household would compete with it (and grow its snapshots).

Which notices are due is a pure function of the household's facts (`due`); each has a
deterministic id made of the household, the kind and the fact's own id, and the
aggregate records every id it sent (`NoticeSent`) or could not send (`NoticeNotSent`),
so a second run never sends it again.

The message itself holds nothing personal: no amount, no name, no IBAN — only that
there is news and where to look (`text`). A mail or text message can be read by anyone
who sees the phone's lock screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import DomainError
from .household import NAMESPACE
from .signals import INCOME_LATE, PAYMENT_RETURNED

if TYPE_CHECKING:  # pragma: no cover
    from .household import Household

EMAIL, SMS, OFF = "email", "sms", "none"
CHANNELS = (EMAIL, SMS, OFF)
LANGUAGES = ("nl", "en")
LEEFGELD, PROBLEM, LINK = "leefgeld", "problem", "link-expiring"
KINDS = (LEEFGELD, PROBLEM, LINK)
NEW_LINK = "link-new"  # not a notice that falls due: staff send it with a link they just made
PROBLEM_RULES = (INCOME_LATE, PAYMENT_RETURNED)  # the signals a participant is told of

NOTICES_LOG_ID = uuid5(NAMESPACE, "/notices")  # the households that ever chose notices

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9]{8,15}")


class NoticeError(DomainError):
    """A choice of notices that cannot be recorded."""


def notices_id(dossier: str) -> UUID:
    return uuid5(NAMESPACE, f"notices/{dossier}")


def clean_address(channel: str, address: str | None) -> str | None:
    """The address as recorded; NoticeError, naming the option, for one that is not."""
    if channel not in CHANNELS:
        raise NoticeError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    if channel == OFF:
        if address:
            raise NoticeError("address: no notices are sent, so give no address")
        return None
    text = (address or "").strip()
    if channel == EMAIL and not _EMAIL.fullmatch(text):
        raise NoticeError(f"address: {text!r} is not an e-mail address such as naam@voorbeeld.nl", field="address")
    if channel == SMS:
        text = re.sub(r"[\s\-().]", "", text)
        if not _PHONE.fullmatch(text):
            raise NoticeError(f"address: {address!r} is not a mobile number such as +31612345678", field="address")
    return text


class HouseholdNotices(Aggregate):
    """A household's choice of notices, and every notice sent or given up."""

    @staticmethod
    def create_id(dossier: str) -> UUID:
        return notices_id(dossier)

    @event("Started")
    def __init__(self, dossier: str) -> None:
        self.dossier = dossier
        self.channel = OFF
        self.address: str | None = None
        self.language = "nl"
        self.since: date | None = None  # notices are of facts from this day on
        self.outcomes: dict[str, str] = {}  # notice id -> "sent" | why it was not sent

    def choose(self, channel: str, address: str | None, language: str, on: date, actor: str) -> None:
        address = clean_address(channel, address)
        if language not in LANGUAGES:
            raise NoticeError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
        if (channel, address, language) != (self.channel, self.address, self.language):
            self._chosen(channel=channel, address=address, language=language, on=on, actor=actor)

    @event("NoticesChosen")
    def _chosen(self, channel: str, address: str | None, language: str, on: date, actor: str) -> None:
        if channel != OFF and self.channel == OFF:
            self.since = on  # consent starts now: nothing that happened before it is announced
        self.channel, self.address, self.language = channel, address, language

    @property
    def active(self) -> bool:
        return self.channel != OFF

    def record_sent(self, notice_id: str, kind: str, channel: str, on: date, link: str | None = None) -> None:
        if notice_id not in self.outcomes:
            self._sent(notice_id=notice_id, kind=kind, channel=channel, on=on, link=link)

    @event("NoticeSent")
    def _sent(self, notice_id: str, kind: str, channel: str, on: date, link: str | None) -> None:
        self.outcomes[notice_id] = "sent"

    def record_not_sent(self, notice_id: str, kind: str, channel: str, on: date, reason: str) -> None:
        if notice_id not in self.outcomes:
            self._not_sent(notice_id=notice_id, kind=kind, channel=channel, on=on, reason=reason)

    @event("NoticeNotSent")
    def _not_sent(self, notice_id: str, kind: str, channel: str, on: date, reason: str) -> None:
        self.outcomes[notice_id] = reason


@dataclass(frozen=True)
class LinkFact:
    """A participant's personal link as far as notices need it (never its secret)."""

    short_id: str
    expires: datetime | None
    revoked: bool = False


@dataclass(frozen=True)
class Notice:
    id: str
    kind: str
    fact: str  # the fact's own id: an instruction, a signal's key, a link's short id


def due(household: Household, notices: HouseholdNotices, links: list[LinkFact], today: date,
        link_days: int) -> list[Notice]:
    """The notices to send today, oldest fact first: none without consent, none of a
    fact from before the consent, none already sent or given up."""
    if not notices.active or notices.since is None:
        return []
    since = notices.since
    found: list[Notice] = []

    def add(kind: str, fact: str) -> None:
        notice = Notice(f"{household.dossier}/{kind}/{fact}", kind, fact)
        if notice.id not in notices.outcomes and all(n.id != notice.id for n in found):
            found.append(notice)

    for instruction in sorted(household.instructions.values(), key=lambda i: (i.execution_date, i.id)):
        # Leefgeld is sent on its execution date: the day the bank pays it out.
        if instruction.kind == "leefgeld" and since <= instruction.execution_date <= today:
            add(LEEFGELD, instruction.id)
    for signal in sorted(household.signals.values(), key=lambda s: (s.raised_on, s.key)):
        if signal.rule in PROBLEM_RULES and signal.is_open and since <= signal.raised_on <= today:
            add(PROBLEM, signal.key)
    if household.status == "active":
        valid = [link for link in links if not link.revoked and (link.expires is None or link.expires.date() > today)]
        horizon = today + timedelta(days=link_days)
        # Only when every valid link expires soon: one that lasts longer was issued already.
        if valid and all(link.expires is not None and link.expires.date() <= horizon for link in valid):
            newest = max(valid, key=lambda link: (link.expires, link.short_id))
            add(LINK, newest.short_id)
    return found


TEXTS = {
    "nl": {
        LEEFGELD: "Er is nieuws over uw huishoudboekje: uw leefgeld is verstuurd. Bekijk uw pagina met uw "
                  "persoonlijke link.",
        PROBLEM: "Er is nieuws over uw huishoudboekje. Bekijk uw pagina met uw persoonlijke link. Vragen? "
                 "Bel uw wijkteam.",
        LINK: "Uw link naar uw huishoudboekje verloopt bijna. Dit is uw nieuwe link: {link}",
        NEW_LINK: "Dit is uw persoonlijke link naar uw huishoudboekje: {link}\n\nMet deze link ziet u uw "
                  "eigen pagina. Geef de link niet aan anderen. Vragen? Bel uw wijkteam.",
    },
    "en": {
        LEEFGELD: "There is news about your household budget: your leefgeld has been sent. Look at your page "
                  "with your personal link.",
        PROBLEM: "There is news about your household budget. Look at your page with your personal link. "
                 "Questions? Call your neighbourhood team.",
        LINK: "Your link to your household budget page expires soon. This is your new link: {link}",
        NEW_LINK: "This is your personal link to your household budget page: {link}\n\nWith this link you "
                  "see your own page. Do not give the link to others. Questions? Call your neighbourhood team.",
    },
}


def text(kind: str, language: str, link: str | None = None) -> str:
    """The message: only that there is news and where to look, never an amount, a name
    or an account number."""
    template = TEXTS.get(language, TEXTS["nl"])[kind]
    if "{link}" in template:
        if not link:
            raise ValueError("a link notice needs the fresh link")
        return template.format(link=link)
    return template


def describe(notices: HouseholdNotices | None) -> dict[str, Any]:
    """The choice as staff see it."""
    if notices is None:
        return {"channel": OFF, "address": None, "language": "nl", "since": None, "sent": 0}
    return {"channel": notices.channel, "address": notices.address, "language": notices.language,
            "since": notices.since.isoformat() if notices.since else None,
            "sent": sum(1 for outcome in notices.outcomes.values() if outcome == "sent")}
