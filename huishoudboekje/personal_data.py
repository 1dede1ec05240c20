"""Crypto-shredding: personal data sealed with a key per household (stub; filled in next)."""

from __future__ import annotations

from uuid import UUID

ERASED = "[verwijderd]"
PREFIX = "pd1:"


def seal(owner: UUID, text: str) -> str:
    """A sealed token for `text`, readable while `owner`'s key exists (stub: plain)."""
    return text
