"""Betaalbestanden (/medewerker/betaalbestanden): the payment files the runs wrote, with
their totals and review state; a file's review (what `hhb payment-files show` shows:
payments by creditor, what is unusual flagged); release and hold by a person with the
role finance.

The roles are the API's: finance and auditors read the files and reviews, only finance
releases or holds (auditors change nothing); staff and teamleads do not see them (403).
The four-eyes rules are the service's (`huishoudboekje/payment_files.py`): whoever
changed a household the file pays that day may not release it, the bytes must be those
recorded, the account must cover it. The signed-in person is the actor.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from huishoudboekje.domain.access import AUDITOR, FINANCE
from huishoudboekje.domain.errors import DomainError, NotFound
from huishoudboekje.projections.wording import euros

from .core import BASE, COOKIE, Staff, csrf_ok, forbidden, lang_of, not_found, signed_in, staff_page, to_sign_in
from .words import MESSAGES, long_day

router = APIRouter(include_in_schema=False)
PAGE = f"{BASE}/betaalbestanden"
REASON_MAX = 500
READ = (FINANCE, AUDITOR)

WORDS = {
    "nl": {
        "nav_files": "Betaalbestanden", "files_title": "Betaalbestanden",
        "no_files": "Er zijn nog geen betaalbestanden.",
        "file": "Bestand", "file_day": "Betaaldag", "file_count": "Betalingen", "file_total": "Totaal",
        "file_state": "Status", "file_changed": "Laatst gewijzigd", "review_title": "Betaalbestand {name}",
        "execution": "Uitvoerdatum", "debtor": "Van rekening", "creditor": "Ontvanger", "flags": "Opvallend",
        "no_flags": "Niets opvallends gevonden.", "kind": "Soort", "period": "Periode", "reference": "Kenmerk",
        "release": "Vrijgeven aan de bank", "hold": "Tegenhouden", "hold_reason": "Reden om tegen te houden",
        "decide": "Beslissen", "four_eyes": "Vier ogen: wie deze dag een huishouden in dit bestand wijzigde, "
        "mag het niet vrijgeven.", "released_msg": "Het betaalbestand is vrijgegeven.",
        "held_msg": "Het betaalbestand wordt tegengehouden.", "reason_missing": "Reden: vul in waarom u het "
        "bestand tegenhoudt. Er is niets gewijzigd.", "reason_too_long": "Reden: hooguit 500 tekens. Er is niets "
        "gewijzigd.", "decision_failed": "Dit kan niet: {error}. Er is niets gewijzigd.",
        "not_on_disk": "Het bestand staat niet (meer) op schijf of is veranderd: niet versturen.",
        "state_pending": "wacht op vrijgave", "state_held": "tegengehouden", "state_released": "vrijgegeven",
        "state_before-review": "van vóór de controle", "back_files": "Terug naar de betaalbestanden",
        "kind_charge": "vaste last", "kind_arrears": "achterstand", "kind_leefgeld": "leefgeld",
        "creditor_sum": "{count} betaling(en), samen {total}",
    },
    "en": {
        "nav_files": "Payment files", "files_title": "Payment files", "no_files": "There are no payment files yet.",
        "file": "File", "file_day": "Pay date", "file_count": "Payments", "file_total": "Total",
        "file_state": "Status", "file_changed": "Last changed", "review_title": "Payment file {name}",
        "execution": "Execution date", "debtor": "From account", "creditor": "Creditor", "flags": "Unusual",
        "no_flags": "Nothing unusual found.", "kind": "Kind", "period": "Period", "reference": "Reference",
        "release": "Release to the bank", "hold": "Hold", "hold_reason": "Reason to hold",
        "decide": "Decide", "four_eyes": "Four eyes: whoever changed a household in this file that day may not "
        "release it.", "released_msg": "The payment file was released.", "held_msg": "The payment file is held.",
        "reason_missing": "Reason: say why you hold the file. Nothing was changed.",
        "reason_too_long": "Reason: at most 500 characters. Nothing was changed.",
        "decision_failed": "This is not possible: {error}. Nothing was changed.",
        "not_on_disk": "The file is not on disk (any more) or has changed: do not send it.",
        "state_pending": "waiting for release", "state_held": "held", "state_released": "released",
        "state_before-review": "from before the review", "back_files": "Back to the payment files",
        "kind_charge": "fixed charge", "kind_arrears": "arrears", "kind_leefgeld": "leefgeld",
        "creditor_sum": "{count} payment(s), together {total}",
    },
}
for _lang, _words in WORDS.items():
    MESSAGES[_lang].update(_words)


def _who(request: Request) -> Staff | Response:
    staff = signed_in(request)
    if staff is None:
        return to_sign_in(request, "expired" if request.cookies.get(COOKIE) else None)
    return staff


def _lang(request: Request) -> str:
    return lang_of(request)[0]


def _row(f: dict[str, Any], lang: str) -> dict[str, Any]:
    return {"name": f["name"], "href": f"{PAGE}/{f['name']}", "day": long_day(f["day"]), "count": f["count"],
            "total": euros(f["control_sum"], lang), "state": f["state"],
            "changed": " · ".join(x for x in (long_day(f["changed_on"]), f["changed_by"] or "") if x)}


@router.get(PAGE)
def files(request: Request) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    if staff.role not in READ:
        return forbidden(request, staff)
    staff.ctx.services.catch_up()
    lang = _lang(request)
    rows = [_row(f, lang) for f in reversed(staff.ctx.services.payment_files())]
    return staff_page(request, staff, "payment_files.html", rows=rows)


@router.get(PAGE + "/{name}")
def review(request: Request, name: str) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    return _review(request, staff, name)


def _review(request: Request, staff: Staff, name: str, code: int = 200, message: str | None = None,
            error: bool = False) -> Response:
    if staff.role not in READ:
        return forbidden(request, staff)
    lang = _lang(request)
    try:
        shown = staff.ctx.services.payment_file(name)
    except NotFound:
        return not_found(request, staff)
    if message is None and request.query_params.get("melding") in ("released", "held"):
        message = MESSAGES[lang][f"{request.query_params['melding']}_msg"]
    creditors = [{**c, "total": euros(c["total"], lang),
                  "payments": [{**p, "amount": euros(p["amount"], lang)} for p in c["payments"]]}
                 for c in shown["creditors"]]
    return staff_page(request, staff, "payment_file.html", code, f=shown, creditors=creditors,
                      total=euros(shown["control_sum"], lang), day=long_day(shown["day"]),
                      flags=[fl["text"][lang] for fl in shown["flags"]], message=message, error=error,
                      may_decide=staff.role == FINANCE and shown["state"] in ("pending", "held"),
                      may_hold=shown["state"] == "pending", reason_max=REASON_MAX)


@router.post(PAGE + "/{name}")
def decide(request: Request, name: str, action: str = Form(""), reason: str = Form(""),
           csrf: str = Form("")) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    m = MESSAGES[_lang(request)]
    if not csrf_ok(csrf, staff.session.csrf):
        return _review(request, staff, name, 400, m["csrf_failed"], True)
    if staff.role != FINANCE:
        return _review(request, staff, name, 403, m["not_allowed"], True) if staff.role in READ \
            else forbidden(request, staff)
    reason = reason.strip()
    if action == "hold" and not reason:
        return _review(request, staff, name, 400, m["reason_missing"], True)
    if len(reason) > REASON_MAX:
        return _review(request, staff, name, 400, m["reason_too_long"], True)
    if action not in ("release", "hold"):
        return _review(request, staff, name, 400, m["decision_failed"].format(error=action or "?"), True)
    services = staff.ctx.services
    try:
        if action == "release":
            services.release_payment_file(name, staff.actor)
        else:
            services.hold_payment_file(name, staff.actor, reason)
    except NotFound:
        return not_found(request, staff)
    except DomainError as exc:
        return _review(request, staff, name, 409, m["decision_failed"].format(error=exc), True)
    services.catch_up()
    done = "released" if action == "release" else "held"
    return RedirectResponse(f"{PAGE}/{name}?melding={done}", status_code=303)
