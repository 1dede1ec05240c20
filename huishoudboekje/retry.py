"""Trying an action again when another process wrote to the same aggregate in between.

Optimistic concurrency refuses the second of two concurrent writes; the loser loads
again and retries. Every place that retries goes through `retrying`, so the attempts
each one allows are named where it is called and the loop is written once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, RecordConflictError

T = TypeVar("T")
CONFLICTS: tuple[type[Exception], ...] = (RecordConflictError, IntegrityError)


def retrying(attempt: Callable[[], T], *, attempts: int, on: tuple[type[Exception], ...] = CONFLICTS,
             when: Callable[[Exception], bool] = lambda exc: True,
             between: Callable[[Exception], object] | None = None,
             exhausted: Callable[[], Exception] | None = None) -> T:
    """`attempt()` up to `attempts` times while it raises one of `on` (and `when` holds).

    `between` runs after each refused attempt that will be tried again (say, to clear
    a cache); after the last, the refusal is raised, or `exhausted()` instead if given.
    """
    for remaining in range(attempts, 0, -1):
        try:
            return attempt()
        except on as exc:
            if not when(exc):
                raise
            if remaining == 1:
                if exhausted is None:
                    raise
                raise exhausted() from exc
            if between is not None:
                between(exc)
    raise AssertionError("unreachable")
