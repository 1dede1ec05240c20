"""The traces of an erased household outside its own events and snapshots: ledger and
statement rows, runs, payment files, creditor reports, idempotency records, read models.

Called by `huishoudboekje.erasure.erase` (injected through adapters/bootstrap.py) after
the household's key is destroyed. Filled in by the `traces` work.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from huishoudboekje.engine import Engine


def purge_household_traces(engine: Engine, household_id: UUID, dossier: str) -> None:
    """Remove or blank what else holds the household's personal data (no-op for now)."""
    return None


def erase_unmatched_before(engine: Engine, cutoff: Any) -> int:
    """Erase the statement lines booked to nobody whose value date is before `cutoff`
    (the retention run's; the `traces` work fills it in); how many were erased."""
    return 0
