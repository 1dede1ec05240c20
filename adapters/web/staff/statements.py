"""The staff web app's Bankafschriften page: upload a statement, work the unmatched queue.

An upload goes through the import the CLI's `hhb import` and the API's POST /statements
use (`Services.import_statements`): all or nothing, a broken file named with its line or
entry and nothing written. The queue is the API's GET /unmatched, each credit with its
ranked candidates (`huishoudboekje.domain.candidates`): an exact amount from the same
payer first. Book, ignore and undo are `hhb book`/`ignore`/`undo` (the statement service),
with the signed-in person as the actor and a reason. Roles as the API's: staff and
teamleads act, for their own team's households only (another team's is neither offered
nor bookable); auditors read and change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from huishoudboekje import statements as statement_service
from huishoudboekje.domain.candidates import rank_candidates
from huishoudboekje.domain.errors import DomainError, NotFound
from huishoudboekje.domain.ledger import BOOKED, IGNORED
from huishoudboekje.domain.statement import StatementError
from huishoudboekje.projections.wording import euros

from ...api.dependencies import READERS, TEAM, check_own
from ...api.errors import Problem
from ...statements import parse_statement_bytes
from .core import BASE, COOKIE, Staff, csrf_ok, forbidden, lang_of, signed_in, staff_page, to_sign_in
from .words import long_day

router = APIRouter(include_in_schema=False)
PAGE = f"{BASE}/bankafschriften"
REASON_MAX = 500
HANDLED_SHOWN = 20

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Bankafschriften", "upload": "Afschrift inlezen", "file": "Bestand (camt.053 of MT940)",
        "read": "Inlezen", "queue": "Niet geboekt", "queue_empty": "Er staan geen transacties in de wachtrij.",
        "candidates": "Mogelijke huishoudens", "no_candidates": "Geen huishouden gevonden dat past.",
        "reason": "Reden", "book": "Boeken", "ignore": "Negeren", "undo": "Ongedaan maken",
        "handled": "Met de hand afgehandeld", "from": "van", "expected": "verwacht",
        "exact": "zelfde betaler, precies het bedrag", "counterparty": "zelfde betaler",
        "amount": "zelfde bedrag, andere betaler", "booked_on": "geboekt op", "ignored": "genegeerd",
        "imported": "{file} ingelezen: {new} nieuwe transacties ({duplicates} al bekend), {matched} "
                    "automatisch geboekt, {unmatched} in de wachtrij.",
        "did_booked": "Transactie geboekt.", "did_ignored": "Transactie genegeerd.",
        "did_undone": "Terug in de wachtrij gezet.",
        "bad_file": "{where}: {what} ({reason}). Er is niets ingelezen.",
        "no_file": "Bestand: kies een camt.053- of MT940-bestand. Er is niets ingelezen.",
        "csrf_failed": "Dit formulier is verlopen of hoort niet bij uw sessie. Er is niets gewijzigd; "
                       "probeer het opnieuw.",
        "not_allowed": "U mag dit niet wijzigen. Er is niets gewijzigd.",
        "reason_too_long": "Reden: hooguit 500 tekens. Er is niets gewijzigd.",
        "no_candidate": "Huishouden: kies een van de voorgestelde huishoudens. Er is niets gewijzigd.",
        "unknown": "Transactie: deze transactie bestaat niet (meer) of is niet van uw team. Er is niets gewijzigd.",
        "refused": "Transactie: dit kan niet ({reason}). Er is niets gewijzigd.",
    },
    "en": {
        "title": "Bank statements", "upload": "Import a statement", "file": "File (camt.053 or MT940)",
        "read": "Import", "queue": "Not booked", "queue_empty": "No transactions are waiting.",
        "candidates": "Possible households", "no_candidates": "No household found that fits.",
        "reason": "Reason", "book": "Book", "ignore": "Ignore", "undo": "Undo",
        "handled": "Handled by hand", "from": "from", "expected": "expected",
        "exact": "same payer, exactly the amount", "counterparty": "same payer",
        "amount": "same amount, another payer", "booked_on": "booked onto", "ignored": "ignored",
        "imported": "{file} imported: {new} new transactions ({duplicates} known already), {matched} "
                    "booked automatically, {unmatched} waiting.",
        "did_booked": "Transaction booked.", "did_ignored": "Transaction ignored.",
        "did_undone": "Put back in the queue.",
        "bad_file": "{where}: {what} ({reason}). Nothing was imported.",
        "no_file": "File: choose a camt.053 or MT940 file. Nothing was imported.",
        "csrf_failed": "This form expired or is not of your session. Nothing was changed; please try again.",
        "not_allowed": "You may not change this. Nothing was changed.",
        "reason_too_long": "Reason: at most 500 characters. Nothing was changed.",
        "no_candidate": "Household: choose one of the households offered. Nothing was changed.",
        "unknown": "Transaction: this transaction does not exist (any more) or is not your team's. "
                   "Nothing was changed.",
        "refused": "Transaction: this cannot be done ({reason}). Nothing was changed.",
    },
}
_WHAT = {  # the import's reasons (English) by how they start, led by what they mean
    "nl": (("not a bank statement", "dit is geen bankafschrift"),
           ("the entries do not add up", "de posten tellen niet op tot het eindsaldo"),
           ("account ", "deze rekening beheren wij niet"), ("the amount is 0.00", "een bedrag van nul"),
           ("the value date", "de valutadatum ligt te ver vooruit"), ("file is ", "het bestand is te groot"),
           ("", "dit bestand kan niet worden ingelezen")),
    "en": (("", "this file cannot be imported"),),
}
_WHERE_NL = ((r"\bstatement line\b", "afschriftregel"), (r"\bline\b", "regel"), (r"\bentry\b", "post"),
             (r"\bstatement\b", "afschrift"))


def _w(request: Request) -> dict[str, str]:
    return WORDS[lang_of(request)[0]]


def _who(request: Request) -> Staff | Response:
    staff = signed_in(request)
    if staff is None:
        return to_sign_in(request, "expired" if request.cookies.get(COOKIE) else None)
    return staff


def _own(staff: Staff) -> set[str] | None:
    """The dossiers this person may book onto; None: all (an auditor, who books nothing)."""
    if staff.role not in TEAM:
        return None
    return {h["dossier"] for h in staff.ctx.views.households(staff.principal.team)}


def _queue(staff: Staff, own: set[str] | None, w: dict[str, str]) -> list[dict[str, Any]]:
    """The unmatched queue, each credit with the candidates this person may be offered."""
    engine, settings = staff.ctx.engine, staff.ctx.settings
    directory = engine.income_directory()
    incomes: dict[str, list[Any]] = {}
    rows = []
    for recorded in statement_service.unmatched(engine):
        t = recorded.transaction
        if t.account not in incomes:
            incomes[t.account] = [i for _, i in directory.incomes(t.account, settings.default_account)
                                  if own is None or i.dossier in own]
        ranked = rank_candidates(t, incomes[t.account])
        rows.append({"id": recorded.id, "day": long_day(t.value_date.isoformat()), "amount": euros(t.amount, "nl"),
                     "credit": t.is_credit, "name": t.counterparty_name or "", "iban": t.counterparty_iban or "",
                     "description": t.description, "reason": recorded.reason or "",
                     "candidates": [{"key": r.key, "dossier": r.income.dossier, "agreement": r.income.agreement_id,
                                     "kind": w[r.kind], "expected": euros(r.expected.amount, "nl")}
                                    for r in ranked]})
    return rows


def _handled(staff: Staff, own: set[str] | None, w: dict[str, str]) -> list[dict[str, Any]]:
    """The latest transactions a person booked or ignored, to undo from here."""
    found = []
    for ledger in statement_service.ledgers(staff.ctx.engine):
        for recorded in ledger.recorded():
            by_hand = recorded.outcome == IGNORED or (
                recorded.outcome == BOOKED and (recorded.reason or "").startswith("booked by hand"))
            if not by_hand or (own is not None and recorded.dossier and recorded.dossier not in own):
                continue
            found.append(recorded)
    found.sort(key=lambda r: (r.transaction.value_date, r.id), reverse=True)
    return [{"id": r.id, "day": long_day(r.transaction.value_date.isoformat()),
             "amount": euros(r.transaction.amount, "nl"), "name": r.transaction.counterparty_name or "",
             "what": f"{w['booked_on']} {r.dossier} ({r.agreement_id})" if r.outcome == BOOKED else w["ignored"]}
            for r in found[:HANDLED_SHOWN]]


def _page(request: Request, staff: Staff, code: int = 200, message: str | None = None,
          error: bool = False) -> Response:
    if staff.role not in READERS:
        return forbidden(request, staff)
    w = _w(request)
    own = _own(staff)
    done = request.query_params.get("melding")
    if message is None and done in ("booked", "ignored", "undone"):
        message = w[f"did_{done}"]
    return staff_page(request, staff, "statements.html", code, w=w, message=message, error=error,
                      queue=_queue(staff, own, w), handled=_handled(staff, own, w),
                      actions=staff.role in TEAM, reason_max=REASON_MAX)


@router.get(PAGE)
def bankafschriften(request: Request) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    return _page(request, staff)


def _refuse(request: Request, staff: Staff, csrf: str, reason: str = "") -> Response | None:
    """The page with why a change is refused before it is tried; None: go ahead."""
    w = _w(request)
    if not csrf_ok(csrf, staff.session.csrf):
        return _page(request, staff, 400, w["csrf_failed"], True)
    if staff.role not in TEAM:
        return _page(request, staff, 403, w["not_allowed"], True)
    if len(reason) > REASON_MAX:
        return _page(request, staff, 400, w["reason_too_long"], True)
    return None


def _dutch_where(where: str | None, lang: str) -> str:
    if not where or lang != "nl":
        return where or ""
    for pattern, word in _WHERE_NL:
        where = re.sub(pattern, word, where)
    return where


def _file_error(exc: StatementError, lang: str) -> str:
    where = PurePath(exc.file).name + (f", {_dutch_where(exc.where, lang)}" if exc.where else "")
    what = next(meaning for start, meaning in _WHAT[lang] if exc.reason.startswith(start))
    return WORDS[lang]["bad_file"].format(where=where, what=what, reason=exc.reason.rstrip("."))


@router.post(f"{PAGE}/inlezen")
async def inlezen(request: Request, file: UploadFile | None = File(None), csrf: str = Form("")) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    refused = _refuse(request, staff, csrf)
    if refused is not None:
        return refused
    lang, w = lang_of(request)[0], _w(request)
    if file is None or not file.filename:
        return _page(request, staff, 400, w["no_file"], True)
    settings = staff.ctx.settings
    name = PurePath(file.filename.replace("\\", "/")).name[:200] or "upload"
    data = await file.read(settings.max_statement_bytes + 1)
    try:
        parsed = parse_statement_bytes(data, name, settings.max_statement_bytes, days_ahead=settings.value_days_ahead)
        result = staff.ctx.services.import_statements(parsed, staff.actor)
    except StatementError as exc:
        return _page(request, staff, 422, _file_error(exc, lang), True)
    except DomainError as exc:
        what = _WHAT[lang][-1][1]
        return _page(request, staff, 422, w["bad_file"].format(where=name, what=what, reason=str(exc).rstrip(".")),
                     True)
    staff.ctx.services.catch_up()
    return _page(request, staff, 200, w["imported"].format(file=name, **result.as_dict()))


def _done(request: Request, staff: Staff, what: str) -> Response:
    staff.ctx.services.catch_up()
    return RedirectResponse(f"{PAGE}?melding={what}", status_code=303)


def _failed(request: Request, staff: Staff, exc: Exception) -> Response:
    w = _w(request)
    if isinstance(exc, (Problem, NotFound)):
        return _page(request, staff, 404, w["unknown"], True)
    return _page(request, staff, 400, w["refused"].format(reason=str(exc)), True)


def _check_transaction(staff: Staff, ident: str) -> None:
    """As the API's: a transaction booked onto another team's household is not there."""
    _, recorded = statement_service.find_transaction(staff.ctx.engine, ident)
    if recorded.dossier:
        check_own(staff.ctx, staff.principal, recorded.dossier, Problem(404, "Not found", ident, "transaction"))


@router.post(f"{PAGE}/{{transaction}}/boeken")
def boeken(request: Request, transaction: str, candidate: str = Form(""), reason: str = Form(""),
           csrf: str = Form("")) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    refused = _refuse(request, staff, csrf, reason)
    if refused is not None:
        return refused
    dossier, _, agreement = candidate.partition("/")
    if not dossier or not agreement:
        return _page(request, staff, 400, _w(request)["no_candidate"], True)
    note = f"booked by hand: {reason.strip()}" if reason.strip() else "booked by hand"
    try:
        check_own(staff.ctx, staff.principal, dossier, Problem(404, "Not found", dossier, "dossier"))
        statement_service.book(staff.ctx.engine, transaction, dossier, agreement, staff.actor, reason=note)
    except (Problem, DomainError) as exc:
        return _failed(request, staff, exc)
    return _done(request, staff, "booked")


@router.post(f"{PAGE}/{{transaction}}/negeren")
def negeren(request: Request, transaction: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    return _by_hand(request, transaction, reason, csrf, "ignored",
                    lambda staff, why: statement_service.ignore(staff.ctx.engine, transaction, staff.actor,
                                                                why or "not ours"))


@router.post(f"{PAGE}/{{transaction}}/terugdraaien")
def terugdraaien(request: Request, transaction: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    return _by_hand(request, transaction, reason, csrf, "undone",
                    lambda staff, why: statement_service.undo(staff.ctx.engine, transaction, staff.actor,
                                                              why or "undone by staff"))


def _by_hand(request: Request, transaction: str, reason: str, csrf: str, done: str,
             change: Callable[[Staff, str], object]) -> Response:
    """Ignore or undo one transaction: token, role and team checked first, as the API's."""
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    refused = _refuse(request, staff, csrf, reason)
    if refused is not None:
        return refused
    try:
        _check_transaction(staff, transaction)
        change(staff, reason.strip())
    except (Problem, DomainError) as exc:
        return _failed(request, staff, exc)
    return _done(request, staff, done)
