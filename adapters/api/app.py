"""The HTTP application: the staff API under /api/v1 and the participants' page under /p.

One engine per process (the event store is safe to share between threads); every
request is authenticated by a credential whose secret only the caller knows.
Errors are RFC 9457 problem details (`application/problem+json`).
"""

from __future__ import annotations

import decimal
import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huishoudboekje import access
from huishoudboekje.access import Principal
from huishoudboekje.domain.access import PARTICIPANT
from huishoudboekje.config import Settings
from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.household import NotFound
from huishoudboekje.domain.statement import StatementError
from huishoudboekje.engine import Engine
from huishoudboekje.onboarding import DocumentError
from huishoudboekje.projections.views import Projections

from ..bootstrap import Services, bootstrap
from ..errors import REFUSALS, refusal
from ..pgstore import WriteTimeout

PROBLEM = "application/problem+json"
MAX_BODY = 10 * 1024 * 1024
FAILED_LOGIN_LIMIT = 10  # failed attempts per client, and per credential tried, per window
FAILED_LOGIN_WINDOW = 60.0  # seconds
FAILED_LOGIN_KEYS = 100_000  # clients and credentials remembered, each


@dataclass
class Problem(Exception):
    status: int
    title: str
    detail: str = ""
    where: str | None = None  # the field that is wrong, when one is
    extra: dict[str, Any] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        body = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}
        if self.where:
            body["field"] = self.where
        body.update(self.extra)
        headers = {"Retry-After": str(int(FAILED_LOGIN_WINDOW))} if self.status == 429 else None
        return JSONResponse(body, status_code=self.status, media_type=PROBLEM, headers=headers)


REPLAYABLE = tuple(kind for kind, meaning in REFUSALS if meaning.replayable)  # kept for an idempotent retry


def problem_of(exc: BaseException, field: str | None = None, missing: str = "dossier") -> Problem:
    """A refusal (see `adapters/errors.py`) as problem details. It names the field the error
    carries; else `missing` for what was not found and `field` for any other refusal."""
    meaning = refusal(exc)
    if meaning is None:
        raise exc
    if isinstance(exc, DocumentError):
        return Problem(meaning.status, meaning.title, "; ".join(str(p) for p in exc.problems),
                       exc.problems[0].path if exc.problems else None,
                       {"errors": [{"field": p.path, "message": p.message} for p in exc.problems]})
    if isinstance(exc, StatementError):
        return Problem(meaning.status, meaning.title, exc.reason, exc.field or "body", {"file": exc.file})
    where = (exc.field or (missing if isinstance(exc, NotFound) else field)) if isinstance(exc, DomainError) else None
    return Problem(meaning.status, meaning.title, str(exc), where)


class FailedLogins:
    """Failed sign-ins, counted per client and per credential tried, in a sliding window.

    Only failures are ever refused: a valid credential is let in whatever others did
    from its address (an office behind one NAT address, a guesser next door), so the
    caller checks the credential first and asks `blocked` only for one that failed.
    A client with `limit` failures in the window, or a secret tried `limit` times in
    vain from anywhere, gets 429 instead of 401/404 until the window has passed. The
    secrets carry 256 random bits, so guessing one is hopeless either way; the limit
    turns a flood into a refusal and a misconfigured script into a visible one.

    Memory stays bounded: at most `max_keys` clients and as many credentials are
    remembered, the least recently failing forgotten first.
    """

    def __init__(self, limit: int = FAILED_LOGIN_LIMIT, window: float = FAILED_LOGIN_WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = FAILED_LOGIN_KEYS) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._clients: OrderedDict[str, deque[float]] = OrderedDict()
        self._credentials: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, client: str, credential: str | None = None) -> bool:
        """Whether a failed attempt from `client` with `credential` is refused as too many."""
        with self._lock:
            if len(self._recent(self._clients, client)) >= self.limit:
                return True
            return credential is not None and len(self._recent(self._credentials, _key(credential))) >= self.limit

    def failed(self, client: str, credential: str | None = None) -> None:
        with self._lock:
            now = self.clock()
            self._remember(self._clients, client, now)
            if credential is not None:
                self._remember(self._credentials, _key(credential), now)

    def _remember(self, table: OrderedDict[str, deque[float]], key: str, now: float) -> None:
        recent = self._recent(table, key)
        recent.append(now)
        while len(recent) > self.limit:  # more than the limit tells nothing more
            recent.popleft()
        table[key] = recent
        table.move_to_end(key)
        while len(table) > self.max_keys:
            table.popitem(last=False)

    def _recent(self, table: OrderedDict[str, deque[float]], key: str) -> deque[float]:
        recent = table.get(key)
        if recent is None:
            return deque()
        while recent and recent[0] <= self.clock() - self.window:
            recent.popleft()
        if not recent:
            del table[key]
        return recent


def _key(credential: str) -> str:
    """What the limiter keeps of a secret tried: its hash, never the secret."""
    return hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()


def client_address(request: Request, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The address a request comes from.

    `X-Forwarded-For` is believed only when the connection comes from a proxy named in
    HHB_TRUSTED_PROXIES (none by default): anyone else could write any address there.
    From a trusted proxy, the client is the rightmost address in the header that is not
    itself a trusted proxy (each proxy appends the address it saw).
    """
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for")
            for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def trusted_networks(settings: Settings) -> list[IPv4Network | IPv6Network]:
    """HHB_TRUSTED_PROXIES as networks (a single address is a network of one)."""
    return [ip_network(proxy, strict=False) for proxy in settings.trusted_proxies]


def _trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


class Context:
    """What every request handler may need, built once per process."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.engine: Engine = services.engine
        self.settings: Settings = services.settings
        self.failed_logins = FailedLogins()
        self.trusted_proxies = trusted_networks(services.settings)
        self.idempotency: dict[tuple[str, str], tuple[int, Any]] = {}
        self.idempotency_lock = threading.Lock()
        self.views: Projections = services.projections
        self.views_lock = services.projections_lock


class BodyLimit:
    """Refuses request bodies over `app.state.max_body`, announced or streamed.

    Checking Content-Length alone would let a chunked upload (no length) through
    unbounded; counting what is received stops it as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.state.max_body
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _too_large(limit).response()(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # raised inside the handler's body read: answered as a problem
                raise HTTPException(413, f"at most {limit} bytes")
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> Problem:
    return Problem(413, "Request body too large", f"at most {limit} bytes", "body")


def _field(error: dict[str, Any]) -> str:
    """A validation error's location as staff read it: `incomes[0].amount`, `date`, `body`."""
    loc = tuple(error.get("loc", ())) or ("body",)
    if error.get("type") == "json_invalid":
        return "body"  # its location is a character offset, not a field
    path = ""
    for part in loc[1:] if loc[0] in ("body", "query", "path", "header", "cookie") else loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part) in ("int", "str") or str(part).startswith(("literal[", "function-")):
            continue  # pydantic names the union branch it tried; not a field
        else:
            path += f".{part}" if path else str(part)
    return path or str(loc[0])


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", ""))
    if error.get("type") == "json_invalid":
        return f"malformed JSON: {error.get('ctx', {}).get('error', message)}"
    return message.removeprefix("Value error, ")


def create_app(db_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    services = bootstrap(db_url, settings)
    app = FastAPI(title="huishoudboekje", version="1.0",
                  description="Staff API of the household financial-stabilisation engine.")
    app.state.context = Context(services)
    app.state.max_body = MAX_BODY  # read per request, so a test may lower it

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors() or [{"loc": ("body",), "msg": "invalid request"}]
        detail = _message(errors[0])
        if tuple(errors[0].get("loc", ())) == ("body",) and "json" not in request.headers.get("content-type", ""):
            detail = f"send the body as JSON (Content-Type: application/json): {detail}"
        return Problem(422, "Invalid request", detail, _field(errors[0]),
                       {"errors": [{"field": _field(e), "message": _message(e)}
                                   for e in errors]}).response()

    @app.exception_handler(decimal.InvalidOperation)
    async def _number(request: Request, exc: decimal.InvalidOperation) -> JSONResponse:
        # Money raises this (not MoneyError) for amounts of 27 digits and more; a request's
        # fault, never a server error
        return Problem(422, "Invalid request", "an amount is too large to be an amount").response()

    @app.exception_handler(WriteTimeout)  # not kept for a retry: the next try may get through
    async def _timeout(request: Request, exc: WriteTimeout) -> JSONResponse:
        return problem_of(exc).response()

    @app.exception_handler(StarletteHTTPException)  # also the router's own 404 and 405
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        where = "body" if exc.status_code in (400, 413) else None  # FastAPI's 400: a body it cannot read
        return Problem(exc.status_code, _titles.get(exc.status_code, "Error"), str(exc.detail or ""),
                       where).response()

    app.add_middleware(BodyLimit, state=app.state)

    from . import routes  # noqa: PLC0415 - routes import this module's helpers

    app.include_router(routes.router)
    try:
        from ..web.participant import router as participant_router  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the page is optional while it is being built
        participant_router = None
    if participant_router is not None:
        app.include_router(participant_router)
    return app


_titles = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
           415: "Unsupported media type", 422: "Invalid request", 429: "Too many requests"}


def context(request: Request) -> Context:
    return request.app.state.context


bearer = HTTPBearer(auto_error=False)


def principal(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
              ctx: Context = Depends(context)) -> Principal:
    """The caller, from `Authorization: Bearer <token>`; failed attempts are rate-limited."""
    if credentials is None:
        raise Problem(401, "Not authenticated", "send Authorization: Bearer <token>")
    found = access.authenticate(ctx.engine, credentials.credentials)
    if found is None:
        refuse_failed(request, ctx, credentials.credentials)
        raise Problem(401, "Not authenticated", "unknown, expired or revoked token")
    return found


def participant_principal(request: Request, token: str, ctx: Context) -> Principal:
    """A participant's personal link token (from the URL path)."""
    found = access.authenticate(ctx.engine, token)
    if found is None or found.role != PARTICIPANT:
        refuse_failed(request, ctx, token)
        raise Problem(404, "Not found", "this link is unknown, expired or revoked")
    return found


def refuse_failed(request: Request, ctx: Context, credential: str) -> None:
    """Count a failed attempt; Problem(429) once its client or its credential failed too often."""
    client = client_address(request, ctx.trusted_proxies)
    if ctx.failed_logins.blocked(client, credential):
        raise Problem(429, "Too many requests", "too many failed attempts; wait a minute")
    ctx.failed_logins.failed(client, credential)
