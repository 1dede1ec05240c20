"""The participant's page: what is left this month, in plain words, without JavaScript.

Routes (all server-rendered HTML, Jinja2, no scripts at all):

    GET /p/{token}                      the page; ?lang=en for English, ?date=YYYY-MM-DD for demos
    GET /p/{token}/overzicht?month=M    the printable monthly overview (default: this cycle's month)
    GET /p/static/{name}                the stylesheet and icon (no token, cacheable)

The token in the URL is the only credential, so every response says `Referrer-Policy:
no-referrer` and `Cache-Control: no-store`, and every link on the page is relative: the
token never leaves for another site. An unknown, expired or revoked link gets a friendly
page (404), not a JSON problem.

Everything a person reads is prepared here (`view_model`) from `what_is_left`, so the
templates only lay it out; the words are in `MESSAGES`, Dutch at B1 level and English.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader

from huishoudboekje.domain.household import Household
from huishoudboekje.domain.money import Money
from huishoudboekje.followup import monthly_overview
from huishoudboekje.projections.left import cycle_of, left_this_month, what_is_left
from huishoudboekje.projections.views import Projections
from huishoudboekje.projections.wording import MONTHS

from ..api.dependencies import Context, context, participant_principal, refuse_failed
from ..api.errors import Problem
from ..overview import render_html

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANGS = ("nl", "en")
LANG_COOKIE = "hhb_lang"
CATCH_UP_EVERY = 2.0  # seconds: how often one process brings the read models up to date
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-]{1,128}")
MONTH_SHAPE = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")  # the years of FIRST_DAY to LAST_DAY
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)

router = APIRouter(include_in_schema=False)

_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)

# -- words ----------------------------------------------------------------------------------

WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
LABELS = {  # agreement ids and categories as a person says them
    "nl": {"huur": "Huur", "energie": "Energie", "water": "Water", "stadsverwarming": "Stadsverwarming",
           "zorgverzekering": "Zorgverzekering", "gemeentelijke-belastingen": "Gemeentelijke belastingen",
           "belastingen": "Gemeentelijke belastingen", "bijstand": "Bijstand", "toeslag": "Toeslag",
           "zorgtoeslag": "Zorgtoeslag", "huurtoeslag": "Huurtoeslag",
           "kindgebonden-budget": "Kindgebonden budget", "loon": "Loon", "salaris": "Salaris",
           "uitkering": "Uitkering", "kinderbijslag": "Kinderbijslag", "alimentatie": "Alimentatie",
           "overig": "Overig"},
    "en": {"huur": "Rent", "energie": "Energy", "water": "Water", "stadsverwarming": "District heating",
           "zorgverzekering": "Health insurance", "gemeentelijke-belastingen": "Municipal taxes",
           "belastingen": "Municipal taxes", "bijstand": "Social assistance", "toeslag": "Allowance",
           "zorgtoeslag": "Healthcare allowance", "huurtoeslag": "Housing allowance",
           "kindgebonden-budget": "Child budget", "loon": "Wages", "salaris": "Salary",
           "uitkering": "Benefit", "kinderbijslag": "Child benefit", "alimentatie": "Alimony",
           "overig": "Other"},
}

MESSAGES: dict[str, dict[str, str]] = {
    "nl": {
        "brand": "Huishoudboekje",
        "title": "Uw leefgeld",
        "skip": "Naar de inhoud",
        "switch": "English",
        "switch_lang": "en",
        "hello": "Hallo {name}",
        "hero_to_come": "Nog te krijgen deze maand",
        "hero_paid": "Dit is uw leefgeld voor deze maand",
        "hero_upcoming": "Uw volgende leefgeld is ongeveer",
        "upcoming_detail": "Op die dag ziet u hier het precieze bedrag.",
        "hero_none": "Uw leefgeld voor deze maand",
        "next": "Volgend leefgeld: {day}",
        "next_amount": "U krijgt dan {amount}.",
        "next_expected": "Wij verwachten dan ongeveer {amount}.",
        "already": "U kreeg deze maand al {amount}.",
        "paid_on": "Op uw rekening gezet op {day}.",
        "none_left": "Deze maand bleef er na de vaste lasten geen geld over voor leefgeld.",
        "updated": "Bijgewerkt op {day}",
        "updated_never": "Er zijn nog geen bankgegevens verwerkt.",
        "parts": "Uw leefgeld per week",
        "part_paid": "Op uw rekening gezet",
        "part_coming": "Komt nog",
        "part_returned": "Niet gelukt. Neem contact op met uw wijkteam.",
        "came_in": "Wat er binnenkwam",
        "came_in_none": "Er is nog geen geld binnengekomen.",
        "expected": "Wat we nog verwachten",
        "in_received": "Binnengekomen op {day}",
        "in_more": "Binnengekomen op {day}. Dat is meer dan de {expected} die we verwachtten.",
        "in_less": "Binnengekomen op {day}. Dat is minder dan de {expected} die we verwachtten.",
        "in_expected": "Verwacht op {day}",
        "in_late": "Nog niet binnen. Het werd verwacht op {day}.",
        "in_missing": "Niet binnengekomen. Het werd verwacht op {day}.",
        "charges": "Wat wij voor u betalen",
        "charges_none": "Deze maand hoeven wij niets voor u te betalen.",
        "ch_paid": "Betaald op {day}",
        "ch_will": "Wordt betaald op {day}",
        "ch_before": "Wij betalen dit vóór {day}",
        "ch_pending": "Wordt nog betaald",
        "ch_returned": "De betaling is teruggekomen. Neem contact op met uw wijkteam.",
        "ch_arrears": "Nog niet betaald: er was niet genoeg geld. Wij betalen dit zodra het kan.",
        "saving": "Wij sparen voor u",
        "saving_intro": "Sommige rekeningen komen niet elke maand. Daar zetten wij elke maand een deel voor opzij.",
        "saved": "{amount} gespaard",
        "owed_title": "Geld van de gemeente",
        "owed": "U moet nog {amount} terugbetalen aan de gemeente. Dat gaat vanzelf.",
        "owed_minimum": "Door het terugbetalen krijgt u nooit minder dan {amount} leefgeld.",
        "shortfall": "Let op: volgende maand komt er misschien te weinig geld binnen voor alle vaste lasten.",
        "questions": "Heeft u vragen? Neem contact op met {team}.",
        "questions_plain": "Heeft u vragen? Neem contact op met uw wijkteam.",
        "print_title": "Overzicht om te printen",
        "print_month": "Overzicht van {month}",
        "back": "Terug naar uw leefgeld",
        "nf_title": "Deze link werkt niet",
        "nf_text": "Misschien is de link verlopen of gestopt. Of er ging iets mis bij het overnemen.",
        "nf_ask": "Vraag uw wijkteam om een nieuwe link.",
        "many_title": "Even wachten",
        "many_text": "Er is te vaak een verkeerde link geprobeerd. Wacht een minuut en probeer het opnieuw.",
        "wait_title": "Even geduld",
        "wait_text": "Uw gegevens worden nu klaargezet. Probeer het over een paar minuten opnieuw.",
        "bad_title": "Deze pagina bestaat niet",
        "bad_text": "Controleer de datum of maand in de link.",
        "error_title": "Er ging iets mis",
        "error_text": "Probeer het later nog eens. Lukt het dan nog niet? Neem contact op met uw wijkteam.",
        "root_title": "Uw persoonlijke link",
        "root_text": "Gebruik de link die u van uw wijkteam kreeg. Die link is alleen voor u.",
        "amount_label": "Bedrag",
    },
    "en": {
        "brand": "Huishoudboekje",
        "title": "Your leefgeld",
        "skip": "Skip to content",
        "switch": "Nederlands",
        "switch_lang": "nl",
        "hello": "Hello {name}",
        "hero_to_come": "Still to come this month",
        "hero_paid": "This is your leefgeld (money to live on) for this month",
        "hero_upcoming": "Your next leefgeld (money to live on) is about",
        "upcoming_detail": "On that day you will see the exact amount here.",
        "hero_none": "Your leefgeld (money to live on) for this month",
        "next": "Next leefgeld: {day}",
        "next_amount": "You will get {amount}.",
        "next_expected": "We expect about {amount}.",
        "already": "You already got {amount} this month.",
        "paid_on": "Paid into your account on {day}.",
        "none_left": "This month no money was left for leefgeld after the fixed bills.",
        "updated": "Updated on {day}",
        "updated_never": "No bank information has been processed yet.",
        "parts": "Your leefgeld per week",
        "part_paid": "Paid into your account",
        "part_coming": "Still to come",
        "part_returned": "This did not work. Please contact your neighbourhood team.",
        "came_in": "What came in",
        "came_in_none": "No money has come in yet.",
        "expected": "What we still expect",
        "in_received": "Received on {day}",
        "in_more": "Received on {day}. This is more than the {expected} we expected.",
        "in_less": "Received on {day}. This is less than the {expected} we expected.",
        "in_expected": "Expected on {day}",
        "in_late": "Not in yet. It was expected on {day}.",
        "in_missing": "Did not come in. It was expected on {day}.",
        "charges": "What we pay for you",
        "charges_none": "We do not need to pay anything for you this month.",
        "ch_paid": "Paid on {day}",
        "ch_will": "Will be paid on {day}",
        "ch_before": "We will pay this before {day}",
        "ch_pending": "Will be paid",
        "ch_returned": "The payment came back. Please contact your neighbourhood team.",
        "ch_arrears": "Not paid yet: there was not enough money. We will pay it as soon as we can.",
        "saving": "We save for you",
        "saving_intro": "Some bills do not come every month. We put part of the money aside every month.",
        "saved": "{amount} saved",
        "owed_title": "Money from the municipality",
        "owed": "You still have to pay back {amount} to the municipality. This happens automatically.",
        "owed_minimum": "Paying it back never leaves you with less than {amount} leefgeld.",
        "shortfall": "Please note: next month there may not be enough money coming in for all fixed bills.",
        "questions": "Any questions? Please contact {team}.",
        "questions_plain": "Any questions? Please contact your neighbourhood team.",
        "print_title": "Overview to print",
        "print_month": "Overview of {month}",
        "back": "Back to your leefgeld",
        "nf_title": "This link does not work",
        "nf_text": "The link may have expired or been stopped. Or something went wrong when it was copied.",
        "nf_ask": "Ask your neighbourhood team for a new link.",
        "many_title": "Please wait",
        "many_text": "A wrong link was tried too often. Wait a minute and try again.",
        "wait_title": "Please be patient",
        "wait_text": "Your information is being prepared. Please try again in a few minutes.",
        "bad_title": "This page does not exist",
        "bad_text": "Please check the date or month in the link.",
        "error_title": "Something went wrong",
        "error_text": "Please try again later. If it still does not work, please contact your neighbourhood team.",
        "root_title": "Your personal link",
        "root_text": "Use the link you got from your neighbourhood team. That link is only for you.",
        "amount_label": "Amount",
    },
}


# -- formatting -------------------------------------------------------------------------------


def money(amount: Money | str, lang: str) -> str:
    """€ 1.234,56 in Dutch, €1,234.56 in English."""
    value = Money(amount) if not isinstance(amount, Money) else amount
    whole, cents = f"{abs(value.amount):.2f}".split(".")
    grouped = f"{int(whole):,}"
    sign = "-" if value.amount < 0 else ""
    if lang == "en":
        return f"{sign}€{grouped}.{cents}"
    return f"{sign}€\u00a0{grouped.replace(',', '.')},{cents}"


def day_words(day: date | str, lang: str, *, weekday: bool = True, year: bool | None = None,
              today: date | None = None) -> str:
    """'maandag 8 december' / 'Monday 8 December'; the year only when asked or not this year."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    show_year = year if year is not None else (today is not None and day.year != today.year)
    text = f"{day.day} {MONTHS[lang][day.month - 1]}"
    if show_year:
        text += f" {day.year}"
    if weekday:
        text = f"{WEEKDAYS[lang][day.weekday()]} {text}"
    return text


def month_words(first: date, lang: str) -> str:
    return f"{MONTHS[lang][first.month - 1]} {first.year}"


def label(agreement: str, category: str, lang: str) -> str:
    labels = LABELS[lang]
    key = agreement.lower().replace("_", "-")
    if key in labels:
        return labels[key]
    return labels.get(category, category.replace("-", " ").capitalize())


# -- what a person reads ----------------------------------------------------------------------


@dataclass
class Row:
    title: str
    amount: str
    status: str
    tone: str = "done"  # done | coming | attention
    who: str = ""


@dataclass
class Hero:
    kind: str  # to-come | paid | upcoming | none
    label: str
    amount: Money
    amount_text: str
    about: list[str] = field(default_factory=list)  # sentences about the big number
    next_line: str = ""  # when the next leefgeld comes
    next_detail: str = ""


def headline(left: dict[str, Any], ran: bool = True) -> tuple[str, Money]:
    """The one number at the top, and what it means.

    Leefgeld still to come this cycle (`left_this_month`) while there is any; once all of
    it is paid, what was paid this cycle ("this is your leefgeld for this month"); when
    this cycle's pay date has not been run (before the household's first pay date), the
    leefgeld the forecast expects on the next one.
    """
    scheduled = left_this_month(left)
    paid = Money(left["leefgeld"]["paid"])
    if scheduled.is_positive:
        return "to-come", scheduled
    if paid.is_positive:
        return "paid", paid
    if not ran and not left["leefgeld"]["parts"]:
        return "upcoming", Money(left["forecast"]["expected_leefgeld"])
    return "none", Money.zero()


def cycle_ran(household: Household, left: dict[str, Any]) -> bool:
    """Whether the pay date of the cycle shown has been run for this household."""
    pay_date = date.fromisoformat(left["cycle"]["pay_date"])
    return (pay_date >= household.start and household.last_pay_date is not None
            and pay_date <= household.last_pay_date)


def view_model(household: Household, left: dict[str, Any], lang: str, as_of: date) -> dict[str, Any]:
    m = MESSAGES[lang]

    def eur(value: Money | str) -> str:
        return money(value, lang)

    def day(value: date | str, weekday: bool = True) -> str:
        return day_words(value, lang, weekday=weekday, today=as_of)

    parts = left["leefgeld"]["parts"]
    kind, amount = headline(left, cycle_ran(household, left))
    forecast = left["forecast"]
    hero = Hero(kind, m[{"to-come": "hero_to_come", "paid": "hero_paid", "upcoming": "hero_upcoming",
                         "none": "hero_none"}[kind]], amount, eur(amount))
    coming = [p for p in parts if p["date"] > as_of.isoformat()]  # what `scheduled` adds up
    expected_next = Money(forecast["expected_leefgeld"])
    if kind == "to-come":
        first = min(coming, key=lambda p: p["date"])
        paid = Money(left["leefgeld"]["paid"])
        if paid.is_positive:
            hero.about.append(m["already"].format(amount=eur(paid)))
        hero.next_line = m["next"].format(day=day(first["date"]))
        hero.next_detail = m["next_amount"].format(amount=eur(first["amount"]))
    elif kind == "upcoming":  # the earlier of: the next unpaid pay date, the end of the cycle shown
        hero.next_line = m["next"].format(day=day(min(forecast["next_pay_date"], left["cycle"]["next_pay_date"])))
        hero.next_detail = m["upcoming_detail"]
    else:
        done = [p for p in parts if p["status"] in ("paid", "confirmed")]
        if kind == "paid" and done:
            hero.about.append(m["paid_on"].format(day=day(max(p["date"] for p in done))))
        if kind == "none":
            hero.about.append(m["none_left"])
        hero.next_line = m["next"].format(day=day(left["cycle"]["next_pay_date"]))
        if expected_next.is_positive:
            hero.next_detail = m["next_expected"].format(amount=eur(expected_next))
    # An income that came late and was used after all (projections/wording.py says it).
    hero.about.extend(done["text"][lang] for done in left.get("supplements", []))
    if forecast.get("supplement"):
        hero.about.append(forecast["supplement"]["text"][lang])

    part_rows = []
    if len(parts) > 1 or any(p["status"] == "returned" for p in parts):
        for p in parts:
            status, tone = {"paid": (m["part_paid"], "done"), "confirmed": (m["part_paid"], "done"),
                            "returned": (m["part_returned"], "attention")}.get(
                p["status"], (m["part_coming"], "coming"))
            part_rows.append(Row(day(p["date"]), eur(p["amount"]), status, tone))

    came_in, expected = [], []
    for income in left["incomes"]:
        title = label(income["agreement"], income["category"], lang)
        status = income["status"]
        if status in ("received", "deviating"):
            text = m["in_received"].format(day=day(income["received_on"], weekday=False))
            tone = "done"
            if status == "deviating":
                more = Money(income["received"]) > Money(income["expected"])
                text = m["in_more" if more else "in_less"].format(
                    day=day(income["received_on"], weekday=False), expected=eur(income["expected"]))
                tone = "done" if more else "attention"
            came_in.append(Row(title, eur(income["received"]), text, tone, income["counterparty"]))
        else:
            key, tone = {"late": ("in_late", "attention"), "missing": ("in_missing", "attention")}.get(
                status, ("in_expected", "coming"))
            expected.append(Row(title, eur(income["expected"]), m[key].format(day=day(income["date"], weekday=False)),
                                tone, income["counterparty"]))

    charges = []
    for charge in left["charges"]:
        status = charge["status"]
        if status in ("paid", "confirmed"):
            text, tone = m["ch_paid"].format(day=day(charge["paid_on"] or charge["due"], weekday=False)), "done"
        elif status == "returned":
            text, tone = m["ch_returned"], "attention"
        elif status == "in-arrears":
            text, tone = m["ch_arrears"], "attention"
        elif charge["paid_on"]:
            text, tone = m["ch_will"].format(day=day(charge["paid_on"], weekday=False)), "coming"
        elif charge["due"] >= as_of.isoformat():
            text, tone = m["ch_before"].format(day=day(charge["due"], weekday=False)), "coming"
        else:
            text, tone = m["ch_pending"], "coming"
        charges.append(Row(label(charge["agreement"], charge["category"], lang), eur(charge["amount"]), text, tone,
                           charge["counterparty"]))

    categories = {a.id: a.category for a in household.agreements.values()}
    saving = [Row(label(agreement, categories.get(agreement, agreement), lang), eur(amount),
                  m["saved"].format(amount=eur(amount)))
              for agreement, amount in left["reserves"].items() if Money(amount).is_positive]

    owed = Money(left["buffer_owed"])
    team = household.team or ""
    return {
        "hero": hero,
        "updated": (m["updated"].format(day=day_words(left["data_as_of"], lang, weekday=False, year=True))
                    if left["data_as_of"] else m["updated_never"]),
        "parts": part_rows,
        "came_in": came_in,
        "expected": expected,
        "charges": charges,
        "saving": saving,
        "owed": [m["owed"].format(amount=eur(owed)),
                 m["owed_minimum"].format(amount=eur(household.minimum_leefgeld))] if owed.is_positive else [],
        "shortfall": m["shortfall"] if Money(forecast["shortfall"]).is_positive else "",
        "questions": m["questions"].format(team=team) if team else m["questions_plain"],
    }


# -- plumbing ---------------------------------------------------------------------------------


class _Views:
    """The process's read models, brought up to date at most every few seconds.

    Shares the API's `ctx.views` and `ctx.views_lock` (one catch-up at a time per process);
    a request that finds the lock taken does not wait: it reads what is there.
    """

    def __init__(self, projections: Projections, lock: Any) -> None:
        self.projections = projections
        self._lock = lock
        self._last: float | None = None  # monotonic seconds of the last catch-up

    def fresh(self) -> Projections:
        due = self._last is None or time.monotonic() - self._last >= CATCH_UP_EVERY
        if due and self._lock.acquire(blocking=False):
            try:
                self._last = time.monotonic()
                self.projections.catch_up()
            except IntegrityError:
                pass  # another process projected the same events first: they are there
            except Exception:  # noqa: BLE001 - a stale page beats no page
                log.warning("catching up the read models failed; serving what is there", exc_info=True)
            finally:
                self._lock.release()
        return self.projections


_views_lock = threading.Lock()


def _views(ctx: Context) -> _Views:
    views = getattr(ctx, "participant_views", None)
    if views is None:
        with _views_lock:
            views = getattr(ctx, "participant_views", None)
            if views is None:
                projections = getattr(ctx, "views", None) or Projections(ctx.engine)
                views = _Views(projections, getattr(ctx, "views_lock", None) or threading.Lock())
                ctx.participant_views = views  # type: ignore[attr-defined]
    return views


def _csp(style: str = "'self'") -> str:
    return ("default-src 'none'; style-src " + style + "; img-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")


def security_headers(response: Response, style: str = "'self'") -> Response:
    response.headers["Content-Security-Policy"] = _csp(style)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Vary"] = "Cookie"
    return response


def _lang(request: Request) -> tuple[str, bool]:
    """The language, and whether it was chosen now (then it is remembered in a cookie)."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    return (remembered if remembered in LANGS else "nl"), False


def _remember(response: Response, request: Request, lang: str) -> None:
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/p", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def _html(template: str, status: int = 200, style: str = "'self'", **values: Any) -> HTMLResponse:
    lang = values.get("lang", "nl")
    body = _env.get_template(template).render(t=MESSAGES[lang], **values)
    return security_headers(HTMLResponse(body, status_code=status), style)


def _problem_page(lang: str, status: int, title: str, text: list[str], static: str) -> HTMLResponse:
    response = _html("problem.html", status, lang=lang, title=title, lines=text, static=static)
    if status == 429:
        response.headers["Retry-After"] = "60"
    if status == 503:
        response.headers["Retry-After"] = "120"
    return response


def _refused(exc: Problem, lang: str, static: str) -> HTMLResponse:
    m = MESSAGES[lang]
    if exc.status == 429:
        return _problem_page(lang, 429, m["many_title"], [m["many_text"]], static)
    return _problem_page(lang, 404, m["nf_title"], [m["nf_text"], m["nf_ask"]], static)


def _who(request: Request, token: str, ctx: Context):
    """The participant behind the link, or Problem(404/429); malformed tokens count as failures."""
    if not TOKEN_SHAPE.fullmatch(token):
        refuse_failed(request, ctx, token)
        raise Problem(404, "Not found", "this link is unknown, expired or revoked")
    return participant_principal(request, token, ctx)


def _as_of(request: Request) -> date | None:
    given = request.query_params.get("date")
    if not given:
        return date.today()
    try:
        day = date.fromisoformat(given) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", given) else None
    except ValueError:
        return None
    # the API's BusinessDate range: far outside any household's life the calendar overflows
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def _query(**params: str | None) -> str:
    kept = {k: v for k, v in params.items() if v}
    return "?" + urlencode(kept) if kept else ""


# -- routes -----------------------------------------------------------------------------------

STATIC = {"participant.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml"}
_static_cache: dict[str, bytes] = {}


@router.get("/p/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC:
        return security_headers(Response("not found", status_code=404, media_type="text/plain"))
    if name not in _static_cache:
        _static_cache[name] = (HERE / "static" / name).read_bytes()
    response = Response(_static_cache[name], media_type=STATIC[name])
    security_headers(response)
    response.headers["Cache-Control"] = "public, max-age=3600"
    del response.headers["Vary"]
    return response


@router.get("/p")
@router.get("/p/")
def no_token(request: Request) -> HTMLResponse:
    lang, _ = _lang(request)
    m = MESSAGES[lang]
    static = "static/" if request.url.path.endswith("/") else "p/static/"
    return _problem_page(lang, 404, m["root_title"], [m["root_text"]], static)


@router.get("/p/{token}")
def participant_page(request: Request, token: str) -> Response:
    try:
        return _participant_page(request, token)
    except Exception:  # noqa: BLE001 - a person gets a calm page, staff get the log
        log.exception("the participant page failed")
        return _failed(request, "static/")


@router.get("/p/{token}/overzicht")
def printable_overview(request: Request, token: str) -> Response:
    try:
        return _printable_overview(request, token)
    except Exception:  # noqa: BLE001
        log.exception("the printable overview failed")
        return _failed(request, "../static/")


def _failed(request: Request, static: str) -> HTMLResponse:
    lang, _ = _lang(request)
    m = MESSAGES[lang]
    return _problem_page(lang, 500, m["error_title"], [m["error_text"]], static)


@dataclass(frozen=True)
class _Visit:
    """A participant's request that passed its checks: who, in which language, as of when."""

    ctx: Context
    lang: str
    chosen: bool
    principal: Any
    as_of: date
    static: str

    @property
    def m(self) -> dict[str, str]:
        return MESSAGES[self.lang]

    def refuse(self, status: int, key: str) -> HTMLResponse:
        return _problem_page(self.lang, status, self.m[f"{key}_title"], [self.m[f"{key}_text"]], self.static)

    def finish(self, request: Request, response: Response) -> Response:
        if self.chosen:
            _remember(response, request, self.lang)
        return response


def _visit(request: Request, token: str, static: str, valid: bool = True) -> _Visit | Response:
    """Check the link and the query; a refusal comes back as the page to show."""
    ctx = context(request)
    lang, chosen = _lang(request)
    try:
        principal = _who(request, token, ctx)
    except Problem as exc:
        return _refused(exc, lang, static)
    as_of = _as_of(request)
    if as_of is None or not valid:
        m = MESSAGES[lang]
        return _problem_page(lang, 404, m["bad_title"], [m["bad_text"]], static)
    return _Visit(ctx, lang, chosen, principal, as_of, static)


def _participant_page(request: Request, token: str) -> Response:
    visit = _visit(request, token, "static/")
    if not isinstance(visit, _Visit):
        return visit
    ctx, lang, m, as_of, principal, static = visit.ctx, visit.lang, visit.m, visit.as_of, visit.principal, visit.static
    views = _views(ctx).fresh()
    household = views.household(principal.dossier or "")
    if household is None:
        return visit.refuse(503, "wait")
    account = household.account or ctx.settings.default_account
    left = what_is_left(household, as_of, views.data_as_of(account))
    model = view_model(household, left, lang, as_of)
    date_param = request.query_params.get("date")
    this_month = date.fromisoformat(left["cycle"]["pay_date"]).replace(day=1)
    last_month = date.fromordinal(this_month.toordinal() - 1).replace(day=1)
    overviews = [{"href": f"{token}/overzicht" + _query(month=f"{mo:%Y-%m}", lang=lang if lang != "nl" else None,
                                                       date=date_param),
                  "text": m["print_month"].format(month=month_words(mo, lang))}
                 for mo in (this_month, last_month) if mo == this_month or mo >= household.start.replace(day=1)]
    other = m["switch_lang"]
    response = _html("participant.html", lang=lang, static=static, name=principal.name, model=model,
                     hero=model["hero"], overviews=overviews,
                     switch_href=_query(lang=other, date=date_param), switch_lang=other)
    return visit.finish(request, response)


def _printable_overview(request: Request, token: str) -> Response:
    month = request.query_params.get("month")
    visit = _visit(request, token, "../static/", valid=not month or bool(MONTH_SHAPE.fullmatch(month)))
    if not isinstance(visit, _Visit):
        return visit
    ctx, lang, as_of, principal = visit.ctx, visit.lang, visit.as_of, visit.principal
    if not month:
        household = _views(ctx).fresh().household(principal.dossier or "")
        if household is None:
            return visit.refuse(503, "wait")
        month = f"{cycle_of(household, as_of)[0]:%Y-%m}"
    overview = monthly_overview(ctx.engine, principal.dossier or "", month)
    if lang == "nl":
        html = render_html(overview, made_on=as_of)
        styles = re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S)
        hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                          for s in styles)
        response: Response = security_headers(HTMLResponse(html), hashes or "'none'")
    else:
        response = _overview_en(overview, as_of, token, request.query_params.get("date"))
    return visit.finish(request, response)


def _overview_en(overview: dict[str, Any], as_of: date, token: str, date_param: str | None) -> HTMLResponse:
    def what(value: str) -> str:
        return label(value, value, "en")

    rows_in = [{"date": day_words(r["date"], "en", weekday=False, year=True), "what": what(r["what"]),
                "from": r["from"], "amount": money(r["amount"], "en")} for r in overview["came_in"]]
    rows_paid = [{"date": day_words(r["date"], "en", weekday=False, year=True), "to": r["to"],
                  "what": what(r["what"]) + (" (was overdue)" if r["kind"] == "arrears" else ""),
                  "amount": money(r["amount"], "en")} for r in overview["paid"]]
    rows_leefgeld = [{"date": day_words(r["date"], "en", weekday=False, year=True),
                      "amount": money(r["amount"], "en")} for r in overview["leefgeld"]]
    return _html("overview_en.html", lang="en", static="../static/", o=overview,
                 month_name=month_words(overview["month"], "en"),
                 made_on=day_words(as_of, "en", weekday=False, year=True),
                 rows_in=rows_in, rows_paid=rows_paid, rows_leefgeld=rows_leefgeld,
                 total_in=money(overview["total_in"], "en"), total_paid=money(overview["total_paid"], "en"),
                 total_leefgeld=money(overview["total_leefgeld"], "en"),
                 advanced=money(overview["advanced"], "en") if overview["advanced"].is_positive else "",
                 repaid=money(overview["repaid"], "en") if overview["repaid"].is_positive else "",
                 owed=money(overview["buffer_owed"], "en") if overview["buffer_owed"].is_positive else "",
                 back_href="../" + token + _query(lang="en", date=date_param))
