"""What each refusal means to a user of the CLI and of the API, written once.

Every error a user can fix is a `DomainError` (or a document's `DocumentError`); this
table says, per kind, the CLI's exit code and the API's HTTP status and title. The CLI
(`adapters/cli`) and the API (`adapters/api/errors.py`) both look refusals up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from huishoudboekje.domain.errors import DomainError
from huishoudboekje.domain.household import NotFound
from huishoudboekje.domain.payment_files import FourEyes, ReleaseRefused
from huishoudboekje.domain.statement import StatementError
from huishoudboekje.onboarding import DocumentError
from huishoudboekje.reconcile import JobFailed

from .pgstore import WriteTimeout

UNEXPECTED, BAD_INPUT, NOT_FOUND = 1, 2, 3  # the CLI's exit codes besides 0


@dataclass(frozen=True)
class Refusal:
    exit_code: int
    status: int
    title: str
    replayable: bool = True  # False: a retry may succeed, so the API keeps no answer for it


REFUSALS: tuple[tuple[type[BaseException], Refusal], ...] = (
    (NotFound, Refusal(NOT_FOUND, 404, "Not found")),
    (DocumentError, Refusal(BAD_INPUT, 422, "Invalid document")),
    (StatementError, Refusal(BAD_INPUT, 422, "Not a usable bank statement")),
    # a payment file's release: someone who may not (four eyes), or a file that may not go
    (FourEyes, Refusal(BAD_INPUT, 403, "Forbidden")),
    (ReleaseRefused, Refusal(BAD_INPUT, 409, "Conflict")),
    (DomainError, Refusal(BAD_INPUT, 422, "Refused")),
    # stopped after recording part of its work: not bad input, and a rerun finishes it
    (JobFailed, Refusal(UNEXPECTED, 500, "The job stopped part-way")),
    (WriteTimeout, Refusal(UNEXPECTED, 503, "Database busy", replayable=False)),
)
REFUSED = tuple(kind for kind, _ in REFUSALS)


def refusal(exc: BaseException) -> Refusal | None:
    """The meaning of `exc`, the first kind in the table it is; None for a bug."""
    for kind, meaning in REFUSALS:
        if isinstance(exc, kind):
            return meaning
    return None
