"""The HTTP application: the staff API under /api/v1 and the participants' page under /p.

One engine per process (the event store is safe to share between threads); every
request is authenticated by a credential whose secret only the caller knows.
Errors are RFC 9457 problem details (`application/problem+json`).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from huishoudboekje import access
from huishoudboekje.access import Principal
from huishoudboekje.config import Settings
from huishoudboekje.engine import Engine

from ..store import open_engine

PROBLEM = "application/problem+json"
MAX_BODY = 10 * 1024 * 1024
FAILED_LOGIN_LIMIT = 10  # failed attempts per client per window
FAILED_LOGIN_WINDOW = 60.0  # seconds


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
        return JSONResponse(body, status_code=self.status, media_type=PROBLEM)


class FailedLogins:
    """Counts failed authentications per client; too many in a window and it is refused."""

    def __init__(self, limit: int = FAILED_LOGIN_LIMIT, window: float = FAILED_LOGIN_WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        with self._lock:
            recent = self._recent(client)
            return len(recent) >= self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())

    def _recent(self, client: str) -> deque[float]:
        recent = self._failures[client]
        while recent and recent[0] < self.clock() - self.window:
            recent.popleft()
        return recent


class Context:
    """What every request handler may need, built once per process."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.failed_logins = FailedLogins()
        self.idempotency: dict[tuple[str, str], tuple[int, Any]] = {}
        self.idempotency_lock = threading.Lock()


def create_app(db_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = open_engine(db_url or settings.database_url, settings.var_dir)
    app = FastAPI(title="huishoudboekje", version="1.0",
                  description="Staff API of the household financial-stabilisation engine.")
    app.state.context = Context(engine, settings)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return Problem(422, "Invalid request", first.get("msg", ""), where or None,
                       {"errors": [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                                   for e in errors]}).response()

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return Problem(exc.status_code, _titles.get(exc.status_code, "Error"), str(exc.detail or "")).response()

    @app.middleware("http")
    async def _limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY:
            return Problem(413, "Request body too large", f"at most {MAX_BODY} bytes").response()
        return await call_next(request)

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
    client = request.client.host if request.client else "unknown"
    if ctx.failed_logins.blocked(client):
        raise Problem(429, "Too many requests", "too many failed logins; wait a minute")
    if credentials is None:
        raise Problem(401, "Not authenticated", "send Authorization: Bearer <token>")
    found = access.authenticate(ctx.engine, credentials.credentials)
    if found is None:
        ctx.failed_logins.failed(client)
        raise Problem(401, "Not authenticated", "unknown, expired or revoked token")
    return found


def participant_principal(request: Request, token: str, ctx: Context) -> Principal:
    """A participant's personal link token (from the URL path)."""
    client = request.client.host if request.client else "unknown"
    if ctx.failed_logins.blocked(client):
        raise Problem(429, "Too many requests", "too many failed attempts; wait a minute")
    found = access.authenticate(ctx.engine, token)
    if found is None or found.role != "participant":
        ctx.failed_logins.failed(client)
        raise Problem(404, "Not found", "this link is unknown, expired or revoked")
    return found
