"""Persoonlijke link: a participant's personal link on their household's staff page.

Staff see whether a link is valid and until when (never its secret: only a hash is
stored), make a new one — shown once, to copy, and sent by e-mail on request through the
SMTP gateway the notices use (`HHB_SMTP_URL`) — and revoke one after a confirm step.
Making and revoking go through the service `hhb tokens link` / `revoke` use
(`huishoudboekje.access`), with the signed-in person as the actor, and are written to the
access log (`LINK_CREATED`, `LINK_REVOKED`). The werkvoorraad lists the team's links that
expire within `HHB_NOTICE_LINK_DAYS`. Staff and teamleads act for their own team's
households (another team's is "niet gevonden"); auditors see the section without forms.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from huishoudboekje import access
from huishoudboekje.domain.access import AccessError, Credential, expiring
from huishoudboekje.domain.errors import NotFound
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.notices import EMAIL, NEW_LINK, NoticeError, clean_address, describe, notices_id, text

from ...access_log import LINK_CREATED, LINK_REVOKED
from ...api.dependencies import READERS, TEAM
from ...notices import SmtpSender
from .core import BASE, Staff, csrf_ok, household_for, lang_of, staff_page
from .words import MESSAGES, long_day

router = APIRouter(include_in_schema=False)
PATH = f"{BASE}/huishoudens/{{dossier}}/link"
DEFAULT_DAYS = 90  # as `hhb tokens link`

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Persoonlijke link", "back": "Terug naar het huishouden",
        "intro": "Met de persoonlijke link ziet de deelnemer de eigen pagina. Een link wordt maar één keer "
                 "getoond, als hij gemaakt wordt; daarna alleen tot wanneer hij geldig is.",
        "none": "Er is geen geldige link.", "valid": "Link {id}: gemaakt op {issued}, geldig tot {expires}.",
        "forever": "nooit verlopen", "make": "Nieuwe link maken", "days": "Geldig (dagen)",
        "email": "E-mailadres van de deelnemer", "email_hint": "Alleen nodig om de link per e-mail te sturen.",
        "smtp_off": "Er is geen mailserver ingesteld (HHB_SMTP_URL): per e-mail sturen kan nu niet.",
        "make_only": "Link maken", "make_send": "Link maken en per e-mail sturen",
        "new": "Nieuwe link (geldig tot {expires})",
        "new_hint": "Kopieer de link en geef hem aan de deelnemer. Hij wordt niet nog eens getoond. "
                    "Eerdere links blijven werken tot u ze intrekt.",
        "open": "Link openen",
        "revoke_one": "Link {id} intrekken", "revoke_title": "Link {id} intrekken?",
        "revoke_text": "Na het intrekken werkt deze link niet meer. De deelnemer heeft dan een nieuwe link nodig.",
        "revoke_yes": "Ja, link intrekken", "revoke_no": "Nee, terug",
        "revoked": "Link {id} is ingetrokken. Hij werkt niet meer.",
        "sent": "De link is per e-mail verstuurd naar {address}.",
        "no_smtp": "E-mail: er is geen mailserver ingesteld (HHB_SMTP_URL), dus er is niets verstuurd. "
                   "De link is wel gemaakt: geef hem zelf door.",
        "smtp_failed": "E-mail: de mailserver nam het bericht niet aan, dus er is niets verstuurd. "
                       "De link is wel gemaakt: geef hem zelf door.",
        "bad_email": "E-mailadres: {value} is geen e-mailadres zoals naam@voorbeeld.nl. Er is niets gewijzigd.",
        "no_email": "E-mailadres: vul het e-mailadres van de deelnemer in om de link te sturen. "
                    "Er is niets gewijzigd.",
        "bad_days": "Geldig (dagen): kies een getal van 1 tot en met {max}. Er is niets gewijzigd.",
        "unknown": "Link: deze link hoort niet (meer) bij dit huishouden. Er is niets gewijzigd.",
        "expiring": "{dossier}: de persoonlijke link verloopt op {day}.", "expiring_kind": "Link verloopt",
    },
    "en": {
        "title": "Personal link", "back": "Back to the household",
        "intro": "With the personal link the participant sees their own page. A link is shown only once, "
                 "when it is made; after that only until when it is valid.",
        "none": "There is no valid link.", "valid": "Link {id}: made on {issued}, valid until {expires}.",
        "forever": "never expires", "make": "Make a new link", "days": "Valid (days)",
        "email": "The participant's e-mail address", "email_hint": "Only needed to send the link by e-mail.",
        "smtp_off": "No mail server is configured (HHB_SMTP_URL): sending by e-mail is not possible now.",
        "make_only": "Make link", "make_send": "Make link and send by e-mail",
        "new": "New link (valid until {expires})",
        "new_hint": "Copy the link and give it to the participant. It is not shown again. "
                    "Earlier links keep working until you revoke them.",
        "open": "Open link",
        "revoke_one": "Revoke link {id}", "revoke_title": "Revoke link {id}?",
        "revoke_text": "After revoking, this link no longer works. The participant then needs a new link.",
        "revoke_yes": "Yes, revoke link", "revoke_no": "No, go back",
        "revoked": "Link {id} was revoked. It no longer works.",
        "sent": "The link was sent by e-mail to {address}.",
        "no_smtp": "E-mail: no mail server is configured (HHB_SMTP_URL), so nothing was sent. "
                   "The link was made: pass it on yourself.",
        "smtp_failed": "E-mail: the mail server did not accept the message, so nothing was sent. "
                       "The link was made: pass it on yourself.",
        "bad_email": "E-mail address: {value} is not an e-mail address such as name@example.nl. Nothing was changed.",
        "no_email": "E-mail address: fill in the participant's e-mail address to send the link. Nothing was changed.",
        "bad_days": "Valid (days): choose a number from 1 to {max}. Nothing was changed.",
        "unknown": "Link: this link does not belong to this household (any more). Nothing was changed.",
        "expiring": "{dossier}: the personal link expires on {day}.", "expiring_kind": "Link expires",
    },
}


def _w(request: Request) -> dict[str, str]:
    return WORDS[lang_of(request)[0]]


def _day(staff: Staff, moment: datetime | None) -> str:
    return long_day(moment.astimezone(ZoneInfo(staff.ctx.settings.timezone)).date()) if moment else ""


def _notices(staff: Staff, dossier: str) -> dict[str, Any]:
    """The participant's choice of notices (`hhb notices set`): its e-mail address and language."""
    return describe(staff.ctx.engine.get_or_none(notices_id(dossier)))


def section(request: Request, staff: Staff, household: Household, **extra: Any) -> dict[str, Any]:
    """What the section shows: the valid links (no secrets), and the forms for who may act."""
    w = _w(request)
    now = datetime.now(timezone.utc)
    links = [c for c in access.links(staff.ctx.engine, {household.dossier}) if c.valid_at(now)]
    rows = [{"id": c.short_id, "text": w["valid"].format(id=c.short_id, issued=_day(staff, c.issued),
                                                         expires=_day(staff, c.expires) or w["forever"])}
            for c in sorted(links, key=lambda c: c.issued)]
    chosen = _notices(staff, household.dossier)
    values = {"days": str(DEFAULT_DAYS), "email": chosen["address"] if chosen["channel"] == EMAIL else ""}
    return {"w": w, "rows": rows, "dossier": household.dossier, "may_change": staff.role in TEAM,
            "max_days": staff.ctx.settings.max_credential_days, "smtp": bool(staff.ctx.settings.smtp_url),
            "v": values, "errors": {}, "new": None, "message": None, "problem": None, **extra}


def expiring_items(request: Request, staff: Staff) -> list[dict[str, Any]]:
    """The werkvoorraad's "links about to expire": the households (of the team) whose every
    valid link expires within HHB_NOTICE_LINK_DAYS."""
    if staff.role not in READERS:
        return []
    w = _w(request)
    services = staff.ctx.services
    team = staff.principal.team if staff.role in TEAM else None
    dossiers = {row["dossier"] for row in services.households(team) if row["status"] == "active"}
    by_dossier: dict[str, list[Credential]] = {}
    for credential in access.links(staff.ctx.engine, dossiers):
        by_dossier.setdefault(credential.dossier or "", []).append(credential)
    now = datetime.now(timezone.utc)
    items = []
    for dossier in sorted(by_dossier):
        soon = expiring(by_dossier[dossier], now, staff.ctx.settings.notice_link_days)
        if soon is not None:
            items.append({"text": w["expiring"].format(dossier=dossier, day=_day(staff, soon.expires)),
                          "severity": "low", "kind": w["expiring_kind"], "day": None,
                          "href": f"{BASE}/huishoudens/{dossier}#persoonlijke-link"})
    return items


def _visit(request: Request, dossier: str) -> tuple[Staff, Household] | Response:
    """The signed-in person and the household, if they may see it."""
    return household_for(request, dossier, READERS)


def _page(request: Request, staff: Staff, household: Household, code: int = 200, confirm: str | None = None,
          **extra: Any) -> Response:
    return staff_page(request, staff, "link.html", code, link=section(request, staff, household, **extra),
                      confirm=confirm)


def _refused(request: Request, staff: Staff, household: Household, csrf: str, **values: str) -> Response | None:
    """The page to answer a form that may change nothing: a stale token or a role that reads only."""
    m = MESSAGES[lang_of(request)[0]]
    kept = {"v": values} if values else {}
    if not csrf_ok(csrf, staff.session.csrf):
        return _page(request, staff, household, 400, problem=m["csrf_failed"], **kept)
    if staff.role not in TEAM:
        return _page(request, staff, household, 403, problem=m["not_allowed"])
    return None


@router.get(PATH)
def bekijken(request: Request, dossier: str) -> Response:
    """The section on a page of its own: where the browser is after making a link, so going
    back to it, or a bookmark, shows the links (never a secret again) and makes nothing."""
    visit = _visit(request, dossier)
    if not isinstance(visit, tuple):
        return visit
    return _page(request, *visit)


@router.post(PATH)
def maken(request: Request, dossier: str, days: str = Form(""), email: str = Form(""), send: str = Form(""),
          csrf: str = Form("")) -> Response:
    visit = _visit(request, dossier)
    if not isinstance(visit, tuple):
        return visit
    staff, household = visit
    w, values = _w(request), {"days": days[:10], "email": email[:200]}
    refused = _refused(request, staff, household, csrf, **values)
    if refused is not None:
        return refused
    max_days = staff.ctx.settings.max_credential_days
    try:
        valid_days = int(days.strip())
        access.lifetime("participant", valid_days, False, max_days)
    except (ValueError, AccessError):
        return _page(request, staff, household, 400, v=values, errors={"days": w["bad_days"].format(max=max_days)})
    address = None
    if send:
        if not email.strip():
            return _page(request, staff, household, 400, v=values, errors={"email": w["no_email"]})
        try:
            address = clean_address(EMAIL, email)
        except NoticeError:
            return _page(request, staff, household, 400, v=values,
                         errors={"email": w["bad_email"].format(value=email.strip()[:200])})
    secret, credential = access.issue_link(staff.ctx.engine, dossier, staff.actor, valid_days, max_days)
    staff.ctx.services.read_by(staff.actor, [dossier], f"{LINK_CREATED} {credential.short_id}")
    url = f"{staff.ctx.settings.public_url.rstrip('/')}/p/{secret}"
    message = _send(staff, dossier, address, url, credential.short_id, w) if address else None
    new = {"url": url, "label": w["new"].format(expires=_day(staff, credential.expires))}
    return _page(request, staff, household, new=new, message=message, v=values)


def _send(staff: Staff, dossier: str, address: str, url: str, short_id: str, w: dict[str, str]) -> str:
    """Mail the fresh link (nothing personal in it: no name, amount or IBAN); what happened, in words."""
    settings = staff.ctx.settings
    if not settings.smtp_url:
        return w["no_smtp"]
    language = _notices(staff, dossier)["language"]
    try:
        SmtpSender(settings.smtp_url, settings.smtp_from).send(address, text(NEW_LINK, language, url),
                                                                f"{NEW_LINK}:{short_id}")
    except Exception:  # noqa: BLE001 - any failure of the mail server: the link stays shown, nothing sent
        return w["smtp_failed"]
    return w["sent"].format(address=address)


@router.get(f"{PATH}/intrekken")
def intrekken_vragen(request: Request, dossier: str) -> Response:
    """The confirm step: which link, and what revoking it means."""
    visit = _visit(request, dossier)
    if not isinstance(visit, tuple):
        return visit
    staff, household = visit
    link_id = (request.query_params.get("id") or "")[:20]
    known = any(row["id"] == link_id for row in section(request, staff, household)["rows"])
    if staff.role not in TEAM:
        return _page(request, staff, household, 403, problem=MESSAGES[lang_of(request)[0]]["not_allowed"])
    if not known:
        return _page(request, staff, household, 404, problem=_w(request)["unknown"])
    return _page(request, staff, household, confirm=link_id)


@router.post(f"{PATH}/intrekken")
def intrekken(request: Request, dossier: str, id: str = Form(""), csrf: str = Form("")) -> Response:  # noqa: A002
    visit = _visit(request, dossier)
    if not isinstance(visit, tuple):
        return visit
    staff, household = visit
    refused = _refused(request, staff, household, csrf)
    if refused is not None:
        return refused
    w = _w(request)
    try:
        credential = access.revoke_link(staff.ctx.engine, dossier, id[:20], staff.actor)
    except NotFound:
        return _page(request, staff, household, 404, problem=w["unknown"])
    staff.ctx.services.read_by(staff.actor, [dossier], f"{LINK_REVOKED} {credential.short_id}")
    return _page(request, staff, household, message=w["revoked"].format(id=credential.short_id))
