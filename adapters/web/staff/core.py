"""The staff web app's plumbing: templates, languages, the signed-in person, CSRF.

A visit is signed in by the `hhb_staff` cookie (HttpOnly, SameSite=Strict, path
/medewerker): the secret of a row in `staff_sessions` (sessions.py). The person is their
staff account, read anew on every request, so a disabled account is out at once; what
they may see follows the API's roles (`adapters/api/dependencies.py`: `may_see`,
`visible`), through a `Principal` like the API's with the account's role, name and team.
Every form carries the session's CSRF token; a POST whose token is missing or another
session's changes nothing.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context

from huishoudboekje import users
from huishoudboekje.access import Principal

from ...api.dependencies import Context, context
from ..participant import security_headers
from .sessions import SessionStore, StaffSession
from .words import MESSAGES, NAMES_OF, short_day

HERE = Path(__file__).resolve().parent
BASE = "/medewerker"
COOKIE = "hhb_staff"
SIGNIN_COOKIE = "hhb_staff_signin"  # the sign-in form's CSRF token, before there is a session
LANG_COOKIE = "hhb_staff_lang"
LANGS = ("nl", "en")

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                  lstrip_blocks=True)
env.filters["day"] = pass_context(lambda values, day: short_day(day, values.get("lang", "nl")))
env.globals.update(base=BASE, **NAMES_OF["nl"])

_lock = threading.Lock()


def sessions(ctx: Context) -> SessionStore:
    """The process's session store, made on first use (its table created if missing)."""
    store = getattr(ctx, "staff_sessions", None)
    if store is None:
        with _lock:
            store = getattr(ctx, "staff_sessions", None)
            if store is None:
                store = SessionStore.beside(dict(ctx.engine.env), ctx.settings.staff_session_minutes)
                ctx.staff_sessions = store  # type: ignore[attr-defined]
    return store


def lang_of(request: Request) -> tuple[str, bool]:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    return (remembered if remembered in LANGS else "nl"), False


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=BASE, httponly=True, samesite="strict",
                        secure=secure(request))


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    lang, chosen = lang_of(request)
    other = "en" if lang == "nl" else "nl"
    kept = {k: v for k, v in request.query_params.items() if k != "lang"}
    body = env.get_template(template).render(
        t=MESSAGES[lang], lang=lang, switch_href="?" + urlencode({**kept, "lang": other}),
        **{**NAMES_OF[lang], **values})
    response = security_headers(HTMLResponse(body, status_code=status))
    # forms post to our own pages only
    response.headers["Content-Security-Policy"] = response.headers["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'")
    if chosen:
        set_cookie(response, request, LANG_COOKIE, lang, 365 * 24 * 3600)
    return response


@dataclass(frozen=True)
class Staff:
    """A signed-in visit: who, their session, and the process's context."""

    ctx: Context
    principal: Principal
    session: StaffSession

    @property
    def actor(self) -> str:
        return self.principal.actor  # "staff:Anna Jansen", as the API records its callers

    @property
    def role(self) -> str:
        return self.principal.role


def signed_in(request: Request) -> Staff | None:
    ctx = context(request)
    session = sessions(ctx).find(request.cookies.get(COOKIE))
    if session is None:
        return None
    account = users.account(ctx.engine, session.name)
    if account is None:  # disabled since
        return None
    principal = Principal(role=account.role, name=account.name, team=account.team, dossier=None,
                          credential="session")
    return Staff(ctx, principal, session)


def to_sign_in(request: Request, reason: str | None = None) -> RedirectResponse:
    """To the sign-in page; a page asked for with GET is where signing in returns to (a
    coach whose session timed out on a household page lands on it again)."""
    params = {"melding": reason} if reason else {}
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and back_to(asked) != f"{BASE}/":
        params["naar"] = asked
    query = "?" + urlencode(params) if params else ""
    return RedirectResponse(f"{BASE}/inloggen{query}", status_code=303)


def back_to(asked: str | None) -> str:
    """Where to go after signing in: a page of this app only, never another site (the
    value comes from the browser), else the werkvoorraad."""
    asked = (asked or "")[:500]
    ours = asked.startswith(f"{BASE}/") and not asked.startswith(f"{BASE}/inloggen")
    if not ours or any(c in asked for c in "\\\r\n\t") or "//" in asked or "/.." in asked:
        return f"{BASE}/"
    return asked


def csrf_ok(given: str | None, expected: str) -> bool:
    # as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500)
    return bool(given) and hmac.compare_digest(str(given).encode("utf-8", "replace"),
                                               expected.encode("utf-8", "replace"))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def staff_page(request: Request, staff: Staff, template: str, code: int = 200, **values: Any) -> HTMLResponse:
    return page(request, template, code, staff=staff.principal, csrf=staff.session.csrf, **values)


def not_found(request: Request, staff: Staff) -> HTMLResponse:
    return staff_page(request, staff, "problem.html", 404, key="nf")


def forbidden(request: Request, staff: Staff) -> HTMLResponse:
    return staff_page(request, staff, "problem.html", 403, key="forbidden")


def household_for(request: Request, dossier: str, roles: Any) -> tuple[Staff, Any] | Response:
    """The signed-in person and the household of `dossier`, with the read models caught
    up, if one of `roles` may open it; otherwise the page that says why not: the sign-in
    page, 403 for a role that may not, 404 for another team's household as for an unknown one."""
    from ...api.dependencies import visible
    from ...api.errors import Problem
    from ..participant import _views

    staff = signed_in(request)
    if staff is None:
        return to_sign_in(request, "expired" if request.cookies.get(COOKIE) else None)
    if staff.role not in roles:
        return forbidden(request, staff)
    _views(staff.ctx).fresh()
    try:
        return staff, visible(staff.ctx, staff.principal, dossier)
    except Problem:
        return not_found(request, staff)
