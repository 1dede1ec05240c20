"""The staff web app's pages: werkvoorraad, huishoudens, a household, signalen.

They read through what the API reads through (`ctx.services`, the read models, the API's
own signal listing and access checks), so a page shows what the API answers to the same
person: staff and teamleads their own team's households (another team's is "niet
gevonden", as an unknown one), auditors everything (and change nothing), finance the
payment files and the engine's own signals.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from huishoudboekje import followup
from huishoudboekje.domain.access import AUDITOR, FINANCE, TEAMLEAD
from huishoudboekje.domain.errors import DomainError, NotFound
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.signals import SEVERITY_RANK
from huishoudboekje.projections.wording import euros

from ...api.dependencies import READERS, TEAM, check_own
from ...api.errors import Problem
from ...api.routes.signals import signals as api_signals
from ..participant import _views, security_headers
from .core import BASE, COOKIE, Staff, csrf_ok, forbidden, household_for, lang_of, signed_in, staff_page, to_sign_in
from .agreement_words import agreement_name
from .debts import debt_lines
from .history import history
from .links import expiring_items, section as link_section
from .words import MESSAGES, RULE_NAMES, long_day, rule_names, signal_sentence

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static" / "staff.css"
NOTE_MAX = 500


def _m(request: Request) -> dict[str, str]:
    return MESSAGES[lang_of(request)[0]]


def _who(request: Request) -> Staff | Response:
    staff = signed_in(request)
    if staff is None:
        return to_sign_in(request, "expired" if request.cookies.get(COOKIE) else None)
    return staff


def _signals(staff: Staff, lang: str = "nl", **query: Any) -> list[dict[str, Any]]:
    """What GET /api/v1/signals answers this person, each with its sentence (Dutch or English)."""
    if staff.role not in (*READERS, FINANCE):
        return []
    rows = api_signals(dossier=query.get("dossier"), team=None, status=query.get("status"),
                       who=staff.principal, ctx=staff.ctx)
    if query.get("rule"):
        rows = [r for r in rows if r["rule"] == query["rule"]]
    return [{**r, "sentence": signal_sentence(r, lang)} for r in rows]


@router.get(f"{BASE}/static/staff.css")
def stylesheet() -> Response:
    response = security_headers(Response(STATIC.read_bytes(), media_type="text/css; charset=utf-8"))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@router.get(BASE)
def no_slash() -> Response:
    return RedirectResponse(f"{BASE}/", status_code=308)


@router.get(f"{BASE}/")
def werkvoorraad(request: Request) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    _views(staff.ctx).fresh()
    m, lang = _m(request), lang_of(request)[0]
    items = [{"text": f"{s['dossier'] + ': ' if s['dossier'] else ''}{s['sentence']}", "severity": s["severity"],
              "kind": rule_names(lang).get(s["rule"], s["rule"]), "day": s["raised_on"],
              "href": f"{BASE}/huishoudens/{s['dossier']}" if s["dossier"] else f"{BASE}/signalen?rule={s['rule']}"}
             for s in _signals(staff, lang, status="open")]
    if staff.role in READERS:
        unmatched = staff.ctx.services.unmatched()
        if unmatched:
            items.append({"text": m["work_unmatched"].format(n=len(unmatched)), "severity": "medium",
                          "kind": m["kind_unmatched"], "day": None, "href": f"{BASE}/bankafschriften"})
    if staff.role in (FINANCE, AUDITOR):
        today = date.today().isoformat()
        for f in staff.ctx.services.payment_files(("pending",)):
            items.append({"text": m["work_file"].format(day=long_day(f["day"], lang), count=f["count"],
                                                        amount=euros(f["control_sum"], lang)),
                          "severity": "critical" if (f["first_execution"] or today) <= today else "high",
                          "kind": m["kind_file"], "day": f["day"], "href": f"{BASE}/betaalbestanden/{f['name']}"})
    items += expiring_items(request, staff)
    items.sort(key=lambda i: SEVERITY_RANK.get(i["severity"], 9))
    return staff_page(request, staff, "work.html", items=items)


def _names(household: Household) -> str:
    return ", ".join(p.name for p in household.participants)


@router.get(f"{BASE}/huishoudens")
def huishoudens(request: Request) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    if staff.role not in READERS:
        return forbidden(request, staff)
    views = _views(staff.ctx).fresh()
    q = (request.query_params.get("q") or "").strip()[:100]
    wanted = q.casefold().replace(" ", "")
    rows, lang = [], lang_of(request)[0]
    for row in staff.ctx.services.households(staff.principal.team if staff.role in TEAM else None):
        household = views.household(row["dossier"])
        if household is None:
            continue
        keys = [household.dossier, *(p.name for p in household.participants),
                *(p.iban or "" for p in household.participants), (household.address or {}).get("postcode") or ""]
        if wanted and not any(wanted in k.casefold().replace(" ", "") for k in keys):
            continue
        rows.append({"dossier": household.dossier, "names": _names(household), "team": household.team,
                     "status": household.status, "buffer": euros(row["buffer_outstanding"], lang),
                     "arrears": euros(row["arrears_amount"], lang)})
    return staff_page(request, staff, "households.html", rows=rows, q=q)


@router.get(f"{BASE}/huishoudens/{{dossier}}")
def huishouden(request: Request, dossier: str) -> Response:
    found = household_for(request, dossier, READERS)
    if isinstance(found, Response):
        return found
    staff, household = found
    services = staff.ctx.services
    left = services.left(household, date.today(), with_projection=False)
    detail, lang = services.household_detail(household), lang_of(request)[0]
    return staff_page(request, staff, "household.html", d=detail, names=_names(household),
                      m=_month(left, detail, _m(request), lang), agreements=_agreements(detail, _m(request), lang),
                      debts=debt_lines(household, date.today(), _m(request)),
                      signals=_signals(staff, lang, dossier=dossier),
                      history=history(staff.ctx.engine, household.id, lang),
                      link=link_section(request, staff, household), consent=_consent(household, _m(request), lang),
                      actions=staff.role in TEAM, back=f"{BASE}/huishoudens/{dossier}",
                      melding=request.query_params.get("melding"),
                      message=_m(request)["changed"] if request.query_params.get("melding") == "changed" else None)


def _month(left: dict[str, Any], detail: dict[str, Any], m: dict[str, str], lang: str) -> dict[str, Any]:
    forecast = left.get("forecast") or {}
    shortfall = Money(forecast.get("shortfall") or "0.00")
    return {"leefgeld": euros(left["leefgeld"]["paid"], lang), "scheduled": euros(left["leefgeld"]["scheduled"], lang),
            "buffer": euros(left["buffer_owed"], lang), "arrears": euros(detail["arrears"]["amount"], lang),
            "reserves": [f"{k}: {euros(v, lang)}" for k, v in (left.get("reserves") or {}).items()],
            "forecast": m["forecast"].format(day=long_day(forecast.get("next_pay_date"), lang),
                                             amount=euros(forecast.get("expected_leefgeld") or "0.00", lang)),
            "shortfall": m["forecast_short"].format(amount=euros(shortfall, lang))
            if shortfall > Money("0.00") else None}


def _consent(household: Household, m: dict[str, str], lang: str) -> str:
    """Whether, when and how the participant agreed to take part (issue 24), in words."""
    given = household.consent_detail()
    if not given:
        return m["consent_none"]
    words = {"day": long_day(date.fromisoformat(given["on"]), lang),
             "way": m.get(f"way.{given['way']}", given["way"])}
    if given.get("withdrawn"):
        return m["consent_withdrawn"].format(**words, withdrawn=long_day(date.fromisoformat(given["withdrawn"]), lang))
    return m["consent_given"].format(**words)


def _agreements(detail: dict[str, Any], m: dict[str, str], lang: str) -> list[dict[str, str]]:
    return [{"name": agreement_name(a["id"], lang), "amount": euros(a["amount"], lang),
             "kind": m["income"] if a["kind"] == "income" else m["charge"],
             "counterparty": a["counterparty"]["name"],
             "ended": m["ended_on"].format(day=long_day(a["end"], lang)) if a["end"] else ""}
            for a in detail["agreements"]]


@router.get(f"{BASE}/signalen")
def signalen(request: Request) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    return _signals_page(request, staff)


def _signals_page(request: Request, staff: Staff, status_code: int = 200, message: str | None = None,
                  error: bool = False) -> Response:
    if staff.role not in (*READERS, FINANCE):
        return forbidden(request, staff)
    _views(staff.ctx).fresh()
    rule = request.query_params.get("rule") or ""
    status = request.query_params.get("status") or ""
    rows = _signals(staff, lang_of(request)[0], rule=rule if rule in RULE_NAMES else None,
                    status=status if status in ("open", "acknowledged", "resolved") else None)
    if message is None and request.query_params.get("melding") == "changed":
        message = _m(request)["changed"]
    return staff_page(request, staff, "signals.html", status_code, signals=rows,
                      rules=sorted(rule_names(lang_of(request)[0]).items()),
                      rule=rule, chosen=status, message=message, error=error,
                      actions=staff.role in (*TEAM, FINANCE), back=f"{BASE}/signalen")


@router.post(f"{BASE}/signalen/opvolgen")
def opvolgen(request: Request, signal: str = Form(""), action: str = Form(""), note: str = Form(""),
             csrf: str = Form(""), back: str = Form("")) -> Response:
    staff = _who(request)
    if not isinstance(staff, Staff):
        return staff
    m = _m(request)
    if not csrf_ok(csrf, staff.session.csrf):
        return _signals_page(request, staff, 400, m["csrf_failed"], True)
    if staff.role not in (*TEAM, FINANCE):
        return _signals_page(request, staff, 403, m["not_allowed"], True)
    if len(note) > NOTE_MAX:
        return _signals_page(request, staff, 400, m["note_too_long"], True)
    if action not in ("acknowledge", "resolve"):
        return _signals_page(request, staff, 400, "Actie: kies Oppakken of Oplossen. Er is niets gewijzigd.", True)
    try:
        _may_follow(staff, signal)
        command = followup.acknowledge if action == "acknowledge" else followup.resolve
        command(staff.ctx.engine, signal, date.today(), staff.actor, note.strip())
    except (Problem, NotFound):
        return _signals_page(request, staff, 404, m["unknown_signal"], True)
    except DomainError as exc:
        return _signals_page(request, staff, 400, f"Signaal: dit kan niet ({exc}). Er is niets gewijzigd.", True)
    staff.ctx.services.catch_up()
    target = back if back.startswith(f"{BASE}/") and "//" not in back else f"{BASE}/signalen"
    return RedirectResponse(f"{target}?melding=changed", status_code=303)


def _may_follow(staff: Staff, signal: str) -> None:
    """As the API's change_signal: Problem(404) for a signal this person may not follow up."""
    unknown = Problem(404, "Not found", f"no signal {signal}", "signal")
    if followup.is_control(signal):
        if staff.role not in (TEAMLEAD, FINANCE):
            raise unknown
        return
    if staff.role == FINANCE or "|" not in signal:
        raise unknown
    dossier, _ = followup.split_signal_id(signal)
    check_own(staff.ctx, staff.principal, dossier, unknown)
