"""Schuldeisers (/medewerker/schuldeisers): the register of creditor organisations staff
pick from in the Nieuw huishouden form. Every signed-in person reads it; a teamlead adds
or updates one through the form (the same `creditors.record` as `hhb creditors import`)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from huishoudboekje import creditors
from huishoudboekje.domain.access import TEAMLEAD
from huishoudboekje.domain.agreement import CHARGE_CATEGORIES
from huishoudboekje.domain.creditors import CreditorError

from .core import BASE, Staff, csrf_ok, staff_page
from .pages import _m, _who

router = APIRouter(include_in_schema=False)
PATH = f"{BASE}/schuldeisers"
LABELS = {"name": "Naam", "ibans": "IBAN(s)", "category": "Soort", "reference_format": "Vorm van het kenmerk"}
DUTCH = {  # the register's refusals, by field, in Dutch
    "name": "vul een naam in van 1 tot 140 tekens",
    "ibans": "dit is geen geldig IBAN, of het hoort al bij een andere schuldeiser",
    "category": "kies een soort",
    "reference_format": "hooguit 100 tekens",
}


def _page(request: Request, staff: Staff, code: int = 200, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None) -> Response:
    rows = creditors.listing(staff.ctx.engine)
    return staff_page(request, staff, "creditors.html", code, rows=rows, may_add=staff.role == TEAMLEAD,
                      v=values or {}, errors=errors or {}, labels=LABELS,
                      categories=[(c, c) for c in CHARGE_CATEGORIES],
                      added=request.query_params.get("melding") == "added")


@router.get(PATH)
def schuldeisers(request: Request) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    return _page(request, staff)


@router.post(PATH)
def schuldeiser_toevoegen(request: Request, name: str = Form(""), ibans: str = Form(""), category: str = Form(""),
                          reference_format: str = Form(""), csrf: str = Form("")) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    values = {"name": name[:200], "ibans": ibans[:500], "category": category, "reference_format": reference_format[:200]}
    if not csrf_ok(csrf, staff.session.csrf):
        return _page(request, staff, 400, values, {"form": _m(request)["csrf_failed"]})
    if staff.role != TEAMLEAD:
        return _page(request, staff, 403, values, {"form": _m(request)["not_allowed"]})
    entry = {"name": values["name"], "ibans": [i for i in re.split(r"[,;\n]+", values["ibans"]) if i.strip()],
             "category": category, "reference_format": values["reference_format"].strip() or None}
    try:
        creditors.record(staff.ctx.engine, [entry], staff.actor)
    except CreditorError as exc:
        part = re.sub(r"^\[0\]\.?", "", exc.field or "").split("[")[0] or "name"
        return _page(request, staff, 400, values,
                     {part: f"{LABELS.get(part, part)}: {DUTCH.get(part, 'klopt niet')}. Er is niets gewijzigd."})
    return RedirectResponse(f"{PATH}?melding=added", status_code=303)
