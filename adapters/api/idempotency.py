"""Writes: the caller as actor, `Idempotency-Key`, refusals as problems, fresh read models."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from huishoudboekje.access import Principal

from ..shared_state import RUNNING, Stored
from .dependencies import Context, context, role
from .errors import Problem, domain_errors

# How long an answer is kept for a retry (a retry comes within minutes, not days), and
# how long a request may hold its key unanswered (409 to a retry meanwhile): a process
# killed mid-request never answers, and after this a retry runs the request again, as
# one without a key would, refused by the engine if it was done already.
IDEMPOTENCY_KEEP = 24 * 3600.0  # seconds
IDEMPOTENCY_CLAIM = 3600.0  # seconds


@dataclass
class Write:
    """One write request: who asks, with which key, and a fingerprint of exactly what they asked."""

    ctx: Context
    who: Principal
    key: str | None
    fingerprint: str
    body: bytes

    @property
    def actor(self) -> str:
        return self.who.actor

    def answer(self, action: Callable[[], Response], field: str | None = None,
               missing: str = "dossier") -> Response:
        """Run `action` once per idempotency key; a retry gets the first answer again, from
        whichever server process it reaches (the keys live in the database)."""
        if self.key is None:
            return self._run(action, field, missing)
        shared, credential, now = self.ctx.shared, self.who.credential, time.time()
        stored = shared.claim(credential, self.key, self.fingerprint, now, now + IDEMPOTENCY_CLAIM)
        if stored is not None:
            return self._replay(stored)
        try:
            response = self._run(action, field, missing)
        except Problem as problem:  # a refusal is an answer too: the retry gets it again
            response = problem.response()
        except BaseException:
            shared.release(credential, self.key)  # nothing to replay: a retry may try again
            raise
        headers = {k: v for k, v in response.headers.items() if k in ("location", "content-type")}
        shared.keep(credential, self.key, response.status_code, bytes(response.body), headers,
                    time.time() + IDEMPOTENCY_KEEP)
        shared.purge("hhb_idempotency", now)
        return response

    def _run(self, action: Callable[[], Response], field: str | None, missing: str) -> Response:
        with domain_errors(field, missing):
            response = action()
        if response.status_code < 300:
            refresh(self.ctx)
        return response

    def _replay(self, stored: Stored) -> Response:
        if stored.fingerprint != self.fingerprint:
            raise Problem(422, "Idempotency key reused",
                          "this Idempotency-Key was used for a different request; use a new key",
                          "Idempotency-Key")
        if stored.status == RUNNING:
            raise Problem(409, "Conflict", "a request with this Idempotency-Key is still being processed",
                          "Idempotency-Key")
        return Response(stored.body, status_code=stored.status,
                        headers={**stored.headers, "Idempotent-Replayed": "true"})


def writer(*allowed: str) -> Any:
    """A dependency: a write by one of the allowed roles."""

    async def dependency(
        request: Request, who: Principal = role(*allowed), ctx: Context = Depends(context),
        key: Annotated[str | None, Header(
            alias="Idempotency-Key", min_length=1, max_length=200,
            description="Send the same key when retrying: the write happens once and the first "
                        "answer is returned again. A key is bound to exactly one request.")] = None,
    ) -> Write:
        body = await request.body()  # cached if FastAPI read a JSON body; the upload itself otherwise
        fingerprint = hashlib.sha256(b"\n".join([
            request.method.encode(), request.url.path.encode(), request.url.query.encode(), body,
        ])).hexdigest()
        return Write(ctx, who, key, fingerprint, body)

    return Depends(dependency)


def refresh(ctx: Context) -> None:
    """Bring the read models up to date after a write, so the next read sees it."""
    ctx.services.catch_up()


def json_answer(model: BaseModel, status: int = 200, location: str | None = None) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status,
                        headers={"Location": location} if location else None)
