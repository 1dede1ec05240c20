"""The HTTP application: the staff API under /api/v1 and the participants' page under /p.

One engine per process (the event store is safe to share between threads); every
request is authenticated by a credential whose secret only the caller knows.
Errors are RFC 9457 problem details (`application/problem+json`).

The API's parts: `dependencies` (context, caller, access), `errors` (problem details),
`idempotency` (writes), `models`, `limiter` (failed sign-ins) and `routes/`, one
module per tag.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huishoudboekje.config import Settings

from ..bootstrap import bootstrap
from ..logs import configure as configure_logs
from ..web.participant import router as participant_router
from . import docs, operations, routes
from .dependencies import Context
from .errors import PROBLEM, Problem, install_handlers
from .freshness import install_freshness
from .limiter import FAILED_LOGIN_LIMIT, FAILED_LOGIN_WINDOW, FailedLogins, trusted_networks
from .operations import Measured, Metrics

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
    log_format = services.settings.log_format
    configure_logs(log_format)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logs(log_format)  # again: the web server set up its own loggers meanwhile
        yield

    app = FastAPI(title="huishoudboekje", version="1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Staff API of the household financial-stabilisation engine.")
    app.state.context = Context(services)
    app.state.max_body = MAX_BODY  # read per request, so a test may lower it
    app.state.metrics = Metrics(app.state.context)

    install_handlers(app)
    install_freshness(app, services)  # X-Projection-Position/-Lag/-Runner on every read
    app.add_middleware(BodyLimit, state=app.state)
    app.add_middleware(Measured, state=app.state)
    app.include_router(operations.router)
    app.include_router(docs.router)  # /docs with Swagger UI's assets served by us (offline)

    from . import routes  # noqa: PLC0415 - routes import this module's helpers

    app.include_router(routes.router)
    try:
        from ..web.participant import router as participant_router  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the page is optional while it is being built
        participant_router = None
    if participant_router is not None:
        app.include_router(participant_router)
    from ..web.staff import router as staff_router  # noqa: PLC0415

    app.include_router(staff_router)
    return app


def from_environment() -> FastAPI:
    """The app of one of `hhb serve --workers N`'s processes (uvicorn imports it by name):
    the settings and the store from the environment, HHB_DATABASE_URL included."""
    return create_app()


__all__ = ["FAILED_LOGIN_LIMIT", "FAILED_LOGIN_WINDOW", "MAX_BODY", "PROBLEM", "FailedLogins", "create_app",
           "from_environment", "trusted_networks"]
