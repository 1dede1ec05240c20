"""The one kind of refusal: a request the engine will not carry out, in the user's words.

Every error a user can fix derives from `DomainError`, which names the field of the
request it is about when there is one (`agreement`, `signal`, `dossier`…). The entry
points translate it once each: the CLI to an exit code, the API to problem details
(`adapters/errors.py`); no adapter reads the message to find the field.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A refusal; `field` is the part of the request it is about, None if no one part."""

    field: str | None = None

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        if field is not None:
            self.field = field


class HouseholdError(DomainError):
    """A command the household cannot accept, with the reason in staff's words."""


class NotFound(HouseholdError):
    """An unknown dossier, agreement, transaction, signal or run."""
