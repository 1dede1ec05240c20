"""The errors of a household's commands."""

from __future__ import annotations


class HouseholdError(ValueError):
    """A command the household cannot accept, with the reason in staff's words."""


class NotFound(HouseholdError):
    """An unknown dossier, agreement, transaction, signal or run."""
