"""A household's monthly overview to print (/medewerker/huishoudens/{dossier}/overzicht,
`?month=YYYY-MM`, default the month of this cycle's pay date): the same page the
participant prints from their link and `hhb overview` writes (`adapters/overview.py`),
with a link back to the household. Who may open it is who may open the household:
staff and teamleads their own team's (another team's is niet gevonden), auditors any,
finance none.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from huishoudboekje.projections.left import cycle_of
from huishoudboekje.reports import monthly_overview

from ...api.dependencies import READERS
from ...overview import render_overview
from ..participant import security_headers
from .core import BASE, household_for, lang_of, staff_page
from .words import MESSAGES

router = APIRouter(include_in_schema=False)
MONTH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")
WORDS = {
    "nl": {"overview_link": "Maandoverzicht om te printen", "overview_back": "Terug naar het huishouden", "month_title": "Maand niet goed",
           "month_text": "Maand: schrijf de maand als JJJJ-MM, bijvoorbeeld 2026-12."},
    "en": {"overview_link": "Monthly overview to print", "overview_back": "Back to the household", "month_title": "Month not right",
           "month_text": "Month: write the month as YYYY-MM, for example 2026-12."},
}
for _lang, _words in WORDS.items():
    MESSAGES[_lang].update(_words)


@router.get(f"{BASE}/huishoudens/{{dossier}}/overzicht")
def overzicht(request: Request, dossier: str) -> Response:
    found = household_for(request, dossier, READERS)
    if isinstance(found, Response):
        return found
    staff, household = found
    month = (request.query_params.get("month") or "").strip()
    if month and not MONTH.fullmatch(month):
        return staff_page(request, staff, "problem.html", 400, key="month")
    today = date.today()
    month = month or f"{cycle_of(household, today).pay_date:%Y-%m}"
    lang = lang_of(request)[0]
    data = monthly_overview(staff.ctx.engine, household.dossier, month, today,
                            staff.ctx.services.projections.unreleased)
    html = render_overview(data, lang, static="/p/static/", back_href=f"{BASE}/huishoudens/{household.dossier}",
                           back_text=MESSAGES[lang]["overview_back"],
                           switch_href="?" + urlencode({"month": month, "lang": "en" if lang == "nl" else "nl"}))
    return security_headers(HTMLResponse(html))
