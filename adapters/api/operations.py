"""What operators and load balancers ask a server: `/healthz` (the process answers),
`/readyz` (the database answers and the read models are at most HHB_READY_MAX_LAG
events behind) and `/metrics` (Prometheus' text format, through prometheus-client).

None of them needs a token: they hold counts, never a name, an amount of a household or
a path (a participant's link is a secret: requests are counted by route template).
Keep them off the public internet all the same (README, "Running it in production").
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huishoudboekje.domain.run import RUN_ID

from .dependencies import Context

disable_created_metrics()  # no `_created` series beside each counter: nothing here reads them
router = APIRouter(include_in_schema=False)
access_log = logging.getLogger("huishoudboekje.http")
JOB_METRICS = "metrics/hhb_run.prom"  # under HHB_VAR_DIR: written by the job (adapters/metrics.py)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    ctx: Context = request.app.state.context
    try:
        lag = ctx.views.status().lag
    except Exception as exc:  # noqa: BLE001 - whatever the database says, the answer is: not ready
        return JSONResponse({"status": "not ready", "reason": f"the database does not answer: "
                                                              f"{type(exc).__name__}"}, status_code=503)
    limit = ctx.settings.ready_max_lag
    if lag > limit:
        return JSONResponse({"status": "not ready", "events_behind": lag,
                             "reason": f"the read models are {lag} events behind (HHB_READY_MAX_LAG is {limit})"},
                            status_code=503)
    return JSONResponse({"status": "ready", "events_behind": lag})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    state = request.app.state
    body = generate_latest(state.metrics.registry)
    job = Path(state.context.settings.var_dir) / JOB_METRICS
    if job.is_file():  # the job ran on this machine: its last run, as it wrote it
        body += job.read_bytes()
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class StoreCollector:
    """Read from the store at each scrape, so every worker and machine reports the same."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Any:
        views = self.ctx.views
        lag = GaugeMetricFamily("hhb_projection_lag_events", "Events the read models are behind the store")
        lag.add_metric([], views.status().lag)
        yield lag
        signals = GaugeMetricFamily("hhb_signals_open", "Open signals, by rule", labels=["rule"])
        for rule, count in sorted(views.open_signals_by_rule().items()):
            signals.add_metric([rule], count)
        yield signals
        yield from self._last_day()

    def _last_day(self) -> Any:
        """The last day the job completed: what it paid, and when it finished."""
        for event in self.ctx.engine.events.get(RUN_ID, desc=True, limit=100):
            if type(event).__name__ == "DayCompleted":
                for name, value, text in (
                        ("hhb_last_day_households_paid", event.households_paid, "Households paid on the last day"),
                        ("hhb_last_day_instructions", event.instructions, "Payment instructions of the last day"),
                        ("hhb_last_day_completed_timestamp_seconds", event.timestamp.timestamp(),
                         "When the job completed its last day")):
                    gauge = GaugeMetricFamily(name, text + " the job completed")
                    gauge.add_metric([], value)
                    yield gauge
                return


class Metrics:
    """One registry per application: HTTP latency by route, and the store's figures."""

    def __init__(self, ctx: Context) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram("hhb_http_request_duration_seconds", "HTTP request latency, by route",
                                 ["method", "route"], registry=self.registry)
        self.requests = Counter("hhb_http_requests", "HTTP requests, by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.registry.register(StoreCollector(ctx))


class Measured:
    """Times every request and counts it by its route's template (`unmatched` for a
    path no route has); with JSON logs, writes one line per request."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            seconds = time.perf_counter() - started
            metrics: Metrics = self.state.metrics
            metrics.latency.labels(scope["method"], route).observe(seconds)
            metrics.requests.labels(scope["method"], route, str(status[0])).inc()
            access_log.info("%s %s %s", scope["method"], route, status[0], extra={"fields": {
                "method": scope["method"], "route": route, "status": status[0], "ms": round(seconds * 1000, 1)}})
