"""Afspraken wijzigen (/medewerker/huishoudens/{dossier}/afspraken): change an amount
from a date, end an agreement, change the pay day — each showing its consequence before
it is saved (issue 21).

Without JavaScript: a form per action posts "Controleren" to the same address, which
checks it and shows in Dutch what will change (the next pay date's leefgeld before and
after, and for a pay day the charges paid late, as `hhb pay-day` says them), writing
nothing (`agreement_changes.preview`). That page carries the values and the household's
version in hidden fields; "Opslaan" checks them again and saves exactly that change,
or, when the household changed in between, says so and shows the consequence anew.
Staff and teamleads change their own team's households only (another team's: 404);
auditors and finance change nothing (403).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huishoudboekje import agreement_changes
from huishoudboekje.agreement_changes import AMOUNT, END, PAY_DAY, Change, Stale
from huishoudboekje.domain.errors import DomainError, NotFound
from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money, MoneyError

from ...api.dependencies import TEAM
from .agreement_words import ACTIONS, LABELS, LAST, TEXT, agreement_name, consequence, refusal, what_changes
from .core import BASE, Staff, csrf_ok, household_for, lang_of, staff_page
from .pages import _m

router = APIRouter(include_in_schema=False)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # as the CLI's and the API's business dates
FIELDS = {AMOUNT: ("bedrag_afspraak", "bedrag", "bedrag_vanaf"), END: ("einde_afspraak", "einde_op"),
          PAY_DAY: ("betaaldag", "betaaldag_vanaf")}
DAY_FIELD = {AMOUNT: "bedrag_vanaf", END: "einde_op", PAY_DAY: "betaaldag_vanaf"}
AGREEMENT_FIELD = {AMOUNT: "bedrag_afspraak", END: "einde_afspraak"}


def _path(dossier: str) -> str:
    return f"{BASE}/huishoudens/{dossier}/afspraken"


def _household(request: Request, dossier: str) -> tuple[Staff, Household] | Response:
    """The signed-in person and the household they may change, or the page saying why not."""
    return household_for(request, dossier, TEAM)


def _form_page(request: Request, staff: Staff, household: Household, values: dict[str, str],
               errors: dict[str, str] | None = None, status: int = 200) -> Response:
    lang = lang_of(request)[0]
    choices = [(a.id, f"{agreement_name(a.id, lang)} ({a.counterparty.name})") for a in household.agreements.values()
               if a.end is None]
    days = [(str(d), str(d)) for d in range(1, 29)] + [(LAST, TEXT[lang]["last"])]
    return staff_page(request, staff, "agreements.html", status, dossier=household.dossier, v=values,
                      errors=errors or {}, labels=LABELS[lang], w=TEXT[lang], choices=choices, days=days,
                      action=_path(household.dossier), back=f"{BASE}/huishoudens/{household.dossier}")


@router.get(f"{BASE}/huishoudens/{{dossier}}/afspraken")
def afspraken(request: Request, dossier: str) -> Response:
    found = _household(request, dossier)
    if not isinstance(found, tuple):
        return found
    staff, household = found
    return _form_page(request, staff, household, {"betaaldag": str(household.pay_day_on(date.today()))})


@router.post(f"{BASE}/huishoudens/{{dossier}}/afspraken")
async def afspraken_post(request: Request, dossier: str) -> Response:
    found = _household(request, dossier)
    if not isinstance(found, tuple):
        return found
    staff, household = found
    form = await request.form()
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    lang = lang_of(request)[0]
    if not csrf_ok(values.get("csrf"), staff.session.csrf):
        return _form_page(request, staff, household, values, {"form": _m(request)["csrf_failed"]}, 400)
    kind = ACTIONS.get(values.get("actie", ""))
    if kind is None or values.get("stap") == "terug":
        return _form_page(request, staff, household, values)
    errors: dict[str, str] = {}
    change = _read(kind, values, household, errors, lang)
    if change is None:
        return _form_page(request, staff, household, values, errors, 400)
    engine, today = staff.ctx.engine, date.today()
    stale = False
    try:
        report = agreement_changes.preview(engine, dossier, change, today)  # the rules, checked again
        if values.get("stap") == "opslaan" and report["changes"]:
            try:
                agreement_changes.save(engine, dossier, change, _version(values), staff.actor, today)
            except Stale:  # changed since the preview: show the consequence as it is now
                stale, report = True, agreement_changes.preview(engine, dossier, change, today)
            else:
                staff.ctx.services.catch_up()
                return RedirectResponse(f"{BASE}/huishoudens/{dossier}?melding=afspraak", status_code=303)
    except (NotFound, DomainError) as exc:
        field = _field_of(kind, exc)
        errors[field] = f"{LABELS[lang][field]}: {refusal(str(exc), lang)}"
        return _form_page(request, staff, household, values, errors, 400)
    return _preview_page(request, staff, values, change, report, 409 if stale else 200, stale)


def _field_of(kind: str, exc: DomainError) -> str:
    """The form's field a refusal of the rules is about (the date, unless it names another)."""
    if isinstance(exc, NotFound):
        return AGREEMENT_FIELD.get(kind, "form")
    if exc.field == "dossier":  # the household no longer takes part
        return "form"
    return "betaaldag" if kind == PAY_DAY and "is not 1–28" in str(exc) else DAY_FIELD[kind]


def _version(values: dict[str, str]) -> int:
    text = values.get("versie", "")
    return int(text) if text.isdigit() else -1  # no version: stale, so the preview is shown first


def _preview_page(request: Request, staff: Staff, values: dict[str, str], change: Change, report: dict[str, Any],
                  status: int = 200, stale: bool = False) -> Response:
    lang = lang_of(request)[0]
    kind = change.kind
    hidden = {name: values.get(name, "") for name in FIELDS[kind]}
    hidden.update(actie=values.get("actie", ""), versie=str(report["version"]))
    dossier = request.path_params["dossier"]
    return staff_page(request, staff, "agreement_preview.html", status, dossier=dossier, w=TEXT[lang],
                      what=what_changes(change, lang), lines=consequence({**report, "new": str(change.amount)}, lang), changes=report["changes"],
                      hidden=hidden, stale=stale, action=_path(dossier), back=f"{BASE}/huishoudens/{dossier}")


def _read(kind: str, values: dict[str, str], household: Household, errors: dict[str, str],
          lang: str) -> Change | None:
    """The change the form asks for, each field checked; None with `errors` by field."""
    words, labels = TEXT[lang], LABELS[lang]

    def fail(name: str, key: str) -> None:
        errors.setdefault(name, f"{labels[name]}: {words[key]}")

    agreement = None
    if kind in AGREEMENT_FIELD:
        agreement = values.get(AGREEMENT_FIELD[kind], "")
        if agreement not in household.agreements:
            fail(AGREEMENT_FIELD[kind], "agreement_bad")
    amount = _amount(values.get("bedrag", ""), fail) if kind == AMOUNT else None
    pay_day: int | str | None = None
    if kind == PAY_DAY:
        text = values.get("betaaldag", "")
        pay_day = int(text) if text.isdigit() and 1 <= int(text) <= 28 else text if text == LAST else None
        if pay_day is None:
            fail("betaaldag", "pay_day_bad")
    day = _day(values.get(DAY_FIELD[kind], ""), DAY_FIELD[kind], fail)
    if errors or day is None:
        return None
    return Change(kind, day, agreement=agreement, amount=amount, pay_day=pay_day)


def _amount(text: str, fail: Any) -> Money | None:
    cleaned = text.replace("€", "").replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d{2}|\d+,\d{2}", cleaned):  # Dutch: 1.320,50 or 735,00
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"\d{1,9}\.\d{2}", cleaned):
        fail("bedrag", "amount_bad")
        return None
    try:
        money = Money(cleaned)
    except MoneyError:
        fail("bedrag", "amount_bad")
        return None
    if not money.is_positive:
        fail("bedrag", "amount_zero")
        return None
    return money


def _day(text: str, name: str, fail: Any) -> date | None:
    dutch = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{4})", text)
    try:
        day = date(int(dutch[3]), int(dutch[2]), int(dutch[1])) if dutch else date.fromisoformat(text)
    except ValueError:
        fail(name, "day_bad")
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) and not dutch:
        fail(name, "day_bad")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        fail(name, "day_range")
        return None
    return day

