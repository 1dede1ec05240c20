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
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)


def reads(request: Request) -> bool:
    path = request.url.path
    return request.method == "GET" and (path.startswith("/api/") or path.startswith("/p/")) \
        and not path.startswith("/p/static/")


def install_freshness(app: FastAPI, services: Any) -> None:
    @app.middleware("http")
    async def freshness(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not reads(request):
            return await call_next(request)
        try:
            status = await run_in_threadpool(services.projections.status)
            running = await run_in_threadpool(services.runner_running)
        except Exception:  # noqa: BLE001 - an answer without the headers beats none
            log.warning("could not read how far the read models are", exc_info=True)
            return await call_next(request)
        response = await call_next(request)
        response.headers["X-Projection-Position"] = str(status.position)
        response.headers["X-Projection-Lag"] = str(status.lag)
        response.headers["X-Projection-Runner"] = "running" if running else "none"
        return response
