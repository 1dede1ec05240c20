"""The team register as the CLI and the API use it, and its upgrade from free-text names.

Stores written before the register existed name teams only as text on households and
staff tokens. The first use of the register in such a store opens it with those names
(`Opened`, actor `upgrade`), so every team already in use stays usable.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import IntegrityError, RecordConflictError

from .domain.access import CREDENTIAL_LOG_ID
from .domain.household import Household
from .domain.team import REGISTER_ID, TeamError, TeamRegister, contact_card
from .engine import Engine

UPGRADE_ACTOR = "upgrade"


def register(engine: Engine) -> TeamRegister:
    """The register; opened on first use with the team names the store already holds."""
    found = engine.get_or_none(REGISTER_ID)
    if found is not None:
        return found
    opened = TeamRegister(taken_over=_names_in_use(engine), actor=UPGRADE_ACTOR)
    try:
        engine.save(opened)
    except (IntegrityError, RecordConflictError):  # another process opened it first
        return engine.repository.get(REGISTER_ID)
    return opened


def _names_in_use(engine: Engine) -> list[str]:
    names = {engine.household_by_id(ident).team for ident, _ in engine.household_ids()}
    credentials = (engine.repository.get(logged.credential_id) for logged in engine.events.get(CREDENTIAL_LOG_ID))
    names |= {credential.team for credential in credentials if credential.team}
    return sorted(names)


def add(engine: Engine, name: str, actor: str, **contact: str | None) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        teams = register(engine)
        teams.add(name, actor, **contact)
        engine.save(teams)
        return teams.teams[" ".join(name.split())]

    return engine.retrying(attempt)


def update(engine: Engine, name: str, actor: str, **contact: str | None) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        teams = register(engine)
        if teams.update(name, actor, **contact):
            engine.save(teams)
        return teams.teams[name]

    return engine.retrying(attempt)


def listing(engine: Engine) -> list[dict[str, Any]]:
    return [dict(team) for _, team in sorted(register(engine).teams.items())]


def contact(engine: Engine, household: Household) -> dict[str, str | None]:
    """The household's contact card (`contact_card`): its team's phone, hours and e-mail
    from the register, and its coach. Reads only: a store whose register was never opened
    gives a card with the team's name alone."""
    found = engine.get_or_none(REGISTER_ID)
    return contact_card(found.teams.get(household.team) if found is not None else None, household)


def require(engine: Engine, name: str, field: str = "team") -> str:
    """`name` if it is a registered team; TeamError otherwise (naming the team it resembles)."""
    return register(engine).require(name, field)


__all__ = ["TeamError", "register", "add", "update", "listing", "contact", "require"]
