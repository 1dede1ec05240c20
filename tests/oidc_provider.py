"""A small OpenID Connect provider the tests start themselves: discovery, JWKS, authorize
and token, served by uvicorn on a free port in a thread.

`authorize` approves the configured person at once (no page to click), or answers
`error=access_denied` when told to refuse. The token endpoint checks the client's secret,
the redirect URI and the PKCE verifier against the challenge, as a real provider does; what
goes into the id token (claims, audience, signing key) is the test's to spoil.
"""

from __future__ import annotations

import base64
import html
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID, CLIENT_SECRET = "huishoudboekje", "geheim-van-de-test"


@dataclass
class Behaviour:
    """What the provider does at the next sign-in; a test changes it."""

    claims: dict[str, Any] = field(default_factory=dict)  # the person: email, email_verified, amr…
    deny: bool = False  # authorize answers error=access_denied
    consent_page: bool = False  # authorize shows a page whose link "Toestaan" goes back (a browser's click)
    audience: str = CLIENT_ID
    foreign_key: bool = False  # sign with a key the JWKS does not publish (same kid)
    nonce: str | None = None  # another nonce than the request's (a token of another sign-in)
    lifetime: int = 300  # seconds until the id token expires; negative: expired already
    issued: list[dict[str, Any]] = field(default_factory=list)  # each id token's claims


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1", "use": "sig", "alg": "RS256"})
        self.other = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1", "use": "sig", "alg": "RS256"})
        self.behaviour = Behaviour()
        self.codes: dict[str, dict[str, Any]] = {}
        self.issuer = ""  # set once serving
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks), Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"])])

    def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]})

    def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code" or not q.get("redirect_uri"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if self.behaviour.deny:
            answer = {"error": "access_denied", "state": q.get("state", "")}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"redirect_uri": q["redirect_uri"], "nonce": q.get("nonce"),
                                "challenge": q.get("code_challenge"), "method": q.get("code_challenge_method")}
            answer = {"code": code, "state": q.get("state", "")}
        back = f"{q['redirect_uri']}?{urlencode(answer)}"
        if self.behaviour.consent_page:
            return HTMLResponse(f'<!doctype html><html lang="nl"><title>Testgemeente</title>'
                                f'<a href="{html.escape(back)}">Toestaan</a></html>')
        return RedirectResponse(back, status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier") or "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (grant is None or form.get("grant_type") != "authorization_code" or grant["method"] != "S256"
                or form.get("redirect_uri") != grant["redirect_uri"] or challenge != grant["challenge"]):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "medewerker-1", "aud": self.behaviour.audience, "iat": now,
                  "exp": now + self.behaviour.lifetime, "nonce": self.behaviour.nonce or grant["nonce"],
                  **self.behaviour.claims}
        self.behaviour.issued.append(claims)
        key = self.other if self.behaviour.foreign_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "sleutel-1"}, claims, key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 300, "id_token": id_token})


@contextmanager
def serving() -> Iterator[Provider]:
    """The provider on a free port of 127.0.0.1; its issuer is http://127.0.0.1:PORT.

    The socket listens before the thread starts, so a request made at once waits in its
    backlog until uvicorn accepts it: nothing to wait for."""
    provider = Provider()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    provider.issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(provider.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
