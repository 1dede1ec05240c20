"""Nieuw huishouden (/medewerker/huishoudens/nieuw): onboard a household from a form.

Two steps, both posts of the same form, so it works without JavaScript: "Controleren"
checks everything and shows the first pay date as the onboarding dry run gives it
(`services.preview`, writing nothing); "Opslaan" checks everything again and onboards
through the same service `hhb onboard` and the API use. Staff and teamleads onboard
into their own team only; the dossier must be new (this form never changes a household).

With JavaScript on, `static/onboard-check.js` checks each field as it is typed or left by
asking the server (POST …/nieuw/controleer, the field's name and value and the CSRF
token; JSON back): the answer is the very error submitting would give (`check_field`, the
same checks), shown next to the field as the server shows its own. Without JavaScript
nothing of this runs and the form is checked on submit, as always.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from huishoudboekje import creditors
from huishoudboekje.domain.agreement import INCOME_CATEGORIES
from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.household import household_id
from huishoudboekje.onboarding import DocumentError, parse_document
from huishoudboekje.projections.wording import euros

from ...api.dependencies import TEAM
from ..participant import security_headers
from .core import BASE, Staff, csrf_ok, forbidden, signed_in, staff_page
from .onboard_form import CHARGES, INCOMES, LABELS, LAST, Filled, blank, check_field, read, refused
from .pages import _m, _who
from .words import long_day

router = APIRouter(include_in_schema=False)
FORM = "formulier"  # the document's "file" name in the service's errors
PATH = f"{BASE}/huishoudens/nieuw"
CHECK = f"{PATH}/controleer"
SCRIPT = Path(__file__).resolve().parent / "static" / "onboard-check.js"
TAKEN = "dit dossiernummer bestaat al; kies een nieuw nummer"


def _page(request: Request, staff: Staff, filled: Filled, status: int = 200,
          preview: dict[str, Any] | None = None) -> Response:
    register = creditors.register(staff.ctx.engine).creditors
    options = [(iban, f"{c.name} ({c.category}) · {iban}"
                + (f" · kenmerk: {c.reference_format}" if c.reference_format else ""))
               for c in register for iban in c.ibans]
    days = [(str(d), str(d)) for d in range(1, 32)] + [(LAST, "laatste werkdag")]
    response = staff_page(request, staff, "onboard.html", status, v=filled.values, errors=filled.errors,
                          labels=LABELS, incomes=range(INCOMES), charges=range(CHARGES), options=options,
                          income_pairs=[(c, c) for c in INCOME_CATEGORIES], days=days,
                          pay_days=days[:28] + days[-1:], preview=preview, team=staff.principal.team, check=CHECK)
    # this page alone runs our own script, which asks our own server (no inline script, no other host)
    response.headers["Content-Security-Policy"] = response.headers["Content-Security-Policy"].replace(
        "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';")
    return response


def _allowed(request: Request) -> Staff | Response:
    staff = _who(request)
    if isinstance(staff, Staff) and staff.role not in TEAM:
        return forbidden(request, staff)
    return staff


@router.get(PATH)
def nieuw(request: Request) -> Response:
    staff = _allowed(request)
    if not isinstance(staff, Staff):
        return staff
    return _page(request, staff, Filled(blank(date.today())))


@router.post(PATH)
async def nieuw_post(request: Request) -> Response:
    staff = _allowed(request)
    if not isinstance(staff, Staff):
        return staff
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    filled = Filled(values)
    if not csrf_ok(values.get("csrf"), staff.session.csrf):
        filled.errors["form"] = _m(request)["csrf_failed"]
        return _page(request, staff, filled, 400)
    register = creditors.register(staff.ctx.engine).creditors
    filled = read(values, staff.principal.team or "", register)
    specs = _specs(staff, filled)
    if specs is None:
        return _page(request, staff, filled, 400)
    try:
        if values.get("step") == "save":
            staff.ctx.services.onboard(specs, staff.actor)
            return RedirectResponse(f"{BASE}/huishoudens/{specs[0][1].dossier}", status_code=303)
        [report] = staff.ctx.services.preview(specs, staff.actor, date.today())
    except DocumentError as exc:
        for problem in exc.problems:
            refused(filled, problem.path, problem.message)
        return _page(request, staff, filled, 400)
    except DomainError as exc:
        refused(filled, exc.field or "", str(exc))
        return _page(request, staff, filled, 400)
    return _page(request, staff, filled, preview=_preview(report))


@router.get(f"{BASE}/static/onboard-check.js")
def check_script() -> Response:
    response = security_headers(Response(SCRIPT.read_bytes(), media_type="text/javascript; charset=utf-8"))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@router.post(CHECK)
async def check(request: Request) -> Response:
    """One field checked as submitting would: {"field", "error"} (error null: it is fine)."""
    staff = signed_in(request)
    if staff is None:
        return _json({"error": _m(request)["expired"]}, 401)
    if staff.role not in TEAM:
        return _json({"error": _m(request)["not_allowed"]}, 403)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not csrf_ok(values.get("csrf"), staff.session.csrf):
        return _json({"error": _m(request)["csrf_failed"]}, 400)
    name, value = values.get("field", ""), values.get("value", "")
    try:
        error = check_field(name, value, creditors.register(staff.ctx.engine).creditors)
    except KeyError:
        return _json({"field": name[:40], "error": "Formulier: dit veld bestaat niet."}, 400)
    if name == "dossier" and error is None and value.strip() \
            and staff.ctx.engine.get_or_none(household_id(" ".join(value.split()).upper())) is not None:
        error = Filled.fail_text(name, TAKEN)
    return _json({"field": name, "error": error})


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return security_headers(JSONResponse(body, status_code=status))


def _specs(staff: Staff, filled: Filled) -> list[tuple[str, Any]] | None:
    if filled.document is None:
        return None
    try:
        spec = parse_document(filled.document, FORM)
    except DocumentError as exc:
        for problem in exc.problems:
            refused(filled, problem.path, problem.message)
        return None
    if staff.ctx.engine.get_or_none(household_id(spec.dossier)) is not None:
        filled.fail("dossier", TAKEN)
        return None
    return [(FORM, spec)]


def _preview(report: dict[str, Any]) -> dict[str, Any]:
    """The dry run's forecast of the first pay date, in Dutch words and euros."""
    forecast = report.get("forecast")
    if forecast is None:
        return {"pay_date": None}
    return {"pay_date": long_day(forecast["pay_date"]),
            "incomes": [f"{i['agreement']}: {euros(i['amount'], 'nl')} op {long_day(i['date'])}"
                        for i in forecast["incomes"]],
            "charges": [f"{c['agreement']}: {euros(c['amount'], 'nl')}" for c in forecast["charges"]],
            "unpaid": [f"{u['agreement']}: {euros(u['amount'], 'nl')}" for u in forecast["unpaid"]],
            "advanced": euros(forecast["advanced"], "nl"), "leefgeld": euros(forecast["leefgeld"], "nl")}
