"""Problem details (RFC 9457, `application/problem+json`): the API's one form of error.

A refusal's status and title come from `adapters/errors.py`, shared with the CLI; this
module shapes them, and a request that FastAPI cannot validate, as problem details.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.household import NotFound
from huishoudboekje.domain.statement import StatementError
from huishoudboekje.onboarding import DocumentError

from ..errors import REFUSALS, refusal
from ..pgstore import WriteTimeout
from .limiter import FAILED_LOGIN_WINDOW

PROBLEM = "application/problem+json"


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


@contextmanager
def domain_errors(field: str | None = None, missing: str = "dossier") -> Iterator[None]:
    """The engine's refusals as problem details, naming the field they are about (or
    `missing` for what was not found, `field` for anything else)."""
    try:
        yield
    except REPLAYABLE as exc:
        raise problem_of(exc, field, missing) from None


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


_titles = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
           415: "Unsupported media type", 422: "Invalid request", 429: "Too many requests"}


def install_handlers(app: FastAPI) -> None:
    """Every error the app raises or meets, answered as problem details."""

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
