"""Writes: the caller as actor, `Idempotency-Key`, refusals as problems, fresh read models."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from huishoudboekje.access import Principal

from .dependencies import Context, context, role
from .errors import Problem, domain_errors

IDEMPOTENCY_KEYS = 100_000  # answers kept for replay; a retry comes within minutes, not days


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
        """Run `action` once per idempotency key; a retry gets the first answer again."""
        if self.key is None:
            return self._run(action, field, missing)
        slot = (self.who.credential, self.key)
        stored = self._claim(slot)
        if stored is not None:
            return self._replay(stored)
        try:
            response = self._run(action, field, missing)
        except Problem as problem:  # a refusal is an answer too: the retry gets it again
            response = problem.response()
        except BaseException:
            with self.ctx.idempotency_lock:  # nothing to replay: a retry may try again
                self.ctx.idempotency.pop(slot, None)
            raise
        self._keep(slot, response)
        return response

    def _claim(self, slot: tuple[str, str]) -> tuple[int, Any] | None:
        """What is stored under the key; if nothing, mark it in progress, atomically."""
        with self.ctx.idempotency_lock:
            stored = self.ctx.idempotency.get(slot)
            if stored is None:
                self.ctx.idempotency[slot] = (0, (self.fingerprint, None))
            return stored

    def _keep(self, slot: tuple[str, str], response: Response) -> None:
        headers = {k: v for k, v in response.headers.items() if k in ("location", "content-type")}
        with self.ctx.idempotency_lock:
            self.ctx.idempotency[slot] = (response.status_code, (self.fingerprint, (response.body, headers)))
            while len(self.ctx.idempotency) > IDEMPOTENCY_KEYS:  # oldest first: memory stays bounded
                del self.ctx.idempotency[next(iter(self.ctx.idempotency))]

    def _run(self, action: Callable[[], Response], field: str | None, missing: str) -> Response:
        with domain_errors(field, missing):
            response = action()
        if response.status_code < 300:
            refresh(self.ctx)
        return response

    def _replay(self, stored: tuple[int, Any]) -> Response:
        status, (fingerprint, saved) = stored
        if fingerprint != self.fingerprint:
            raise Problem(422, "Idempotency key reused",
                          "this Idempotency-Key was used for a different request; use a new key",
                          "Idempotency-Key")
        if saved is None:
            raise Problem(409, "Conflict", "a request with this Idempotency-Key is still being processed",
                          "Idempotency-Key")
        body, headers = saved
        return Response(body, status_code=status, headers={**headers, "Idempotent-Replayed": "true"})


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
