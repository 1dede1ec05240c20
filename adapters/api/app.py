"""The HTTP application: the staff API under /api/v1 and the participants' page under /p.

One engine per process (the event store is safe to share between threads); every
request is authenticated by a credential whose secret only the caller knows.
Errors are RFC 9457 problem details (`application/problem+json`).

The API's parts: `dependencies` (context, caller, access), `errors` (problem details),
`idempotency` (writes), `models`, `limiter` (failed sign-ins) and `routes/`, one
module per tag.
"""

from __future__ import annotations

import decimal
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huishoudboekje.config import Settings

from ..bootstrap import bootstrap
from ..pgstore import WriteTimeout
from ..web.participant import router as participant_router
from . import routes
from .dependencies import Context
from .errors import PROBLEM, Problem, _field, _message, _titles, problem_of
from .limiter import FAILED_LOGIN_LIMIT, FAILED_LOGIN_WINDOW, FailedLogins, trusted_networks

MAX_BODY = 10 * 1024 * 1024


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


__all__ = ["FAILED_LOGIN_LIMIT", "FAILED_LOGIN_WINDOW", "MAX_BODY", "PROBLEM", "FailedLogins", "create_app",
           "trusted_networks"]
