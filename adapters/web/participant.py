"""The participant's page: what is left this month, in plain words, without JavaScript.

Routes (all server-rendered HTML, Jinja2, no scripts at all):

    GET /p/{token}                      the page; ?lang=en for English, ?date=YYYY-MM-DD for demos
    GET /p/{token}/overzicht?month=M    the printable monthly overview (default: this cycle's month)
    GET /p/static/{name}                the stylesheet and icon (no token, cacheable)

The token in the URL is the only credential, so every response says `Referrer-Policy:
no-referrer` and `Cache-Control: no-store`, and every link on the page is relative: the
token never leaves for another site. An unknown, expired or revoked link gets a friendly
page (404), not a JSON problem.

Everything a person reads is prepared in `view.py` (`view_model`) from `what_is_left`, so
the templates only lay it out; the words are in `words.py` (`MESSAGES`), Dutch at B1
level and English. This module holds the routes and their plumbing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader

from huishoudboekje import teams as team_service
from huishoudboekje.reports import monthly_overview
from huishoudboekje.projections.left import cycle_of
from huishoudboekje.projections.views import Projections

from ..api.dependencies import Context, context, participant_principal, refuse_failed
from ..api.errors import Problem
from ..overview import render_overview
from .view import view_model
from .words import MESSAGES, month_words

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


# -- plumbing ---------------------------------------------------------------------------------


class _Views:
    """The process's read models (the services'), brought up to date at most every few
    seconds; a request that finds another catching up does not wait: it reads what is there.
    While a projections runner is running (its heartbeat is recent) it is left to the runner.
    """

    def __init__(self, services: Any) -> None:
        self.services = services
        self._last: float | None = None  # monotonic seconds of the last catch-up

    def fresh(self) -> Projections:
        if self.services.runner_running():  # a projections runner keeps them current
            self._last = None  # once it stops, the next request catches up at once
            return self.services.projections
        if self._last is None or time.monotonic() - self._last >= CATCH_UP_EVERY:
            try:
                caught_up = self.services.catch_up(wait=False)
            except Exception:  # noqa: BLE001 - a stale page beats no page
                log.warning("catching up the read models failed; serving what is there", exc_info=True)
                caught_up = True
            if caught_up:
                self._last = time.monotonic()
        return self.services.projections


_views_lock = threading.Lock()


def _views(ctx: Context) -> _Views:
    views = getattr(ctx, "participant_views", None)
    if views is None:
        with _views_lock:
            views = getattr(ctx, "participant_views", None)
            if views is None:
                views = ctx.participant_views = _Views(ctx.services)  # type: ignore[attr-defined]
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
    left = ctx.services.left(household, as_of, with_projection=False)
    model = view_model(household, left, lang, as_of, contact=team_service.contact(ctx.engine, household))
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
        month = f"{cycle_of(household, as_of).pay_date:%Y-%m}"
    overview = monthly_overview(ctx.engine, principal.dossier or "", month, as_of, ctx.services.projections.unreleased)
    date_param = request.query_params.get("date")
    html = render_overview(overview, lang, static="../static/",
                           back_href="../" + token + _query(lang=lang, date=date_param),
                           switch_href=_query(month=month, lang="en" if lang == "nl" else "nl", date=date_param))
    return visit.finish(request, security_headers(HTMLResponse(html)))
