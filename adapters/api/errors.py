"""Problem details (RFC 9457, `application/problem+json`): the API's one form of error.

A refusal's status and title come from `adapters/errors.py`, shared with the CLI; this
module shapes them, and a request that FastAPI cannot validate, as problem details.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.household import NotFound
from huishoudboekje.domain.statement import StatementError
from huishoudboekje.onboarding import DocumentError

from ..errors import REFUSALS, refusal
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
