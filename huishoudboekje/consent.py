"""Recording a participant's consent and its withdrawal (CLI and API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .domain.consent import STOPPED_BY_PARTICIPANT
from .domain.household import Household
from .domain.terms import ACTIVE
from .engine import Engine
from .households import end_participation_of


def record(engine: Engine, dossier: str, on: date, way: str, actor: str) -> dict[str, Any]:
    def command(household: Household) -> dict[str, Any]:
        household.record_consent(on, way, actor)
        return {"dossier": dossier, "consent": household.consent_detail()}

    return engine.change_household(dossier, command)


def withdraw(engine: Engine, dossier: str, on: date, actor: str) -> dict[str, Any]:
    """Record the withdrawal and, in the same save, end the participation that day (reason
    stopped-by-participant), as `end-participation` does: the final settlement pays out
    what is held the next business day. A household that ended already only records it."""
    def command(household: Household) -> dict[str, Any]:
        household.withdraw_consent(on, actor)
        ended = {"settlement_date": None}
        if household.status == ACTIVE:
            ended = end_participation_of(engine, household, on, actor, STOPPED_BY_PARTICIPANT)
        return {"dossier": dossier, "consent": household.consent_detail(), "end": household.end.isoformat()
                if household.end else None, "reason": getattr(household, "end_reason", None), **ended}

    return engine.change_household(dossier, command)
