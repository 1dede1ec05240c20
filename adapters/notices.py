"""The gateways notices go out through: e-mail over SMTP, text messages over one generic
HTTP gateway. Both carry the notice's deterministic id, so that a gateway can drop a
repeat (see huishoudboekje/notices.py for why a repeat can happen at all)."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from huishoudboekje.config import Settings
from huishoudboekje.domain.notices import EMAIL, SMS
from huishoudboekje.notices import Sender

TIMEOUT = 10  # seconds; a gateway that hangs must not hold up the night


def _message_id(notice_id: str) -> str:
    return "<" + notice_id.replace("/", ".").replace(":", "-").replace(" ", "_") + "@huishoudboekje>"


class SmtpSender:
    """`smtp://[user:password@]host[:port]` (STARTTLS when the server offers it) or
    `smtps://…` (TLS from the start)."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender

    def send(self, to: str, message: str, notice_id: str) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = "Nieuws over uw huishoudboekje"
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = _message_id(notice_id)
        mail["X-Notice-Id"] = notice_id
        mail.set_content(message)
        client = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with client(self.host, self.port, timeout=TIMEOUT) as smtp:
            if not self.tls:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls()
                    smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)


class HttpGatewaySender:
    """POST `{"to", "text", "id"}` as JSON to the gateway's URL, the notice id also as
    `Idempotency-Key`; any answer but 2xx is a failure (tried again next run)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token

    def send(self, to: str, message: str, notice_id: str) -> None:
        body = json.dumps({"to": to, "text": message, "id": notice_id}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": notice_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - a configured URL
            if not 200 <= response.status < 300:
                raise RuntimeError(f"the gateway answered {response.status}")


def senders(settings: Settings) -> dict[str, Sender | None]:
    """The gateway per channel; None where none is configured."""
    return {
        EMAIL: SmtpSender(settings.smtp_url, settings.smtp_from) if settings.smtp_url else None,
        SMS: HttpGatewaySender(settings.sms_gateway_url, settings.sms_gateway_token)
        if settings.sms_gateway_url else None,
    }
