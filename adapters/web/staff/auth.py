"""Signing in (e-mail, password, TOTP code) and out of the staff web app; signing in
through an OpenID Connect provider is oidc.py.

The sign-in form carries a CSRF token of its own (double-submit: the same random value in
a cookie and in the form), so another site cannot sign a browser in to an account of its
choosing. A failed sign-in counts in the API's failed-sign-in limiter, per client and per
e-mail address tried; past its limit the page says to wait, whatever is typed.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from huishoudboekje import users
from huishoudboekje.domain.access import AUDITOR, FINANCE, STAFF, TEAMLEAD

from ...api.dependencies import context, refuse_failed
from ...api.errors import Problem
from .core import BASE, COOKIE, back_to, SIGNIN_COOKIE, csrf_ok, new_token, page, sessions, set_cookie, signed_in
from .oidc_provider import provider_of

router = APIRouter(include_in_schema=False)
NOTICES = ("signed_out", "expired")
WEB_ROLES = (STAFF, TEAMLEAD, AUDITOR, FINANCE)


def signin_form(request: Request, status: int = 200, error: str | None = None, email: str = "",
                naar: str | None = None) -> Response:
    """The sign-in page (with an error's message, if any): the password form, and the
    provider's button where OpenID Connect sign-in is set (oidc.py). `naar`: the page to
    return to after signing in, carried in the form."""
    token = new_token()
    target = back_to(naar if naar is not None else request.query_params.get("naar"))
    notice = request.query_params.get("melding")
    provider = provider_of(context(request).settings)
    response = page(request, "signin.html", status, signin_csrf=token, error=error, email=email,
                    notice=notice if notice in NOTICES else None,
                    oidc_name=provider.name if provider is not None else None,
                    password_off=provider is not None and provider.only,
                    naar=target if target != f"{BASE}/" else "")
    set_cookie(response, request, SIGNIN_COOKIE, token)
    return response


@router.get(f"{BASE}/inloggen")
def sign_in_form(request: Request) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse(f"{BASE}/", status_code=303)
    return signin_form(request)


@router.post(f"{BASE}/inloggen")
def sign_in(request: Request, email: str = Form(""), password: str = Form(""), code: str = Form(""),
            csrf: str = Form(""), naar: str = Form("")) -> Response:
    ctx = context(request)
    email, password, code = email[:200], password[:1000], code[:20]
    if not csrf_ok(csrf, request.cookies.get(SIGNIN_COOKIE) or ""):
        return signin_form(request, 400, "csrf_failed", email, naar)
    provider = provider_of(ctx.settings)
    if provider is not None and provider.only:  # HHB_OIDC_ONLY: through the provider only
        return signin_form(request, 403, "oidc_password_off")
    checked = users.check_sign_in(ctx.engine, email, password, code)
    account = checked[0] if checked is not None else None
    if account is not None and account.role not in WEB_ROLES:
        account = None  # a job's account works through the API, not here
    if account is not None and checked is not None and not sessions(ctx).claim_step(account.name, checked[1]):
        account = None  # this code was used already
    if account is None:
        try:
            refuse_failed(request, ctx, email.strip().casefold())
        except Problem:
            return signin_form(request, 429, "signin_many", email, naar)
        return signin_form(request, 401, "signin_failed", email, naar)
    secret, _ = sessions(ctx).start(account.name)
    response = RedirectResponse(back_to(naar), status_code=303)
    set_cookie(response, request, COOKIE, secret)
    response.delete_cookie(SIGNIN_COOKIE, path=BASE)
    return response


@router.post(f"{BASE}/uitloggen")
def sign_out(request: Request, csrf: str = Form("")) -> Response:
    staff = signed_in(request)
    if staff is None:
        return RedirectResponse(f"{BASE}/inloggen", status_code=303)
    if not csrf_ok(csrf, staff.session.csrf):
        return RedirectResponse(f"{BASE}/", status_code=303)
    sessions(staff.ctx).end(request.cookies.get(COOKIE))
    response = RedirectResponse(f"{BASE}/inloggen?melding=signed_out", status_code=303)
    response.delete_cookie(COOKIE, path=BASE)
    return response
