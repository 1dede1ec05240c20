"""Recording participants' choice of notices, and sending the notices that are due.

Sending is *send, then record*; a notice is never recorded as about to be sent first.
Each notice goes out under its deterministic id (`Idempotency-Key` of the HTTP gateway,
the `Message-ID` of the mail), so a gateway that drops an id it has seen makes a rerun
after a crash between sending and recording harmless; recording first would instead
lose the notice for good in that same crash (it would count as sent). The window is the
few milliseconds of one save: a run that completes records every notice it sent, and a
second run sends none of them again.

A link notice issues the fresh link just before sending. A crash before the notice is
recorded leaves that link valid, and the rerun issues another (which the gateway may
drop as a repeat of the id): the participant can use whichever reached them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Protocol

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent
from uuid import UUID

from . import access
from .domain.access import PARTICIPANT
from .domain.notices import (LINK, NOTICES_LOG_ID, HouseholdNotices, LinkFact, NoticeError, describe, due,
                             notices_id, text)
from .engine import Engine

log = logging.getLogger("huishoudboekje.notices")

LINK_VALID_DAYS = 90  # a fresh link lasts as long as one staff issue by default


class NoticesLogged(DomainEvent):
    notices_id: UUID
    dossier: str


class Sender(Protocol):
    """An e-mail or text-message gateway (adapters/notices.py). Raises on failure."""

    def send(self, to: str, message: str, notice_id: str) -> None: ...


@dataclass
class SendSummary:
    sent: list[str] = field(default_factory=list)
    not_sent: dict[str, str] = field(default_factory=dict)  # notice id -> why
    failed: dict[str, str] = field(default_factory=dict)  # notice id -> error; tried again next run

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "not_sent": [{"id": k, "reason": v} for k, v in sorted(self.not_sent.items())],
                "failed": [{"id": k, "error": v} for k, v in sorted(self.failed.items())]}


def _log(engine: Engine) -> EventSourcedLog[NoticesLogged]:
    return EventSourcedLog(engine.events, NOTICES_LOG_ID, NoticesLogged)


def choose(engine: Engine, dossier: str, channel: str, address: str | None, language: str, on: date,
           actor: str) -> dict[str, Any]:
    """Record the participant's choice (consent): e-mail, text message, or none."""
    engine.household(dossier).refuse_if_erased()  # NotFound for an unknown dossier

    def attempt() -> dict[str, Any]:
        notices = engine.get_or_none(notices_id(dossier))
        logged = None
        if notices is None:
            notices = HouseholdNotices(dossier)
            logged = _log(engine).trigger_event(notices_id=notices.id, dossier=dossier)
        notices.choose(channel, address, language, on, actor)
        engine.save(notices, logged)
        return {"dossier": dossier, **describe(notices)}

    return engine.retrying(attempt)


def show(engine: Engine, dossier: str) -> dict[str, Any]:
    engine.household(dossier)
    return {"dossier": dossier, **describe(engine.get_or_none(notices_id(dossier)))}


def send(engine: Engine, senders: Mapping[str, Sender | None], today: date, *, public_url: str,
         link_days: int = 14, now: datetime | None = None, max_days: int = 365) -> SendSummary:
    """Send every notice due today to the participants who chose them.

    `senders`: the gateway per channel, None where none is configured: such notices are
    recorded as not sent, with a log line, and never tried again. A gateway that fails
    is tried again on the next run (nothing is recorded)."""
    now = now or datetime.now(timezone.utc)
    summary = SendSummary()
    links: dict[str, list[LinkFact]] = defaultdict(list)
    chosen = [logged.dossier for logged in _log(engine).get()]
    if chosen:
        for credential in access.credentials(engine):
            if credential.role == PARTICIPANT and credential.dossier:
                links[credential.dossier].append(
                    LinkFact(credential.short_id, credential.expires, credential.revoked is not None))
    for dossier in chosen:
        notices: HouseholdNotices = engine.repository.get(notices_id(dossier))
        if not notices.active:
            continue
        household = engine.household(dossier)
        if household.erased_on is not None:
            continue  # its address is erased with the rest: nobody to write to
        for notice in due(household, notices, links[dossier], today, link_days):
            sender = senders.get(notices.channel)
            if sender is None:
                reason = f"no gateway for {notices.channel} is configured"
                log.warning("notice %s not sent: %s (HHB_SMTP_URL / HHB_SMS_GATEWAY_URL)", notice.id, reason)
                notices.record_not_sent(notice.id, notice.kind, notices.channel, today, reason)
                engine.save(notices)
                summary.not_sent[notice.id] = reason
                continue
            short_id = None
            url = None
            if notice.kind == LINK:
                secret, credential = access.issue(engine, PARTICIPANT, f"link for {dossier}", "notices",
                                                  dossier=dossier, valid_days=min(LINK_VALID_DAYS, max_days),
                                                  max_days=max_days, now=now)
                short_id, url = credential.short_id, f"{public_url.rstrip('/')}/p/{secret}"
            try:
                sender.send(notices.address or "", text(notice.kind, notices.language, url), notice.id)
            except Exception as exc:  # noqa: BLE001 - one gateway failure stops no other notice
                log.warning("notice %s could not be sent, tried again next run: %s", notice.id, exc)
                if short_id:  # else the next run would see a fresh link and announce none
                    access.revoke(engine, short_id, "notices", now)
                summary.failed[notice.id] = f"{type(exc).__name__}: {exc}"
                continue
            notices.record_sent(notice.id, notice.kind, notices.channel, today, link=short_id)
            engine.save(notices)
            summary.sent.append(notice.id)
    return summary


__all__ = ["NoticeError", "Sender", "SendSummary", "choose", "show", "send"]
