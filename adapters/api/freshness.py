"""How fresh an answer is: every GET of the staff API and of the participants' page
says how far the read models had got when it was read.

- `X-Projection-Position`: the last event the read models had projected (at least) when
  the request came in;
- `X-Projection-Lag`: how many events were stored then that they did not show yet;
- `X-Projection-Runner`: `running` while a projections runner keeps them current (its
  heartbeat within HHB_PROJECTION_RUNNER_TIMEOUT), `none` otherwise (this process then
  catches up after its own writes, and the participants' page every few seconds).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


def reads(scope: Scope) -> bool:
    path = scope.get("path", "")
    return scope["type"] == "http" and scope.get("method") == "GET" and \
        (path.startswith("/api/") or path.startswith("/p/")) and not path.startswith("/p/static/")


class Freshness:
    """Plain ASGI (not `BaseHTTPMiddleware`): writes and their bodies pass untouched."""

    def __init__(self, app: ASGIApp, services: Any) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not reads(scope):
            await self.app(scope, receive, send)
            return
        try:
            status = await run_in_threadpool(self.services.projections.status)
            running = await run_in_threadpool(self.services.runner_running)
        except Exception:  # noqa: BLE001 - an answer without the headers beats none
            log.warning("could not read how far the read models are", exc_info=True)
            await self.app(scope, receive, send)
            return
        extra = [(b"x-projection-position", str(status.position).encode()),
                 (b"x-projection-lag", str(status.lag).encode()),
                 (b"x-projection-runner", b"running" if running else b"none")]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_freshness(app: FastAPI, services: Any) -> None:
    app.add_middleware(Freshness, services=services)
