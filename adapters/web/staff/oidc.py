"""Signing in to the staff web app through the municipality's OpenID Connect provider.

Set by HHB_OIDC_ISSUER and HHB_OIDC_CLIENT_ID (HHB_OIDC_CLIENT_SECRET for a confidential
client): the sign-in page then offers "Inloggen via <provider>" beside the password form.
The flow is the authorization code flow with PKCE (S256), a state and a nonce (authlib's
OAuth2Client). With HHB_OIDC_ONLY the password form is off: the provider is the only way in.
They travel in a short-lived cookie of their own, HttpOnly and SameSite=Lax
(the provider's redirect back is a navigation from another site, which a Strict cookie
would miss), so any server process can finish a flow another began.

The id token's signature is checked against the provider's published keys (JWKS; only
asymmetric algorithms), and its issuer, audience, expiry and nonce (authlib's
CodeIDToken, on joserfc). With HHB_OIDC_REQUIRE_MFA (the default) its `amr` or `acr` must
show a second factor: the information-security baseline asks two factors for access to
personal data, as password sign-in's TOTP gives. The person is the enabled staff account
whose e-mail is the token's verified `email`; any refusal writes nothing but the failed-
sign-in limiter's count, and says why in Dutch (or English) on the sign-in page.
"""

from __future__ import annotations

import hmac
import logging
import warnings
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError

with warnings.catch_warnings():  # authlib would rather have httpx2; httpx (pinned) serves as well
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from huishoudboekje import users
from huishoudboekje.domain.staff import StaffAccount

from ...api.dependencies import Context, context, refuse_failed
from ...api.errors import Problem
from .core import BASE, COOKIE, SIGNIN_COOKIE, back_to, page, secure, sessions, set_cookie, signed_in
from .oidc_provider import CALLBACK, Provider, provider_of

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

START = f"{BASE}/inloggen/oidc"
FLOW_COOKIE = "hhb_staff_oidc"
BACK_COOKIE = "hhb_staff_naar"  # the page to return to once signed in (core.back_to)
FLOW_SECONDS = 600  # a sign-in at the provider that takes longer starts again
TIMEOUT = 10.0  # seconds the provider may take to answer
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
# RFC 8176's authentication methods by kind of factor: two kinds make two factors
KNOWLEDGE = {"pwd", "pin", "kba"}
POSSESSION = {"otp", "hwk", "swk", "sms", "tel", "sc"}
INHERENCE = {"fpt", "face", "iris", "retina", "vbm"}


class Refused(Exception):
    """A sign-in through the provider that does not go on: the message's key, the status,
    and whether it counts as a failed sign-in (of this e-mail address, if known)."""

    def __init__(self, key: str, status: int, counted: bool = False, email: str = "") -> None:
        super().__init__(key)
        self.key, self.status, self.counted, self.email = key, status, counted, email


def _client(provider: Provider) -> OAuth2Client:
    return OAuth2Client(provider.client_id, provider.client_secret, scope="openid email",
                        redirect_uri=provider.redirect_uri, code_challenge_method="S256",
                        token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none",
                        timeout=TIMEOUT, trust_env=False)


def _get_json(url: str) -> dict[str, Any]:
    """The provider's JSON document at `url`; Refused("oidc_down") if it cannot be had."""
    try:
        answer = httpx.get(url, timeout=TIMEOUT, trust_env=False)
        answer.raise_for_status()
        found = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("OpenID Connect provider: %s could not be read: %s", url, exc)
        raise Refused("oidc_down", 503) from None
    if not isinstance(found, dict):
        log.warning("OpenID Connect provider: %s is not a JSON object", url)
        raise Refused("oidc_down", 503)
    return found


def discover(provider: Provider) -> dict[str, Any]:
    """The provider's metadata; its issuer must be the one configured (OIDC Discovery 4.3)."""
    meta = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration")
    wanted = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if meta.get("issuer") != provider.issuer or not all(isinstance(meta.get(k), str) for k in wanted):
        log.warning("OpenID Connect provider: the discovery document of %s names issuer %r or lacks "
                    "an endpoint", provider.issuer, meta.get("issuer"))
        raise Refused("oidc_down", 503)
    return meta


@router.get(START)
def start(request: Request) -> Response:
    ctx = context(request)
    provider = provider_of(ctx.settings)
    if provider is None:
        return RedirectResponse(f"{BASE}/inloggen", status_code=303)
    if signed_in(request) is not None:
        return RedirectResponse(f"{BASE}/", status_code=303)
    try:
        meta = discover(provider)
    except Refused as refused:
        return _refused(request, ctx, refused)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    with _client(provider) as client:
        url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=state,
                                                 code_verifier=verifier, nonce=nonce)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLOW_COOKIE, f"{state}.{nonce}.{verifier}", max_age=FLOW_SECONDS, path=START,
                        httponly=True, samesite="lax", secure=secure(request))
    response.set_cookie(BACK_COOKIE, back_to(request.query_params.get("naar")), max_age=FLOW_SECONDS,
                        path=START, httponly=True, samesite="lax", secure=secure(request))
    return response


@router.get(CALLBACK)
def finish(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
    ctx = context(request)
    provider = provider_of(ctx.settings)
    if provider is None:
        return RedirectResponse(f"{BASE}/inloggen", status_code=303)
    flow = (request.cookies.get(FLOW_COOKIE) or "").split(".")
    try:
        if len(flow) != 3 or not state or not _same(state[:100], flow[0]):
            raise Refused("oidc_state", 400, counted=True)
        if error:
            raise Refused("oidc_denied" if error == "access_denied" else "oidc_error", 403)
        if not code:
            raise Refused("oidc_error", 400)
        claims = verified_claims(provider, code[:2000], nonce=flow[1], verifier=flow[2])
        account = account_of(ctx, claims)
    except Refused as refused:
        return _refused(request, ctx, refused)
    secret, _ = sessions(ctx).start(account.name)
    # A page, not a redirect: the browser came here from the provider's site, and would not
    # send the session's SameSite=Strict cookie along a redirect from it; it does when this
    # page of ours sends it on.
    response = page(request, "signin_done.html", 200, target=back_to(request.cookies.get(BACK_COOKIE)))
    set_cookie(response, request, COOKIE, secret)
    response.delete_cookie(FLOW_COOKIE, path=START)
    response.delete_cookie(BACK_COOKIE, path=START)
    response.delete_cookie(SIGNIN_COOKIE, path=BASE)
    return response


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def _refused(request: Request, ctx: Context, refused: Refused) -> Response:
    from .auth import signin_form

    status, key = refused.status, refused.key
    if refused.counted:
        try:
            refuse_failed(request, ctx, refused.email.strip().casefold() or "oidc")
        except Problem:
            status, key = 429, "signin_many"
    response = signin_form(request, status, key)
    response.delete_cookie(FLOW_COOKIE, path=START)
    return response


def verified_claims(provider: Provider, code: str, *, nonce: str, verifier: str) -> CodeIDToken:
    """The id token the provider gives for `code`, its signature and claims checked."""
    meta = discover(provider)
    with _client(provider) as client:
        try:
            token = client.fetch_token(meta["token_endpoint"], code=code, code_verifier=verifier)
        except OAuthError as exc:  # the provider refused the code: used, expired, not ours
            log.warning("OpenID Connect provider: the token endpoint refused the code: %s", exc)
            raise Refused("oidc_error", 401, counted=True) from None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("OpenID Connect provider: the token endpoint could not be reached: %s", exc)
            raise Refused("oidc_down", 503) from None
    id_token = token.get("id_token")
    keys = _get_json(meta["jwks_uri"])
    options = {"iss": {"essential": True, "value": provider.issuer},
               "aud": {"essential": True, "value": provider.client_id},
               "exp": {"essential": True}, "nonce": {"essential": True, "value": nonce}}
    try:
        if not isinstance(id_token, str):
            raise ValueError("the token endpoint's answer has no id_token")
        decoded = jwt.decode(id_token, KeySet.import_key_set(keys), registry=JWSRegistry(algorithms=ALGORITHMS))
        params = {"nonce": nonce, "client_id": provider.client_id, "access_token": token.get("access_token")}
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        claims.validate(leeway=60)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        log.warning("OpenID Connect provider: id token refused: %s", exc)
        raise Refused("oidc_invalid", 401, counted=True) from None
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    if provider.require_mfa and not two_factors(claims, provider.mfa_acr):
        raise Refused("oidc_mfa", 403, counted=True, email=email)
    return claims


def two_factors(claims: dict[str, Any], acr_values: tuple[str, ...]) -> bool:
    """Whether the token shows a sign-in with a second factor: `amr` has "mfa" or methods of
    two kinds (RFC 8176), or `acr` is one of the values configured to mean two factors."""
    amr = claims.get("amr")
    methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
    kinds = sum(1 for kind in (KNOWLEDGE, POSSESSION, INHERENCE) if methods & kind)
    return "mfa" in methods or kinds >= 2 or claims.get("acr") in acr_values


def account_of(ctx: Context, claims: dict[str, Any]) -> StaffAccount:
    """The enabled staff account of the token's verified e-mail address."""
    from .auth import WEB_ROLES

    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or claims.get("email_verified") is not True:
        raise Refused("oidc_no_email", 403, counted=True)
    account = users.register(ctx.engine).by_email(email)
    if account is None or account.role not in WEB_ROLES:
        raise Refused("oidc_unknown", 403, counted=True, email=email)
    if not account.active:
        raise Refused("oidc_disabled", 403, counted=True, email=email)
    return account
